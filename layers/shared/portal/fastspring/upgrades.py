"""Paid upgrades in FastSpring ingestion (API.md "Upgrades", SECURITY.md 17): an order line of the
catalog's upgrade product (`Catalog.upgrade_sold_as`) pays for the quote the order's tags name
(`portalQuoteId`, with its license in `portalLicenseId`: portal.licensing.upgrades sets both on
the checkout session, FastSpring sends them back on the order).

The quote is read in the partition of the customer the order's email belongs to (with the
license, in the same consistent BatchGetItem as the buyer's profile: portal.data.purchases.
read_customer), so another customer's quote is simply not found. The line is then applied, or
held for review with the first reason that holds, checked in this order:

- `quote_unknown`: the tags name no quote or no license (missing, not ULIDs), the buyer is new,
  or the buyer has no quote of that id;
- `quote_used`: the quote was paid already (by another order; a second upgrade line of the same
  order counts as another payment);
- `license_changed`: the tags name another license than the quote's; the quote's license is no
  longer in the buyer's partition (refunded or revoked), or is of another software now; or the
  quote's workstations would take it beyond the catalog's maximum;
- `quote_expired`: the order was placed at or after the quote's end of validity (24 hours);
- `amount_mismatch`: the line is not what the quote priced - its currency is not the quote's, its
  `subtotal` (before tax) is not the quote's price (compared as Decimal), or the line's product
  upgrades another software than the quote's.

Applied means, in the order's own transaction (portal.data.purchases.commit_purchase): the quote
marked used, the license's `users` grown by the QUOTE's added workstations (never the line's
quantity), its history entry `upgraded`; the support end is not touched. If another order paid
the quote or the license changed in between, the transaction fails (`UPGRADE_RACED`) and the
order is read and decided again: then held, e.g. as `quote_used`. Either way the line records
`upgrade: {status, reason, quoteId, licenseId, workstations}` on the order, so that a held
upgrade is never lost; it is logged ("upgrade held") and counted (`UpgradeHeld`) once the order
is committed. The same FastSpring order delivered again is a duplicate as a whole (`FSORDER#`).

A held line waits for the support team (portal-admin `upgrades`, portal.admin.upgrades): approved,
it becomes `applied` exactly as a paid order would have applied it; rejected, it becomes
`rejected` and the payment is refunded in FastSpring.

A refund (`reversals`, for portal.fastspring.refunds) that completes the refund of an applied
upgrade line takes its workstations back and marks it `reverted`; a held or rejected line
changes no license.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from portal.data import keys
from portal.data.purchases import CustomerRead, LicenseUpgrade
from portal.data.refunds import UpgradeReversal, granted_records
from portal.data.store import Store
from portal.fastspring.events import Line, OrderCompleted
from portal.ids import is_ulid
from portal.licensing.upgrades import LICENSE_TAG, QUOTE_TAG
from portal.models import LineUpgrade, OrderItem
from portal.observability import count, logger
from portal.orders.catalog import Catalog, Upgrade

APPLIED, HELD, REVERTED, REJECTED = "applied", "held", "reverted", "rejected"
QUOTE_UNKNOWN = "quote_unknown"
QUOTE_USED = "quote_used"
LICENSE_CHANGED = "license_changed"
QUOTE_EXPIRED = "quote_expired"
AMOUNT_MISMATCH = "amount_mismatch"


@dataclass(frozen=True, slots=True)
class Tags:
    """What the order's tags name; None where a tag is missing or not a ULID."""

    quote_id: str | None
    license_id: str | None


def tags_of(data: OrderCompleted) -> Tags:
    tags = data.tags if isinstance(data.tags, dict) else {}
    return Tags(_ulid(tags.get(QUOTE_TAG)), _ulid(tags.get(LICENSE_TAG)))


def _ulid(value: object) -> str | None:
    return value if isinstance(value, str) and is_ulid(value) else None


def to_read(data: OrderCompleted, catalog: Catalog) -> Tags | None:
    """The quote and license to read with the buyer's profile: an order with an upgrade line
    whose tags name both (None: nothing to read - a malformed tag holds the line unread)."""
    if not any(catalog.upgrade_sold_as(line.product) for line in data.items):
        return None
    tags = tags_of(data)
    return tags if tags.quote_id and tags.license_id else None


@dataclass(frozen=True, slots=True)
class Plan:
    lines: dict[int, LineUpgrade]  # index of each upgrade line in the order -> what it does
    upgrade: LicenseUpgrade | None  # the one applied (a quote is paid at most once)


