"""Scheduled: fetch FastSpring's unprocessed events, ingest them, mark them processed."""

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from portal import dependencies
from portal.fastspring import ingest, reconciliation
from portal.fastspring.api import FastSpringApi
from portal.observability import logger, metrics


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict[str, Any]:
    settings = dependencies.settings()
    summary = reconciliation.reconcile(
        FastSpringApi.from_settings(settings),
        ingest.Context(store=dependencies.store(), settings=settings, clock=dependencies.clock()),
    )
    if summary.failed:
        # Failing the invocation makes the schedule's retries (then the DLQ and its alarm) see it.
        raise RuntimeError(f"{summary.failed} unprocessed event(s) could not be ingested")
    return asdict(summary)
