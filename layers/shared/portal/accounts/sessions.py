"""Server-side sessions: 256-bit tokens from `secrets`, only their SHA-256 stored
(portal.data.keys.session_key). Idle and absolute timeouts are enforced from stored timestamps on
every request, in the same conditional UpdateItem that refreshes the idle timer (one round trip:
portal.data.sessions.touch_session).
"""

from __future__ import annotations

import re
import secrets

from portal.clock import SYSTEM_CLOCK, Clock, epoch_seconds
from portal.config import Settings
from portal.data import sessions as stored
from portal.data.store import Store
from portal.errors import Unauthenticated
from portal.observability import count

TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_\-]{43}$")
_TTL_MARGIN = 86400  # the item outlives its absolute timeout by a day; TTL is clean-up only


def new_session(customer_id: str, now: int, settings: Settings) -> stored.NewSession:
    """A fresh token (a new one at each sign-in) for `customer_id`, created at `now`."""
    return stored.NewSession(
        token=secrets.token_urlsafe(32),
        customer_id=customer_id,
        created_at=now,
        expires_at=now + settings.session_absolute_seconds + _TTL_MARGIN,
    )


def authenticate(
    token: str | None, *, store: Store, settings: Settings, clock: Clock = SYSTEM_CLOCK
) -> str:
    """The customer id of a live session, refreshing its idle timer; else Unauthenticated."""
    if not token or not TOKEN_SHAPE.fullmatch(token):
        raise Unauthenticated()
    customer_id = stored.touch_session(
        store,
        token,
        now=epoch_seconds(clock.now()),
        idle_seconds=settings.session_idle_seconds,
        absolute_seconds=settings.session_absolute_seconds,
    )
    if customer_id is None:
        raise Unauthenticated()
    return customer_id


def sign_out(token: str | None, *, store: Store) -> str | None:
    """Delete the session of `token`; the customer it was (None: no such session)."""
    if not token or not TOKEN_SHAPE.fullmatch(token):
        return None
    customer_id = stored.delete_session(store, token)
    count("SignedOut")
    return customer_id
