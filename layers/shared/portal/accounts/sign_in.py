"""Sign-in with email + order number.

- Every failure (unknown email, wrong order, another customer's order) raises the same
  InvalidCredentials; both lookups are always read, and compared in constant time.
- Failed attempts are limited per email and per source IP (portal.accounts.rate_limit), checked
  and reserved BEFORE the credentials are looked at.
- A success creates a session (portal.accounts.sessions) in the same transaction that gives the
  reserved attempt back.
- A failure or a refusal is logged with SHA-256 digests of the email and the address (the same
  digests the rate windows are keyed by), never either in clear.

Its DynamoDB calls (one read, one reservation, one commit) are portal.data.sign_in's.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from portal.accounts import rate_limit
from portal.accounts.sessions import new_session
from portal.clock import SYSTEM_CLOCK, Clock, epoch_seconds
from portal.config import Settings
from portal.data import keys
from portal.data import sessions as stored_sessions
from portal.data import sign_in as attempts
from portal.data.store import Store
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
    for _ in range(_RESERVE_TRIES):
        now = clock.now()
        read = attempts.read_sign_in(
            store, windows=limits, email=email, order_reference=order_reference
        )
        try:
            reservations = rate_limit.reserve_all(
                limits, read.windows, now, settings.login_window_seconds
            )
        except TooManyAttempts:
            count("SignInThrottled")
            logger.info("sign-in refused", extra=_who(email, client_ip, "too_many_attempts"))
            raise
        expires = epoch_seconds(now) + settings.login_window_seconds + 3600
        if attempts.reserve_sign_in_slots(store, reservations, expires_at=expires):
            break
        # a parallel attempt took a slot we read: read again
    else:
        count("SignInThrottled")
        logger.info("sign-in refused", extra=_who(email, client_ip, "too_many_attempts"))
        raise TooManyAttempts(1)

    by_email, by_reference = read.by_email, read.by_reference
    owner = (by_email or {}).get("customerId", _NOBODY)
    claimed = (by_reference or {}).get("customerId", _NOBODY[::-1])
    matches = hmac.compare_digest(str(owner).encode(), str(claimed).encode())
    if not (matches and by_email is not None and by_reference is not None):
        count("SignInFailed")
        logger.info("sign-in failed", extra=_who(email, client_ip, "invalid_credentials"))
        raise InvalidCredentials()

    session = new_session(str(owner), epoch_seconds(now), settings)
    if not attempts.commit_sign_in(store, session, reservations):
        # A slot was reused by a parallel attempt: keep it counted (the safe side), still sign in.
        stored_sessions.create_session(store, session)
    count("SignInSucceeded")
    return SignedIn(
        token=session.token,
        customer_id=str(owner),
        email=str(by_email["email"]),
        name=str(by_email.get("name") or ""),
        language=str(by_email.get("language") or "en"),
    )


def _who(email: str, client_ip: str, reason: str) -> dict[str, str]:
    """What a log line says about an attempt: digests only (docs/security.md 10.6)."""
    return {"reason": reason, "emailDigest": keys.digest(email), "ipDigest": keys.digest(client_ip)}
