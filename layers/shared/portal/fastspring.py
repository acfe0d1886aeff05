"""FastSpring: webhook signatures, the shapes of the events we use, and the API client used by
reconciliation. Facts in ../shared/docs/FASTSPRING.md; amounts are Decimal, never float."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from portal.config import Settings
from portal.secret_store import SecretMissing, get_secret

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
class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)


class Event(_Model):
    id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_\-]+$")
    type: str = Field(min_length=1, max_length=128)
    live: bool = False
    created: int | None = None
    data: dict[str, Any] = Field(default_factory=dict)


class Batch(_Model):
    events: list[dict[str, Any]] = Field(max_length=500)


class Person(_Model):
    first: str | None = Field(default=None, max_length=200)
    last: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    company: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=64)


class Address(_Model):
    country: str | None = Field(default=None, max_length=64)
    city: str | None = Field(default=None, max_length=200)
    display: str | None = Field(default=None, max_length=500)


class Account(_Model):
    id: str | None = None
    contact: Person | None = None
    address: Address | None = None
    language: str | None = None
    country: str | None = None


class Line(_Model):
    product: str = Field(min_length=1, max_length=256)
    display: str | None = Field(default=None, max_length=500)
    quantity: int = Field(ge=1, le=10_000)
    sku: str | None = Field(default=None, max_length=128)
    subtotal: Decimal = Field(ge=0, max_digits=18, decimal_places=4)
    attributes: dict[str, Any] | None = None


class OrderCompleted(_Model):
    id: str = Field(min_length=1, max_length=128)
    reference: str = Field(min_length=1, max_length=64)
    changed: int | None = None
    language: str | None = None
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    total: Decimal = Field(ge=0, max_digits=18, decimal_places=4)
    invoice_url: str | None = Field(default=None, alias="invoiceUrl", max_length=2048)
    live: bool = False
    account: str | Account | None = None
    customer: Person | None = None
    address: Address | None = None
    items: list[Line] = Field(min_length=1, max_length=50)
    tags: dict[str, Any] | None = None

    @field_validator("currency", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @property
    def contact(self) -> Person:
        expanded = self.account if isinstance(self.account, Account) else None
        return self.customer or (expanded.contact if expanded else None) or Person()


class ReturnedLine(_Model):
    product: str | None = Field(default=None, max_length=256)
    sku: str | None = Field(default=None, max_length=128)
    quantity: int = Field(default=1, ge=1, le=10_000)


class Original(_Model):
    id: str | None = None
    order: str | None = None
    reference: str | None = Field(default=None, max_length=64)


class ReturnCreated(_Model):
    id: str | None = Field(default=None, max_length=128)
    reference: str | None = Field(default=None, max_length=64)
    original: Original
    items: list[ReturnedLine] = Field(default_factory=list, max_length=50)
    reason: str | None = None
    total_return: Decimal | None = Field(default=None, alias="totalReturn")


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
