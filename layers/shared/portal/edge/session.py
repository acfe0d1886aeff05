"""The browser session at the edge: the `__Host-` session cookie (SECURITY.md 4), the signed-in
customer (always from the session, never from the request: SECURITY.md 7), and the CSRF check
that every state-changing call carries the portal's own Origin (SECURITY.md 6)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.shared.cookies import Cookie, SameSite

from portal import dependencies
from portal.accounts import sessions
from portal.config import SESSION_COOKIE, Settings
from portal.errors import CsrfRejected


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


def require_same_origin(app: APIGatewayHttpResolver, settings: Settings) -> None:
    """CSRF: a state-changing browser call must carry the portal's own Origin."""
    origin = app.current_event.headers.get("origin")
    if origin is None or origin.rstrip("/") != settings.portal_origin.rstrip("/"):
        raise CsrfRejected()
