"""`portal-admin import`: a vendor's customers, orders, licenses and supports moved in from another
system, from a CSV file of one row per license or support granted (docs/import-format.md; each row
checked by `portal.admin.import_rows`).

Each order of the file is written as a purchase is (`portal.data.purchases.commit_purchase`, the
webhook's and the demo data's path): the customer when new (an activation key generated and
sealed as ingestion does, `portal.accounts.customers.new_customer`), else only its profile's
revision moved; the order and its reference lookup; its licenses (unbound: the product activates
them with the customer's activation key) and supports; the support dates it extends; and the
import's audit entry (`import.order`) - ONE conditional TransactWriteItems, all or nothing. An
order with any bad row is not written at all, and every row not imported is reported with its line
and why; the other orders are imported.

Running it again changes nothing: a customer is found by the email lookup, an order whose number
exists (its reference lookup) is compared with the file - the same is "unchanged", anything else a
conflict, never overwritten. Ids are ULIDs of the order's date (placed at 12:00 UTC that day).

What is read: the email and order-reference lookups of the whole file, then the stored orders the
file names again and the records they granted, then for known customers who get new orders their
profile, licenses and supports - BatchGetItem of 100 keys a call, and 2 Queries per such
customer; never one GetItem per row."""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from botocore.exceptions import BotoCoreError, ClientError

from portal.accounts import customers
from portal.admin.import_rows import (
    ORDER_COLUMNS,
    FileRefused,
    ImportRow,
    RawRow,
    read_rows,
    shown,
    validate_row,
)
from portal.clock import Clock
from portal.config import Settings
from portal.data import audit, keys
from portal.data.items import (
    customer_from_item,
    license_from_item,
    order_from_item,
    support_from_item,
)
from portal.data.purchases import (
    MAX_GRANTS,
    NewCustomer,
    Purchase,
    PurchaseOutcome,
    SupportExtension,
    commit_purchase,
)
from portal.data.records import all_licenses, all_supports, each_of
from portal.data.store import BatchIncomplete, Item, Store
from portal.ids import new_ulid
from portal.models import (
    BillingDetails,
    Contact,
    Customer,
    License,
    Money,
    Order,
    OrderItem,
    Support,
    SupportCoverage,
    coverage_by_serial,
)
from portal.orders.catalog import Catalog, Grant
from portal.types import order_reference

ACTION = "import.order"
PLACED_AT = time(12, 0)  # an order of day D was placed at D 12:00 UTC: D in every time zone
MAX_WRITE_FAILURES = 5  # write failures in a row: the import stops (DynamoDB is not answering)

__all__ = ["ACTION", "FileRefused", "Refusal", "Summary", "import_file", "import_rows"]


@dataclass(frozen=True, slots=True)
class Refusal:
    """A row not imported: its line, its order's number (as the file gives it) and why."""

    line: int
    order: str
    reason: str


@dataclass(slots=True)
class Summary:
    dry_run: bool
    rows: int = 0
    customers_created: int = 0
    orders_created: int = 0
    orders_unchanged: int = 0
    orders_refused: int = 0
    conflicts: int = 0  # of the refused: an order that exists and differs, or a key taken
    licenses: int = 0
    supports: int = 0
    refused: list[Refusal] = field(default_factory=list)  # every row not imported, by line


Progress = Callable[[int, int], None]  # (rows decided since the last call, rows in all)


def import_file(
    store: Store,
    settings: Settings,
    data: bytes,
    *,
    catalog: Catalog,
    actor: str,
    clock: Clock,
    dry_run: bool = False,
    progress: Progress | None = None,
    source: str = "",
) -> Summary:
    """Import a CSV file's bytes (FileRefused when the file as a whole cannot be read)."""
    return import_rows(
        store,
        settings,
        read_rows(data),
        catalog=catalog,
        actor=actor,
        clock=clock,
        dry_run=dry_run,
        progress=progress,
        source=source,
    )


# ---------------------------------------------------------------- the plan's parts
@dataclass(slots=True)
class _Row:
    line: int
    data: ImportRow
    grant: Grant


