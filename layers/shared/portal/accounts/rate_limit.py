"""Sliding-window limits on failed attempts (sign-ins, activations), exact and safe under parallel
requests.

Each subject (an email digest, an IP digest) has one item holding up to `limit` slots; a slot is
the time of one attempt in progress or one failure (epoch ms * 1000 + a random tie-breaker, so
each reservation is unique). Before credentials are checked, an attempt RESERVES the oldest slot
with a conditional write: when every slot is younger than the window, the limit is reached and
the attempt is refused without looking at the credentials (so parallel guesses cannot overshoot).
A successful sign-in gives its slot back; a failed one leaves it, which records the failure.
Retry-After is exact: the moment the oldest recent slot leaves the window.

This module is the arithmetic only; the conditional writes are portal.data.rate_windows'
(`reserve_slots`, `release_request`), the windows are read inside each caller's own first read
(portal.data.sign_in.read_sign_in, portal.data.activation.read_activation).
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from portal.clock import epoch_millis
from portal.data.store import Item
from portal.errors import TooManyAttempts


@dataclass(frozen=True, slots=True)
class Limit:
    kind: str  # "EMAIL" | "IP"
    subject: str
    limit: int


@dataclass(frozen=True, slots=True)
class Reservation:
    """The slot an attempt takes in the window of (kind, subject), what it held, and its stamp."""

    kind: str
    subject: str
    slot: str
    previous: int | None
    mine: int


def stamp(at: datetime) -> int:
    return epoch_millis(at) * 1000 + secrets.randbelow(1000)


def slot_names(limit: int) -> list[str]:
    return [f"s{i}" for i in range(limit)]


def evaluate(
    limit: Limit, item: Item | None, now: datetime, window_seconds: int
) -> tuple[Reservation | None, int]:
    """(reservation to attempt, 0) when a slot is free, or (None, retry_after_seconds)."""
    # An attempt at t counts while now - window < t: it has left the window once t <= cutoff.
    cutoff_ms = epoch_millis(now) - window_seconds * 1000
    values: list[tuple[int, str]] = []
    free: tuple[str, int | None] | None = None
    for name in slot_names(limit.limit):
        raw = (item or {}).get(name)
        if raw is None:
            free = free or (name, None)
            continue
        value = int(raw)
        if value // 1000 <= cutoff_ms:
            if free is None or (free[1] is not None and value < free[1]):
                free = (name, value)
        else:
            values.append((value, name))
    if free is not None:
        reservation = Reservation(
            kind=limit.kind, subject=limit.subject, slot=free[0], previous=free[1], mine=stamp(now)
        )
        return reservation, 0
    oldest_ms = min(values)[0] // 1000
    retry_ms = oldest_ms + window_seconds * 1000 - epoch_millis(now)
    return None, max(1, math.ceil(retry_ms / 1000))


def retry_after_of(results: Sequence[tuple[Reservation | None, int]]) -> int:
    return max(wait for _, wait in results)


def reserve_all(
    limits: Sequence[Limit], items: Sequence[Item | None], now: datetime, window_seconds: int
) -> list[Reservation]:
    """One reservation per limit (`items`: its window as read, in the same order); when any
    window is full, TooManyAttempts with the exact wait."""
    results = [
        evaluate(limit, item, now, window_seconds)
        for limit, item in zip(limits, items, strict=True)
    ]
    reservations = [reservation for reservation, _ in results if reservation is not None]
    if len(reservations) < len(limits):
        raise TooManyAttempts(retry_after_of(results))
    return reservations
