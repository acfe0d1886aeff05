"""Upgrade pricing (docs/pricing.md): worked examples computed by hand, the refusals, and
properties over many inputs (hypothesis) - the price grows with workstations and with days left,
is never negative, is rounded half-up once at the end, adds up with its breakdown, and depends on
nothing but its inputs."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.currencies import minor_units, round_minor
from portal.errors import BadRequest, NoRunningSupport, TooManyWorkstations
from portal.licensing import pricing
from portal.orders.catalog import Catalog, catalog_document
from portal.orders.catalog_document import validated_default_catalog

TODAY = date(2026, 12, 1)
UPGRADE = validated_default_catalog().upgrade_of("Remote Work")
assert UPGRADE is not None


def price(added: int, days: int, currency: str = "USD", current: int = 5) -> pricing.Priced:
    return pricing.price_upgrade(
        UPGRADE,
        currency=currency,
        current_workstations=current,
        added=added,
        support_until=TODAY + timedelta(days=days),
        today=TODAY,
    )


# ---------------------------------------------------------------- worked examples (by hand)
@pytest.mark.parametrize(
    ("added", "days", "currency", "expected", "support_part"),
    [
        # the guide's example: 3 workstations, 350 days left, USD 24.00 + 10.00/year
        # 3 x 24.00 = 72.00; 3 x 10.00 x 350 / 365 = 28.767123...; 100.767123 -> 100.77
        (3, 350, "USD", "100.77", "28.77"),
        # the second demo customer's acceptance: 3 added, 339 days left (2026-12-01 to 2027-11-05)
        # 72.00 + 30.00 x 339 / 365 = 72.00 + 27.863013... = 99.863013 -> 99.86
        (3, 339, "USD", "99.86", "27.86"),
        # one workstation, one day: 24.00 + 10.00 / 365 = 24.027397 -> 24.03
        (1, 1, "USD", "24.03", "0.03"),
        # EUR 22.00 + 9.20/year, 10 added, a full year: 220.00 + 92.00 = 312.00 exactly
        (10, 365, "EUR", "312.00", "92.00"),
        # GBP 19.00 + 8.00/year, 7 added, 100 days: 133.00 + 56 x 100 / 365 = 133 + 15.342465
        (7, 100, "GBP", "148.34", "15.34"),
        # half-up at the boundary: USD, 1 added, 73 days: 24.00 + 10 x 73 / 365 = 26.00 exactly
        (1, 73, "USD", "26.00", "2.00"),
    ],
)
def test_worked_examples(added, days, currency, expected, support_part):
    priced = price(added, days, currency)
    assert priced.price.amount == Decimal(expected)
    assert priced.price.currency == currency
    license_line, support_line = priced.breakdown
    assert (license_line.kind, support_line.kind) == ("license", "support")
    assert license_line.quantity == support_line.quantity == added
    assert license_line.days is None and support_line.days == days
    assert support_line.amount.amount == Decimal(support_part)
    assert license_line.amount.amount + support_line.amount.amount == priced.price.amount


def test_half_up_not_bankers_rounding():
    # 0.125 rounds to 0.13 half-up (banker's rounding would give 0.12); 2.5 yen to 3
    assert round_minor(Decimal("0.125"), "USD") == Decimal("0.13")
    assert round_minor(Decimal("0.135"), "USD") == Decimal("0.14")
    assert round_minor(Decimal("100.765"), "EUR") == Decimal("100.77")
    assert round_minor(Decimal("2.5"), "JPY") == Decimal("3")
    assert round_minor(Decimal("1.2345"), "BHD") == Decimal("1.235")


# ---------------------------------------------------------------- refusals
@pytest.mark.parametrize("added", [0, -1, 1001, True, 2.5, "3", None])
def test_the_number_added_is_a_whole_number_from_1_to_1000(added):
    with pytest.raises(BadRequest):
        price(added, 100)


def test_the_result_is_at_most_the_catalogs_maximum():
    # the catalog allows 500 workstations on a Remote Work license: 5 + 495 is fine, 5 + 496 is not
    assert price(495, 100).price.amount > 0
    with pytest.raises(TooManyWorkstations) as refused:
        price(496, 100)
    assert refused.value.status == 400 and "500" in refused.value.message


@pytest.mark.parametrize("days", [0, -1, -400])
def test_no_running_support_cannot_be_priced(days):
    with pytest.raises(NoRunningSupport):
        price(3, days)
    with pytest.raises(NoRunningSupport):
        pricing.price_upgrade(
            UPGRADE,
            currency="USD",
            current_workstations=5,
            added=3,
            support_until=None,
            today=TODAY,
        )


def test_the_currency_is_the_licenses_order_then_the_latest_order_then_the_default():
    assert pricing.quote_currency(UPGRADE, "EUR", "GBP") == "EUR"
    assert pricing.quote_currency(UPGRADE, None, "GBP") == "GBP"
    assert pricing.quote_currency(UPGRADE, "CHF", "gbp") == "GBP"  # CHF is not priced
    assert pricing.quote_currency(UPGRADE, None, None) == "USD"
    assert pricing.quote_currency(UPGRADE, "CHF", "SEK") == "USD"


# ---------------------------------------------------------------- properties
added_counts = st.integers(min_value=1, max_value=495)
days_left = st.integers(min_value=1, max_value=5 * 365)
currencies = st.sampled_from(sorted(UPGRADE.prices))


@settings(max_examples=300, deadline=None)
@given(added=added_counts, days=days_left, currency=currencies)
def test_the_price_is_the_formula_rounded_once(added, days, currency):
    units = UPGRADE.prices[currency]
    exact = added * (units.license_unit + units.support_unit_per_year * days / Decimal(365))
    step = Decimal(1).scaleb(-minor_units(currency))
    priced = price(added, days, currency)
    assert priced.price.amount == exact.quantize(step, rounding=ROUND_HALF_UP)
    assert abs(priced.price.amount - exact) <= step / 2
    assert priced.price.amount.as_tuple().exponent == -minor_units(currency)
    assert sum(line.amount.amount for line in priced.breakdown) == priced.price.amount


@settings(max_examples=200, deadline=None)
@given(added=st.integers(min_value=1, max_value=494), days=days_left, currency=currencies)
def test_the_price_grows_with_workstations(added, days, currency):
    assert price(added + 1, days, currency).price.amount > price(added, days, currency).price.amount


@settings(max_examples=200, deadline=None)
@given(
    added=added_counts, days=st.integers(min_value=1, max_value=5 * 365 - 1), currency=currencies
)
def test_the_price_never_falls_with_more_days_left(added, days, currency):
    # one more day adds supportUnitPerYear x added / 365 before rounding: never less, and more
    # once rounding allows (10.00 / 365 is under a cent for one workstation)
    assert (
        price(added, days + 1, currency).price.amount >= price(added, days, currency).price.amount
    )
    assert (
        price(added, days + 365, currency).price.amount > price(added, days, currency).price.amount
    )


@settings(max_examples=200, deadline=None)
@given(added=added_counts, days=days_left, currency=currencies)
def test_the_price_is_positive_and_deterministic(added, days, currency):
    first, second = price(added, days, currency), price(added, days, currency)
    assert first == second
    assert first.price.amount > 0
    assert all(line.amount.amount >= 0 for line in first.breakdown)


def test_unit_prices_come_from_the_catalog_data():
    # given a catalog document whose USD prices double; then the quote doubles (data, not code)
    document = catalog_document()
    prices = document["upgrades"][0]["prices"]["USD"]
    prices["licenseUnit"] = str(Decimal(prices["licenseUnit"]) * 2)
    prices["supportUnitPerYear"] = str(Decimal(prices["supportUnitPerYear"]) * 2)
    doubled = Catalog(document).upgrade_of("Remote Work")
    assert doubled is not None
    priced = pricing.price_upgrade(
        doubled,
        currency="USD",
        current_workstations=5,
        added=3,
        support_until=TODAY + timedelta(days=350),
        today=TODAY,
    )
    assert priced.price.amount == Decimal("201.53")  # 144.00 + 57.534246 -> 201.53
