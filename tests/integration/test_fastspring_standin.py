"""The local FastSpring stand-in (local/fastspring_store.py) over real HTTP: its sessions API
(HTTP Basic, strict bodies), the checkout page, paying (a signed order.completed to the
portal's webhook, then back to the portal), a second payment, redelivery, a webhook that fails,
its events API; and the whole loop in a LocalStack: a quote, its checkout, Pay, the order."""

from __future__ import annotations

import base64
import html
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from local import fastspring as fs
from local.fastspring_store import EVENTS_PER_PAGE, PRODUCTS, FastSpringStandIn
from local.stack import LocalStack
from portal.fastspring.events import OrderCompleted, read
from portal.fastspring.signatures import signature
from portal.orders.catalog import default_catalog
from tests.support import SECOND_EMAIL, SECOND_KEY, SECOND_ORDER, HttpClient

pytestmark = pytest.mark.integration

USER, PASSWORD = fs.dev_api_credentials()
AUTH = (USER, PASSWORD)
UPGRADE = "tsplus-remote-work-upgrade"
TAGS = {
    "portalQuoteId": "01JQUOTE000000000000000000",
    "portalLicenseId": "01JLICENSE0000000000000000",
}


def session_body(**changes: Any) -> dict[str, Any]:
    """The body the portal's checkout sends (portal.licensing.upgrades.session_for)."""
    body: dict[str, Any] = {
        "contact": {"email": "buyer@example.com", "first": "Bea", "last": "Buyer"},
        "language": "en",
        "tags": dict(TAGS),
        "items": [
            {
                "product": UPGRADE,
                "quantity": 1,
                "pricing": {"quantityBehavior": "lock", "price": {"USD": Decimal("114.58")}},
            }
        ],
    }
    body.update(changes)
    return body


def post_session(store: FastSpringStandIn, body: Any, auth: Any = AUTH) -> requests.Response:
    raw = body if isinstance(body, bytes) else fs.dumps(body)
    return requests.post(
        store.url + "/sessions",
        data=raw,
        auth=auth,
        headers={"Content-Type": "application/json"},
        timeout=10,
    )


def new_session(store: FastSpringStandIn, **changes: Any) -> str:
    answer = post_session(store, session_body(**changes))
    assert answer.status_code == 200, answer.text
    return str(answer.json()["id"])


def pay(store: FastSpringStandIn, session_id: str, **form: str) -> requests.Response:
    return requests.post(
        f"{store.url}/session/{session_id}/pay", data=form, allow_redirects=False, timeout=30
    )


