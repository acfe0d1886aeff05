"""The customer's reminder preference: the profile's `reminders` attribute (absent = on, the
default of every customer), read with one projected GetItem and written with one conditional
UpdateItem. Nothing else writes it; the reminder job reads it from the profile it reads anyway.

The write bumps the profile's `revision`, so that a purchase rewriting the profile from an
older read (portal.data.purchases, optimistic concurrency on `revision`) fails and reads again,
and never puts back the choice from before."""

from __future__ import annotations

from portal.data import keys
from portal.data.store import ConditionFailed, Store

_PROFILE = ("pk", "reminders")  # pk: a profile without the attribute still answers an item


def reminders_of(store: Store, customer_id: str) -> bool | None:
    """Whether the customer gets reminders; None when there is no such customer."""
    item = store.get(keys.customer_profile(customer_id), attributes=_PROFILE)
    if item is None:
        return None
    return item.get("reminders") is not False


def set_reminders(store: Store, customer_id: str, on: bool, *, at: str) -> bool:
    """Record the choice (`at`: ISO 8601 UTC); False when there is no such customer (nothing is
    written then: the condition keeps an unknown id from creating an item)."""
    try:
        store.update(
            keys.customer_profile(customer_id),
            update="SET reminders = :on, remindersChangedAt = :at ADD revision :one",
            condition="attribute_exists(pk)",
            values={":on": on, ":at": at, ":one": 1},
        )
    except ConditionFailed:
        return False
    return True
