"""Typed domain errors. Each carries a stable code and HTTP status; `portal.edge.http` maps them to
responses in one place. Messages are fixed texts: never internals, never matched on."""

from __future__ import annotations

from datetime import date


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


class InvalidCode(PortalError):
    """Every failed sign-in code answers this, identically (wrong, expired, used up, none)."""

    status = 401
    code = "invalid_code"
    message = "The code is not correct or has expired. Please ask for a new one."


class Unauthenticated(PortalError):
    status = 401
    code = "unauthenticated"
    message = "Please sign in."


class BadSignature(PortalError):
    status = 401
    code = "invalid_signature"
    message = "The webhook signature is missing or wrong."


class InvalidLink(PortalError):
    """A mailed link the portal did not sign (forged, tampered, cut short), or one for a customer
    that does not exist: identical for every cause."""

    status = 401
    code = "invalid_link"
    message = "This link is not valid."


class CsrfRejected(PortalError):
    status = 403
    code = "forbidden_origin"
    message = "This request must come from the portal itself."


class NotThroughFrontDoor(PortalError):
    """A request that did not come through CloudFront (portal.edge.front_door)."""

    status = 403
    code = "forbidden"
    message = "This API answers only at the portal's own address."


class InvalidActivationKey(PortalError):
    """Every wrong activation key answers this, identically."""

    status = 401
    code = "invalid_activation_key"
    message = "The activation key is not correct."


class Conflict(PortalError):
    status = 409
    code = "conflict"
    message = "The request conflicts with the current state."


class NoLicenseAvailable(Conflict):
    code = "no_license_available"
    message = "No license of this product is free to activate."


class LicenseInUse(Conflict):
    code = "license_in_use"
    message = "This license is activated on another computer."


class NotActivated(Conflict):
    code = "not_activated"
    message = "This license is not activated on a computer."


class LicenseMoved(Conflict):
    code = "license_moved"
    message = "This license was released from this computer."


class RehostLimitReached(Conflict):
    code = "rehost_limit_reached"
    message = "This license was released from its computer too often in the last 12 months."

    def __init__(self, available_on: date) -> None:
        super().__init__()
        self.available_on = available_on


class NotUpgradable(Conflict):
    code = "not_upgradable"
    message = "Workstations cannot be added to this license."


class NoRunningSupport(Conflict):
    code = "no_running_support"
    message = (
        "This license has no running Support and Update Services: renew them before adding "
        "workstations."
    )


class QuoteUsed(Conflict):
    code = "quote_used"
    message = "This quote has been paid already."


class QuoteExpired(PortalError):
    status = 410
    code = "quote_expired"
    message = "This quote has expired. Please ask for a new one."


class TooManyWorkstations(BadRequest):
    code = "too_many_workstations"
    message = "A license of this product can have at most {maximum} workstations."

    def __init__(self, maximum: int) -> None:
        super().__init__(self.message.format(maximum=maximum))
        self.maximum = maximum


class LicenseRevoked(PortalError):
    status = 410
    code = "license_revoked"
    message = "This license was revoked."


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


class CheckoutUnavailable(ServiceUnavailable):
    """FastSpring could not be reached, or answered without a usable checkout session."""

    message = "Checkout is not available right now. Please try again in a moment."


class WebhookNotConfigured(ServiceUnavailable):
    message = "Webhooks cannot be accepted right now."


class NothingCommitted(ServiceUnavailable):
    message = "No event could be processed; please retry."
