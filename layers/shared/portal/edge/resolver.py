"""The resolver every HTTP handler uses: Powertools' `APIGatewayHttpResolver` (no request
validation, so no OpenAPI machinery or validation library at init) with the typed errors of
portal.errors mapped to the contract's error shape in this one place, and a public record of its
routes (`operations`) from which local/openapi.py builds docs/openapi.json."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from portal.data.store import is_transient
from portal.edge import documentation, responses
from portal.edge.documentation import Operation
from portal.errors import NotFound, PortalError, ServiceUnavailable
from portal.fields import Field
from portal.observability import count, logger
from portal.powertools import APIGatewayHttpResolver, Response

F = TypeVar("F", bound=Callable[..., Any])


class Resolver(APIGatewayHttpResolver):
    def __init__(self) -> None:
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
