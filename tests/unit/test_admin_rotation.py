"""portal-admin rotate webhook-secret / signing-key and signing-keys (issue 11 part 3), in-process
against moto: the webhook accepts the old and the new secret during a rotation and only the new
one after it; a new signing key signs new files while older files keep verifying with the product
SDK against the published keys, until the old key is retired; the functions pick a new list up
when their 5-minute cache expires; every change is audited, no secret in any entry or log."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import pytest

from admin.cli import main
from local import fastspring as fs
from portal import dependencies
from portal.admin import rotation
from portal.aws import clients, signing_keys
from portal.data import audit
from product_sdk.verify_license import InvalidLicenseFile, check_signed
from tests.factories import LicenseSpec
from tests.support import (
    FIXED_NOW,
    WEBHOOK_SECRET,
    activate,
    body_of,
    call,
    content_of,
    deliver,
    download,
    logged,
    published,
    published_keys,
    setup_client,
    sign_in,
    table_items,
)

BOUND = LicenseSpec("TSplus", "Enterprise", 10, computer="SRV-TEST-01")
UNBOUND = LicenseSpec("TSplus", "Enterprise", 5)
SECRET_NAME = "customer-portal/local/fastspring-webhook"
PARAMETER = "/customer-portal/local/signing-keys"


def accepted(secret: str) -> bool:
    """Whether the webhook takes an order signed with `secret` (200) rather than 401."""
    status = deliver(
        fs.order_completed(email="rotation@example.com", skus=["T-ENT-10"]), secret=secret
    )["statusCode"]
    assert status in {200, 401}, status
    return status == 200


def new_secret(out: str) -> str:
    """The secret `rotate webhook-secret` printed: the one indented line."""
    (line,) = [line for line in out.splitlines() if line.startswith("    ")]
    return line.strip()


def run(admin_target: Any, *argv: str) -> int:
    return main(list(argv), target=admin_target)


def actions(store: Any) -> list[str]:
    return [entry.action for entry in audit.in_month(store, FIXED_NOW.strftime("%Y-%m"))]


def audit_text(store: Any) -> str:
    return json.dumps([item for item in table_items(store) if item.get("type") == "audit"])


# ---------------------------------------------------------------- the webhook secret
def test_a_webhook_rotation_accepts_old_and_new_then_only_new(
    admin_target, store, clock, capsys, caplog
):
    caplog.set_level(logging.INFO)  # everything logged at INFO and above, by any logger
    # given the webhook in use with today's secret
    assert accepted(WEBHOOK_SECRET)

    # when the secret is rotated
    with logged() as lines:
        assert run(admin_target, "rotate", "webhook-secret") == 0
        out, err = capsys.readouterr()
        value = new_secret(out)
        dependencies.reset()  # the functions' 5-minute secrets cache, expired

        # then both the old and the new secret are accepted, a wrong one is not
        assert accepted(value) and accepted(WEBHOOK_SECRET)
        assert not accepted("a-wrong-secret-of-some-length")

        # when finishing at once, then it is refused: functions may still hold the old value
        assert run(admin_target, "rotate", "webhook-secret", "--finish") == 1
        assert "finish after" in capsys.readouterr().err

        # when finished once every function has read the rotation
        clock.advance(minutes=5)
        assert run(admin_target, "rotate", "webhook-secret", "--finish") == 0
        dependencies.reset()

        # then only the new secret is accepted
        assert accepted(value)
        assert not accepted(WEBHOOK_SECRET)
        assert not accepted("a-wrong-secret-of-some-length")

    # and both changes are audited, the new secret printed once and nowhere else
    assert actions(store) == ["rotate.webhook-secret.finish", "rotate.webhook-secret"]
    assert out.count(value) == 1 and value not in err
    assert value not in audit_text(store) and WEBHOOK_SECRET not in audit_text(store)
    assert value not in "\n".join(lines) and value not in caplog.text
    assert json.loads(
        setup_client("secretsmanager").get_secret_value(SecretId=SECRET_NAME)["SecretString"]
    ) == {"current": value}


def test_a_webhook_rotation_is_refused_when_it_would_lose_a_secret(
    admin_target, store, clock, capsys, monkeypatch
):
    # given a value too short, then one with spaces: refused, nothing changed
    assert run(admin_target, "rotate", "webhook-secret", "--value", "short") == 1
    assert run(admin_target, "rotate", "webhook-secret", "--value", "x" * 20 + " spaces") == 1
    assert run(admin_target, "rotate", "webhook-secret", "--value", WEBHOOK_SECRET) == 1
    assert run(admin_target, "rotate", "webhook-secret", "--finish") == 1  # none under way
    assert run(admin_target, "rotate", "webhook-secret", "--finish", "--value", "v") == 2
    assert actions(store) == []
    assert accepted(WEBHOOK_SECRET)

    # when the operator's own secret is read from standard input
    chosen = "an-operator-chosen-secret-0123456789"
    monkeypatch.setattr("sys.stdin", io.StringIO(chosen + "\n"))
    assert run(admin_target, "rotate", "webhook-secret", "--value", "-") == 0
    assert new_secret(capsys.readouterr().out) == chosen

    # then a second rotation before finishing is refused (it would drop the secret FastSpring
    # may still sign with), unless forced
    assert run(admin_target, "rotate", "webhook-secret") == 1
    assert "under way" in capsys.readouterr().err
    assert run(admin_target, "rotate", "webhook-secret", "--force") == 0
    forced = new_secret(capsys.readouterr().out)
    dependencies.reset()
    assert accepted(forced) and accepted(chosen) and not accepted(WEBHOOK_SECRET)
    assert chosen not in audit_text(store) and forced not in audit_text(store)


def test_a_missing_or_empty_secret_is_refused_not_replaced(admin_target, store, clock, capsys):
    # given the webhook secret emptied, then deleted: refused, nothing written or audited
    setup_client("secretsmanager").put_secret_value(SecretId=SECRET_NAME, SecretString="{}")
    assert run(admin_target, "rotate", "webhook-secret") == 1
    assert '"current"' in capsys.readouterr().err
    setup_client("secretsmanager").delete_secret(
        SecretId=SECRET_NAME, ForceDeleteWithoutRecovery=True
    )
    assert run(admin_target, "rotate", "webhook-secret") == 1
    assert "does not exist" in capsys.readouterr().err
    assert actions(store) == []


def test_finishing_a_rotation_written_by_hand_needs_force(admin_target, clock):
    # given a rotation written by hand, without its time
    setup_client("secretsmanager").put_secret_value(
        SecretId=SECRET_NAME, SecretString=json.dumps({"current": "n" * 30, "previous": "o" * 30})
    )
    # when finished: refused without --force, done with it
    assert run(admin_target, "rotate", "webhook-secret", "--finish") == 1
    assert run(admin_target, "rotate", "webhook-secret", "--finish", "--force") == 0
    dependencies.reset()
    assert accepted("n" * 30) and not accepted("o" * 30)


# ---------------------------------------------------------------- the signing keys
def listing(admin_target: Any, capsys: Any) -> dict[str, Any]:
    capsys.readouterr()
    assert run(admin_target, "signing-keys", "--json") == 0
    return dict(json.loads(capsys.readouterr().out))


def kids(admin_target: Any, capsys: Any) -> list[str]:
    return [row["kid"] for row in listing(admin_target, capsys)["keys"]]


def kid_of_file(file_bytes: bytes, keys: dict[str, str]) -> str:
    return str(check_signed(file_bytes, keys, now=FIXED_NOW)["kid"])


def cache_expires(monkeypatch: Any) -> None:
    """Five minutes pass for the functions' cache of the list (no sleep)."""
    later = signing_keys._now() + signing_keys.CACHE_SECONDS
    monkeypatch.setattr(signing_keys, "_now", lambda: later)


