"""FastSpring events into the portal, exactly once.

Every event is committed in ONE conditional transaction together with its marker items:
`FSEVENT#<event id>` (automatic retries keep the id) and a business key - `FSORDER#<order id>`
for orders, `FSRETURN#<return id>` for refunds - so a manual re-send with a NEW id changes nothing
either. A failed condition tells which: the event or the business key was already done (a
duplicate, acknowledged), or a new customer's email was taken meanwhile (read again and retry).

Outcomes: processed, duplicate, ignored (unknown type, test order on a stage that refuses them),
rejected (malformed data: recorded with its payload for support, acknowledged so FastSpring stops
retrying) - all committed; failed (anything transient) - not committed, FastSpring re-sends.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from portal.accounts import customers
from portal.clock import SYSTEM_CLOCK, Clock, plus_years
from portal.config import Settings
from portal.data import keys
from portal.data.items import (
    customer_from_item,
    customer_to_item,
    email_lookup_item,
    license_from_item,
    license_to_item,
    order_from_item,
    order_to_item,
    support_from_item,
)
from portal.data.store import ConditionFailed, Item, Store
from portal.fastspring.events import Event, OrderCompleted, ReturnCreated
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
    SupportCoverage,
)
from portal.observability import count, logger
from portal.orders.catalog import Catalog, Grant, default_catalog
from portal.orders.purchases import Part, purchase_parts
from portal.shapes import ShapeError
from portal.types import normalize_email, normalize_order_reference, supported_language

MAX_STORED_PAYLOAD = 300_000
_RETRIES = 3


@dataclass(frozen=True, slots=True)
class Outcome:
    event_id: str | None
    status: str  # processed | duplicate | ignored | rejected | failed

    @property
    def committed(self) -> bool:
        return self.status != "failed" and self.event_id is not None


class Rejected(Exception):
    """The event's data can never be processed (malformed, inconsistent)."""


class NotYet(Exception):
    """Something the event depends on has not arrived yet (a refund before its order)."""


@dataclass
class Context:
    store: Store
    settings: Settings
    clock: Clock = SYSTEM_CLOCK
    catalog: Catalog = field(default_factory=default_catalog)


# ---------------------------------------------------------------- batches
def process_batch(events: Sequence[Any], ctx: Context) -> list[Outcome]:
    return [process_event(raw, ctx) for raw in events]


def process_event(raw: Any, ctx: Context) -> Outcome:
    try:
        event = Event.parse(raw)
    except ShapeError:
        logger.error("webhook event without a usable envelope")
        count("WebhookEventMalformed")
        return Outcome(None, "failed")
    try:
        status = _dispatch(event, ctx)
    except Rejected as why:
        status = _record_event(event, ctx, "rejected", reason=str(why), payload=raw)
        logger.error("webhook event rejected", extra={"event_type": event.type, "reason": str(why)})
        count("WebhookEventRejected")
    except NotYet as why:
        logger.warning(
            "webhook event deferred", extra={"event_type": event.type, "reason": str(why)}
        )
        count("WebhookEventDeferred")
        return Outcome(event.id, "failed")
    except Exception:  # noqa: BLE001 - anything transient: not acknowledged, FastSpring re-sends
        logger.exception("webhook event failed", extra={"event_type": event.type})
        count("WebhookEventFailed")
        return Outcome(event.id, "failed")
    count(f"WebhookEvent{status.capitalize()}")
    return Outcome(event.id, status)


def _dispatch(event: Event, ctx: Context) -> str:
    if not event.live and not ctx.settings.allow_test_orders:
        return _record_event(event, ctx, "ignored", reason="test order refused on this stage")
    if event.type == "order.completed":
        return _order_completed(event, ctx)
    if event.type == "return.created":
        return _return_created(event, ctx)
    logger.info("webhook event type ignored", extra={"event_type": event.type})
    return _record_event(event, ctx, "ignored", reason="event type not handled")


