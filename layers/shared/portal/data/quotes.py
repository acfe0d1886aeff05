"""Upgrade quotes: `CUST#<customerId>` / `QUOTE#<quoteId>`, in the partition of the customer who
asked for it, so that an order finds a quote only in the partition of the customer who paid.

A quote is written once (its price never changes), gets at most one FastSpring checkout session
(the first stored wins, so a double click sells one session), and is marked used by the order
that paid it, in that order's own transaction (`use_request`, under `status = open`). `expiresAt`
is DynamoDB TTL, clean-up only, well after the quote's validity (`validUntil`, checked in code);
a used quote loses it and is kept, the record of what an upgrade order paid for."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from portal.clock import epoch_millis, from_utc_text, utc_text
from portal.data import keys
from portal.data.items import customer_from_item, money_amount
from portal.data.store import ConditionFailed, Item, Store
from portal.models import Customer, Money, PriceLine, Quote

KEPT_AFTER_EXPIRY = timedelta(days=30)  # unused quotes are cleaned up by TTL after this
ABSENT = "attribute_not_exists(pk)"
OPEN = "#status = :open"


def quote_to_item(customer_id: str, quote: Quote) -> Item:
    currency = quote.price.currency
    item: Item = {
        **keys.quote_key(customer_id, quote.quote_id),
        "type": "quote",
        "quoteId": quote.quote_id,
        "licenseId": quote.license_id,
        "software": quote.software,
        "serialNumber": quote.serial_number,
        "computerId": quote.computer_id,
        "computerName": quote.computer_name,
        "currentWorkstations": quote.current_workstations,
        "added": quote.added,
        "supportUntil": quote.support_until.isoformat(),
        "price": quote.price.amount,
        "currency": currency,
        "breakdown": [
            {
                "kind": line.kind,
                "quantity": line.quantity,
                "unitPrice": line.unit_price.amount,
                "days": line.days,
                "amount": line.amount.amount,
            }
            for line in quote.breakdown
        ],
        "createdAt": utc_text(quote.created_at),
        "validUntil": utc_text(quote.expires_at),
        "status": quote.status,
        "paidBy": quote.paid_by,
        "checkoutSession": quote.checkout_session,
    }
    if quote.status == "open":
        item["expiresAt"] = epoch_millis(quote.expires_at + KEPT_AFTER_EXPIRY) // 1000
    return item


def quote_from_item(item: Item) -> Quote:
    currency = str(item["currency"])
    return Quote(
        quote_id=str(item["quoteId"]),
        license_id=str(item["licenseId"]),
        software=str(item["software"]),
        serial_number=str(item["serialNumber"]),
        computer_id=item.get("computerId"),
        computer_name=item.get("computerName"),
        current_workstations=int(item["currentWorkstations"]),
        added=int(item["added"]),
        support_until=date.fromisoformat(str(item["supportUntil"])),
        price=Money(money_amount(item["price"]), currency),
        breakdown=tuple(
            PriceLine(
                kind=str(line["kind"]),
                quantity=int(line["quantity"]),
                unit_price=Money(money_amount(line["unitPrice"]), currency),
                days=int(line["days"]) if line.get("days") is not None else None,
                amount=Money(money_amount(line["amount"]), currency),
            )
            for line in item.get("breakdown") or []
        ),
        created_at=from_utc_text(str(item["createdAt"])),
        expires_at=from_utc_text(str(item["validUntil"])),
        status=str(item.get("status", "open")),
        paid_by=item.get("paidBy"),
        checkout_session=item.get("checkoutSession"),
    )


def save_quote(store: Store, customer_id: str, quote: Quote) -> None:
    store.put(quote_to_item(customer_id, quote), condition=ABSENT)


def quote_of(
    store: Store, customer_id: str, quote_id: str, *, consistent: bool = False
) -> Quote | None:
    """The customer's quote `quote_id` (None: none of theirs has that id)."""
    item = store.get(keys.quote_key(customer_id, quote_id), consistent=consistent)
    return quote_from_item(item) if item is not None else None


def keep_checkout_session(
    store: Store, customer_id: str, quote_id: str, session_id: str
) -> Quote | None:
    """Store `session_id` as the quote's checkout session unless it has one: the quote as stored
    now (its session the first one kept). None when the quote was paid meanwhile."""
    try:
        item = store.update(
            keys.quote_key(customer_id, quote_id),
            update="SET checkoutSession = if_not_exists(checkoutSession, :session)",
            names={"#status": "status"},
            values={":session": session_id, ":open": "open"},
            condition=f"attribute_exists(pk) AND {OPEN}",
            return_new=True,
        )
    except ConditionFailed:
        return None
    return quote_from_item(item) if item is not None else None


def use_request(store: Store, customer_id: str, quote_id: str, order_reference: str) -> Any:
    """The transaction part marking the quote paid by `order_reference`: it holds only while the
    quote is open, so a quote is paid once however many orders race for it."""
    return store.update_request(
        keys.quote_key(customer_id, quote_id),
        update="SET #status = :used, paidBy = :order REMOVE expiresAt",
        names={"#status": "status"},
        values={":used": "used", ":order": order_reference, ":open": "open"},
        condition=f"attribute_exists(pk) AND {OPEN}",
    )


def quote_and_buyer(
    store: Store, customer_id: str, quote_id: str
) -> tuple[Quote | None, Customer | None]:
    """The customer's quote (None: none of theirs has that id) and their profile (the
    checkout's buyer contact), one BatchGetItem."""
    quote, profile = store.get_many(
        [keys.quote_key(customer_id, quote_id), keys.customer_profile(customer_id)]
    )
    return (
        quote_from_item(quote) if quote is not None else None,
        customer_from_item(profile) if profile is not None else None,
    )
