"""The resolver every HTTP handler uses: Powertools' `APIGatewayHttpResolver` (no request
validation, so no OpenAPI machinery or validation library at init) with the typed errors of
portal.errors mapped to the contract's error shape in this one place, and a public record of its
routes (`operations`) from which local/openapi.py builds docs/openapi.json.

Each thread sees its own request: Powertools keeps the event, the Lambda context and the route's
context (`_route`, `_route_args`: the path parameters) on state shared by every call of a resolver
- the event and Lambda context even on `BaseRouter`, a class. Lambda runs one event at a time per
container, but two calls from two threads in one process (the race tests, a threaded local
server) would read each other's request: an order's reference, a webhook's body. Here they are
per thread (`_PerThread`); Powertools still writes its class attributes, nothing here reads them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from portal.data.store import is_transient
from portal.edge import documentation, responses
from portal.edge.documentation import Operation
from portal.errors import NotFound, PortalError, ServiceUnavailable
from portal.fields import Field
from portal.observability import count, logger
from portal.powertools import APIGatewayHttpResolver, Response

if TYPE_CHECKING:
    from portal.powertools import APIGatewayProxyEventV2, LambdaContext

F = TypeVar("F", bound=Callable[..., Any])


class _PerThread(threading.local):
    """One thread's request, as the resolver's routes and Powertools' own code read it."""

    def __init__(self) -> None:
        self.current_event: Any = None
        self.lambda_context: Any = None
        self.context: dict[str, Any] = {}

    @staticmethod
    def attribute(name: str) -> Any:
        """A resolver attribute kept in the resolver's `_thread` (a data descriptor: Powertools'
        own `self.<name> = ...` lands there too)."""
        return property(
            lambda resolver: getattr(resolver._thread, name),
            lambda resolver, value: setattr(resolver._thread, name, value),
        )


class Resolver(APIGatewayHttpResolver):
    def __init__(self) -> None:
        self._thread = _PerThread()  # before Powertools' __init__, which sets `context`
        super().__init__()
        self.operations: list[Operation] = []
        self.exception_handler(PortalError)(_portal_error)
        self.exception_handler(Exception)(_unexpected)
        self.not_found(_no_route)

    def operation(
        self,
        method: str,
        path: str,
        *,
        returns: type | None = None,
        status: int = 200,
        description: str = "OK",
        errors: tuple[int, ...] = (400, 401),
        media_type: str = documentation.JSON,
        body: type | None = None,
        body_required: bool = True,
        query: type | None = None,
        parameters: tuple[Field, ...] = (),
        error_bodies: dict[int, type] | None = None,
        also: dict[int, tuple[type, str]] | None = None,
    ) -> Callable[[F], F]:
        """Register a route and record what it answers and reads (`body`, `query`: dataclasses
        of portal.fields declarations, the body optional when not `body_required`; `parameters`: one
        Field per <placeholder> of `path`;
        `error_bodies`: a richer error shape for some statuses; `also`: other successes)."""
        documented = documentation.responses(
            returns,
            status=status,
            description=description,
            errors=errors,
            media_type=media_type,
            error_bodies=error_bodies,
            also=also,
        )

        def register(function: F) -> F:
            self.operations.append(
                Operation(
                    method, path, function, documented, body, query, parameters, body_required
                )
            )
            return self.route(path, method)(function)

        return register

    # ---------------------------------------------------------------- one request per thread
    current_event: APIGatewayProxyEventV2 = _PerThread.attribute("current_event")
    lambda_context: LambdaContext = _PerThread.attribute("lambda_context")
    context: dict[str, Any] = _PerThread.attribute("context")

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        self._thread.lambda_context = context
        return super().resolve(event, context)

    def _to_proxy_event(self, event: dict[str, Any]) -> Any:
        # Powertools' resolve() stores the proxy event on BaseRouter (a class): this thread's
        # copy is taken here, where it is made
        proxy = super()._to_proxy_event(event)
        self._thread.current_event = proxy
        return proxy


def _portal_error(error: PortalError) -> Response:
    if error.status >= 500:
        logger.warning("request failed", extra={"code": error.code})
    return responses.error(error)


def _no_route(_: Exception) -> Response:
    return responses.error(NotFound())


def _unexpected(error: Exception) -> Response:
    if is_transient(error):  # throttled or conflicting: nothing was done, asking again may work
        logger.warning("request failed", extra={"code": "service_unavailable"})
        count("DynamoDBBusy")
        return responses.error(ServiceUnavailable())
    logger.exception("unhandled error")
    return responses.error(PortalError())
