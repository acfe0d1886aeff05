"""What handlers answer: a contract model as JSON, a download, plain text, or a typed error in
the contract's error shape (`{"error": {"code", "message"}}`)."""

from __future__ import annotations

from typing import Any

from portal.edge import wire
from portal.edge.contract.common import ErrorBody, ErrorDetail, RehostErrorDetail
from portal.errors import PortalError, RehostLimitReached, ServiceUnavailable, TooManyAttempts
from portal.powertools import Cookie, Response

JSON = "application/json"
DOWNLOAD = "application/octet-stream"
SERVICE_RETRY_SECONDS = 1  # a 503: DynamoDB or FastSpring busy, ask again soon


def ok(model: object | None, *, status: int = 200, cookies: list[Cookie] | None = None) -> Response:
    body = wire.dumps(model) if model is not None else None
    return Response(
        status_code=status, content_type=JSON if body else None, body=body, cookies=cookies
    )


def text(body: str, *, status: int = 200) -> Response:
    return Response(status_code=status, content_type="text/plain", body=body)


def attachment(file_name: str, content: bytes) -> Response:
    """A text download (SECURITY.md 27): always an attachment, named safely by the caller."""
    return Response(
        status_code=200,
        content_type=DOWNLOAD,
        body=content.decode("utf-8"),
        headers={"Content-Disposition": f'attachment; filename="{file_name}"'},
    )


def error(failure: PortalError) -> Response:
    headers = {}
    if isinstance(failure, TooManyAttempts):
        headers["Retry-After"] = str(failure.retry_after_seconds)
    elif isinstance(failure, ServiceUnavailable):
        headers["Retry-After"] = str(SERVICE_RETRY_SECONDS)
    return Response(
        status_code=failure.status, content_type=JSON, body=_error_body(failure), headers=headers
    )


def refusal(failure: PortalError) -> dict[str, Any]:
    """An error answered before the resolver runs (the front door, portal.edge.entry): the same
    contract shape as `error`, as the HTTP API's response dict."""
    return {
        "statusCode": failure.status,
        "headers": {"Content-Type": JSON},
        "body": _error_body(failure),
        "isBase64Encoded": False,
    }


def _error_body(failure: PortalError) -> str:
    detail = ErrorDetail(code=failure.code, message=failure.message)
    if isinstance(failure, RehostLimitReached):
        detail = RehostErrorDetail(failure.code, failure.message, failure.available_on)
    return wire.dumps(ErrorBody(error=detail))
