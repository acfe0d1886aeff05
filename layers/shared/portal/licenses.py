"""The customer's licenses and support contracts: one Query each, newest purchase first."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from portal import keys
from portal.ids import ULID_SHAPE
from portal.models import License, Page, Support
from portal.pagination import PageQuery, decode_cursor, encode_cursor
from portal.records import license_from_item, support_from_item
from portal.store import Item, Store

T = TypeVar("T")
_CURSOR_FIELDS = {"after": ULID_SHAPE}


def list_licenses(customer_id: str, query: PageQuery, *, store: Store) -> Page[License]:
    return _page(customer_id, keys.LICENSE_PREFIX, query, store, license_from_item, "licenseId")


def list_supports(customer_id: str, query: PageQuery, *, store: Store) -> Page[Support]:
    return _page(customer_id, keys.SUPPORT_PREFIX, query, store, support_from_item, "supportId")


def _page(
    customer_id: str,
    prefix: str,
    query: PageQuery,
    store: Store,
    to_model: Callable[[Item], T],
    id_field: str,
) -> Page[T]:
    start = None
    if query.cursor:
        after = decode_cursor(query.cursor, _CURSOR_FIELDS)["after"]
        start = {"pk": keys.customer_pk(customer_id), "sk": prefix + after}
    # One item more than asked tells whether a next page exists, in the same round trip.
    result = store.query(
        partition=("pk", keys.customer_pk(customer_id)),
        sort_prefix=("sk", prefix),
        limit=query.limit + 1,
        newest_first=True,
        start_key=start,
    )
    rows = result.items[: query.limit]
    more = len(result.items) > query.limit
    next_cursor = encode_cursor({"after": str(rows[-1][id_field])}) if more and rows else None
    return Page(items=[to_model(row) for row in rows], next_cursor=next_cursor)
