"""Money on the wire (API.md: `{"amount": "704.11", "currency": "EUR"}`): an amount always
carries its currency's ISO 4217 minor units - "601.80", "1120.00", none for JPY, three for BHD -
whatever digits FastSpring's JSON numbers arrived with; more digits are rounded half-up."""

from __future__ import annotations

from decimal import Decimal

import pytest

from local import fastspring as fs
from portal.edge.contract.common import MoneyOut
from portal.models import Money
from tests.support import body_of, buyer, deliver, listed, order_detail, sign_in


def money_order(currency: str, lines: list[Decimal], total: Decimal) -> dict:
    order = fs.order_completed(
        email=f"money.{currency.lower()}@example.com",
        skus=[f"T-ENT-{n}" for n in range(1, len(lines) + 1)],
        currency=currency,
    )
    for item, subtotal in zip(order["data"]["items"], lines, strict=True):
        item["subtotal"] = subtotal
    order["data"]["subtotal"] = sum(lines, Decimal(0))
    order["data"]["total"] = total
    return order


@pytest.mark.parametrize(
    "currency,lines,total,shown_lines,shown_total",
    [
        # FastSpring sends JSON numbers: 601.80 arrives as 601.8, 1120.00 as 1120
        ("EUR", ["601.8", "102.31"], "1120", ["601.80", "102.31"], "1120.00"),
        ("EUR", ["10.235", "0.5"], "1120.0", ["10.24", "0.50"], "1120.00"),
        ("JPY", ["4500", "500.5"], "5400", ["4500", "501"], "5400"),
        ("BHD", ["12.5", "1"], "13.5", ["12.500", "1.000"], "13.500"),
    ],
)
def test_amounts_carry_the_currencys_minor_units_on_both_order_pages(
    aws, currency, lines, total, shown_lines, shown_total
):
    # given an order delivered by FastSpring with amounts as JSON numbers
    order = money_order(currency, [Decimal(x) for x in lines], Decimal(total))
    assert deliver(order)["statusCode"] == 200
    token = sign_in(buyer(order))

    # when the customer opens the orders page and the order
    page = listed("orders", token)
    one = body_of(order_detail(token, order["data"]["reference"]))

    # then every amount has exactly the currency's minor units
    assert [o["total"] for o in page] == [{"amount": shown_total, "currency": currency}]
    assert one["total"] == {"amount": shown_total, "currency": currency}
    assert [line["subtotal"]["amount"] for line in one["items"]] == shown_lines


@pytest.mark.parametrize(
    "amount,currency,shown",
    [
        ("601.8", "EUR", "601.80"),
        ("1120.0", "EUR", "1120.00"),
        ("1120", "USD", "1120.00"),
        ("704.11", "EUR", "704.11"),
        ("0.005", "EUR", "0.01"),  # half-up
        ("0.0049", "EUR", "0.00"),
        ("-12.345", "EUR", "-12.35"),  # half away from zero for refunds too
        ("-0.001", "EUR", "0.00"),  # never "-0.00"
        ("1E+3", "EUR", "1000.00"),
        ("5000", "JPY", "5000"),
        ("5000.5", "JPY", "5001"),
        ("5000.00", "KRW", "5000"),
        ("1.25", "BHD", "1.250"),
        ("1.2345", "KWD", "1.235"),
        ("1", "CLF", "1.0000"),
        ("9.99", "eur", "9.99"),
        ("7", "XYZ", "7.00"),  # unknown currency: two minor units
    ],
)
def test_the_amount_formatter(amount, currency, shown):
    # given an amount in a currency; when written for the wire; then with its minor units
    assert MoneyOut.of(Money(Decimal(amount), currency)).amount == shown
