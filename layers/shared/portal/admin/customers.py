"""Finding a customer the way support is asked about one: by the email of a purchase or by any of
their order numbers (the same lookups sign-in reads; one consistent GetItem)."""

from __future__ import annotations

from portal.data import keys
from portal.data.store import Store
from portal.types import email, order_reference


def find_customer(store: Store, email_or_order: str) -> str | None:
    """The customer id the email or order number belongs to; None when no one has it."""
    text = email_or_order.strip()
    if "@" in text:
        try:
            address = email(text)
        except ValueError:
            return None
        found = store.get(keys.email_lookup(address), consistent=True)
    else:
        try:
            reference = order_reference(text)
        except ValueError:
            return None
        found = store.get(keys.order_reference_lookup(reference), consistent=True)
    return str(found["customerId"]) if found and found.get("customerId") else None
