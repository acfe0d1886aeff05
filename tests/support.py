"""Test support shared by every test floor: import from here rather than copying a constant or a
helper into a test file. Customers with purchases are made by tests/factories.py (fixture
`make_customer`); the fixtures themselves (`aws`, `store`, `settings`, `seeded`, `clock`,
`make_customer`, `calls`) are in tests/conftest.py.

What is here, by section:

- Paths and environment: ROOT, EVENTS, ORIGIN, ORIGIN_SECRET (the origin header's value), TEST_ENV.
- The demo data of local/demo_data.py, as the user guide shows it: DEMO / SECOND (sign-in bodies),
  DEMO_EMAIL, DEMO_ORDER, SECOND_EMAIL, SECOND_ORDER, DEMO_LICENSES, DEMO_SUPPORT_SERIALS,
  DEMO_ORDER_REFERENCES, SECOND_*. Use them where the point of the test is the guide's data;
  otherwise make the customer the test needs with the factory, so no total depends on the demo.
- Handlers in-process: handler(name), event(name, ...), invoke(name, event), body_of(response),
  session_token(response), Context.
- Signing in through the handler, as a person does (verified sign-in): login(body, trust=) ->
  response (202 + a mailed code from a browser not trusted yet), mailed(store, email, before=)
  -> a sign-in mail's data (its code and link, from the outbox item: there is no SES in-process),
  outbox_ids(store), login_for_code(who) -> (pending token, code),
  verify(code, pending) -> response, sign_in_browser(who) -> Browser (session and trust tokens:
  login, the code from the mail, verify), sign_in(who) -> session token, cookie_of(response,
  name), trust_token(response), pending_token(response),
  listed(kind, token) -> the first page's items, call(name, token) -> response,
  order_detail(token, reference) -> response, download(kind, token, id) -> response (a license
  or support file), content_of(response) -> its bytes, published_keys() -> response,
  published() -> {kid: PEM} (as the verifier takes them), at_path(name, path, token, **parameters).
- The product's calls: activate(key, computer_id, product, ...), refresh(key, computer_id); the
  portal's on one license: manage_license("release" | "activate" | "history", token, id, body).
- Over HTTP (integration tests): HttpClient (keeps the __Host- cookies; login, verify, and
  mailed_code() reading the running stack's mailbox /_mailbox/messages), signed_in_client() (signs
  in like a person: login, the code from the mailbox, verify), security_header_faults(path,
  status, headers, body) (what an answer lacks of portal.edge.headers).
- The clock: FIXED_NOW and fix_clock(monkeypatch) -> FixedClock (the `clock` fixture).
- FastSpring webhooks: WEBHOOK_SECRET, deliver(*events) (signed with local.fastspring's one
  builder, through the handler), deliver_raw(body, signature) for forged or tampered deliveries,
  buyer(order) -> the sign-in body of an order.completed event's buyer, paid_order(email, quote)
  -> the order.completed of a paid upgrade quote (UPGRADE_PRODUCT; each argument tampers);
  REMOTE_WORK / RW_SUPPORT (the `remote_work` fixture's purchase), quote_for(customer, store,
  clock) -> a real quote, deliver_ok(*events) (acknowledged), license_now(store, customer) -> the
  license item, stored_upgrade(store, customer, order) -> the order's first line's `upgrade`, and
  detail_upgrade(customer, order) -> as the order detail shows it.
- FastSpring's events API in memory (reconciliation): FakeFastSpring(events).
- Test-only inspection of the table: table_items(store) (every item), count_items(store, prefix)
  (Scans, which the portal itself never issues); moto_items(store) (every item, read from
  in-process moto's backend: for tables of 10,000s of items).
- DynamoDB call recorder: CallLog, recording(client) (the `calls` fixture): operations, each
  Query's (ScannedCount, Count), and the items read.
- DynamoDB faults: FAULTS (throttling and a transaction cancelled for a reason other than a
  condition), Request (what one request reads or writes: its operation and (action, pk, sk)
  parts), faulty(client, fault, picks) -> the requests it failed: the requests `picks` chooses
  answered with the fault, as DynamoDB answers it (botocore's modelled error), nothing sent.
- Mail through moto's SES (the `ses` fixture verifies the sender): sent_messages(), parsed(raw),
  parts(message) -> (text, html); stream_event(*items) -> what the table's stream hands the
  mailer for new outbox items (invoke("mailer", stream_event(item))); deliver_outbox(store): every
  pending outbox item through the mailer.
- What the portal logs: logged() -> the lines (JSON text, as Powertools writes them) logged at any
  level while it is open (the tests' environment logs only WARNING and above otherwise).
"""

from __future__ import annotations

import base64
import copy
import email
import importlib.util
import json
import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from email import policy
from email.message import EmailMessage
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol

import requests

from local import demo_data
from local import fastspring as fs
from local.aws import LOCAL_SECRETS_PREFIX, dev_secret_values
from tests.factories import LicenseSpec, SupportSpec

if TYPE_CHECKING:
    import pytest

    from portal.clock import FixedClock
    from portal.models import Quote

ROOT = Path(__file__).resolve().parents[1]
EVENTS = ROOT / "events"
ORIGIN = "http://127.0.0.1:3000"
# The origin header's value in the tests: the origin-verify secret's local value (local/aws.py's
# development default, which the events in events/ carry, as CloudFront adds it to every request).
ORIGIN_SECRET = dev_secret_values()[LOCAL_SECRETS_PREFIX + "origin-verify"]

