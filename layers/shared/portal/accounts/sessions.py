"""Server-side sessions: 256-bit tokens from `secrets`, only their SHA-256 stored
(portal.data.keys.session_key). Idle and absolute timeouts are enforced from stored timestamps on
every request, in the same conditional UpdateItem that refreshes the idle timer (one round trip).
"""

from __future__ import annotations

import re
from typing import Any

from portal.clock import SYSTEM_CLOCK, Clock, epoch_seconds
from portal.config import Settings
from portal.data import keys
from portal.data.store import ConditionFailed, Store
from portal.errors import Unauthenticated
from portal.observability import count

TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_\-]{43}$")


def session_item(token: str, customer_id: str, now: int, settings: Settings) -> dict[str, Any]:
    return {
        **keys.session_key(token),
        "type": "session",
        "customerId": customer_id,
        "createdAt": now,
        "lastSeenAt": now,
        # TTL is clean-up only (it can lag 48 h); the timeouts are checked in authenticate().
        "expiresAt": now + settings.session_absolute_seconds + 86400,
    }


def authenticate(
    token: str | None, *, store: Store, settings: Settings, clock: Clock = SYSTEM_CLOCK
) -> str:
    """The customer id of a live session, refreshing its idle timer; else Unauthenticated."""
    if not token or not TOKEN_SHAPE.fullmatch(token):
        raise Unauthenticated()
    now = epoch_seconds(clock.now())
    try:
        item = store.update(
            keys.session_key(token),
            update="SET lastSeenAt = :now",
            condition="attribute_exists(pk) AND lastSeenAt > :idle AND createdAt > :absolute",
            values={
                ":now": now,
                ":idle": now - settings.session_idle_seconds,
                ":absolute": now - settings.session_absolute_seconds,
            },
            return_new=True,
        )
    except ConditionFailed:
        raise Unauthenticated() from None
    if not item or not item.get("customerId"):
        raise Unauthenticated()
    return str(item["customerId"])


def sign_out(token: str | None, *, store: Store) -> None:
    if token and TOKEN_SHAPE.fullmatch(token):
        store.delete(keys.session_key(token))
        count("SignedOut")
