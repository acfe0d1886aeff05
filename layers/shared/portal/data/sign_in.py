"""The DynamoDB requests of a sign-in, one call each (docs/data-model.md, "Access patterns"):

1. `read_sign_in`: one consistent BatchGetItem of both rate windows, the email lookup and the
   order-reference lookup;
2. `reserve_sign_in_slots`: one TransactWriteItems taking one slot in each window, each only if it
   still holds what was read (so parallel guesses cannot overshoot a limit);
3. `commit_sign_in`: one TransactWriteItems putting the new session and giving the slots back.

Which slot is free and how long to wait is the domain's arithmetic (portal.accounts.rate_limit);
this module only shapes the requests. A rate window is one item per subject (an email or an IP,
as a digest) whose attributes `s0..s<limit-1>` are the slots.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from portal.data import keys
from portal.data.rate_windows import (
    RateWindow,
    SlotClaim,
    release_request,
    reserve_slots,
    window_key,
)
from portal.data.sessions import NewSession, create_session_request
from portal.data.store import ConditionFailed, Item, Store

# Taking the slots of a sign-in is the one mechanism of every rate limit.
reserve_sign_in_slots = reserve_slots


@dataclass(frozen=True, slots=True)
class SignInRead:
    windows: list[Item | None]  # in the order of the windows asked; None = no attempt yet
    by_email: Item | None  # who owns the email (customerId, email, name, language)
    by_reference: Item | None  # who owns the order reference (customerId)


def read_sign_in(
    store: Store, *, windows: Sequence[RateWindow], email: str, order_reference: str
) -> SignInRead:
    """One consistent BatchGetItem: every window, then both lookups (both always read)."""
    *found, by_email, by_reference = store.get_many(
        [
            *(window_key(window) for window in windows),
            keys.email_lookup(email),
            keys.order_reference_lookup(order_reference),
        ]
    )
    return SignInRead(windows=found, by_email=by_email, by_reference=by_reference)


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
