"""The DynamoDB requests of licenses on computers (docs/data-model.md, "Access patterns"), named by
intent, one call each:

- `read_activation`: one consistent BatchGetItem of the rate windows and the activation-key
  lookup (who owns the key);
- `licenses_of`: the customer's licenses, oldest purchase first, one consistent Query (a page of
  1,000; more pages only for a customer with more licenses than that);
- `computer_entries`: one Query on gsi1 of one customer's entries of one computer: the license
  bound there, the revoked copy of one that was, the releases from it;
- `revoked_license`: one GetItem of a license's revoked copy;
- `bind` / `release`: one TransactWriteItems each, the license's conditional Update with its
  history entry and the customer's activation notice (an outbox item), so that two parallel
  requests can never both bind one license (SECURITY.md 18), every bind and release is recorded,
  and the customer is told of each one that happened, never of one that did not (a release by
  support, portal-admin, also carries its audit entry);
- `history_page`: one Query of a license's history, newest first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from portal.clock import utc_text
from portal.data import keys
from portal.data.audit import AuditEntry, audit_put_request
from portal.data.cursors import Cursors, PageQuery
from portal.data.items import (
    binding_keys,
    history_from_item,
    history_item,
    license_from_item,
)
from portal.data.outbox import OutboxMessage, outbox_put_request
from portal.data.rate_windows import RateWindow, window_key
from portal.data.store import ConditionFailed, Item, Store
from portal.models import HistoryEntry, License, Page

LICENSES_PAGE = 1000  # license items are small: one page holds any ordinary customer's licenses
_AFTER = {"after": re.compile(r"^\d{8}$")}


@dataclass(frozen=True, slots=True)
class ActivationRead:
    windows: list[Item | None]  # in the order asked; None = no failure yet
    customer_id: str | None  # who owns the activation key (None: nobody)


def read_activation(
    store: Store, *, windows: Sequence[RateWindow], activation_key: str
) -> ActivationRead:
    """One consistent BatchGetItem: every window, then the key's lookup (always read)."""
    *found, owner = store.get_many(
        [*(window_key(window) for window in windows), keys.activation_key_lookup(activation_key)]
    )
    return ActivationRead(
        windows=found, customer_id=str(owner["customerId"]) if owner is not None else None
    )


def licenses_of(store: Store, customer_id: str) -> list[License]:
    """Every license of the customer, oldest purchase first (ids are time-ordered ULIDs)."""
    where = keys.licenses_of(customer_id)
    items = store.each(where, page=LICENSES_PAGE, newest_first=False, consistent=True)
    return [license_from_item(item) for item in items]


@dataclass(frozen=True, slots=True)
class ComputerEntries:
    """One customer's entries of one computer (license ids)."""

    bound: list[str] = field(default_factory=list)  # bound there now
    revoked: list[str] = field(default_factory=list)  # were bound there, then revoked
    released: list[str] = field(default_factory=list)  # were released from there


def computer_entries(store: Store, customer_id: str, computer_id: str) -> ComputerEntries:
    """One Query on gsi1: `gsi1pk = COMPUTER#<digest> AND begins_with(gsi1sk, "<cid>#")`."""
    where = keys.bindings_of_computer(customer_id, computer_id)
    entries = ComputerEntries()
    for item in store.each(where, page=100, newest_first=False):
        kind = keys.computer_entry_kind(customer_id, str(item["gsi1sk"]))
        if kind == keys.REVOKED_BINDING:
            entries.revoked.append(str(item["licenseId"]))
        elif kind == keys.RELEASED_BINDING:
            entries.released.append(str(item["licenseId"]))
        elif kind == keys.BOUND:
            entries.bound.append(str(item["licenseId"]))
    return entries


def revoked_license(store: Store, customer_id: str, license_id: str) -> Item | None:
    """The revoked copy of the customer's license (a refund removed it), if any."""
    return store.get(keys.revoked_license_key(customer_id, license_id), consistent=True)