TEST_ENV = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "TABLE_NAME": "PortalTable",
    "STAGE": "test",
    "PORTAL_ORIGIN": ORIGIN,
    "SECRETS_PREFIX": "customer-portal/local/",
    # absent in moto unless a test writes it: LICENSE_SIGNING_KEY_IDS is the list (as on a fresh
    # deploy); the functions still look it up, as in AWS
    "SIGNING_KEYS_PARAMETER_NAME": "/customer-portal/local/signing-keys",
    "ORIGIN_VERIFY": "on",
    "POWERTOOLS_SERVICE_NAME": "customer-portal",
    "POWERTOOLS_METRICS_NAMESPACE": "CustomerPortal",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}

# ---------------------------------------------------------------- the demo data (the user guide)
DEMO_EMAIL = demo_data.DEMO_EMAIL  # Camille Martin, the guide's customer
DEMO_ORDER = demo_data.DEMO_ORDER
SECOND_EMAIL = demo_data.SECOND_EMAIL  # Ana Müller, the second customer
SECOND_ORDER = demo_data.SECOND_ORDER
DEMO_KEY = demo_data.DEMO_ACTIVATION_KEY
SECOND_KEY = demo_data.SECOND_ACTIVATION_KEY
DEMO = {"email": DEMO_EMAIL, "orderNumber": DEMO_ORDER}  # a sign-in body, as the API takes it
SECOND = {"email": SECOND_EMAIL, "orderNumber": SECOND_ORDER}

# What the guide shows, written out by hand (not computed from demo_data.py, so a change there is
# noticed). The guide's licenses, newest purchase first, with their purchase dates, after the
# never-activated license bought through a reseller (P88, which the demo key activates first):
DEMO_LICENSES = [
    ("P88", "2026-10-20"),
    ("P30", "2025-01-27"),
    ("P65", "2019-05-29"),
    ("P24", "2018-10-19"),
    ("P6E", "2017-09-25"),
    ("P62", "2016-09-30"),
]
# Its seven supports; P65 and PF3 share a purchase instant, so only the multiset is fixed.
DEMO_SUPPORT_SERIALS = sorted(["P65", "PF3", "P30", "P65", "P24", "P24", "P62"])
# Its six orders, newest first.
DEMO_ORDER_REFERENCES = [
    "JWT190529-3058-61127",
    "JWT181106-7745-20418",
    "JWT181019-1187-55302",
    "JWT171011-6402-30915",
    "JWT170925-2231-18874",
    "JWT160930-9510-42210",
]
DEMO_NEWEST_ORDER = DEMO_ORDER_REFERENCES[0]
# The second customer's licenses (newest first) and orders (newest first).
SECOND_LICENSE_SERIALS = ["P71", "999999"]
SECOND_ORDER_REFERENCES = ["JWT250312-0718-33904", "JWT241105-4410-77215"]


# ---------------------------------------------------------------- AWS set-up
def setup_client(service: str) -> Any:
    """A client with every operation of `service`, for arranging moto's state. The portal's own
    clients (portal.aws.clients) know only the operations the portal calls."""
    import boto3

    return boto3.client(service)  # type: ignore[call-overload]


# ---------------------------------------------------------------- handlers in-process
_handlers: dict[str, ModuleType] = {}


def handler(name: str) -> ModuleType:
    """functions/<name>/app.py, imported under a unique module name."""
    if name not in _handlers:
        path = ROOT / "functions" / name / "app.py"
        spec = importlib.util.spec_from_file_location(f"functions_{name}_app", path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _handlers[name] = module
    return _handlers[name]


class Context:
    function_name = "customer-portal-test"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:customer-portal-test"
    aws_request_id = "00000000-0000-0000-0000-000000000000"
    log_group_name = "/aws/lambda/test"
    log_stream_name = "test"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 10_000


def sample_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / f"{name}.json").read_text())


