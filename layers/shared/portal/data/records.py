"""Reads of one customer's own records, always under the partition of the session's customer id
(so another customer's record is unreachable by construction):

- `page_of`: a page of licenses or supports, one Query newest first, `limit + 1` items so the
  same round trip tells whether a next page exists;
- `owned_record`: one license or support by id, one GetItem, else NotFound;
- `orders_page`: the profile and the order headers, one Query on lsi1;
- `owned_order`: one order by reference, one GetItem, else NotFound;
- `all_licenses` / `all_supports`: every license or support of a customer, for ingestion (a
  renewal finds the license it extends, a refund the support dates that remain): pages of 100
  until the end, one Query per page; `each_of` / `present`: the items of some keys, or those of
  them that exist (BatchGetItem, 100 a call);
- `profile_of`, `all_orders`, `revoked_of`: the profile (one consistent GetItem), every order
  (the orders page's Query on lsi1, page after page) and every revoked copy (`REVOKED#`) of a
  customer, for support (portal-admin lookup).

A cursor names the last item of a page by its public ids only, sealed for that list and that
customer (portal.data.cursors); where a next page starts is built from them by portal.data.keys.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from portal.data import keys
from portal.data.cursors import Cursors, PageQuery
from portal.data.items import license_from_item, support_from_item
from portal.data.store import Item, Store
from portal.errors import NotFound
from portal.ids import ULID_SHAPE, is_ulid
from portal.models import License, Page, Support

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RecordKind:
    """A kind of record kept under the customer's partition and listed by a page."""

    where: Callable[[str], keys.KeyCondition]  # customer id -> the Query's key condition
    key: Callable[[str, str], keys.Key]  # (customer id, record id) -> its key
    start: Callable[[str, str], keys.Key]  # (customer id, last id of a page) -> ExclusiveStartKey
    id_field: str  # the attribute holding the record's public id (a ULID)
    name: str  # the list's name, in its cursors' scope


LICENSES = RecordKind(
    keys.licenses_of, keys.license_key, keys.license_page_start, "licenseId", "licenses"
)
SUPPORTS = RecordKind(
    keys.supports_of, keys.support_key, keys.support_page_start, "supportId", "supports"
)

_AFTER = {"after": ULID_SHAPE}
_ORDERS_AFTER = {
    "at": re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"),
    "ref": re.compile(r"^[A-Z0-9][A-Z0-9\-]{0,63}$"),
}


def page_of(
    store: Store,
    kind: RecordKind,
    customer_id: str,
    query: PageQuery,
    to_model: Callable[[Item], T],
    *,
    cursors: Cursors,
) -> Page[T]:
    """One Query: `pk = CUST#<id> AND begins_with(sk, <prefix>)`, newest first, after the
    cursor's record; a cursor that does not open (for this list and customer) is InvalidCursor."""
    scope = (kind.name, customer_id)
    start = None
    if query.cursor:
        start = kind.start(customer_id, cursors.open(scope, query.cursor, _AFTER)["after"])
    where = kind.where(customer_id)
    # One item more than asked tells whether a next page exists, in the same round trip.
    result = store.query(
        partition=where.partition,
        sort_prefix=where.sort_prefix,
        index=where.index,
        limit=query.limit + 1,
        newest_first=True,
        start_key=start,
    )
    rows = result.items[: query.limit]
    more = len(result.items) > query.limit
    next_cursor = None
    if more and rows:
        next_cursor = cursors.seal(scope, {"after": str(rows[-1][kind.id_field])})
    return Page(items=[to_model(row) for row in rows], next_cursor=next_cursor)


_WHOLE_PAGE = 100


def _every(store: Store, kind: RecordKind, customer_id: str) -> Iterator[Item]:
    return store.each(kind.where(customer_id), page=_WHOLE_PAGE)


def all_licenses(store: Store, customer_id: str) -> list[License]:
    return [license_from_item(item) for item in _every(store, LICENSES, customer_id)]


def all_supports(store: Store, customer_id: str) -> list[Support]:
    return [support_from_item(item) for item in _every(store, SUPPORTS, customer_id)]


def profile_of(store: Store, customer_id: str) -> Item | None:
    """The customer's profile as stored (None: no such customer), one consistent GetItem."""
    return store.get(keys.customer_profile(customer_id), consistent=True)