@dataclass(slots=True, eq=False)
class _Order:
    reference: str
    lines: list[int] = field(default_factory=list)  # every row of it, good and bad
    rows: list[_Row] = field(default_factory=list)  # the rows that passed on their own
    bad: dict[int, str] = field(default_factory=dict)  # line -> why that row is refused
    refusal: str | None = None  # why the whole order is not imported
    conflict: bool = False
    status: str = "new"  # new | unchanged | created (written, or would be in a dry run)
    depends: set[str] = field(default_factory=set)  # orders whose licenses its supports cover

    @property
    def refused(self) -> bool:
        return bool(self.bad) or self.refusal is not None

    @property
    def first(self) -> ImportRow:
        return self.rows[0].data

    @property
    def placed_at(self) -> datetime:
        return datetime.combine(self.first.order_date, PLACED_AT, UTC)

    def refuse(self, reason: str, *, conflict: bool = False) -> None:
        if self.refusal is None:
            self.refusal, self.conflict = reason, conflict


@dataclass(slots=True)
class _Customer:
    """One buyer as the import knows them: in the table already, or made by this run."""

    email: str
    customer_id: str
    exists: bool
    revision: int = 0
    licenses: dict[str, License] = field(default_factory=dict)  # by serial, in the table
    longest: dict[str, SupportCoverage] = field(default_factory=dict)  # by serial: the support
    # running longest among those in the table
    new: NewCustomer | None = None  # prepared once, written with their first order
    first: list[_Order] = field(default_factory=list)  # their new orders, oldest first


def import_rows(
    store: Store,
    settings: Settings,
    rows: Sequence[RawRow],
    *,
    catalog: Catalog,
    actor: str,
    clock: Clock,
    dry_run: bool = False,
    progress: Progress | None = None,
    source: str = "",
) -> Summary:
    def tick(done: int) -> None:
        if progress is not None:
            progress(done, len(rows))

    summary = Summary(dry_run=dry_run, rows=len(rows))
    orders, loose = _orders_of(rows, catalog, clock.now().date())
    _check_orders(orders.values())
    considered = [order for order in orders.values() if not order.refused]
    by_email = _lookups(store, {order.first.email for order in considered}, keys.email_lookup)
    by_reference = _lookups(
        store, {order.reference for order in considered}, keys.order_reference_lookup
    )
    _compare_stored(store, considered, by_email, by_reference)
    new = [order for order in considered if order.status == "new" and not order.refused]
    people = _customers(store, new, by_email)
    _check_serials(orders.values(), new, people)
    _cascade(new, orders)

    writing = {id(order) for order in new}
    tick(sum(len(o.lines) for o in orders.values() if id(o) not in writing) + len(loose))
    writer = _Writer(store, settings, summary, actor=actor, clock=clock, source=source)
    for order in _in_dependency_order(new, orders):
        writer.write(order, people[order.first.email], orders)
        tick(len(order.lines))

    for order in orders.values():
        if order.status == "unchanged":
            summary.orders_unchanged += 1
        elif order.refused:
            summary.orders_refused += 1
            summary.conflicts += order.conflict
    summary.refused = sorted(loose + _refusals(orders.values()), key=lambda r: r.line)
    return summary


# ---------------------------------------------------------------- the file's rows and orders
def _orders_of(
    rows: Sequence[RawRow], catalog: Catalog, today: date
) -> tuple[dict[str, _Order], list[Refusal]]:
    """The file's orders (rows grouped by normalised order number) and the bad rows that name no
    order number one can group by."""
    orders: dict[str, _Order] = {}
    loose: list[Refusal] = []
    for raw in rows:
        checked = validate_row(raw, catalog)
        if isinstance(checked, str):
            reference = _reference_of(raw)
            if reference is None:
                given = raw.values.get("order_number", "")
                loose.append(Refusal(raw.line, shown(given) if given else "", checked))
                continue
            order = orders.setdefault(reference, _Order(reference))
            order.lines.append(raw.line)
            order.bad[raw.line] = checked
            continue
        order = orders.setdefault(checked.order_number, _Order(checked.order_number))
        order.lines.append(raw.line)
        if checked.order_date > today:
            order.bad[raw.line] = f"order_date {checked.order_date} is in the future"
            continue
        order.rows.append(_Row(raw.line, checked, checked.grant(catalog)))
    return orders, loose


