"""Reading a customer's licenses and supports whole, for ingestion (a renewal finds the license it
extends; a refund finds the support dates that remain). Pages of 100 until the end: one Query
per page, never a Scan."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from portal.data import keys
from portal.data.items import license_from_item, support_from_item
from portal.data.store import Item, Store
from portal.models import License, Support

PAGE = 100


def _all(store: Store, customer_id: str, prefix: str) -> Iterator[Item]:
    start: dict[str, str] | None = None
    while True:
        page = store.query(
            partition=("pk", keys.customer_pk(customer_id)),
            sort_prefix=("sk", prefix),
            limit=PAGE,
            start_key=start,
        )
        yield from page.items
        if not page.last_key:
            return
        start = {"pk": str(page.last_key["pk"]), "sk": str(page.last_key["sk"])}


def all_licenses(store: Store, customer_id: str) -> list[License]:
    return [license_from_item(item) for item in _all(store, customer_id, keys.LICENSE_PREFIX)]


def all_supports(store: Store, customer_id: str) -> list[Support]:
    return [support_from_item(item) for item in _all(store, customer_id, keys.SUPPORT_PREFIX)]


def present(store: Store, wanted: Sequence[keys.Key]) -> list[Item]:
    """The items of `wanted` that exist, in that order (consistent reads, 100 keys a call)."""
    found: list[Item] = []
    for start in range(0, len(wanted), PAGE):
        found += [item for item in store.get_many(wanted[start : start + PAGE]) if item]
    return found
