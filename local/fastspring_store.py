"""The local FastSpring: the store's side of a checkout, on its own port, for `make run` and tests.

FastSpringStandIn(portal_url).start() serves (a werkzeug WSGI app on a daemon thread):

- POST /sessions (HTTP Basic, the local API credentials of local/aws.py DEV_SECRETS
  "fastspring-api", else 401): a checkout session for a contact, tags and items with their
  prices, validated strictly (400 {"error": {"code", "message"}} naming the field);
  answers {"id", "currency", "expires" (epoch ms), ...}. Sessions live 24 hours.
- GET /session/<id>: the checkout page - each line's product, quantity and price, subtotal, tax
  and total, the buyer's email - and a Pay button: a plain HTML form, no script, with the
  buyer's country (prefilled: the session's, else its language's) as FastSpring's form asks.
- POST /session/<id>/pay: the order.completed of that session (its tags, its lines at its
  prices, its currency, its contact; local/fastspring.py order_completed, the one builder),
  signed (signed_batch) and posted to <portal>/api/webhooks/fastspring; then 303 to
  <portal>/home.html. A webhook answer other than 2xx: a 502 page and the session stays payable
  (Pay again sends the same event: one payment, one order, as FastSpring's retries keep the
  event id). A paid session: 409. POST /session/<id>/redeliver sends the paid order's event
  again, with the same id ("Send the webhook again" on the paid page).
- GET /events/unprocessed?days=N and POST /events/<id> {"processed": true} (HTTP Basic): the
  events of the payments, as FastSpring's events API answers (25 a page, "more"). Simplified:
  an event stays unprocessed until marked so (FastSpring also counts a 200 of the webhook),
  so that reconciliation has something to read locally.

State is in memory, behind one lock; `sessions()`, `events()`, `deliveries()` and `requests()`
let tests see what happened. LocalStack starts one on the portal's port + 1 (a free port when
the portal's is) and points FASTSPRING_CHECKOUT_BASE and FASTSPRING_API_BASE at it.
"""

from __future__ import annotations

import base64
import copy
import errno
import hashlib
import hmac
import html
import json
import logging
import re
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from local import fastspring as fs
from portal.currencies import minor_units

LOG = logging.getLogger("local.fastspring")
SESSION_LIFETIME = timedelta(hours=24)
EVENTS_PER_PAGE = 25  # what FastSpring's GET /events/unprocessed answers at most
EVENT_DAYS = 30  # FastSpring keeps events 30 days
WEBHOOK_PATH = "/api/webhooks/fastspring"
MAX_BODY = 64 * 1024
MAX_ITEMS = 10
MAX_TAGS = 20
MAX_QUANTITY = 1000
MAX_AMOUNT = Decimal("1e9")


@dataclass(frozen=True)
class Product:
    """A product of the store, by its FastSpring path: what an order line says about it."""

    display: str
    sku: str | None


# The store's products the portal sells through a checkout session (the catalog's "upgrades";
# a test checks that every one of those is sold here under the same display name).
PRODUCTS: dict[str, Product] = {
    "tsplus-remote-work-upgrade": Product("TSplus Remote Work - additional workstations", "RW-UPG"),
}


class BadSession(ValueError):
    """A POST /sessions body FastSpring would refuse; the message names the field."""


@dataclass(frozen=True)
class Item:
    product: str
    quantity: int
    unit_price: Decimal

    @property
    def subtotal(self) -> Decimal:
        return self.unit_price * self.quantity


@dataclass(frozen=True)
class Contact:
    email: str
    first: str | None = None
    last: str | None = None
    company: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class Delivery:
    """One POST of an event to the portal's webhook: its HTTP status (0: no answer) and body."""

    event_id: str
    status: int
    answer: str

    @property
    def acknowledged(self) -> bool:
        return 200 <= self.status < 300


