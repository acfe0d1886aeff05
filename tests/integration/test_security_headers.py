"""SECURITY.md 26 over HTTP: every answer of a started local stack carries the security headers of
portal.edge.headers - pages, files, API answers and API errors (400, 401, 403, 404, 413, 415),
unknown /api paths and methods (API Gateway's own 404), unknown and forbidden static paths, the
local mailbox. The fuzzing (test_fuzz_openapi.py) checks the same on each of its answers.

Not covered: answers werkzeug's development server writes itself before any app runs (a request
line it cannot parse), which production never sends (CloudFront answers those), and the FastSpring
stand-in on the next port, which plays another company's server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from local.demo_data import DEMO_EMAIL, DEMO_ORDER
from local.stack import LocalStack
from portal.edge.request import MAX_BODY_BYTES
from tests.support import SESSION_COOKIE, security_header_faults, signed_in_client

pytestmark = pytest.mark.integration

# (what, method, path, request arguments, the status it must get)
SIGNED_OUT: list[tuple[str, str, str, dict[str, Any], int]] = [
    ("the sign-in page", "GET", "/", {}, 200),
    ("a page", "GET", "/home.html", {}, 200),
    ("a page, HEAD", "HEAD", "/orders.html", {}, 200),
    ("a script", "GET", "/js/api.js", {}, 200),
    ("a missing file", "GET", "/nothing.html", {}, 404),
    ("a dot-file", "GET", "/.env", {}, 404),
    ("a path escaping web/", "GET", "/js/..%2F..%2Ftemplate.yaml", {}, 404),
    ("a directory", "GET", "/js/", {}, 404),
    ("a page, POST (405 in Flask)", "POST", "/index.html", {}, 404),
    ("a page, OPTIONS", "OPTIONS", "/", {}, 404),
    ("the public keys", "GET", "/api/activation/keys", {}, 200),
    ("a session route, signed out", "GET", "/api/me", {}, 401),
    ("a list, signed out", "GET", "/api/licenses", {}, 401),
    ("an unknown /api path", "GET", "/api/nothing", {}, 404),
    ("/api itself", "GET", "/api", {}, 404),
    ("a route with a trailing part", "GET", "/api/me/more", {}, 404),
    ("a route, another method (405 in Flask)", "DELETE", "/api/me", {}, 404),
    ("a route, PUT instead of GET", "PUT", "/api/activation/keys", {}, 404),
    ("a route, OPTIONS", "OPTIONS", "/api/auth/login", {}, 404),
    ("a route, PATCH", "PATCH", "/api/auth/login", {}, 404),
    ("sign-in from another origin", "POST", "/api/auth/login", {"json": {}, "origin": "evil"}, 403),
    ("sign-in, not JSON", "POST", "/api/auth/login", {"data": "email=x", "type": "form"}, 415),
    ("sign-in, malformed JSON", "POST", "/api/auth/login", {"data": "{", "type": "json"}, 400),
    ("sign-in, JSON not an object", "POST", "/api/auth/login", {"json": [1]}, 400),
    ("sign-in, a field too long", "POST", "/api/auth/login", {"json": {"email": "a" * 300}}, 400),
    (
        "sign-in, wrong pair",
        "POST",
        "/api/auth/login",
        {"json": {"email": "nobody@example.com", "orderNumber": "JWT1"}},
        401,
    ),
    ("sign-in, a body too large", "POST", "/api/auth/login", {"data": "too large"}, 413),
    ("a code without a sign-in", "POST", "/api/auth/verify", {"json": {"code": "123456"}}, 401),
    ("a deep JSON body", "POST", "/api/auth/link", {"data": "[" * 10_000, "type": "json"}, 400),
    ("an unsigned webhook", "POST", "/api/webhooks/fastspring", {"json": {"events": []}}, 401),
    (
        "a wrong activation key",
        "POST",
        "/api/activation/activate",
        {
            "json": {
                "activationKey": "AAAA-BBBB-CCCC-DDDD-EEEE",
                "computerId": "PC-1",
                "computerName": "PC",
                "product": "TSplus",
            }
        },
        401,
    ),
    ("a malformed order number", "GET", "/api/orders/JWT;1", {}, 401),
    ("the mailbox", "GET", "/_mailbox/", {}, 200),
    ("the mailbox's messages", "GET", "/_mailbox/messages", {}, 200),
    ("the mailbox, no slash", "GET", "/_mailbox", {"allow_redirects": False}, 308),
    ("the mailbox, an unknown path", "GET", "/_mailbox/nothing", {}, 404),
    ("the mailbox, POST", "POST", "/_mailbox/messages", {}, 404),
]
SIGNED_IN: list[tuple[str, str, str, dict[str, Any], int]] = [
    ("me", "GET", "/api/me", {}, 200),
    ("a list", "GET", "/api/licenses", {}, 200),
    ("a forged cursor", "GET", "/api/licenses?cursor=AAAA", {}, 400),
    ("a bad limit", "GET", "/api/orders?limit=0", {}, 400),
    ("a malformed order number", "GET", "/api/orders/JWT;1", {}, 400),
    ("a missing license", "GET", "/api/licenses/01ARZ3NDEKTSV4RRFFQ69G5FAV/file", {}, 404),
    ("a malformed license id", "GET", "/api/licenses/x/history", {}, 404),
    (
        "preferences, another origin",
        "PUT",
        "/api/me/preferences",
        {"json": {"reminders": True}, "origin": "evil"},
        403,
    ),
    ("preferences, a field unknown", "PUT", "/api/me/preferences", {"json": {"x": 1}}, 400),
    (
        "a quote for a missing license",
        "POST",
        "/api/upgrades/quotes",
        {"json": {"licenseId": "01ARZ3NDEKTSV4RRFFQ69G5FAV", "additionalWorkstations": 1}},
        404,
    ),
    (
        "a release, another method",
        "GET",
        "/api/licenses/01ARZ3NDEKTSV4RRFFQ69G5FAV/release",
        {},
        404,
    ),
]
TYPES = {"form": "application/x-www-form-urlencoded", "json": "application/json"}


@pytest.fixture(scope="module")
def stack() -> Iterator[tuple[str, str]]:
    with LocalStack(seed=True) as running:
        who = {"email": DEMO_EMAIL, "orderNumber": DEMO_ORDER}
        yield running.base_url, str(signed_in_client(running.base_url, who).token)


def send(base: str, method: str, path: str, options: dict[str, Any], token: str | None):
    options = dict(options)
    headers = {"Origin": base if options.pop("origin", None) is None else "https://evil.example"}
    if token:
        headers["Cookie"] = f"{SESSION_COOKIE}={token}"
    if "type" in options:
        headers["Content-Type"] = TYPES[options.pop("type")]
    if options.get("data") == "too large":
        options["data"] = json.dumps({"email": "a" * MAX_BODY_BYTES})
        headers["Content-Type"] = TYPES["json"]
    return requests.request(method, base + path, headers=headers, timeout=30, **options)


def test_every_answer_carries_the_security_headers(stack):
    base, token = stack
    checked = []
    # given requests of every kind: pages, files, API answers and errors, unknown paths and
    # methods, malformed and oversized bodies, the mailbox; signed out and signed in
    walk = [(*request, None) for request in SIGNED_OUT] + [(*r, token) for r in SIGNED_IN]
    for what, method, path, options, status, session in walk:
        # when each is sent
        response = send(base, method, path, options, session)
        # then it gets the status it is here for, with every security header
        assert response.status_code == status, (what, response.status_code, response.text[:200])
        faults = security_header_faults(
            path, response.status_code, response.headers, response.content
        )
        assert not faults, (what, faults)
        checked.append(what)
    assert len(checked) == len(SIGNED_OUT) + len(SIGNED_IN) >= 45


def test_the_check_notices_a_missing_or_changed_header():
    # given the headers of an API answer, one removed or weakened at a time
    from portal.edge.headers import API_HEADERS

    for name in API_HEADERS:
        lacking = {k: v for k, v in API_HEADERS.items() if k != name}
        weakened = {**API_HEADERS, name: "x"}
        # then each is noticed, on an API answer as on a page (Cache-Control aside)
        assert security_header_faults("/api/me", 401, lacking, b'{"error": {}}'), name
        assert security_header_faults("/api/me", 401, weakened, b'{"error": {}}'), name
        if name != "Cache-Control":
            assert security_header_faults("/home.html", 200, lacking, b""), name
    # and a function's 404 must say no-store, where API Gateway's own need not
    without_cache = {k: v for k, v in API_HEADERS.items() if k != "Cache-Control"}
    assert security_header_faults("/api/me/x", 404, without_cache, b'{"error": {}}')
    assert not security_header_faults("/api/me/x", 404, without_cache, b'{"message":"Not Found"}')
