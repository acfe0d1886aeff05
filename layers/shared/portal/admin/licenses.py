"""Support's changes to one license (portal-admin `revoke`, `restore`, `release`), each one
transaction with its audit entry, each conditional on what was read so that a parallel change
(an activation, a release, a refund) and the support change never both apply from one read:
the loser reads again (RETRIES) and decides again.

- `revoke`: as a refund revokes (portal.data.revocations: the REVOKED#LIC# copy with reason
  `support` and the operator's note, a bound license's copy left on gsi1 so the product's refresh
  answers 410, HIST `revoked` by support). The customer no longer sees it; the product cannot
  activate it. Refused: no such license, revoked already.
- `restore`: puts a license support revoked back, unbound (its computer must activate it again),
  with the support date of its serial's supports when one runs later now (a renewal bought
  meanwhile), HIST `restored`. Refused: not revoked, revoked by a FastSpring refund, or its order
  line refunded meanwhile so that it is no longer paid for ("refunded in FastSpring": restoring
  it would give back what FastSpring paid back).
- `release`: the portal's own release (portal.licensing.activation.release: its transaction, the
  customer's activation notice) beyond the 12-month limit, with the audit entry; the history says
  support did it. Refused: no such license, revoked, bound to no computer.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from portal.admin.refusals import Refused, reason_text, record_id
from portal.clock import Clock
from portal.config import Settings
from portal.data import audit, bindings, keys, records, revocations
from portal.data.items import license_from_item, order_from_item
from portal.data.refunds import granted_records
from portal.data.store import Item, Store
from portal.errors import NotActivated, NotFound
from portal.licensing import activation
from portal.models import License, Order, coverage_by_serial

RETRIES = 3


@dataclass(frozen=True, slots=True)
class LicenseChange:
    """What a command did to one license, for its message and --json."""

    action: str  # license.revoke | license.restore | license.release
    license_id: str
    software: str
    serial_number: str
    computer_id: str | None  # the computer it was bound to (revoke, release)
    computer_name: str | None
    audit_id: str


def revoke(
    store: Store, customer_id: str, license_id: str, *, actor: str, reason: str, clock: Clock
) -> LicenseChange:
    wanted = record_id(license_id, "license")
    note = reason_text(reason)
    for _ in range(RETRIES):
        found = granted_records(store, customer_id, [keys.license_sort_key(wanted)])
        if not found:
            raise _missing(store, customer_id, wanted)
        stored = found[0].stored
        lic = license_from_item(stored)
        now = clock.now()
        entry = audit.entry(
            actor,
            "license.revoke",
            now,
            customer_id=customer_id,
            subject=wanted,
            details={
                "reason": note,
                "serialNumber": lic.serial_number,
                "computerId": lic.computer_id,
            },
        )
        if revocations.revoke_license(store, customer_id, stored, at=now, note=note, audit=entry):
            return _change(entry, lic)
        # bound, released or revoked meanwhile: read again
    raise Refused(f"license {wanted} kept changing while it was being revoked: try again")


def restore(
    store: Store, customer_id: str, license_id: str, *, actor: str, reason: str, clock: Clock
) -> LicenseChange:
    wanted = record_id(license_id, "license")
    note = reason_text(reason)
    for _ in range(RETRIES):
        read = revocations.restore_read(store, customer_id, wanted)
        copy = read.copy
        if copy is None:
            if granted_records(store, customer_id, [keys.license_sort_key(wanted)]):
                raise Refused(f"license {wanted} is not revoked: nothing to restore")
            raise Refused(f"the customer has no license {wanted}")
        if copy.get("reason") != revocations.SUPPORT:
            raise Refused(
                f"license {wanted} was refunded in FastSpring ({copy.get('reason')}): it is "
                "not restored; the customer buys it again"
            )
        order = order_from_item(read.order) if read.order is not None else None
        if order is not None and not _still_paid(store, customer_id, order, wanted):
            raise Refused(
                f"license {wanted} was refunded in FastSpring since it was revoked (order "
                f"{order.reference}, {order.status}): it is not restored"
            )
        lic = _with_current_support(store, customer_id, license_from_item(copy))
        now = clock.now()
        entry = audit.entry(
            actor,
            "license.restore",
            now,
            customer_id=customer_id,
            subject=wanted,
            details={"reason": note, "serialNumber": lic.serial_number},
        )
        if revocations.restore_license(
            store, customer_id, copy, lic, at=now, order=read.order, audit=entry
        ):
            return _change(entry, replace(lic, computer_id=None, computer_name=None))
        # restored, or its order refunded, meanwhile: read again
    raise Refused(f"license {wanted} kept changing while it was being restored: try again")


def release(
    store: Store,
    settings: Settings,
    customer_id: str,
    license_id: str,
    *,
    actor: str,
    reason: str,
    clock: Clock,
) -> LicenseChange:
    wanted = record_id(license_id, "license")
    note = reason_text(reason)
    try:
        lic = license_from_item(records.owned_record(store, records.LICENSES, customer_id, wanted))
    except NotFound:
        raise _missing(store, customer_id, wanted) from None
    if not lic.bound:
        raise Refused(f"license {wanted} is bound to no computer: there is nothing to release")
    now = clock.now()
    recent = activation.recent_releases(lic, now)
    entry = audit.entry(
        actor,
        "license.release",
        now,
        customer_id=customer_id,
        subject=wanted,
        details={
            "reason": note,
            "serialNumber": lic.serial_number,
            "computerId": lic.computer_id,
            "releasesInLast12Months": len(recent),
            "limit": settings.rehosts_per_year,
        },
    )
    try:
        activation.release(
            customer_id, wanted, store=store, settings=settings, clock=clock, support=entry
        )
    except NotActivated:
        raise Refused(
            f"license {wanted} is bound to no computer any more (released meanwhile)"
        ) from None
    except NotFound:
        raise _missing(store, customer_id, wanted) from None
    return _change(entry, lic)


def _missing(store: Store, customer_id: str, license_id: str) -> Refused:
    copy = bindings.revoked_license(store, customer_id, license_id)
    if copy is not None:
        return Refused(f"license {license_id} is revoked ({_why(copy)}, {copy.get('revokedAt')})")
    return Refused(f"the customer has no license {license_id}")


def _why(copy: Item) -> str:
    reason = str(copy.get("reason") or "")
    return f"by support: {copy.get('note')}" if reason == revocations.SUPPORT else reason


def _still_paid(store: Store, customer_id: str, order: Order, license_id: str) -> bool:
    """Whether the order line that granted the license still pays for it once it is back: a
    line of quantity N with k units refunded pays for N - k of its licenses, and the others of
    them still there count first."""
    sort_key = keys.license_sort_key(license_id)
    line = next((line for line in order.items if sort_key in line.granted), None)
    if line is None:  # granted by no line of it (bought through a reseller): nothing refunded
        return True
    paid = line.quantity - line.refunded_quantity
    others = [
        granted
        for granted in line.granted
        if granted.startswith(keys.LICENSE_PREFIX) and granted != sort_key
    ]
    return len(granted_records(store, customer_id, others)) < paid


def _with_current_support(store: Store, customer_id: str, lic: License) -> License:
    """The license with its serial's support date now, when a support runs later than the one it
    had (renewed while it was revoked)."""
    serial = lic.serial_number
    same = [sup for sup in records.all_supports(store, customer_id) if sup.serial_number == serial]
    coverage = coverage_by_serial(same).get(lic.serial_number)
    if coverage is not None and (lic.support is None or coverage.until > lic.support.until):
        return replace(lic, support=coverage)
    return lic


def _change(entry: audit.AuditEntry, lic: License) -> LicenseChange:
    return LicenseChange(
        action=entry.action,
        license_id=lic.license_id,
        software=lic.software,
        serial_number=lic.serial_number,
        computer_id=lic.computer_id,
        computer_name=lic.computer_name,
        audit_id=entry.audit_id,
    )


def as_dict(change: LicenseChange) -> dict[str, Any]:
    return {
        "action": change.action,
        "licenseId": change.license_id,
        "software": change.software,
        "serialNumber": change.serial_number,
        "computerId": change.computer_id,
        "computerName": change.computer_name,
        "auditId": change.audit_id,
    }
