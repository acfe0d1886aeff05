"""Typed domain errors. Each carries a stable code and HTTP status; `portal.edge.http` maps them to
responses in one place. Messages are fixed texts: never internals, never matched on."""

from __future__ import annotations


class PortalError(Exception):
    status = 500
    code = "internal_error"
    message = "Something went wrong on our side. Please try again."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)
        if message:
            self.message = message


class BadRequest(PortalError):
    status = 400
    code = "bad_request"
    message = "The request is malformed."


class InvalidCursor(BadRequest):
    code = "invalid_cursor"
    message = "The pagination cursor is not valid."


class InvalidCredentials(PortalError):
    status = 401
    code = "invalid_credentials"
    message = "The email address or order number is not correct."


class Unauthenticated(PortalError):
    status = 401
    code = "unauthenticated"
    message = "Please sign in."


class BadSignature(PortalError):
    status = 401
    code = "invalid_signature"
    message = "The webhook signature is missing or wrong."


class CsrfRejected(PortalError):
    status = 403
    code = "forbidden_origin"
    message = "This request must come from the portal itself."


class NotFound(PortalError):
    status = 404
    code = "not_found"
    message = "Not found."


class PayloadTooLarge(PortalError):
    status = 413
    code = "payload_too_large"
    message = "The request body is too large."


class UnsupportedMediaType(PortalError):
    status = 415
    code = "unsupported_media_type"
    message = "The request body must be JSON."


class TooManyAttempts(PortalError):
    status = 429
    code = "too_many_attempts"
    message = "Too many attempts. Please wait and try again."

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__()
        self.retry_after_seconds = max(1, int(retry_after_seconds))


class ServiceUnavailable(PortalError):
    status = 503
    code = "service_unavailable"
    message = "The service is busy. Please try again in a moment."


class WebhookNotConfigured(ServiceUnavailable):
    message = "Webhooks cannot be accepted right now."


class NothingCommitted(ServiceUnavailable):
    message = "No event could be processed; please retry."
