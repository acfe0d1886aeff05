"""Held upgrades, decided by the support team (`portal-admin upgrades held|approve|reject`).

An order paying a Remote Work upgrade is applied in its own transaction or held for review with
a reason (portal.fastspring.upgrades). Support lists what is held (`held`), then for each line:

- `approve`: the line is applied as the paid order would have applied it - the license grows by
  the quote's workstations (never the line's quantity) within the catalog's maximum, its history
  says `upgraded`, the quote is marked used by this order if it is still open - with the audit
  entry `upgrade.approve`, in one transaction (portal.data.held_upgrades). Refused, with nothing
  written, when the license is gone (refunded or revoked), is of another software, would pass the
  maximum, the line names no quote (nothing to add), or the line was refunded in FastSpring.
- `reject`: the line becomes `rejected` (its held reason kept), with the audit entry
  `upgrade.reject`; no license changes, and the operator refunds the payment in FastSpring (the
  refund then changes no license either, like a held line's).

Deciding a line decided the same way already changes nothing (`Decision.changed` False); deciding
it the other way is refused. Of a decision and a FastSpring refund racing for the same order, the
second to commit fails on the order's revision, reads it again and decides again: the refund then
takes the approved workstations back; the approval finds the line refunded and is refused.

The customer is not mailed: the licenses list shows the new workstation count, and a refund's
receipt comes from FastSpring."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from portal.admin.customers import find_customer
from portal.admin.refusals import Refused, reason_text
from portal.clock import Clock
from portal.data import audit
from portal.data.held_upgrades import (
    commit_approval,
    commit_rejection,
    customers_and_licenses,
    held_orders,
    order_of,
    upgrade_read,
)
from portal.data.purchases import LicenseUpgrade
from portal.data.store import Store
from portal.fastspring.upgrades import APPLIED, HELD, REJECTED
from portal.models import LineUpgrade, Money, Order, OrderItem
from portal.orders.catalog import Catalog
from portal.types import order_reference

RETRIES = 3


@dataclass(frozen=True, slots=True)
class HeldUpgrade:
    """One held upgrade line, with what support needs to decide it."""

    placed_at: datetime
    customer_id: str
    email: str | None  # None: the profile is missing
    reference: str
    line: int  # 1-based, as --line takes it
    fastspring_id: str | None
    paid: Money  # the line's subtotal (before tax)
    reason: str | None  # why it was held
    workstations: int  # what the quote adds (0: no quote found)
    quote_id: str | None
    license_id: str | None
    software: str | None  # of the license as it is now; None: gone (refunded or revoked)
    serial_number: str | None
    current_workstations: int | None


def held(store: Store) -> list[HeldUpgrade]:
    """Every held upgrade line, oldest order first: one Query (pages of 100) and one
    BatchGetItem per 100 profiles and licenses."""
    orders = held_orders(store)
    wanted = [
        (found.customer_id, line.upgrade.license_id)
        for found in orders
        for line in found.order.items
        if line.upgrade is not None and line.upgrade.license_id
    ]
    profiles, licenses = customers_and_licenses(
        store, [found.customer_id for found in orders], wanted
    )
    rows: list[HeldUpgrade] = []
    for found in orders:
        order, customer_id = found.order, found.customer_id
        for index in order.awaiting_review():
            line = order.items[index]
            upgrade = _upgrade(line)
            profile = profiles.get(customer_id)
            lic = licenses.get((customer_id, upgrade.license_id or ""))
            rows.append(
                HeldUpgrade(
                    placed_at=order.placed_at,
                    customer_id=customer_id,
                    email=profile.email if profile else None,
                    reference=order.reference,
                    line=index + 1,
                    fastspring_id=order.fastspring_id,
                    paid=line.subtotal,
                    reason=upgrade.reason,
                    workstations=upgrade.workstations,
                    quote_id=upgrade.quote_id,
                    license_id=upgrade.license_id,
                    software=lic.software if lic else None,
                    serial_number=lic.serial_number if lic else None,
                    current_workstations=lic.users if lic else None,
                )
            )
    return rows


@dataclass(frozen=True, slots=True)
class Decision:
    changed: bool  # False: the line was decided that way already (nothing written)
    message: str  # what was done, for the operator
    customer_id: str
    reference: str
    line: int  # 1-based
    fastspring_id: str | None
    license_id: str | None
    workstations: int
    refund_due: bool = False  # reject: the payment is still to be refunded in FastSpring


def approve(
    store: Store,
    catalog: Catalog,
    clock: Clock,
    *,
    actor: str,
    reference: str,
    line: int | None,
    reason: str,
) -> Decision:
    """Apply the held upgrade line of the customer's order `reference` (`line`: 1-based; None:
    its only upgrade line, or its only held one). Refused: see the module."""
    why = reason_text(reason)
    reference, customer_id = _customer(store, reference)
    for _ in range(RETRIES):
        order = _order(store, customer_id, reference)
        index = _line_of(order, line)
        item = order.items[index]
        upgrade = _upgrade(item)
        if upgrade.status == APPLIED:
            return _decision(
                order,
                customer_id,
                index,
                False,
                f"{_line_name(order, index)} was approved already: nothing changed",
            )
        if upgrade.status != HELD:
            raise Refused(
                f"{_line_name(order, index)} is {upgrade.status}: "
                "only a held upgrade can be approved"
            )
        if order.status == "refunded" or item.refunded_quantity:
            raise Refused(
                f"{_line_name(order, index)} was refunded in FastSpring: nothing to approve"
            )
        if not upgrade.license_id or upgrade.workstations < 1:
            raise Refused(
                f"{_line_name(order, index)} names no quote of this customer ({upgrade.reason}): "
                "there is no number of workstations to add; reject it and refund it in FastSpring"
            )
        product = catalog.upgrade_sold_as(item.product)
        if product is None:
            raise Refused(
                f"{_line_name(order, index)}: {item.product!r} is no upgrade product of the catalog"
            )
        found = upgrade_read(store, customer_id, upgrade.license_id, upgrade.quote_id)
        lic = found.license
        if lic is None:
            why_gone = f" ({found.revoked_reason})" if found.revoked_reason else ""
            raise Refused(
                f"license {upgrade.license_id} is gone{why_gone}: refunded or revoked, it cannot "
                "be upgraded; reject the line and refund it in FastSpring"
            )
        if lic.software.casefold() != product.software.casefold():
            raise Refused(
                f"license {lic.license_id} is {lic.software}, not {product.software}: "
                "reject the line"
            )
        if lic.users + upgrade.workstations > product.max_workstations:
            raise Refused(
                f"license {lic.serial_number} has {lic.users} workstations: {upgrade.workstations} "
                f"more would pass the maximum of {product.max_workstations}; reject the line"
            )
        quote = found.quote
        quote_open = quote is not None and quote.status == "open"
        now = clock.now()
        applied = replace(upgrade, status=APPLIED, reason=None, note=why)
        growth = LicenseUpgrade(
            quote_id=quote.quote_id if quote is not None and quote_open else None,
            license=lic,
            added=upgrade.workstations,
            max_users=product.max_workstations,
            at=now,
        )
        entry = audit.entry(
            actor,
            "upgrade.approve",
            now,
            customer_id=customer_id,
            subject=reference,
            details={
                "line": index + 1,
                "licenseId": lic.license_id,
                "serialNumber": lic.serial_number,
                "workstations": upgrade.workstations,
                "from": lic.users,
                "to": lic.users + upgrade.workstations,
                "heldReason": upgrade.reason,
                "quoteId": upgrade.quote_id,
                "quoteMarkedUsed": quote_open,
                "reason": why,
            },
        )
        if commit_approval(store, customer_id, _with_line(order, index, applied), growth, entry):
            message = (
                f"approved {_line_name(order, index)}: license {lic.serial_number} "
                f"({lic.software}) {lic.users} -> {lic.users + upgrade.workstations} workstations"
            )
            if quote is not None and not quote_open:
                message += f"; note: quote {quote.quote_id} was paid by order {quote.paid_by} too"
            return _decision(order, customer_id, index, True, message)
        # the order, the license or the quote changed meanwhile: read again, decide again
    raise RuntimeError("the order kept changing while it was being approved: try again")


def reject(
    store: Store,
    clock: Clock,
    *,
    actor: str,
    reference: str,
    line: int | None,
    reason: str,
) -> Decision:
    """Mark the held upgrade line `rejected`; no license changes. The payment is to be refunded
    in FastSpring (`Decision.refund_due`, unless FastSpring refunded the line already)."""
    why = reason_text(reason)
    reference, customer_id = _customer(store, reference)
    for _ in range(RETRIES):
        order = _order(store, customer_id, reference)
        index = _line_of(order, line)
        item = order.items[index]
        upgrade = _upgrade(item)
        refunded = order.status == "refunded" or item.refunded_quantity >= item.quantity
        if upgrade.status == REJECTED:
            return _decision(
                order,
                customer_id,
                index,
                False,
                f"{_line_name(order, index)} was rejected already: nothing changed",
                refund_due=not refunded,
            )
        if upgrade.status != HELD:
            raise Refused(
                f"{_line_name(order, index)} is {upgrade.status}: "
                "only a held upgrade can be rejected"
                + (
                    " (to undo an approval, refund the line in FastSpring)"
                    if upgrade.status == APPLIED
                    else ""
                )
            )
        now = clock.now()
        entry = audit.entry(
            actor,
            "upgrade.reject",
            now,
            customer_id=customer_id,
            subject=reference,
            details={
                "line": index + 1,
                "licenseId": upgrade.license_id,
                "workstations": upgrade.workstations,
                "heldReason": upgrade.reason,
                "quoteId": upgrade.quote_id,
                "fastspringId": order.fastspring_id,
                "reason": why,
            },
        )
        rejected = replace(upgrade, status=REJECTED, note=why)
        if commit_rejection(store, customer_id, _with_line(order, index, rejected), entry):
            return _decision(
                order,
                customer_id,
                index,
                True,
                f"rejected {_line_name(order, index)}: no license changed",
                refund_due=not refunded,
            )
    raise RuntimeError("the order kept changing while it was being rejected: try again")


def _customer(store: Store, text: str) -> tuple[str, str]:
    """The order number (normalised) and the id of the customer whose order it is."""
    try:
        reference = order_reference(text)
    except ValueError:
        raise Refused(f"not an order number: {text!r}") from None
    customer_id = find_customer(store, reference)
    if customer_id is None:
        raise Refused(f"no order {reference}")
    return reference, customer_id


def _order(store: Store, customer_id: str, reference: str) -> Order:
    order = order_of(store, customer_id, reference)
    if order is None:
        raise Refused(f"no order {reference}")
    return order


def _line_of(order: Order, line: int | None) -> int:
    """The index of the upgrade line to decide: `line` (1-based), else the order's only upgrade
    line, else its only held one."""
    upgrades = [i for i, item in enumerate(order.items) if item.upgrade is not None]
    if line is not None:
        if not 1 <= line <= len(order.items) or order.items[line - 1].upgrade is None:
            lines = ", ".join(str(i + 1) for i in upgrades) or "none"
            raise Refused(
                f"line {line} of order {order.reference} is no upgrade line "
                f"(upgrade lines: {lines})"
            )
        return line - 1
    if not upgrades:
        raise Refused(f"order {order.reference} has no upgrade line")
    if len(upgrades) == 1:
        return upgrades[0]
    held_lines = [i for i in upgrades if _upgrade(order.items[i]).status == HELD]
    if len(held_lines) == 1:
        return held_lines[0]
    statuses = ", ".join(f"{i + 1} {_upgrade(order.items[i]).status}" for i in upgrades)
    raise Refused(
        f"order {order.reference} has several upgrade lines ({statuses}): say which with --line N"
    )


def _upgrade(item: OrderItem) -> LineUpgrade:
    if item.upgrade is None:  # _line_of picks upgrade lines only
        raise Refused("not an upgrade line")
    return item.upgrade


def _with_line(order: Order, index: int, upgrade: LineUpgrade) -> Order:
    items = list(order.items)
    items[index] = replace(items[index], upgrade=upgrade)
    return replace(order, items=tuple(items))


def _line_name(order: Order, index: int) -> str:
    return f"order {order.reference} line {index + 1}"


def _decision(
    order: Order,
    customer_id: str,
    index: int,
    changed: bool,
    message: str,
    *,
    refund_due: bool = False,
) -> Decision:
    upgrade = _upgrade(order.items[index])
    return Decision(
        changed=changed,
        message=message,
        customer_id=customer_id,
        reference=order.reference,
        line=index + 1,
        fastspring_id=order.fastspring_id,
        license_id=upgrade.license_id,
        workstations=upgrade.workstations,
        refund_due=refund_due,
    )
