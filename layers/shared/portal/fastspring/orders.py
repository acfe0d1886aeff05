"""`order.completed`: a FastSpring order becomes the customer (created when new), the order and
the licenses and supports its lines grant (portal.orders.catalog; a line of quantity N grants N
licenses, each bound to at most one computer), committed in one transaction
with the event's markers (portal.data.purchases.commit_purchase).

A support bought with its license binds to it; a support line naming a serial number renews that
license's support, from the end of the running one. A line of the catalog's upgrade product pays
the quote the order's tags name: applied in the same transaction, or held for review
(portal.fastspring.upgrades). Billing details (name, country, city) come from the order's
customer and address, each field else from the expanded account.

Who the customer is (their name, language, billing details and contacts on the profile, and the
email lookup's name and language that sign-in mails greet them with) comes from their first
purchase only. FastSpring does not verify buyers' emails: anyone can buy with a customer's
address, so a later purchase records its own billing details and contact on its own order and
changes nothing of the profile but its revision (docs/decisions.md)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from portal.accounts import customers
from portal.clock import plus_years
from portal.data import keys
from portal.data.purchases import (
    MAX_GRANTS,
    CustomerRead,
    NewCustomer,
    Purchase,
    PurchaseOutcome,
    SupportExtension,
    commit_purchase,
    read_customer,
)
from portal.data.records import all_licenses
from portal.data.webhook_events import EventRecord
from portal.fastspring import upgrades
from portal.fastspring.events import Event, Malformed, OrderCompleted, Rejected, read
from portal.ids import new_serial_number, new_ulid
from portal.models import (
    BillingDetails,
    Contact,
    Customer,
    License,
    Money,
    Order,
    OrderItem,
    Support,
    coverage_by_serial,
)
from portal.observability import count, logger
from portal.orders.catalog import Grant
from portal.types import email as valid_email
from portal.types import normalize_order_reference, supported_language

if TYPE_CHECKING:
    from portal.fastspring.ingest import Context

RETRIES = 3


def order_completed(event: Event, ctx: Context, processed: EventRecord) -> str:
    """ "processed" or "duplicate" (this FastSpring order was ingested already)."""
    try:
        data = read(OrderCompleted, event.data)
    except Malformed as exc:
        raise Rejected(str(exc)) from None
    try:  # normalised and checked as sign-in does, so the buyer can sign in with it
        email = valid_email(data.contact.email or "")
    except ValueError:
        raise Rejected("order without a valid customer email") from None
    reference = normalize_order_reference(data.reference)
    if not reference:
        raise Rejected("order without a reference")
    for _ in range(RETRIES):
        seen, by_email = ctx.store.get_many(
            [keys.fastspring_order_lookup(data.order_id), keys.email_lookup(email)]
        )
        if seen is not None:
            return "duplicate"
        found = None
        if by_email is not None:
            paid = upgrades.to_read(data, ctx.catalog)
            found = read_customer(
                ctx.store,
                str(by_email["customerId"]),
                quote_id=paid.quote_id if paid else None,
                license_id=paid.license_id if paid else None,
            )
            if found.customer is None:
                raise Rejected("email lookup without a customer profile")
        purchase, plan = _purchase(event, data, email, reference, found, ctx, processed)
        result = commit_purchase(ctx.store, purchase)
        if result.committed:
            count("OrderIngested")
            upgrades.report(plan)
            return "processed"
        if result.outcome is PurchaseOutcome.DUPLICATE:
            return "duplicate"
        if result.outcome is PurchaseOutcome.CONFLICT:
            conflicts = ",".join(result.conflicts)
            raise Rejected(f"order conflicts with stored records ({conflicts})")
        # CUSTOMER_RACED: a parallel order created or changed this customer; UPGRADE_RACED:
        # another order paid the quote, or its license changed - read again, decide again
    raise RuntimeError("the order kept racing with parallel changes")


def _purchase(
    event: Event,
    data: OrderCompleted,
    email: str,
    reference: str,
    found: CustomerRead | None,
    ctx: Context,
    processed: EventRecord,
) -> tuple[Purchase, upgrades.Plan]:
    placed_at = _placed_at(data, event)
    existing = found.customer if found else None
    customer_id = existing.customer_id if existing else new_ulid(placed_at)
    licenses_by_serial = _licenses_by_serial(customer_id, data, ctx) if existing else {}
    plan = upgrades.plan(data, ctx.catalog, found, placed_at=placed_at, now=ctx.clock.now())

    lines: list[OrderItem] = []
    new_licenses: list[License] = []
    new_supports: list[Support] = []
    grants = [
        None if index in plan.lines else ctx.catalog.grant_for(line.sku, line.product)
        for index, line in enumerate(data.items)
    ]
    for index, (line, grant) in enumerate(zip(data.items, grants, strict=True)):
        granted: list[str] = []
        upgrade = plan.lines.get(index)  # grants no record: it grows a license
        if grant is None and upgrade is None:
            logger.warning("order line with an unknown SKU", extra={"sku": line.sku})
            count("OrderLineUnknownSku")
        elif grant is not None and grant.kind == "license":
            # one license per unit: each runs on one computer and has its own serial number
            for _ in range(line.quantity):
                lic = _license(grant, reference, placed_at)
                new_licenses.append(lic)
                granted.append(keys.license_sort_key(lic.license_id))
        lines.append(
            OrderItem(
                product=line.product,
                sku=line.sku,
                quantity=line.quantity,
                subtotal=Money(line.subtotal, data.currency),
                display=line.display,
                granted=tuple(granted),
                unknown_sku=grant is None and upgrade is None,
                upgrade=upgrade,
            )
        )
    # Supports after licenses, so a support bought with its license binds to that license. A
    # support attaches only to a license of its software, edition and size; any other line is
    # recorded on the order, held for review, and extends nothing.
    for index, (line, grant) in enumerate(zip(data.items, grants, strict=True)):
        if grant is None or grant.kind != "support":
            continue
        serial, held = _serial_for(line.attributes, grant, new_licenses, licenses_by_serial)
        if held:
            logger.warning("support line held", extra={"reason": held, "sku": line.sku})
            count("SupportLineHeld")
            lines[index] = replace(lines[index], held=held)
            continue
        start = placed_at.date()
        current = licenses_by_serial.get(serial)
        if current is not None and current.support and current.support.until > start:
            start = current.support.until  # a renewal extends the running support
        sup = _support(grant, line.quantity, serial, reference, placed_at, start)
        new_supports.append(sup)
        lines[index] = replace(lines[index], granted=(keys.support_sort_key(sup.support_id),))

    coverage = coverage_by_serial(new_supports)
    new_licenses = [
        replace(lic, support=coverage[lic.serial_number]) if lic.serial_number in coverage else lic
        for lic in new_licenses
    ]
    extensions = [
        SupportExtension(bound.license_id, covered.until, covered.support_id or "")
        for serial, covered in coverage.items()
        if (bound := licenses_by_serial.get(serial)) is not None
        and (bound.support is None or bound.support.until < covered.until)
    ]
    if len(new_licenses) + len(new_supports) + len(extensions) > MAX_GRANTS:
        # one transaction holds 100 actions: such an order is kept for support, not half-written
        raise Rejected(f"order grants more than {MAX_GRANTS} records")
    billing, contact = _billing_and_contact(email, data, placed_at)
    order = Order(
        reference=reference,
        placed_at=placed_at,
        total=Money(data.total, data.currency),
        items=tuple(lines),
        fastspring_id=data.order_id,
        invoice_url=data.invoice_url,
        billing=billing,
        contact=contact,
    )
    new_customer = None
    if existing is None:
        first = _first_customer(customer_id, email, data, billing, contact)
        new_customer = NewCustomer(*customers.new_customer(first, ctx.settings))
    purchase = Purchase(
        customer_id=customer_id,
        order=order,
        licenses=new_licenses,
        supports=new_supports,
        new_customer=new_customer,
        known_revision=existing.revision if existing is not None else None,
        support_extensions=extensions,
        upgrade=plan.upgrade,
        fastspring_order_id=data.order_id,
        event=processed,
    )
    return purchase, plan


def _placed_at(data: OrderCompleted, event: Event) -> datetime:
    millis = data.changed or event.created
    if millis:
        return datetime.fromtimestamp(millis / 1000, tz=UTC)
    raise Rejected("order without a time")


def _licenses_by_serial(customer_id: str, data: OrderCompleted, ctx: Context) -> dict[str, License]:
    """Existing licenses (newest first wins), read only when a support line names a serial."""
    if not any(_named_serial(line.attributes) for line in data.items):
        return {}
    found: dict[str, License] = {}
    for lic in all_licenses(ctx.store, customer_id):
        found.setdefault(lic.serial_number, lic)
    return found


def _named_serial(attributes: dict[str, Any] | None) -> str:
    value = (attributes or {}).get("serialNumber") or (attributes or {}).get("serial") or ""
    value = str(value).strip().upper()
    return value if value.replace("-", "").isalnum() and len(value) <= 32 else ""


def _serial_for(
    attributes: dict[str, Any] | None,
    grant: Grant,
    new_licenses: list[License],
    existing: dict[str, License],
) -> tuple[str, str | None]:
    """(serial number, None) of the license a support line attaches to - the one it names, else
    the first of this order's licenses - when that license is of the support's software, edition
    and size; else ("", why it is held)."""
    named = _named_serial(attributes)
    if named:
        lic = existing.get(named) or next(
            (new for new in new_licenses if new.serial_number == named), None
        )
        if lic is None:
            return "", "license_unknown"
        return (
            (named, None)
            if grant.covers(lic.software, lic.edition, lic.users)
            else ("", "support_mismatch")
        )
    same = [lic for lic in new_licenses if grant.covers(lic.software, lic.edition, lic.users)]
    return (same[0].serial_number, None) if same else ("", "no_matching_license")


def _license(grant: Grant, reference: str, placed_at: datetime) -> License:
    return License(
        license_id=new_ulid(placed_at),
        software=grant.software,
        serial_number=new_serial_number(),
        computer_name=None,
        days=None,
        users=grant.users,
        edition=grant.edition,
        order_number=reference,
        purchased_on=placed_at.date(),
        support=None,
        upgradable=grant.upgradable,
    )


def _support(
    grant: Grant, quantity: int, serial: str, reference: str, placed_at: datetime, start: date
) -> Support:
    return Support(
        support_id=new_ulid(placed_at),
        software=grant.software,
        serial_number=serial,
        users=grant.users,
        edition=grant.edition,
        order_number=reference,
        purchased_on=placed_at.date(),
        duration_years=grant.years,
        expires_on=plus_years(start, grant.years),
    )


def _billing_and_contact(
    email: str, data: OrderCompleted, placed_at: datetime
) -> tuple[BillingDetails, Contact]:
    """The order's billing details and contact, as its buyer gave them."""
    contact = data.contact
    address = data.billing_address
    full_name = " ".join(part for part in (contact.first, contact.last) if part) or email
    billing = BillingDetails(
        date=placed_at.date(),
        name=contact.company or full_name,
        country=address.country.upper()[:2] if address.country else None,
        city=address.city,
    )
    return billing, Contact(
        date=placed_at.date(), first_name=contact.first, last_name=contact.last, email=email
    )


def _first_customer(
    customer_id: str,
    email: str,
    data: OrderCompleted,
    billing: BillingDetails,
    contact: Contact,
) -> Customer:
    """The customer a first purchase creates; no later purchase changes these details."""
    account = data.expanded_account
    full_name = " ".join(part for part in (contact.first_name, contact.last_name) if part)
    return Customer(
        customer_id=customer_id,
        email=email,
        name=full_name or email,
        language=supported_language(
            data.language or (account.language if account else None), default="en"
        ),
        activation_key_sealed="",
        billing=billing,
        contacts=(contact,),
    )
