"""Recording a purchase outside FastSpring ingestion (the demo data, the test factories): the
customer (created when new), the order with its lookup, and the licenses and supports it grants -
one conditional transaction, all or nothing, through the same `commit_purchase` as the webhook."""

from __future__ import annotations

from collections.abc import Sequence

from portal.data.purchases import NewCustomer, Purchase, PurchaseResult, commit_purchase
from portal.data.store import Store
from portal.models import Customer, License, Order, Support


class PurchaseNotRecorded(Exception):
    """A record with one of the purchase's keys exists already: nothing was written."""

    def __init__(self, result: PurchaseResult) -> None:
        super().__init__(f"{result.outcome}: {', '.join(result.conflicts) or 'see outcome'}")
        self.result = result


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
    result = commit_purchase(
        store,
        Purchase(
            customer_id=customer_id,
            order=order,
            licenses=licenses,
            supports=supports,
            new_customer=NewCustomer(*new_customer) if new_customer else None,
        ),
    )
    if not result.committed:
        raise PurchaseNotRecorded(result)
