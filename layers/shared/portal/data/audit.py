"""The audit trail of the support team's changes (portal-admin): one item per change, written in
the change's own transaction (`audit_put_request` as one more part) or alone for a change outside
the table (a rotated secret: `record`), so no change is made without its record.

`CUST#<customerId>` / `AUDIT#<auditId>` (or `AUDIT#VENDOR` / `AUDIT#<auditId>` for a change that
concerns no one customer), on gsi1 as `AUDIT#<yyyy-mm>` / `<auditId>` so the whole trail reads
month by month. `auditId` is a ULID of the change's time. Never a secret, key or token in
`details`: names, ids and counts only."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from portal.clock import from_utc_text, utc_text
from portal.data import keys
from portal.data.store import Item, Store
from portal.ids import new_ulid

ABSENT = "attribute_not_exists(pk)"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    actor: str  # who: the operator's AWS identity (ARN), or local:<user> on the local stack
    action: str  # what, e.g. license.revoke, upgrade.approve, import.order, rotate.webhook-secret
    at: datetime  # when (UTC)
    customer_id: str | None = None  # whose records it changed (None: vendor-wide)
    subject: str = ""  # the record it changed: a license id, an order reference, a secret name
    details: Mapping[str, Any] = field(default_factory=dict)  # JSON-able facts: no secrets
    audit_id: str = ""  # filled by `entry()`


def entry(
    actor: str,
    action: str,
    at: datetime,
    *,
    customer_id: str | None = None,
    subject: str = "",
    details: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """A new entry with its ULID."""
    return AuditEntry(
        actor=actor,
        action=action,
        at=at,
        customer_id=customer_id,
        subject=subject,
        details=dict(details or {}),
        audit_id=new_ulid(at),
    )


def _item(audit: AuditEntry) -> Item:
    if not audit.audit_id:
        raise ValueError("an audit entry needs its id: build it with audit.entry()")
    return {
        **keys.audit_key(audit.customer_id, audit.audit_id),
        **keys.audit_gsi(audit.audit_id, audit.at.strftime("%Y-%m")),
        "type": "audit",
        "actor": audit.actor,
        "action": audit.action,
        "at": utc_text(audit.at),
        "customerId": audit.customer_id,
        "subject": audit.subject,
        "details": json.dumps(dict(audit.details), sort_keys=True, separators=(",", ":")),
    }


def from_item(item: Item) -> AuditEntry:
    return AuditEntry(
        actor=str(item["actor"]),
        action=str(item["action"]),
        at=from_utc_text(str(item["at"])),
        customer_id=item.get("customerId"),
        subject=str(item.get("subject") or ""),
        details=json.loads(str(item.get("details") or "{}")),
        audit_id=str(item["sk"]).removeprefix(keys.AUDIT_PREFIX),
    )


def audit_put_request(store: Store, audit: AuditEntry) -> tuple[str, dict[str, Any]]:
    """The entry as one more part of the change's `TransactWriteItems` (written once)."""
    return "Put", store.put_request(_item(audit), condition=ABSENT)


def record(store: Store, audit: AuditEntry) -> None:
    """Write the entry alone (a change made outside the table, e.g. a rotated secret)."""
    store.put(_item(audit), condition=ABSENT)


def of_customer(store: Store, customer_id: str, *, limit: int = 100) -> list[AuditEntry]:
    """The customer's newest `limit` entries, newest first (one Query)."""
    where = keys.audits_of(customer_id)
    result = store.query(partition=where.partition, sort_prefix=where.sort_prefix, limit=limit)
    return [from_item(item) for item in result.items]


def in_month(store: Store, month: str) -> Iterator[AuditEntry]:
    """Every entry of a month (`yyyy-mm`), newest first (pages of 100 on gsi1)."""
    for item in store.each(keys.audits_in(month), page=100):
        yield from_item(item)
