"""What adding workstations to a license costs (docs/pricing.md has the worked examples).

Per added workstation: `licenseUnit + supportUnitPerYear x daysLeft / 365`, with `daysLeft` from
today to the end of the license's support and the unit prices of the currency from the catalog
(`portal.orders.catalog.Upgrade`). Everything is `Decimal`; the price is rounded half-up to the
currency's minor unit (portal.currencies) once, at the end. Unit prices are whole minor units
(the catalog's model checks it), so the license part `N x licenseUnit` is exact and the
breakdown's support amount is the price minus it: the breakdown always adds up to the price.

Plain code: the upgrade-quote function is one a person waits on (no validation library)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from portal.currencies import round_minor
from portal.errors import BadRequest, NoRunningSupport, TooManyWorkstations
from portal.models import Money, PriceLine
from portal.orders.catalog import Upgrade

DAYS_PER_YEAR = 365
MAX_ADDED = 1000  # workstations one quote may add


@dataclass(frozen=True, slots=True)
class Priced:
    price: Money
    breakdown: tuple[PriceLine, ...]
    days_left: int


def days_left(support_until: date | None, today: date) -> int:
    """Days of support still running (0 when there is none or it has ended)."""
    return max((support_until - today).days, 0) if support_until else 0


def quote_currency(
    upgrade: Upgrade, license_order_currency: str | None, latest_order_currency: str | None
) -> str:
    """The license's original order currency, else the customer's latest order's, else the
    catalog's default: the first of them the catalog prices."""
    for currency in (license_order_currency, latest_order_currency):
        if currency and currency.upper() in upgrade.prices:
            return currency.upper()
    return upgrade.default_currency


def check(
    upgrade: Upgrade,
    *,
    current_workstations: int,
    added: int,
    support_until: date | None,
    today: date,
) -> int:
    """The days of support left, once `added` workstations can be priced: BadRequest (not 1 to
    MAX_ADDED), TooManyWorkstations (beyond the product's maximum), NoRunningSupport."""
    if isinstance(added, bool) or not isinstance(added, int) or not 1 <= added <= MAX_ADDED:
        raise BadRequest(f"additionalWorkstations must be a whole number from 1 to {MAX_ADDED}.")
    if current_workstations + added > upgrade.max_workstations:
        raise TooManyWorkstations(upgrade.max_workstations)
    left = days_left(support_until, today)
    if left <= 0:
        raise NoRunningSupport()
    return left


def price_upgrade(
    upgrade: Upgrade,
    *,
    currency: str,
    current_workstations: int,
    added: int,
    support_until: date | None,
    today: date,
) -> Priced:
    """The price of `added` workstations on a license of `current_workstations` whose support
    runs until `support_until` (see `check`)."""
    left = check(
        upgrade,
        current_workstations=current_workstations,
        added=added,
        support_until=support_until,
        today=today,
    )
    units = upgrade.prices[currency]
    license_amount = units.license_unit * added
    support_exact = units.support_unit_per_year * added * left / DAYS_PER_YEAR
    price = round_minor(license_amount + support_exact, currency)
    return Priced(
        price=Money(price, currency),
        breakdown=(
            PriceLine(
                "license",
                added,
                Money(units.license_unit, currency),
                None,
                Money(license_amount, currency),
            ),
            PriceLine(
                "support",
                added,
                Money(units.support_unit_per_year, currency),
                left,
                Money(price - license_amount, currency),
            ),
        ),
        days_left=left,
    )