def test_a_new_signing_key_signs_new_files_and_old_files_verify_until_retired(
    admin_target, store, make_customer, clock, capsys, monkeypatch
):
    # given a downloaded file signed by the template's key (the list from the environment)
    customer = make_customer(licenses=[BOUND, UNBOUND])
    token = sign_in(customer)
    before = content_of(download("licenses", token, customer.license_ids[0]))
    shown = listing(admin_target, capsys)
    [old] = [row["kid"] for row in shown["keys"]]
    assert shown["source"] == "environment" and shown["keys"][0]["signs"] == "yes"
    assert kid_of_file(before, published()) == old

    # when a new key is made
    assert run(admin_target, "rotate", "signing-key") == 0
    [new, listed_old] = kids(admin_target, capsys)
    assert listed_old == old and new != old

    # then until the functions' cache expires they sign with the old key; after, with the new
    assert (
        kid_of_file(content_of(download("licenses", token, customer.license_ids[0])), published())
        == old
    )
    cache_expires(monkeypatch)
    keys = published()
    assert list(keys) == [new, old]  # both published, the new one first
    after = content_of(download("licenses", token, customer.license_ids[0]))
    assert kid_of_file(after, keys) == new
    activated = body_of(
        activate(customer.activation_key, "SRV-NEW-01", license_id=customer.license_ids[1])
    )
    assert kid_of_file(activated["licenseFile"].encode(), keys) == new
    # and the file signed before still verifies with the keys now published
    assert kid_of_file(before, keys) == old

    # when the signing key is retired, then it is refused (it signs)
    assert run(admin_target, "rotate", "signing-key", "--retire", new) == 1
    assert "signs" in capsys.readouterr().err

    # when the old key is retired (later)
    clock.advance(minutes=10)
    assert run(admin_target, "rotate", "signing-key", "--retire", old) == 0
    assert "stop verifying" in capsys.readouterr().out
    dependencies.reset()

    # then it is no longer published: the old file fails, the new ones still verify
    keys = published()
    assert list(keys) == [new]
    with pytest.raises(InvalidLicenseFile, match="unknown signing key"):
        check_signed(before, keys, now=FIXED_NOW)
    assert kid_of_file(after, keys) == new

    # and the last key cannot be retired
    assert run(admin_target, "rotate", "signing-key", "--retire", new) == 1
    assert "only signing key" in capsys.readouterr().err
    assert run(admin_target, "rotate", "signing-key", "--retire", "no-such-key") == 1
    assert kids(admin_target, capsys) == [new]
    assert actions(store) == ["retire.signing-key", "rotate.signing-key"]


