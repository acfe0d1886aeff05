"""The Lambda entry points, one of each: what every function's `lambda_handler` does around its
work. HTTP functions: Logger context with the request's correlation id, metrics flushed, the
resolver's answer with the security headers (errors included). Scheduled functions: the same
Logger context and metrics around the job.

    lambda_handler = entry.http_handler(app)            # functions/<job>/app.py
    lambda_handler = entry.scheduled_handler(reconcile)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from portal.edge import headers
from portal.observability import logger, metrics

T = TypeVar("T")
Handler = Callable[[dict[str, Any], LambdaContext], T]


def http_handler(app: APIGatewayHttpResolver) -> Handler[dict[str, Any]]:
    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
    @metrics.log_metrics
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return headers.secure(app.resolve(event, context))

    return lambda_handler


def scheduled_handler(job: Callable[[dict[str, Any]], T]) -> Handler[T]:
    @logger.inject_lambda_context
    @metrics.log_metrics
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> T:
        return job(event)

    return lambda_handler
