"""The HTTP edge shared by every handler: one resolver factory, typed errors mapped to the
contract's error shape, security headers on every response, the session cookie, CSRF (Origin)
checks, the client address, and strict parsing of bodies and query strings.

Handlers never enable Powertools' request validation: parsing goes through the contract's
`parse` classmethods here, so handlers load no OpenAPI machinery and no validation library.
`documents(...)` records which models a
route takes, and local/openapi.py turns that into docs/openapi.json.
"""

from __future__ import annotations

import base64
import json
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.shared.cookies import Cookie, SameSite

from portal import dependencies, types
from portal.accounts import sessions
from portal.config import SESSION_COOKIE, Settings
from portal.data.cursors import PageQuery
from portal.edge import wire
from portal.edge.contract.common import ErrorBody, ErrorDetail
from portal.errors import (
    BadRequest,
    CsrfRejected,
    NotFound,
    PayloadTooLarge,
    PortalError,
    TooManyAttempts,
    UnsupportedMediaType,
)
from portal.observability import logger

F = TypeVar("F", bound=Callable[..., Any])

MAX_BODY_BYTES = 16 * 1024
JSON = "application/json"

SECURITY_HEADERS: Mapping[str, str] = {
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "Content-Security-Policy": (
        "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


# ---------------------------------------------------------------- responses
def ok(model: object | None, *, status: int = 200, cookies: list[Cookie] | None = None) -> Response:
    body = wire.dumps(model) if model is not None else None
    return Response(
        status_code=status, content_type=JSON if body else None, body=body, cookies=cookies
    )


def attachment(file_name: str, content: bytes) -> Response:
    """A text download (SECURITY.md 27): always an attachment, named safely by the caller."""
    return Response(
        status_code=200,
        content_type="application/octet-stream",
        body=content.decode("utf-8"),
        headers={"Content-Disposition": f'attachment; filename="{file_name}"'},
    )


def error_response(error: PortalError) -> Response:
    body = ErrorBody(error=ErrorDetail(code=error.code, message=error.message))
    headers = {}
    if isinstance(error, TooManyAttempts):
        headers["Retry-After"] = str(error.retry_after_seconds)
    return Response(
        status_code=error.status,
        content_type=JSON,
        body=wire.dumps(body),
        headers=headers,
    )


def resolver() -> APIGatewayHttpResolver:
    app = APIGatewayHttpResolver()

    @app.exception_handler(PortalError)
    def _portal_error(error: PortalError) -> Response:
        if error.status >= 500:
            logger.warning("request failed", extra={"code": error.code})
        return error_response(error)

    @app.not_found
    def _no_route(_: Exception) -> Response:
        return error_response(NotFound())

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response:
        logger.exception("unhandled error")
        return error_response(PortalError())

    return app


def handle(app: APIGatewayHttpResolver, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """Resolve, then add the security headers to whatever came out (errors included)."""
    result = app.resolve(event, context)
    headers = result.setdefault("headers", {})
    for name, value in SECURITY_HEADERS.items():
        headers.setdefault(name, value)
    return result


# ---------------------------------------------------------------- session cookie
def session_cookie(token: str, settings: Settings) -> Cookie:
    return Cookie(
        name=SESSION_COOKIE,
        value=token,
        path="/",
        secure=True,
        http_only=True,
        same_site=SameSite.STRICT_MODE,
        max_age=settings.session_absolute_seconds,
    )


def expired_session_cookie() -> Cookie:
    return Cookie(
        name=SESSION_COOKIE,
        value="",
        path="/",
        secure=True,
        http_only=True,
        same_site=SameSite.STRICT_MODE,
        max_age=0,
    )


def session_token(app: APIGatewayHttpResolver) -> str | None:
    for raw in app.current_event.cookies or []:
        name, _, value = raw.partition("=")
        if name.strip() == SESSION_COOKIE:
            return value.strip()
    return None


def signed_in_customer(app: APIGatewayHttpResolver) -> str:
    """The customer id of the request's session (never from the request itself)."""
    return sessions.authenticate(
        session_token(app),
        store=dependencies.store(),
        settings=dependencies.settings(),
        clock=dependencies.clock(),
    )


# ---------------------------------------------------------------- request checks
def require_same_origin(app: APIGatewayHttpResolver, settings: Settings) -> None:
    """CSRF: a state-changing browser call must carry the portal's own Origin."""
    origin = app.current_event.headers.get("origin")
    if origin is None or origin.rstrip("/") != settings.portal_origin.rstrip("/"):
        raise CsrfRejected()


def client_ip(app: APIGatewayHttpResolver, settings: Settings) -> str:
    if settings.client_ip_header:
        raw = app.current_event.headers.get(settings.client_ip_header.lower())
        if raw:
            # CloudFront-Viewer-Address is "<ip>:<port>" (IPv6 without brackets): drop the port.
            return raw.rsplit(":", 1)[0].strip("[]") if ":" in raw else raw
    return str(app.current_event.request_context.http.source_ip)


def json_body(app: APIGatewayHttpResolver, model: Any) -> Any:
    """`model.parse(...)` of the JSON body, after the content type and size checks."""
    event = app.current_event
    content_type = (event.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type != JSON:
        raise UnsupportedMediaType()
    if event.body is None:
        raise BadRequest("The request body is missing.")
    raw = raw_body(app)
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge()
    try:
        data = json.loads(raw)
    except ValueError:
        raise BadRequest("The request body is not valid JSON.") from None
    return model.parse(data)


def raw_body(app: APIGatewayHttpResolver) -> bytes:
    """The exact bytes the client sent (base64-decoded when API Gateway encoded them)."""
    event = app.current_event
    if event.body is None:
        return b""
    if event.is_base64_encoded:
        return base64.b64decode(event.body)
    return event.body.encode("utf-8")


def page_query(app: APIGatewayHttpResolver) -> PageQuery:
    return PageQuery.parse(app.current_event.query_string_parameters or {})


def order_reference(raw: str) -> str:
    """A path parameter that must be an order reference (normalised), else 400."""
    try:
        return types.order_reference(urllib.parse.unquote(raw))
    except ValueError:
        raise BadRequest("Invalid value for 'reference'.") from None


# ---------------------------------------------------------------- documentation
def documents(*, body: type | None = None, query: type | None = None) -> Callable[[F], F]:
    """Record the models a route parses so the OpenAPI document can describe them."""

    def mark(func: F) -> F:
        func.__portal_body__ = body  # type: ignore[attr-defined]
        func.__portal_query__ = query  # type: ignore[attr-defined]
        return func

    return mark


_ERROR_DESCRIPTIONS = {
    400: "Malformed request",
    401: "Not signed in, or invalid credentials",
    403: "Not from the portal's own origin (CSRF)",
    404: "Not found (or not yours)",
    409: "Conflict",
    413: "Body too large",
    415: "Body is not JSON",
    429: "Too many attempts (see Retry-After)",
}


def returns(
    model: type | None,
    *,
    status: int = 200,
    description: str = "OK",
    errors: tuple[int, ...] = (400, 401),
) -> dict[int, Any]:
    """The `responses=` of a route: documentation only, no runtime cost."""
    success: dict[str, Any] = {"description": description}
    if model is not None:
        success["content"] = {JSON: {"model": model}}
    documented: dict[int, Any] = {status: success}
    for code in errors:
        documented[code] = {
            "description": _ERROR_DESCRIPTIONS[code],
            "content": {JSON: {"model": ErrorBody}},
        }
    return documented
