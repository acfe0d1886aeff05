"""The shapes of the FastSpring events the portal uses (../shared/docs/FASTSPRING.md): a webhook
batch, its event envelopes, `order.completed` and `return.created`. Amounts are Decimal, never
float."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from portal.shapes import Reader, ShapeError


def loads(raw: bytes | str) -> Any:
    """JSON with every non-integer number as Decimal."""
    return json.loads(raw, parse_float=Decimal)


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
