"""The items of verified sign-in (docs/data-model.md) and their requests, one call each:

- `PENDING#<digest(token)>` / `PENDING`: a sign-in whose correct email + order number still waits
  for the code mailed to the customer (the token is the pending cookie's); holds the digest of
  token + code, never the code, the tries left and its end (`expiresAt`, epoch seconds, checked
  here in every condition; TTL is clean-up only).
- `LINK#<digest(token)>` / `LINK`: a mailed one-time sign-in link (the token is in the link only).
- `TRUST#<digest(token)>` / `TRUST`: a browser that proved control of the customer's mailbox
  (the token is the trust cookie's), on gsi1 under `TRUSTED#<customerId>`, with the customer's
  sessions, so that all of them can be found and revoked (`forget_sign_ins`).

Pending and link items also hold the customer's email, name and language as the email lookup
had them, so that the sign-in they complete answers without another read.

1. `read_pending`: one consistent BatchGetItem of the pending item and the caller's rate window;
2. `count_wrong_try`: one TransactWriteItems: one try fewer (the last one deletes the item), only
   if the tries are still as read, and the failure's slot in the rate window;
3. `commit_verified` / `commit_link_redeemed`: one TransactWriteItems deleting the pending item
   (tries as read, not expired) or the link (not expired), putting the session and the trust;
4. `read_link`: one consistent GetItem; `read_link_request` one BatchGetItem of the windows and
   the email lookup; `request_link`: one TransactWriteItems of the slots and, for a known
   customer, the link and its outbox item;
5. `forget_trusted_browser`: one DeleteItem, only if the trust is the customer's;
   `forget_sign_ins`: Query pages on gsi1, then BatchWriteItem deletes (25 a call).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from portal.data import keys
from portal.data.outbox import OutboxMessage, outbox_put_request
from portal.data.rate_windows import RateWindow, SlotClaim, reserve_request, window_key
from portal.data.sessions import NewSession, create_session_request
from portal.data.store import ConditionFailed, Item, Store

_NEW = "attribute_not_exists(pk)"


@dataclass(frozen=True, slots=True)
class Who:
    """The customer a pending sign-in or a link signs in, as the email lookup had them."""

    customer_id: str
    email: str
    name: str
    language: str


@dataclass(frozen=True, slots=True)
class NewPending:
    token: str
    who: Who
    code_digest: str
    tries: int
    expires_at: int  # epoch seconds


@dataclass(frozen=True, slots=True)
class NewLink:
    token: str
    who: Who
    expires_at: int


@dataclass(frozen=True, slots=True)
class NewTrust:
    token: str
    customer_id: str
    created_at: int
    expires_at: int


def who_of(item: Item) -> Who:
    return Who(
        customer_id=str(item["customerId"]),
        email=str(item["email"]),
        name=str(item.get("name") or ""),
        language=str(item.get("language") or "en"),
    )


def _who(who: Who) -> Item:
    return {
        "customerId": who.customer_id,
        "email": who.email,
        "name": who.name,
        "language": who.language,
    }


def pending_put_request(store: Store, pending: NewPending) -> tuple[str, dict[str, Any]]:
    item = {
        **keys.pending_sign_in_key(pending.token),
        "type": "pending_sign_in",
        **_who(pending.who),
        "codeDigest": pending.code_digest,
        "triesLeft": pending.tries,
        "expiresAt": pending.expires_at,
    }
    return "Put", store.put_request(item, condition=_NEW)


def link_put_request(store: Store, link: NewLink) -> tuple[str, dict[str, Any]]:
    item = {
        **keys.sign_in_link_key(link.token),
        "type": "sign_in_link",
        **_who(link.who),
        "expiresAt": link.expires_at,
    }
    return "Put", store.put_request(item, condition=_NEW)


def trust_put_request(store: Store, trust: NewTrust) -> tuple[str, dict[str, Any]]:
    key = keys.trusted_browser_key(trust.token)
    item = {
        **key,
        "type": "trusted_browser",
        "customerId": trust.customer_id,
        "gsi1pk": keys.trusted_browsers_gsi(trust.customer_id),
        "gsi1sk": key["pk"],
        "createdAt": trust.created_at,
        "expiresAt": trust.expires_at,
    }
    return "Put", store.put_request(item, condition=_NEW)


def code_mail_parts(
    store: Store,
    *,
    pending: NewPending | None,
    link: NewLink | None,
    message: OutboxMessage | None,
    mail_slot: SlotClaim,
    slot_expires_at: int,
) -> list[tuple[str, dict[str, Any]]]:
    """The parts that mail a sign-in code or link, for the caller's transaction, in this order:
    the pending item, the link, the outbox item (each present only when given), then the slot the
    mail takes in the per-address mail window (only if it still holds what was read)."""
    parts = []
    if pending is not None:
        parts.append(pending_put_request(store, pending))
    if link is not None:
        parts.append(link_put_request(store, link))
    if message is not None:
        parts.append(outbox_put_request(store, message))
    parts.append(("Update", reserve_request(store, mail_slot, slot_expires_at)))
    return parts


# ---------------------------------------------------------------- the code
@dataclass(frozen=True, slots=True)
class PendingRead:
    pending: Item | None
    window: Item | None


def read_pending(store: Store, token: str, window: RateWindow) -> PendingRead:
    """One consistent BatchGetItem: the pending sign-in and the caller's rate window."""
    pending, found = store.get_many([keys.pending_sign_in_key(token), window_key(window)])
    return PendingRead(pending=pending, window=found)