def test_a_key_published_first_signs_only_once_promoted(
    admin_target, store, make_customer, clock, capsys
):
    # given the template's key signing
    customer = make_customer(licenses=[BOUND])
    token = sign_in(customer)
    [old] = kids(admin_target, capsys)

    # when a key is made --publish-only, then it is published and the old key still signs
    assert run(admin_target, "rotate", "signing-key", "--publish-only") == 0
    [listed_old, new] = kids(admin_target, capsys)
    dependencies.reset()
    keys = published()
    assert listed_old == old and list(keys) == [old, new]
    assert (
        kid_of_file(content_of(download("licenses", token, customer.license_ids[0])), keys) == old
    )

    # when it is promoted (later), then it signs
    clock.advance(minutes=10)
    assert run(admin_target, "rotate", "signing-key", "--promote", new) == 0
    assert run(admin_target, "rotate", "signing-key", "--promote", new) == 1  # signs already
    dependencies.reset()
    keys = published()
    assert list(keys) == [new, old]
    assert (
        kid_of_file(content_of(download("licenses", token, customer.license_ids[0])), keys) == new
    )
    entries = list(audit.in_month(store, FIXED_NOW.strftime("%Y-%m")))
    assert [(e.action, e.details["kid"], e.details["signs"]) for e in entries] == [
        ("rotate.signing-key", new, True),
        ("rotate.signing-key", new, False),
    ]
    assert all(e.subject == PARAMETER and e.actor == "test:operator" for e in entries)


def test_retiring_with_delete_key_schedules_only_a_key_the_tool_made(
    admin_target, store, clock, capsys
):
    # given two keys made by the tool after the template's
    [template_key] = kids(admin_target, capsys)
    assert run(admin_target, "rotate", "signing-key") == 0
    assert run(admin_target, "rotate", "signing-key") == 0
    [second, first, listed_template_key] = kids(admin_target, capsys)
    assert listed_template_key == template_key

    # when the template's key is retired with --delete-key: refused (the fallback list's key)
    assert run(admin_target, "rotate", "signing-key", "--retire", template_key, "--delete-key") == 1
    assert "template's key" in capsys.readouterr().err
    assert run(admin_target, "rotate", "signing-key", "--delete-key") == 2  # without --retire

    # when the first key made is retired with --delete-key
    assert run(admin_target, "rotate", "signing-key", "--retire", first, "--delete-key") == 0
    assert "deleted on" in capsys.readouterr().out

    # then it is pending deletion in 30 days, no longer listed; the others are untouched
    kms = setup_client("kms")
    assert kms.describe_key(KeyId=first)["KeyMetadata"]["KeyState"] == "PendingDeletion"
    assert kms.describe_key(KeyId=template_key)["KeyMetadata"]["KeyState"] == "Enabled"
    assert kids(admin_target, capsys) == [second, template_key]
    month = FIXED_NOW.strftime("%Y-%m")
    retired = [e for e in audit.in_month(store, month) if e.action == "retire.signing-key"]
    assert [(e.details["kid"], e.details["deleteKey"]) for e in retired] == [(first, True)]


def test_new_keys_are_rsa_3072_signing_keys_tagged_for_the_stage(admin_target, settings, capsys):
    assert run(admin_target, "rotate", "signing-key") == 0
    [new, _] = kids(admin_target, capsys)
    kms = setup_client("kms")
    meta = kms.describe_key(KeyId=new)["KeyMetadata"]
    assert (meta["KeySpec"], meta["KeyUsage"]) == ("RSA_3072", "SIGN_VERIFY")
    assert kms.list_resource_tags(KeyId=new)["Tags"] == [
        {"TagKey": rotation.SIGNING_TAG, "TagValue": settings.stage}
    ]
    value = clients.ssm().get_parameter(Name=PARAMETER)["Parameter"]
    assert (value["Type"], json.loads(value["Value"])["keys"][0]) == ("String", new)


