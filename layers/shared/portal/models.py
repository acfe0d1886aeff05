"""Domain models: what the portal knows, independent of HTTP and of DynamoDB item shapes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(slots=True)
class Money:
    amount: Decimal
    currency: str


@dataclass(slots=True)
class BillingDetails:
    date: date | None
    name: str | None
    country: str | None
    city: str | None


@dataclass(slots=True)
class Contact:
    date: date | None
    first_name: str | None
    last_name: str | None
    email: str | None


@dataclass(slots=True)
class Customer:
    customer_id: str
    email: str
    name: str
    language: str
    activation_key_sealed: str
    billing: BillingDetails | None = None
    contacts: tuple[Contact, ...] = ()
    revision: int = 0  # bumped by every update of the profile (optimistic concurrency)
    # Support-expiry reminders: None = never chosen (on). Written only by
    # portal.data.preferences; carried here so that a purchase's rewrite of the profile keeps them.
    reminders: bool | None = None
    reminders_changed_at: str | None = None  # ISO 8601 UTC of the last choice


@dataclass(slots=True)
class SupportCoverage:
    until: date
    file_available: bool
    support_id: str | None = None  # the support that runs longest for this serial: its file


@dataclass(slots=True)
class License:
    license_id: str
    software: str
    serial_number: str
    computer_name: str | None
    days: int | None  # None: perpetual
    users: int
    edition: str | None
    order_number: str | None
    purchased_on: date
    support: SupportCoverage | None
    upgradable: bool
    # The one computer this license is bound to (both None until activated).
    computer_id: str | None = None
    releases: tuple[datetime, ...] = ()  # when it was released from a computer (rehost limit)
    history_length: int = 0  # entries in its history (binds, releases)

    @property
    def bound(self) -> bool:
        return self.computer_id is not None


@dataclass(slots=True)
class Support:
    support_id: str
    software: str
    serial_number: str
    users: int
    edition: str | None
    order_number: str | None
    purchased_on: date
    duration_years: int
    expires_on: date


BY_SUPPORT = "support"  # a HistoryEntry's `by`: done by the vendor's support team (portal-admin)


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One event of a license's life on computers: activated, released, upgraded, revoked,
    restored."""

    at: datetime
    event: str
    computer_id: str | None
    computer_name: str | None
    by: str | None = None  # BY_SUPPORT, or None


@dataclass(frozen=True, slots=True)
class PriceLine:
    """One line of an upgrade quote's breakdown: the licenses, or their support for the days
    left (portal.licensing.pricing)."""

    kind: str  # license | support
    quantity: int
    unit_price: Money  # support: per year
    days: int | None  # support: the days left; license: None
    amount: Money


@dataclass(frozen=True, slots=True)
class Quote:
    """A price for adding workstations to one license, valid 24 hours, paid at most once."""

    quote_id: str
    license_id: str
    software: str
    serial_number: str
    computer_id: str | None
    computer_name: str | None
    current_workstations: int
    added: int
    support_until: date
    price: Money
    breakdown: tuple[PriceLine, ...]
    created_at: datetime
    expires_at: datetime
    status: str = "open"  # open | used (an order paid it)
    paid_by: str | None = None  # the reference of the order that paid it
    checkout_session: str | None = None  # the FastSpring session selling it


@dataclass(slots=True)
class Session:
    customer_id: str
    created_at: datetime
    last_seen_at: datetime


@dataclass(slots=True)
class Page(Generic[T]):
    items: list[T] = field(default_factory=list)
    next_cursor: str | None = None


@dataclass(frozen=True, slots=True)
class LineUpgrade:
    """What an upgrade order line did (portal.fastspring.upgrades): `applied` (the quote's
    workstations added to its license), `held` for review with a `reason` (nothing applied),
    `reverted` (applied, then refunded: the workstations taken back), or `rejected` (held, then
    refused by support: nothing applied, the payment to be refunded in FastSpring). Support
    approving a held line makes it `applied` (portal.admin.upgrades)."""

    status: str  # applied | held | reverted | rejected
    reason: str | None  # held, rejected: amount_mismatch | quote_expired | quote_used |
    # quote_unknown | license_changed; reverted: license_changed when there was nothing left
    # to take back
    quote_id: str | None  # the quote the order's tags name (None: the tags name none)
    license_id: str | None  # the license it upgrades (the quote's, else the tags')
    workstations: int  # the quote's added workstations (0: no quote found); never the order's
    note: str | None = None  # support's reason for approving or rejecting it (never shown to
    # the customer: the audit entry has who and when)


@dataclass(slots=True)
class OrderItem:
    product: str
    sku: str | None
    quantity: int
    subtotal: Money
    display: str | None = None
    granted: tuple[str, ...] = ()  # sort keys (LIC#..., SUP#...) of what this line granted
    unknown_sku: bool = False  # no catalog entry: recorded, granted nothing, reported
    refunded_quantity: int = 0
    upgrade: LineUpgrade | None = None  # a line of the catalog's upgrade product; else None
    # a support line that matches no license of its software, edition and size: granted nothing,
    # held for review (support_mismatch | license_unknown | no_matching_license)
    held: str | None = None


@dataclass(slots=True)
class Order:
    reference: str
    placed_at: datetime
    total: Money
    items: tuple[OrderItem, ...]
    fastspring_id: str | None = None
    invoice_url: str | None = None
    status: str = "completed"  # completed | refunded | partially_refunded
    revision: int = 0  # refunds and support decisions applied to it; each write holds only on
    # the revision it read
    # the buyer's details as this order gave them (the profile keeps the first purchase's)
    billing: BillingDetails | None = None
    contact: Contact | None = None

    def awaiting_review(self) -> list[int]:
        """The indexes of its upgrade lines waiting for support's decision (portal-admin
        upgrades): held for review, and neither the line nor the order refunded."""
        if self.status == "refunded":
            return []
        return [
            index
            for index, line in enumerate(self.items)
            if line.upgrade is not None
            and line.upgrade.status == "held"
            and not line.refunded_quantity
        ]


def coverage_by_serial(supports: Iterable[Support]) -> dict[str, SupportCoverage]:
    """For each serial number, the coverage its longest-running support gives a license: its end
    and its id (whose file the Support column's "View" downloads). Supports without a serial
    cover nothing."""
    longest: dict[str, Support] = {}
    for sup in supports:
        if sup.serial_number and (
            sup.serial_number not in longest
            or sup.expires_on > longest[sup.serial_number].expires_on
        ):
            longest[sup.serial_number] = sup
    return {
        serial: SupportCoverage(sup.expires_on, True, sup.support_id)
        for serial, sup in longest.items()
    }