def count_wrong_try(
    store: Store, token: str, *, tries_read: int, failure: SlotClaim, slot_expires_at: int
) -> bool:
    """One TransactWriteItems: the pending sign-in has one try fewer (the last one deletes it:
    the attempt is void), only if its tries are still `tries_read`, and the failure takes its
    slot in the rate window. False when a parallel try changed either first: nothing written."""
    key = keys.pending_sign_in_key(token)
    values = {":read": tries_read}
    if tries_read <= 1:
        spend = _conditional_delete(store, key, "triesLeft = :read", values)
    else:
        spend = (
            "Update",
            store.update_request(
                key,
                update="SET triesLeft = :left",
                values={**values, ":left": tries_read - 1},
                condition="triesLeft = :read",
            ),
        )
    try:
        store.transact([spend, ("Update", reserve_request(store, failure, slot_expires_at))])
    except ConditionFailed:
        return False
    return True


def _conditional_delete(
    store: Store, key: keys.Key, condition: str, values: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    request = store.update_request(key, update="", values=values, condition=condition)
    request.pop("UpdateExpression")
    return "Delete", request


def commit_verified(
    store: Store,
    token: str,
    *,
    tries_read: int,
    now: int,
    session: NewSession,
    trust: NewTrust,
) -> bool:
    """One TransactWriteItems: the pending sign-in is deleted (tries still as read, not
    expired), the session and the trusted browser are put. False when the pending sign-in
    changed or ended first: nothing written."""
    spend = _conditional_delete(
        store,
        keys.pending_sign_in_key(token),
        "triesLeft = :read AND expiresAt > :now",
        {":read": tries_read, ":now": now},
    )
    return _sign_in_with(store, spend, session, trust)


def _sign_in_with(
    store: Store, spend: tuple[str, dict[str, Any]], session: NewSession, trust: NewTrust
) -> bool:
    parts = [
        spend,
        ("Put", create_session_request(store, session)),
        trust_put_request(store, trust),
    ]
    try:
        store.transact(parts)
    except ConditionFailed as failed:
        if failed.reasons[:1] == ["ConditionalCheckFailed"]:
            return False
        raise  # a token already in use: never sign in on top of it
    return True


# ---------------------------------------------------------------- the link
def read_link(store: Store, token: str) -> Item | None:
    """One consistent GetItem of the link."""
    return store.get(keys.sign_in_link_key(token), consistent=True)


def commit_link_redeemed(
    store: Store, token: str, *, now: int, session: NewSession, trust: NewTrust
) -> bool:
    """One TransactWriteItems: the link is deleted (it exists and has not expired), the session
    and the trusted browser are put. False when the link was used or ended first."""
    spend = _conditional_delete(
        store,
        keys.sign_in_link_key(token),
        "attribute_exists(pk) AND expiresAt > :now",
        {":now": now},
    )
    return _sign_in_with(store, spend, session, trust)


@dataclass(frozen=True, slots=True)
class LinkRequestRead:
    windows: list[Item | None]
    by_email: Item | None


def read_link_request(
    store: Store, *, windows: Sequence[RateWindow], email: str
) -> LinkRequestRead:
    """One consistent BatchGetItem: every window, then the email lookup."""
    *found, by_email = store.get_many(
        [*(window_key(window) for window in windows), keys.email_lookup(email)]
    )
    return LinkRequestRead(windows=found, by_email=by_email)


def request_link(
    store: Store,
    *,
    attempt: SlotClaim,
    attempt_expires_at: int,
    mail_slot: SlotClaim,
    slot_expires_at: int,
    link: NewLink | None,
    message: OutboxMessage | None,
) -> bool:
    """One TransactWriteItems: the request's slot in the address's window, the mail slot and, for
    a known customer, the link and its outbox item. False when a parallel request took a slot
    since it was read: nothing written, read again."""
    parts = code_mail_parts(
        store,
        pending=None,
        link=link,
        message=message,
        mail_slot=mail_slot,
        slot_expires_at=slot_expires_at,
    )
    parts.append(("Update", reserve_request(store, attempt, attempt_expires_at)))
    try:
        store.transact(parts)
    except ConditionFailed:
        return False
    return True


# ---------------------------------------------------------------- trust
def trusted_customer(item: Item | None, now: int) -> str | None:
    """The customer a trusted-browser item (as read) vouches for, while it has not expired."""
    if item is None or int(item.get("expiresAt", 0)) <= now:
        return None
    return str(item.get("customerId") or "") or None


def forget_trusted_browser(store: Store, token: str, customer_id: str) -> bool:
    """One conditional DeleteItem: the trusted browser of this trust token, only if it vouches
    for `customer_id` (another customer's trust is left alone). Whether one was deleted."""
    try:
        store.delete(
            keys.trusted_browser_key(token),
            condition="customerId = :customer",
            values={":customer": customer_id},
        )
    except ConditionFailed:
        return False
    return True


def forget_sign_ins(store: Store, customer_id: str, *, session_token: str | None = None) -> int:
    """Every trusted browser and every session of the customer, found on gsi1 (Query pages of
    100, the partition holds nothing else) and deleted with BatchWriteItem (25 a call), the
    session of `session_token` (the caller's own: the index is eventually consistent) included.
    How many items were deleted."""
    condition = keys.sign_ins_of(customer_id)
    found: dict[tuple[str, str], keys.Key] = {}
    if session_token:
        own = keys.session_key(session_token)
        found[(own["pk"], own["sk"])] = own
    for item in store.each(condition, page=100):
        found[(str(item["pk"]), str(item["sk"]))] = {"pk": item["pk"], "sk": item["sk"]}
    store.delete_many(list(found.values()))
    return len(found)
