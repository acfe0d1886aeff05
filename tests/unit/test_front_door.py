"""The front door (issue 10): the HTTP API answers only requests that came through CloudFront,
which adds the origin-verify secret as X-Origin-Verify. A request sent to the API's own URL is a
403 in the contract's shape before anything runs (no route, no DynamoDB call); the client
address is CloudFront's viewer address only behind the door, so a caller writing
CloudFront-Viewer-Address cannot pick their own rate-limit bucket. Rotation accepts current and
previous. ORIGIN_VERIFY may be off only on the local stack."""

from __future__ import annotations

import copy
import hmac
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from portal.config import InvalidSettings, settings_from
from portal.data.keys import rate_limit_key
from portal.edge import front_door
from tests.support import (
    EVENTS,
    ORIGIN_SECRET,
    body_of,
    count_items,
    event,
    invoke,
    login,
    sample_event,
    setup_client,
)

HTTP_FUNCTIONS = sorted(  # the functions whose sample event is an HTTP API request
    p.stem for p in Path(EVENTS).glob("*.json") if "routeKey" in json.loads(p.read_text())
)
WRONG_KEY = {"email": "nobody@example.com", "orderNumber": "JWT000000-0000-00000"}
SECRET_NAME = "customer-portal/local/origin-verify"
REFUSED = "This API answers only at the portal's own address."
READS = "before-parameter-build.secrets-manager.GetSecretValue"


def without_origin_header(ev: dict[str, Any]) -> dict[str, Any]:
    ev = copy.deepcopy(ev)
    ev["headers"].pop(front_door.ORIGIN_HEADER)
    return ev


def with_origin_header(ev: dict[str, Any], value: str) -> dict[str, Any]:
    ev = copy.deepcopy(ev)
    ev["headers"][front_door.ORIGIN_HEADER] = value
    return ev


def assert_refused(response: dict[str, Any]) -> None:
    assert response["statusCode"] == 403
    assert body_of(response) == {"error": {"code": "forbidden", "message": REFUSED}}
    assert response["headers"]["Cache-Control"] == "no-store"
    assert response["headers"]["X-Frame-Options"] == "DENY"


def put_origin_secret(value: str) -> None:
    """Change the origin secret as an operator would, and let the containers see it at once (as
    they do within the secrets cache's period)."""
    from portal import dependencies

    setup_client("secretsmanager").put_secret_value(SecretId=SECRET_NAME, SecretString=value)
    dependencies.reset()


# ---------------------------------------------------------------- refused before anything
@pytest.mark.parametrize("name", HTTP_FUNCTIONS)
def test_a_request_without_the_origin_header_is_403_and_costs_no_dynamodb_call(name, aws, calls):
    # given the function's genuine sample event, sent straight to the API (no CloudFront header)
    ev = without_origin_header(sample_event(name))
    # when it reaches the function
    response = invoke(name, ev)
    # then it is refused in the contract's shape, without a single DynamoDB call
    assert_refused(response)
    assert calls.operations == []


@pytest.mark.parametrize(
    "value",
    [
        "",
        "x",
        ORIGIN_SECRET + "x",
        ORIGIN_SECRET[:-1],
        ORIGIN_SECRET.upper(),
        " " + ORIGIN_SECRET,
        f"{ORIGIN_SECRET},{ORIGIN_SECRET}",
        "é" + ORIGIN_SECRET[1:],
    ],
)
def test_a_wrong_origin_header_is_403_and_writes_nothing(value, store):
    # given a sign-in attempt carrying a wrong origin header value
    ev = with_origin_header(event("login", body=WRONG_KEY), value)
    # when it reaches the function; then it is refused, and no rate-limit slot was taken
    assert_refused(invoke("login", ev))
    assert count_items(store, "RATE#") == 0