def _event_item(event: Event, ctx: Context, status: str, **extra: Any) -> Item:
    return {
        **keys.webhook_event(event.id),
        "type": "webhookEvent",
        "eventType": event.type,
        "status": status,
        "live": event.live,
        "receivedAt": ctx.clock.now().isoformat(),
        **{k: v for k, v in extra.items() if v is not None},
    }


def _record_event(
    event: Event, ctx: Context, status: str, *, reason: str | None = None, payload: Any = None
) -> str:
    stored = None
    if payload is not None:
        text = json.dumps(payload, default=str)
        stored = text if len(text) <= MAX_STORED_PAYLOAD else text[:MAX_STORED_PAYLOAD]
    try:
        ctx.store.put(
            _event_item(event, ctx, status, reason=reason, payload=stored),
            condition="attribute_not_exists(pk)",
        )
    except ConditionFailed:
        return "duplicate"
    return status


def _commit(parts: list[Part], ctx: Context) -> str | None:
    """Run the transaction; None when done, else what the failed conditions mean."""
    try:
        ctx.store.transact(parts)
    except ConditionFailed as failed:
        return _meaning(failed.reasons, parts)
    return None


def _meaning(reasons: list[str], parts: list[Part]) -> str:
    failed_keys = [
        _part_pk(part)
        for part, code in zip(parts, reasons, strict=False)
        if code == "ConditionalCheckFailed"
    ]
    if any(pk.startswith(("FSEVENT#", "FSORDER#", "FSRETURN#")) for pk in failed_keys):
        return "duplicate"
    if any(pk.startswith(("EMAIL#", "AKEY#", "CUST#")) for pk in failed_keys):
        return "retry"
    return "conflict:" + ",".join(pk.split("#")[0] for pk in failed_keys)


def _part_pk(part: Part) -> str:
    request = part[1]
    raw = request.get("Item") or request.get("Key") or {}
    return str(raw.get("pk", {}).get("S", ""))


# ---------------------------------------------------------------- order.completed
def _order_completed(event: Event, ctx: Context) -> str:
    try:
        data = OrderCompleted.parse(event.data)
    except ShapeError as exc:
        raise Rejected(str(exc)) from None
    email = normalize_email(data.contact.email or "")
    reference = normalize_order_reference(data.reference)
    if "@" not in email or not reference:
        raise Rejected("order without a customer email or reference")
    for _ in range(_RETRIES):
        seen, by_email = ctx.store.get_many(
            [keys.fastspring_order_lookup(data.id), keys.email_lookup(email)]
        )
        if seen is not None:
            return _record_event(event, ctx, "duplicate")
        profile = None
        if by_email is not None:
            profile = ctx.store.get(
                keys.customer_profile(str(by_email["customerId"])), consistent=True
            )
            if profile is None:
                raise Rejected("email lookup without a customer profile")
        parts = _order_parts(event, data, email, reference, profile, ctx)
        meaning = _commit(parts, ctx)
        if meaning is None:
            count("OrderIngested")
            return "processed"
        if meaning == "duplicate":
            return _record_event(event, ctx, "duplicate")
        if meaning != "retry":
            raise Rejected(f"order conflicts with stored records ({meaning})")
    raise RuntimeError("customer creation kept racing")