def bind(
    store: Store, customer_id: str, lic: License, *, at: datetime, notice: OutboxMessage
) -> bool:
    """Bind the (free) license to `lic.computer_id` / `lic.computer_name`, record it and queue
    `notice`: one TransactWriteItems, the Update holding only while the license exists and is
    bound to no computer. False when it is not free any more (a parallel activation won):
    nothing written, no notice."""
    assert lic.computer_id is not None
    values: dict[str, Any] = {
        ":id": lic.computer_id,
        ":name": lic.computer_name,
        ":at": utc_text(at),
        **{f":{name}": value for name, value in _gsi(customer_id, lic).items()},
        **_next_entry(lic),
    }
    update = store.update_request(
        keys.license_key(customer_id, lic.license_id),
        update=(
            "SET computerId = :id, computerName = :name, boundAt = :at,"
            " gsi1pk = :gsi1pk, gsi1sk = :gsi1sk, historyLength = :next"
        ),
        values=values,
        condition=f"attribute_exists(pk) AND attribute_not_exists(computerId) AND {_SAME_HISTORY}",
    )
    entry = HistoryEntry(at, "activated", lic.computer_id, lic.computer_name)
    sequence = lic.history_length + 1
    record = store.put_request(
        history_item(customer_id, lic.license_id, entry, sequence=sequence), condition=_NEW
    )
    return _committed(
        store, [("Update", update), ("Put", record), outbox_put_request(store, notice)]
    )


def release(
    store: Store,
    customer_id: str,
    lic: License,
    *,
    at: datetime,
    releases: Sequence[datetime],
    notice: OutboxMessage,
    by: str | None = None,
    audit: AuditEntry | None = None,
) -> bool:
    """Unbind the license from `lic.computer_id` and keep `releases` (the recent ones that count
    against the limit), record the release (`by` who, when not the customer), indexed under the
    computer it left, and queue `notice`: one TransactWriteItems, with `audit` (a release by
    support, portal-admin) as one more part, holding only while the license is still bound to
    that computer with the history read."""
    assert lic.computer_id is not None
    update = store.update_request(
        keys.license_key(customer_id, lic.license_id),
        update=(
            "SET releases = :releases, historyLength = :next"
            " REMOVE computerId, computerName, boundAt, gsi1pk, gsi1sk"
        ),
        values={
            ":releases": [utc_text(moment) for moment in releases],
            ":id": lic.computer_id,
            **_next_entry(lic),
        },
        condition=f"computerId = :id AND {_SAME_HISTORY}",
    )
    entry = HistoryEntry(at, "released", lic.computer_id, lic.computer_name, by)
    sequence = lic.history_length + 1
    record = store.put_request(
        history_item(customer_id, lic.license_id, entry, sequence=sequence, released=True),
        condition=_NEW,
    )
    audited = [audit_put_request(store, audit)] if audit is not None else []
    return _committed(
        store,
        [("Update", update), ("Put", record), outbox_put_request(store, notice), *audited],
    )


# The history as read: each entry numbered in order, so two writes from one read cannot both
# add entry n + 1 (one of them fails its condition).
_SAME_HISTORY = "(attribute_not_exists(historyLength) OR historyLength = :length)"
_NEW = "attribute_not_exists(pk)"


def _next_entry(lic: License) -> dict[str, int]:
    return {":length": lic.history_length, ":next": lic.history_length + 1}


def _gsi(customer_id: str, lic: License) -> Item:
    assert lic.computer_id is not None
    return binding_keys(customer_id, lic.license_id, lic.computer_id)


def _committed(store: Store, parts: list[tuple[str, dict[str, Any]]]) -> bool:
    try:
        store.transact(parts)
    except ConditionFailed:
        return False
    return True


def history_page(
    store: Store, customer_id: str, license_id: str, query: PageQuery, *, cursors: Cursors
) -> Page[HistoryEntry]:
    """One Query: `pk = CUST#<id> AND begins_with(sk, "HIST#<licenseId>#")`, newest first,
    `limit + 1` items (a next page exists?), after the cursor's entry."""
    scope = ("history", customer_id, license_id)
    start = None
    if query.cursor:
        after = cursors.open(scope, query.cursor, _AFTER)["after"]
        start = keys.history_page_start(customer_id, license_id, after)
    where = keys.history_of(customer_id, license_id)
    result = store.query(
        partition=where.partition,
        sort_prefix=where.sort_prefix,
        limit=query.limit + 1,
        newest_first=True,
        start_key=start,
    )
    rows = result.items[: query.limit]
    next_cursor = None
    if len(result.items) > query.limit and rows:
        position = {"after": keys.history_position(str(rows[-1]["sk"]))}
        next_cursor = cursors.seal(scope, position)
    return Page(items=[history_from_item(row) for row in rows], next_cursor=next_cursor)