def _reference_of(raw: RawRow) -> str | None:
    """The order number of a bad row, when it has a valid one (its order is refused with it)."""
    try:
        return order_reference(raw.values.get("order_number", ""))
    except ValueError:
        return None


def _check_orders(orders: Iterable[_Order]) -> None:
    """Within each order: its rows agree on the buyer and the order's header, and it fits one
    transaction. Across the file: a license's serial number is given once."""
    licenses: dict[str, list[tuple[_Order, _Row]]] = {}
    for order in orders:
        if not order.rows:
            continue
        first = order.rows[0]
        for row in order.rows[1:]:
            differ = [c for c in ORDER_COLUMNS if getattr(row.data, c) != getattr(first.data, c)]
            if differ:
                order.bad[row.line] = (
                    f"{', '.join(differ)} differ(s) from line {first.line}, "
                    f"the first row of order {order.reference}"
                )
        if len(order.lines) > MAX_GRANTS:
            order.refuse(
                f"order {order.reference} has {len(order.lines)} rows: at most {MAX_GRANTS} "
                "are written in one transaction"
            )
        for row in order.rows:
            if row.data.kind == "license":
                licenses.setdefault(row.data.serial_number, []).append((order, row))
    for serial, given in licenses.items():
        for order, row in given:
            others = [str(other.line) for _, other in given if other is not row]
            if others:
                order.bad[row.line] = (
                    f"serial {serial} is also the license of line(s) {', '.join(others)}"
                )


# ---------------------------------------------------------------- what the table holds
def _lookups(store: Store, values: set[str], key: Callable[[str], keys.Key]) -> dict[str, Item]:
    """The lookup item of each value that has one (BatchGetItem, 100 keys a call)."""
    wanted = sorted(values)
    found = each_of(store, [key(value) for value in wanted])
    return {value: item for value, item in zip(wanted, found, strict=True) if item is not None}


def _compare_stored(
    store: Store,
    orders: Sequence[_Order],
    by_email: dict[str, Item],
    by_reference: dict[str, Item],
) -> None:
    """An order whose number exists: the customer's and the same as in the file -> unchanged;
    else a conflict (never overwritten)."""
    known: list[tuple[_Order, str]] = []
    for order in orders:
        lookup = by_reference.get(order.reference)
        if lookup is None:
            continue
        owner = str(lookup["customerId"])
        buyer = by_email.get(order.first.email)
        if buyer is None or str(buyer["customerId"]) != owner:
            order.refuse(
                f"order {order.reference} exists already, for another customer", conflict=True
            )
            continue
        known.append((order, owner))
    stored = each_of(store, [keys.order_key(owner, order.reference) for order, owner in known])
    grants = [
        (owner, sort_key)
        for (order, owner), item in zip(known, stored, strict=True)
        if item is not None
        for line in order_from_item(item).items
        for sort_key in line.granted
    ]
    records = _granted_records(store, grants)
    for (order, owner), item in zip(known, stored, strict=True):
        if item is None:
            order.refuse(f"order {order.reference} has a lookup and no order", conflict=True)
            continue
        difference = _difference(order, order_from_item(item), owner, records)
        if difference:
            order.refuse(
                f"order {order.reference} exists already and differs: {difference}",
                conflict=True,
            )
        else:
            order.status = "unchanged"


def _granted_records(
    store: Store, grants: list[tuple[str, str]]
) -> dict[tuple[str, str], License | Support]:
    """The license or support each (customer id, sort key) names, or the copy a refund or a
    revocation kept of it."""
    records: dict[tuple[str, str], License | Support] = {}
    missing: list[tuple[str, str]] = []
    for grant, item in zip(grants, each_of(store, [_granted_key(*g) for g in grants]), strict=True):
        if item is None:
            missing.append(grant)
        else:
            records[grant] = _record(item)
    copies = each_of(store, [keys.revoked_copy(owner, sort_key) for owner, sort_key in missing])
    for grant, item in zip(missing, copies, strict=True):
        if item is not None:
            records[grant] = _record(item)
    return records