def _order_parts(
    event: Event,
    data: OrderCompleted,
    email: str,
    reference: str,
    profile: Item | None,
    ctx: Context,
) -> list[Part]:
    placed_at = _placed_at(data, event)
    existing = customer_from_item(profile) if profile else None
    customer_id = existing.customer_id if existing else new_ulid(placed_at)
    licenses_by_serial = _licenses_by_serial(customer_id, data, ctx) if existing else {}

    lines: list[OrderItem] = []
    new_licenses: list[License] = []
    new_supports: list[Support] = []
    support_updates: dict[str, date] = {}
    grants = [ctx.catalog.grant_for(line.sku, line.product) for line in data.items]
    for line, grant in zip(data.items, grants, strict=True):
        granted: list[str] = []
        if grant is None:
            logger.warning("order line with an unknown SKU", extra={"sku": line.sku})
            count("OrderLineUnknownSku")
        elif grant.kind == "license":
            lic = _license(grant, line.quantity, reference, placed_at)
            new_licenses.append(lic)
            granted.append(keys.LICENSE_PREFIX + lic.license_id)
        lines.append(
            OrderItem(
                product=line.product,
                sku=line.sku,
                quantity=line.quantity,
                subtotal=Money(line.subtotal, data.currency),
                display=line.display,
                granted=tuple(granted),
                unknown_sku=grant is None,
            )
        )
    # Supports after licenses, so a support bought with its license binds to that license.
    for index, (line, grant) in enumerate(zip(data.items, grants, strict=True)):
        if grant is None or grant.kind != "support":
            continue
        serial = _serial_for(line.attributes, grant, new_licenses, licenses_by_serial)
        start = placed_at.date()
        current = licenses_by_serial.get(serial)
        if current is not None and current.support and current.support.until > start:
            start = current.support.until  # a renewal extends the running support
        sup = _support(grant, line.quantity, serial, reference, placed_at, start)
        new_supports.append(sup)
        lines[index] = replace(lines[index], granted=(keys.SUPPORT_PREFIX + sup.support_id,))
        if serial:
            support_updates[serial] = max(
                support_updates.get(serial, sup.expires_on), sup.expires_on
            )

    new_licenses = [
        replace(lic, support=SupportCoverage(support_updates[lic.serial_number], True))
        if lic.serial_number in support_updates
        else lic
        for lic in new_licenses
    ]
    order = Order(
        reference=reference,
        placed_at=placed_at,
        total=Money(data.total, data.currency),
        items=tuple(lines),
        fastspring_id=data.id,
        invoice_url=data.invoice_url,
    )
    absent = "attribute_not_exists(pk)"
    store = ctx.store
    parts: list[Part] = [
        ("Put", store.put_request(_event_item(event, ctx, "processed"), condition=absent)),
        (
            "Put",
            store.put_request(
                {
                    **keys.fastspring_order_lookup(data.id),
                    "type": "fastspringOrder",
                    "customerId": customer_id,
                    "reference": reference,
                },
                condition=absent,
            ),
        ),
    ]
    customer = _customer_after(existing, customer_id, email, data, placed_at)
    if existing is None:
        parts += customers.create_customer_parts(
            *customers.new_customer(customer, ctx.settings), store
        )
    else:
        parts += _customer_update_parts(customer, store)
    parts += purchase_parts(customer_id, order, new_licenses, new_supports, store)
    for serial, until in support_updates.items():
        bound = licenses_by_serial.get(serial)
        if bound is not None and (bound.support is None or bound.support.until < until):
            parts.append(
                (
                    "Update",
                    store.update_request(
                        keys.license_key(customer_id, bound.license_id),
                        update="SET supportUntil = :until, supportFile = :yes",
                        values={":until": until.isoformat(), ":yes": True},
                        condition="attribute_exists(pk)",
                    ),
                )
            )
    return parts


def _placed_at(data: OrderCompleted, event: Event) -> datetime:
    millis = data.changed or event.created
    if millis:
        return datetime.fromtimestamp(millis / 1000, tz=UTC)
    raise Rejected("order without a time")


def _licenses_by_serial(customer_id: str, data: OrderCompleted, ctx: Context) -> dict[str, License]:
    """Existing licenses, read only when a support line names a serial number (one Query)."""
    if not any(_named_serial(line.attributes) for line in data.items):
        return {}
    found: dict[str, License] = {}
    start: dict[str, str] | None = None
    while True:
        page = ctx.store.query(
            partition=("pk", keys.customer_pk(customer_id)),
            sort_prefix=("sk", keys.LICENSE_PREFIX),
            limit=100,
            start_key=start,
        )
        for item in page.items:
            lic = license_from_item(item)
            found.setdefault(lic.serial_number, lic)
        if not page.last_key:
            return found
        start = {"pk": str(page.last_key["pk"]), "sk": str(page.last_key["sk"])}


