"""Verified sign-in (docs/decisions.md, "Verified sign-in"): a correct email + order number only
proves a purchase, and FastSpring does not verify buyers' emails; so a browser must also prove,
once, that it controls the customer's mailbox, with a code or a link mailed there. It is then
trusted for that customer (the trust cookie, 90 days, stored as a digest), until the customer
revokes it: `sign_out(..., forget_browser=True)` forgets this browser, `sign_out_everywhere`
every browser and every session of theirs.

- Codes: 6 digits from `secrets`, valid 10 minutes, 5 tries; the 5th wrong one voids the attempt.
  Only the digest of pending token + code is stored, so the table alone never gives the code.
  Every failure answers the same InvalidCode. Failed tries also take a slot of the verifying
  address's window (SECURITY.md 3's per-IP bound).
- Links: 256-bit tokens in the link's fragment (no server log sees them), 15 minutes (10 in a
  code's mail, like the code), used once; the page POSTs them (a prefetching scanner's GET
  changes nothing). Every failure answers the same InvalidLink.
- At most `sign_in_mails_per_hour` codes and links per address per hour: a rate window (kind
  "MAIL", subject the email) whose slot is taken in the transaction that puts the mail's outbox
  item. A link request answers the same for every address; it takes a slot in the sign-in's
  per-IP window (counted like a failed attempt) and in the address's mail window whether or not
  a customer has that address, so neither the answer nor a limit tells which addresses exist.

Codes, tokens and trust never reach a log: logs name reasons only.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import NoReturn
from urllib.parse import urlsplit, urlunsplit

from portal.accounts import rate_limit, sessions
from portal.accounts.sessions import new_session
from portal.clock import SYSTEM_CLOCK, Clock, epoch_seconds
from portal.config import TRUST_SECONDS, Settings
from portal.data import verification as stored
from portal.data.outbox import OutboxMessage, new_message
from portal.data.store import Item, Store
from portal.errors import InvalidCode, InvalidLink, TooManyAttempts
from portal.observability import count, logger

CODE_DIGITS = 6
CODE_TRIES = 5
LINK_SECONDS = 15 * 60
MAIL_WINDOW_SECONDS = 60 * 60
MAIL_KIND = "MAIL"  # the rate window of mailed codes and links, per email address
VERIFY_KIND = "VERIFY"  # the rate window of failed codes, per address
TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_\-]{43}$")
CODE_SHAPE = re.compile(r"^[0-9]{6}$")
_RETRIES = CODE_TRIES + 1  # each lost race means a parallel try was counted: this ends
_WINDOW_MARGIN = 3600  # a window item outlives its last slot by an hour (TTL, clean-up only)


@dataclass(frozen=True, slots=True)
class Verified:
    """A sign-in completed by a code or a link: the session and the browser's new trust."""

    token: str
    trust_token: str
    who: stored.Who


def new_token() -> str:
    return secrets.token_urlsafe(32)


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def code_digest(pending_token: str, code: str) -> str:
    return hashlib.sha256(f"{pending_token}:{code}".encode()).hexdigest()


def link_url(settings: Settings, token: str) -> str:
    """The page that redeems a link; the token in the fragment, which no request carries."""
    origin = urlsplit(settings.portal_origin)
    return urlunsplit((origin.scheme, origin.netloc, "/link.html", "", f"token={token}"))


def mail_limit(email: str, settings: Settings) -> rate_limit.Limit:
    return rate_limit.Limit(MAIL_KIND, email, settings.sign_in_mails_per_hour)


def mail_slot(
    limit: rate_limit.Limit, window: Item | None, now: datetime
) -> rate_limit.Reservation:
    """The slot a mail takes in the address's mail window, else TooManyAttempts (exact wait)."""
    reservation, wait = rate_limit.evaluate(limit, window, now, MAIL_WINDOW_SECONDS)
    if reservation is None:
        count("SignInMailsLimited")
        raise TooManyAttempts(wait)
    return reservation


def mail_slot_expiry(now: datetime) -> int:
    return epoch_seconds(now) + MAIL_WINDOW_SECONDS + _WINDOW_MARGIN


def new_trust(customer_id: str, now: int) -> stored.NewTrust:
    return stored.NewTrust(
        token=new_token(), customer_id=customer_id, created_at=now, expires_at=now + TRUST_SECONDS
    )


def trusted(trust: Item | None, owner: str, now: datetime) -> bool:
    """Whether the browser's trusted-browser item (as read) vouches for `owner` now."""
    vouched = stored.trusted_customer(trust, epoch_seconds(now))
    return vouched is not None and hmac.compare_digest(vouched.encode(), owner.encode())


def code_mail(
    who: stored.Who, *, code: str, link: str, at: datetime, minutes: int
) -> OutboxMessage:
    return new_message(
        "sign_in_code",
        customer_id=who.customer_id,
        to=who.email,
        language=who.language,
        data={"code": code, "link": link, "minutes": minutes, "customerName": who.name},
        at=at,
    )


