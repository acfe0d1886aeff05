"""Stored-item shapes: the explicit mapping between domain models and DynamoDB items."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from portal.clock import from_utc_text, utc_text
from portal.data import keys
from portal.data.store import Item
from portal.models import (
    BillingDetails,
    Contact,
    Customer,
    HistoryEntry,
    License,
    LineUpgrade,
    Money,
    Order,
    OrderItem,
    Support,
    SupportCoverage,
)


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if value else None


def _int(value: Any) -> int | None:
    return int(value) if value is not None else None


# ---------------------------------------------------------------- customer
def customer_from_item(item: Item) -> Customer:
    return Customer(
        customer_id=item["customerId"],
        email=item["email"],
        name=item.get("name") or "",
        language=item.get("language") or "en",
        activation_key_sealed=item["activationKeySealed"],
        billing=billing_from_item(item.get("billing")),
        contacts=tuple(
            contact
            for contact in map(contact_from_item, item.get("contacts") or [])
            if contact is not None
        ),
        revision=int(item.get("revision", 0)),
        reminders=item.get("reminders"),
        reminders_changed_at=item.get("remindersChangedAt"),
    )


def billing_from_item(billing: Item | None) -> BillingDetails | None:
    if not billing:
        return None
    return BillingDetails(
        date=_date(billing.get("date")),
        name=billing.get("name"),
        country=billing.get("country"),
        city=billing.get("city"),
    )


def billing_to_item(billing: BillingDetails | None) -> Item | None:
    if billing is None:
        return None
    return {
        "date": billing.date.isoformat() if billing.date else None,
        "name": billing.name,
        "country": billing.country,
        "city": billing.city,
    }


def contact_from_item(contact: Item | None) -> Contact | None:
    if not contact:
        return None
    return Contact(
        date=_date(contact.get("date")),
        first_name=contact.get("firstName"),
        last_name=contact.get("lastName"),
        email=contact.get("email"),
    )


def contact_to_item(contact: Contact | None) -> Item | None:
    if contact is None:
        return None
    return {
        "date": contact.date.isoformat() if contact.date else None,
        "firstName": contact.first_name,
        "lastName": contact.last_name,
        "email": contact.email,
    }


def customer_to_item(customer: Customer) -> Item:
    return {
        **keys.customer_profile(customer.customer_id),
        "lsi1sk": keys.ORDERS_LSI_PROFILE,
        "type": "customer",
        "customerId": customer.customer_id,
        "email": customer.email,
        "name": customer.name,
        "language": customer.language,
        "activationKeySealed": customer.activation_key_sealed,
        "revision": customer.revision or None,
        "reminders": customer.reminders,
        "remindersChangedAt": customer.reminders_changed_at,
        "billing": billing_to_item(customer.billing),
        "contacts": [contact_to_item(c) for c in customer.contacts],
    }


def email_lookup_item(customer: Customer) -> Item:
    """Sign-in reads this one item: who owns an email, and what to greet them with."""
    return {
        **keys.email_lookup(customer.email),
        "type": "emailLookup",
        "customerId": customer.customer_id,
        "email": customer.email,
        "name": customer.name,
        "language": customer.language,
    }


def order_reference_item(reference: str, customer_id: str) -> Item:
    return {
        **keys.order_reference_lookup(reference),
        "type": "orderRefLookup",
        "customerId": customer_id,
    }


def activation_key_item(activation_key: str, customer_id: str) -> Item:
    return {
        **keys.activation_key_lookup(activation_key),
        "type": "akeyLookup",
        "customerId": customer_id,
    }


# ---------------------------------------------------------------- licenses and supports
def license_from_item(item: Item) -> License:
    until = _date(item.get("supportUntil"))
    releases = item.get("releases")  # most licenses have none: no generator made for them
    return License(
        license_id=item["licenseId"],
        software=item["software"],
        serial_number=item["serialNumber"],
        computer_name=item.get("computerName"),
        days=_int(item.get("days")),
        users=int(item["users"]),
        edition=item.get("edition"),
        order_number=item.get("orderNumber"),
        purchased_on=date.fromisoformat(item["purchasedOn"]),
        support=SupportCoverage(
            until=until,
            file_available=bool(item.get("supportFile", True)),
            support_id=item.get("supportId"),
        )
        if until
        else None,
        upgradable=bool(item.get("upgradable", False)),
        computer_id=item.get("computerId"),
        releases=tuple(from_utc_text(str(at)) for at in releases) if releases else (),
        history_length=int(item.get("historyLength", 0)),
    )


def license_to_item(customer_id: str, lic: License) -> Item:
    return {
        **keys.license_key(customer_id, lic.license_id),
        "type": "license",
        "licenseId": lic.license_id,
        "software": lic.software,
        "serialNumber": lic.serial_number,
        "computerName": lic.computer_name,
        "days": lic.days,
        "users": lic.users,
        "edition": lic.edition,
        "orderNumber": lic.order_number,
        "purchasedOn": lic.purchased_on.isoformat(),
        "supportUntil": lic.support.until.isoformat() if lic.support else None,
        "supportId": lic.support.support_id if lic.support else None,
        "supportFile": lic.support.file_available if lic.support else None,
        "upgradable": lic.upgradable,
        "computerId": lic.computer_id,
        "releases": [utc_text(at) for at in lic.releases] or None,
        "historyLength": lic.history_length or None,
        **(binding_keys(customer_id, lic.license_id, lic.computer_id) if lic.computer_id else {}),
    }


def binding_keys(customer_id: str, license_id: str, computer_id: str) -> Item:
    """The gsi1 keys of a license bound to a computer (license by computer)."""
    return {
        "gsi1pk": keys.computer_gsi(computer_id),
        "gsi1sk": keys.computer_binding_sort(customer_id, license_id),
    }


def history_item(
    customer_id: str, license_id: str, entry: HistoryEntry, *, sequence: int, released: bool = False
) -> Item:
    """History entry number `sequence`; a release is also indexed under the computer it left
    (license_moved)."""
    at = utc_text(entry.at)
    item: Item = {
        **keys.history_key(customer_id, license_id, sequence),
        "type": "history",
        "licenseId": license_id,
        "at": at,
        "event": entry.event,
        "computerId": entry.computer_id,
        "computerName": entry.computer_name,
        "by": entry.by,
    }
    if released and entry.computer_id:
        item["gsi1pk"] = keys.computer_gsi(entry.computer_id)
        item["gsi1sk"] = keys.released_binding_sort(customer_id, license_id, at)
    return item


def history_from_item(item: Item) -> HistoryEntry:
    return HistoryEntry(
        at=from_utc_text(str(item["at"])),
        event=str(item["event"]),
        computer_id=item.get("computerId"),
        computer_name=item.get("computerName"),
        by=item.get("by"),
    )


def support_from_item(item: Item) -> Support:
    return Support(
        support_id=item["supportId"],
        software=item["software"],
        serial_number=item["serialNumber"],
        users=int(item["users"]),
        edition=item.get("edition"),
        order_number=item.get("orderNumber"),
        purchased_on=date.fromisoformat(item["purchasedOn"]),
        duration_years=int(item["durationYears"]),
        expires_on=date.fromisoformat(item["expiresOn"]),
    )


def support_to_item(customer_id: str, sup: Support) -> Item:
    return {
        **keys.support_key(customer_id, sup.support_id),
        "type": "support",
        "supportId": sup.support_id,
        "software": sup.software,
        "serialNumber": sup.serial_number,
        "users": sup.users,
        "edition": sup.edition,
        "orderNumber": sup.order_number,
        "purchasedOn": sup.purchased_on.isoformat(),
        "durationYears": sup.duration_years,
        "expiresOn": sup.expires_on.isoformat(),
        # supports by expiry date (reminder job): one Query per due date
        "gsi1pk": keys.support_expiry_gsi(sup.expires_on.isoformat()),
        "gsi1sk": keys.support_expiry_gsi_sort(customer_id, sup.support_id),
    }


def money_amount(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


# ---------------------------------------------------------------- orders
def order_to_item(customer_id: str, order: Order) -> Item:
    placed = utc_text(order.placed_at)
    return {
        **keys.order_key(customer_id, order.reference),
        # the orders page: profile then order headers, newest first, in one Query on lsi1
        "lsi1sk": keys.order_lsi_sort(placed, order.reference),
        "type": "order",
        "reference": order.reference,
        "fastspringId": order.fastspring_id,
        "placedAt": placed,
        "total": order.total.amount,
        "currency": order.total.currency,
        "invoiceUrl": order.invoice_url,
        "status": order.status,
        "items": [_order_line_item(line) for line in order.items],
        "revision": order.revision or None,  # absent until a refund or a decision changes it
        # the order's own buyer details (a later purchase never changes the profile's)
        "billing": billing_to_item(order.billing),
        "contact": contact_to_item(order.contact),
        # sparse: only while an upgrade line waits for support (every write puts the order whole,
        # so the keys come and go with the lines: held, then decided or refunded)
        **(
            keys.held_upgrade_gsi(placed, customer_id, order.reference)
            if order.awaiting_review()
            else {}
        ),
    }


def _order_line_item(line: OrderItem) -> Item:
    item: Item = {
        "product": line.product,
        "sku": line.sku,
        "quantity": line.quantity,
        "subtotal": line.subtotal.amount,
        "display": line.display,
        "granted": list(line.granted),
        "unknownSku": line.unknown_sku,
        "refundedQuantity": line.refunded_quantity,
        "held": line.held,
    }
    if line.upgrade is not None:  # upgrade lines only: the others stay as they were
        item["upgrade"] = {
            "status": line.upgrade.status,
            "reason": line.upgrade.reason,
            "quoteId": line.upgrade.quote_id,
            "licenseId": line.upgrade.license_id,
            "workstations": line.upgrade.workstations,
        }
        if line.upgrade.note is not None:  # support's decision (portal-admin upgrades)
            item["upgrade"]["note"] = line.upgrade.note
    return item


def _line_upgrade(value: Any) -> LineUpgrade | None:
    if not value:
        return None
    return LineUpgrade(
        status=str(value["status"]),
        reason=value.get("reason"),
        quote_id=value.get("quoteId"),
        license_id=value.get("licenseId"),
        workstations=int(value.get("workstations") or 0),
        note=value.get("note"),
    )


def order_from_item(item: Item) -> Order:
    currency = str(item["currency"])
    return Order(
        reference=item["reference"],
        placed_at=from_utc_text(str(item["placedAt"])),
        total=Money(money_amount(item["total"]), currency),
        items=tuple(
            OrderItem(
                product=line["product"],
                sku=line.get("sku"),
                quantity=int(line["quantity"]),
                subtotal=Money(money_amount(line["subtotal"]), currency),
                display=line.get("display"),
                granted=tuple(line.get("granted") or ()),
                unknown_sku=bool(line.get("unknownSku", False)),
                refunded_quantity=int(line.get("refundedQuantity", 0)),
                upgrade=_line_upgrade(line.get("upgrade")),
                held=line.get("held"),
            )
            for line in item.get("items") or []
        ),
        fastspring_id=item.get("fastspringId"),
        invoice_url=item.get("invoiceUrl"),
        status=item.get("status", "completed"),
        revision=int(item.get("revision", 0)),
        billing=billing_from_item(item.get("billing")),
        contact=contact_from_item(item.get("contact")),
    )


# ---------------------------------------------------------------- webhook ingestion markers
def webhook_event_item(
    event_id: str,
    *,
    event_type: str,
    status: str,
    live: bool,
    received_at: datetime,
    reason: str | None = None,
    payload: str | None = None,
    expires_at: int | None = None,
) -> Item:
    return {
        **keys.webhook_event(event_id),
        "type": "webhookEvent",
        "eventType": event_type,
        "status": status,
        "live": live,
        "receivedAt": utc_text(received_at),
        "reason": reason,
        "payload": payload,
        "expiresAt": expires_at,
    }


def fastspring_order_item(fastspring_order_id: str, customer_id: str, reference: str) -> Item:
    return {
        **keys.fastspring_order_lookup(fastspring_order_id),
        "type": "fastspringOrder",
        "customerId": customer_id,
        "reference": reference,
    }


def fastspring_return_item(return_id: str, reference: str) -> Item:
    return {
        **keys.fastspring_return_lookup(return_id),
        "type": "fastspringReturn",
        "reference": reference,
    }


def revoked_copy_item(customer_id: str, stored: Item, *, revoked_at: datetime, reason: str) -> Item:
    """The record as it was, under REVOKED#<its sort key>, out of every index."""
    copy = {k: v for k, v in stored.items() if k not in ("gsi1pk", "gsi1sk")}
    revoked = {
        **copy,
        **keys.revoked_copy(customer_id, str(stored["sk"])),
        "revokedAt": utc_text(revoked_at),
        "reason": reason,
    }
    if stored.get("type") == "license" and stored.get("computerId"):
        # the computer it was bound to still finds it, as revoked (refresh answers 410)
        revoked["gsi1pk"] = keys.computer_gsi(str(stored["computerId"]))
        revoked["gsi1sk"] = keys.revoked_binding_sort(customer_id, str(stored["licenseId"]))
    return revoked
