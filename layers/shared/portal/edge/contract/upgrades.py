"""Upgrades: a quote for more workstations, and its FastSpring checkout (API.md "Upgrades")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from portal.edge.contract.common import MoneyOut, Wire
from portal.edge.contract.licenses import record_id_field
from portal.fields import Field, declare, read
from portal.ids import ULID_SHAPE
from portal.licensing.pricing import MAX_ADDED
from portal.models import PriceLine, Quote

QUOTE_ID = record_id_field("quote_id")  # POST /api/upgrades/quotes/<quote_id>/checkout


@dataclass(frozen=True)
class QuoteRequest(Wire):
    """`{licenseId, additionalWorkstations}`: nothing else (a price sent along is refused)."""

    license_id: str = declare(Field("licenseId", min_length=26, max_length=26, pattern=ULID_SHAPE))
    additional_workstations: int = declare(
        Field(
            "additionalWorkstations",
            kind=int,
            ge=1,
            le=MAX_ADDED,
            description="Workstations to add, 1 to 1000",
        )
    )

    @classmethod
    def parse(cls, data: Any) -> QuoteRequest:
        return read(cls, data)


@dataclass(frozen=True)
class PriceLineOut(Wire):
    kind: str  # license | support
    quantity: int
    unit_price: MoneyOut  # support: per year
    days: int | None  # support: the days of support left; license: null
    amount: MoneyOut

    @classmethod
    def of(cls, line: PriceLine) -> PriceLineOut:
        return cls(
            line.kind,
            line.quantity,
            MoneyOut.of(line.unit_price),
            line.days,
            MoneyOut.of(line.amount),
        )


@dataclass(frozen=True)
class QuoteOut(Wire):
    quote_id: str
    license_id: str
    software: str  # the license, for the upgrade page's header
    serial_number: str
    computer_id: str | None
    computer_name: str | None
    current_workstations: int
    additional_workstations: int
    support_until: date
    price: MoneyOut
    breakdown: list[PriceLineOut]
    expires_at: datetime

    @classmethod
    def of(cls, quote: Quote) -> QuoteOut:
        return cls(
            quote_id=quote.quote_id,
            license_id=quote.license_id,
            software=quote.software,
            serial_number=quote.serial_number,
            computer_id=quote.computer_id,
            computer_name=quote.computer_name,
            current_workstations=quote.current_workstations,
            additional_workstations=quote.added,
            support_until=quote.support_until,
            price=MoneyOut.of(quote.price),
            breakdown=[PriceLineOut.of(line) for line in quote.breakdown],
            expires_at=quote.expires_at,
        )


@dataclass(frozen=True)
class CheckoutOut(Wire):
    checkout_url: str  # on the configured FastSpring store base, nothing else
