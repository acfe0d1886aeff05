"""Customers with purchases in one line, written through the same code as the FastSpring webhook
and the demo data: portal.accounts.customers.new_customer (a sealed activation key) and
portal.orders.purchases.record_purchase (customer, order, order lookup, licenses, supports in one
transaction). A test that makes its own customer depends on no demo total.

    customer = make_customer(store, settings,
                             licenses=[("TSplus", "Enterprise", 10)],
                             supports=[("TSplus", "Enterprise", 10, 1)])
    token = sign_in(customer)                     # tests.support
    customer.license_ids, customer.order_number, customer.activation_key, ...

In tests the `make_customer` fixture (tests/conftest.py) is this function with the store and the
settings already given: `customer = make_customer(licenses=[...])`. Over HTTP,
`stack_factory(stack)` gives the same for a running LocalStack.

Shorthands: a license is ("TSplus", "Enterprise", 10) = (software, edition, users) or a
LicenseSpec; a support is ("TSplus", "Enterprise", 10, 1) = (software, edition, users, years) or a
SupportSpec; more orders are OrderSpecs. What a purchase becomes:

- The top-level licenses / supports / placed_at / reference / currency form the customer's first
  order; `orders` follow it. Orders are placed in the order given: one day apart by default, the
  last one at the clock's now (portal.dependencies.clock(), so the `clock` fixture moves it).
- Every license and support is one order line (SKU, product name and price as FastSpring's
  stand-in local/fastspring.py makes them), and the line's `granted` names what it granted, as
  the webhook records it, so refunds revoke it.
- Within an order, later entries are 1 ms newer: lists (newest first) show them last-given first.
- A support without a serial binds to the license of the same software and users made in the same
  call (the latest such), else gets a fresh serial. It runs from its purchase day for `years`
  years; a license's support date is the latest end among the supports of its serial.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from local import fastspring as fs
from portal.accounts.customers import new_customer
from portal.clock import plus_years
from portal.config import Settings
from portal.data import keys
from portal.data.store import Store
from portal.ids import new_serial_number, new_ulid
from portal.models import (
    BillingDetails,
    Contact,
    Customer,
    License,
    Money,
    Order,
    OrderItem,
    Support,
    coverage_by_serial,
)
from portal.orders.purchases import record_purchase
from portal.types import normalize_email

# SKU stems of the catalog (layers/shared/portal/orders/catalog.json) per (software, edition).
_SKU_STEMS = {
    ("TSplus", "Enterprise"): "T-ENT",
    ("TSplus", "Mobile Web"): "T-MW",
    ("TSplus", "Desktop"): "T-DSK",
    ("Remote Work", None): "RW",
}


@dataclass(frozen=True)
class LicenseSpec:
    software: str = "TSplus"
    edition: str | None = "Enterprise"
    users: int = 10
    serial: str | None = None  # None: a fresh serial number (P + 6 characters)
    computer: str | None = None  # bound to this computer (its id and its name); None: free
    upgradable: bool = False
    days: int | None = None  # None: perpetual


@dataclass(frozen=True)
class SupportSpec:
    software: str = "TSplus"
    edition: str | None = "Enterprise"
    users: int = 10
    years: int = 1
    serial: str | None = None  # None: bound to a license made in the same call, else fresh


LicenseLike = LicenseSpec | tuple[Any, ...]
SupportLike = SupportSpec | tuple[Any, ...]


@dataclass(frozen=True)
class OrderSpec:
    """One more order. placed_at: a datetime, "YYYY-MM-DD" (10:00 UTC) or ISO text; None = the
    default spacing (see the module's docstring). reference: None = a fresh JWTyymmdd-… one."""

    licenses: Sequence[LicenseLike] = ()
    supports: Sequence[SupportLike] = ()
    placed_at: datetime | str | None = None
    reference: str | None = None
    currency: str = "EUR"


@dataclass(frozen=True)
class MadeCustomer:
    """What make_customer wrote: the ids, email, order numbers and activation key to assert on."""

    customer_id: str
    email: str
    name: str
    language: str
    activation_key: str  # in clear; the store holds it sealed
    orders: tuple[Order, ...]  # as given: the first order first
    licenses: tuple[License, ...]  # as given, across the orders
    supports: tuple[Support, ...]
    billing: BillingDetails | None = None
    contacts: tuple[Contact, ...] = field(default=())

    @property
    def order_number(self) -> str:
        """The first order's reference: with the email, what the customer signs in with."""
        return self.orders[0].reference

    @property
    def order_numbers(self) -> list[str]:
        return [order.reference for order in self.orders]

    @property
    def credentials(self) -> dict[str, str]:
        """The sign-in body: {"email", "orderNumber"} (tests.support.sign_in takes the customer)."""
        return {"email": self.email, "orderNumber": self.order_number}

    @property
    def license_ids(self) -> list[str]:
        return [lic.license_id for lic in self.licenses]

    @property
    def support_ids(self) -> list[str]:
        return [sup.support_id for sup in self.supports]


def make_customer(
    store: Store,
    settings: Settings,
    *,
    email: str | None = None,
    name: str = "Sam Taylor",
    language: str = "en",
    licenses: Sequence[LicenseLike] = (),
    supports: Sequence[SupportLike] = (),
    placed_at: datetime | str | None = None,
    reference: str | None = None,
    currency: str = "EUR",
    orders: Sequence[OrderSpec] = (),
    company: str | None = None,
    country: str | None = "GB",
    city: str | None = "Leeds",
) -> MadeCustomer:
    """A new customer (email: a fresh customer.<hex>@example.com unless given) with these
    purchases; see the module's docstring for what they become. The first order is made when it
    grants something or when no `orders` are given: every customer can sign in."""
    first = OrderSpec(licenses, supports, placed_at, reference, currency)
    specs = [first, *orders] if (licenses or supports or not orders) else list(orders)
    moments = _moments(specs)
    email = normalize_email(email or f"customer.{secrets.token_hex(4)}@example.com")
    customer_id = new_ulid(moments[0])
    first_name, _, last_name = name.partition(" ")
    billing = BillingDetails(
        date=moments[0].date(), name=company or name, country=country, city=city
    )
    contacts = (
        Contact(date=moments[0].date(), first_name=first_name, last_name=last_name, email=email),
    )
    sealed, activation_key = new_customer(
        Customer(
            customer_id=customer_id,
            email=email,
            name=name,
            language=language,
            activation_key_sealed="",
            billing=billing,
            contacts=contacts,
        ),
        settings,
    )

    bought: list[tuple[int, License | Support]] = []  # (order index, record), in order given
    made_orders: list[Order] = []
    for index, (spec, at) in enumerate(zip(specs, moments, strict=True)):
        ref = spec.reference or fs.new_reference(at)
        lines: list[tuple[License | Support, str | None]] = []
        instant = at
        for lic_like in spec.licenses:
            lic = _license(_as_license(lic_like), ref, instant)
            bought.append((index, lic))
            lines.append((lic, _sku(lic.software, lic.edition, lic.users, 0)))
            instant += timedelta(milliseconds=1)
        for sup_like in spec.supports:
            sup_spec = _as_support(sup_like)
            serial = sup_spec.serial or _bound_serial(sup_spec, bought)
            sup = _support(sup_spec, serial, ref, instant)
            bought.append((index, sup))
            lines.append((sup, _sku(sup.software, sup.edition, sup.users, sup.duration_years)))
            instant += timedelta(milliseconds=1)
        order = _order(ref, at, spec.currency, lines)
        # each order carries its buyer's details, as the webhook's do
        made_orders.append(
            replace(
                order,
                billing=replace(billing, date=at.date()),
                contact=replace(contacts[0], date=at.date()),
            )
        )

    latest = coverage_by_serial(record for _, record in bought if isinstance(record, Support))
    covered = [
        (
            index,
            replace(record, support=latest[record.serial_number])
            if isinstance(record, License) and record.serial_number in latest
            else record,
        )
        for index, record in bought
    ]
    for index, order in enumerate(made_orders):
        mine = [record for i, record in covered if i == index]
        record_purchase(
            store,
            customer_id,
            order,
            [r for r in mine if isinstance(r, License)],
            [r for r in mine if isinstance(r, Support)],
            new_customer=(sealed, activation_key) if index == 0 else None,
        )
    return MadeCustomer(
        customer_id=customer_id,
        email=email,
        name=name,
        language=language,
        activation_key=activation_key,
        orders=tuple(made_orders),
        licenses=tuple(r for _, r in covered if isinstance(r, License)),
        supports=tuple(r for _, r in covered if isinstance(r, Support)),
        billing=billing,
        contacts=contacts,
    )


CustomerFactory = Callable[..., MadeCustomer]


def factory(store: Store, settings: Settings) -> CustomerFactory:
    """make_customer with the store and settings given (what the `make_customer` fixture is)."""
    return partial(make_customer, store, settings)


def stack_factory(stack: Any) -> CustomerFactory:
    """make_customer writing into a running local.stack.LocalStack (its moto, its table)."""
    from portal.config import settings_from

    return factory(Store(stack.table_name), settings_from(stack.environment))


# ---------------------------------------------------------------- building the records
def _moments(specs: Sequence[OrderSpec]) -> list[datetime]:
    from portal import dependencies

    now = dependencies.clock().now()
    last = len(specs) - 1
    return [
        _when(spec.placed_at) if spec.placed_at is not None else now - timedelta(days=last - i)
        for i, spec in enumerate(specs)
    ]


def _when(value: datetime | str) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("placed_at needs an aware datetime")
        return value.astimezone(UTC)
    if len(value) == 10:
        value += "T10:00:00+00:00"
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _as_license(value: LicenseLike) -> LicenseSpec:
    return value if isinstance(value, LicenseSpec) else LicenseSpec(*value)


def _as_support(value: SupportLike) -> SupportSpec:
    return value if isinstance(value, SupportSpec) else SupportSpec(*value)


def _bound_serial(spec: SupportSpec, bought: list[tuple[int, License | Support]]) -> str:
    same = [
        record.serial_number
        for _, record in bought
        if isinstance(record, License)
        and (record.software, record.users) == (spec.software, spec.users)
    ]
    return same[-1] if same else new_serial_number()


def _license(spec: LicenseSpec, reference: str, at: datetime) -> License:
    return License(
        license_id=new_ulid(at),
        software=spec.software,
        serial_number=spec.serial or new_serial_number(),
        computer_name=spec.computer,
        computer_id=spec.computer,
        days=spec.days,
        users=spec.users,
        edition=spec.edition,
        order_number=reference,
        purchased_on=at.date(),
        support=None,
        upgradable=spec.upgradable,
    )


def _support(spec: SupportSpec, serial: str, reference: str, at: datetime) -> Support:
    return Support(
        support_id=new_ulid(at),
        software=spec.software,
        serial_number=serial,
        users=spec.users,
        edition=spec.edition,
        order_number=reference,
        purchased_on=at.date(),
        duration_years=spec.years,
        expires_on=plus_years(at.date(), spec.years),
    )


def _sku(software: str, edition: str | None, users: int, years: int) -> str | None:
    stem = _SKU_STEMS.get((software, edition))
    if stem is None:
        return None
    return f"S{years}Y-{stem}-{users}" if years else f"{stem}-{users}"


def _order(
    reference: str, at: datetime, currency: str, lines: list[tuple[License | Support, str | None]]
) -> Order:
    items = tuple(
        OrderItem(
            product=(sku or record.software).lower(),
            sku=sku,
            quantity=1,
            subtotal=Money(fs.list_price(sku) if sku else Decimal("50.00"), currency),
            display=fs.display_name(sku) if sku else record.software,
            granted=(
                keys.LICENSE_PREFIX + record.license_id
                if isinstance(record, License)
                else keys.SUPPORT_PREFIX + record.support_id,
            ),
        )
        for record, sku in lines
    )
    total = sum((item.subtotal.amount for item in items), Decimal("0"))
    return Order(
        reference=reference,
        placed_at=at,
        total=Money(total, currency),
        items=items,
        fastspring_id=f"test-{reference.lower()}",
        invoice_url=fs.invoice_url(reference),
    )
