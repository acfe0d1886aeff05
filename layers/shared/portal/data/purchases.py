"""Committing a purchase: the customer (created when new, else its profile updated under a
revision check), the order with its lookups, the licenses and supports it grants, the support
dates it extends and, for a FastSpring order, its `FSEVENT#` / `FSORDER#` markers - ONE
conditional transaction, all or nothing. The FastSpring webhook, reconciliation, the demo data
and the test factories all write through `commit_purchase`.

The answer says what a failed condition meant, so that the domain never reads transaction parts:
the event or FastSpring order was recorded already (DUPLICATE), the customer changed meanwhile
(CUSTOMER_RACED: read again and rebuild), or a record with the same key exists (CONFLICT)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import Any

from portal.data import keys
from portal.data.items import (
    activation_key_item,
    customer_to_item,
    email_lookup_item,
    fastspring_order_item,
    license_to_item,
    order_reference_item,
    order_to_item,
    support_to_item,
)
from portal.data.store import ConditionFailed, Item, Store, to_attributes
from portal.data.webhook_events import EventRecord, marker_request
from portal.models import Customer, License, Order, Support

ABSENT = "attribute_not_exists(pk)"
# The records one purchase may grant: a transaction holds 100 actions, and the markers, the
# customer (profile, email and key lookups) and the order with its lookup take up to 7.
MAX_GRANTS = 90
PRESENT = "attribute_exists(pk)"


@dataclass(frozen=True, slots=True)
class NewCustomer:
    customer: Customer  # with its activation key sealed
    activation_key: str  # in clear: only its digest is stored (the AKEY# lookup)


@dataclass(frozen=True, slots=True)
class SupportExtension:
    """An existing license whose support now runs until `until` (a renewal bought for it)."""

    license_id: str
    until: date
    support_id: str  # the support giving that end: the license's support file


@dataclass(frozen=True, slots=True)
class Purchase:
    customer_id: str
    order: Order | None = None
    licenses: Sequence[License] = ()
    supports: Sequence[Support] = ()
    new_customer: NewCustomer | None = None
    # An existing customer's new profile; its `revision` is the one read, and the write holds
    # only if the stored profile still has it (a parallel order for the same customer retries).
    updated_customer: Customer | None = None
    support_extensions: Sequence[SupportExtension] = ()
    fastspring_order_id: str | None = None
    event: EventRecord | None = None  # the processed marker of the event this purchase comes from


class PurchaseOutcome(StrEnum):
    COMMITTED = "committed"
    DUPLICATE = "duplicate"  # the event or the FastSpring order was recorded already
    CUSTOMER_RACED = "customer_raced"  # the customer changed meanwhile: read again, rebuild
    CONFLICT = "conflict"  # another record has one of these keys (an order reference...)


@dataclass(frozen=True, slots=True)
class PurchaseResult:
    outcome: PurchaseOutcome
    conflicts: tuple[str, ...] = ()  # for CONFLICT: the kinds of key that were taken

    @property
    def committed(self) -> bool:
        return self.outcome is PurchaseOutcome.COMMITTED


@dataclass(frozen=True, slots=True)
class _Part:
    action: str  # Put | Update
    request: dict[str, Any]
    means: PurchaseOutcome  # what a failed condition on this part means
    kind: str = ""  # the key's kind, named in a CONFLICT


@dataclass(slots=True)
class _Transaction:
    store: Store
    parts: list[_Part] = field(default_factory=list)

    def put(self, item: Item, means: PurchaseOutcome, condition: str = ABSENT) -> dict[str, Any]:
        request = self.store.put_request(item, condition=condition)
        self.parts.append(_Part("Put", request, means, str(item["pk"]).split("#")[0]))
        return request


def commit_purchase(store: Store, purchase: Purchase) -> PurchaseResult:
    parts = _parts(store, purchase)
    try:
        store.transact((part.action, part.request) for part in parts)
    except ConditionFailed as failed:
        return _meaning(failed.reasons, parts)
    return PurchaseResult(PurchaseOutcome.COMMITTED)


def _meaning(reasons: Sequence[str], parts: Sequence[_Part]) -> PurchaseResult:
    failed = [
        part for part, code in zip(parts, reasons, strict=False) if code == "ConditionalCheckFailed"
    ]
    for outcome in (PurchaseOutcome.DUPLICATE, PurchaseOutcome.CUSTOMER_RACED):
        if any(part.means is outcome for part in failed):
            return PurchaseResult(outcome)
    return PurchaseResult(
        PurchaseOutcome.CONFLICT, tuple(dict.fromkeys(part.kind for part in failed))
    )


def _parts(store: Store, purchase: Purchase) -> list[_Part]:
    tx = _Transaction(store)
    duplicate, raced, conflict = (
        PurchaseOutcome.DUPLICATE,
        PurchaseOutcome.CUSTOMER_RACED,
        PurchaseOutcome.CONFLICT,
    )
    customer_id = purchase.customer_id
    if purchase.event is not None:
        tx.parts.append(_Part("Put", marker_request(store, purchase.event), duplicate, "FSEVENT"))
    if purchase.fastspring_order_id is not None:
        reference = purchase.order.reference if purchase.order else ""
        tx.put(
            fastspring_order_item(purchase.fastspring_order_id, customer_id, reference), duplicate
        )
    if purchase.new_customer is not None:
        customer = purchase.new_customer.customer
        tx.put(customer_to_item(customer), raced)
        tx.put(email_lookup_item(customer), raced)
        tx.put(activation_key_item(purchase.new_customer.activation_key, customer_id), raced)
    if purchase.updated_customer is not None:
        _profile_update(tx, purchase.updated_customer)
    if purchase.order is not None:
        tx.put(order_to_item(customer_id, purchase.order), conflict)
        tx.put(order_reference_item(purchase.order.reference, customer_id), conflict)
    for lic in purchase.licenses:
        tx.put(license_to_item(customer_id, lic), conflict)
    for sup in purchase.supports:
        tx.put(support_to_item(customer_id, sup), conflict)
    for extension in purchase.support_extensions:
        request = store.update_request(
            keys.license_key(customer_id, extension.license_id),
            update="SET supportUntil = :until, supportId = :support, supportFile = :yes",
            values={
                ":until": extension.until.isoformat(),
                ":support": extension.support_id,
                ":yes": True,
            },
            condition=PRESENT,
        )
        tx.parts.append(_Part("Update", request, raced, "LIC"))
    return tx.parts


def _profile_update(tx: _Transaction, customer: Customer) -> None:
    """Optimistic concurrency on the profile: a parallel order for the same customer makes the
    transaction fail on `revision`, and the order is read and built again."""
    previous = customer.revision
    profile = customer_to_item(replace(customer, revision=previous + 1))
    if previous:
        request = tx.put(profile, PurchaseOutcome.CUSTOMER_RACED, "revision = :previous")
        request["ExpressionAttributeValues"] = to_attributes({":previous": previous})
    else:
        tx.put(profile, PurchaseOutcome.CUSTOMER_RACED, "attribute_not_exists(revision)")
    tx.put(email_lookup_item(customer), PurchaseOutcome.CUSTOMER_RACED, PRESENT)