def _named_serial(attributes: dict[str, Any] | None) -> str:
    value = (attributes or {}).get("serialNumber") or (attributes or {}).get("serial") or ""
    value = str(value).strip().upper()
    return value if value.replace("-", "").isalnum() and len(value) <= 32 else ""


def _serial_for(
    attributes: dict[str, Any] | None,
    grant: Grant,
    new_licenses: list[License],
    existing: dict[str, License],
) -> str:
    named = _named_serial(attributes)
    if named:
        return named
    same = [lic for lic in new_licenses if lic.software == grant.software]
    best = [lic for lic in same if lic.users == grant.users] or same
    return best[0].serial_number if best else ""


def _license(grant: Grant, quantity: int, reference: str, placed_at: datetime) -> License:
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
        quantity=quantity,
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


def _customer_after(
    existing: Customer | None,
    customer_id: str,
    email: str,
    data: OrderCompleted,
    placed_at: datetime,
) -> Customer:
    contact = data.contact
    account = data.account
    address = data.address or (account.address if account else None)
    full_name = " ".join(part for part in (contact.first, contact.last) if part) or email
    country = (address.country if address else None) or (account.country if account else None)
    billing = BillingDetails(
        date=placed_at.date(),
        name=contact.company or full_name,
        country=country.upper()[:2] if country else None,
        city=address.city if address else None,
    )
    new_contact = Contact(
        date=placed_at.date(), first_name=contact.first, last_name=contact.last, email=email
    )
    language = supported_language(
        data.language or (account.language if account else None),
        default=existing.language if existing else "en",
    )
    if existing is None:
        return Customer(
            customer_id=customer_id,
            email=email,
            name=full_name,
            language=language,
            activation_key_sealed="",
            billing=billing,
            contacts=(new_contact,),
        )
    known = {(c.first_name, c.last_name, c.email) for c in existing.contacts}
    contacts = existing.contacts
    if (new_contact.first_name, new_contact.last_name, new_contact.email) not in known:
        contacts = (*contacts, new_contact)
    newer = existing.billing is None or (existing.billing.date or date.min) <= placed_at.date()
    return replace(
        existing,
        name=full_name if newer else existing.name,
        language=language,
        billing=billing if newer else existing.billing,
        contacts=contacts,
    )


def _customer_update_parts(customer: Customer, store: Store) -> list[Part]:
    """Optimistic concurrency on the profile: a parallel order for the same customer makes this
    transaction fail on `revision`, and the order is read and built again."""
    previous = customer.revision
    profile = customer_to_item(replace(customer, revision=previous + 1))
    condition = "revision = :previous" if previous else "attribute_not_exists(revision)"
    put = store.put_request(profile, condition=condition)
    if previous:
        put["ExpressionAttributeValues"] = {":previous": {"N": str(previous)}}
    return [
        ("Put", put),
        ("Put", store.put_request(email_lookup_item(customer), condition="attribute_exists(pk)")),
    ]


# ---------------------------------------------------------------- return.created
def _return_created(event: Event, ctx: Context) -> str:
    try:
        data = ReturnCreated.parse(event.data)
    except ShapeError as exc:
        raise Rejected(str(exc)) from None
    original = normalize_order_reference(data.original_reference or "")
    if not original:
        raise Rejected("refund without the original order reference")
    return_id = data.id or data.reference or event.id
    owner = ctx.store.get(keys.order_reference_lookup(original), consistent=True)
    if owner is None:
        raise NotYet("the refunded order has not arrived yet")
    customer_id = str(owner["customerId"])
    marker = {**_return_key(return_id), "type": "fastspringReturn", "reference": original}
    done, order_item = ctx.store.get_many(
        [_return_key(return_id), keys.order_key(customer_id, original)]
    )
    if done is not None:
        return _record_event(event, ctx, "duplicate")
    if order_item is None:
        raise NotYet("the refunded order record is missing")
    order = order_from_item(order_item)
    refunded = _refund_lines(order, data)
    revoked = [
        key
        for before, after in zip(order.items, refunded, strict=True)
        if before.refunded_quantity < before.quantity <= after.refunded_quantity
        for key in after.granted
    ]
    status = (
        "refunded"
        if all(line.refunded_quantity >= line.quantity for line in refunded)
        else "partially_refunded"
    )
    updated = replace(order, items=tuple(refunded), status=status)
    store = ctx.store
    absent = "attribute_not_exists(pk)"
    parts: list[Part] = [
        ("Put", store.put_request(_event_item(event, ctx, "processed"), condition=absent)),
        ("Put", store.put_request(marker, condition=absent)),
        (
            "Put",
            store.put_request(
                order_to_item(customer_id, updated), condition="attribute_exists(pk)"
            ),
        ),
    ]
    parts += _revoke_parts(customer_id, revoked, ctx, reason=f"refund {return_id}")
    meaning = _commit(parts, ctx)
    if meaning is None:
        count("OrderRefunded")
        return "processed"
    if meaning == "duplicate":
        return _record_event(event, ctx, "duplicate")
    raise RuntimeError(f"refund could not be committed ({meaning})")