def _granted_key(owner: str, sort_key: str) -> keys.Key:
    if sort_key.startswith(keys.LICENSE_PREFIX):
        return keys.license_key(owner, sort_key.removeprefix(keys.LICENSE_PREFIX))
    return keys.support_key(owner, sort_key.removeprefix(keys.SUPPORT_PREFIX))


def _record(item: Item) -> License | Support:
    return license_from_item(item) if "licenseId" in item else support_from_item(item)


_Line = tuple[str, str | None, Decimal, str | None, date | None]  # kind, sku, subtotal, serial,
# support end


def _difference(
    order: _Order,
    stored: Order,
    owner: str,
    records: dict[tuple[str, str], License | Support],
) -> str:
    """What differs between the file's order and the stored one ("" when nothing): its date, its
    currency, and per line the kind, SKU, subtotal, serial number and support end."""
    first = order.first
    if stored.placed_at.date() != first.order_date:
        return f"order_date {first.order_date}, stored {stored.placed_at.date()}"
    if stored.total.currency != first.currency:
        return f"currency {first.currency}, stored {stored.total.currency}"
    given: Counter[_Line] = Counter(_line_of(row) for row in order.rows)
    kept: Counter[_Line] = Counter()
    for line in stored.items:
        for sort_key in line.granted or ("",):
            record = records.get((owner, sort_key))
            if isinstance(record, License):
                kept[("license", line.sku, line.subtotal.amount, record.serial_number, None)] += 1
            elif isinstance(record, Support):
                kept[
                    (
                        "support",
                        line.sku,
                        line.subtotal.amount,
                        record.serial_number,
                        record.expires_on,
                    )
                ] += 1
            else:
                kept[("?", line.sku, line.subtotal.amount, None, None)] += 1
    if given == kept:
        return ""
    surplus = given - kept
    only_here = [row.line for row in order.rows if surplus[_line_of(row)] > 0]
    only_there = sum((kept - given).values())
    return (
        f"line(s) {', '.join(map(str, only_here)) or '-'} not in it; "
        f"{only_there} stored line(s) not in the file"
    )


def _until(row: _Row) -> date | None:
    return row.data.support_until if row.data.kind == "support" else None


def _line_of(row: _Row) -> _Line:
    return (row.data.kind, row.data.sku, row.data.subtotal, row.data.serial_number, _until(row))


def _customers(
    store: Store, new: Sequence[_Order], by_email: dict[str, Item]
) -> dict[str, _Customer]:
    """The buyers of the new orders: known ones with their revision, licenses and longest
    supports as the table holds them (their profiles in one BatchGetItem per 100, 2 Queries
    each); new ones with an id of their first order's date."""
    people: dict[str, _Customer] = {}
    for order in sorted(new, key=lambda o: (o.first.order_date, o.lines[0])):
        email = order.first.email
        if email not in people:
            lookup = by_email.get(email)
            customer_id = str(lookup["customerId"]) if lookup else new_ulid(order.placed_at)
            people[email] = _Customer(email, customer_id, exists=lookup is not None)
        people[email].first.append(order)
    known = [person for person in people.values() if person.exists]
    profiles = each_of(store, [keys.customer_profile(p.customer_id) for p in known])
    for person, profile in zip(known, profiles, strict=True):
        if profile is None:
            for order in new:
                if order.first.email == person.email:
                    order.refuse("the email lookup names a customer without a profile")
            continue
        person.revision = customer_from_item(profile).revision
        for lic in all_licenses(store, person.customer_id):
            person.licenses.setdefault(lic.serial_number, lic)
        person.longest = coverage_by_serial(all_supports(store, person.customer_id))
    return people


