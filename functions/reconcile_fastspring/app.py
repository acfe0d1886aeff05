"""Scheduled: fetch FastSpring's unprocessed events, ingest them, mark them processed."""

from dataclasses import asdict
from typing import Any

from portal import dependencies
from portal.edge import entry
from portal.fastspring import ingest, reconciliation
from portal.fastspring.api import FastSpringApi


def reconcile(event: dict[str, Any]) -> dict[str, Any]:
    settings = dependencies.settings()
    summary = reconciliation.reconcile(
        FastSpringApi.from_settings(settings),
        ingest.Context(store=dependencies.store(), settings=settings, clock=dependencies.clock()),
    )
    if summary.failed:
        # Failing the invocation makes the schedule's retries (then the DLQ and its alarm) see it.
        raise RuntimeError(f"{summary.failed} unprocessed event(s) could not be ingested")
    return asdict(summary)


lambda_handler = entry.scheduled_handler(reconcile)
