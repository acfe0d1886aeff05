"""The Lambda entry points, one of each: what every function's `lambda_handler` does around its
work. HTTP functions: Logger context with the request's correlation id, metrics flushed, the
front door checked before anything else (portal.edge.front_door: a request that did not come
through CloudFront is a 403, without a route run or a DynamoDB call), then the resolver's answer;
every answer with the security headers (errors included). Scheduled functions: the same Logger
context and metrics around the job. Both turn the garbage collector back on after the first
invocation (portal.startup).

    lambda_handler = entry.http_handler(app)            # functions/<job>/app.py
    lambda_handler = entry.scheduled_handler(reconcile)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from portal import dependencies, startup
from portal.edge import front_door, headers, responses
from portal.errors import NotThroughFrontDoor, PortalError
from portal.observability import count, logger, metrics
from portal.powertools import APIGatewayHttpResolver, LambdaContext, correlation_paths

T = TypeVar("T")
Handler = Callable[[dict[str, Any], LambdaContext], T]


def http_handler(app: APIGatewayHttpResolver) -> Handler[dict[str, Any]]:
    @startup.entry_point
    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
    @metrics.log_metrics
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        refused = _front_door(event)
        if refused is not None:
            return headers.secure(refused)
        return headers.secure(app.resolve(event, context))

    return lambda_handler


def _front_door(event: dict[str, Any]) -> dict[str, Any] | None:
    """None when the request may go on; otherwise the answer. Fails closed: an error while
    checking (settings, the secret unreadable) refuses too, as a 500."""
    try:
        if front_door.admits(event, dependencies.settings()):
            return None
    except Exception:  # noqa: BLE001 - any failure to check refuses (fail closed)
        logger.exception("the front door check failed")
        return responses.refusal(PortalError())
    logger.warning("refused: not through the front door")
    count("FrontDoorRefused")
    return responses.refusal(NotThroughFrontDoor())


def scheduled_handler(job: Callable[[dict[str, Any]], T]) -> Handler[T]:
    @startup.entry_point
    @logger.inject_lambda_context
    @metrics.log_metrics
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> T:
        return job(event)

    return lambda_handler