def _check_serials(
    orders: Iterable[_Order], new: Sequence[_Order], people: dict[str, _Customer]
) -> None:
    """A new license's serial is not one of the customer's licenses already; a support's serial
    names a license of the same customer that it fits: in the table, or in an order of the file
    that is imported too (a dependency: that order is written first)."""
    in_file: dict[str, tuple[_Order, _Row]] = {
        row.data.serial_number: (order, row)
        for order in orders
        for row in order.rows
        if row.data.kind == "license"
    }
    for order in new:
        person = people[order.first.email]
        for row in order.rows:
            serial = row.data.serial_number
            stored = person.licenses.get(serial)
            if row.data.kind == "license":
                if stored is not None:
                    order.bad[row.line] = (
                        f"serial {serial} is already a license of this customer "
                        f"(order {stored.order_number or '-'})"
                    )
                continue
            if stored is not None:
                if not row.grant.covers(stored.software, stored.edition, stored.users):
                    order.bad[row.line] = _misfit(
                        row, serial, stored.software, stored.edition, stored.users
                    )
                continue
            found = in_file.get(serial)
            if found is None or found[0].status != "new":
                order.bad[row.line] = (
                    f"serial {serial} names no license of this customer, in the file or stored"
                )
                continue
            owner, lic = found
            if lic.data.email != row.data.email:
                order.bad[row.line] = (
                    f"serial {serial} is the license of another customer (line {lic.line})"
                )
            elif not row.grant.covers(lic.grant.software, lic.grant.edition, lic.grant.users):
                order.bad[row.line] = _misfit(
                    row, serial, lic.grant.software, lic.grant.edition, lic.grant.users
                )
            elif owner is not order:
                order.depends.add(owner.reference)


def _misfit(row: _Row, serial: str, software: str, edition: str | None, users: int) -> str:
    what = " ".join(part for part in (software, edition) if part)
    return f"sku {row.data.sku} does not fit license {serial} ({what}, {users} users)"


def _cascade(new: Sequence[_Order], orders: dict[str, _Order]) -> None:
    """An order whose supports cover licenses of an order that is not imported is not either."""
    changed = True
    while changed:
        changed = False
        for order in new:
            if order.refused:
                continue
            gone = sorted(d for d in order.depends if orders[d].refused)
            if gone:
                order.refuse(
                    f"its support covers a license of order {gone[0]}, which is not imported"
                )
                changed = True


def _in_dependency_order(new: Sequence[_Order], orders: dict[str, _Order]) -> list[_Order]:
    """The new orders to write, oldest first - but an order whose supports cover licenses of
    another after that one (orders that depend on each other in a circle: by date)."""
    waiting = {order.reference: order for order in new if not order.refused}
    pending = {reference: set(order.depends) for reference, order in waiting.items()}
    dependents: dict[str, list[str]] = {}
    for reference, order in waiting.items():
        for dependency in order.depends:
            dependents.setdefault(dependency, []).append(reference)

    def key(reference: str) -> tuple[date, int, str]:
        order = waiting[reference]
        return (order.first.order_date, order.lines[0], reference)

    ready = [key(reference) for reference, deps in pending.items() if not deps]
    heapq.heapify(ready)
    ordered: list[_Order] = []
    done: set[str] = set()
    while len(ordered) < len(waiting):
        if not ready:  # a circle: the oldest of what is left goes first
            heapq.heappush(ready, min(key(r) for r in waiting if r not in done))
        reference = heapq.heappop(ready)[2]
        if reference in done:
            continue
        done.add(reference)
        ordered.append(waiting[reference])
        for dependent in dependents.get(reference, []):
            pending[dependent].discard(reference)
            if not pending[dependent] and dependent not in done:
                heapq.heappush(ready, key(dependent))
    return ordered