def plan(
    data: OrderCompleted,
    catalog: Catalog,
    found: CustomerRead | None,
    *,
    placed_at: datetime,
    now: datetime,
) -> Plan:
    """What each upgrade line of the order does. `found`: the buyer as read (None: a new one)."""
    tags = tags_of(data)
    quote = found.quote if found is not None else None
    lic = found.license if found is not None else None
    lines: dict[int, LineUpgrade] = {}
    applied: LicenseUpgrade | None = None
    for index, line in enumerate(data.items):
        upgrade = catalog.upgrade_sold_as(line.product)
        if upgrade is None:
            continue
        if applied is not None:  # this order pays the quote once already
            reason: str | None = QUOTE_USED
        else:
            reason = _held_because(line, data.currency, upgrade, tags, found, placed_at)
        if reason is None and quote is not None and lic is not None:
            applied = LicenseUpgrade(
                quote_id=quote.quote_id,
                license=lic,
                added=quote.added,
                max_users=upgrade.max_workstations,
                at=now,
            )
        lines[index] = LineUpgrade(
            status=HELD if reason else APPLIED,
            reason=reason,
            quote_id=tags.quote_id,
            license_id=quote.license_id if quote is not None else tags.license_id,
            workstations=quote.added if quote is not None else 0,
        )
    return Plan(lines, applied)


def _held_because(
    line: Line,
    currency: str,
    upgrade: Upgrade,
    tags: Tags,
    found: CustomerRead | None,
    placed_at: datetime,
) -> str | None:
    quote = found.quote if found is not None else None
    lic = found.license if found is not None else None
    if quote is None or tags.quote_id is None or tags.license_id is None:
        return QUOTE_UNKNOWN
    if quote.status != "open":
        return QUOTE_USED
    if (
        tags.license_id != quote.license_id
        or lic is None
        or lic.license_id != quote.license_id
        or lic.software.casefold() != quote.software.casefold()
        or lic.users + quote.added > upgrade.max_workstations
    ):
        return LICENSE_CHANGED
    if placed_at >= quote.expires_at:
        return QUOTE_EXPIRED
    if (
        currency != quote.price.currency
        or Decimal(line.subtotal) != quote.price.amount
        or upgrade.software.casefold() != quote.software.casefold()
    ):
        return AMOUNT_MISMATCH
    return None


def report(committed: Plan) -> None:
    """Log and count the order's upgrade lines, once its transaction has committed."""
    for line in committed.lines.values():
        if line.status == HELD:
            logger.warning("upgrade held", extra={"reason": line.reason, "quote_id": line.quote_id})
            count("UpgradeHeld")
        else:
            count("UpgradeApplied")


# ---------------------------------------------------------------- refunds
def reversals(
    store: Store, customer_id: str, before: Sequence[OrderItem], after: Sequence[OrderItem]
) -> tuple[list[OrderItem], list[UpgradeReversal]]:
    """The order's lines with the upgrades this refund reverts marked `reverted`, and the
    workstations to take back: an applied upgrade line is reverted when its refund is complete
    (its whole quantity refunded: the line is the whole upgrade). A license that is no longer
    there (refunded too) has nothing to give back; one with fewer users than the upgrade added
    (changed by hand) gives back nothing either, and the line says `license_changed`. One
    BatchGetItem of the licenses concerned, only when there are any."""
    lines = list(after)
    due = [
        (index, line.upgrade, line.upgrade.license_id)
        for index, (was, line) in enumerate(zip(before, after, strict=True))
        if line.upgrade is not None
        and line.upgrade.status == APPLIED
        and line.upgrade.license_id is not None
        and was.refunded_quantity < was.quantity <= line.refunded_quantity
    ]
    if not due:
        return lines, []
    wanted = [keys.license_sort_key(license_id) for _, _, license_id in due]
    present = {
        record.sort_key: record.license for record in granted_records(store, customer_id, wanted)
    }
    taken: list[UpgradeReversal] = []
    for index, upgrade, license_id in due:
        lic = present.get(keys.license_sort_key(license_id))
        reason = None
        if lic is not None and lic.users >= upgrade.workstations:
            taken.append(UpgradeReversal(license_id, upgrade.workstations))
        elif lic is not None:
            reason = LICENSE_CHANGED
        reverted = replace(upgrade, status=REVERTED, reason=reason)
        lines[index] = replace(lines[index], upgrade=reverted)
    return lines, taken
