"""The acceptance of the foundation and orders issues, over real HTTP against a local stack the
tests start (moto server on loopback, SAM's event building, handlers in-process)."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from local import fastspring as fs
from local.demo_data import DEMO_EMAIL, DEMO_ORDER, SECOND_EMAIL, SECOND_ORDER
from local.stack import LocalStack

pytestmark = pytest.mark.integration
SECRET = "local-development-fastspring-webhook-secret"
VOLATILE = {"date", "server", "connection", "keep-alive"}


@pytest.fixture(scope="class")
def stack():
    with LocalStack(seed=True) as running:
        yield running


class Client:
    """A browser-like client: keeps the __Host- cookie itself (requests will not send a Secure
    cookie over http://127.0.0.1) and sends the portal's Origin on state-changing calls."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.token: str | None = None

    def call(self, method: str, path: str, **kw: Any) -> requests.Response:
        headers = kw.pop("headers", {})
        if self.token:
            headers["Cookie"] = f"__Host-portal_session={self.token}"
        if method != "GET":
            headers.setdefault("Origin", self.base)
        return requests.request(method, self.base + path, headers=headers, timeout=30, **kw)

    def login(self, email: str, order: str) -> requests.Response:
        response = self.call("POST", "/api/auth/login", json={"email": email, "orderNumber": order})
        cookie = response.headers.get("Set-Cookie", "")
        if response.status_code == 200:
            self.token = cookie.split(";")[0].split("=", 1)[1]
        return response


def comparable(response: requests.Response) -> tuple:
    headers = {k.lower(): v for k, v in response.headers.items() if k.lower() not in VOLATILE}
    return response.status_code, response.content, headers


class TestFoundationAcceptance:
    def test_demo_sign_in_home_page_and_sign_out(self, stack):
        client = Client(stack.base_url)
        response = client.login(DEMO_EMAIL, "jwt160930-9510-42210 ")
        assert response.status_code == 200
        cookie = response.headers["Set-Cookie"]
        assert cookie.startswith("__Host-portal_session=")
        for flag in ("Secure", "HttpOnly", "SameSite=Strict", "Path=/"):
            assert flag in cookie
        assert "Domain" not in cookie
        licenses = client.call("GET", "/api/licenses").json()["items"]
        assert [lic["serialNumber"] for lic in licenses] == ["P30", "P65", "P24", "P6E", "P62"]
        supports = client.call("GET", "/api/supports").json()["items"]
        assert len(supports) == 7
        key = client.call("GET", "/api/me").json()["activationKey"]
        groups = key.split("-")
        assert all(len(g) == 4 for g in groups) and len("".join(groups)) * 5 >= 80
        assert client.call("POST", "/api/auth/logout").status_code == 204
        assert client.call("GET", "/api/licenses").status_code == 401

    def test_second_customer_gets_404_for_the_first_customers_ids(self, stack):
        first = Client(stack.base_url)
        assert first.login(SECOND_EMAIL, SECOND_ORDER).status_code == 200
        demo = Client(stack.base_url)
        assert demo.login(DEMO_EMAIL.upper(), DEMO_ORDER.lower()).status_code == 200
        license_id = demo.call("GET", "/api/licenses").json()["items"][0]["id"]
        support_id = demo.call("GET", "/api/supports").json()["items"][0]["id"]
        for path in (
            f"/api/licenses/{license_id}/file",
            f"/api/supports/{support_id}/file",
            f"/api/orders/{DEMO_ORDER}",
        ):
            assert first.call("GET", path).status_code == 404, path
            assert demo.call("GET", path).status_code == 200, path

    def test_failures_are_byte_identical_and_the_eleventh_is_429(self, stack):
        client = Client(stack.base_url)
        answers = [
            client.login(DEMO_EMAIL, "JWT160930-9510-42211"),
            client.login("nobody-at-all@example.com", DEMO_ORDER),
            client.login(DEMO_EMAIL, SECOND_ORDER),
        ]
        assert answers[0].status_code == 401
        assert comparable(answers[0]) == comparable(answers[1]) == comparable(answers[2])
        for attempt in range(8):
            assert client.login(DEMO_EMAIL, f"JWT{attempt}").status_code == 401
        limited = client.login(DEMO_EMAIL, "JWT11")
        assert limited.status_code == 429
        assert 1 <= int(limited.headers["Retry-After"]) <= 900
        assert limited.json()["error"]["code"] == "too_many_attempts"


@pytest.fixture(scope="class")
def second_stack():
    with LocalStack(seed=True) as running:
        yield running


class TestOrdersAcceptance:
    def test_signed_order_appears_once_and_a_refund_removes_it(self, second_stack):
        base = second_stack.base_url
        webhook = base + "/api/webhooks/fastspring"
        order = fs.order_completed(email="new.buyer@example.com", skus=["T-ENT-10", "S1Y-T-ENT-10"])
        reference = order["data"]["reference"]
        assert fs.post(webhook, fs.batch(order), SECRET) == (200, order["id"])
        client = Client(base)
        assert client.login("new.buyer@example.com", reference).status_code == 200
        orders = client.call("GET", "/api/orders").json()
        assert [o["reference"] for o in orders["items"]] == [reference]
        detail = client.call("GET", f"/api/orders/{reference}").json()
        assert [i["sku"] for i in detail["items"]] == ["T-ENT-10", "S1Y-T-ENT-10"]
        assert len(client.call("GET", "/api/licenses").json()["items"]) == 1
        assert len(client.call("GET", "/api/supports").json()["items"]) == 1

        # again with the same id and with a new one: nothing changes
        assert fs.post(webhook, fs.batch(order), SECRET)[0] == 200
        assert fs.post(webhook, fs.batch({**order, "id": fs.new_id()}), SECRET)[0] == 200
        assert len(client.call("GET", "/api/orders").json()["items"]) == 1
        assert len(client.call("GET", "/api/licenses").json()["items"]) == 1

        # a bad signature: 401 and nothing written
        other = fs.order_completed(email="forger@example.com", skus=["T-ENT-100"])
        status, _ = fs.post(webhook, fs.batch(other), "wrong-secret")
        assert status == 401
        assert (
            Client(base).login("forger@example.com", other["data"]["reference"]).status_code == 401
        )

        refund = fs.return_created(reference=reference, original_order_id=order["data"]["id"])
        assert fs.post(webhook, fs.batch(refund), SECRET)[0] == 200
        assert client.call("GET", "/api/licenses").json()["items"] == []
        assert client.call("GET", "/api/supports").json()["items"] == []
        assert client.call("GET", "/api/orders").json()["items"][0]["status"] == "refunded"

    def test_concurrent_and_repeated_deliveries_make_one_order(self, second_stack):
        base = second_stack.base_url
        webhook = base + "/api/webhooks/fastspring"
        order = fs.order_completed(email="rush@example.com", skus=["T-ENT-5", "S2Y-T-ENT-5"])
        deliveries = [order] * 10 + [{**order, "id": fs.new_id()} for _ in range(3)]
        with ThreadPoolExecutor(max_workers=4) as pool:
            statuses = list(
                pool.map(lambda ev: fs.post(webhook, fs.batch(ev), SECRET)[0], deliveries)
            )
        assert set(statuses) <= {200, 202, 503}
        # whatever was not acknowledged is re-sent, as FastSpring would
        for ev, status in zip(deliveries, statuses, strict=True):
            if status != 200:
                assert fs.post(webhook, fs.batch(ev), SECRET)[0] == 200
        client = Client(base)
        assert client.login("rush@example.com", order["data"]["reference"]).status_code == 200
        assert len(client.call("GET", "/api/orders").json()["items"]) == 1
        assert len(client.call("GET", "/api/licenses").json()["items"]) == 1
        assert len(client.call("GET", "/api/supports").json()["items"]) == 1

    def test_parallel_sign_in_guesses_cannot_overshoot_the_limit(self, second_stack):
        client = Client(second_stack.base_url)

        def guess(n: int) -> int:
            return client.login(SECOND_EMAIL, f"JWT9{n:03d}").status_code

        with ThreadPoolExecutor(max_workers=6) as pool:
            statuses = list(pool.map(guess, range(30)))
        assert statuses.count(401) <= 10
        assert set(statuses) <= {401, 429}

    def test_security_headers_on_api_answers_and_pages(self, second_stack):
        for path in ("/", "/home.html", "/api/me", "/api/nothing"):
            response = requests.get(second_stack.base_url + path, timeout=10)
            assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert response.headers["Strict-Transport-Security"].startswith("max-age=")
        started = time.monotonic()
        assert requests.get(second_stack.base_url + "/api/me", timeout=10).json() == {
            "error": {"code": "unauthenticated", "message": "Please sign in."}
        }
        assert time.monotonic() - started < 30
        assert json.loads(
            requests.get(second_stack.base_url + "/api/activation/keys", timeout=10).content
        )["keys"]
