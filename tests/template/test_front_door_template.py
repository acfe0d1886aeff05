"""The front door in template.yaml (issue 10): CloudFront sends the origin header from the
origin-verify secret to the API origin, every HTTP function may read that secret and runs with
the door on, and sign-in, activation and the webhook have throttling budgets of their own."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from portal.edge import front_door

pytestmark = pytest.mark.template

FUNCTION = "AWS::Serverless::Function"
DEFAULT_BUDGET = ("ThrottlingRateLimit", "ThrottlingBurstLimit")


def _http_functions(template: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Function logical id -> its HttpApi events' properties."""
    found = {}
    for name, resource in template["Resources"].items():
        if resource.get("Type") != FUNCTION:
            continue
        events = (resource.get("Properties", {}).get("Events") or {}).values()
        http = [e["Properties"] for e in events if e.get("Type") == "HttpApi"]
        if http:
            found[name] = http
    assert len(found) >= 11
    return found


def _api_origin(template: dict[str, Any]) -> dict[str, Any]:
    config = template["Resources"]["WebDistribution"]["Properties"]["DistributionConfig"]
    (api,) = [o for o in config["Origins"] if "${HttpApi}" in str(o["DomainName"])]
    behaviors = [b for b in config["CacheBehaviors"] if b["PathPattern"] == "/api/*"]
    assert [b["TargetOriginId"] for b in behaviors] == [api["Id"]]
    return api


def _secret_named(template: dict[str, Any], name: str) -> str:
    """The logical id of the secret customer-portal/<stage>/<name>."""
    (logical,) = [
        logical
        for logical, resource in template["Resources"].items()
        if resource.get("Type") == "AWS::SecretsManager::Secret"
        and resource["Properties"]["Name"] == {"Fn::Sub": f"customer-portal/${{Stage}}/{name}"}
    ]
    return logical


def _resolves_current_of(value: Any, secret: str) -> bool:
    """Whether a header value is, in either branch (a version named for a rotation or not), a
    deploy-time reference to `secret`'s "current", never a literal."""
    if not isinstance(value, dict) or set(value) != {"Fn::If"}:
        return False
    condition, named, current = value["Fn::If"]
    prefix = f"{{{{resolve:secretsmanager:${{{secret}}}:SecretString:current"
    return (
        condition == "HasOriginVerifyVersion"
        and current == {"Fn::Sub": prefix + "}}"}
        and named == {"Fn::Sub": prefix + "::${OriginVerifyVersion}}}"}
    )


def test_cloudfront_sends_the_origin_header_from_the_secret(template: dict[str, Any]) -> None:
    # given the API origin of the distribution and the origin-verify secret
    api = _api_origin(template)
    secret = _secret_named(template, front_door.ORIGIN_SECRET)
    # then the origin carries exactly one header of the front door's name
    headers = [
        h
        for h in api.get("OriginCustomHeaders", [])
        if h["HeaderName"].lower() == front_door.ORIGIN_HEADER
    ]
    assert len(headers) == 1
    # whose value is the secret's "current", resolved at deploy
    assert _resolves_current_of(headers[0]["HeaderValue"], secret)
    # and the secret is generated as {"current": <random>}, the shape the functions read
    generated = template["Resources"][secret]["Properties"]["GenerateSecretString"]
    assert generated["GenerateStringKey"] == "current"
    assert generated["PasswordLength"] >= 32


def test_a_literal_or_another_secret_as_the_header_value_is_noticed(
    template: dict[str, Any],
) -> None:
    # guards the check above: a literal, another secret or another key does not pass it
    secret = _secret_named(template, front_door.ORIGIN_SECRET)
    value = _api_origin(template)["OriginCustomHeaders"][0]["HeaderValue"]
    assert _resolves_current_of(value, secret)
    assert not _resolves_current_of("hunter2", secret)
    assert not _resolves_current_of({"Fn::If": ["HasOriginVerifyVersion", "a", "b"]}, secret)
    assert not _resolves_current_of(value, _secret_named(template, "fastspring-webhook"))
    other_key = json.loads(json.dumps(value).replace(":current", ":previous"))
    assert not _resolves_current_of(other_key, secret)


