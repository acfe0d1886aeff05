"""Session items: created at sign-in, touched by every request, deleted at sign-out.

The item is keyed by the SHA-256 of the token (portal.data.keys.session_key): the token itself is
never stored. Timestamps are epoch seconds; `expiresAt` is DynamoDB TTL, clean-up only (it can lag
48 hours), so the timeouts are checked in the condition of `touch_session`. Each session is also on
gsi1 under its customer (with their trusted browsers), so that "sign out everywhere" finds every
one without a Scan (portal.data.verification.forget_sign_ins).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from portal.data import keys
from portal.data.store import ConditionFailed, Item, Store

_NEW = "attribute_not_exists(pk)"  # a token is never reused: a new session is a new item


@dataclass(frozen=True, slots=True)
class NewSession:
    token: str
    customer_id: str
    created_at: int  # epoch seconds; also the first lastSeenAt
    expires_at: int  # TTL: clean-up only


def session_item(session: NewSession) -> Item:
    key = keys.session_key(session.token)
    return {
        **key,
        "type": "session",
        "gsi1pk": keys.trusted_browsers_gsi(session.customer_id),
        "gsi1sk": key["pk"],
        "customerId": session.customer_id,
        "createdAt": session.created_at,
        "lastSeenAt": session.created_at,
        "expiresAt": session.expires_at,
    }


def create_session_request(store: Store, session: NewSession) -> dict[str, Any]:
    """The conditional Put of a new session, as one part of a transaction (portal.data.sign_in)."""
    return store.put_request(session_item(session), condition=_NEW)


def create_session(store: Store, session: NewSession) -> None:
    """PutItem of a new session on its own."""
    store.put(session_item(session), condition=_NEW)


def touch_session(
    store: Store, token: str, *, now: int, idle_seconds: int, absolute_seconds: int
) -> str | None:
    """One conditional UpdateItem: the session exists, was seen less than `idle_seconds` ago and
    created less than `absolute_seconds` ago; then its idle timer restarts at `now`. Answers the
    customer id of that live session, or None (missing, idle, too old). Any other error raises:
    an error while checking access denies access."""
    try:
        item = store.update(
            keys.session_key(token),
            update="SET lastSeenAt = :now",
            condition="attribute_exists(pk) AND lastSeenAt > :idle AND createdAt > :absolute",
            values={
                ":now": now,
                ":idle": now - idle_seconds,
                ":absolute": now - absolute_seconds,
            },
            return_new=True,
        )
    except ConditionFailed:
        return None
    customer_id = (item or {}).get("customerId")
    return str(customer_id) if customer_id else None


def delete_session(store: Store, token: str) -> str | None:
    """DeleteItem: the old cookie gets 401 from then on. The customer whose session it was
    (ReturnValues ALL_OLD; None when there was none)."""
    old = store.delete(keys.session_key(token), return_old=True)
    customer_id = (old or {}).get("customerId")
    return str(customer_id) if customer_id else None