def event(
    name: str,
    *,
    token: str | None = None,
    body: Any = None,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    ip: str = "203.0.113.24",
    origin: str | None = ORIGIN,
    cookies: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The sample event of function `name` (events/<name>.json), adapted: session token, body,
    query, headers, viewer address, Origin (None removes it), other cookies (name -> value: the
    trust and pending cookies; none of the sample's own are kept)."""
    ev = copy.deepcopy(sample_event(name))
    ev["headers"]["cloudfront-viewer-address"] = f"{ip}:443"
    ev["headers"]["x-origin-verify"] = ORIGIN_SECRET  # as CloudFront sends it
    if "origin" in ev["headers"] or origin != ORIGIN:
        if origin is None:
            ev["headers"].pop("origin", None)
        else:
            ev["headers"]["origin"] = origin
    ev["cookies"] = [f"__Host-portal_session={token}"] if token else []
    ev["cookies"] += [f"{name}={value}" for name, value in (cookies or {}).items()]
    if body is not None:
        ev["body"] = body if isinstance(body, str) else json.dumps(body)
    if query is not None:
        ev["queryStringParameters"] = query or None
        ev["rawQueryString"] = "&".join(f"{k}={v}" for k, v in query.items())
    for key, value in (headers or {}).items():
        ev["headers"][key.lower()] = value
    return ev


def invoke(name: str, ev: dict[str, Any]) -> dict[str, Any]:
    """Run functions/<name>/app.py's lambda_handler on `ev`; its v2 response."""
    return handler(name).lambda_handler(ev, Context())


def body_of(response: dict[str, Any]) -> Any:
    return json.loads(response["body"]) if response.get("body") else None


SESSION_COOKIE = "__Host-portal_session"
PENDING_COOKIE = "__Host-portal_pending"
TRUST_COOKIE = "__Host-portal_trust"


def cookie_of(response: dict[str, Any], wanted: str) -> str | None:
    """The value a response set for cookie `wanted` (None when it set none; "" when it cleared
    it)."""
    for cookie in response.get("cookies", []):
        name, _, rest = cookie.partition("=")
        if name == wanted:
            return rest.split(";")[0]
    return None


def _set(response: dict[str, Any], wanted: str, what: str) -> str:
    value = cookie_of(response, wanted)
    if not value:
        raise AssertionError(f"no {what} cookie in {response.get('cookies')}: {response}")
    return value


def session_token(response: dict[str, Any]) -> str:
    """The session token a sign-in response set in its __Host- cookie (fails the test if none)."""
    return _set(response, SESSION_COOKIE, "session")


def trust_token(response: dict[str, Any]) -> str:
    """The trusted-browser token a verified sign-in set (fails the test if none)."""
    return _set(response, TRUST_COOKIE, "trust")


def pending_token(response: dict[str, Any]) -> str:
    """The pending sign-in's token a 202 login set (fails the test if none)."""
    return _set(response, PENDING_COOKIE, "pending")


# ---------------------------------------------------------------- signing in through the handler
class HasCredentials(Protocol):
    """Anything that knows its sign-in body, e.g. tests.factories.MadeCustomer."""

    @property
    def credentials(self) -> dict[str, str]: ...


Who = Mapping[str, str] | HasCredentials


def credentials(who: Who) -> dict[str, str]:
    """The sign-in body {"email", "orderNumber"} of a mapping or a made customer."""
    return dict(who) if isinstance(who, Mapping) else who.credentials


def login(body: Any, *, trust: str | None = None, **event_kwargs: Any) -> dict[str, Any]:
    """POST /api/auth/login with `body` (a mapping, a made customer or raw text) from a browser
    with the trust cookie `trust` (None: a fresh browser); the response. event_kwargs go to
    event(): ip=, origin=, headers=."""
    if not isinstance(body, str | Mapping):
        body = credentials(body)
    cookies = {TRUST_COOKIE: trust} if trust else None
    return invoke("login", event("login", body=body, cookies=cookies, **event_kwargs))


def outbox_messages(store: Any, kind: str | None = None) -> list[dict[str, Any]]:
    """The outbox items (of `kind`), oldest first, with `data` parsed (None once sent).
    Test-only inspection by a Scan, through a client of its own (so that the `calls` recorder,
    which watches the portal's client, does not count it)."""
    import boto3

    client = boto3.client("dynamodb", region_name=store.client.meta.region_name)
    found, start = [], None
    while True:
        page = client.scan(
            TableName=store.table_name, **({"ExclusiveStartKey": start} if start else {})
        )
        found += [item for item in page["Items"] if item["pk"]["S"].startswith("OUTBOX#")]
        start = page.get("LastEvaluatedKey")
        if not start:
            break
    from portal.data.store import from_attributes

    items = [from_attributes(item) for item in found]
    items = [item for item in items if kind is None or item["kind"] == kind]
    for item in items:
        item["data"] = json.loads(item["data"]) if "data" in item else None
    return sorted(items, key=lambda item: item["outboxId"])


def outbox_ids(store: Any) -> set[str]:
    """The ids of every outbox item now (to tell the mail a request writes next: `mailed`)."""
    return {item["outboxId"] for item in outbox_messages(store)}


def mailed(
    store: Any, email: str, kind: str = "sign_in_code", *, before: set[str] | None = None
) -> dict[str, Any]:
    """The data of the sign-in mail (`kind`: sign_in_code or sign_in_link) to `email`, as its
    outbox item holds it (code, link, minutes, customerName): the one written since the ids
    `before` (outbox_ids), or else the only one; fails the test if there is not exactly one.
    (Mails written at one instant of a fixed clock have no order, hence `before`.)"""
    sent = [item for item in outbox_messages(store, kind) if item["to"] == email]
    if before is not None:
        sent = [item for item in sent if item["outboxId"] not in before]
    assert len(sent) == 1, f"{len(sent)} {kind} mails to {email} (give `before`)"
    return dict(sent[0]["data"])


def login_for_code(who: Who, **event_kwargs: Any) -> tuple[str, str]:
    """Sign in as `who` from a fresh browser, which must be answered 202; (the pending cookie's
    token, the code mailed for it, from its outbox item)."""
    from portal import dependencies

    store = dependencies.store()
    before = outbox_ids(store)
    body = credentials(who)
    response = login(body, **event_kwargs)
    assert response["statusCode"] == 202, response
    from portal.types import normalize_email  # the portal's own rule (ASCII letters only)

    code = mailed(store, normalize_email(body["email"]), before=before)["code"]
    return pending_token(response), code


def link_token(link: str) -> str:
    """The token of a mailed sign-in link (`<portal>/link.html#token=<token>`)."""
    page, _, fragment = link.partition("#token=")
    assert page.endswith("/link.html") and fragment, link
    return fragment


def verify(code: Any, pending: str | None, **event_kwargs: Any) -> dict[str, Any]:
    """POST /api/auth/verify {code} with the pending cookie `pending`; the response. event_kwargs
    go to event(): ip=, origin=, headers=."""
    body = code if isinstance(code, str) and code.startswith("{") else {"code": code}
    cookies = {PENDING_COOKIE: pending} if pending else None
    return invoke("verify_code", event("verify_code", body=body, cookies=cookies, **event_kwargs))


def _link_event(path: str, body: Any, **event_kwargs: Any) -> dict[str, Any]:
    ev = event("sign_in_link", body=body, **event_kwargs)
    ev["rawPath"] = ev["requestContext"]["http"]["path"] = path
    ev["routeKey"] = ev["requestContext"]["routeKey"] = f"POST {path}"
    return ev


def request_link(email: Any, **event_kwargs: Any) -> dict[str, Any]:
    """POST /api/auth/link {email}; the response."""
    body = email if isinstance(email, str) and email.startswith("{") else {"email": email}
    return invoke("sign_in_link", _link_event("/api/auth/link", body, **event_kwargs))


def redeem_link(token: Any, **event_kwargs: Any) -> dict[str, Any]:
    """POST /api/auth/link/redeem {token}; the response."""
    body = {"token": token}
    return invoke("sign_in_link", _link_event("/api/auth/link/redeem", body, **event_kwargs))


@dataclass(frozen=True)
class Browser:
    """A browser signed in through the verified flow: its session and its trust token."""

    session: str
    trust: str


def sign_in_browser(who: Who, **event_kwargs: Any) -> Browser:
    """Sign in as `who` like a person, from a fresh browser: login (202, a code mailed), the
    code from that mail (its outbox item), verify; the browser's session and trust tokens
    (fails the test unless each step succeeds)."""
    pending, code = login_for_code(who, **event_kwargs)
    verified = verify(code, pending, **event_kwargs)
    assert verified["statusCode"] == 200, verified
    return Browser(session=session_token(verified), trust=trust_token(verified))


def sign_in(who: Who, **event_kwargs: Any) -> str:
    """Sign in through the handlers as `who` (DEMO, SECOND, a sign-in body or a made customer),
    like a person (sign_in_browser: login, the mailed code, verify); the session token."""
    return sign_in_browser(who, **event_kwargs).session


def logout(
    token: str | None,
    *,
    trust: str | None = None,
    body: Any = None,
    **event_kwargs: Any,
) -> dict[str, Any]:
    """POST /api/auth/logout with the session `token`, the trust cookie `trust` and a JSON `body`
    (None: no body, the plain logout; else sent as application/json); the response."""
    cookies = {TRUST_COOKIE: trust} if trust else None
    headers = {"content-type": "application/json"} if body is not None else {}
    headers |= event_kwargs.pop("headers", None) or {}
    ev = event("logout", token=token, body=body, cookies=cookies, headers=headers, **event_kwargs)
    return invoke("logout", ev)


def forget_browsers(
    token: str | None, *, trust: str | None = None, **event_kwargs: Any
) -> dict[str, Any]:
    """POST /api/me/forget-browsers (sign out everywhere) from a browser with the session `token`
    and the trust cookie `trust`; the response."""
    cookies = {TRUST_COOKIE: trust} if trust else None
    ev = event("forget_browsers", token=token, cookies=cookies, **event_kwargs)
    return invoke("forget_browsers", ev)


def call(name: str, token: str | None, query: dict[str, str] | None = None) -> dict[str, Any]:
    """GET through handler `name` with the session `token` and `query`; the response."""
    return invoke(name, event(name, token=token, query=query if query is not None else {}))


def order_detail(token: str | None, reference: str) -> dict[str, Any]:
    """GET /api/orders/<reference> through the order_detail handler; the response."""
    ev = event("order_detail", token=token)
    ev["pathParameters"] = {"reference": reference}
    ev["rawPath"] = ev["requestContext"]["http"]["path"] = f"/api/orders/{reference}"
    return invoke("order_detail", ev)


def at_path(name: str, path: str, token: str | None, **parameters: str) -> dict[str, Any]:
    """The sample event of function `name` (empty query), sent to another `path` of its route with
    these path parameters: for the handlers without a sample event of their own."""
    ev = event(name, token=token, query={})
    ev["rawPath"] = ev["requestContext"]["http"]["path"] = path
    if parameters:
        ev["pathParameters"] = parameters
    return ev


def download(kind: str, token: str | None, record_id: str) -> dict[str, Any]:
    """GET /api/<kind>/<record_id>/file (kind: licenses or supports) through the download_file
    handler; the response."""
    parameter = "license_id" if kind == "licenses" else "support_id"
    ev = at_path("list_licenses", f"/api/{kind}/{record_id}/file", token, **{parameter: record_id})
    ev.pop("queryStringParameters", None)
    return invoke("download_file", ev)


def published_keys() -> dict[str, Any]:
    """GET /api/activation/keys (the license files' public keys) through its handler; the
    response."""
    return invoke("activation_keys", at_path("me", "/api/activation/keys", None))


def published() -> dict[str, str]:
    """The published public keys (GET /api/activation/keys), kid -> PEM, as the verifier
    (product_sdk/verify_license.py) takes them."""
    response = published_keys()
    assert response["statusCode"] == 200, response
    return {k["kid"]: k["publicKey"] for k in body_of(response)["keys"]}


def content_of(response: dict[str, Any]) -> bytes:
    """A downloaded file's bytes (the download must have succeeded)."""
    assert response["statusCode"] == 200, response
    body = response["body"]
    return base64.b64decode(body) if response.get("isBase64Encoded") else body.encode()


def activate(
    activation_key: str,
    computer_id: str,
    product: str = "TSplus",
    *,
    computer_name: str | None = None,
    license_id: str | None = None,
    ip: str = "198.51.100.7",
) -> dict[str, Any]:
    """POST /api/activation/activate as the product sends it (no cookie, no Origin); the
    response. The computer's name is its id unless given."""
    body: dict[str, Any] = {
        "activationKey": activation_key,
        "computerId": computer_id,
        "computerName": computer_name or computer_id,
        "product": product,
    }
    if license_id is not None:
        body["licenseId"] = license_id
    return invoke("activation", event("activation", body=body, ip=ip))


def refresh(activation_key: str, computer_id: str, *, ip: str = "198.51.100.7") -> dict[str, Any]:
    """POST /api/activation/refresh as the product sends it; the response."""
    ev = event(
        "activation", body={"activationKey": activation_key, "computerId": computer_id}, ip=ip
    )
    ev["rawPath"] = ev["requestContext"]["http"]["path"] = "/api/activation/refresh"
    ev["routeKey"] = ev["requestContext"]["routeKey"] = "POST /api/activation/refresh"
    return invoke("activation", ev)


def manage_license(
    action: str,
    token: str | None,
    license_id: str,
    body: Any = None,
    *,
    query: dict[str, str] | None = None,
    origin: str | None = ORIGIN,
) -> dict[str, Any]:
    """The portal's calls on one license through the manage_license handler: action "release"
    or "activate" (offline: body {computerId, computerName}) as POST, "history" as GET; the
    response."""
    method = "GET" if action == "history" else "POST"
    ev = event("manage_license", token=token, body=body, query=query or {}, origin=origin)
    path = f"/api/licenses/{license_id}/{action}"
    ev["rawPath"] = ev["requestContext"]["http"]["path"] = path
    ev["requestContext"]["http"]["method"] = method
    ev["routeKey"] = ev["requestContext"]["routeKey"] = (
        f"{method} /api/licenses/{{license_id}}/{action}"
    )
    ev["pathParameters"] = {"license_id": license_id}
    if body is not None:
        ev["headers"]["content-type"] = "application/json"
    return invoke("manage_license", ev)


def listed(kind: str, token: str, query: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The items of GET /api/<kind> (licenses, supports, orders) for the session: first page."""
    response = call(f"list_{kind}", token, query)
    assert response["statusCode"] == 200, response
    return list(body_of(response)["items"])


# ---------------------------------------------------------------- over HTTP
class HttpClient:
    """A browser-like client of a running portal: keeps the __Host- cookies itself (requests will
    not send a Secure cookie over http://127.0.0.1): the session, the pending sign-in, the trust;
    and sends the portal's Origin on state-changing calls. Every request gives up after
    `timeout` seconds."""

    def __init__(self, base: str, *, timeout: float = 30.0) -> None:
        self.base = base
        self.timeout = timeout
        self.token: str | None = None
        self.pending: str | None = None
        self.trust: str | None = None

    def call(self, method: str, path: str, **kw: Any) -> requests.Response:
        headers = kw.pop("headers", {})
        jar = {SESSION_COOKIE: self.token, PENDING_COOKIE: self.pending, TRUST_COOKIE: self.trust}
        cookies = "; ".join(f"{name}={value}" for name, value in jar.items() if value)
        if cookies:
            headers["Cookie"] = cookies
        if method != "GET":
            headers.setdefault("Origin", self.base)
        response = requests.request(
            method, self.base + path, headers=headers, timeout=self.timeout, **kw
        )
        self._keep(response)
        return response

    def _keep(self, response: requests.Response) -> None:
        """Keep (or forget) the __Host- cookies the response set, as a browser does."""
        raw = response.raw.headers.getlist("Set-Cookie") if response.raw else []
        for cookie in raw:
            name, _, rest = cookie.partition("=")
            value = rest.split(";")[0]
            if name == SESSION_COOKIE:
                self.token = value or None
            elif name == PENDING_COOKIE:
                self.pending = value or None
            elif name == TRUST_COOKIE:
                self.trust = value or None

    def get_json(self, path: str) -> Any:
        """GET `path`, which must answer 200; its JSON."""
        response = self.call("GET", path)
        assert response.status_code == 200, (path, response.status_code, response.text)
        return response.json()

    def login(self, email: str, order: str) -> requests.Response:
        return self.call("POST", "/api/auth/login", json={"email": email, "orderNumber": order})

    def verify(self, code: str) -> requests.Response:
        return self.call("POST", "/api/auth/verify", json={"code": code})

    def mailbox(self) -> list[dict[str, Any]]:
        """The running stack's local mailbox (/_mailbox/messages), newest first."""
        return list(self.get_json("/_mailbox/messages"))

    def mailed(
        self, email: str, *, after: set[str], kind: str = "code", timeout: float = 20.0
    ) -> str:
        """The code (kind "code") or the sign-in link (kind "link") of the first mail to `email`
        that is not among the message ids `after` (the mailbox before the request), waiting for
        the local mailer to deliver it."""
        import time

        wanted = CODE_IN_MAIL if kind == "code" else LINK_IN_MAIL
        deadline = time.monotonic() + timeout
        while True:
            for message in self.mailbox():
                if message["id"] in after or email not in message["to"]:
                    continue
                found = wanted.search(message["text"])
                if found:
                    return found.group(1)
            assert time.monotonic() < deadline, f"no sign-in {kind} mailed to {email}"
            time.sleep(0.2)

    def mailbox_ids(self) -> set[str]:
        return {message["id"] for message in self.mailbox()}

    def sign_in(self, email: str, order: str) -> requests.Response:
        """Sign in like a person: login; when a code is mailed (202), the code from the local
        mailbox, then verify. The last answer (200 when signed in)."""
        before = self.mailbox_ids()
        response = self.login(email, order)
        if response.status_code != 202:
            return response
        return self.verify(self.mailed(email, after=before))


# A sign-in code (a line of its own) and a sign-in link in a mail's text.
CODE_IN_MAIL = re.compile(r"^\s*([0-9]{6})\s*$", re.M)
LINK_IN_MAIL = re.compile(r"(https?://\S+/link\.html#token=[A-Za-z0-9_\-]{43})")


def signed_in_client(base_url: str, who: Who) -> HttpClient:
    """An HttpClient of the portal at `base_url`, signed in as `who` like a person (login, the
    code from the stack's mailbox, verify; fails unless signed in)."""
    client = HttpClient(base_url)
    body = credentials(who)
    from portal.types import normalize_email

    response = client.sign_in(normalize_email(body["email"]), body["orderNumber"])
    assert response.status_code == 200, response.text
    return client


def security_header_faults(
    path: str, status: int, headers: Mapping[str, str], body: bytes
) -> list[str]:
    """What an answer of the local stack to `path` lacks of portal.edge.headers (empty: nothing):
    every answer carries SECURITY_HEADERS exactly (the mailbox its own stricter CSP, local/
    mailbox.py); an API function's answer, and the mailbox's, also `Cache-Control: no-store`
    (API Gateway's own 404 for a route it lacks comes from no function: CloudFront's API
    behaviour caches nothing anyway)."""
    from local import mailbox
    from portal.edge.headers import API_HEADERS, SECURITY_HEADERS

    lowered = {name.lower(): value for name, value in headers.items()}
    expected = dict(SECURITY_HEADERS)
    if path.startswith(mailbox.PATH):
        expected.update({"Content-Security-Policy": mailbox.CSP, "Cache-Control": "no-store"})
    elif path.startswith("/api/") and not (status == 404 and _is_api_gateway_not_found(body)):
        expected = dict(API_HEADERS)
    return [
        f"{name}: {lowered.get(name.lower())!r}, wanted {value!r}"
        for name, value in expected.items()
        if lowered.get(name.lower()) != value
    ]


def _is_api_gateway_not_found(body: bytes) -> bool:
    try:
        return bool(json.loads(body) == {"message": "Not Found"})
    except ValueError:
        return False


# ---------------------------------------------------------------- a running stack's mail
def local_mail(base_url: str, to: str = "") -> list[dict[str, Any]]:
    """The running stack's local mailbox (GET /_mailbox/messages), newest first; only the mail
    to `to` when given."""
    answer = requests.get(base_url.rstrip("/") + "/_mailbox/messages", timeout=10)
    assert answer.status_code == 200, answer.status_code
    return [m for m in answer.json() if not to or to in m["to"]]


def eventually(found: Callable[[], Any], seconds: float = 10.0) -> Any:
    """What `found` answers once it answers something truthy (the local mailer delivers a
    moment after the request that caused the mail); fails the test after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        value = found()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not there after {seconds} s")
        time.sleep(0.1)


# ---------------------------------------------------------------- the clock
FIXED_NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def fix_clock(monkeypatch: pytest.MonkeyPatch, at: datetime = FIXED_NOW) -> FixedClock:
    """Every handler's "now" (portal.dependencies.clock) becomes a FixedClock at `at`, for this
    test; move it with clock.advance(minutes=...). The `clock` fixture is fix_clock(monkeypatch)."""
    from portal import dependencies
    from portal.clock import FixedClock

    fixed = FixedClock(at)
    monkeypatch.setattr(dependencies, "clock", lambda: fixed)
    return fixed


# ---------------------------------------------------------------- FastSpring webhooks
# The secret the portal's webhook checks in the unit tests' moto and in the local stack.
WEBHOOK_SECRET = fs.dev_webhook_secret()


def deliver_raw(
    body: bytes,
    signature: str | None,
    *,
    header: str = "x-fs-signature",
    base64_body: bool = False,
) -> dict[str, Any]:
    """POST /api/webhooks/fastspring through the handler with exactly this body and signature
    header (None: no header), the body base64-encoded by API Gateway if base64_body. For a
    tampered or foreign body: deliver_raw(body, fs.signature(WEBHOOK_SECRET, body)); to send
    events, use deliver()."""
    ev = event("fastspring_webhook", origin=None)
    ev["headers"].pop("x-fs-signature", None)
    ev["body"] = base64.b64encode(body).decode() if base64_body else body.decode()
    ev["isBase64Encoded"] = base64_body
    if signature is not None:
        ev["headers"][header] = signature
    return invoke("fastspring_webhook", ev)


def deliver(
    *events: dict[str, Any], secret: str = WEBHOOK_SECRET, **raw_kwargs: Any
) -> dict[str, Any]:
    """Deliver FastSpring events (local.fastspring.order_completed(), return_created()) as ONE
    batch, signed by local.fastspring.signed_batch() with `secret`, through the webhook handler;
    the response. raw_kwargs go to deliver_raw(): header=, base64_body=."""
    delivery = fs.signed_batch(*events, secret=secret)
    return deliver_raw(delivery.body, delivery.signature, **raw_kwargs)


def buyer(order: Mapping[str, Any]) -> dict[str, str]:
    """The sign-in body {"email", "orderNumber"} of the buyer of an order.completed event (as
    local.fastspring.order_completed() makes it): the order's email and reference."""
    data = order["data"]
    return {"email": data["customer"]["email"], "orderNumber": data["reference"]}


UPGRADE_PRODUCT = "tsplus-remote-work-upgrade"  # catalog.json "upgrades": what checkout sells


def paid_order(
    email: str,
    quote: Quote,
    *,
    subtotal: Decimal | None = None,
    quantity: int = 1,
    currency: str | None = None,
    tags: Any = "as the session",
    at: datetime | None = None,
    lines: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The order.completed FastSpring sends once the checkout session of `quote` is paid: one
    line of the upgrade product at the quote's price (quantity 1), the session's tags, tax on
    top, placed at the handlers' now (the `clock` fixture). Each argument tampers with one
    part of it."""
    from portal import dependencies
    from portal.licensing.upgrades import LICENSE_TAG, QUOTE_TAG

    order = fs.order_completed(
        email=email,
        skus=["RW-UPG"],
        currency=currency or quote.price.currency,
        at=at or dependencies.clock().now(),
        expanded_account=False,
    )
    data = order["data"]
    line = {
        "product": UPGRADE_PRODUCT,
        "display": "TSplus Remote Work - additional workstations",
        "quantity": quantity,
        "sku": "RW-UPG",
        "subtotal": quote.price.amount if subtotal is None else subtotal,
        "attributes": {},
        "fulfillments": {},
    }
    data["items"] = [line, *(lines or [])]
    data["tags"] = (
        {QUOTE_TAG: quote.quote_id, LICENSE_TAG: quote.license_id}
        if tags == "as the session"
        else tags
    )
    data["subtotal"] = sum((item["subtotal"] for item in data["items"]), Decimal("0"))
    data["tax"] = (data["subtotal"] * Decimal("0.20")).quantize(Decimal("0.01"))
    data["total"] = data["subtotal"] + data["tax"]
    return order


# Paid upgrades of Remote Work (the `remote_work` fixture: a customer with REMOTE_WORK and its
# RW_SUPPORT, bought in USD): a real quote, its paid order delivered, what became of it.
REMOTE_WORK = LicenseSpec(software="Remote Work", edition=None, users=5, upgradable=True)
RW_SUPPORT = SupportSpec(software="Remote Work", edition=None, users=5, years=1)


def quote_for(
    customer: Any, store: Any, clock: Any, added: int = 3, license_id: str | None = None
) -> Quote:
    """A real quote (portal.licensing.upgrades.quote: the server's price) for `added` more
    workstations on the customer's first license (or `license_id`)."""
    from portal.licensing import upgrades
    from portal.orders.catalog import default_catalog

    return upgrades.quote(
        customer.customer_id,
        license_id or customer.license_ids[0],
        added,
        store=store,
        catalog=default_catalog(),
        clock=clock,
    )


def deliver_ok(*events: dict[str, Any]) -> None:
    """deliver(), which must be acknowledged (200)."""
    response = deliver(*events)
    assert response["statusCode"] == 200, response


def license_now(store: Any, customer: Any, license_id: str | None = None) -> Any:
    """The license item as stored (consistent read; None if it is gone)."""
    from portal.data import keys

    key = keys.license_key(customer.customer_id, license_id or customer.license_ids[0])
    return store.get(key, consistent=True)


def stored_upgrade(store: Any, customer: Any, order: Mapping[str, Any]) -> Any:
    """The upgrade recorded on the stored order's first line (an event from paid_order)."""
    from portal.data import keys

    item = store.get(keys.order_key(customer.customer_id, order["data"]["reference"]))
    return item["items"][0]["upgrade"]


def detail_upgrade(customer: Any, order: Mapping[str, Any]) -> Any:
    """The order detail's (GET /api/orders/<reference>) first line's `upgrade`, as the customer
    sees it ("absent" when the line has none)."""
    body = body_of(order_detail(sign_in(customer), order["data"]["reference"]))
    return body["items"][0].get("upgrade", "absent")


class FakeFastSpring:
    """FastSpring's events API in memory, for reconciliation: the events not yet marked
    processed, in pages of 25 with `more`, and the ids marked processed."""

    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.events = events
        self.processed: set[str] = set()

    def unprocessed_events(self, days: int = 3) -> tuple[list[dict[str, Any]], bool]:
        waiting = [e for e in self.events if e["id"] not in self.processed]
        return waiting[:25], len(waiting) > 25

    def mark_processed(self, event_id: str) -> None:
        self.processed.add(event_id)


# ---------------------------------------------------------------- test-only table inspection
def table_items(store: Any) -> list[dict[str, Any]]:
    """Every item of the portal table, as the store reads items (from_attributes). Test-only
    inspection by a Scan: the portal itself never scans."""
    from portal.data.store import from_attributes

    found: list[dict[str, Any]] = []
    start = None
    while True:
        page = store.client.scan(
            TableName=store.table_name, **({"ExclusiveStartKey": start} if start else {})
        )
        found += [from_attributes(item) for item in page["Items"]]
        start = page.get("LastEvaluatedKey")
        if not start:
            return found


def moto_items(store: Any, sk_prefix: str = "") -> list[dict[str, Any]]:
    """Every item of the portal table (whose sk starts with `sk_prefix`) as in-process moto
    holds it, read from its backend (no Scan): table_items for tables of tens of thousands of
    items, whose Scan pages moto answers in time growing with the square of the table. Sorted by
    (pk, sk)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    from portal.data.store import from_attributes

    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][store.client.meta.region_name].tables[
        store.table_name
    ]
    found = [
        from_attributes(item.to_json()["Attributes"])
        for partition in table.items.values()
        for item in partition.values()
        if str(item.range_key.value).startswith(sk_prefix)
    ]
    return sorted(found, key=lambda item: (item["pk"], item["sk"]))


def count_items(store: Any, prefix: str = "") -> int:
    """How many items of the portal table have a pk or an sk starting with `prefix` ("" = every
    item). Test-only inspection by a Scan (table_items)."""
    return sum(
        1
        for item in table_items(store)
        if str(item["pk"]).startswith(prefix) or str(item["sk"]).startswith(prefix)
    )


# ---------------------------------------------------------------- DynamoDB call recorder
@dataclass
class CallLog:
    """DynamoDB operations issued, in order, recorded by botocore event hooks, and the items
    they read (GetItem, BatchGetItem, Query)."""

    operations: list[str] = field(default_factory=list)
    query_counts: list[tuple[int, int]] = field(default_factory=list)
    items_read: int = 0

    def clear(self) -> None:
        self.operations.clear()
        self.query_counts.clear()
        self.items_read = 0


@contextmanager
def recording(client: Any) -> Iterator[CallLog]:
    log = CallLog()

    def before(model: Any, **_: Any) -> None:
        log.operations.append(model.name)

    def after(http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name == "Query":
            log.query_counts.append((parsed.get("ScannedCount", -1), parsed.get("Count", -2)))
            log.items_read += len(parsed.get("Items", []))
        elif model.name == "GetItem":
            log.items_read += 1 if parsed.get("Item") else 0
        elif model.name == "BatchGetItem":
            log.items_read += sum(len(found) for found in parsed.get("Responses", {}).values())

    events = client.meta.events
    events.register("before-call.dynamodb", before, unique_id="test-before")
    events.register("after-call.dynamodb", after, unique_id="test-after")
    try:
        yield log
    finally:
        events.unregister("before-call.dynamodb", unique_id="test-before")
        events.unregister("after-call.dynamodb", unique_id="test-after")


# ---------------------------------------------------------------- DynamoDB faults
THROTTLED = "ProvisionedThroughputExceededException"
THROTTLING = "ThrottlingException"
CANCELLED = "TransactionCanceledException"  # here always for a reason other than a condition
FAULTS = (THROTTLED, THROTTLING, CANCELLED)


@dataclass(frozen=True)
class Request:
    """What one DynamoDB request reads or writes: its operation and, per item, (action, pk, sk)
    (action: Put, Update, Delete, ConditionCheck, Get; a Query has no parts)."""

    operation: str
    parts: tuple[tuple[str, str, str], ...]
    token: str | None = None  # a transaction's ClientRequestToken, when the caller gave one

    def touches(self, action: str, pk: str = "", sk: str = "") -> bool:
        """Whether one part is `action` on an item whose pk / sk start with `pk` / `sk`."""
        return any(a == action and p.startswith(pk) and s.startswith(sk) for a, p, s in self.parts)


def _request_of(operation: str, body: Mapping[str, Any]) -> Request:
    def part(action: str, request: Mapping[str, Any]) -> tuple[str, str, str]:
        key = request.get("Item") or request.get("Key") or {}
        return action, key.get("pk", {}).get("S", ""), key.get("sk", {}).get("S", "")

    single = {"PutItem": "Put", "UpdateItem": "Update", "DeleteItem": "Delete", "GetItem": "Get"}
    if operation == "TransactWriteItems":
        found = [part(*next(iter(item.items()))) for item in body["TransactItems"]]
    elif operation == "BatchGetItem":
        found = [
            part("Get", {"Key": key})
            for wanted in body["RequestItems"].values()
            for key in wanted["Keys"]
        ]
    elif operation in single:
        found = [part(single[operation], body)]
    else:
        found = []
    return Request(operation, tuple(found), body.get("ClientRequestToken"))


@contextmanager
def faulty(
    client: Any, fault: str, picks: Callable[[Request], bool], *, times: int = 1
) -> Iterator[list[Request]]:
    """The first `times` DynamoDB requests of `client` that `picks` chooses fail with `fault`
    (FAULTS), as DynamoDB answers it once the client's own retries are spent: a botocore
    `before-call` hook answers the request instead of sending it, so the caller gets botocore's
    modelled error (a ClientError; a cancellation names TransactionConflict for the last part and
    None for the others). Yields the requests it failed."""
    from botocore.awsrequest import AWSResponse, HTTPHeaders

    failed: list[Request] = []

    def before_call(model: Any, params: Mapping[str, Any], **_: Any) -> Any:
        request = _request_of(model.name, json.loads(params["body"] or b"{}"))
        if len(failed) >= times or not picks(request):
            return None
        failed.append(request)
        answer: dict[str, Any] = {
            "Error": {"Code": fault, "Message": "injected by tests.support.faulty"},
            "ResponseMetadata": {"HTTPStatusCode": 400, "RetryAttempts": 2},
        }
        if fault == CANCELLED:
            reasons = [{"Code": "None"} for _ in request.parts[1:]]
            answer["CancellationReasons"] = [*reasons, {"Code": "TransactionConflict"}]
        return AWSResponse("https://dynamodb.invalid", 400, HTTPHeaders(), None), answer

    events = client.meta.events
    events.register("before-call.dynamodb", before_call, unique_id="test-faulty")
    try:
        yield failed
    finally:
        events.unregister("before-call.dynamodb", unique_id="test-faulty")


# ---------------------------------------------------------------- mail through moto's SES
STREAM_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/PortalTable/stream/2026-12-01"


def stream_event(*items: Any) -> dict[str, Any]:
    """The event the table's stream hands the mailer for these new items (INSERTs)."""
    from portal.data.store import to_attributes

    return {
        "Records": [
            {
                "eventID": f"event{n}",
                "eventName": "INSERT",
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": "us-east-1",
                "dynamodb": {
                    "Keys": to_attributes({"pk": item["pk"], "sk": item["sk"]}),
                    "NewImage": to_attributes(item),
                    "SequenceNumber": f"{1000 + n}",
                    "SizeBytes": 100,
                    "StreamViewType": "NEW_IMAGE",
                },
                "eventSourceARN": STREAM_ARN,
            }
            for n, item in enumerate(items)
        ]
    }


def deliver_outbox(store: Any) -> list[str]:
    """Hand every pending outbox item to the mailer (functions/mailer), as the table's stream
    would, in one batch; the ids handed over (the mails then are in sent_messages())."""
    waiting = [item for item in outbox_messages(store) if item["status"] == "pending"]
    items = [store.get({"pk": item["pk"], "sk": item["sk"]}, consistent=True) for item in waiting]
    if items:
        assert invoke("mailer", stream_event(*items)) == {"batchItemFailures": []}
    return [item["outboxId"] for item in items]


def sent_messages() -> list[Any]:
    """What moto's SES took, in the order sent (each has raw_data)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return list(ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages)


def parsed(raw: bytes | str) -> EmailMessage:
    """A raw MIME message, parsed."""
    data = raw.encode() if isinstance(raw, str) else raw
    message = email.message_from_bytes(data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def parts(message: EmailMessage) -> tuple[str, str]:
    """(text, html) of a multipart/alternative message."""
    text = message.get_body(("plain",))
    markup = message.get_body(("html",))
    assert text is not None and markup is not None
    return str(text.get_content()), str(markup.get_content())


@contextmanager
def logged() -> Iterator[list[str]]:
    """Every line the portal's logger writes while open, at DEBUG and above, formatted as in
    Lambda (one JSON object each, extra fields included)."""
    from portal.observability import logger

    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    std = logger._logger  # the logging.Logger under Powertools' wrapper
    keep = Keep()
    keep.setFormatter(logger.registered_formatter)
    level = std.level
    std.setLevel(logging.DEBUG)
    std.addHandler(keep)
    try:
        yield lines
    finally:
        std.removeHandler(keep)
        std.setLevel(level)
