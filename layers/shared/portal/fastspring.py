"""FastSpring: webhook signatures, the shapes of the events we use, and the API client used by
reconciliation. Facts in ../shared/docs/FASTSPRING.md; amounts are Decimal, never float."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from portal.config import Settings
from portal.secret_store import SecretMissing, get_secret
from portal.shapes import Reader, ShapeError

WEBHOOK_SECRET = "fastspring-webhook"  # noqa: S105 - a secret's name
API_SECRET = "fastspring-api"  # noqa: S105 - a secret's name
SIGNATURE_HEADER = "x-fs-signature"


# ---------------------------------------------------------------- signatures
def signature(secret: str, raw_body: bytes) -> str:
    digest = hmac.new(secret.encode("utf-8"), raw_body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def signature_valid(raw_body: bytes, header: str | None, secrets: Iterable[str]) -> bool:
    """Constant-time check against every accepted secret (current and, during a rotation,
    previous). No secret at all never verifies: fail closed."""
    if not header:
        return False
    presented = header.strip().encode("ascii", "replace")
    valid = False
    for secret in secrets:
        if secret:
            expected = signature(secret, raw_body).encode("ascii")
            valid |= hmac.compare_digest(expected, presented)
    return valid


def webhook_secrets(settings: Settings) -> list[str]:
    """The accepted webhook secrets. The secret holds either the secret itself or
    {"current": "...", "previous": "..."} while a rotation is under way."""
    raw = get_secret(settings.secrets_prefix + WEBHOOK_SECRET)
    try:
        parsed = json.loads(raw)
    except ValueError:
        return [raw]
    if isinstance(parsed, dict):
        return [str(v) for k in ("current", "previous") if (v := parsed.get(k))]
    return [raw]


def loads(raw: bytes | str) -> Any:
    """JSON with every non-integer number as Decimal."""
    return json.loads(raw, parse_float=Decimal)


# ---------------------------------------------------------------- event shapes
_EVENT_ID = re.compile(r"^[A-Za-z0-9_\-]+$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_ZERO = Decimal("0")


@dataclass(frozen=True, slots=True)
class Event:
    id: str
    type: str
    live: bool
    created: int | None
    data: dict[str, Any]

    @classmethod
    def parse(cls, raw: Any) -> Event:
        r = Reader(raw, "event")
        return cls(
            id=r.required_text("id", min_len=1, max_len=128, pattern=_EVENT_ID),
            type=r.required_text("type", min_len=1, max_len=128),
            live=r.boolean("live"),
            created=r.integer("created"),
            data=r.mapping("data") or {},
        )


def parse_batch(raw: Any) -> list[Any]:
    """The `events` of a webhook body (each parsed on its own, so one bad event is not all)."""
    batch = Reader(raw, "body")
    events = batch.data.get("events")
    if not isinstance(events, list) or len(events) > 500:
        raise ShapeError("body.events: a list of at most 500 events")
    return events


@dataclass(frozen=True, slots=True)
class Person:
    first: str | None = None
    last: str | None = None
    email: str | None = None
    company: str | None = None
    phone: str | None = None

    @classmethod
    def parse(cls, r: Reader | None) -> Person | None:
        if r is None:
            return None
        return cls(
            first=r.text("first", max_len=200),
            last=r.text("last", max_len=200),
            email=r.text("email", max_len=254),
            company=r.text("company", max_len=200),
            phone=r.text("phone", max_len=64),
        )


@dataclass(frozen=True, slots=True)
class Address:
    country: str | None = None
    city: str | None = None

    @classmethod
    def parse(cls, r: Reader | None) -> Address | None:
        if r is None:
            return None
        return cls(country=r.text("country", max_len=64), city=r.text("city", max_len=200))


@dataclass(frozen=True, slots=True)
class Account:
    contact: Person | None
    address: Address | None
    language: str | None
    country: str | None

    @classmethod
    def parse(cls, r: Reader) -> Account:
        return cls(
            contact=Person.parse(r.child("contact")),
            address=Address.parse(r.child("address")),
            language=r.text("language", max_len=16),
            country=r.text("country", max_len=64),
        )


@dataclass(frozen=True, slots=True)
class Line:
    product: str
    display: str | None
    quantity: int
    sku: str | None
    subtotal: Decimal
    attributes: dict[str, Any] | None

    @classmethod
    def parse(cls, r: Reader) -> Line:
        quantity = r.integer("quantity", required=True, low=1, high=10_000)
        subtotal = r.decimal("subtotal", required=True, low=_ZERO)
        assert quantity is not None and subtotal is not None
        return cls(
            product=r.required_text("product", min_len=1, max_len=256),
            display=r.text("display", max_len=500),
            quantity=quantity,
            sku=r.text("sku", max_len=128),
            subtotal=subtotal,
            attributes=r.mapping("attributes"),
        )


@dataclass(frozen=True, slots=True)
class OrderCompleted:
    id: str
    reference: str
    changed: int | None
    language: str | None
    currency: str
    total: Decimal
    invoice_url: str | None
    account: Account | None  # None also when FastSpring sent only the account id
    customer: Person | None
    address: Address | None
    items: list[Line]

    @classmethod
    def parse(cls, raw: Any) -> OrderCompleted:
        r = Reader(raw, "data")
        currency = (r.required_text("currency", min_len=3, max_len=3)).upper()
        if not _CURRENCY.fullmatch(currency):
            raise ShapeError("data.currency: a three-letter code")
        total = r.decimal("total", required=True, low=_ZERO)
        assert total is not None
        account_value = r.data.get("account")
        account = (
            Account.parse(Reader(account_value, "data.account"))
            if isinstance(account_value, dict)
            else None
        )
        if account_value is not None and not isinstance(account_value, str | dict):
            raise ShapeError("data.account: an id or an object")
        return cls(
            id=r.text("id", max_len=128) or r.required_text("order", min_len=1, max_len=128),
            reference=r.required_text("reference", min_len=1, max_len=64),
            changed=r.integer("changed"),
            language=r.text("language", max_len=16),
            currency=currency,
            total=total,
            invoice_url=r.text("invoiceUrl", max_len=2048),
            account=account,
            customer=Person.parse(r.child("customer")),
            address=Address.parse(r.child("address")),
            items=[Line.parse(item) for item in r.children("items", min_items=1, max_items=50)],
        )

    @property
    def contact(self) -> Person:
        return self.customer or (self.account.contact if self.account else None) or Person()


@dataclass(frozen=True, slots=True)
class ReturnedLine:
    product: str | None
    sku: str | None
    quantity: int


@dataclass(frozen=True, slots=True)
class ReturnCreated:
    id: str | None
    reference: str | None
    original_reference: str | None
    items: list[ReturnedLine]

    @classmethod
    def parse(cls, raw: Any) -> ReturnCreated:
        r = Reader(raw, "data")
        original = r.child("original", required=True)
        assert original is not None
        return cls(
            id=r.text("id", max_len=128),
            reference=r.text("reference", max_len=64),
            original_reference=original.text("reference", max_len=64),
            items=[
                ReturnedLine(
                    product=item.text("product", max_len=256),
                    sku=item.text("sku", max_len=128),
                    quantity=item.integer("quantity", low=1, high=10_000) or 1,
                )
                for item in r.children("items", max_items=50)
            ],
        )


# ---------------------------------------------------------------- API client (reconciliation)
class FastSpringApi:
    """The two calls reconciliation needs, over HTTPS with Basic auth (credentials from Secrets
    Manager: {"username": ..., "password": ...})."""

    def __init__(self, base_url: str, username: str, password: str, timeout: float = 10) -> None:
        if not base_url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise ValueError("FastSpring API base must be https")
        self.base_url = base_url.rstrip("/")
        token = base64.b64encode(f"{username}:{password}".encode()).decode()
        self._headers = {
            "Authorization": f"Basic {token}",
            "Accept": "application/json",
            "User-Agent": "customer-portal/1.0",
        }
        self.timeout = timeout

    @classmethod
    def from_settings(cls, settings: Settings) -> FastSpringApi:
        try:
            creds = json.loads(get_secret(settings.secrets_prefix + API_SECRET))
            return cls(settings.fastspring_api_base, creds["username"], creds["password"])
        except (KeyError, TypeError, ValueError) as exc:
            raise SecretMissing(API_SECRET) from exc

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        headers = dict(self._headers)
        if data is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(  # noqa: S310 - scheme checked in __init__
            self.base_url + path, data=data, method=method, headers=headers
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
            return loads(answer.read())

    def unprocessed_events(self, days: int = 3) -> tuple[list[dict[str, Any]], bool]:
        """(events, more): at most 25 per call; `more` says another call would return more."""
        answer = self._call("GET", f"/events/unprocessed?days={int(days)}")
        return list(answer.get("events") or []), bool(answer.get("more"))

    def mark_processed(self, event_id: str) -> None:
        self._call("POST", f"/events/{urllib.parse.quote(event_id, safe='')}", {"processed": True})
