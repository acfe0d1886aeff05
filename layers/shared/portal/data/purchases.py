"""Committing a purchase: the customer (created when new, else only its profile's revision moved: a
later purchase never changes who the customer is, docs/decisions.md), the order with its lookups,
the licenses and supports it grants, the support dates it extends, the upgrade it pays (the quote
marked used, the workstations added to the license, its history entry `upgraded`) and, for a
FastSpring order, its `FSEVENT#` / `FSORDER#` markers, for an order `portal-admin import` moves
in, its audit entry - ONE conditional transaction, all or nothing. The FastSpring webhook,
reconciliation, the import, the demo data and the test factories all write through
`commit_purchase`; `read_customer` is what ingestion reads first about a known buyer.

The answer says what a failed condition meant, so that the domain never reads transaction parts:
the event or FastSpring order was recorded already (DUPLICATE), the customer changed meanwhile
(CUSTOMER_RACED: read again and rebuild), the paid quote or its license changed meanwhile
(UPGRADE_RACED: another order paid the quote, the license was refunded, bound or released - read
again and decide again), or a record with the same key exists (CONFLICT)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from portal.data import keys
from portal.data.audit import AuditEntry, audit_put_request
from portal.data.items import (
    activation_key_item,
    customer_from_item,
    customer_to_item,
    email_lookup_item,
    fastspring_order_item,
    history_item,
    license_from_item,
    license_to_item,
    order_reference_item,
    order_to_item,
    support_to_item,
)
from portal.data.quotes import quote_from_item, use_request
from portal.data.store import ConditionFailed, Item, Store
from portal.data.webhook_events import EventRecord, marker_request
from portal.models import Customer, HistoryEntry, License, Order, Quote, Support

ABSENT = "attribute_not_exists(pk)"
# The records one purchase may grant: a transaction holds 100 actions, and the markers, the
# customer (profile, email and key lookups) and the order with its lookup take up to 7; an
# upgrade (only ever a known customer's: the profile's revision, 1) 3 more; an import's audit
# entry 1 (an import has no markers and pays no upgrade).
MAX_GRANTS = 90
PRESENT = "attribute_exists(pk)"
# A license's history as read (portal.data.bindings numbers its entries the same way): the
# upgrade's entry is number historyLength + 1, and a bind or release committed meanwhile makes
# the upgrade's transaction fail rather than write a second entry with that number.
_SAME_HISTORY = "(attribute_not_exists(historyLength) OR historyLength = :length)"


@dataclass(frozen=True, slots=True)
class CustomerRead:
    """What ingestion knows of a known buyer: their profile and, when the order pays an
    upgrade, the quote and the license its tags name, as they are in that customer's partition
    (None: not there)."""

    customer: Customer | None
    quote: Quote | None = None
    license: License | None = None


def read_customer(
    store: Store, customer_id: str, *, quote_id: str | None = None, license_id: str | None = None
) -> CustomerRead:
    """The profile, one consistent GetItem; with a quote and a license id, the three in one
    consistent BatchGetItem (a quote or a license of anyone else is simply not found here)."""
    if quote_id is None or license_id is None:
        profile = store.get(keys.customer_profile(customer_id), consistent=True)
        return CustomerRead(customer_from_item(profile) if profile is not None else None)
    profile, quote, lic = store.get_many(
        [
            keys.customer_profile(customer_id),
            keys.quote_key(customer_id, quote_id),
            keys.license_key(customer_id, license_id),
        ]
    )
    return CustomerRead(
        customer=customer_from_item(profile) if profile is not None else None,
        quote=quote_from_item(quote) if quote is not None else None,
        license=license_from_item(lic) if lic is not None else None,
    )


@dataclass(frozen=True, slots=True)
class LicenseUpgrade:
    """The upgrade an order pays: quote `quote_id` becomes used, `license` (as read) gets `added`
    more users - provided it still exists, has at most `max_users - added` and the history
    length read - and its history the entry `upgraded` at `at`. `quote_id` None: no quote to
    mark (support approving a held upgrade whose quote is not open)."""

    quote_id: str | None
    license: License
    added: int
    max_users: int  # the catalog's maximum for the product
    at: datetime


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
    # An existing customer's profile revision as read: the purchase moves it and holds only if
    # the stored profile still has it (a parallel order or choice for the same customer retries),
    # and changes nothing else of the profile or the email lookup.
    known_revision: int | None = None
    support_extensions: Sequence[SupportExtension] = ()
    upgrade: LicenseUpgrade | None = None  # needs `order`: the quote is marked paid by it
    fastspring_order_id: str | None = None
    event: EventRecord | None = None  # the processed marker of the event this purchase comes from
    audit: AuditEntry | None = None  # a change made with portal-admin (an import): its record


class PurchaseOutcome(StrEnum):
    COMMITTED = "committed"
    DUPLICATE = "duplicate"  # the event or the FastSpring order was recorded already
    CUSTOMER_RACED = "customer_raced"  # the customer changed meanwhile: read again, rebuild
    UPGRADE_RACED = "upgrade_raced"  # the quote or the license changed meanwhile: read again
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
    for outcome in (
        PurchaseOutcome.DUPLICATE,
        PurchaseOutcome.CUSTOMER_RACED,
        PurchaseOutcome.UPGRADE_RACED,
    ):
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
    if purchase.known_revision is not None:
        _profile_revision(tx, customer_id, purchase.known_revision)
    if purchase.order is not None:
        tx.put(order_to_item(customer_id, purchase.order), conflict)
        tx.put(order_reference_item(purchase.order.reference, customer_id), conflict)
    for lic in purchase.licenses:
        tx.put(license_to_item(customer_id, lic), conflict)
    for sup in purchase.supports:
        tx.put(support_to_item(customer_id, sup), conflict)
    upgraded = purchase.upgrade.license.license_id if purchase.upgrade else None
    extended = None
    for extension in purchase.support_extensions:
        if extension.license_id == upgraded:  # one write per item: the upgrade's carries it
            extended = extension
            continue
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
    if purchase.upgrade is not None and purchase.order is not None:
        tx.parts += _upgrade_parts(
            store, customer_id, purchase.upgrade, purchase.order.reference, extended
        )
    if purchase.audit is not None:
        tx.parts.append(_Part(*audit_put_request(store, purchase.audit), conflict, "AUDIT"))
    return tx.parts


def _upgrade_parts(
    store: Store,
    customer_id: str,
    upgrade: LicenseUpgrade,
    reference: str,
    extended: SupportExtension | None,
) -> list[_Part]:
    raced = PurchaseOutcome.UPGRADE_RACED
    parts = upgrade_requests(store, customer_id, upgrade, reference, extended)
    kinds = ("QUOTE", "LIC", "HIST")  # an order's upgrade always pays its quote
    return [
        _Part(action, request, raced, kind)
        for (action, request), kind in zip(parts, kinds, strict=True)
    ]


def upgrade_requests(
    store: Store,
    customer_id: str,
    upgrade: LicenseUpgrade,
    reference: str,
    extended: SupportExtension | None = None,
) -> list[tuple[str, dict[str, Any]]]:
    """The transaction parts of an upgrade, for a paid order and for support approving a held
    one (portal.data.held_upgrades): the quote marked used by order `reference` (when there is
    one to mark: only while open, so a quote is paid once however many orders race for it), the
    users added (only while the license exists - a refunded or revoked one does not - and the
    result stays within the maximum, its history as long as read), the history entry
    `upgraded` numbered from that length. `extended`: a renewal of the same license in the same
    order, written by the same update."""
    lic = upgrade.license
    update = "ADD #users :added SET historyLength = :next"
    values: dict[str, Any] = {
        ":added": upgrade.added,
        ":limit": upgrade.max_users - upgrade.added,
        ":length": lic.history_length,
        ":next": lic.history_length + 1,
    }
    if extended is not None:
        update += ", supportUntil = :until, supportId = :support, supportFile = :yes"
        values |= {
            ":until": extended.until.isoformat(),
            ":support": extended.support_id,
            ":yes": True,
        }
    grown = store.update_request(
        keys.license_key(customer_id, lic.license_id),
        update=update,
        names={"#users": "users"},
        values=values,
        condition="attribute_exists(pk) AND #users <= :limit AND " + _SAME_HISTORY,
    )
    entry = HistoryEntry(upgrade.at, "upgraded", lic.computer_id, lic.computer_name)
    recorded = store.put_request(
        history_item(customer_id, lic.license_id, entry, sequence=lic.history_length + 1),
        condition=ABSENT,
    )
    used: list[tuple[str, dict[str, Any]]] = []
    if upgrade.quote_id is not None:
        used = [("Update", use_request(store, customer_id, upgrade.quote_id, reference))]
    return [*used, ("Update", grown), ("Put", recorded)]


def _profile_revision(tx: _Transaction, customer_id: str, previous: int) -> None:
    """Optimistic concurrency on the profile: a parallel order (or a preference) for the same
    customer makes the transaction fail on `revision`, and the order is read and built again.
    Only the revision moves: name, language, billing details and contacts stay the customer's
    (a purchase with their email, by anyone, must not rewrite them)."""
    held = "attribute_exists(pk) AND " + (
        "revision = :previous" if previous else "attribute_not_exists(revision)"
    )
    values: dict[str, Any] = {":one": 1}
    if previous:
        values[":previous"] = previous
    request = tx.store.update_request(
        keys.customer_profile(customer_id),
        update="ADD revision :one",
        values=values,
        condition=held,
    )
    tx.parts.append(_Part("Update", request, PurchaseOutcome.CUSTOMER_RACED, "CUST"))
