"""Sessions per SECURITY.md 5 and 7: idle and absolute timeouts from stored timestamps, logout."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from portal import dependencies
from portal.clock import FixedClock
from tests.support import body_of, event, invoke, session_token

DEMO = {"email": "demo@example.com", "orderNumber": "JWT160930-9510-42210"}


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FixedClock:
    fixed = FixedClock(datetime(2026, 11, 27, 9, 0, tzinfo=UTC))
    monkeypatch.setattr(dependencies, "clock", lambda: fixed)
    return fixed


def signed_in() -> str:
    return session_token(invoke("login", event("login", body=DEMO)))


def me(token: str | None) -> dict:
    return invoke("me", event("me", token=token))


def test_session_survives_activity_and_dies_after_30_idle_minutes(seeded, clock):
    token = signed_in()
    for _ in range(5):
        clock.advance(minutes=29)
        assert me(token)["statusCode"] == 200
    clock.advance(minutes=30, seconds=1)
    response = me(token)
    assert response["statusCode"] == 401
    assert body_of(response)["error"]["code"] == "unauthenticated"


def test_absolute_timeout_boundary(seeded, clock):
    token = signed_in()
    for _ in range(24):  # 24 * 29 min = 11 h 36 min: still alive
        clock.advance(minutes=29)
        assert me(token)["statusCode"] == 200
    clock.advance(minutes=25)  # 12 h 01 min after sign-in
    assert me(token)["statusCode"] == 401


def test_logout_deletes_the_session_server_side(seeded):
    token = signed_in()
    response = invoke("logout", event("logout", token=token))
    assert response["statusCode"] == 204
    assert any("Max-Age=0" in c for c in response["cookies"])
    assert me(token)["statusCode"] == 401


def test_logout_needs_the_portal_origin(seeded):
    token = signed_in()
    response = invoke("logout", event("logout", token=token, origin="https://evil.example"))
    assert response["statusCode"] == 403
    assert me(token)["statusCode"] == 200


@pytest.mark.parametrize("token", [None, "", "x" * 43, "short", "a" * 43 + "'; DROP", "é" * 43])
def test_missing_or_forged_tokens_are_401(seeded, token):
    assert me(token)["statusCode"] == 401