def all_orders(store: Store, customer_id: str) -> list[Item]:
    """Every order of the customer (items inside), newest first: the orders page's Query on lsi1
    (the profile, which sorts first there, left out), pages of 100."""
    rows = store.each(keys.orders_page_of(customer_id), page=_WHOLE_PAGE, newest_first=True)
    return [row for row in rows if row["sk"] != keys.PROFILE_SK]


def revoked_of(store: Store, customer_id: str) -> list[Item]:
    """Every revoked copy of the customer (`REVOKED#LIC#…` / `REVOKED#SUP#…`), pages of 100."""
    return list(store.each(keys.revoked_of(customer_id), page=_WHOLE_PAGE, newest_first=False))


def each_of(store: Store, wanted: Sequence[keys.Key]) -> list[Item | None]:
    """The item of each key of `wanted`, in that order, None where there is none (consistent
    reads, BatchGetItem of 100 keys a call)."""
    found: list[Item | None] = []
    for first in range(0, len(wanted), _WHOLE_PAGE):
        found += store.get_many(wanted[first : first + _WHOLE_PAGE])
    return found


def present(store: Store, wanted: Sequence[keys.Key]) -> list[Item]:
    """The items of `wanted` that exist, in that order (consistent reads, 100 keys a call)."""
    return [item for item in each_of(store, wanted) if item]


def _owned(store: Store, key: keys.Key) -> Item:
    item = store.get(key)
    if item is None:
        raise NotFound()
    return item


def owned_record(store: Store, kind: RecordKind, customer_id: str, record_id: str) -> Item:
    """The customer's license or support `record_id`, one GetItem; else NotFound: another
    customer's id and a malformed one answer exactly like a missing one (a malformed one costs
    no call)."""
    if not is_ulid(record_id):
        raise NotFound()
    return _owned(store, kind.key(customer_id, record_id))


def owned_order(store: Store, customer_id: str, reference: str) -> Item:
    """The customer's order (reference normalised), items inside, one GetItem; else NotFound."""
    return _owned(store, keys.order_key(customer_id, reference))


@dataclass(frozen=True, slots=True)
class OrdersRows:
    profile: Item | None  # on the first page only: billing details and contacts
    orders: list[Item]  # order headers, newest first, at most `limit`
    next_cursor: str | None


def orders_page(
    store: Store, customer_id: str, query: PageQuery, *, cursors: Cursors
) -> OrdersRows:
    """One Query on lsi1: `pk = CUST#<id> AND begins_with(lsi1sk, "ORDERS#")`, descending. The
    profile's lsi1sk `ORDERS#~` sorts after every order, so the first page starts with it (one
    item more asked); later pages start after the cursor's order and carry orders only."""
    scope = ("orders", customer_id)
    start = None
    if query.cursor:
        position = cursors.open(scope, query.cursor, _ORDERS_AFTER)
        start = keys.orders_page_start(customer_id, position["at"], position["ref"])
    where = keys.orders_page_of(customer_id)
    result = store.query(
        partition=where.partition,
        sort_prefix=where.sort_prefix,
        index=where.index,
        limit=query.limit + 1 + (0 if start else 1),
        newest_first=True,
        start_key=start,
    )
    rows = result.items
    profile = None
    if rows and rows[0]["sk"] == keys.PROFILE_SK:
        profile, rows = rows[0], rows[1:]
    orders = rows[: query.limit]
    next_cursor = None
    if len(rows) > query.limit and orders:
        last = orders[-1]
        position = {"at": str(last["placedAt"]), "ref": str(last["reference"])}
        next_cursor = cursors.seal(scope, position)
    return OrdersRows(profile=profile, orders=orders, next_cursor=next_cursor)


def order_currency(store: Store, customer_id: str, reference: str | None) -> str | None:
    """The currency of the customer's order `reference` (None: no such order), one GetItem."""
    if not reference:
        return None
    item = store.get(keys.order_key(customer_id, reference))
    return str(item["currency"]) if item and item.get("currency") else None


def latest_order_currency(store: Store, customer_id: str) -> str | None:
    """The currency of the customer's newest order, one Query on lsi1 (the profile, then the
    newest order header)."""
    where = keys.orders_page_of(customer_id)
    result = store.query(
        partition=where.partition,
        sort_prefix=where.sort_prefix,
        index=where.index,
        limit=2,
        newest_first=True,
    )
    orders = [item for item in result.items if item["sk"] != keys.PROFILE_SK]
    return str(orders[0]["currency"]) if orders and orders[0].get("currency") else None
