"""The acceptance of the foundation, orders and activation issues, over real HTTP against a local
stack the tests start (moto server on loopback, SAM's event building, handlers in-process). The
guide's customer comes from the demo data; where a test counts something (failed sign-ins,
orders), it makes its own customer (tests.factories.stack_factory) or its own order."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from local import fastspring as fs
from local.stack import LocalStack
from tests.factories import stack_factory
from tests.support import (
    DEMO_EMAIL,
    DEMO_LICENSES,
    DEMO_ORDER,
    DEMO_SUPPORT_SERIALS,
    SECOND_EMAIL,
    SECOND_ORDER,
    HttpClient,
    signed_in_client,
)

pytestmark = pytest.mark.integration
VOLATILE = {"date", "server", "connection", "keep-alive"}
ENTERPRISE_10 = ("TSplus", "Enterprise", 10)


@pytest.fixture(scope="class")
def stack():
    with LocalStack(seed=True) as running:
        yield running


def comparable(response: requests.Response) -> tuple:
    headers = {k.lower(): v for k, v in response.headers.items() if k.lower() not in VOLATILE}
    return response.status_code, response.content, headers


class TestFoundationAcceptance:
    def test_demo_sign_in_home_page_and_sign_out(self, stack):
        # given the guide's customer, typing the order number in lower case with a space
        client = HttpClient(stack.base_url)

        # when they sign in from this fresh browser, then a code is mailed to the demo mailbox
        before = client.mailbox_ids()
        assert client.login(DEMO_EMAIL, DEMO_ORDER.lower() + " ").status_code == 202
        # when they send it
        response = client.verify(client.mailed(DEMO_EMAIL, after=before))

        # then host-only, secure session and trusted-browser cookies are set ...
        assert response.status_code == 200
        cookies = response.raw.headers.getlist("Set-Cookie")
        for name in ("__Host-portal_session=", "__Host-portal_trust="):
            (cookie,) = [c for c in cookies if c.startswith(name)]
            for flag in ("Secure", "HttpOnly", "SameSite=Strict", "Path=/"):
                assert flag in cookie
            assert "Domain" not in cookie
        # ... and the home page's data are the guide's licenses, supports and a key
        licenses = client.get_json("/api/licenses")["items"]
        assert [lic["serialNumber"] for lic in licenses] == [s for s, _ in DEMO_LICENSES]
        supports = client.get_json("/api/supports")["items"]
        assert len(supports) == len(DEMO_SUPPORT_SERIALS)
        assert sorted(sup["serialNumber"] for sup in supports) == DEMO_SUPPORT_SERIALS
        key = client.get_json("/api/me")["activationKey"]
        groups = key.split("-")
        assert all(len(g) == 4 for g in groups) and len("".join(groups)) * 5 >= 80

        # when they sign out, then the same cookie opens nothing any more
        assert client.call("POST", "/api/auth/logout").status_code == 204
        assert client.call("GET", "/api/licenses").status_code == 401

    def test_second_customer_gets_404_for_the_first_customers_ids(self, stack):
        # given the second customer and the guide's customer, both signed in
        first = signed_in_client(
            stack.base_url, {"email": SECOND_EMAIL, "orderNumber": SECOND_ORDER}
        )
        demo = signed_in_client(
            stack.base_url, {"email": DEMO_EMAIL.upper(), "orderNumber": DEMO_ORDER.lower()}
        )
        licenses = demo.get_json("/api/licenses")["items"]
        license_id = next(lic["id"] for lic in licenses if lic["computerId"])  # it has a file
        support_id = demo.get_json("/api/supports")["items"][0]["id"]

        # when each asks for the guide customer's files and order, then only the owner gets them
        for path in (
            f"/api/licenses/{license_id}/file",
            f"/api/supports/{support_id}/file",
            f"/api/orders/{DEMO_ORDER}",
        ):
            assert first.call("GET", path).status_code == 404, path
            assert demo.call("GET", path).status_code == 200, path

    def test_failures_are_byte_identical_and_the_eleventh_is_429(self, stack):
        # given a customer of this test's own, so no other test's failures count
        customer = stack_factory(stack)(licenses=[ENTERPRISE_10])
        client = HttpClient(stack.base_url)

        # when signing in fails three ways: wrong order, unknown email, another customer's order
        answers = [
            client.login(customer.email, customer.order_number + "1"),
            client.login("nobody-at-all@example.com", customer.order_number),
            client.login(customer.email, SECOND_ORDER),
        ]

        # then the three answers are the same bytes
        assert answers[0].status_code == 401
        assert comparable(answers[0]) == comparable(answers[1]) == comparable(answers[2])

        # when the email has failed 10 times in all (2 above + 8), then the 11th is limited
        for attempt in range(8):
            assert client.login(customer.email, f"JWT{attempt}").status_code == 401
        limited = client.login(customer.email, "JWT11")
        assert limited.status_code == 429
        assert 1 <= int(limited.headers["Retry-After"]) <= 900
        assert limited.json()["error"]["code"] == "too_many_attempts"
        # even the right order number is refused while limited
        assert client.login(customer.email, customer.order_number).status_code == 429

    def test_buying_with_the_demo_email_opens_the_demo_account_only_with_its_mailed_code(
        self, stack
    ):
        """Issue 10's acceptance: FastSpring does not verify buyers' emails."""
        # given an attacker who bought with the guide's customer's email: a real order number
        order = fs.order_completed(email=DEMO_EMAIL, skus=["T-ENT-5"])
        webhook = stack.base_url + "/api/webhooks/fastspring"
        assert fs.post(webhook, fs.signed_batch(order)) == (200, order["id"])
        reference = order["data"]["reference"]
        attacker = HttpClient(stack.base_url)
        before = attacker.mailbox_ids()

        # when they sign in with it from a fresh browser
        answer = attacker.login(DEMO_EMAIL, reference)

        # then a code goes to the demo mailbox, and none of the customer's data is reachable
        assert answer.status_code == 202 and answer.json()["verification"] == "email_code"
        assert attacker.token is None
        for path in ("/api/me", "/api/licenses", "/api/supports", "/api/orders"):
            assert attacker.call("GET", path).status_code == 401, path
        code = attacker.mailed(DEMO_EMAIL, after=before)  # the customer's mailbox, not theirs
        guess = f"{(int(code) + 1) % 10**6:06d}"
        assert attacker.verify(guess).status_code == 401
        assert attacker.call("GET", "/api/me").status_code == 401

        # when the code from the demo mailbox is sent, then the browser is signed in
        assert attacker.verify(code).status_code == 200
        assert attacker.get_json("/api/me")["email"] == DEMO_EMAIL
        assert attacker.trust is not None

        # and the same browser is not asked again: no code, straight in
        attacker.call("POST", "/api/auth/logout")
        assert attacker.token is None
        again = attacker.login(DEMO_EMAIL, reference)
        assert again.status_code == 200, again.text
        assert attacker.get_json("/api/me")["email"] == DEMO_EMAIL

        # while another fresh browser with the same pair is asked for a code again
        assert HttpClient(stack.base_url).login(DEMO_EMAIL, reference).status_code == 202

    def test_a_link_is_mailed_only_to_a_customer_and_signs_in_once_with_a_post(self, stack):
        # given a customer of this test's own, and a fresh browser
        customer = stack_factory(stack)(licenses=[ENTERPRISE_10])
        client = HttpClient(stack.base_url)
        before = client.mailbox_ids()

        # when a link is asked for an unknown address and for the customer's
        unknown = client.call("POST", "/api/auth/link", json={"email": "nobody@example.com"})
        known = client.call("POST", "/api/auth/link", json={"email": customer.email})

        # then both answers are the same 202 {}, and the customer's mailbox gets the link
        assert (unknown.status_code, unknown.json()) == (known.status_code, known.json())
        assert known.status_code == 202 and known.json() == {}
        link = client.mailed(customer.email, after=before, kind="link")
        assert not any("nobody@example.com" in m["to"] for m in client.mailbox())
        token = link.split("#token=", 1)[1]

        # when the link's page is fetched (as a mail scanner prefetches it), then nothing changes
        page = client.call("GET", "/link.html")
        assert page.status_code == 200 and "redeem-button" in page.text

        # when the page POSTs the token, then the browser is signed in, once
        redeemed = client.call("POST", "/api/auth/link/redeem", json={"token": token})
        assert redeemed.status_code == 200, redeemed.text
        assert client.get_json("/api/me")["email"] == customer.email
        again = client.call("POST", "/api/auth/link/redeem", json={"token": token})
        assert again.status_code == 401 and again.json()["error"]["code"] == "invalid_link"


@pytest.fixture(scope="class")
def second_stack():
    with LocalStack(seed=True) as running:
        yield running


class TestOrdersAcceptance:
    def test_signed_order_appears_once_and_a_refund_removes_it(self, second_stack):
        base = second_stack.base_url
        webhook = base + "/api/webhooks/fastspring"
        # given a new buyer's signed order
        order = fs.order_completed(email="new.buyer@example.com", skus=["T-ENT-10", "S1Y-T-ENT-10"])
        reference = order["data"]["reference"]

        # when FastSpring delivers it, then it is acknowledged and the buyer sees it
        assert fs.post(webhook, fs.signed_batch(order)) == (200, order["id"])
        client = signed_in_client(
            base, {"email": "new.buyer@example.com", "orderNumber": reference}
        )
        orders = client.get_json("/api/orders")
        assert [o["reference"] for o in orders["items"]] == [reference]
        detail = client.get_json(f"/api/orders/{reference}")
        assert [i["sku"] for i in detail["items"]] == ["T-ENT-10", "S1Y-T-ENT-10"]
        assert len(client.get_json("/api/licenses")["items"]) == 1
        assert len(client.get_json("/api/supports")["items"]) == 1

        # when delivered again with the same id and with a new one, then nothing changes
        assert fs.post(webhook, fs.signed_batch(order))[0] == 200
        assert fs.post(webhook, fs.signed_batch({**order, "id": fs.new_id()}))[0] == 200
        assert len(client.get_json("/api/orders")["items"]) == 1
        assert len(client.get_json("/api/licenses")["items"]) == 1

        # when an order is signed with the wrong secret, then 401 and nothing written
        other = fs.order_completed(email="forger@example.com", skus=["T-ENT-100"])
        status, _ = fs.post(webhook, fs.signed_batch(other, secret="wrong-secret"))
        assert status == 401
        assert (
            HttpClient(base).login("forger@example.com", other["data"]["reference"]).status_code
            == 401
        )

        # when the order is refunded, then its license and support are gone
        refund = fs.return_created(reference=reference, original_order_id=order["data"]["id"])
        assert fs.post(webhook, fs.signed_batch(refund))[0] == 200
        assert client.get_json("/api/licenses")["items"] == []
        assert client.get_json("/api/supports")["items"] == []
        assert client.get_json("/api/orders")["items"][0]["status"] == "refunded"

    def test_concurrent_and_repeated_deliveries_make_one_order(self, second_stack):
        base = second_stack.base_url
        webhook = base + "/api/webhooks/fastspring"
        # given one order delivered 10 times with its id and 3 times with new ids (manual
        # re-sends from FastSpring's app), four deliveries at a time
        order = fs.order_completed(email="rush@example.com", skus=["T-ENT-5", "S2Y-T-ENT-5"])
        reference = order["data"]["reference"]
        deliveries = [order] * 10 + [{**order, "id": fs.new_id()} for _ in range(3)]

        # when they all arrive at once
        with ThreadPoolExecutor(max_workers=4) as pool:
            answers = list(pool.map(lambda ev: fs.post(webhook, fs.signed_batch(ev)), deliveries))

        # then at least one delivery committed, and every other answer is a 200 (that delivery
        # acknowledged: its id) or a 503 FastSpring retries (nothing committed)
        statuses = [status for status, _ in answers]
        assert 200 in statuses, statuses
        assert set(statuses) <= {200, 503}, statuses
        for ev, (status, text) in zip(deliveries, answers, strict=True):
            if status == 200:
                assert text.strip() == ev["id"]

        # when whatever was not acknowledged is re-sent, as FastSpring would, then it is 200
        for ev, status in zip(deliveries, statuses, strict=True):
            if status != 200:
                assert fs.post(webhook, fs.signed_batch(ev)) == (200, ev["id"])

        # then there is exactly one order with the license and the support of one delivery
        client = signed_in_client(base, {"email": "rush@example.com", "orderNumber": reference})
        assert [o["reference"] for o in client.get_json("/api/orders")["items"]] == [reference]
        detail = client.get_json(f"/api/orders/{reference}")
        assert [i["sku"] for i in detail["items"]] == ["T-ENT-5", "S2Y-T-ENT-5"]
        licenses = client.get_json("/api/licenses")["items"]
        supports = client.get_json("/api/supports")["items"]
        assert [(lic["software"], lic["edition"], lic["users"]) for lic in licenses] == [
            ("TSplus", "Enterprise", 5)
        ]
        assert [(sup["users"], sup["durationYears"]) for sup in supports] == [(5, 2)]
        assert supports[0]["serialNumber"] == licenses[0]["serialNumber"]
        assert licenses[0]["support"]["until"] == supports[0]["expiresOn"]

    def test_parallel_sign_in_guesses_cannot_overshoot_the_limit(self, second_stack):
        # given a customer of this test's own and 30 wrong guesses, six at a time
        customer = stack_factory(second_stack)(licenses=[ENTERPRISE_10])
        client = HttpClient(second_stack.base_url)

        def guess(n: int) -> int:
            return client.login(customer.email, f"JWT9{n:03d}").status_code

        # when they all arrive at once
        with ThreadPoolExecutor(max_workers=6) as pool:
            statuses = list(pool.map(guess, range(30)))

        # then at most 10 were evaluated (401), the rest limited (429), and the right order
        # number is refused too while the limit holds
        assert 1 <= statuses.count(401) <= 10, statuses
        assert set(statuses) <= {401, 429}
        assert client.login(customer.email, customer.order_number).status_code == 429

    def test_security_headers_on_api_answers_and_pages(self, second_stack):
        # given pages, an API answer and an unknown route, requested without a session
        for path in ("/", "/home.html", "/api/me", "/api/nothing"):
            # when requested, then each carries the security headers
            response = requests.get(second_stack.base_url + path, timeout=10)
            assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert response.headers["Strict-Transport-Security"].startswith("max-age=")
        # and the API answers in the contract's shape: 401 for /api/me, the public keys
        me = requests.get(second_stack.base_url + "/api/me", timeout=10)
        assert me.status_code == 401
        assert me.json() == {"error": {"code": "unauthenticated", "message": "Please sign in."}}
        keys = requests.get(second_stack.base_url + "/api/activation/keys", timeout=10)
        assert keys.status_code == 200
        published = keys.json()["keys"]
        assert published
        assert all(
            k["kid"] and k["publicKey"].startswith("-----BEGIN PUBLIC KEY-----") for k in published
        )


class TestActivationAcceptance:
    """Issue 7's acceptance: the product activates with the demo key, the customer releases the
    license in the portal, a second computer activates it, the first is told it moved."""

    def test_activate_release_reactivate_elsewhere_and_the_history(self, stack):
        # given the product on a new computer, with the guide customer's activation key
        demo = signed_in_client(stack.base_url, {"email": DEMO_EMAIL, "orderNumber": DEMO_ORDER})
        key = demo.get_json("/api/me")["activationKey"]
        product = requests.Session()

        def post(path: str, body: dict) -> requests.Response:  # no cookie, no Origin
            return product.post(stack.base_url + path, json=body, timeout=30)

        first = {"activationKey": key, "computerId": "SRV-ACCEPT-01", "computerName": "First"}
        # when it activates TSplus, then 200 and a file naming that computer
        activated = post("/api/activation/activate", {**first, "product": "TSplus"})
        assert activated.status_code == 200, activated.text
        bound = next(
            lic for lic in activated.json()["licenses"] if lic["computerId"] == "SRV-ACCEPT-01"
        )
        assert activated.json()["licenseFile"].startswith("{")
        # when the customer releases it in the portal and a second computer activates
        released = demo.call("POST", f"/api/licenses/{bound['id']}/release")
        assert released.status_code == 200, released.text
        second = {"activationKey": key, "computerId": "SRV-ACCEPT-02", "computerName": "Second"}
        again = post(
            "/api/activation/activate", {**second, "product": "tsplus", "licenseId": bound["id"]}
        )
        assert again.status_code == 200, again.text
        # then the first computer's refresh is 409 license_moved, the second's is served
        moved = post(
            "/api/activation/refresh", {"activationKey": key, "computerId": "SRV-ACCEPT-01"}
        )
        assert moved.status_code == 409 and moved.json()["error"]["code"] == "license_moved"
        served = post(
            "/api/activation/refresh", {"activationKey": key, "computerId": "SRV-ACCEPT-02"}
        )
        assert served.status_code == 200
        # and the history shows both computers
        history = demo.get_json(f"/api/licenses/{bound['id']}/history")["items"]
        assert [(h["event"], h["computerId"]) for h in history] == [
            ("activated", "SRV-ACCEPT-02"),
            ("released", "SRV-ACCEPT-01"),
            ("activated", "SRV-ACCEPT-01"),
        ]

    def test_the_product_needs_no_cookie_and_a_wrong_key_is_401(self, stack):
        answer = requests.post(
            stack.base_url + "/api/activation/refresh",
            json={"activationKey": "ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ", "computerId": "SRV-X"},
            timeout=30,
        )
        assert answer.status_code == 401
        assert answer.json()["error"]["code"] == "invalid_activation_key"
