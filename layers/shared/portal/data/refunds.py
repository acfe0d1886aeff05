"""Committing a refund: the records its lines granted are revoked (each deleted with a REVOKED#
copy kept for support), the licenses whose support came from a revoked support get their dates
back in line, the workstations of a refunded upgrade are taken back, and the order takes its
refunded status - exactly once, with nothing half-revoked ever visible, whatever the number of
records.

One DynamoDB transaction holds at most 100 actions, and a refund of a large order needs more
(two per record - three for a license bound to a computer, whose history then says it was
revoked - plus the date corrections and three markers). So the domain hands over its changes in
groups that must be seen together - a record with its copy; the supports of one
serial number with the licenses whose date depends on them - and they are packed, whole, into
transactions of at most 100 actions. The `FSEVENT#` / `FSRETURN#` markers and the order's new
status (with the upgrade lines marked `reverted`, and their workstations taken back) are written
by the final transaction only: until it commits, the refund is not done, a
redelivery reads what is left and finishes it, and once it has committed any further delivery
is a duplicate. Every revocation is conditional (the copy must be new, the record still there,
a license's history as read), so two deliveries racing each other cannot both revoke a record,
and a license bound or released meanwhile is not revoked from a stale read: the loser reads
again. `revocation_parts` (one record's revocation) also serves support's revocation of a
license (portal.data.revocations). docs/data-model.md ("Multi-item writes") tells the same story."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from portal.data import keys
from portal.data.items import (
    fastspring_return_item,
    history_item,
    license_from_item,
    order_to_item,
    revoked_copy_item,
    support_from_item,
)
from portal.data.records import present
from portal.data.store import ConditionFailed, Item, Store, to_attributes
from portal.data.webhook_events import EventRecord, marker_request
from portal.models import HistoryEntry, License, Order, Support

MAX_ACTIONS = 100  # DynamoDB's limit for one TransactWriteItems
ABSENT = "attribute_not_exists(pk)"
PRESENT = "attribute_exists(pk)"


@dataclass(frozen=True, slots=True)
class Granted:
    """A record a refund may revoke, as stored."""

    stored: Item

    @property
    def sort_key(self) -> str:
        return str(self.stored["sk"])

    @property
    def license(self) -> License | None:
        is_license = self.sort_key.startswith(keys.LICENSE_PREFIX)
        return license_from_item(self.stored) if is_license else None

    @property
    def support(self) -> Support | None:
        is_support = self.sort_key.startswith(keys.SUPPORT_PREFIX)
        return support_from_item(self.stored) if is_support else None


def granted_records(store: Store, customer_id: str, sort_keys: Sequence[str]) -> list[Granted]:
    """The records still there among `sort_keys` (LIC#… / SUP#…) of the customer."""
    pk = keys.customer_pk(customer_id)
    return [Granted(item) for item in present(store, [{"pk": pk, "sk": sk} for sk in sort_keys])]


@dataclass(frozen=True, slots=True)
class SupportDate:
    """A license that stays, with the support end its remaining supports give (None: none)."""

    license_id: str
    until: date | None
    support_id: str | None = None  # the remaining support giving that end


@dataclass(frozen=True, slots=True)
class RevocationGroup:
    """Changes that must be seen together: revoked records and the dates depending on them."""

    records: tuple[Granted, ...]
    support_dates: tuple[SupportDate, ...] = ()


@dataclass(frozen=True, slots=True)
class UpgradeReversal:
    """A refunded upgrade: `workstations` taken back from the license, provided it is still
    there and has at least that many."""

    license_id: str
    workstations: int


@dataclass(frozen=True, slots=True)
class Refund:
    customer_id: str
    return_id: str
    order: Order  # as it is after the refund (lines' refunded quantities, status), revision as read
    groups: Sequence[RevocationGroup]
    event: EventRecord  # the processed marker of the event
    revoked_at: datetime
    reason: str
    # one per upgrade line this refund reverts (an order pays at most one upgrade): in the final
    # transaction, with the markers, so the workstations go back exactly once
    reversals: Sequence[UpgradeReversal] = ()


class RefundOutcome(StrEnum):
    COMMITTED = "committed"
    DUPLICATE = "duplicate"  # this refund or this event was recorded already
    RACED = "raced"  # a record changed meanwhile (another delivery revoking it): read again


@dataclass(frozen=True, slots=True)
class _Action:
    kind: str  # Put | Delete | Update
    request: dict[str, Any]
    marker: bool = False  # a failed condition here means DUPLICATE


def commit_refund(store: Store, refund: Refund) -> RefundOutcome:
    """Run the refund's transactions in order. A failure other than a condition (throttling, a
    network error) propagates: what committed stays committed, wholly, and a redelivery
    finishes the rest."""
    for transaction in _transactions(store, refund):
        try:
            store.transact((action.kind, action.request) for action in transaction)
        except ConditionFailed as failed:
            markers = [
                action.marker
                for action, code in zip(transaction, failed.reasons, strict=False)
                if code == "ConditionalCheckFailed"
            ]
            return RefundOutcome.DUPLICATE if any(markers) else RefundOutcome.RACED
    return RefundOutcome.COMMITTED


def _transactions(store: Store, refund: Refund) -> list[list[_Action]]:
    done: list[list[_Action]] = []
    current: list[_Action] = []
    for group in refund.groups:
        actions = _group_actions(store, refund, group)
        if current and len(current) + len(actions) > MAX_ACTIONS:
            done.append(current)
            current = []
        # A group larger than one transaction (some fifty supports of one serial number in one
        # refund) is split: whole records first, its date corrections in its last part.
        while len(actions) > MAX_ACTIONS:
            done.append(actions[:MAX_ACTIONS])
            actions = actions[MAX_ACTIONS:]
        current += actions
    final = _final_actions(store, refund)
    if len(current) + len(final) > MAX_ACTIONS:
        done.append(current)
        current = []
    done.append(current + final)
    return done


Part = tuple[str, dict[str, Any]]


@dataclass(frozen=True, slots=True)
class RevocationParts:
    """The revocation of one record: `pair` (its copy's Put and its Delete: never split) and
    `history` (a license's `revoked` entry, when it gets one)."""

    pair: tuple[Part, Part]
    history: tuple[Part, ...] = ()


def revocation_parts(
    store: Store,
    customer_id: str,
    stored: Item,
    *,
    at: datetime,
    reason: str,
    every_license: bool = False,
    by: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> RevocationParts:
    """How a record (`stored`, as read) is revoked, by a refund or by support: its REVOKED# copy
    (Put, only if new; `extra` attributes added), its Delete (only while it is there and, for a
    license, while its history is as read: a bind or a release meanwhile makes the transaction
    fail, and the caller reads again) and, for a license bound to a computer (any license with
    `every_license`), its history entry `revoked` (`by` who), numbered after those read - the
    copy's `historyLength` counts it."""
    copy = {
        **revoked_copy_item(customer_id, stored, revoked_at=at, reason=reason),
        **(extra or {}),
    }
    length = int(stored.get("historyLength") or 0)
    condition, values = PRESENT, None
    is_license = str(stored["sk"]).startswith(keys.LICENSE_PREFIX)
    lic = license_from_item(stored) if is_license else None
    if lic is not None:
        same = "historyLength = :length" if length else "attribute_not_exists(historyLength)"
        condition, values = f"{PRESENT} AND {same}", ({":length": length} if length else None)
    delete = store.delete_request(
        {"pk": str(stored["pk"]), "sk": str(stored["sk"])}, condition=condition, values=values
    )
    history: tuple[Part, ...] = ()
    if lic is not None and (lic.computer_id or every_license):
        entry = HistoryEntry(at, "revoked", lic.computer_id, lic.computer_name, by)
        revoked = history_item(customer_id, lic.license_id, entry, sequence=length + 1)
        history = (("Put", store.put_request(revoked, condition=ABSENT)),)
        copy["historyLength"] = length + 1
    return RevocationParts(
        pair=(("Put", store.put_request(copy, condition=ABSENT)), ("Delete", delete)),
        history=history,
    )


def _group_actions(store: Store, refund: Refund, group: RevocationGroup) -> list[_Action]:
    actions: list[_Action] = []
    histories: list[_Action] = []  # after the pairs, so a split never parts a pair
    for record in group.records:  # a copy and its delete: two actions, never split apart
        parts = revocation_parts(
            store, refund.customer_id, record.stored, at=refund.revoked_at, reason=refund.reason
        )
        actions += [_Action(kind, request) for kind, request in parts.pair]
        histories += [_Action(kind, request) for kind, request in parts.history]
    actions += histories
    for dated in group.support_dates:
        key = keys.license_key(refund.customer_id, dated.license_id)
        if dated.until is None:
            update = store.update_request(
                key, update="REMOVE supportUntil, supportId, supportFile", condition=PRESENT
            )
        else:
            update = store.update_request(
                key,
                update="SET supportUntil = :until, supportId = :support, supportFile = :yes",
                values={
                    ":until": dated.until.isoformat(),
                    ":support": dated.support_id,
                    ":yes": True,
                },
                condition=PRESENT,
            )
        actions.append(_Action("Update", update))
    return actions


def _final_actions(store: Store, refund: Refund) -> list[_Action]:
    marker = fastspring_return_item(refund.return_id, refund.order.reference)
    reversals = [
        _Action(
            "Update",
            store.update_request(
                keys.license_key(refund.customer_id, taken.license_id),
                update="ADD #users :minus",
                names={"#users": "users"},
                values={":minus": -taken.workstations, ":taken": taken.workstations},
                condition="attribute_exists(pk) AND #users >= :taken",
            ),
        )
        for taken in refund.reversals
    ]
    return [
        _Action("Put", marker_request(store, refund.event), marker=True),
        _Action("Put", store.put_request(marker, condition=ABSENT), marker=True),
        _Action("Put", revised_order_request(store, refund.customer_id, refund.order)),
        *reversals,
    ]


def revised_order_request(store: Store, customer_id: str, order: Order) -> dict[str, Any]:
    """The order as changed (`order.revision`: the one read), put one revision on. Optimistic
    concurrency: the write holds only on the revision read, so of two changes of one order
    decided at once (two refunds; a refund and support's decision on a held upgrade,
    portal.data.held_upgrades) the second fails (RACED), reads the order as the first left it
    and decides again."""
    read = order.revision
    item = order_to_item(customer_id, replace(order, revision=read + 1))
    if not read:
        return store.put_request(item, condition=f"{PRESENT} AND attribute_not_exists(revision)")
    request = store.put_request(item, condition=f"{PRESENT} AND revision = :read")
    request["ExpressionAttributeValues"] = to_attributes({":read": read})
    return request
