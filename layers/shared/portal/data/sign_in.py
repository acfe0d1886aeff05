"""The DynamoDB requests of a sign-in, one call each (docs/data-model.md, "Access patterns"):

1. `read_sign_in`: one consistent BatchGetItem of the rate windows (both attempt windows and the
   address's mail window), the email lookup, the order-reference lookup and, when the browser
   sent a trust cookie, its trusted-browser item;
2. `reserve_sign_in_slots`: one TransactWriteItems taking one slot in each attempt window, each
   only if it still holds what was read (so parallel guesses cannot overshoot a limit);
3. `commit_sign_in`: one TransactWriteItems putting the new session and giving the slots back;
   or, for a browser that must still prove control of the mailbox, `commit_pending_sign_in`:
   one TransactWriteItems putting the pending sign-in, the link of its mail and the mail's outbox
   item, taking the mail's slot and giving the attempt slots back.

Which slot is free and how long to wait is the domain's arithmetic (portal.accounts.rate_limit);
this module only shapes the requests. A rate window is one item per subject (an email or an IP,
as a digest) whose attributes `s0..s<limit-1>` are the slots.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass

from portal.data import keys
from portal.data.outbox import OutboxMessage
from portal.data.rate_windows import (
    RateWindow,
    SlotClaim,
    release_request,
    reserve_slots,
    window_key,
)
from portal.data.sessions import NewSession, create_session_request
from portal.data.store import ConditionFailed, Item, Store
from portal.data.verification import NewLink, NewPending, code_mail_parts

# Taking the slots of a sign-in is the one mechanism of every rate limit.
reserve_sign_in_slots = reserve_slots


@dataclass(frozen=True, slots=True)
class SignInRead:
    windows: list[Item | None]  # in the order of the windows asked; None = no attempt yet
    by_email: Item | None  # who owns the email (customerId, email, name, language)
    by_reference: Item | None  # who owns the order reference (customerId)
    trust: Item | None = None  # the trusted-browser item of the browser's trust cookie


def read_sign_in(
    store: Store,
    *,
    windows: Sequence[RateWindow],
    email: str,
    order_reference: str,
    trust_token: str | None = None,
) -> SignInRead:
    """One consistent BatchGetItem: every window, both lookups (both always read), then the
    trusted-browser item when a trust token came."""
    wanted = [
        *(window_key(window) for window in windows),
        keys.email_lookup(email),
        keys.order_reference_lookup(order_reference),
    ]
    if trust_token:
        wanted.append(keys.trusted_browser_key(trust_token))
    found = store.get_many(wanted)
    trust = found.pop() if trust_token else None
    *windows_found, by_email, by_reference = found
    return SignInRead(
        windows=windows_found, by_email=by_email, by_reference=by_reference, trust=trust
    )


def commit_sign_in(store: Store, session: NewSession, claims: Sequence[SlotClaim]) -> bool:
    """One TransactWriteItems: the new session's conditional Put and the release of every claimed
    slot. False when a slot was reused by a parallel attempt meanwhile: nothing was written (the
    caller then creates the session alone, leaving the attempt counted: the safe side)."""
    parts = [("Put", create_session_request(store, session))]
    parts += [("Update", release_request(store, claim)) for claim in claims]
    try:
        store.transact(parts)
    except ConditionFailed as failed:
        if failed.reasons[:1] == ["ConditionalCheckFailed"]:
            raise  # the session's own Put (a token already in use): never sign in on top of it
        return False
    return True


def commit_pending_sign_in(
    store: Store,
    *,
    pending: NewPending,
    link: NewLink,
    message: OutboxMessage,
    mail_slot: SlotClaim,
    slot_expires_at: int,
    claims: Sequence[SlotClaim],
) -> bool:
    """One TransactWriteItems: the pending sign-in, the link its mail carries and the mail's
    outbox item (conditional Puts), the mail's slot in the address's mail window (taken only if
    still as read), and the release of every claimed attempt slot (`claims`; none on a retry).
    False when a slot changed meanwhile (nothing written)."""
    parts = code_mail_parts(
        store,
        pending=pending,
        link=link,
        message=message,
        mail_slot=mail_slot,
        slot_expires_at=slot_expires_at,
    )
    parts += [("Update", release_request(store, claim)) for claim in claims]
    try:
        store.transact(parts)
    except ConditionFailed as failed:
        if "ConditionalCheckFailed" in failed.reasons[:3]:
            raise  # a token or an outbox id already in use: never mail on top of it
        return False
    return True


def release_sign_in_slots(store: Store, claims: Sequence[SlotClaim]) -> None:
    """One TransactWriteItems giving the claimed slots back (a right pair whose code mail the
    mail window refused); a slot reused meanwhile stays counted (the safe side)."""
    with contextlib.suppress(ConditionFailed):
        store.transact(("Update", release_request(store, claim)) for claim in claims)