def _return_key(return_id: str) -> keys.Key:
    return {"pk": f"FSRETURN#{return_id}", "sk": "FSRETURN"}


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


def _revoke_parts(
    customer_id: str, sort_keys: list[str], ctx: Context, *, reason: str
) -> list[Part]:
    """Delete what the refunded lines granted (keeping a REVOKED# copy for support) and bring
    the licenses' support dates back in line with the supports that remain."""
    if not sort_keys:
        return []
    store = ctx.store
    pk = keys.customer_pk(customer_id)
    wanted = [{"pk": pk, "sk": sk} for sk in sort_keys]
    current = [item for item in store.get_many(wanted) if item is not None]
    parts: list[Part] = []
    now = ctx.clock.now().isoformat()
    revoked_supports: list[Support] = []
    for item in current:
        copy = {
            **item,
            "pk": pk,
            "sk": "REVOKED#" + str(item["sk"]),
            "revokedAt": now,
            "reason": reason,
        }
        copy.pop("gsi1pk", None)
        copy.pop("gsi1sk", None)
        parts.append(("Put", store.put_request(copy)))
        parts.append(("Delete", store.delete_request({"pk": pk, "sk": str(item["sk"])})))
        if str(item["sk"]).startswith(keys.SUPPORT_PREFIX):
            revoked_supports.append(support_from_item(item))
    if revoked_supports:
        parts += _support_recalculation(customer_id, revoked_supports, set(sort_keys), ctx)
    return parts


def _support_recalculation(
    customer_id: str, revoked: list[Support], gone: set[str], ctx: Context
) -> list[Part]:
    serials = {sup.serial_number for sup in revoked if sup.serial_number}
    if not serials:
        return []
    remaining: dict[str, date] = {}
    licenses: list[License] = []
    for prefix, sink in ((keys.SUPPORT_PREFIX, "s"), (keys.LICENSE_PREFIX, "l")):
        start: dict[str, str] | None = None
        while True:
            page = ctx.store.query(
                partition=("pk", keys.customer_pk(customer_id)),
                sort_prefix=("sk", prefix),
                limit=100,
                start_key=start,
            )
            for item in page.items:
                if str(item["sk"]) in gone:
                    continue
                if sink == "s":
                    sup = support_from_item(item)
                    if sup.serial_number in serials:
                        remaining[sup.serial_number] = max(
                            remaining.get(sup.serial_number, sup.expires_on), sup.expires_on
                        )
                else:
                    licenses.append(license_from_item(item))
            if not page.last_key:
                break
            start = {"pk": str(page.last_key["pk"]), "sk": str(page.last_key["sk"])}
    parts: list[Part] = []
    for lic in licenses:
        if lic.serial_number not in serials or keys.LICENSE_PREFIX + lic.license_id in gone:
            continue
        until = remaining.get(lic.serial_number)
        updated = replace(lic, support=SupportCoverage(until, True) if until else None)
        parts.append(
            (
                "Put",
                ctx.store.put_request(
                    license_to_item(customer_id, updated), condition="attribute_exists(pk)"
                ),
            )
        )
    return parts