# ---------------------------------------------------------------- the code
def verify(
    pending_token: str | None,
    code: str,
    client_ip: str,
    *,
    store: Store,
    settings: Settings,
    clock: Clock = SYSTEM_CLOCK,
) -> Verified:
    """Complete a pending sign-in with the mailed code; InvalidCode for every failure."""
    if not pending_token or not TOKEN_SHAPE.fullmatch(pending_token):
        count("SignInCodeFailed")
        raise InvalidCode()
    limit = rate_limit.Limit(VERIFY_KIND, client_ip, settings.login_failures_per_ip)
    for _ in range(_RETRIES):
        now = clock.now()
        at = epoch_seconds(now)
        read = stored.read_pending(store, pending_token, limit)
        failure, wait = rate_limit.evaluate(limit, read.window, now, settings.login_window_seconds)
        if failure is None:
            count("SignInThrottled")
            raise TooManyAttempts(wait)
        pending = read.pending
        tries = int((pending or {}).get("triesLeft", 0))
        if pending is None or int(pending.get("expiresAt", 0)) <= at or tries <= 0:
            _failed("no_pending_sign_in")
        right = hmac.compare_digest(
            code_digest(pending_token, code).encode(), str(pending.get("codeDigest", "")).encode()
        )
        if right:
            who = stored.who_of(pending)
            session = new_session(who.customer_id, at, settings)
            trust = new_trust(who.customer_id, at)
            if stored.commit_verified(
                store, pending_token, tries_read=tries, now=at, session=session, trust=trust
            ):
                count("SignInVerified")
                return Verified(token=session.token, trust_token=trust.token, who=who)
            continue  # a parallel try changed the pending sign-in: read again
        expires = at + settings.login_window_seconds + _WINDOW_MARGIN
        if stored.count_wrong_try(
            store, pending_token, tries_read=tries, failure=failure, slot_expires_at=expires
        ):
            _failed("wrong_code" if tries > 1 else "wrong_code_attempt_void")
        # a parallel try was counted first: read again, so that this one is counted too
    _failed("contended")


def _failed(reason: str) -> NoReturn:
    count("SignInCodeFailed")
    logger.info("sign-in code refused", extra={"reason": reason})
    raise InvalidCode()


# ---------------------------------------------------------------- the link
def request_link(
    email: str,
    client_ip: str,
    *,
    store: Store,
    settings: Settings,
    clock: Clock = SYSTEM_CLOCK,
) -> None:
    """Mail a sign-in link to the customer with this (normalised) address, if there is one; the
    same outcome for every address (nothing, or TooManyAttempts)."""
    attempt_limit = rate_limit.Limit("IP", client_ip, settings.login_failures_per_ip)
    limit = mail_limit(email, settings)
    for _ in range(3):
        now = clock.now()
        read = stored.read_link_request(store, windows=[attempt_limit, limit], email=email)
        try:
            (attempt,) = rate_limit.reserve_all(
                [attempt_limit], read.windows[:1], now, settings.login_window_seconds
            )
        except TooManyAttempts:
            count("SignInThrottled")
            raise
        slot = mail_slot(limit, read.windows[1], now)
        link: stored.NewLink | None = None
        message: OutboxMessage | None = None
        if read.by_email is not None:
            who = stored.who_of(read.by_email)
            link = stored.NewLink(new_token(), who, epoch_seconds(now) + LINK_SECONDS)
            message = new_message(
                "sign_in_link",
                customer_id=who.customer_id,
                to=who.email,
                language=who.language,
                data={
                    "link": link_url(settings, link.token),
                    "minutes": LINK_SECONDS // 60,
                    "customerName": who.name,
                },
                at=now,
            )
        if stored.request_link(
            store,
            attempt=attempt,
            attempt_expires_at=epoch_seconds(now) + settings.login_window_seconds + _WINDOW_MARGIN,
            mail_slot=slot,
            slot_expires_at=mail_slot_expiry(now),
            link=link,
            message=message,
        ):
            count("SignInLinkRequested")
            return
        # a parallel request took a slot we read: read again
    count("SignInThrottled")
    raise TooManyAttempts(1)


def redeem_link(
    token: str, *, store: Store, settings: Settings, clock: Clock = SYSTEM_CLOCK
) -> Verified:
    """Sign in with a mailed link, once; InvalidLink for every failure."""
    if not TOKEN_SHAPE.fullmatch(token):
        _link_failed("malformed")
    at = epoch_seconds(clock.now())
    item = stored.read_link(store, token)
    if item is None or int(item.get("expiresAt", 0)) <= at:
        _link_failed("no_link")
    who = stored.who_of(item)
    session = new_session(who.customer_id, at, settings)
    trust = new_trust(who.customer_id, at)
    if not stored.commit_link_redeemed(store, token, now=at, session=session, trust=trust):
        _link_failed("used")
    count("SignInLinkRedeemed")
    return Verified(token=session.token, trust_token=trust.token, who=who)


def _link_failed(reason: str) -> NoReturn:
    count("SignInLinkFailed")
    logger.info("sign-in link refused", extra={"reason": reason})
    raise InvalidLink()


# ---------------------------------------------------------------- revoking trust
def sign_out(
    session_token: str | None, trust_token: str | None, *, forget_browser: bool, store: Store
) -> None:
    """Sign out (the session deleted, if any); with `forget_browser`, also forget this browser:
    its trust is deleted when it vouches for the customer of the session just ended (a trust
    of anyone else, or without a session to name the customer, is left alone; the handler
    clears the cookie either way)."""
    customer_id = sessions.sign_out(session_token, store=store)
    if not forget_browser or customer_id is None:
        return
    shaped = trust_token is not None and TOKEN_SHAPE.fullmatch(trust_token) is not None
    if shaped and stored.forget_trusted_browser(store, str(trust_token), customer_id):
        count("BrowserForgotten")


def sign_out_everywhere(customer_id: str, session_token: str | None, *, store: Store) -> None:
    """Forget every browser of the signed-in customer and end every session of theirs, this one
    included: every browser must then sign in again with a mailed code."""
    forgotten = stored.forget_sign_ins(store, customer_id, session_token=session_token)
    count("SignedOutEverywhere")
    logger.info("signed out everywhere", extra={"items": forgotten})
