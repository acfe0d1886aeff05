"""The orders page and one order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal, cast

from portal.edge.contract.common import MoneyOut, Wire, order_reference_field
from portal.models import Contact, Order, OrderItem
from portal.orders.orders import OrdersPage

Day = date  # a field named `date` would shadow the type inside its class

REFERENCE = order_reference_field("reference")  # GET /api/orders/<reference>; malformed: 400


@dataclass(frozen=True)
class BillingOut(Wire):
    date: Day | None
    name: str | None
    country: str | None
    city: str | None


@dataclass(frozen=True)
class ContactOut(Wire):
    date: Day | None
    first_name: str | None
    last_name: str | None
    email: str | None

    @classmethod
    def of(cls, contact: Contact) -> ContactOut:
        return cls(contact.date, contact.first_name, contact.last_name, contact.email)


@dataclass(frozen=True)
class OrderSummaryOut(Wire):
    reference: str
    date: Day
    total: MoneyOut
    status: str  # completed | refunded | partially_refunded


@dataclass(frozen=True)
class OrdersPageOut(Wire):
    billing: BillingOut | None  # on the first page; null on later pages
    contacts: list[ContactOut]  # on the first page; empty on later pages
    items: list[OrderSummaryOut]
    next_cursor: str | None

    @classmethod
    def of(cls, page: OrdersPage) -> OrdersPageOut:
        billing = page.billing
        return cls(
            billing=BillingOut(billing.date, billing.name, billing.country, billing.city)
            if billing
            else None,
            contacts=[ContactOut.of(c) for c in page.contacts],
            items=[
                OrderSummaryOut(o.reference, o.placed_at.date(), MoneyOut.of(o.total), o.status)
                for o in page.orders
            ],
            next_cursor=page.next_cursor,
        )


@dataclass(frozen=True)
class OrderLineOut(Wire):
    product: str
    sku: str | None
    quantity: int
    subtotal: MoneyOut

    @classmethod
    def of(cls, line: OrderItem) -> OrderLineOut:
        shown = (line.display or line.product, line.sku, line.quantity, MoneyOut.of(line.subtotal))
        if line.upgrade is None:
            return cls(*shown)
        upgrade = UpgradeOut(
            cast(UpgradeStatus, line.upgrade.status), cast(Any, line.upgrade.reason)
        )
        return UpgradeLineOut(*shown, upgrade)


UpgradeStatus = Literal["applied", "held", "reverted", "rejected"]
UpgradeReason = Literal[
    "amount_mismatch", "quote_expired", "quote_used", "quote_unknown", "license_changed"
]


@dataclass(frozen=True)
class UpgradeOut(Wire):
    """`reason`: why a held upgrade was held (kept once support rejected it: `rejected`, the
    payment refunded in FastSpring, nothing applied); null once applied, and once reverted
    unless there was nothing left to take back (`license_changed`)."""

    status: UpgradeStatus
    reason: UpgradeReason | None


@dataclass(frozen=True)
class UpgradeLineOut(OrderLineOut):
    """A line of the upgrade product: what became of the upgrade it paid for. Other lines
    carry no `upgrade` key."""

    upgrade: UpgradeOut


@dataclass(frozen=True)
class OrderDetailOut(Wire):
    reference: str
    placed_at: datetime
    total: MoneyOut
    status: str
    items: list[UpgradeLineOut | OrderLineOut]

    @classmethod
    def of(cls, order: Order) -> OrderDetailOut:
        return cls(
            reference=order.reference,
            placed_at=order.placed_at,
            total=MoneyOut.of(order.total),
            status=order.status,
            items=[OrderLineOut.of(line) for line in order.items],
        )
