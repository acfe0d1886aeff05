"""POST /api/webhooks/fastspring: authenticate the raw bytes, then ingest the batch.

Answers: 200 when every event is committed; 202 with the committed ids, one per line, when only
some are (FastSpring re-sends the rest); 503 when none could be committed; 401 for a missing or
wrong signature (nothing read, nothing written); 400 for a signed body that is not a batch."""

from __future__ import annotations

from dataclasses import dataclass

from portal.aws.secrets import SecretMissing
from portal.errors import (
    BadRequest,
    BadSignature,
    NothingCommitted,
    PayloadTooLarge,
    WebhookNotConfigured,
)
from portal.fastspring.events import Malformed, WebhookBatch, loads, read
from portal.fastspring.ingest import Context, Outcome, process_batch
from portal.fastspring.signatures import signature_valid, webhook_secrets
from portal.observability import count, logger

MAX_WEBHOOK_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    status: int  # 200 | 202
    body: str


def receive(raw_body: bytes, signature_header: str | None, ctx: Context) -> Acknowledgement:
    if len(raw_body) > MAX_WEBHOOK_BYTES:
        raise PayloadTooLarge()
    try:
        secrets = webhook_secrets(ctx.settings)
    except SecretMissing:
        logger.error("FastSpring webhook secret missing: refusing every webhook (fail closed)")
        raise WebhookNotConfigured() from None
    if not signature_valid(raw_body, signature_header, secrets):
        count("WebhookSignatureRejected")
        raise BadSignature()
    # Parsed only now, after the signature held over the raw bytes (json.loads with Decimal, then
    # the batch model: its events are read one by one, so one bad event spoils only itself).
    try:
        batch = read(WebhookBatch, loads(raw_body))
    except (ValueError, Malformed):  # not JSON (or not UTF-8), or not a batch
        raise BadRequest("The webhook body is not a FastSpring event batch.") from None
    outcomes = process_batch(batch.events, ctx)
    return acknowledge(outcomes)


def acknowledge(outcomes: list[Outcome]) -> Acknowledgement:
    committed = [o.event_id for o in outcomes if o.committed and o.event_id]
    if len(committed) == len(outcomes):
        return Acknowledgement(200, "\n".join(committed))
    if not committed:
        raise NothingCommitted()
    return Acknowledgement(202, "\n".join(committed))
