"""Upgrades held for review, for the support team (portal-admin `upgrades`, the domain in
portal.admin.upgrades).

An order with an upgrade line held for review (and not refunded) carries the sparse gsi1 keys
`HELDUPGRADE` / `<placedAt>#<customerId>#<reference>` (portal.data.items.order_to_item: every
write of an order puts it whole, so the keys come with ingestion holding a line and go with the
decision or a refund), so that every held upgrade is one Query, oldest first.

A decision is ONE transaction, all or nothing, with its audit entry: the order put back with the
line decided, one revision on (`revised_order_request`: only on the revision read, so a refund
committed meanwhile makes the decision fail and be read again - and a decision committed first
makes the refund read again); for an approval also the parts a paid order writes
(portal.data.purchases.upgrade_requests: the license grown within the maximum while it exists
and its history is as read, the `upgraded` entry, the quote marked used while still open)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from portal.data import audit, keys
from portal.data.items import customer_from_item, license_from_item, order_from_item
from portal.data.purchases import LicenseUpgrade, upgrade_requests
from portal.data.quotes import quote_from_item
from portal.data.records import each_of
from portal.data.refunds import revised_order_request
from portal.data.store import ConditionFailed, Store
from portal.models import Customer, License, Order, Quote

PAGE = 100


@dataclass(frozen=True, slots=True)
class HeldOrder:
    customer_id: str
    order: Order  # as stored: its held line(s) among its items


def held_orders(store: Store) -> list[HeldOrder]:
    """Every order waiting for a decision, oldest first: one Query on gsi1 per page of 100 (the
    index is eventually consistent: an order held a moment ago may show on the next run)."""
    return [
        HeldOrder(keys.customer_of_order(str(item["pk"])), order_from_item(item))
        for item in store.each(keys.held_upgrades(), page=PAGE, newest_first=False)
    ]


def customers_and_licenses(
    store: Store, customer_ids: Iterable[str], licenses: Iterable[tuple[str, str]]
) -> tuple[dict[str, Customer], dict[tuple[str, str], License]]:
    """The profiles of `customer_ids` and the licenses `(customer id, license id)` that are still
    there (consistent BatchGetItem, 100 keys a call)."""
    customers = list(dict.fromkeys(customer_ids))
    pairs = list(dict.fromkeys(licenses))
    found = each_of(
        store,
        [keys.customer_profile(c) for c in customers]
        + [keys.license_key(c, license_id) for c, license_id in pairs],
    )
    profiles = {
        c: customer_from_item(item)
        for c, item in zip(customers, found[: len(customers)], strict=True)
        if item is not None
    }
    present = {
        pair: license_from_item(item)
        for pair, item in zip(pairs, found[len(customers) :], strict=True)
        if item is not None
    }
    return profiles, present


def order_of(store: Store, customer_id: str, reference: str) -> Order | None:
    """The customer's order as stored now (one consistent GetItem; None: there is none)."""
    item = store.get(keys.order_key(customer_id, reference), consistent=True)
    return order_from_item(item) if item is not None else None


@dataclass(frozen=True, slots=True)
class UpgradeRead:
    license: License | None  # None: no longer in the customer's partition
    revoked_reason: str | None  # why it is gone, when a refund or support revoked it
    quote: Quote | None


def upgrade_read(
    store: Store, customer_id: str, license_id: str, quote_id: str | None
) -> UpgradeRead:
    """The license a held line upgrades (else its revoked copy's reason) and its quote, one
    consistent BatchGetItem in the customer's partition."""
    wanted = [
        keys.license_key(customer_id, license_id),
        keys.revoked_license_key(customer_id, license_id),
    ]
    if quote_id is not None:
        wanted.append(keys.quote_key(customer_id, quote_id))
    found = store.get_many(wanted)
    lic, revoked = found[0], found[1]
    quote = found[2] if quote_id is not None else None
    return UpgradeRead(
        license=license_from_item(lic) if lic is not None else None,
        revoked_reason=str(revoked.get("reason") or "") or None if revoked is not None else None,
        quote=quote_from_item(quote) if quote is not None else None,
    )


def commit_approval(
    store: Store,
    customer_id: str,
    order: Order,
    upgrade: LicenseUpgrade,
    entry: audit.AuditEntry,
) -> bool:
    """Commit support's approval: `order` with the line applied (its revision the one read), the
    license grown (`upgrade`; `upgrade.quote_id` the quote to mark used, None when it was not
    open), its history entry and the audit entry. False: something changed since it was read
    (the order, the license, the quote): read again and decide again."""
    parts = [
        ("Put", revised_order_request(store, customer_id, order)),
        *upgrade_requests(store, customer_id, upgrade, order.reference),
        audit.audit_put_request(store, entry),
    ]
    return _commit(store, parts)


def commit_rejection(store: Store, customer_id: str, order: Order, entry: audit.AuditEntry) -> bool:
    """Commit support's rejection: `order` with the line rejected (revision as read) and the
    audit entry. False: the order changed since it was read."""
    parts = [
        ("Put", revised_order_request(store, customer_id, order)),
        audit.audit_put_request(store, entry),
    ]
    return _commit(store, parts)


def _commit(store: Store, parts: list[tuple[str, dict[str, Any]]]) -> bool:
    try:
        store.transact(parts)
    except ConditionFailed:
        return False
    return True
