"""Sign-in with email + order number.

- Every failure (unknown email, wrong order, another customer's order) raises the same
  InvalidCredentials; both lookups are always read, and compared in constant time.
- Failed attempts are limited per email and per source IP (portal.accounts.rate_limit), checked
  and reserved BEFORE the credentials are looked at.
- A correct pair from a browser trusted for that customer (its trust cookie's item, read in the
  same first read) creates a session (portal.accounts.sessions) in the same transaction that gives
  the reserved attempt back. From any other browser it only proves a purchase: the same
  transaction instead puts a pending sign-in and the mail of its code (portal.accounts.
  verification), and the browser must send the code (`Pending`). A stage may turn verification
  off (Settings.verify_sign_in): then a correct pair signs in, as before (weaker).
- A failure or a refusal is logged with SHA-256 digests of the email and the address (the same
  digests the rate windows are keyed by), never either in clear.

Its DynamoDB calls (one read, one reservation, one commit) are portal.data.sign_in's.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime

from portal.accounts import rate_limit, verification
from portal.accounts.sessions import new_session
from portal.clock import SYSTEM_CLOCK, Clock, epoch_seconds
from portal.config import CODE_SECONDS, Settings
from portal.data import keys
from portal.data import sessions as stored_sessions
from portal.data import sign_in as attempts
from portal.data.store import Item, Store
from portal.data.verification import NewLink, NewPending, who_of
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


@dataclass(frozen=True, slots=True)
class Pending:
    """A correct pair from a browser that must still prove control of the mailbox: a code was
    mailed; `token` goes into the pending cookie, valid `expires_in` seconds."""

    token: str
    expires_in: int


def sign_in(
    email: str,
    order_reference: str,
    client_ip: str,
    *,
    store: Store,
    settings: Settings,
    clock: Clock = SYSTEM_CLOCK,
    trust_token: str | None = None,
) -> SignedIn | Pending:
    """email and order_reference arrive normalised (portal.types); trust_token is the browser's
    trust cookie, if any."""
    limits = [
        rate_limit.Limit("EMAIL", email, settings.login_failures_per_account),
        rate_limit.Limit("IP", client_ip, settings.login_failures_per_ip),
    ]
    mails = verification.mail_limit(email, settings)
    if trust_token is not None and not verification.TOKEN_SHAPE.fullmatch(trust_token):
        trust_token = None
    for _ in range(_RESERVE_TRIES):
        now = clock.now()
        read = attempts.read_sign_in(
            store,
            windows=[*limits, mails],
            email=email,
            order_reference=order_reference,
            trust_token=trust_token,
        )
        try:
            reservations = rate_limit.reserve_all(
                limits, read.windows[: len(limits)], now, settings.login_window_seconds
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

    if settings.verify_sign_in and not verification.trusted(read.trust, str(owner), now):
        return _mail_code(
            by_email,
            mails,
            read.windows[len(limits)],
            reservations,
            store=store,
            settings=settings,
            now=now,
        )
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


def _mail_code(
    by_email: Item,
    mails: rate_limit.Limit,
    window: Item | None,
    reservations: list[rate_limit.Reservation],
    *,
    store: Store,
    settings: Settings,
    now: datetime,
) -> Pending:
    """Put the pending sign-in and the mail of its code (with a link, valid as long) in the
    commit's one transaction, which also gives the attempt slots back."""
    try:
        slot = verification.mail_slot(mails, window, now)
    except TooManyAttempts:
        # the pair was right: its attempt is given back, only the mail is refused
        attempts.release_sign_in_slots(store, reservations)
        raise
    who = who_of(by_email)
    at = epoch_seconds(now)
    token, code = verification.new_token(), verification.new_code()
    pending = NewPending(
        token=token,
        who=who,
        code_digest=verification.code_digest(token, code),
        tries=verification.CODE_TRIES,
        expires_at=at + CODE_SECONDS,
    )
    link = NewLink(verification.new_token(), who, at + CODE_SECONDS)
    message = verification.code_mail(
        who,
        code=code,
        link=verification.link_url(settings, link.token),
        at=now,
        minutes=CODE_SECONDS // 60,
    )
    for claims in (reservations, []):
        # without the releases on a retry: a slot reused meanwhile stays counted (the safe side)
        if attempts.commit_pending_sign_in(
            store,
            pending=pending,
            link=link,
            message=message,
            mail_slot=slot,
            slot_expires_at=verification.mail_slot_expiry(now),
            claims=claims,
        ):
            count("SignInCodeMailed")
            return Pending(token=token, expires_in=CODE_SECONDS)
    count("SignInThrottled")  # a parallel sign-in took the mail's slot
    raise TooManyAttempts(1)


def _who(email: str, client_ip: str, reason: str) -> dict[str, str]:
    """What a log line says about an attempt: digests only (docs/security.md 10.6)."""
    return {"reason": reason, "emailDigest": keys.digest(email), "ipDigest": keys.digest(client_ip)}
