"""Sessions per SECURITY.md 5 and 7: idle and absolute timeouts from stored timestamps, logout."""

from __future__ import annotations

import pytest

from tests.support import body_of, call, event, invoke, sign_in


def me(token: str | None) -> dict:
    return call("me", token)


def test_session_survives_activity_and_dies_after_30_idle_minutes(make_customer, clock):
    # given a signed-in customer, active every 29 minutes
    token = sign_in(make_customer())
    for _ in range(5):
        clock.advance(minutes=29)
        assert me(token)["statusCode"] == 200

    # when they are idle for 30 minutes and a second
    clock.advance(minutes=30, seconds=1)
    response = me(token)

    # then the session is over
    assert response["statusCode"] == 401
    assert body_of(response)["error"]["code"] == "unauthenticated"


def test_absolute_timeout_boundary(make_customer, clock):
    # given a signed-in customer, active every 29 minutes: still signed in after 11 h 36 min
    token = sign_in(make_customer())
    for _ in range(24):
        clock.advance(minutes=29)
        assert me(token)["statusCode"] == 200

    # when 12 h 01 min have passed since the sign-in, then the session is over
    clock.advance(minutes=25)
    assert me(token)["statusCode"] == 401


def test_logout_deletes_the_session_server_side(make_customer):
    # given a signed-in customer
    token = sign_in(make_customer())

    # when they log out
    response = invoke("logout", event("logout", token=token))

    # then the cookie is cleared and the token no longer works
    assert response["statusCode"] == 204
    assert any("Max-Age=0" in c for c in response["cookies"])
    assert me(token)["statusCode"] == 401


def test_logout_needs_the_portal_origin(make_customer):
    # given a signed-in customer
    token = sign_in(make_customer())

    # when a logout comes from another origin
    response = invoke("logout", event("logout", token=token, origin="https://evil.example"))

    # then it is refused and the session lives on
    assert response["statusCode"] == 403
    assert me(token)["statusCode"] == 200


@pytest.mark.parametrize("token", [None, "", "x" * 43, "short", "a" * 43 + "'; DROP", "é" * 43])
def test_missing_or_forged_tokens_are_401(make_customer, token):
    # given a signed-in customer, when a missing or forged token is sent, then 401
    sign_in(make_customer())
    assert me(token)["statusCode"] == 401