# ---------------------------------------------------------------- a portal that records
@dataclass
class Recorder:
    """A webhook endpoint answering `status` and recording every POST (path, headers with
    lower-case names, body)."""

    status: int = 200
    posts: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    url: str = ""

    def events(self) -> list[dict[str, Any]]:
        return [
            e for _, _, body in self.posts for e in json.loads(body, parse_float=Decimal)["events"]
        ]


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    recorded = Recorder()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            recorded.posts.append(
                (self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            answer = b"recorded" if recorded.status < 300 else b"broken on purpose"
            self.send_response(recorded.status)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    recorded.url = f"http://127.0.0.1:{server.server_port}"
    try:
        yield recorded
    finally:
        server.shutdown()
        server.server_close()


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(recorder: Recorder, clock: Clock) -> Iterator[FastSpringStandIn]:
    with FastSpringStandIn(recorder.url, clock=clock) as running:
        yield running


# ---------------------------------------------------------------- the sessions API
def test_the_sessions_api_wants_the_local_basic_credentials(store: FastSpringStandIn) -> None:
    # when a session is asked for without credentials, or with a wrong password
    for auth in (None, (USER, PASSWORD + "x"), ("someone", PASSWORD)):
        answer = post_session(store, session_body(), auth=auth)
        # then it is refused, FastSpring-style, and nothing is created
        assert answer.status_code == 401
        assert answer.headers["WWW-Authenticate"].startswith("Basic")
        assert answer.json()["error"]["code"] == "unauthorized"
    assert store.sessions() == {}

    # when the right credentials ask, then a session of 24 hours answers
    answer = post_session(store, session_body())
    assert answer.status_code == 200
    created = answer.json()
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,128}", created["id"])
    assert created["currency"] == "USD"
    expires = datetime.fromtimestamp(created["expires"] / 1000, UTC)
    assert expires == datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    kept = store.session(created["id"])
    assert kept is not None and kept.tags == TAGS and kept.contact.email == "buyer@example.com"
    assert kept.items[0].unit_price == Decimal("114.58") and kept.items[0].quantity == 1


def _item(**changes: Any) -> dict[str, Any]:
    item: dict[str, Any] = {"product": UPGRADE, "quantity": 1, "pricing": {"price": {"USD": 10}}}
    item.update(changes)
    return item


def _priced(price: Any) -> dict[str, Any]:
    return {"items": [_item(pricing={"price": price})]}


BAD_BODIES: list[tuple[str, Any, str]] = [
    ("not JSON", b"{", "not JSON"),
    ("NaN", b'{"contact": {"email": "a@b.co"}, "items": [], "x": NaN}', "not JSON"),
    ("an array", [], "body"),
    ("an unknown field", session_body(coupon="FREE"), "coupon"),
    ("no contact", {"items": [_item()]}, "contact"),
    ("an account instead", {"account": "abc", "items": [_item()]}, "account"),
    ("a bad email", session_body(contact={"email": "not-an-email"}), "contact.email"),
    (
        "an email of 300 characters",
        session_body(contact={"email": "a" * 290 + "@example.com"}),
        "contact.email",
    ),
    ("an unknown contact field", session_body(contact={"email": "a@b.co", "age": 3}), "contact"),
    ("tags not an object", session_body(tags=["a"]), "tags"),
    ("a tag that is a number", session_body(tags={"portalQuoteId": 7}), "tags.portalQuoteId"),
    ("a tag of 300 characters", session_body(tags={"portalQuoteId": "q" * 300}), "tags"),
    ("a tag name with spaces", session_body(tags={"quote id": "q"}), "tags"),
    ("no items", session_body(items=[]), "items"),
    ("an unknown product", session_body(items=[_item(product="free-lunch")]), "items[0].product"),
    ("a product path with capitals", session_body(items=[_item(product="Upgrade")]), "product"),
    ("quantity 0", session_body(items=[_item(quantity=0)]), "items[0].quantity"),
    ("quantity 1001", session_body(items=[_item(quantity=1001)]), "items[0].quantity"),
    ("quantity as text", session_body(items=[_item(quantity="3")]), "items[0].quantity"),
    ("quantity true", session_body(items=[_item(quantity=True)]), "items[0].quantity"),
    ("quantity 1.5", session_body(items=[_item(quantity=Decimal("1.5"))]), "items[0].quantity"),
    ("no pricing", session_body(items=[{"product": UPGRADE, "quantity": 1}]), "pricing"),
    ("two currencies", session_body(**_priced({"USD": 1, "EUR": 1})), "pricing.price"),
    ("a currency in lower case", session_body(**_priced({"usd": 1})), "pricing.price"),
    ("a price of 0", session_body(**_priced({"USD": 0})), "price.USD"),
    ("a negative price", session_body(**_priced({"USD": Decimal("-1.00")})), "price.USD"),
    ("a price as text", session_body(**_priced({"USD": "114.58"})), "price.USD"),
    ("a price of a billion", session_body(**_priced({"USD": 10**9})), "price.USD"),
    ("cents of a cent", session_body(**_priced({"USD": Decimal("1.005")})), "USD has 2 decimals"),
    ("decimals of yen", session_body(**_priced({"JPY": Decimal("100.5")})), "JPY has 0 decimals"),
    (
        "items in two currencies",
        session_body(items=[_item(), _item(pricing={"price": {"EUR": 10}})]),
        "one currency",
    ),
    (
        "a bad quantity behavior",
        session_body(items=[_item(pricing={"price": {"USD": 1}, "quantityBehavior": "free"})]),
        "quantityBehavior",
    ),
    ("a bad language", session_body(language="english"), "language"),
]


@pytest.mark.parametrize(("case", "body", "named"), BAD_BODIES, ids=[c for c, _, _ in BAD_BODIES])
def test_a_bad_session_body_is_400_naming_the_field(
    store: FastSpringStandIn, case: str, body: Any, named: str
) -> None:
    # when the portal sends a body FastSpring would refuse
    answer = post_session(store, body)
    # then it is a 400 in the error shape, naming what is wrong, and no session is made
    assert answer.status_code == 400, case
    error = answer.json()["error"]
    assert error["code"] == "bad_request"
    assert named in error["message"], error["message"]
    assert store.sessions() == {}


def test_a_body_that_is_not_json_by_its_type_is_415(store: FastSpringStandIn) -> None:
    answer = requests.post(
        store.url + "/sessions",
        data=fs.dumps(session_body()),
        auth=AUTH,
        timeout=10,
        headers={"Content-Type": "text/plain"},
    )
    assert answer.status_code == 415
    assert answer.json()["error"]["code"] == "unsupported_media_type"


def test_the_portals_client_creates_a_session_the_checkout_page_shows(
    store: FastSpringStandIn,
) -> None:
    # given the portal's own FastSpring client, with the local credentials
    from portal.fastspring.api import FastSpringApi

    api = FastSpringApi(store.url, USER, PASSWORD)
    # when it creates the session an upgrade checkout creates, then the page shows that price
    session_id = api.create_session(session_body())
    page = requests.get(f"{store.url}/session/{session_id}", timeout=10)
    assert page.status_code == 200
    assert "114.58 USD" in page.text


# ---------------------------------------------------------------- the checkout page
def test_the_checkout_page_shows_the_line_and_price_escaped(store: FastSpringStandIn) -> None:
    # given a session whose buyer's name and email hold markup
    email = 'x"<img/src=x/onerror=alert(1)>&@example.com'
    first = "<script>alert('Bea')</script>"
    session_id = new_session(store, contact={"email": email, "first": first})

    # when the buyer opens the checkout page
    page = requests.get(f"{store.url}/session/{session_id}", timeout=10)

    # then it shows the product, its path, the quantity, the price with its currency, the buyer
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    text = page.text
    assert PRODUCTS[UPGRADE].display in text and f"<code>{UPGRADE}</code>" in text
    assert '<td class="amount">1</td>' in text
    assert '<strong id="subtotal">114.58 USD</strong>' in text
    assert '<strong id="total">137.50 USD</strong>' in text  # + 20 % tax, as the order says
    # escaped: the markup is text, never an element
    assert html.escape(email, quote=True) in text and html.escape(first, quote=True) in text
    assert "<img" not in text
    # Pay is a plain form post to this session, and the page runs no script
    assert f'<form method="post" action="/session/{session_id}/pay">' in text
    assert "<script" not in text
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and f"form-action 'self' {store.portal_url}" in policy


def test_an_unknown_session_is_404_and_an_expired_one_410(
    store: FastSpringStandIn, clock: Clock, recorder: Recorder
) -> None:
    assert requests.get(f"{store.url}/session/nope", timeout=10).status_code == 404
    assert pay(store, "nope").status_code == 404
    # given a session 24 hours old
    session_id = new_session(store)
    clock.now += timedelta(hours=24)
    # then its page and its Pay answer 410, and nothing reaches the portal
    assert requests.get(f"{store.url}/session/{session_id}", timeout=10).status_code == 410
    assert pay(store, session_id).status_code == 410
    assert recorder.posts == []


# ---------------------------------------------------------------- paying
def test_pay_posts_a_signed_order_completed_of_the_session_then_returns_to_the_portal(
    store: FastSpringStandIn, recorder: Recorder
) -> None:
    # given a session for 3 of a product at 38.20 EUR each, with the portal's tags
    session_id = new_session(
        store,
        contact={"email": "bea@example.de", "first": "Bea", "last": "Käufer", "company": "B&K"},
        language="de",
        items=[_item(quantity=3, pricing={"price": {"EUR": Decimal("38.20")}})],
    )

    # when the buyer pays
    answer = pay(store, session_id)

    # then they go back to the portal's home page
    assert answer.status_code == 303
    assert answer.headers["Location"] == recorder.url + "/home.html"
    # and the portal's webhook got one delivery, signed with the local webhook secret
    ((path, headers, body),) = recorder.posts
    assert path == "/api/webhooks/fastspring"
    assert headers["x-fs-signature"] == signature(fs.dev_webhook_secret(), body)
    assert headers["content-type"] == "application/json"
    (event,) = json.loads(body, parse_float=Decimal)["events"]
    assert event["type"] == "order.completed" and event["live"] is True
    data = event["data"]
    # shaped like FastSpring's: the portal's own model reads it
    order = read(OrderCompleted, data)
    assert order.currency == "EUR"
    # the session's tags, its line at its price, its currency and its buyer
    assert data["tags"] == TAGS
    (line,) = data["items"]
    assert {k: line[k] for k in ("product", "display", "sku", "quantity", "subtotal")} == {
        "product": UPGRADE,
        "display": PRODUCTS[UPGRADE].display,
        "sku": PRODUCTS[UPGRADE].sku,
        "quantity": 3,
        "subtotal": Decimal("114.6"),  # 3 x 38.20, a JSON number as FastSpring writes it
    }
    assert data["subtotal"] == Decimal("114.6")
    assert data["tax"] == Decimal("22.92") and data["total"] == Decimal("137.52")
    assert data["customer"]["email"] == "bea@example.de"
    assert (data["customer"]["first"], data["customer"]["last"]) == ("Bea", "Käufer")
    assert data["account"]["contact"]["email"] == "bea@example.de"
    assert data["language"] == "de" and data["address"]["country"] == "DE"
    # and the stand-in remembers it: paid, with the portal's answer
    paid = store.session(session_id)
    assert paid is not None and paid.paid and paid.reference == data["reference"]
    assert [(d.event_id, d.status) for d in store.deliveries()] == [(event["id"], 200)]


def test_the_buyers_country_comes_from_the_form(
    store: FastSpringStandIn, recorder: Recorder
) -> None:
    session_id = new_session(store)
    assert pay(store, session_id, country="zz1").status_code == 400
    assert recorder.posts == []
    assert pay(store, session_id, country="fr").status_code == 303
    assert recorder.events()[0]["data"]["address"]["country"] == "FR"


def test_a_second_pay_is_409_and_redelivery_sends_the_same_event(
    store: FastSpringStandIn, recorder: Recorder
) -> None:
    # given a paid session
    session_id = new_session(store)
    assert pay(store, session_id).status_code == 303

    # when it is paid again, then 409 and nothing more is posted
    again = pay(store, session_id)
    assert again.status_code == 409
    assert "Send the webhook again" in again.text
    assert len(recorder.posts) == 1

    # when its webhook is sent again, then the same event (id, order, reference) arrives
    redelivered = requests.post(
        f"{store.url}/session/{session_id}/redeliver", allow_redirects=False, timeout=30
    )
    assert redelivered.status_code == 303
    first, second = recorder.events()
    assert second == first
    assert [d.event_id for d in store.deliveries()] == [first["id"], first["id"]]
    # and the store holds one event for that one payment
    assert [e["id"] for e in store.events()] == [first["id"]]


def test_redelivery_of_an_unpaid_session_is_409(
    store: FastSpringStandIn, recorder: Recorder
) -> None:
    session_id = new_session(store)
    answer = requests.post(f"{store.url}/session/{session_id}/redeliver", timeout=10)
    assert answer.status_code == 409
    assert recorder.posts == []


def test_a_failing_webhook_shows_502_and_paying_again_sends_the_same_order(
    store: FastSpringStandIn, recorder: Recorder
) -> None:
    # given a portal whose webhook fails
    recorder.status = 500
    session_id = new_session(store)

    # when the buyer pays, then an error page says so and the session can still be paid
    failed = pay(store, session_id)
    assert failed.status_code == 502
    assert "answered 500" in failed.text and "broken on purpose" in failed.text
    assert f'action="/session/{session_id}/pay"' in failed.text
    kept = store.session(session_id)
    assert kept is not None and not kept.paid

    # when the portal is back and the buyer pays again, then the same order goes, once more
    recorder.status = 200
    assert pay(store, session_id).status_code == 303
    first, second = recorder.events()
    assert second["id"] == first["id"] and second["data"]["reference"] == first["data"]["reference"]
    assert [d.status for d in store.deliveries()] == [500, 200]


def test_a_portal_that_does_not_answer_is_a_502(clock: Clock) -> None:
    with FastSpringStandIn("http://127.0.0.1:9", clock=clock) as store:  # discard: nobody there
        session_id = new_session(store)
        answer = pay(store, session_id)
        assert answer.status_code == 502
        assert "did not answer" in answer.text
        assert [d.status for d in store.deliveries()] == [0]


def test_a_pay_from_another_sites_page_is_refused(
    store: FastSpringStandIn, recorder: Recorder
) -> None:
    session_id = new_session(store)
    answer = requests.post(
        f"{store.url}/session/{session_id}/pay",
        headers={"Origin": "https://evil.example"},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 403
    assert recorder.posts == []
    # from its own page it goes
    own = requests.post(
        f"{store.url}/session/{session_id}/pay",
        headers={"Origin": store.url},
        allow_redirects=False,
        timeout=10,
    )
    assert own.status_code == 303


# ---------------------------------------------------------------- the events API
def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_the_events_api_pages_unprocessed_events_like_fastspring(
    store: FastSpringStandIn, clock: Clock
) -> None:
    # given one paid checkout and 26 more events, and one event older than the days asked for
    assert pay(store, new_session(store)).status_code == 303
    for number in range(26):
        store.record_event(fs.order_completed(email=f"e{number}@example.com", skus=["T-ENT-10"]))
    store.record_event(
        fs.order_completed(email="old@example.com", skus=["T-ENT-10"]),
        created=clock.now - timedelta(days=5),
    )
    listing = f"{store.url}/events/unprocessed?days=3"

    # then the listing wants the API's credentials and days, 1-30
    assert requests.get(listing, timeout=10).status_code == 401
    for query in ("", "?days=0", "?days=31", "?days=x", "?begin=1"):
        refused = requests.get(f"{store.url}/events/unprocessed{query}", auth=AUTH, timeout=10)
        assert refused.status_code == 400, query
        assert refused.json()["result"] == "error" and refused.json()["error"]["message"]

    # when reconciliation asks, then the first 25 come, oldest first, and more are waiting
    first = requests.get(listing, auth=AUTH, timeout=10).json()
    assert (first["action"], first["result"], first["more"]) == ("events.get", "success", True)
    assert len(first["events"]) == EVENTS_PER_PAGE
    assert first["events"][0]["data"]["tags"] == TAGS  # the checkout's event first
    assert all(e["processed"] is False for e in first["events"])

    # when it marks them processed, then the rest come, and no more
    for event in first["events"]:
        marked = requests.post(
            f"{store.url}/events/{event['id']}", json={"processed": True}, auth=AUTH, timeout=10
        )
        assert marked.status_code == 200 and marked.json()["result"] == "success"
    rest = requests.get(listing, auth=AUTH, timeout=10).json()
    assert rest["more"] is False and len(rest["events"]) == 2
    assert {e["data"]["customer"]["email"] for e in rest["events"]} == {
        "e24@example.com",
        "e25@example.com",
    }
    # the older event shows with more days
    wider = requests.get(f"{store.url}/events/unprocessed?days=7", auth=AUTH, timeout=10).json()
    assert "old@example.com" in {e["data"]["customer"]["email"] for e in wider["events"]}


def test_marking_an_event_wants_credentials_a_known_id_and_a_flag(
    store: FastSpringStandIn,
) -> None:
    store.record_event(fs.order_completed(email="a@example.com", skus=["T-ENT-10"], event_id="ev1"))
    url = f"{store.url}/events/ev1"
    assert requests.post(url, json={"processed": True}, timeout=10).status_code == 401
    assert (
        requests.post(url, json={"processed": True}, auth=("local", "wrong"), timeout=10)
    ).status_code == 401
    for body in ({"processed": "yes"}, {}, {"processed": True, "x": 1}, []):
        answer = requests.post(url, json=body, auth=AUTH, timeout=10)
        assert answer.status_code == 400, body
    missing = requests.post(
        f"{store.url}/events/nope", json={"processed": True}, auth=AUTH, timeout=10
    )
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert [e["processed"] for e in store.events()] == [False]
    assert requests.post(url, json={"processed": True}, auth=AUTH, timeout=10).status_code == 200
    assert [e["processed"] for e in store.events()] == [True]
    assert store.requests()[-1][2] == _basic(USER, PASSWORD)


# ---------------------------------------------------------------- the store and the catalog
def test_the_stand_in_sells_every_upgrade_of_the_catalog_under_its_name() -> None:
    upgrades = default_catalog().upgrades
    assert upgrades
    for upgrade in upgrades:
        assert PRODUCTS[upgrade.product].display == upgrade.display


def test_the_stand_in_takes_the_port_after_the_portals() -> None:
    assert LocalStack(port=3000)._fastspring_port() == 3001
    assert LocalStack(port=0)._fastspring_port() == 0
    assert LocalStack(port=3000, fastspring_port=4000)._fastspring_port() == 4000


# ---------------------------------------------------------------- the whole loop, in a local stack
@pytest.fixture(scope="module")
def portal() -> Iterator[LocalStack]:
    with LocalStack(seed=True) as stack:
        yield stack


def test_quote_checkout_pay_in_a_local_stack_records_the_order(portal: LocalStack) -> None:
    # given the stack's stand-in, configured as the store and as FastSpring's API
    assert portal.fastspring is not None
    standin = portal.fastspring
    assert portal.environment["FASTSPRING_CHECKOUT_BASE"] == standin.url
    assert portal.environment["FASTSPRING_API_BASE"] == standin.url
    assert portal.stack_description(portal.template)["fastspring"] == standin.url
    assert standin.url != portal.base_url and standin.portal_url == portal.base_url

    # given the second demo customer's Remote Work license, quoted 3 more workstations
    client = HttpClient(portal.base_url)
    assert client.sign_in(SECOND_EMAIL, SECOND_ORDER).status_code == 200
    licenses = client.get_json("/api/licenses")["items"]
    remote = next(lic for lic in licenses if lic["serialNumber"] == "999999")
    quoted = client.call(
        "POST",
        "/api/upgrades/quotes",
        json={"licenseId": remote["id"], "additionalWorkstations": 3},
    )
    assert quoted.status_code == 201, quoted.text
    price = quoted.json()["price"]

    # when the customer checks out, then the checkout URL is the stand-in's page of a session
    checkout = client.call("POST", f"/api/upgrades/quotes/{quoted.json()['quoteId']}/checkout")
    assert checkout.status_code == 200, checkout.text
    url = checkout.json()["checkoutUrl"]
    assert url.startswith(standin.url + "/session/")
    page = requests.get(url, timeout=10)
    assert page.status_code == 200
    assert f'<strong id="subtotal">{price["amount"]} {price["currency"]}</strong>' in page.text
    assert html.escape(SECOND_EMAIL) in page.text

    # when they pay, then they are back on the portal's home page
    paid = requests.post(url + "/pay", allow_redirects=False, timeout=30)
    assert paid.status_code == 303
    assert paid.headers["Location"] == portal.base_url + "/home.html"

    # and the portal took the order: the webhook answered 200, and the order is the customer's
    session = standin.session(url.rsplit("/", 1)[-1])
    assert session is not None and session.paid and session.event is not None
    assert session.deliveries[-1].status == 200
    data = session.event["data"]
    assert data["tags"] == {
        "portalQuoteId": quoted.json()["quoteId"],
        "portalLicenseId": remote["id"],
    }
    orders = client.get_json("/api/orders")["items"]
    (order,) = [o for o in orders if o["reference"] == data["reference"]]
    amount = Decimal(price["amount"])
    assert order["total"] == {
        "amount": str(amount + fs.tax_of(amount)),
        "currency": price["currency"],
    }
    detail = client.get_json(f"/api/orders/{data['reference']}")
    assert [(i["sku"], i["subtotal"]["amount"]) for i in detail["items"]] == [
        (PRODUCTS[UPGRADE].sku, price["amount"])
    ]

    # when the buyer pays again, then 409, and the customer still has that one order
    assert requests.post(url + "/pay", allow_redirects=False, timeout=30).status_code == 409
    again = client.get_json("/api/orders")["items"]
    assert [o["reference"] for o in again].count(data["reference"]) == 1

    # and the license grew by the quote's 3 workstations, its support end untouched; the order
    # line says the upgrade was applied
    grown = next(
        lic for lic in client.get_json("/api/licenses")["items"] if lic["id"] == remote["id"]
    )
    assert (remote["users"], grown["users"]) == (5, 8)
    assert grown["support"] == remote["support"]
    assert detail["items"][0]["upgrade"] == {"status": "applied", "reason": None}

    # and the product's next refresh, from the computer it runs on, says 8
    refreshed = requests.post(
        portal.base_url + "/api/activation/refresh",
        json={"activationKey": SECOND_KEY, "computerId": remote["computerId"]},
        timeout=30,
    )
    assert refreshed.status_code == 200, refreshed.text
    payload = json.loads(
        base64.urlsafe_b64decode(_padded(json.loads(refreshed.json()["licenseFile"])["payload"]))
    )
    assert payload["license"]["users"] == 8

    # when FastSpring delivers the same paid order again (the paid page's "Send the webhook
    # again", and a new event id for the same order), then the license stays at 8
    redelivered = requests.post(url + "/redeliver", allow_redirects=False, timeout=30)
    assert redelivered.status_code == 303
    fresh_id = fs.post(
        portal.base_url + "/api/webhooks/fastspring",
        fs.signed_batch(dict(session.event, id="another-event-id-for-the-same-order")),
    )
    assert fresh_id[0] == 200, fresh_id
    after = next(
        lic for lic in client.get_json("/api/licenses")["items"] if lic["id"] == remote["id"]
    )
    assert after["users"] == 8
    history = client.get_json(f"/api/licenses/{remote['id']}/history")["items"]
    assert [entry["event"] for entry in history].count("upgraded") == 1


def _padded(text: str) -> str:
    return text + "=" * (-len(text) % 4)
