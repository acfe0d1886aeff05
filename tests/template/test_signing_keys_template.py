"""The signing keys in template.yaml (issue 11 part 3): exactly the functions that sign or publish
license files may use the template's key and every key tagged customer-portal-signing=<Stage>
(the keys `portal-admin rotate signing-key` makes: ABAC, no key ARN to add), and read the SSM
parameter that lists them, whose name every function has in SIGNING_KEYS_PARAMETER_NAME."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from portal.admin import rotation
from portal.config import _ENV
from tests.template.test_template_rules import _function_statements, _functions, _granted

pytestmark = pytest.mark.template

SIGNERS = {"DownloadFileFunction", "ActivationFunction", "ManageLicenseFunction"}
PUBLISHERS = {"ActivationKeysFunction"}
TEMPLATE_KEY = {"Fn::GetAtt": ["LicenseSigningKey", "Arn"]}
TAGGED_KEYS = {"Fn::Sub": "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*"}
TAGGED = {"StringEquals": {f"aws:ResourceTag/{rotation.SIGNING_TAG}": {"Ref": "Stage"}}}
NAME = "/customer-portal/${Stage}/signing-keys"
PARAMETER = {
    "Fn::Sub": f"arn:${{AWS::Partition}}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter{NAME}"
}


def _who_may(template: dict[str, Any], action: str) -> set[str]:
    return {
        name
        for name, props in _functions(template).items()
        if any(_granted(s, action) for s in _function_statements(template, props))
    }


def _key_grant_problems(template: dict[str, Any]) -> list[str]:
    """Each signer or publisher lacking its grant on the template's key, on the tagged keys, or
    on the list; and any grant of a signing action wider than those two."""
    problems = []
    functions = _functions(template)
    for name in sorted(SIGNERS | PUBLISHERS):
        action = "kms:Sign" if name in SIGNERS else "kms:GetPublicKey"
        statements = [s for s in _function_statements(template, functions[name])]
        granted = [s for s in statements if _granted(s, action)]
        on_key = [s for s in granted if s.get("Resource") == TEMPLATE_KEY and "Condition" not in s]
        on_tagged = [
            s for s in granted if s.get("Resource") == TAGGED_KEYS and s.get("Condition") == TAGGED
        ]
        if not on_key:
            problems.append(f"{name}: no {action} on LicenseSigningKey")
        if not on_tagged:
            problems.append(f"{name}: no {action} on the keys tagged {rotation.SIGNING_TAG}")
        if len(granted) != len(on_key) + len(on_tagged):
            problems.append(f"{name}: {action} beyond those keys")
        reads = [s for s in statements if _granted(s, "ssm:GetParameter")]
        if [s.get("Resource") for s in reads] != [PARAMETER]:
            problems.append(f"{name}: ssm:GetParameter not exactly on the list")
    return problems


def test_only_the_functions_that_sign_or_publish_use_the_signing_keys(
    template: dict[str, Any],
) -> None:
    assert _who_may(template, "kms:Sign") == SIGNERS
    assert _who_may(template, "kms:GetPublicKey") == PUBLISHERS
    assert _who_may(template, "ssm:GetParameter") == SIGNERS | PUBLISHERS
    assert _key_grant_problems(template) == []


def test_a_tag_grant_without_its_condition_or_the_list_is_noticed(
    template: dict[str, Any],
) -> None:
    """Guards the check above: an unconditioned key/* grant, a missing read of the list."""
    changed = copy.deepcopy(template)
    statements = changed["Resources"]["ActivationFunction"]["Properties"]["Policies"][0][
        "Statement"
    ]
    next(s for s in statements if s.get("Resource") == TAGGED_KEYS).pop("Condition")
    statements[:] = [s for s in statements if s.get("Action") != ["ssm:GetParameter"]]
    assert _key_grant_problems(changed) == [
        "ActivationFunction: no kms:Sign on the keys tagged customer-portal-signing",
        "ActivationFunction: kms:Sign beyond those keys",
        "ActivationFunction: ssm:GetParameter not exactly on the list",
    ]


def test_the_template_key_is_tagged_and_every_function_knows_the_list(
    template: dict[str, Any],
) -> None:
    key = template["Resources"]["LicenseSigningKey"]["Properties"]
    assert {"Key": rotation.SIGNING_TAG, "Value": {"Ref": "Stage"}} in key["Tags"]
    assert (key["KeySpec"], key["KeyUsage"]) == ("RSA_3072", "SIGN_VERIFY")
    variable = _ENV["signing_keys_parameter_name"]
    for name, props in _functions(template).items():
        assert props["Environment"]["Variables"][variable] == {"Fn::Sub": NAME}, name
