"""SECURITY.md 26 and the error contract: every response, errors included, carries the security
headers; authenticated data is never cached; unknown routes answer in the contract's shape."""

from __future__ import annotations

import pytest

from tests.support import body_of, event, invoke, session_token

DEMO = {"email": "demo@example.com", "orderNumber": "JWT160930-9510-42210"}
CSP = "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"


def assert_secure_headers(response: dict) -> None:
    headers = response["headers"]
    assert headers["Strict-Transport-Security"].startswith("max-age=")
    assert int(headers["Strict-Transport-Security"].split("=")[1].split(";")[0]) >= 31536000
    assert headers["Content-Security-Policy"] == CSP
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"]
    assert headers["Cache-Control"] == "no-store"


def test_success_and_error_responses_carry_the_security_headers(seeded):
    token = session_token(invoke("login", event("login", body=DEMO)))
    responses = [
        invoke("login", event("login", body=DEMO)),
        invoke("login", event("login", body={"email": "x@example.com", "orderNumber": "JWT1"})),
        invoke("login", event("login", body="{")),
        invoke("me", event("me", token=token)),
        invoke("me", event("me", token=None)),
        invoke("list_licenses", event("list_licenses", token=token, query={"limit": "0"})),
        invoke("logout", event("logout", token=token)),
    ]
    for response in responses:
        assert_secure_headers(response)


def test_a_route_the_function_does_not_serve_is_404_in_contract_shape(seeded):
    ev = event("me", token=None)
    ev["rawPath"] = ev["requestContext"]["http"]["path"] = "/api/nothing-here"
    response = invoke("me", ev)
    assert response["statusCode"] == 404
    assert body_of(response) == {"error": {"code": "not_found", "message": "Not found."}}
    assert_secure_headers(response)


def test_an_unexpected_failure_is_a_500_without_internals(seeded, monkeypatch):
    from portal.licensing import licenses

    def boom(*args, **kwargs):
        raise RuntimeError("secret internals: table PortalTable pk=CUST#")

    monkeypatch.setattr(licenses, "list_licenses", boom)
    token = session_token(invoke("login", event("login", body=DEMO)))
    response = invoke("list_licenses", event("list_licenses", token=token, query={}))
    assert response["statusCode"] == 500
    assert "internals" not in response["body"] and "CUST#" not in response["body"]
    assert body_of(response)["error"]["code"] == "internal_error"


@pytest.mark.parametrize("name", ["login", "logout", "me", "list_licenses", "list_supports"])
def test_every_sample_event_is_answered_by_its_handler(seeded, name):
    from tests.support import sample_event

    response = invoke(name, sample_event(name))
    # sample events carry a production origin and a placeholder session: a clean 4xx, never 5xx
    assert 400 <= response["statusCode"] < 500
    assert body_of(response)["error"]["code"]