# ---------------------------------------------------------------- writing
@dataclass(slots=True)
class _Writer:
    store: Store
    settings: Settings
    summary: Summary
    actor: str
    clock: Clock
    source: str
    failures: int = 0  # write failures in a row

    def write(self, order: _Order, person: _Customer, orders: dict[str, _Order]) -> None:
        """Write one order (or, in a dry run, decide that it would be written)."""
        gone = sorted(d for d in order.depends if orders[d].refused)
        if gone:
            order.refuse(f"its support covers a license of order {gone[0]}, which is not imported")
            return
        if self.failures >= MAX_WRITE_FAILURES:
            order.refuse(
                f"not attempted: the import stopped after {MAX_WRITE_FAILURES} write failures "
                "in a row; run it again"
            )
            return
        purchase, licenses, supports = self._purchase(order, person)
        if len(licenses) + len(supports) + len(purchase.support_extensions) > MAX_GRANTS:
            order.refuse(f"order {order.reference} grants more than {MAX_GRANTS} records")
            return
        if not self.summary.dry_run:
            try:
                result = commit_purchase(self.store, purchase)
            except (ClientError, BotoCoreError, BatchIncomplete) as exc:
                self.failures += 1
                order.refuse(
                    f"not written ({_error_code(exc)}): nothing of it is stored; "
                    "run the import again"
                )
                return
            self.failures = 0
            if result.outcome is PurchaseOutcome.CUSTOMER_RACED:
                order.refuse(
                    "the customer changed while it was written (a purchase at the same time?): "
                    "nothing of it is stored; run the import again"
                )
                return
            if not result.committed:
                order.refuse(
                    f"a stored record has one of its keys ({', '.join(result.conflicts)}): "
                    "nothing of it is stored",
                    conflict=True,
                )
                return
        self._written(order, person, purchase, licenses, supports)

    def _purchase(
        self, order: _Order, person: _Customer
    ) -> tuple[Purchase, list[License], list[Support]]:
        first, placed_at = order.first, order.placed_at
        licenses: list[License] = []
        supports: list[Support] = []
        items: list[OrderItem] = []
        for index, row in enumerate(order.rows):
            data, grant = row.data, row.grant
            at = placed_at + timedelta(milliseconds=index)  # the file's order, newest last
            if data.kind == "license":
                lic = License(
                    license_id=new_ulid(at),
                    software=grant.software,
                    serial_number=data.serial_number,
                    computer_name=None,
                    days=None,
                    users=grant.users,
                    edition=grant.edition,
                    order_number=order.reference,
                    purchased_on=data.order_date,
                    support=None,
                    upgradable=grant.upgradable,
                )
                licenses.append(lic)
                granted = keys.license_sort_key(lic.license_id)
            else:
                assert data.support_until is not None  # the row model's rule
                sup = Support(
                    support_id=new_ulid(at),
                    software=grant.software,
                    serial_number=data.serial_number,
                    users=grant.users,
                    edition=grant.edition,
                    order_number=order.reference,
                    purchased_on=data.order_date,
                    duration_years=grant.years,
                    expires_on=data.support_until,  # as the other system had it: not recomputed
                )
                supports.append(sup)
                granted = keys.support_sort_key(sup.support_id)
            items.append(
                OrderItem(
                    product=_product(grant),
                    sku=data.sku,
                    quantity=1,
                    subtotal=Money(data.subtotal, first.currency),
                    display=data.product,
                    granted=(granted,),
                )
            )
        # a license's support: the longest of its serial's supports stored and of this order's;
        # a stored license whose support this order runs longer gets the new end
        here = coverage_by_serial(supports)
        licenses = [
            replace(
                lic,
                support=_longer(person.longest.get(lic.serial_number), here.get(lic.serial_number)),
            )
            for lic in licenses
        ]
        extensions = [
            SupportExtension(stored.license_id, covered.until, covered.support_id or "")
            for serial, covered in here.items()
            if (stored := person.licenses.get(serial)) is not None
            and (stored.support is None or stored.support.until < covered.until)
        ]
        billing, contact = _billing_and_contact(first)
        placed = Order(
            reference=order.reference,
            placed_at=placed_at,
            total=Money(sum((r.data.subtotal for r in order.rows), Decimal(0)), first.currency),
            items=tuple(items),
            billing=billing,
            contact=contact,
        )
        new_customer = None
        if not person.exists:
            new_customer = person.new or self._new_customer(order, person)
            person.new = new_customer
        purchase = Purchase(
            customer_id=person.customer_id,
            order=placed,
            licenses=licenses,
            supports=supports,
            new_customer=new_customer,
            known_revision=person.revision if person.exists else None,
            support_extensions=extensions,
            audit=audit.entry(
                self.actor,
                ACTION,
                self.clock.now(),
                customer_id=person.customer_id,
                subject=order.reference,
                details={
                    "licenses": len(licenses),
                    "supports": len(supports),
                    "newCustomer": new_customer is not None,
                    "file": self.source,
                },
            ),
        )
        return purchase, licenses, supports

    def _new_customer(self, order: _Order, person: _Customer) -> NewCustomer:
        """Who the customer is: their first order's buyer (the earliest of the file's that is
        still to be imported), with a fresh activation key, sealed (none in a dry run: nothing
        is written)."""
        first = next(o for o in person.first if o is order or not o.refused).first
        billing, contact = _billing_and_contact(first)
        customer = Customer(
            customer_id=person.customer_id,
            email=person.email,
            name=_full_name(first) or person.email,
            language=first.language or "en",
            activation_key_sealed="",
            billing=billing,
            contacts=(contact,),
        )
        if self.summary.dry_run:
            return NewCustomer(customer, "")
        return NewCustomer(*customers.new_customer(customer, self.settings))

    def _written(
        self,
        order: _Order,
        person: _Customer,
        purchase: Purchase,
        licenses: list[License],
        supports: list[Support],
    ) -> None:
        """What the table holds now (or would, in a dry run): the next order of this customer
        is built on it."""
        if person.exists:
            person.revision += 1
        else:
            person.exists, person.revision, person.new = True, 0, None
            self.summary.customers_created += 1
        for lic in licenses:
            person.licenses[lic.serial_number] = lic
        for extension in purchase.support_extensions:
            for serial, lic in person.licenses.items():
                if lic.license_id == extension.license_id:
                    person.licenses[serial] = replace(
                        lic, support=SupportCoverage(extension.until, True, extension.support_id)
                    )
        for serial, covered in coverage_by_serial(supports).items():
            person.longest[serial] = _longer(person.longest.get(serial), covered) or covered
        order.status = "created"
        self.summary.orders_created += 1
        self.summary.licenses += len(licenses)
        self.summary.supports += len(supports)


