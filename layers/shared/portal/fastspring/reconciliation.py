"""Reconciliation: events FastSpring could not deliver are fetched from its API
(`GET /events/unprocessed`), run through the same ingestion as webhooks, and marked processed
(`POST /events/{id}`) once committed. Safe to run any number of times: ingestion is exactly-once."""

from __future__ import annotations

from dataclasses import dataclass, field

from portal.fastspring.api import FastSpringApi
from portal.fastspring.ingest import Context, process_batch
from portal.observability import count, logger

MAX_ROUNDS = 20  # 25 events per round


@dataclass(slots=True)
class Summary:
    fetched: int = 0
    committed: int = 0
    failed: int = 0
    statuses: dict[str, int] = field(default_factory=dict)


def reconcile(api: FastSpringApi, ctx: Context, *, days: int = 3) -> Summary:
    summary = Summary()
    seen: set[str] = set()
    for _ in range(MAX_ROUNDS):
        events, more = api.unprocessed_events(days)
        fresh = [e for e in events if isinstance(e, dict) and e.get("id") not in seen]
        if not fresh:
            break
        seen.update(str(e.get("id")) for e in fresh)
        summary.fetched += len(fresh)
        for outcome in process_batch(fresh, ctx):
            summary.statuses[outcome.status] = summary.statuses.get(outcome.status, 0) + 1
            if outcome.committed and outcome.event_id:
                api.mark_processed(outcome.event_id)
                summary.committed += 1
            else:
                summary.failed += 1
        if not more:
            break
    count("ReconciledEvents", summary.committed)
    logger.info(
        "reconciliation done", extra={"summary": summary.statuses, "failed": summary.failed}
    )
    return summary
