"""The record of every mail sent: `CUST#<customerId>` / `MAIL#<recordId>`, in the partition of the
customer it went to, so support sees what a customer was sent with one Query.

A record holds when, which message (kind, language), the SES message id, the outbox item it
delivered (if any) and the recipient only as a SHA-256 digest of the normalised address: it says
whether a given address was written to without keeping the address. It is written once (a
conditional put), by the transaction that marks its outbox item sent, or alone for a send without
an outbox item (`record_sent`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from portal.clock import from_utc_text, utc_text
from portal.data import keys
from portal.data.store import ConditionFailed, Item, Store
from portal.types import normalize_email

ABSENT = "attribute_not_exists(pk)"


def recipient_digest(address: str) -> str:
    """How a record names its recipient: the digest of the normalised address."""
    return keys.digest(normalize_email(address))


@dataclass(frozen=True, slots=True)
class MailRecord:
    customer_id: str
    record_id: str  # the outbox id when an outbox item was delivered, else a new ULID
    kind: str  # support_reminder | activation_notice | sign_in_code | ...
    language: str
    recipient_digest: str
    ses_message_id: str
    sent_at: datetime
    outbox_id: str | None = None


def record_item(record: MailRecord) -> Item:
    return {
        **keys.mail_record_key(record.customer_id, record.record_id),
        "type": "mail",
        "customerId": record.customer_id,
        "kind": record.kind,
        "language": record.language,
        "toDigest": record.recipient_digest,
        "sesMessageId": record.ses_message_id,
        "sentAt": utc_text(record.sent_at),
        "outboxId": record.outbox_id,
    }


def record_from_item(item: Item) -> MailRecord:
    return MailRecord(
        customer_id=str(item["customerId"]),
        record_id=str(item["sk"]).removeprefix(keys.MAIL_PREFIX),
        kind=str(item["kind"]),
        language=str(item.get("language") or "en"),
        recipient_digest=str(item["toDigest"]),
        ses_message_id=str(item["sesMessageId"]),
        sent_at=from_utc_text(str(item["sentAt"])),
        outbox_id=item.get("outboxId"),
    )


def record_request(store: Store, record: MailRecord) -> tuple[str, dict[str, Any]]:
    """The conditional put of the record, as a part of the transaction that marks the send."""
    return "Put", store.put_request(record_item(record), condition=ABSENT)


def record_sent(store: Store, record: MailRecord) -> bool:
    """Write the record alone; False when one with that id exists already (nothing written)."""
    try:
        store.put(record_item(record), condition=ABSENT)
    except ConditionFailed:
        return False
    return True


def sent_to(store: Store, customer_id: str, *, limit: int = 50) -> list[MailRecord]:
    """The customer's newest `limit` mail records, newest first (one Query)."""
    where = keys.mails_of(customer_id)
    result = store.query(partition=where.partition, sort_prefix=where.sort_prefix, limit=limit)
    return [record_from_item(item) for item in result.items]
