"""The outbox (ARCHITECTURE.md, Mail): `OUTBOX#<outboxId>` / `OUTBOX`, one item per mail that a
request or an event causes, written in the same transaction as its cause (`outbox_put_request`
is a transaction part), so a mail is neither lost nor sent for a change that did not commit.

An item may leave its recipient to the mailer (`to` and `language` empty): the mailer then reads
the customer's profile at send time for the address, the language and the name (`recipient_of`),
so the change that causes the mail needs no extra read. A customer without a profile by then gets
nothing (the item becomes undeliverable).

The table's stream hands each new item to the mailer (portal.mail.delivery), which delivers it
at least once and records the send once:

    pending --claim--> sending (leaseId, leaseUntil) --mark_sent--> sent (+ the MAIL# record)
                          |--give_back (the send failed)--> pending (retried)
                          |--mark_undeliverable (it cannot be rendered)--> undeliverable

A claim holds while its lease runs; an expired one can be taken over (a mailer that died while
sending), which is the one way a mail can go out twice. `mark_sent` holds only for the lease's
owner, so the MAIL# record is written once whatever happens. `expiresAt` is DynamoDB TTL, clean-up
only, well after delivery; the MAIL# record stays."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from portal.clock import epoch_millis, epoch_seconds, from_utc_text, utc_text
from portal.data import keys
from portal.data.mail import MailRecord, record_request
from portal.data.store import ConditionFailed, Item, Store
from portal.ids import new_ulid
from portal.types import SUPPORTED_LANGUAGES, email

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
UNDELIVERABLE = "undeliverable"

KEPT = timedelta(days=30)  # TTL after the item was written (clean-up only)
DATA_LIMIT = 32 * 1024  # bytes of JSON: far below DynamoDB's 400 KB item limit
REASON_LIMIT = 200
KIND_SHAPE = re.compile(r"^[a-z][a-z_]{0,39}$")
ABSENT = "attribute_not_exists(pk)"
_STATUS = {"#status": "status"}


class MalformedOutboxItem(ValueError):
    """An item that is not an outbox message this code can read."""


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    outbox_id: str
    kind: str
    customer_id: str
    to: str  # the recipient's address; "" = the customer's, read at send time (recipient_of)
    language: str  # "" with `to`: the customer's
    data: Mapping[str, Any]  # what the message says, JSON values only (portal.mail.render)
    created_at: datetime


def new_message(
    kind: str,
    *,
    customer_id: str,
    to: str = "",
    language: str = "",
    data: Mapping[str, Any],
    at: datetime,
) -> OutboxMessage:
    """A message for the outbox, checked here so that a bad one fails the request that asks for
    it rather than the mailer: a known kind shape, a valid address and a supported language (or
    neither: the customer's, at send time), data that is JSON (no floats, no Decimals: amounts
    as text) and not too big."""
    if not KIND_SHAPE.fullmatch(kind):
        raise ValueError("not a valid message kind")
    if not customer_id:
        raise ValueError("a message needs its customer")
    if bool(to) != bool(language):
        raise ValueError("a message names both its address and its language, or neither")
    if language and language not in SUPPORTED_LANGUAGES:
        raise ValueError("not a supported language")
    text = _data_text(data)
    return OutboxMessage(
        outbox_id=new_ulid(at),
        kind=kind,
        customer_id=customer_id,
        to=email(to) if to else "",
        language=language,
        data=json.loads(text),
        created_at=at,
    )


def _data_text(data: Mapping[str, Any]) -> str:
    try:
        text = json.dumps(dict(data), ensure_ascii=False, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError):
        raise ValueError("message data must be JSON (amounts as text)") from None
    if any(isinstance(value, float) for value in _values(json.loads(text))):
        raise ValueError("message data must not hold floats (amounts as text)")
    if len(text.encode("utf-8")) > DATA_LIMIT:
        raise ValueError("message data too big")
    return text


def _values(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _values(item)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in _values(item)]
    return [value]


def outbox_item(message: OutboxMessage) -> Item:
    return {
        **keys.outbox_key(message.outbox_id),
        "type": "outbox",
        "outboxId": message.outbox_id,
        "kind": message.kind,
        "customerId": message.customer_id,
        **({"to": message.to, "language": message.language} if message.to else {}),
        "data": _data_text(message.data),
        "status": PENDING,
        "attempts": 0,
        "createdAt": utc_text(message.created_at),
        "expiresAt": epoch_seconds(message.created_at + KEPT),
    }


def outbox_put_request(store: Store, message: OutboxMessage) -> tuple[str, dict[str, Any]]:
    """The outbox item as a part of the transaction of the change that causes the mail:
    `store.transact([..., outbox_put_request(store, message)])`."""
    return "Put", store.put_request(outbox_item(message), condition=ABSENT)


def put(store: Store, message: OutboxMessage) -> None:
    """The outbox item alone (mail that no other write causes)."""
    store.put(outbox_item(message), condition=ABSENT)


def message_from_item(item: Mapping[str, Any]) -> OutboxMessage:
    """An outbox message from its item (as stored, or a stream record's new image)."""
    try:
        data = json.loads(str(item["data"]))
        message = OutboxMessage(
            outbox_id=str(item["outboxId"]),
            kind=str(item["kind"]),
            customer_id=str(item["customerId"]),
            to=str(item.get("to") or ""),
            language=str(item.get("language") or "") if item.get("to") else "",
            data=data,
            created_at=from_utc_text(str(item["createdAt"])),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedOutboxItem(f"not an outbox item ({type(exc).__name__})") from None
    if not isinstance(data, dict):
        raise MalformedOutboxItem("not an outbox item (its data is not an object)")
    return message


# ---------------------------------------------------------------- delivery
@dataclass(frozen=True, slots=True)
class Recipient:
    to: str
    language: str
    name: str


def recipient_of(store: Store, customer_id: str) -> Recipient | None:
    """Where the customer's mail goes now: one GetItem of the profile (consistent), its email,
    language (a supported one, else English) and name. None: no such customer, or no usable
    address."""
    item = store.get(keys.customer_profile(customer_id), consistent=True)
    if item is None:
        return None
    try:
        to = email(item.get("email"))
    except ValueError:
        return None
    language = str(item.get("language") or "")
    return Recipient(
        to=to,
        language=language if language in SUPPORTED_LANGUAGES else "en",
        name=str(item.get("name") or ""),
    )


@dataclass(frozen=True, slots=True)
class OutboxState:
    status: str
    attempts: int
    lease_until: datetime | None = None
    ses_message_id: str | None = None
    last_error: str | None = None


def state_of(store: Store, outbox_id: str) -> OutboxState | None:
    """Where delivery of the item stands, read consistently (None: no such item)."""
    item = store.get(keys.outbox_key(outbox_id), consistent=True)
    if item is None:
        return None
    until = item.get("leaseUntil")
    return OutboxState(
        status=str(item.get("status", PENDING)),
        attempts=int(item.get("attempts", 0)),
        lease_until=_from_millis(until) if until is not None else None,
        ses_message_id=item.get("sesMessageId"),
        last_error=item.get("lastError"),
    )


def _from_millis(value: Any) -> datetime:
    return datetime.fromtimestamp(int(value) / 1000, UTC)


def claim(store: Store, outbox_id: str, *, lease_id: str, now: datetime, until: datetime) -> bool:
    """Take the item for sending until `until`: it must be pending, or held under a lease that
    ran out. False when it is not there, was sent, or another mailer holds it."""
    try:
        store.update(
            keys.outbox_key(outbox_id),
            update="SET #status = :sending, leaseId = :lease, leaseUntil = :until "
            "ADD attempts :one",
            names=_STATUS,
            values={
                ":sending": SENDING,
                ":pending": PENDING,
                ":lease": lease_id,
                ":until": epoch_millis(until),
                ":now": epoch_millis(now),
                ":one": 1,
            },
            condition=(
                "attribute_exists(pk) AND "
                "(#status = :pending OR (#status = :sending AND leaseUntil < :now))"
            ),
        )
    except ConditionFailed:
        return False
    return True


def give_back(store: Store, outbox_id: str, *, lease_id: str, error: str, at: datetime) -> bool:
    """The send failed: the item is pending again (for the stream's retry), with the error's code.
    False when the lease was lost meanwhile (nothing written)."""
    return _end_lease(store, outbox_id, lease_id=lease_id, status=PENDING, reason=error, at=at)


def _end_lease(
    store: Store, outbox_id: str, *, lease_id: str, status: str, reason: str, at: datetime
) -> bool:
    """Leave `sending` for `status` with the reason noted, only while `lease_id` holds the item
    (False, nothing written, once another mailer took it over)."""
    try:
        store.update(
            keys.outbox_key(outbox_id),
            update="SET #status = :status, lastError = :reason, lastErrorAt = :at "
            "REMOVE leaseId, leaseUntil",
            names=_STATUS,
            values={
                ":status": status,
                ":sending": SENDING,
                ":reason": reason[:REASON_LIMIT],
                ":at": utc_text(at),
                ":lease": lease_id,
            },
            condition="#status = :sending AND leaseId = :lease",
            patient=True,
        )
    except ConditionFailed:
        return False
    return True


def mark_sent(store: Store, message: OutboxMessage, *, lease_id: str, record: MailRecord) -> bool:
    """One transaction: the item is sent (with the SES message id), its `data` dropped (a sign-in
    code or link does not stay in the table after delivery), and the MAIL# record is written,
    both only while this lease holds the item. False when it does not (another mailer
    took the item over after this lease ran out: that one records its send)."""
    update = store.update_request(
        keys.outbox_key(message.outbox_id),
        update="SET #status = :sent, sesMessageId = :message, sentAt = :at "
        "REMOVE leaseId, leaseUntil, #data",
        names={**_STATUS, "#data": "data"},
        values={
            ":sent": SENT,
            ":sending": SENDING,
            ":message": record.ses_message_id,
            ":at": utc_text(record.sent_at),
            ":lease": lease_id,
        },
        condition="#status = :sending AND leaseId = :lease",
    )
    try:
        store.transact([("Update", update), record_request(store, record)], patient=True)
    except ConditionFailed:
        return False
    return True


def mark_undeliverable(
    store: Store, outbox_id: str, *, lease_id: str, reason: str, at: datetime
) -> bool:
    """The item can never be sent as it is (it does not render): it leaves the retries."""
    return _end_lease(
        store, outbox_id, lease_id=lease_id, status=UNDELIVERABLE, reason=reason, at=at
    )
