"""The reminder job's data (portal.mail.reminders): the supports ending on a date, read through
gsi1 (never a Scan), and the record of each reminder sent, `CUST#<customerId>` /
`REMINDER#<supportId>#<expiresOn>#<kind>` (kind: the threshold, "30", "7", "-1"):

    (none) --claim--> claimed (leaseId, leaseUntil) --mark_sent--> sent (+ the MAIL# record)
                         |--free (the send failed)--> (none): the next run tries again

The claims of one message's supports are one transaction: each holds only while the record is
absent or held under a lease that ran out (a run that died while sending), so two runs never
send the same reminder at once. `mark_sent` holds only under the claim's lease and writes the
MAIL# record in the same transaction, so a reminder is recorded once. Both the mark and the free
come after SES answered, and no re-run would make them again (the claim holds off other runs
until its lease ends): they are `patient` writes (portal.data.store), asked again while DynamoDB
throttles them.

`queue_resend`: support sending a reminder again (portal-admin), through the outbox."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from portal.clock import epoch_millis, utc_text
from portal.data import keys
from portal.data.audit import AuditEntry, audit_put_request
from portal.data.items import support_from_item
from portal.data.mail import MailRecord, record_request
from portal.data.outbox import OutboxMessage, outbox_put_request
from portal.data.store import ConditionFailed, Item, Store
from portal.models import Support

CLAIMED = "claimed"
SENT = "sent"
PAGE = 500  # supports per Query page of one due date
_STATUS = {"#status": "status"}


@dataclass(frozen=True, slots=True)
class Due:
    """A support ending on the date asked, and whose it is."""

    customer_id: str
    support: Support


def supports_ending_on(store: Store, day: date) -> Iterator[Due]:
    """Every support ending on `day`: Query gsi1 `SUPEXP#<day>`, page after page. Refunded
    supports have left the index (their REVOKED# copy is not on it)."""
    where = keys.supports_ending_on(day.isoformat())
    for item in store.each(where, page=PAGE, newest_first=False):
        yield Due(keys.customer_of_support_entry(str(item["gsi1sk"])), support_from_item(item))


@dataclass(frozen=True, slots=True)
class Reminder:
    """One reminder of one support: which support, ending when, at which threshold."""

    customer_id: str
    support_id: str
    expires_on: date
    kind: str  # the threshold in days, as text: "30", "7", "-1"

    @property
    def key(self) -> keys.Key:
        return keys.reminder_key(
            self.customer_id, self.support_id, self.expires_on.isoformat(), self.kind
        )


def was_sent(item: Item | None) -> bool:
    """Whether a reminder record (as read) says its reminder went out."""
    return item is not None and item.get("status") == SENT


def claim(
    store: Store, reminders: Sequence[Reminder], *, lease_id: str, now: datetime, until: datetime
) -> list[Reminder]:
    """Claim all of `reminders` in one transaction until `until`; [] when done, else the ones
    another run sent or holds (nothing claimed: claim the rest again)."""
    parts = [
        (
            "Put",
            store.put_request(
                {
                    **reminder.key,
                    "type": "reminder",
                    "customerId": reminder.customer_id,
                    "supportId": reminder.support_id,
                    "expiresOn": reminder.expires_on.isoformat(),
                    "kind": reminder.kind,
                    "status": CLAIMED,
                    "leaseId": lease_id,
                    "leaseUntil": epoch_millis(until),
                    "claimedAt": utc_text(now),
                },
                condition="attribute_not_exists(pk) OR (#status = :claimed AND leaseUntil < :now)",
                names=_STATUS,
                values={":claimed": CLAIMED, ":now": epoch_millis(now)},
            ),
        )
        for reminder in reminders
    ]
    try:
        store.transact(parts)
    except ConditionFailed as failed:
        return [
            reminder
            for reminder, reason in zip(reminders, failed.reasons, strict=False)
            if reason == "ConditionalCheckFailed"
        ] or list(reminders)
    return []


def mark_sent(
    store: Store, reminders: Sequence[Reminder], *, lease_id: str, record: MailRecord
) -> bool:
    """One transaction: every reminder is sent (with the mail record's id and the SES message
    id) and the MAIL# record is written, only while this lease holds them all. False when it
    does not (the lease ran out and another run took them over: nothing written)."""
    updates = [
        (
            "Update",
            store.update_request(
                reminder.key,
                update="SET #status = :sent, sentAt = :at, sesMessageId = :message, "
                "mailRecordId = :record REMOVE leaseId, leaseUntil",
                names=_STATUS,
                values={
                    ":sent": SENT,
                    ":claimed": CLAIMED,
                    ":at": utc_text(record.sent_at),
                    ":message": record.ses_message_id,
                    ":record": record.record_id,
                    ":lease": lease_id,
                },
                condition="#status = :claimed AND leaseId = :lease",
            ),
        )
        for reminder in reminders
    ]
    try:
        store.transact([*updates, record_request(store, record)], patient=True)
    except ConditionFailed:
        return False
    return True


def free(store: Store, reminders: Sequence[Reminder], *, lease_id: str) -> bool:
    """The send failed: delete the claims (the next run tries again), only those this lease
    still holds; False when it holds none of them any more (nothing deleted)."""
    parts = [
        (
            "Delete",
            store.delete_request(
                reminder.key, condition="leaseId = :lease", values={":lease": lease_id}
            ),
        )
        for reminder in reminders
    ]
    try:
        store.transact(parts, patient=True)
    except ConditionFailed:
        return False
    return True


def queue_resend(
    store: Store, message: OutboxMessage, audit: AuditEntry, *, only_if_subscribed: bool
) -> bool:
    """Support's resend of a reminder (portal-admin `resend-reminder`): the outbox item (the
    stream-fed mailer sends it and writes its MAIL# record) and the audit entry in one
    transaction, with a ConditionCheck that the customer's profile is there and, when
    `only_if_subscribed`, that they have not turned reminders off meanwhile. False when that
    does not hold (nothing written). No REMINDER# record: the job's own reminders are
    unaffected."""
    condition = "attribute_exists(pk)"
    values = None
    if only_if_subscribed:
        condition += " AND (attribute_not_exists(reminders) OR reminders = :on)"
        values = {":on": True}
    check = store.check_request(
        keys.customer_profile(message.customer_id), condition=condition, values=values
    )
    parts = [
        ("ConditionCheck", check),
        outbox_put_request(store, message),
        audit_put_request(store, audit),
    ]
    try:
        store.transact(parts)
    except ConditionFailed:
        return False
    return True