def test_the_header_is_read_in_any_case_of_its_name(aws):
    # given the right value under a differently cased name (API Gateway lower-cases, but still)
    ev = without_origin_header(event("login", body=WRONG_KEY))
    ev["headers"]["X-Origin-Verify"] = ORIGIN_SECRET
    # then the request goes on to the route (a wrong sign-in: 401, not 403)
    assert invoke("login", ev)["statusCode"] == 401


def test_the_values_are_compared_in_constant_time(aws, monkeypatch):
    # given a record of every comparison the front door makes
    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def recording(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(front_door, "hmac", SimpleNamespace(compare_digest=recording))
    put_origin_secret(json.dumps({"current": "new-value", "previous": ORIGIN_SECRET}))
    # when a request with the previous value comes in
    assert invoke("login", event("login", body=WRONG_KEY))["statusCode"] == 401
    # then it was compared with hmac.compare_digest against every accepted value, none skipped
    assert compared == [
        (ORIGIN_SECRET.encode(), b"new-value"),
        (ORIGIN_SECRET.encode(), ORIGIN_SECRET.encode()),
    ]


# ---------------------------------------------------------------- rotation
def test_the_previous_secret_is_accepted_during_a_rotation_and_refused_after(aws):
    # given a rotation under way: the new value current, the old one previous
    old, new = ORIGIN_SECRET, "rotated-origin-verify-value"
    put_origin_secret(json.dumps({"current": new, "previous": old}))
    ev = event("login", body=WRONG_KEY)
    # then both values pass the door (the route answers: a wrong sign-in is 401), a third does not
    assert invoke("login", with_origin_header(ev, new))["statusCode"] == 401
    assert invoke("login", with_origin_header(ev, old))["statusCode"] == 401
    assert_refused(invoke("login", with_origin_header(ev, "neither")))
    # when the rotation ends (previous dropped)
    put_origin_secret(json.dumps({"current": new}))
    # then the old value is refused and the new one still passes
    assert_refused(invoke("login", with_origin_header(ev, old)))
    assert invoke("login", with_origin_header(ev, new))["statusCode"] == 401


def test_a_rotating_secret_is_parsed_once_per_value_read_and_follows_a_new_value(monkeypatch):
    # given a secret read as a rotation (no AWS: the read itself is replaced)
    from portal.aws import secrets

    secrets.forget()
    stored = {"value": json.dumps({"current": "b", "previous": "a"})}
    monkeypatch.setattr(secrets, "get_secret", lambda name: stored["value"])
    parses: list[str] = []
    parse = secrets.json.loads
    monkeypatch.setattr(secrets.json, "loads", lambda raw: parses.append(raw) or parse(raw))
    # when asked three times; then current first, previous next, and parsed once
    assert [secrets.rotating_secret("s") for _ in range(3)] == [["b", "a"]] * 3
    assert len(parses) == 1
    # a caller changing its answer changes nobody else's
    secrets.rotating_secret("s").clear()
    assert secrets.rotating_secret("s") == ["b", "a"]
    # when the value read changes (the rotation ended; or a plain, non-JSON value)
    stored["value"] = json.dumps({"current": "b"})
    assert secrets.rotating_secret("s") == ["b"]
    stored["value"] = "plain-value"
    assert secrets.rotating_secret("s") == ["plain-value"]
    assert len(parses) == 3
    secrets.forget()


def test_an_unreadable_or_empty_secret_refuses_every_request(aws, calls):
    # given the origin secret gone from Secrets Manager
    from portal import dependencies

    setup_client("secretsmanager").delete_secret(
        SecretId=SECRET_NAME, ForceDeleteWithoutRecovery=True
    )
    dependencies.reset()
    # when a request with the (formerly) right header comes in
    response = invoke("me", event("me"))
    # then it fails closed: a 500 in the contract's shape, and no DynamoDB call
    assert response["statusCode"] == 500
    assert body_of(response)["error"]["code"] == "internal_error"
    assert calls.operations == []
    # and a secret with no value accepts nothing
    setup_client("secretsmanager").create_secret(Name=SECRET_NAME, SecretString='{"current": ""}')
    dependencies.reset()
    assert_refused(invoke("me", event("me")))


def test_the_secret_is_read_once_per_container_not_per_request(aws):
    # given a record of the Secrets Manager calls of the container
    from portal.aws import clients

    reads: list[str] = []
    client = clients.secretsmanager()
    client.meta.events.register(
        READS,
        lambda params, **_: reads.append(params["SecretId"]),
        unique_id="test-front-door-reads",
    )
    try:
        # when five requests come through the door
        for _ in range(5):
            assert invoke("me", event("me"))["statusCode"] == 401
    finally:
        client.meta.events.unregister(READS, unique_id="test-front-door-reads")
    # then the origin secret was read once
    assert reads == [SECRET_NAME]


# ---------------------------------------------------------------- the client address
def test_a_spoofed_viewer_address_without_the_origin_header_takes_no_bucket(store):
    # given an attacker sending sign-in guesses straight to the API, each with a made-up
    # CloudFront-Viewer-Address (a fresh limit bucket per request, were it believed)
    for n in range(5):
        ev = without_origin_header(event("login", body=WRONG_KEY, ip=f"198.51.100.{n}"))
        # then each is refused at the door and no rate-limit item exists at all
        assert_refused(invoke("login", ev))
    assert count_items(store, "RATE#") == 0


def test_behind_the_door_the_viewer_address_picks_the_bucket(store):
    # given a failed sign-in through CloudFront (origin header present) from viewer 198.51.100.7
    assert login(WRONG_KEY, ip="198.51.100.7")["statusCode"] == 401
    # then the per-IP window is the viewer's, not CloudFront's edge (the event's sourceIp)
    assert store.get(rate_limit_key("IP", "198.51.100.7")) is not None
    edge = sample_event("login")["requestContext"]["http"]["sourceIp"]
    assert store.get(rate_limit_key("IP", edge)) is None


def test_with_the_door_off_a_viewer_address_header_is_ignored(store, monkeypatch):
    # given the local stack's setting (no CloudFront: the door off)
    from portal import dependencies

    monkeypatch.setenv("STAGE", "local")
    monkeypatch.setenv("ORIGIN_VERIFY", "off")
    dependencies.reset()
    # when two sign-in guesses claim different viewer addresses from one TCP peer
    for spoofed in ("198.51.100.1", "198.51.100.2"):
        ev = without_origin_header(event("login", body=WRONG_KEY, ip=spoofed))
        assert invoke("login", ev)["statusCode"] == 401
    # then both count against the TCP peer's one bucket, neither against a claimed address
    peer = sample_event("login")["requestContext"]["http"]["sourceIp"]
    assert store.get(rate_limit_key("IP", peer)) is not None
    assert store.get(rate_limit_key("IP", "198.51.100.1")) is None
    assert store.get(rate_limit_key("IP", "198.51.100.2")) is None
    assert count_items(store, "RATE#IP#") == 1


# ---------------------------------------------------------------- the setting
BASE = {"TABLE_NAME": "PortalTable", "PORTAL_ORIGIN": "https://portal.example.com"}


@pytest.mark.parametrize("stage", ["dev", "prod", "test"])
def test_the_door_may_be_off_only_on_the_local_stage(stage):
    # given a deployed (or test) stage with the door switched off; then the settings refuse it
    with pytest.raises(InvalidSettings):
        settings_from({**BASE, "STAGE": stage, "ORIGIN_VERIFY": "off"})
    # and on is the default everywhere, off accepted on local only
    assert settings_from({**BASE, "STAGE": stage}).origin_verify is True
    assert settings_from({**BASE, "STAGE": "local", "ORIGIN_VERIFY": "off"}).origin_verify is False


@pytest.mark.parametrize("value", ["", "yes", "false", "0", "of"])
def test_an_unclear_door_setting_is_refused(value):
    with pytest.raises(InvalidSettings):
        settings_from({**BASE, "STAGE": "local", "ORIGIN_VERIFY": value})