@dataclass
class Session:
    id: str
    contact: Contact
    tags: dict[str, str]
    items: tuple[Item, ...]
    currency: str
    language: str | None
    country: str | None
    created: datetime
    expires: datetime
    event: dict[str, Any] | None = None  # the order.completed, made at the first Pay
    paid: bool = False  # a delivery of that event was acknowledged (2xx)
    paying: bool = False  # a Pay is posting the event right now
    deliveries: list[Delivery] = field(default_factory=list)

    @property
    def subtotal(self) -> Decimal:
        return sum((item.subtotal for item in self.items), Decimal(0))

    @property
    def default_country(self) -> str:
        """The country the checkout form starts with: the session's, else its language's."""
        language = (self.language or "en")[:2]
        return self.country or _LANGUAGE_COUNTRIES.get(language, "US")

    @property
    def reference(self) -> str | None:
        return None if self.event is None else str(self.event["data"]["reference"])


@dataclass
class _StoredEvent:
    event: dict[str, Any]
    created: datetime
    processed: bool = False


# ---------------------------------------------------------------- the POST /sessions body
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
_PRODUCT_PATH = re.compile(r"^[a-z0-9][a-z0-9-]{0,127}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_TAG_KEY = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_LANGUAGE = re.compile(r"^[a-z]{2}([-_][A-Za-z]{2})?$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_LANGUAGE_COUNTRIES = {"de": "DE", "fr": "FR", "en": "US"}
_CONTACT_LIMITS = {"email": 254, "first": 200, "last": 200, "company": 200, "phone": 64}
_QUANTITY_BEHAVIORS = ("allow", "lock", "hide")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def _json(raw: bytes) -> Any:
    """JSON from a client: every non-integer number a Decimal; ValueError for anything else."""
    try:
        return json.loads(raw, parse_float=Decimal, parse_constant=_reject_constant)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def _only(value: Any, where: str, allowed: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadSession(f"{where}: an object is expected")
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise BadSession(f"{where}: unknown field {unknown[0]!r}")
    return value


def _text(value: Any, where: str, limit: int, *, required: bool = False) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise BadSession(f"{where}: a text of 1-{limit} characters is expected")
    return value


def _matching(value: Any, where: str, pattern: re.Pattern[str], what: str) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise BadSession(f"{where}: {what} is expected")
    return value


def _contact(value: Any) -> Contact:
    body = _only(value, "contact", tuple(_CONTACT_LIMITS))
    texts = {
        name: _text(body.get(name), f"contact.{name}", limit, required=name == "email")
        for name, limit in _CONTACT_LIMITS.items()
    }
    email = texts.pop("email") or ""
    if not _EMAIL.fullmatch(email):
        raise BadSession("contact.email: an email address is expected")
    return Contact(email=email, **texts)


def _tags(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or len(value) > MAX_TAGS:
        raise BadSession(f"tags: an object of at most {MAX_TAGS} tags is expected")
    for key, tag in value.items():
        _matching(key, "tags", _TAG_KEY, "a tag name of 1-64 letters, digits, . _ -")
        _text(tag, f"tags.{key}", 256, required=True)
    return dict(value)


def _amount(value: Any, where: str, currency: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise BadSession(f"{where}: a JSON number is expected")
    amount = Decimal(value)
    if not (amount.is_finite() and Decimal(0) < amount < MAX_AMOUNT):
        raise BadSession(f"{where}: a positive amount below {MAX_AMOUNT:,.0f} is expected")
    if amount != round(amount, minor_units(currency)):
        raise BadSession(f"{where}: {currency} has {minor_units(currency)} decimals")
    return amount


def _item(value: Any, where: str) -> tuple[Item, str]:
    body = _only(value, where, ("product", "quantity", "pricing"))
    product = _matching(body.get("product"), f"{where}.product", _PRODUCT_PATH, "a product path")
    if product not in PRODUCTS:
        raise BadSession(f"{where}.product: the store sells no product {product!r}")
    quantity = body.get("quantity")
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise BadSession(f"{where}.quantity: a whole number 1-{MAX_QUANTITY} is expected")
    if not 1 <= quantity <= MAX_QUANTITY:
        raise BadSession(f"{where}.quantity: a whole number 1-{MAX_QUANTITY} is expected")
    pricing = _only(body.get("pricing"), f"{where}.pricing", ("price", "quantityBehavior"))
    behavior = pricing.get("quantityBehavior")
    if behavior is not None and behavior not in _QUANTITY_BEHAVIORS:
        raise BadSession(
            f"{where}.pricing.quantityBehavior: one of {', '.join(_QUANTITY_BEHAVIORS)}"
        )
    price = pricing.get("price")
    if not isinstance(price, dict) or len(price) != 1:
        raise BadSession(f"{where}.pricing.price: one currency code and its amount is expected")
    ((currency, amount),) = price.items()
    _matching(currency, f"{where}.pricing.price", _CURRENCY, "a currency code (USD)")
    return Item(
        product, quantity, _amount(amount, f"{where}.pricing.price.{currency}", currency)
    ), (currency)


@dataclass(frozen=True)
class SessionRequest:
    """A valid POST /sessions body."""

    contact: Contact
    tags: dict[str, str]
    items: tuple[Item, ...]
    currency: str
    language: str | None = None
    country: str | None = None


def read_session_request(raw: bytes) -> SessionRequest:
    """The body of POST /sessions, checked as strictly as the store checks it; BadSession."""
    try:
        value = _json(raw)
    except ValueError:
        raise BadSession("the body is not JSON") from None
    body = _only(value, "body", ("contact", "tags", "items", "language", "country"))
    if "contact" not in body:
        raise BadSession("contact: required (the stand-in has no accounts)")
    contact = _contact(body["contact"])
    items = body.get("items")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_ITEMS:
        raise BadSession(f"items: a list of 1-{MAX_ITEMS} items is expected")
    read = [_item(item, f"items[{index}]") for index, item in enumerate(items)]
    currencies = {currency for _, currency in read}
    if len(currencies) != 1:
        raise BadSession("items: every price in one currency is expected")
    language = body.get("language")
    if language is not None:
        _matching(language, "language", _LANGUAGE, "a language code (en, de, fr)")
    country = body.get("country")
    if country is not None:
        _matching(country, "country", _COUNTRY, "a country code (US)")
    return SessionRequest(
        contact=contact,
        tags=_tags(body.get("tags")),
        items=tuple(item for item, _ in read),
        currency=currencies.pop(),
        language=language,
        country=country,
    )


# ---------------------------------------------------------------- pages
_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}"
    "table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.4rem;"
    "border-bottom:1px solid #ddd}.amount{text-align:right}"
    "button{font-size:1.1rem;padding:.5rem 1.5rem}.error{color:#a00}"
)
_STYLE_HASH = base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def money(amount: Decimal, currency: str) -> str:
    """`amount` with the currency's decimals and its code: "114.58 USD"."""
    return f"{amount.quantize(Decimal(1).scaleb(-minor_units(currency)))} {currency}"


def _form(action: str, label: str) -> str:
    button = f'<button type="submit">{_e(label)}</button>'
    return f'<form method="post" action="{_e(action)}">{button}</form>'


class FastSpringStandIn:
    """The local FastSpring (see the module docstring); `with FastSpringStandIn(url) as store:`."""

    def __init__(
        self,
        portal_url: str,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        credentials: tuple[str, str] | None = None,
        webhook_secret: str | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        parts = urlsplit(portal_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("portal_url must be scheme://host[:port]")
        self.portal_url = f"{parts.scheme}://{parts.netloc}"
        self.webhook_url = self.portal_url + WEBHOOK_PATH
        self.host, self.port = host, port
        username, password = credentials or fs.dev_api_credentials()
        token = base64.b64encode(f"{username}:{password}".encode()).decode()
        self._authorization = f"Basic {token}".encode()
        self._secret = fs.dev_webhook_secret() if webhook_secret is None else webhook_secret
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        self._sessions: dict[str, Session] = {}
        self._events: list[_StoredEvent] = []
        self._deliveries: list[Delivery] = []
        self._requests: list[tuple[str, str, str]] = []
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._routes = Map(
            [
                Rule("/sessions", methods=["POST"], endpoint=self._create_session),
                Rule("/session/<session_id>", methods=["GET"], endpoint=self._checkout_page),
                Rule("/session/<session_id>/pay", methods=["POST"], endpoint=self._pay),
                Rule("/session/<session_id>/redeliver", methods=["POST"], endpoint=self._redeliver),
                Rule("/events/unprocessed", methods=["GET"], endpoint=self._unprocessed),
                Rule("/events/<path:event_id>", methods=["POST"], endpoint=self._update_event),
            ]
        )

    # ------------------------------------------------------------ lifecycle
    @property
    def url(self) -> str:
        """http://host:port of the running stand-in: the checkout base and the API base."""
        if self._server is None:
            raise RuntimeError("the FastSpring stand-in is not running")
        return f"http://{self.host}:{self._server.server_port}"

    def start(self) -> FastSpringStandIn:
        try:
            self._server = make_server(
                self.host, self.port, self, threaded=True, request_handler=_RequestLog
            )
        except SystemExit as exc:  # werkzeug exits when the port is taken
            raise OSError(errno.EADDRINUSE, f"{self.host}:{self.port} is in use") from exc
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # stop() returns at once
            name="local-fastspring",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            if self._thread is not None:
                self._server.shutdown()
                self._thread.join(timeout=10)
            self._server.server_close()
        self._server, self._thread = None, None

    def __enter__(self) -> FastSpringStandIn:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    # ------------------------------------------------------------ what happened (copies)
    def sessions(self) -> dict[str, Session]:
        with self._lock:
            return {key: copy.deepcopy(value) for key, value in self._sessions.items()}

    def session(self, session_id: str) -> Session | None:
        return self.sessions().get(session_id)

    def events(self) -> list[dict[str, Any]]:
        """Every event the store holds, oldest first, with its current `processed`."""
        with self._lock:
            return [self._as_sent(stored) for stored in self._events]

    def deliveries(self) -> list[Delivery]:
        """Every POST to the portal's webhook, in order."""
        with self._lock:
            return list(self._deliveries)

    def requests(self) -> list[tuple[str, str, str]]:
        """(method, path as sent, Authorization) of every API call (/sessions, /events)."""
        with self._lock:
            return list(self._requests)

    def record_event(self, event: Mapping[str, Any], created: datetime | None = None) -> None:
        """Hold `event` as one FastSpring has (its events API lists it), without a checkout."""
        with self._lock:
            self._events.append(_StoredEvent(copy.deepcopy(dict(event)), created or self._clock()))

    # ------------------------------------------------------------ WSGI
    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        try:
            endpoint, arguments = self._routes.bind_to_environ(environ).match()
            response = endpoint(request, **arguments)
        except HTTPException as error:
            response = _json_error(
                error.code or 500,
                error.name.lower().replace(" ", "_"),
                error.description or error.name,
            )
        return response(environ, start_response)

    def _authorized(self, request: Request) -> Response | None:
        """None when the request carries the API's Basic credentials, else the 401."""
        raw_path = request.environ.get("REQUEST_URI") or request.full_path.rstrip("?")
        given = request.headers.get("Authorization", "")
        with self._lock:
            self._requests.append((request.method, raw_path, given))
        if hmac.compare_digest(given.encode(), self._authorization):
            return None
        response = _json_error(
            401, "unauthorized", "HTTP Basic credentials of the store's API are required"
        )
        response.headers["WWW-Authenticate"] = 'Basic realm="FastSpring stand-in"'
        return response

    # ------------------------------------------------------------ the sessions API
    def _create_session(self, request: Request) -> Response:
        refused = self._authorized(request)
        if refused is not None:
            return refused
        if request.mimetype != "application/json":
            return _json_error(
                415, "unsupported_media_type", "Content-Type: application/json is expected"
            )
        if (request.content_length or 0) > MAX_BODY:
            return _json_error(413, "too_large", f"the body is larger than {MAX_BODY} bytes")
        raw = request.stream.read(MAX_BODY + 1)
        if len(raw) > MAX_BODY:
            return _json_error(413, "too_large", f"the body is larger than {MAX_BODY} bytes")
        try:
            asked = read_session_request(raw)
        except BadSession as exc:
            return _json_error(400, "bad_request", str(exc))
        now = self._clock()
        session = Session(
            id=secrets.token_urlsafe(18),
            contact=asked.contact,
            tags=asked.tags,
            items=asked.items,
            currency=asked.currency,
            language=asked.language,
            country=asked.country,
            created=now,
            expires=now + SESSION_LIFETIME,
        )
        with self._lock:
            self._sessions[session.id] = session
        LOG.info("checkout session %s: %s %s", session.id, session.subtotal, session.currency)
        return _json_answer(
            200,
            {
                "id": session.id,
                "currency": session.currency,
                "expires": int(session.expires.timestamp() * 1000),
                "order": None,
                "account": None,
                "subtotal": session.subtotal,
                "items": [
                    {"product": item.product, "quantity": item.quantity, "price": item.unit_price}
                    for item in session.items
                ],
            },
        )

    # ------------------------------------------------------------ the checkout pages
    def _checkout_page(self, request: Request, session_id: str) -> Response:
        with self._lock:
            session = copy.deepcopy(self._sessions.get(session_id))
        if session is None:
            return self._page(
                404, "Unknown checkout", "<p>This checkout session does not exist.</p>"
            )
        if session.paid:
            return self._paid_page(200, session)
        if self._clock() >= session.expires:
            return self._expired_page(session)
        return self._page(200, "Checkout", self._summary(session) + self._pay_form(session))

    def _pay(self, request: Request, session_id: str) -> Response:
        refused = self._same_origin(request)
        if refused is not None:
            return refused
        given = request.form.get("country")  # read before taking the lock
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return self._page(
                    404, "Unknown checkout", "<p>This checkout session does not exist.</p>"
                )
            if session.paid or session.paying:
                return self._paid_page(409, copy.deepcopy(session))
            if self._clock() >= session.expires:
                return self._expired_page(copy.deepcopy(session))
            if session.event is None:  # one payment, one order: a retry sends the same event
                country = (given or session.default_country).strip().upper()
                if not _COUNTRY.fullmatch(country):
                    return self._page(
                        400,
                        "Country",
                        "<p>The country is a two-letter code (DE, FR, US).</p>"
                        + self._pay_form(copy.deepcopy(session)),
                    )
                session.country = country
                session.event = self._order_of(session)
                self._events.append(_StoredEvent(session.event, self._clock()))
            session.paying = True
            event = session.event
        try:
            delivery = self._deliver(session, event)
        except BaseException:
            with self._lock:
                session.paying = False
            raise
        with self._lock:  # paid and no longer paying at once: a second Pay sees one or the other
            session.paying = False
            session.paid = delivery.acknowledged
        if delivery.acknowledged:
            return _redirect(self.portal_url + "/home.html")
        return self._page(
            502,
            "The portal did not take the order",
            self._delivery_problem(delivery)
            + self._summary(copy.deepcopy(session))
            + "<p>Paying again sends the same order again.</p>"
            + self._pay_form(session),
        )

    def _redeliver(self, request: Request, session_id: str) -> Response:
        refused = self._same_origin(request)
        if refused is not None:
            return refused
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return self._page(
                    404, "Unknown checkout", "<p>This checkout session does not exist.</p>"
                )
            event = session.event if session.paid else None
        if event is None:
            return self._page(
                409,
                "Not paid yet",
                "<p>This session has not been paid: there is no order to send again.</p>"
                + f'<p><a href="/session/{_e(session.id)}">Back to the checkout</a></p>',
            )
        delivery = self._deliver(session, event)
        if delivery.acknowledged:
            return _redirect(self.portal_url + "/home.html")
        return self._paid_page(502, copy.deepcopy(session), problem=delivery)

    def _same_origin(self, request: Request) -> Response | None:
        """A form POST from another site's page is refused (a browser sends its Origin)."""
        origin = request.headers.get("Origin")
        if origin is None or origin == self.url:
            return None
        return self._page(403, "Refused", "<p>A checkout is paid from its own page only.</p>")

    def _order_of(self, session: Session) -> dict[str, Any]:
        lines = [
            fs.Line(
                product=item.product,
                display=PRODUCTS[item.product].display,
                sku=PRODUCTS[item.product].sku,
                quantity=item.quantity,
                subtotal=item.subtotal,
            )
            for item in session.items
        ]
        contact = session.contact
        return fs.order_completed(
            email=contact.email,
            lines=lines,
            tags=session.tags,
            first=contact.first,
            last=contact.last,
            company=contact.company,
            country=session.default_country,
            city=None,
            language=session.language or "en",
            currency=session.currency,
            at=self._clock(),
        )

    def _deliver(self, session: Session, event: dict[str, Any]) -> Delivery:
        try:
            status, answer = fs.post(self.webhook_url, fs.signed_batch(event, secret=self._secret))
        except OSError as exc:  # URLError, a refused connection, a timeout
            status, answer = 0, str(getattr(exc, "reason", exc))
        delivery = Delivery(str(event["id"]), status, answer[:2000])
        with self._lock:
            session.deliveries.append(delivery)
            self._deliveries.append(delivery)
        LOG.info("order.completed %s -> %s %s", delivery.event_id, status, answer.strip()[:200])
        return delivery

    def _summary(self, session: Session) -> str:
        rows = "".join(
            f"<tr><td>{_e(PRODUCTS[item.product].display)}<br><code>{_e(item.product)}</code></td>"
            f'<td class="amount">{_e(item.quantity)}</td>'
            f'<td class="amount">{_e(money(item.unit_price, session.currency))}</td>'
            f'<td class="amount">{_e(money(item.subtotal, session.currency))}</td></tr>'
            for item in session.items
        )
        subtotal = session.subtotal
        tax = fs.tax_of(subtotal)
        name = " ".join(part for part in (session.contact.first, session.contact.last) if part)
        return (
            "<table><thead><tr><th>Product</th><th>Quantity</th><th>Price</th><th>Amount</th>"
            f"</tr></thead><tbody>{rows}</tbody></table>"
            f'<p>Subtotal <strong id="subtotal">{_e(money(subtotal, session.currency))}</strong>, '
            f"tax (20 %) {_e(money(tax, session.currency))}, "
            f'total <strong id="total">{_e(money(subtotal + tax, session.currency))}</strong></p>'
            f'<p>Buyer: {_e(name)} <span id="buyer">{_e(session.contact.email)}</span></p>'
        )

    def _pay_form(self, session: Session) -> str:
        """The Pay button: a plain form (no script), with the buyer's country as a checkout asks."""
        return (
            f'<form method="post" action="/session/{_e(session.id)}/pay">'
            '<p><label>Country (two letters) <input name="country" required maxlength="2" '
            f'pattern="[A-Za-z]{{2}}" value="{_e(session.default_country)}"></label></p>'
            '<button type="submit">Pay</button></form>'
        )

    def _delivery_problem(self, delivery: Delivery) -> str:
        said = f"answered {delivery.status}" if delivery.status else "did not answer"
        return (
            f'<p class="error">The portal\'s webhook ({_e(self.webhook_url)}) {_e(said)}: '
            f"<code>{_e(delivery.answer.strip()[:300])}</code></p>"
        )

    def _paid_page(
        self, status: int, session: Session, problem: Delivery | None = None
    ) -> Response:
        last = session.deliveries[-1] if session.deliveries else None
        reference = session.reference or "(being paid)"
        body = (
            (self._delivery_problem(problem) if problem else "")
            + f'<p>Paid: order <strong id="reference">{_e(reference)}</strong>.</p>'
            + self._summary(session)
            + (f"<p>The portal's webhook last answered {_e(last.status)}.</p>" if last else "")
            + f'<p><a href="{_e(self.portal_url)}/home.html">Back to the portal</a></p>'
            + (
                _form(f"/session/{session.id}/redeliver", "Send the webhook again")
                if session.paid
                else ""
            )
        )
        return self._page(status, "Paid", body)

    def _expired_page(self, session: Session) -> Response:
        return self._page(
            410,
            "Checkout expired",
            "<p>This checkout session has expired (sessions live 24 hours): start the purchase"
            " again in the portal.</p>" + self._summary(session),
        )

    def _page(self, status: int, title: str, body: str) -> Response:
        document = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{_e(title)} - FastSpring (local stand-in)</title>"
            f"<style>{_STYLE}</style></head>"
            f"<body><header><p>FastSpring store (local stand-in)</p></header>"
            f"<main><h1>{_e(title)}</h1>{body}</main></body></html>"
        )
        response = Response(document, status=status, content_type="text/html; charset=utf-8")
        response.headers.update(
            {
                "Content-Security-Policy": (
                    f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; "
                    f"form-action 'self' {self.portal_url}; base-uri 'none'; frame-ancestors 'none'"
                ),
                "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer",
                "Cache-Control": "no-store",
            }
        )
        return response

    # ------------------------------------------------------------ the events API
    def _unprocessed(self, request: Request) -> Response:
        refused = self._authorized(request)
        if refused is not None:
            return refused
        days = request.args.get("days")
        if days is None or set(request.args) - {"days"}:
            return _events_error(
                400, "events.get", "days is required (the stand-in reads days only)"
            )
        if not days.isdigit() or not 1 <= int(days) <= EVENT_DAYS:
            return _events_error(400, "events.get", f"Can not parse days: 1-{EVENT_DAYS}.")
        since = self._clock() - timedelta(days=int(days))
        with self._lock:
            waiting = [s for s in self._events if not s.processed and s.created >= since]
            page = [self._as_sent(stored) for stored in waiting[:EVENTS_PER_PAGE]]
        return _json_answer(
            200,
            {
                "action": "events.get",
                "result": "success",
                "more": len(waiting) > EVENTS_PER_PAGE,
                "events": page,
            },
        )

    def _update_event(self, request: Request, event_id: str) -> Response:
        refused = self._authorized(request)
        if refused is not None:
            return refused
        try:
            body = _json(request.stream.read(MAX_BODY))
        except ValueError:
            body = None
        if (
            not isinstance(body, dict)
            or set(body) != {"processed"}
            or not isinstance(body["processed"], bool)
        ):
            return _events_error(
                400, "event.update", 'the body {"processed": true|false} is expected'
            )
        with self._lock:
            found = next((s for s in self._events if s.event.get("id") == event_id), None)
            if found is not None:
                found.processed = body["processed"]
        if found is None:
            return _events_error(404, "event.update", "no event with this id")
        return _json_answer(
            200,
            {
                "action": "event.update",
                "result": "success",
                "id": event_id,
                "processed": body["processed"],
            },
        )

    @staticmethod
    def _as_sent(stored: _StoredEvent) -> dict[str, Any]:
        return {**copy.deepcopy(stored.event), "processed": stored.processed}


# ---------------------------------------------------------------- answers
def _json_answer(status: int, value: Any) -> Response:
    return Response(fs.dumps(value), status=status, content_type="application/json")


def _json_error(status: int, code: str, message: str) -> Response:
    return _json_answer(status, {"error": {"code": code, "message": message}})


def _events_error(status: int, action: str, message: str) -> Response:
    """FastSpring's error envelope, with the portal's error shape inside."""
    code = "not_found" if status == 404 else "bad_request"
    return _json_answer(
        status, {"action": action, "result": "error", "error": {"code": code, "message": message}}
    )


def _redirect(location: str) -> Response:
    response = Response("", status=303)
    response.headers["Location"] = location
    response.headers["Cache-Control"] = "no-store"
    return response


class _RequestLog(WSGIRequestHandler):
    protocol_version = "HTTP/1.1"

    def log(self, type: str, message: str, *args: Any) -> None:
        level = logging.ERROR if type == "error" else logging.DEBUG
        LOG.log(level, "%s %s", self.address_string(), message % args)
