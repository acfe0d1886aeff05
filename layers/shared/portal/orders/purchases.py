"""Recording a purchase: the customer (created when new), the order with its lookup, and the
licenses and supports it grants - one conditional transaction, all or nothing. The FastSpring
webhook, the demo data and the test factories all write through here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from portal.accounts import customers
from portal.data.items import license_to_item, order_reference_item, order_to_item, support_to_item
from portal.data.store import Store
from portal.models import Customer, License, Order, Support

Part = tuple[str, dict[str, Any]]


def purchase_parts(
    customer_id: str,
    order: Order | None,
    licenses: Sequence[License],
    supports: Sequence[Support],
    store: Store,
) -> list[Part]:
    absent = "attribute_not_exists(pk)"
    parts: list[Part] = []
    if order is not None:
        parts.append(
            ("Put", store.put_request(order_to_item(customer_id, order), condition=absent))
        )
        parts.append(
            (
                "Put",
                store.put_request(
                    order_reference_item(order.reference, customer_id), condition=absent
                ),
            )
        )
    parts += [
        ("Put", store.put_request(license_to_item(customer_id, lic), condition=absent))
        for lic in licenses
    ]
    parts += [
        ("Put", store.put_request(support_to_item(customer_id, sup), condition=absent))
        for sup in supports
    ]
    return parts


def record_purchase(
    store: Store,
    customer_id: str,
    order: Order | None,
    licenses: Sequence[License] = (),
    supports: Sequence[Support] = (),
    *,
    new_customer: tuple[Customer, str] | None = None,
) -> None:
    """new_customer: (customer with sealed key, activation key in clear) when creating one."""
    parts: list[Part] = []
    if new_customer is not None:
        parts += customers.create_customer_parts(new_customer[0], new_customer[1], store)
    parts += purchase_parts(customer_id, order, licenses, supports, store)
    store.transact(parts)
