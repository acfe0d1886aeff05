"""Sign-in with email + order number, and server-side sessions.

- Every failure (unknown email, wrong order, another customer's order) raises the same
  InvalidCredentials; both lookups are always read, and compared in constant time.
- Failed attempts are limited per email and per source IP (portal.rate_limit), checked and
  reserved BEFORE the credentials are looked at.
- Session tokens: 256 bits from `secrets`; only their SHA-256 is stored (portal.keys.session_key).
  Idle and absolute timeouts are enforced from stored timestamps on every request, in the same
  conditional UpdateItem that refreshes the idle timer (one round trip).
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any

from portal import keys, rate_limit
from portal.clock import SYSTEM_CLOCK, Clock, epoch_seconds
from portal.config import Settings
from portal.errors import InvalidCredentials, TooManyAttempts, Unauthenticated
from portal.observability import count, logger
from portal.store import ConditionFailed, Store

TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_\-]{43}$")
_NOBODY = "-" * 26  # stands in for a missing customer id so both paths compare the same way
_RESERVE_TRIES = 3


@dataclass(frozen=True, slots=True)
class SignedIn:
    token: str
    customer_id: str
    email: str
    name: str
    language: str


def sign_in(
    email: str,
    order_reference: str,
    client_ip: str,
    *,
    store: Store,
    settings: Settings,
    clock: Clock = SYSTEM_CLOCK,
) -> SignedIn:
    """email and order_reference arrive normalised (portal.types)."""
    limits = [
        rate_limit.Limit("EMAIL", email, settings.login_failures_per_account),
        rate_limit.Limit("IP", client_ip, settings.login_failures_per_ip),
    ]
    wanted = [keys.rate_limit_key(lim.kind, lim.subject) for lim in limits] + [
        keys.email_lookup(email),
        keys.order_reference_lookup(order_reference),
    ]
    for _ in range(_RESERVE_TRIES):
        now = clock.now()
        *rate_items, by_email, by_reference = store.get_many(wanted)
        results = [
            rate_limit.evaluate(lim, item, now, settings.login_window_seconds)
            for lim, item in zip(limits, rate_items, strict=True)
        ]
        reservations = [reservation for reservation, _ in results]
        if any(reservation is None for reservation in reservations):
            count("SignInThrottled")
            raise TooManyAttempts(rate_limit.retry_after_of(results))
        expires = epoch_seconds(now) + settings.login_window_seconds + 3600
        try:
            store.transact(
                ("Update", store.update_request(**rate_limit.reserve_request(r, expires)))
                for r in reservations
                if r is not None
            )
            break
        except ConditionFailed:
            continue  # a parallel attempt took the slot we read: read again
    else:
        count("SignInThrottled")
        raise TooManyAttempts(1)

    owner = (by_email or {}).get("customerId", _NOBODY)
    claimed = (by_reference or {}).get("customerId", _NOBODY[::-1])
    matches = hmac.compare_digest(str(owner).encode(), str(claimed).encode())
    if not (matches and by_email is not None and by_reference is not None):
        count("SignInFailed")
        logger.info("sign-in failed", extra={"reason": "invalid_credentials"})
        raise InvalidCredentials()

    token = secrets.token_urlsafe(32)
    session = _session_item(token, str(owner), epoch_seconds(now), settings)
    put = store.put_request(session, condition="attribute_not_exists(pk)")
    releases = [
        ("Update", store.update_request(**rate_limit.release_request(r)))
        for r in reservations
        if r is not None
    ]
    try:
        store.transact([("Put", put), *releases])
    except ConditionFailed:
        # A slot was reused by a parallel attempt: keep it counted (the safe side), still sign in.
        store.put(session, condition="attribute_not_exists(pk)")
    count("SignInSucceeded")
    return SignedIn(
        token=token,
        customer_id=str(owner),
        email=str(by_email["email"]),
        name=str(by_email.get("name") or ""),
        language=str(by_email.get("language") or "en"),
    )


def _session_item(token: str, customer_id: str, now: int, settings: Settings) -> dict[str, Any]:
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