def test_every_http_function_reads_the_origin_secret_and_nothing_more(
    template: dict[str, Any],
) -> None:
    # given the HTTP functions (each with SAM's generated role: none sets its own)
    functions = _http_functions(template)
    resources = template["Resources"]
    assert all("Role" not in resources[name]["Properties"] for name in functions)
    # when the one policy granting the origin secret is read
    secret = _secret_named(template, front_door.ORIGIN_SECRET)
    granting = [
        resource["Properties"]
        for resource in resources.values()
        if resource.get("Type") == "AWS::IAM::ManagedPolicy"
        and {"Ref": secret} in str_refs(resource["Properties"]["PolicyDocument"])
    ]
    (policy,) = granting
    # then it is attached to exactly the HTTP functions' roles
    assert sorted(r["Ref"] for r in policy["Roles"]) == sorted(f"{n}Role" for n in functions)
    # and grants only reading that one secret
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement == {
        "Effect": "Allow",
        "Action": ["secretsmanager:GetSecretValue"],
        "Resource": {"Ref": secret},
    }


def str_refs(node: Any) -> list[Any]:
    """Every {"Ref": ...} under node."""
    if isinstance(node, dict):
        own = [node] if set(node) == {"Ref"} else []
        return own + [r for value in node.values() for r in str_refs(value)]
    if isinstance(node, list):
        return [r for item in node for r in str_refs(item)]
    return []


def test_every_http_function_runs_with_the_door_on(template: dict[str, Any]) -> None:
    # given the variables every function inherits; then the door is on, and no function turns
    # it off for itself
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["ORIGIN_VERIFY"] == "on"
    for name in _http_functions(template):
        own = template["Resources"][name]["Properties"].get("Environment", {}).get("Variables", {})
        assert "ORIGIN_VERIFY" not in own, name


# ---------------------------------------------------------------- throttling per route
SEPARATE = (
    "POST /api/auth/login",
    "POST /api/activation/activate",
    "POST /api/webhooks/fastspring",
)


def _budget(settings: dict[str, Any]) -> tuple[int, int]:
    return tuple(int(settings[k]) for k in DEFAULT_BUDGET)  # type: ignore[return-value]


def test_sign_in_activation_and_the_webhook_have_budgets_of_their_own(
    template: dict[str, Any],
) -> None:
    # given the HTTP API's stage throttles
    api = template["Resources"]["HttpApi"]["Properties"]
    default = _budget(api["DefaultRouteSettings"])
    routes = api["RouteSettings"]
    # then sign-in, activation and the webhook each have their own, below the default
    budgets = {route: _budget(routes[route]) for route in SEPARATE}
    for route, (rate, burst) in budgets.items():
        assert 0 < rate <= burst, route
        assert rate < default[0] and burst < default[1], route
    # and no two of them are the same budget
    assert len(set(budgets.values())) == len(SEPARATE)


def test_route_settings_name_only_routes_the_api_serves(template: dict[str, Any]) -> None:
    # given every route of the template's functions; then each throttled route is one of them
    # (a misspelt route key would throttle nothing and leave that route on the default)
    served = {
        f"{str(e['Method']).upper()} {e['Path']}"
        for events in _http_functions(template).values()
        for e in events
    }
    routes = template["Resources"]["HttpApi"]["Properties"]["RouteSettings"]
    assert set(routes) <= served
    assert all(re.fullmatch(r"(GET|POST) /api/\S+", route) for route in routes)
    assert {"POST /api/activation/refresh"} <= set(routes)


def test_cloudfront_forwards_the_viewer_address_and_not_the_host(
    template: dict[str, Any],
) -> None:
    """The client address behind the door is CloudFront's own CloudFront-Viewer-Address: the
    API's origin request policy names it (a managed policy's contents are not ours to check),
    with the headers the portal reads; Host stays out (API Gateway answers to its own name)."""
    config = template["Resources"]["WebDistribution"]["Properties"]["DistributionConfig"]
    (api,) = [b for b in config["CacheBehaviors"] if b["PathPattern"] == "/api/*"]
    assert api["OriginRequestPolicyId"] == {"Ref": "ApiOriginRequestPolicy"}
    policy = template["Resources"]["ApiOriginRequestPolicy"]["Properties"]
    headers = policy["OriginRequestPolicyConfig"]["HeadersConfig"]
    assert headers["HeaderBehavior"] == "whitelist"
    named = {h.lower() for h in headers["Headers"]}
    assert {"cloudfront-viewer-address", "origin", "content-type", "x-fs-signature"} <= named
    assert "host" not in named
    assert policy["OriginRequestPolicyConfig"]["CookiesConfig"] == {"CookieBehavior": "all"}
