"""Sending through SES (API v2, `SendEmail` with raw content: both MIME parts arrive as built) and
the record of every send (portal.data.mail: time, kind, recipient digest, SES message id).

Mail a request or an event causes goes through the outbox (portal.mail.delivery), which records
its send in the transaction that marks the outbox item sent. `send_now` is for a job that keeps
its own exactly-once records (the reminder job): render, send, record, in that order."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from portal.aws import clients as aws_clients
from portal.config import Settings
from portal.data import mail as mail_records
from portal.data.mail import MailRecord
from portal.data.store import Store
from portal.ids import new_ulid
from portal.mail import mime
from portal.mail.render import render


def send(raw: bytes, *, sender: str, client: Any = None) -> str:
    """Hand the raw message to SES; its message id. SES errors (botocore ClientError) pass."""
    ses = client if client is not None else aws_clients.sesv2()
    answer = ses.send_email(FromEmailAddress=sender, Content={"Raw": {"Data": raw}})
    return str(answer["MessageId"])


def compose(
    kind: str,
    language: str,
    data: Mapping[str, Any],
    *,
    to: str,
    settings: Settings,
    at: datetime,
    reference: str,
) -> bytes:
    """Render the message and build its raw MIME (RenderError when the data cannot make it)."""
    rendered = render(kind, language, data, settings)
    return mime.build(rendered, to=to, sender=settings.mail_from, at=at, reference=reference)


def send_now(
    store: Store,
    settings: Settings,
    *,
    customer_id: str,
    kind: str,
    language: str,
    to: str,
    data: Mapping[str, Any],
    at: datetime,
    client: Any = None,
) -> MailRecord:
    """Render, send and record one mail outside the outbox; the record written."""
    record_id = new_ulid(at)
    raw = compose(kind, language, data, to=to, settings=settings, at=at, reference=record_id)
    message_id = send(raw, sender=settings.mail_from, client=client)
    record = MailRecord(
        customer_id=customer_id,
        record_id=record_id,
        kind=kind,
        language=language,
        recipient_digest=mail_records.recipient_digest(to),
        ses_message_id=message_id,
        sent_at=at,
    )
    mail_records.record_sent(store, record)
    return record
