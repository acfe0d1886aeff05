"""Sign-in with email + order number.

- Every failure (unknown email, wrong order, another customer's order) raises the same
  InvalidCredentials; both lookups are always read, and compared in constant time.
- Failed attempts are limited per email and per source IP (portal.accounts.rate_limit), checked
  and reserved BEFORE the credentials are looked at.
- A success creates a session (portal.accounts.sessions) in the same transaction that gives the
  reserved attempt back.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from portal.accounts import rate_limit
from portal.accounts.sessions import session_item
from portal.clock import SYSTEM_CLOCK, Clock, epoch_seconds
from portal.config import Settings
from portal.data import keys
from portal.data.store import ConditionFailed, Store
from portal.errors import InvalidCredentials, TooManyAttempts
from portal.observability import count, logger

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
    session = session_item(token, str(owner), epoch_seconds(now), settings)
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
