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
from typing import Any, Protocol

from portal.data import keys
from portal.data.sessions import NewSession, create_session_request
from portal.data.store import ConditionFailed, Item, Store


class RateWindow(Protocol):
    """Whose window: `kind` "EMAIL" | "IP", `subject` the normalised email or the address."""

    @property
    def kind(self) -> str: ...

    @property
    def subject(self) -> str: ...


class SlotClaim(RateWindow, Protocol):
    """One slot of one window: what it held when read (`previous`, None = empty) and the stamp
    this attempt puts there (`mine`, unique per attempt)."""

    @property
    def slot(self) -> str: ...

    @property
    def previous(self) -> int | None: ...

    @property
    def mine(self) -> int: ...


@dataclass(frozen=True, slots=True)
class SignInRead:
    windows: list[Item | None]  # in the order of the windows asked; None = no attempt yet
    by_email: Item | None  # who owns the email (customerId, email, name, language)
    by_reference: Item | None  # who owns the order reference (customerId)


def _window_key(window: RateWindow) -> keys.Key:
    return keys.rate_limit_key(window.kind, window.subject)


def read_sign_in(
    store: Store, *, windows: Sequence[RateWindow], email: str, order_reference: str
) -> SignInRead:
    """One consistent BatchGetItem: every window, then both lookups (both always read)."""
    *found, by_email, by_reference = store.get_many(
        [
            *(_window_key(window) for window in windows),
            keys.email_lookup(email),
            keys.order_reference_lookup(order_reference),
        ]
    )
    return SignInRead(windows=found, by_email=by_email, by_reference=by_reference)


def _reserve(store: Store, claim: SlotClaim, expires_at: int) -> dict[str, Any]:
    """Take the slot only if it still holds what was read."""
    values: dict[str, Any] = {":mine": claim.mine, ":ttl": expires_at}
    if claim.previous is None:
        condition = "attribute_not_exists(#slot)"
    else:
        condition = "#slot = :previous"
        values[":previous"] = claim.previous
    return store.update_request(
        _window_key(claim),
        update="SET #slot = :mine, expiresAt = :ttl",
        names={"#slot": claim.slot},
        values=values,
        condition=condition,
    )


def _release(store: Store, claim: SlotClaim) -> dict[str, Any]:
    """Give the slot back (what it held before), only if nobody has taken it since."""
    values: dict[str, Any] = {":mine": claim.mine}
    if claim.previous is None:
        update = "REMOVE #slot"
    else:
        update = "SET #slot = :previous"
        values[":previous"] = claim.previous
    return store.update_request(
        _window_key(claim),
        update=update,
        names={"#slot": claim.slot},
        values=values,
        condition="#slot = :mine",
    )


def reserve_sign_in_slots(store: Store, claims: Sequence[SlotClaim], *, expires_at: int) -> bool:
    """One TransactWriteItems of a conditional Update per claim (all or none). False when a
    parallel attempt took one of the slots since it was read: nothing was written, read again.
    `expires_at` (TTL) keeps an idle window item until long after its last slot left."""
    try:
        store.transact(("Update", _reserve(store, claim, expires_at)) for claim in claims)
    except ConditionFailed:
        return False
    return True


def commit_sign_in(store: Store, session: NewSession, claims: Sequence[SlotClaim]) -> bool:
    """One TransactWriteItems: the new session's conditional Put and the release of every claimed
    slot. False when a slot was reused by a parallel attempt meanwhile: nothing was written (the
    caller then creates the session alone, leaving the attempt counted: the safe side)."""
    parts = [("Put", create_session_request(store, session))]
    parts += [("Update", _release(store, claim)) for claim in claims]
    try:
        store.transact(parts)
    except ConditionFailed as failed:
        if failed.reasons[:1] == ["ConditionalCheckFailed"]:
            raise  # the session's own Put (a token already in use): never sign in on top of it
        return False
    return True
