"""Demo data: the user guide's customer (its five licenses, each bound to an invented computer,
seven supports and six orders, plus one never-activated license bought through a reseller) and a
second customer (its Remote Work license bound to SRV-TEST-RWORK) so isolation is visible.
Written through portal.orders.purchases.record_purchase, which commits with
portal.data.purchases.commit_purchase as the FastSpring webhook does.
Purchases from 2020 in the guide are moved to 2025-2026 so their supports are current; the
2016-2019 orders keep the guide's dates, totals and items."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal

from portal.accounts.customers import new_customer
from portal.clock import plus_years
from portal.config import Settings
from portal.data.store import Store
from portal.ids import new_ulid
from portal.models import (
    BillingDetails,
    Contact,
    Customer,
    License,
    Money,
    Order,
    OrderItem,
    Support,
    SupportCoverage,
    coverage_by_serial,
)
from portal.orders.purchases import record_purchase

DEMO_EMAIL = "demo@example.com"
DEMO_ORDER = "JWT160930-9510-42210"
SECOND_EMAIL = "ana.mueller@example.de"
SECOND_ORDER = "JWT241105-4410-77215"

# The demo customers' activation keys are fixed (and public: local demo data only), so that the
# local stack can print them and `make activate` can use them; real customers get 100 random bits.
DEMO_ACTIVATION_KEY = "DEM0-CAM1-NKEY-0000-0001"
SECOND_ACTIVATION_KEY = "DEM0-ANAM-2KEY-0000-0002"

DEMO_SIGN_INS = [
    {
        "name": "Camille Martin (the user guide's customer)",
        "email": DEMO_EMAIL,
        "orderNumber": DEMO_ORDER,
        "activationKey": DEMO_ACTIVATION_KEY,
    },
    {
        "name": "Ana Müller (second customer)",
        "email": SECOND_EMAIL,
        "orderNumber": SECOND_ORDER,
        "activationKey": SECOND_ACTIVATION_KEY,
    },
]


@dataclass(frozen=True)
class Line:
    """One purchased line: a license (years=0) or a support contract."""

    serial: str
    users: int
    years: int = 0
    software: str = "TSplus"
    edition: str | None = "Enterprise"
    computer: str | None = None  # the computer it is bound to (its id, also its name here)
    upgradable: bool = False


def _at(day: str, time: str = "10:00:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{time}+00:00").astimezone(UTC)


def _sku(line: Line) -> str:
    base = f"RW-{line.users}" if line.software == "Remote Work" else f"T-ENT-{line.users}"
    return f"S{line.years}Y-{base}" if line.years else base


def _product(line: Line) -> str:
    what = (
        f"TSplus Remote Work - {line.users} workstations"
        if line.software == "Remote Work"
        else f"TSplus {line.edition} edition - {line.users} users"
    )
    if line.years:
        return (
            f"Update/Support services for {what} - {line.years} year{'s' if line.years > 1 else ''}"
        )
    return what


# (reference, placed at, currency, [(line, subtotal)]) - the guide's Orders page.
DEMO_ORDERS = [
    (
        "JWT160930-9510-42210",
        _at("2016-09-30", "14:12:03"),
        "EUR",
        [(Line("P62", 5, computer="LYON-TS-2016"), "260.81"), (Line("P62", 5, years=1), "52.16")],
    ),
    (
        "JWT170925-2231-18874",
        _at("2017-09-25", "09:31:40"),
        "USD",
        [(Line("P6E", 10, computer="LYON-TS-2017"), "308.00")],
    ),
    (
        "JWT171011-6402-30915",
        _at("2017-10-11", "16:05:12"),
        "EUR",
        [(Line("P24", 5, years=1), "43.26")],
    ),
    (
        "JWT181019-1187-55302",
        _at("2018-10-19", "11:47:55"),
        "USD",
        [(Line("P24", 25, computer="LYON-FARM-01"), "440.00")],
    ),
    (
        "JWT181106-7745-20418",
        _at("2018-11-06", "08:20:31"),
        "EUR",
        [(Line("P24", 25, years=2), "467.41")],
    ),
    (
        "JWT190529-3058-61127",
        _at("2019-05-29", "08:46:18"),
        "EUR",
        [
            (Line("P65", 10, computer="PARIS-RDS-01"), "601.80"),
            (Line("P65", 10, years=1), "102.31"),
        ],
    ),
]
# Bought through a reseller (Partners / Resellers): no FastSpring order on the Orders page. The
# last one (P88) was never activated: the product's first activation with the demo key takes it.
DEMO_RESELLER = [
    ("11408", date(2025, 1, 27), Line("P30", 3, computer="LAPTOP-CM-03")),
    ("11408220", date(2025, 1, 27), Line("P30", 3, years=3)),
    ("RS260603-0042", date(2026, 6, 3), Line("P65", 10, years=1)),
    ("RS260603-0042", date(2026, 6, 3), Line("PF3", 25, years=1)),
    ("RS261020-0107", date(2026, 10, 20), Line("P88", 5)),
]

SECOND_ORDERS = [
    (
        "JWT241105-4410-77215",
        _at("2024-11-05", "13:02:44"),
        "USD",
        [
            (
                Line(
                    "999999",
                    5,
                    software="Remote Work",
                    edition=None,
                    computer="SRV-TEST-RWORK",
                    upgradable=True,
                ),
                "395.00",
            ),
            (Line("999999", 5, years=3, software="Remote Work", edition=None), "177.75"),
        ],
    ),
    (
        "JWT250312-0718-33904",
        _at("2025-03-12", "10:15:00"),
        "EUR",
        [(Line("P71", 5), "260.81"), (Line("P71", 5, years=2), "96.40")],
    ),
]


def _support(line: Line, reference: str, bought: datetime) -> Support:
    return Support(
        support_id=new_ulid(bought),
        software=line.software,
        serial_number=line.serial,
        users=line.users,
        edition=line.edition,
        order_number=reference,
        purchased_on=bought.date(),
        duration_years=line.years,
        expires_on=plus_years(bought.date(), line.years),
    )


def _license(
    line: Line, reference: str, bought: datetime, coverage: SupportCoverage | None
) -> License:
    return License(
        license_id=new_ulid(bought),
        software=line.software,
        serial_number=line.serial,
        computer_name=line.computer,
        computer_id=line.computer,
        days=None,
        users=line.users,
        edition=line.edition,
        order_number=reference,
        purchased_on=bought.date(),
        support=coverage,
        upgradable=line.upgradable,
    )


def _seed_customer(
    store: Store,
    settings: Settings,
    customer: Customer,
    activation_key: str,
    orders: list[tuple[str, datetime, str, list[tuple[Line, str]]]],
    reseller: list[tuple[str, date, Line]],
) -> None:
    bought_lines = [(ref, at, line) for ref, at, _, lines in orders for line, _ in lines] + [
        (ref, datetime(day.year, day.month, day.day, 9, tzinfo=UTC), line)
        for ref, day, line in reseller
    ]
    supports = [(_support(line, ref, at), line) for ref, at, line in bought_lines if line.years]
    latest = coverage_by_serial(sup for sup, _ in supports)

    def grants(ref: str) -> tuple[list[License], list[Support]]:
        lics = [
            _license(line, ref, at, latest.get(line.serial))
            for r, at, line in bought_lines
            if r == ref and not line.years
        ]
        sups = [sup for sup, _ in supports if sup.order_number == ref]
        return lics, sups

    first = True
    for reference, placed, currency, lines in orders:
        items = tuple(
            OrderItem(
                product=_product(line),
                sku=_sku(line),
                quantity=1,
                subtotal=Money(Decimal(amount), currency),
            )
            for line, amount in lines
        )
        total = Money(sum((item.subtotal.amount for item in items), Decimal("0")), currency)
        order = Order(
            reference=reference,
            placed_at=placed,
            total=total,
            items=items,
            fastspring_id=f"demo-{reference.lower()}",
            # the buyer's details as each order gave them (the profile keeps the first's)
            billing=replace(customer.billing, date=placed.date()) if customer.billing else None,
            contact=replace(customer.contacts[0], date=placed.date())
            if customer.contacts
            else None,
        )
        lics, sups = grants(reference)
        sealed = new_customer(customer, settings, activation_key=activation_key) if first else None
        record_purchase(store, customer.customer_id, order, lics, sups, new_customer=sealed)
        first = False
    for reference in dict.fromkeys(ref for ref, _, _ in reseller):
        lics, sups = grants(reference)
        record_purchase(store, customer.customer_id, None, lics, sups)


def seed(store: Store, settings: Settings) -> None:
    demo = Customer(
        customer_id=new_ulid(_at("2016-09-30")),
        email=DEMO_EMAIL,
        name="Camille Martin",
        language="fr",
        activation_key_sealed="",
        billing=BillingDetails(
            date=date(2016, 9, 30), name="Martin Informatique SARL", country="FR", city="Lyon"
        ),
        contacts=(
            Contact(
                date=date(2016, 9, 30), first_name="Camille", last_name="Martin", email=DEMO_EMAIL
            ),
        ),
    )
    second = Customer(
        customer_id=new_ulid(_at("2024-11-05")),
        email=SECOND_EMAIL,
        name="Ana Müller",
        language="de",
        activation_key_sealed="",
        billing=BillingDetails(
            date=date(2024, 11, 5), name="Müller IT GmbH", country="DE", city="München"
        ),
        contacts=(
            Contact(
                date=date(2024, 11, 5), first_name="Ana", last_name="Müller", email=SECOND_EMAIL
            ),
        ),
    )
    _seed_customer(store, settings, demo, DEMO_ACTIVATION_KEY, DEMO_ORDERS, DEMO_RESELLER)
    _seed_customer(store, settings, second, SECOND_ACTIVATION_KEY, SECOND_ORDERS, [])
