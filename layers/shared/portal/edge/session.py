"""The browser session at the edge: the `__Host-` cookies (SECURITY.md 4: the session, a pending
sign-in waiting for its mailed code, the browser's trust), the signed-in customer (always from
the session, never from the request: SECURITY.md 7), and the CSRF check that every
state-changing call carries the portal's own Origin (SECURITY.md 6).

Every cookie is Secure, HttpOnly, SameSite=Strict, Path=/, without a Domain (the `__Host-`
prefix requires it); the API is same-origin, so Strict costs nothing."""

from __future__ import annotations

from portal import dependencies
from portal.accounts import sessions
from portal.config import (
    CODE_SECONDS,
    PENDING_COOKIE,
    SESSION_COOKIE,
    TRUST_COOKIE,
    TRUST_SECONDS,
    Settings,
)
from portal.errors import CsrfRejected
from portal.powertools import APIGatewayHttpResolver, Cookie, SameSite


def host_cookie(name: str, value: str, max_age: int) -> Cookie:
    return Cookie(
        name=name,
        value=value,
        path="/",
        secure=True,
        http_only=True,
        same_site=SameSite.STRICT_MODE,
        max_age=max_age,
    )


def session_cookie(token: str, settings: Settings) -> Cookie:
    return host_cookie(SESSION_COOKIE, token, settings.session_absolute_seconds)


def expired_session_cookie() -> Cookie:
    return expired_cookie(SESSION_COOKIE)


def expired_cookie(name: str) -> Cookie:
    return host_cookie(name, "", 0)


def pending_cookie(token: str) -> Cookie:
    """A sign-in waiting for its mailed code: as long as the code is valid."""
    return host_cookie(PENDING_COOKIE, token, CODE_SECONDS)


def trust_cookie(token: str) -> Cookie:
    """This browser proved control of the customer's mailbox: 90 days."""
    return host_cookie(TRUST_COOKIE, token, TRUST_SECONDS)


def signed_in_cookies(token: str, trust: str, settings: Settings) -> list[Cookie]:
    """A sign-in completed by a mailed code or link: the session, the browser's new trust, and
    the pending sign-in's cookie cleared."""
    return [session_cookie(token, settings), trust_cookie(trust), expired_cookie(PENDING_COOKIE)]


def cookie_value(app: APIGatewayHttpResolver, cookie: str) -> str | None:
    for raw in app.current_event.cookies or []:
        name, _, value = raw.partition("=")
        if name.strip() == cookie:
            return value.strip()
    return None


def session_token(app: APIGatewayHttpResolver) -> str | None:
    return cookie_value(app, SESSION_COOKIE)


def pending_token(app: APIGatewayHttpResolver) -> str | None:
    return cookie_value(app, PENDING_COOKIE)


def trust_token(app: APIGatewayHttpResolver) -> str | None:
    return cookie_value(app, TRUST_COOKIE)


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
