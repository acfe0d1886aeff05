"""The customer's orders page (billing details, contacts, orders newest first) in one Query on
lsi1, and one order with its items in one GetItem."""

from __future__ import annotations

import re
from dataclasses import dataclass

from portal.data import keys
from portal.data.cursors import PageQuery, decode_cursor, encode_cursor
from portal.data.items import customer_from_item, order_from_item
from portal.data.store import Store
from portal.errors import NotFound
from portal.models import BillingDetails, Contact, Order

_CURSOR_FIELDS = {
    "at": re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"),
    "ref": re.compile(r"^[A-Z0-9][A-Z0-9\-]{0,63}$"),
}


@dataclass(slots=True)
class OrdersPage:
    billing: BillingDetails | None
    contacts: tuple[Contact, ...]
    orders: list[Order]
    next_cursor: str | None


def list_orders(customer_id: str, query: PageQuery, *, store: Store) -> OrdersPage:
    """The first page starts with the profile (lsi1sk ORDERS#~ sorts after every order), so
    billing and contacts come in the same Query; later pages carry orders only."""
    pk = keys.customer_pk(customer_id)
    start = None
    if query.cursor:
        position = decode_cursor(query.cursor, _CURSOR_FIELDS)
        start = {
            "pk": pk,
            "sk": keys.ORDER_PREFIX + position["ref"],
            "lsi1sk": keys.order_lsi_sort(position["at"], position["ref"]),
        }
    wanted = query.limit + 1 + (0 if start else 1)
    result = store.query(
        partition=("pk", pk),
        sort_prefix=("lsi1sk", keys.ORDERS_LSI_PREFIX),
        index=keys.LSI1,
        limit=wanted,
        newest_first=True,
        start_key=start,
    )
    rows = result.items
    billing: BillingDetails | None = None
    contacts: tuple[Contact, ...] = ()
    if rows and rows[0]["sk"] == keys.PROFILE_SK:
        profile = customer_from_item(rows[0])
        billing, contacts = profile.billing, profile.contacts
        rows = rows[1:]
    orders = [order_from_item(row) for row in rows[: query.limit]]
    next_cursor = None
    if len(rows) > query.limit and orders:
        last = rows[query.limit - 1]
        next_cursor = encode_cursor({"at": str(last["placedAt"]), "ref": str(last["reference"])})
    return OrdersPage(billing=billing, contacts=contacts, orders=orders, next_cursor=next_cursor)


def order_detail(customer_id: str, reference: str, *, store: Store) -> Order:
    """reference arrives normalised; another customer's order is NotFound like a missing one."""
    item = store.get(keys.order_key(customer_id, reference))
    if item is None:
        raise NotFound()
    return order_from_item(item)
