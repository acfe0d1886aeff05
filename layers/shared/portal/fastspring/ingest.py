"""FastSpring events into the portal, exactly once: the batch, the dispatch by event type, the
context the handlers share, and the event record.

Every event's effect is committed together with its marker items: `FSEVENT#<event id>`
(automatic retries keep the id) and a business key - `FSORDER#<order id>` for orders
(portal.fastspring.orders), `FSRETURN#<return id>` for refunds (portal.fastspring.refunds) - so
a manual re-send with a NEW id changes nothing either.

Outcomes: processed, duplicate, ignored (unknown type, test order on a stage that refuses them),
rejected (malformed data: recorded with its payload for support - contact details removed, kept
REJECTED_KEPT_DAYS (TTL) - and acknowledged so FastSpring stops retrying) - all committed;
failed (anything transient, a bad envelope, a refund before its order) - not committed,
FastSpring re-sends. Each event is read on its own: one bad event spoils only itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from portal.clock import SYSTEM_CLOCK, Clock, epoch_seconds
from portal.config import Settings
from portal.data.store import Store
from portal.data.webhook_events import EventRecord, record_event
from portal.fastspring import orders, refunds
from portal.fastspring.events import Event, Malformed, NotYet, Rejected, read
from portal.observability import count, logger
from portal.orders.catalog import Catalog
from portal.orders.catalog_document import validated_default_catalog

MAX_STORED_PAYLOAD = 300_000
REJECTED_KEPT_DAYS = 30  # a rejected event's record and payload, then DynamoDB TTL removes them
REDACTED = "[removed]"
# Members holding a person's contact details, at any depth of a FastSpring event (compared in
# lower case): whole objects (the customer, the account's contact, addresses, recipients) and
# single fields. Any other string that looks like an email address is removed too.
CONTACT_OBJECTS = frozenset({"customer", "contact", "address", "recipient", "recipients", "buyer"})
CONTACT_FIELDS = frozenset(
    {
        "email",
        "first",
        "last",
        "firstname",
        "lastname",
        "phone",
        "company",
        "addressline1",
        "addressline2",
        "city",
        "postalcode",
        "region",
        "regioncode",
        "regiondisplay",
    }
)
_EMAIL_LIKE = re.compile(r"[^\s@]+@[^\s@]+")


@dataclass(frozen=True, slots=True)
class Outcome:
    event_id: str | None
    status: str  # processed | duplicate | ignored | rejected | failed

    @property
    def committed(self) -> bool:
        return self.status != "failed" and self.event_id is not None


@dataclass
class Context:
    store: Store
    settings: Settings
    clock: Clock = SYSTEM_CLOCK
    catalog: Catalog = field(default_factory=validated_default_catalog)


# An event type's handler commits the event's effect with the `processed` record it is given and
# answers "processed", or "duplicate" when that effect was committed before; it raises Rejected
# for data that can never be processed and NotYet for data that depends on a later event.
Handler = Callable[[Event, Context, EventRecord], str]
HANDLERS: dict[str, Handler] = {
    "order.completed": orders.order_completed,
    "return.created": refunds.return_created,
}


# ---------------------------------------------------------------- batches
def process_batch(events: Sequence[Any], ctx: Context) -> list[Outcome]:
    return [process_event(raw, ctx) for raw in events]


def process_event(raw: Any, ctx: Context) -> Outcome:
    try:
        event = read(Event, raw)
    except Malformed:
        logger.error("webhook event without a usable envelope")
        count("WebhookEventMalformed")
        return Outcome(None, "failed")
    try:
        status = _dispatch(event, ctx)
    except Rejected as why:
        status = record(event, ctx, "rejected", reason=str(why), payload=raw)
        logger.error("webhook event rejected", extra={"event_type": event.type, "reason": str(why)})
        count("WebhookEventRejected")
        return Outcome(event.id, status)
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
        return record(event, ctx, "ignored", reason="test order refused on this stage")
    handler = HANDLERS.get(event.type)
    if handler is None:
        logger.info("webhook event type ignored", extra={"event_type": event.type})
        return record(event, ctx, "ignored", reason="event type not handled")
    if handler(event, ctx, event_record(event, ctx, "processed")) == "duplicate":
        return record(event, ctx, "duplicate")
    return "processed"


# ---------------------------------------------------------------- the event record
def event_record(
    event: Event, ctx: Context, status: str, *, reason: str | None = None, payload: Any = None
) -> EventRecord:
    stored = None
    if payload is not None:
        stored = json.dumps(without_contact_details(payload), default=str)[:MAX_STORED_PAYLOAD]
    now = ctx.clock.now()
    return EventRecord(
        event_id=event.id,
        event_type=event.type,
        status=status,
        live=event.live,
        received_at=now,
        reason=reason,
        payload=stored,
        expires_at=epoch_seconds(now) + REJECTED_KEPT_DAYS * 86_400
        if status == "rejected"
        else None,
    )


def without_contact_details(value: Any) -> Any:
    """A copy of an event with every contact detail replaced by REDACTED: what a support person
    needs to see why it was rejected (its ids, lines, amounts, tags) and nobody's name, email,
    phone or address. The full event stays in FastSpring, found by its id."""
    if isinstance(value, dict):
        return {
            key: REDACTED
            if str(key).lower() in CONTACT_OBJECTS | CONTACT_FIELDS and item is not None
            else without_contact_details(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [without_contact_details(item) for item in value]
    if isinstance(value, str) and _EMAIL_LIKE.search(value):
        return REDACTED
    return value


def record(
    event: Event, ctx: Context, status: str, *, reason: str | None = None, payload: Any = None
) -> str:
    """Record the event with `status`; "duplicate" when the id was recorded already."""
    written = record_event(
        ctx.store, event_record(event, ctx, status, reason=reason, payload=payload)
    )
    return status if written else "duplicate"