def test_a_rotation_that_cannot_be_audited_changes_nothing_and_keeps_no_key(
    admin_target, store, capsys, monkeypatch
):
    # given the audit entry's write failing
    def fail(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the table is unavailable")

    monkeypatch.setattr(rotation.audit, "record", fail)
    before = {k["KeyId"] for k in setup_client("kms").list_keys()["Keys"]}

    # when a key is rotated, then it fails, the list is unchanged and the new key is deleted
    with pytest.raises(RuntimeError):
        run(admin_target, "rotate", "signing-key")
    with pytest.raises(clients.ssm().exceptions.ParameterNotFound):
        clients.ssm().get_parameter(Name=PARAMETER)
    made = {k["KeyId"] for k in setup_client("kms").list_keys()["Keys"]} - before
    assert len(made) == 1
    [key] = made
    assert (
        setup_client("kms").describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "PendingDeletion"
    )

    # and the webhook secret is not rotated either
    with pytest.raises(RuntimeError):
        run(admin_target, "rotate", "webhook-secret")
    assert (
        setup_client("secretsmanager").get_secret_value(SecretId=SECRET_NAME)["SecretString"]
        == WEBHOOK_SECRET
    )


# ---------------------------------------------------------------- the functions' side
def get_parameter_calls() -> list[str]:
    """The GetParameter calls the portal's SSM client makes from now on."""
    seen: list[str] = []
    clients.ssm().meta.events.register(
        "before-parameter-build.ssm.GetParameter", lambda params, **_: seen.append(params["Name"])
    )
    return seen


def test_the_list_is_read_once_per_five_minutes_and_only_to_sign_or_publish(
    aws, make_customer, monkeypatch
):
    # given a customer signed in
    customer = make_customer(licenses=[BOUND])
    token = sign_in(customer)

    # when they list their licenses, then no SSM client is even made
    assert call("list_licenses", token)["statusCode"] == 200
    assert clients.ssm.cache_info().currsize == 0

    # when files are downloaded and the keys published, then the list is read once
    seen = get_parameter_calls()
    for _ in range(2):
        content_of(download("licenses", token, customer.license_ids[0]))
        published()
    assert seen == [PARAMETER]

    # when five minutes have passed, then it is read again
    cache_expires(monkeypatch)
    published()
    assert seen == [PARAMETER, PARAMETER]


def test_without_a_parameter_name_the_environment_list_signs_and_the_tool_refuses(
    admin_target, make_customer, monkeypatch, capsys
):
    # given functions deployed without SIGNING_KEYS_PARAMETER_NAME
    monkeypatch.delenv("SIGNING_KEYS_PARAMETER_NAME")
    dependencies.reset()
    customer = make_customer(licenses=[BOUND])
    token = sign_in(customer)

    # then they sign with LICENSE_SIGNING_KEY_IDS and never ask SSM
    [kid] = published()
    file_bytes = content_of(download("licenses", token, customer.license_ids[0]))
    assert kid_of_file(file_bytes, published()) == kid
    assert clients.ssm.cache_info().currsize == 0

    # and the tool refuses to write a list no function reads
    assert run(admin_target, "rotate", "signing-key") == 1
    assert "deploy the current template" in capsys.readouterr().err


@pytest.mark.parametrize(
    "value",
    ["not json", '{"keys": []}', '{"keys": "one"}', '{"keys": ["a", "a"]}', '{"keys": ["a b"]}'],
)
def test_an_invalid_list_signs_nothing(admin_target, make_customer, capsys, value):
    # given the parameter holding no valid list
    customer = make_customer(licenses=[BOUND])
    token = sign_in(customer)
    setup_client("ssm").put_parameter(Name=PARAMETER, Value=value, Type="String")

    # when a file is downloaded or the keys asked for, then it fails closed (no file, no keys)
    assert download("licenses", token, customer.license_ids[0])["statusCode"] == 500
    assert published_keys()["statusCode"] == 500
    # and the tool says so rather than rotating on top of it
    assert run(admin_target, "rotate", "signing-key") == 1
    assert "no valid list" in capsys.readouterr().err
    assert run(admin_target, "signing-keys") == 1


def test_the_caches_are_forgotten_by_reset():
    assert ("portal.aws.signing_keys", "forget") in dependencies._CACHES
