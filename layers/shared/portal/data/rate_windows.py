"""Sliding-window rate limits in the table, for every limit of the portal (failed sign-ins per
email and per IP, failed activations per activation key and per IP): one item per window
(`RATE#<kind>#<digest(subject)>`) whose attributes `s0..s<limit-1>` are the slots. Which slot is
free and how long to wait is portal.accounts.rate_limit's arithmetic; this module shapes the
requests: read the windows (inside each caller's own BatchGetItem, by `window_key`), take a slot
in each window only if it still holds what was read (`reserve_slots`, or `reserve_request` inside
a caller's transaction), give it back
(`release_request`, inside a caller's transaction)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from portal.data import keys
from portal.data.store import ConditionFailed, Store


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


def window_key(window: RateWindow) -> keys.Key:
    return keys.rate_limit_key(window.kind, window.subject)


def reserve_request(store: Store, claim: SlotClaim, expires_at: int) -> dict[str, Any]:
    """Take the slot only if it still holds what was read (a transaction part: an attempt that
    is counted in the same write as what it does, e.g. a mailed sign-in code)."""
    values: dict[str, Any] = {":mine": claim.mine, ":ttl": expires_at}
    if claim.previous is None:
        condition = "attribute_not_exists(#slot)"
    else:
        condition = "#slot = :previous"
        values[":previous"] = claim.previous
    return store.update_request(
        window_key(claim),
        update="SET #slot = :mine, expiresAt = :ttl",
        names={"#slot": claim.slot},
        values=values,
        condition=condition,
    )


def release_request(store: Store, claim: SlotClaim) -> dict[str, Any]:
    """Give the slot back (what it held before), only if nobody has taken it since."""
    values: dict[str, Any] = {":mine": claim.mine}
    if claim.previous is None:
        update = "REMOVE #slot"
    else:
        update = "SET #slot = :previous"
        values[":previous"] = claim.previous
    return store.update_request(
        window_key(claim),
        update=update,
        names={"#slot": claim.slot},
        values=values,
        condition="#slot = :mine",
    )


def reserve_slots(store: Store, claims: Sequence[SlotClaim], *, expires_at: int) -> bool:
    """One TransactWriteItems of a conditional Update per claim (all or none). False when a
    parallel attempt took one of the slots since it was read: nothing was written, read again.
    `expires_at` (TTL) keeps an idle window item until long after its last slot left."""
    try:
        store.transact(("Update", reserve_request(store, claim, expires_at)) for claim in claims)
    except ConditionFailed:
        return False
    return True
