"""`return.created`: a FastSpring refund revokes what the refunded lines granted (k refunded units
of a license line revoke k of its licenses, never-activated ones first; a support line is
revoked once all its quantity is refunded), brings the licenses' support dates back in line with
the supports that remain, takes back the workstations of a refunded upgrade line that was
applied (portal.fastspring.upgrades.reversals; a held or rejected one changes no license), and
marks the order refunded or partially refunded - exactly once, however many records it takes
(portal.data.refunds.commit_refund)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from portal.data import keys
from portal.data.items import order_from_item
from portal.data.records import all_licenses, all_supports
from portal.data.refunds import (
    Granted,
    Refund,
    RefundOutcome,
    RevocationGroup,
    SupportDate,
    commit_refund,
    granted_records,
)
from portal.data.store import Store
from portal.data.webhook_events import EventRecord
from portal.fastspring import upgrades
from portal.fastspring.events import Event, Malformed, NotYet, Rejected, ReturnCreated, read
from portal.models import Order, OrderItem, coverage_by_serial
from portal.observability import count
from portal.types import normalize_order_reference

if TYPE_CHECKING:
    from portal.fastspring.ingest import Context

RETRIES = 3


def return_created(event: Event, ctx: Context, processed: EventRecord) -> str:
    """ "processed" or "duplicate" (this refund was committed already)."""
    try:
        data = read(ReturnCreated, event.data)
    except Malformed as exc:
        raise Rejected(str(exc)) from None
    original = normalize_order_reference(data.original.reference or "")
    if not original:
        raise Rejected("refund without the original order reference")
    return_id = data.id or data.reference or event.id
    owner = ctx.store.get(keys.order_reference_lookup(original), consistent=True)
    if owner is None:
        raise NotYet("the refunded order has not arrived yet")
    customer_id = str(owner["customerId"])
    for _ in range(RETRIES):
        done, order_item = ctx.store.get_many(
            [keys.fastspring_return_lookup(return_id), keys.order_key(customer_id, original)]
        )
        if done is not None:
            return "duplicate"
        if order_item is None:
            raise NotYet("the refunded order record is missing")
        order = order_from_item(order_item)
        refunded = _refund_lines(order, data)
        revoked = _revoked_records(ctx.store, customer_id, order.items, refunded)
        refunded, reversals = upgrades.reversals(ctx.store, customer_id, order.items, refunded)
        fully = all(line.refunded_quantity >= line.quantity for line in refunded)
        outcome = commit_refund(
            ctx.store,
            Refund(
                customer_id=customer_id,
                return_id=return_id,
                order=replace(
                    order,
                    items=tuple(refunded),
                    status="refunded" if fully else "partially_refunded",
                ),
                groups=_revocations(ctx.store, customer_id, revoked),
                event=processed,
                revoked_at=ctx.clock.now(),
                reason=f"refund {return_id}",
                reversals=reversals,
            ),
        )
        if outcome is RefundOutcome.COMMITTED:
            count("OrderRefunded")
            if reversals:
                count("UpgradeReverted", len(reversals))
            return "processed"
        if outcome is RefundOutcome.DUPLICATE:
            return "duplicate"
        # RACED: another delivery of this refund revoked some records meanwhile - read again
    raise RuntimeError("refund kept racing with another delivery")


def _refund_lines(order: Order, data: ReturnCreated) -> list[OrderItem]:
    lines = list(order.items)
    if not data.items:  # no line detail: a full refund
        return [replace(line, refunded_quantity=line.quantity) for line in lines]
    for returned in data.items:
        for index, line in enumerate(lines):
            same = (returned.sku and returned.sku == line.sku) or (
                returned.product and returned.product == line.product
            )
            if same and line.refunded_quantity < line.quantity:
                lines[index] = replace(
                    line,
                    refunded_quantity=min(
                        line.quantity, line.refunded_quantity + returned.quantity
                    ),
                )
                break
        else:
            raise Rejected(f"refunded line not in the order: {returned.sku or returned.product}")
    return lines


def _revoked_records(
    store: Store,
    customer_id: str,
    before: Sequence[OrderItem],
    after: Sequence[OrderItem],
) -> list[Granted]:
    """The records still there that this refund revokes. A license line of quantity N granted N
    licenses: once k of its units are refunded, only N - k of them stay, the never-activated
    ones revoked first (then in purchase order). Any other grant (a support) goes once its whole
    line is refunded. Counting what stays (not what goes) makes a redelivery of an interrupted
    refund revoke exactly the rest: the order it reads is unchanged until the refund is done."""
    lines = [
        (line, was)
        for was, line in zip(before, after, strict=True)
        if line.refunded_quantity > was.refunded_quantity
    ]
    wanted = [key for line, _ in lines for key in line.granted]
    present = {record.sort_key: record for record in granted_records(store, customer_id, wanted)}
    revoked: list[Granted] = []
    for line, was in lines:
        granted_licenses = [k for k in line.granted if k.startswith(keys.LICENSE_PREFIX)]
        if granted_licenses:
            licenses = [present[k] for k in granted_licenses if k in present]
            keep = max(0, line.quantity - line.refunded_quantity)
            licenses.sort(key=lambda r: (bool(r.stored.get("computerId")), r.sort_key))
            revoked += licenses[: max(0, len(licenses) - keep)]
        if was.refunded_quantity < was.quantity <= line.refunded_quantity:
            revoked += [
                present[k]
                for k in line.granted
                if k in present and not k.startswith(keys.LICENSE_PREFIX)
            ]
    return revoked


def _revocations(store: Store, customer_id: str, records: list[Granted]) -> list[RevocationGroup]:
    """What the refund revokes, in groups that must be seen together: every revoked record of
    one serial number with the licenses (kept) whose support date those supports gave; a record
    without a serial number alone. Records revoked already (by an interrupted earlier delivery
    of this refund, with their group) are not there any more and are left out."""
    sort_keys = [record.sort_key for record in records]
    by_serial: dict[str, list[Granted]] = {}
    alone: list[Granted] = []
    for record in records:
        serial = _serial_of(record)
        if serial:
            by_serial.setdefault(serial, []).append(record)
        else:
            alone.append(record)
    dates = _support_dates(store, customer_id, records, set(sort_keys))
    return [
        RevocationGroup(tuple(group), tuple(dates.get(serial, ())))
        for serial, group in by_serial.items()
    ] + [RevocationGroup((record,)) for record in alone]


def _serial_of(record: Granted) -> str:
    found = record.license or record.support
    return found.serial_number if found else ""


def _support_dates(
    store: Store, customer_id: str, records: list[Granted], gone: set[str]
) -> dict[str, list[SupportDate]]:
    """For each serial number losing a support: the licenses that stay, with the support end
    the remaining supports give them (None when none remains). Unchanged dates are left out."""
    serials = {r.support.serial_number for r in records if r.support and r.support.serial_number}
    if not serials:
        return {}
    remaining = coverage_by_serial(
        sup
        for sup in all_supports(store, customer_id)
        if keys.support_sort_key(sup.support_id) not in gone and sup.serial_number in serials
    )
    dates: dict[str, list[SupportDate]] = {}
    for lic in all_licenses(store, customer_id):
        if lic.serial_number not in serials or keys.license_sort_key(lic.license_id) in gone:
            continue
        left = remaining.get(lic.serial_number)
        until, support_id = (left.until, left.support_id) if left else (None, None)
        now = (lic.support.until, lic.support.support_id) if lic.support else (None, None)
        unchanged = now == (until, support_id) and (
            until is None or (lic.support is not None and lic.support.file_available)
        )
        if not unchanged:
            dated = SupportDate(lic.license_id, until, support_id)
            dates.setdefault(lic.serial_number, []).append(dated)
    return dates
