"""Customers: the signed-in customer's profile, and a new customer's activation key (the customer
itself is written with its first purchase: portal.data.purchases)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from portal.aws.sealing import seal, unseal
from portal.config import Settings
from portal.data import keys
from portal.data.items import customer_from_item
from portal.data.store import Store
from portal.errors import NotFound
from portal.ids import new_activation_key
from portal.models import Customer


@dataclass(frozen=True, slots=True)
class Me:
    email: str
    name: str
    language: str
    activation_key: str


def me(customer_id: str, *, store: Store, settings: Settings) -> Me:
    item = store.get(keys.customer_profile(customer_id))
    if item is None:
        raise NotFound()
    customer = customer_from_item(item)
    return Me(
        email=customer.email,
        name=customer.name,
        language=customer.language,
        activation_key=unseal(customer.activation_key_sealed, settings, context=customer_id),
    )


def new_customer(
    customer: Customer, settings: Settings, *, activation_key: str | None = None
) -> tuple[Customer, str]:
    """Give a customer (activation_key_sealed empty) a fresh activation key, sealed (a given
    `activation_key` only for the local demo data, whose keys are printed at start)."""
    activation_key = activation_key or new_activation_key()
    sealed = seal(activation_key, settings, context=customer.customer_id)
    return replace(customer, activation_key_sealed=sealed), activation_key
