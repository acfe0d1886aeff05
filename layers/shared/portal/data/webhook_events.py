"""Recording FastSpring events: the `FSEVENT#<id>` marker of every event the portal took on
(processed, duplicate, ignored, rejected), written once - a second record of the same id finds
the first one there and writes nothing. Permanent, except a rejected event's record (it had no
effect, so nothing depends on it): its payload expires with it (`expires_at`, TTL)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from portal.data.items import webhook_event_item
from portal.data.store import ConditionFailed, Item, Store

ABSENT = "attribute_not_exists(pk)"


@dataclass(frozen=True, slots=True)
class EventRecord:
    event_id: str
    event_type: str
    status: str  # processed | duplicate | ignored | rejected
    live: bool
    received_at: datetime
    reason: str | None = None
    payload: str | None = None  # a rejected event as received, less contact details, for support
    expires_at: int | None = None  # epoch seconds (TTL): rejected records only


def _item(record: EventRecord) -> Item:
    return webhook_event_item(
        record.event_id,
        event_type=record.event_type,
        status=record.status,
        live=record.live,
        received_at=record.received_at,
        reason=record.reason,
        payload=record.payload,
        expires_at=record.expires_at,
    )


def record_event(store: Store, record: EventRecord) -> bool:
    """Write the marker; False when this event id was already recorded (nothing written)."""
    try:
        store.put(_item(record), condition=ABSENT)
    except ConditionFailed:
        return False
    return True


def marker_request(store: Store, record: EventRecord) -> dict[str, Any]:
    """The same conditional put, as a part of the transaction that commits the event's effect."""
    return store.put_request(_item(record), condition=ABSENT)
