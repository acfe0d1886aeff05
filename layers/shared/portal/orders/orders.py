"""The customer's orders page (billing details, contacts, orders newest first) in one Query on
lsi1, and one order with its items in one GetItem."""

from __future__ import annotations

from dataclasses import dataclass

from portal.data import records
from portal.data.cursors import Cursors, PageQuery
from portal.data.items import customer_from_item, order_from_item
from portal.data.store import Store
from portal.models import BillingDetails, Contact, Order


@dataclass(slots=True)
class OrdersPage:
    billing: BillingDetails | None
    contacts: tuple[Contact, ...]
    orders: list[Order]
    next_cursor: str | None


def list_orders(
    customer_id: str, query: PageQuery, *, store: Store, cursors: Cursors
) -> OrdersPage:
    """The first page carries billing details and contacts (the profile comes in the same Query,
    portal.data.records.orders_page); later pages carry orders only."""
    rows = records.orders_page(store, customer_id, query, cursors=cursors)
    billing: BillingDetails | None = None
    contacts: tuple[Contact, ...] = ()
    if rows.profile is not None:
        profile = customer_from_item(rows.profile)
        billing, contacts = profile.billing, profile.contacts
    return OrdersPage(
        billing=billing,
        contacts=contacts,
        orders=[order_from_item(row) for row in rows.orders],
        next_cursor=rows.next_cursor,
    )


def order_detail(customer_id: str, reference: str, *, store: Store) -> Order:
    """reference arrives normalised; another customer's order is NotFound like a missing one."""
    return order_from_item(records.owned_order(store, customer_id, reference))