def _longer(a: SupportCoverage | None, b: SupportCoverage | None) -> SupportCoverage | None:
    if a is None or (b is not None and b.until > a.until):
        return b
    return a


def _full_name(row: ImportRow) -> str:
    return " ".join(part for part in (row.first_name, row.last_name) if part)


def _billing_and_contact(row: ImportRow) -> tuple[BillingDetails, Contact]:
    """The order's billing details and contact as the file gives them (billed to the company,
    else the person, else the email: as ingestion does)."""
    billing = BillingDetails(
        date=row.order_date,
        name=row.company or _full_name(row) or row.email,
        country=row.country,
        city=row.city,
    )
    contact = Contact(
        date=row.order_date, first_name=row.first_name, last_name=row.last_name, email=row.email
    )
    return billing, contact


def _product(grant: Grant) -> str:
    """The order line's product name when the file gives none."""
    what = " ".join(part for part in (grant.software, grant.edition) if part)
    if grant.kind == "support":
        years = f"{grant.years} year{'s' if grant.years > 1 else ''}"
        return f"Update/Support services for {what} - {grant.users} users - {years}"
    return f"{what} - {grant.users} users"


def _error_code(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", "error"))
    return type(exc).__name__


def _refusals(orders: Iterable[_Order]) -> list[Refusal]:
    """Every row of every order not imported: its own reason, else its order's."""
    found: list[Refusal] = []
    for order in orders:
        if not order.refused or order.status in ("unchanged", "created"):
            continue
        collateral = order.refusal or (
            f"not imported: order {order.reference} has bad rows "
            f"(line {', '.join(str(line) for line in sorted(order.bad))})"
        )
        for line in order.lines:
            found.append(Refusal(line, order.reference, order.bad.get(line) or collateral))
    return found
