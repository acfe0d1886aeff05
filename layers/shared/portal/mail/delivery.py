"""Delivering one outbox item (portal.data.outbox): at least once, recorded once.

    deliver(item, store=..., settings=..., clock=...)   # item: the stream record's new image

1. Claim it: `pending` -> `sending` under a lease (a conditional update). A sent or undeliverable
   item is skipped; one another mailer is sending is waited for (when `wait_seconds` allows) or
   refused with OutboxBusy, so the stream retries it and nothing is lost.
2. An item that leaves its recipient to the mailer (`to` empty) gets it now from the customer's
   profile (one GetItem: address, language, and the name as `customerName` unless the data has
   one): the address is the one the customer has when the mail goes out. No such customer (or
   no usable address) is final like data that cannot make the message.
   Render and build the raw MIME in the customer's language. Data that cannot make the message is
   final: the item becomes `undeliverable` (logged, metric MailUndeliverable) and is not retried.
3. Send through SES. A failed send gives the item back (`pending`) and raises MailNotSent: the
   stream retries that record (then its dead-letter queue and alarm).
4. Mark it `sent` with the SES message id and write the MAIL# record, in one transaction that
   holds only under this lease. A mailer that outlived its lease (the only way a mail goes out
   twice) finds the item taken over and records nothing: the mail is recorded once. This mark,
   and the give-back of a failed send, are `patient` writes (portal.data.store): asked again
   while DynamoDB throttles them, since a stream retry would find the item still leased and,
   once the lease ran out, send it again.

Logs name the outbox id, kind and SES message id, never the address or the content."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from portal.clock import Clock
from portal.config import Settings
from portal.data import outbox
from portal.data.mail import MailRecord, recipient_digest
from portal.data.store import Store
from portal.mail import sender
from portal.mail.render import RenderError
from portal.observability import count, logger

# Longer than a send can take (SES client: 2 s connect + 5 s read, 3 attempts), shorter than the
# mailer's timeout, so a live mailer never loses its lease and a dead one's is soon free.
LEASE = timedelta(seconds=45)

SENT = "sent"
SKIPPED = "skipped"  # sent already, or undeliverable
UNDELIVERABLE = "undeliverable"


class OutboxBusy(RuntimeError):
    """Another mailer holds the item's lease: retry later (the stream does)."""


class MailNotSent(RuntimeError):
    """SES did not take the mail; the item is pending again for a retry."""


@dataclass(frozen=True, slots=True)
class Delivery:
    outbox_id: str
    outcome: str  # sent | skipped | undeliverable
    ses_message_id: str | None = None


def deliver(
    item: Mapping[str, Any],
    *,
    store: Store,
    settings: Settings,
    clock: Clock,
    ses: Any = None,
    wait_seconds: float = 0.0,
    sleep: Callable[[float], None] = time.sleep,
) -> Delivery:
    try:
        message = outbox.message_from_item(item)
    except outbox.MalformedOutboxItem as exc:  # our bug, not a passing fault: never retried
        logger.error("not an outbox item", extra={"reason": str(exc)})
        count("MailUndeliverable")
        return Delivery(str(item.get("outboxId", "")), UNDELIVERABLE)
    lease_id = secrets.token_hex(16)
    if not _claimed(store, message.outbox_id, lease_id, clock, wait_seconds, sleep):
        logger.info("outbox item already delivered", extra={"outboxId": message.outbox_id})
        return Delivery(message.outbox_id, SKIPPED)
    log = {"outboxId": message.outbox_id, "kind": message.kind}
    try:
        to, language, data = _addressed(message, store, lease_id, clock)
        raw = sender.compose(
            message.kind,
            language,
            data,
            to=to,
            settings=settings,
            at=clock.now(),
            reference=message.outbox_id,
        )
    except RenderError as exc:
        outbox.mark_undeliverable(
            store, message.outbox_id, lease_id=lease_id, reason=str(exc), at=clock.now()
        )
        logger.error("outbox item cannot be rendered", extra={**log, "reason": str(exc)})
        count("MailUndeliverable")
        return Delivery(message.outbox_id, UNDELIVERABLE)
    try:
        message_id = sender.send(raw, sender=settings.mail_from, client=ses)
    except (ClientError, BotoCoreError) as exc:
        code = _code(exc)
        outbox.give_back(store, message.outbox_id, lease_id=lease_id, error=code, at=clock.now())
        logger.warning("SES did not take the mail", extra={**log, "error": code})
        count("MailDeferred")
        raise MailNotSent(f"{message.outbox_id}: {code}") from exc
    record = MailRecord(
        customer_id=message.customer_id,
        record_id=message.outbox_id,
        kind=message.kind,
        language=language,
        recipient_digest=recipient_digest(to),
        ses_message_id=message_id,
        sent_at=clock.now(),
        outbox_id=message.outbox_id,
    )
    if outbox.mark_sent(store, message, lease_id=lease_id, record=record):
        logger.info("mail sent", extra={**log, "sesMessageId": message_id})
    else:
        logger.warning(
            "mail sent after its lease ran out; the mailer that took it over records it",
            extra={**log, "sesMessageId": message_id},
        )
        count("MailSentAgain")
    count("MailSent")
    return Delivery(message.outbox_id, SENT, message_id)


class NoRecipient(RenderError):
    """The item leaves its recipient to the mailer, and the customer has none any more."""


def _addressed(
    message: outbox.OutboxMessage, store: Store, lease_id: str, clock: Clock
) -> tuple[str, str, Mapping[str, Any]]:
    """(address, language, data) of the message: its own, or the customer's as they are now. A
    failed profile read gives the item back (MailNotSent: the stream retries it)."""
    if message.to:
        return message.to, message.language, message.data
    try:
        found = outbox.recipient_of(store, message.customer_id)
    except (ClientError, BotoCoreError) as exc:
        code = _code(exc)
        outbox.give_back(store, message.outbox_id, lease_id=lease_id, error=code, at=clock.now())
        logger.warning("the recipient could not be read", extra={"outboxId": message.outbox_id})
        count("MailDeferred")
        raise MailNotSent(f"{message.outbox_id}: {code}") from exc
    if found is None:
        raise NoRecipient("the customer has no profile with an address")
    data = dict(message.data)
    if found.name and not data.get("customerName"):
        data["customerName"] = found.name
    return found.to, found.language, data


def _claimed(
    store: Store,
    outbox_id: str,
    lease_id: str,
    clock: Clock,
    wait_seconds: float,
    sleep: Callable[[float], None],
) -> bool:
    """Claim the item (True); False when there is nothing left to deliver; OutboxBusy while
    another mailer's lease runs longer than we may wait."""
    for _ in range(3):
        now = clock.now()
        if outbox.claim(store, outbox_id, lease_id=lease_id, now=now, until=now + LEASE):
            return True
        state = outbox.state_of(store, outbox_id)
        if state is None or state.status in (outbox.SENT, outbox.UNDELIVERABLE):
            return False
        if state.status == outbox.SENDING and state.lease_until is not None:
            left = (state.lease_until - clock.now()).total_seconds()
            if left > wait_seconds:
                raise OutboxBusy(f"{outbox_id} is being sent by another mailer")
            if left > 0:
                sleep(left + 0.05)
                wait_seconds -= left
        # pending again (given back in between) or its lease ran out: claim once more
    raise OutboxBusy(f"{outbox_id} could not be claimed")


def _code(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code") or "ClientError")
    return type(exc).__name__
