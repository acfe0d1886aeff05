"""Support revoking and restoring one license (portal-admin `revoke` / `restore`), each one
TransactWriteItems with its audit entry:

- `revoke_license`: the refund's revocation of one record (portal.data.refunds.revocation_parts:
  the `REVOKED#LIC#<id>` copy, kept on gsi1 under its computer when it was bound so the product's
  refresh answers 410; the license's Delete while its history is as read; a HIST `revoked` entry,
  here for every license, `by` support) with the copy's `reason = support` and the operator's
  `note`. A bind or release meanwhile fails the Delete's condition: nothing is written and the
  caller reads again (so of a revocation and an activation racing, one wins cleanly).
- `restore_license`: the license put back (only if absent) unbound, its copy deleted (only while
  it is the copy read), a HIST `restored` entry numbered after the copy's history, and, when the
  order that granted it was read, a ConditionCheck that the order is still at the revision read
  (a refund committing meanwhile fails the restore, which then reads the refund).
- `restore_read`: the copy and the order that granted the license (consistent reads).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from portal.data import keys
from portal.data.audit import AuditEntry, audit_put_request
from portal.data.items import history_item, license_to_item
from portal.data.refunds import revocation_parts
from portal.data.store import ConditionFailed, Item, Store
from portal.models import BY_SUPPORT, HistoryEntry, License

SUPPORT = BY_SUPPORT  # the copy's `reason` (a refund's is "refund <returnId>"), a history's `by`
ABSENT = "attribute_not_exists(pk)"


def revoke_license(
    store: Store, customer_id: str, stored: Item, *, at: datetime, note: str, audit: AuditEntry
) -> bool:
    """Revoke the license `stored` (as read, consistently) with `audit`; False when it changed
    or went meanwhile (nothing written: read again)."""
    parts = revocation_parts(
        store,
        customer_id,
        stored,
        at=at,
        reason=SUPPORT,
        every_license=True,
        by=SUPPORT,
        extra={"note": note, "revokedBy": audit.actor},
    )
    return _committed(store, [*parts.pair, *parts.history, audit_put_request(store, audit)])


@dataclass(frozen=True, slots=True)
class RestoreRead:
    copy: Item | None  # the license's REVOKED# copy (None: not revoked)
    order: Item | None  # the order that granted it (None: it names none, or that is not there)


def restore_read(store: Store, customer_id: str, license_id: str) -> RestoreRead:
    """The license's revoked copy, then the order it names: consistent GetItems (1 or 2)."""
    copy = store.get(keys.revoked_license_key(customer_id, license_id), consistent=True)
    reference = copy.get("orderNumber") if copy else None
    order = (
        store.get(keys.order_key(customer_id, str(reference)), consistent=True)
        if reference
        else None
    )
    return RestoreRead(copy, order)


def restore_license(
    store: Store,
    customer_id: str,
    copy: Item,
    restored: License,
    *,
    at: datetime,
    order: Item | None,
    audit: AuditEntry,
) -> bool:
    """Put `restored` (unbound) back from its `copy` (as read), record `restored` in its history
    and `audit`; False when the copy, the license or the order changed meanwhile (nothing
    written)."""
    sequence = int(copy.get("historyLength") or 0) + 1
    lic = license_to_item(customer_id, _unbound(restored, sequence))
    entry = HistoryEntry(at, "restored", None, None, SUPPORT)
    parts: list[tuple[str, dict[str, Any]]] = [
        ("Put", store.put_request(lic, condition=ABSENT)),
        (
            "Delete",
            store.delete_request(
                {"pk": str(copy["pk"]), "sk": str(copy["sk"])},
                condition="attribute_exists(pk) AND revokedAt = :at",
                values={":at": copy["revokedAt"]},
            ),
        ),
        (
            "Put",
            store.put_request(
                history_item(customer_id, restored.license_id, entry, sequence=sequence),
                condition=ABSENT,
            ),
        ),
        audit_put_request(store, audit),
    ]
    if order is not None:  # still as read: a refund committing meanwhile fails the restore
        order_key = {"pk": str(order["pk"]), "sk": str(order["sk"])}
        revision = int(order.get("revision") or 0)
        if revision:
            check = store.check_request(
                order_key,
                condition="attribute_exists(pk) AND revision = :read",
                values={":read": revision},
            )
        else:
            check = store.check_request(
                order_key, condition="attribute_exists(pk) AND attribute_not_exists(revision)"
            )
        parts.append(("ConditionCheck", check))
    return _committed(store, parts)


def _unbound(lic: License, history_length: int) -> License:
    return replace(lic, computer_id=None, computer_name=None, history_length=history_length)


def _committed(store: Store, parts: list[tuple[str, dict[str, Any]]]) -> bool:
    try:
        store.transact(parts)
    except ConditionFailed:
        return False
    return True
