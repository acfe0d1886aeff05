"""The orders page and order details per API.md and the user guide's Orders page.

The guide's customer (the demo data) is used where the point is the guide's Orders page and its
order details; paging, isolation and the rest make the customers they need
(tests/factories.py)."""

from __future__ import annotations

import base64

import pytest

from tests.factories import OrderSpec
from tests.support import (
    DEMO,
    DEMO_EMAIL,
    DEMO_NEWEST_ORDER,
    DEMO_ORDER,
    DEMO_ORDER_REFERENCES,
    body_of,
    call,
    order_detail,
    sign_in,
)


def orders_of(count: int) -> list[OrderSpec]:
    """`count` orders of one license each, one day apart."""
    return [OrderSpec(licenses=[("TSplus", "Enterprise", 5)]) for _ in range(count)]


# ---------------------------------------------------------------- the guide's Orders page
def test_the_guides_orders_page(seeded):
    # given the guide's customer (the point: the guide's Orders page)
    token = sign_in(DEMO)

    # when they open the orders page
    page = body_of(call("list_orders", token))

    # then the guide's billing details, contact and six orders, newest first, on one page
    assert page["billing"] == {
        "date": "2016-09-30",
        "name": "Martin Informatique SARL",
        "country": "FR",
        "city": "Lyon",
    }
    assert page["contacts"] == [
        {
            "date": "2016-09-30",
            "firstName": "Camille",
            "lastName": "Martin",
            "email": DEMO_EMAIL,
        }
    ]
    assert [(o["date"], o["total"]["currency"], o["total"]["amount"]) for o in page["items"]] == [
        ("2019-05-29", "EUR", "704.11"),
        ("2018-11-06", "EUR", "467.41"),
        ("2018-10-19", "USD", "440.00"),
        ("2017-10-11", "EUR", "43.26"),
        ("2017-09-25", "USD", "308.00"),
        ("2016-09-30", "EUR", "312.97"),
    ]
    assert [o["reference"] for o in page["items"]] == DEMO_ORDER_REFERENCES
    assert page["items"][-1]["reference"] == DEMO_ORDER
    assert page["nextCursor"] is None


def test_order_details_as_in_the_guide(seeded):
    # given the guide's customer (the point: the guide's order details)
    token = sign_in(DEMO)

    # when they open their newest order, its reference typed in lower case
    body = body_of(order_detail(token, DEMO_NEWEST_ORDER.lower()))

    # then the guide's order: its reference, time, total and two lines
    assert body["reference"] == DEMO_NEWEST_ORDER
    assert body["placedAt"] == "2019-05-29T08:46:18Z"
    assert body["total"] == {"amount": "704.11", "currency": "EUR"}
    assert body["items"] == [
        {
            "product": "TSplus Enterprise edition - 10 users",
            "sku": "T-ENT-10",
            "quantity": 1,
            "subtotal": {"amount": "601.80", "currency": "EUR"},
        },
        {
            "product": "Update/Support services for TSplus Enterprise edition - 10 users - 1 year",
            "sku": "S1Y-T-ENT-10",
            "quantity": 1,
            "subtotal": {"amount": "102.31", "currency": "EUR"},
        },
    ]


# ---------------------------------------------------------------- paging and isolation
def test_orders_page_through_with_the_cursor(make_customer):
    # given a customer with six orders
    customer = make_customer(orders=orders_of(6))
    token = sign_in(customer)

    # when they read the orders page four at a time, following the cursor
    first = body_of(call("list_orders", token, {"limit": "4"}))
    second = body_of(call("list_orders", token, {"limit": "4", "cursor": first["nextCursor"]}))

    # then four orders with the billing details, then the last two, each order once
    assert len(first["items"]) == 4 and first["billing"] is not None
    assert len(second["items"]) == 2 and second["nextCursor"] is None
    refs = [o["reference"] for o in first["items"] + second["items"]]
    assert len(set(refs)) == 6
    assert refs == customer.order_numbers[::-1]


def test_the_orders_cursor_shows_no_order_number_and_is_only_the_customers(make_customer):
    # given a customer with six orders and the cursor after their fourth newest
    customer = make_customer(orders=orders_of(6))
    other = make_customer(orders=orders_of(2))
    cursor = body_of(call("list_orders", sign_in(customer), {"limit": "4"}))["nextCursor"]

    # then neither the cursor nor its decoded bytes hold any order number or its parts
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    for reference in customer.order_numbers:
        for part in reference.split("-"):
            assert part not in cursor and part.encode() not in raw
    # and another customer presenting it is refused with 400
    response = call("list_orders", sign_in(other), {"cursor": cursor})
    assert response["statusCode"] == 400
    assert body_of(response)["error"]["code"] == "invalid_cursor"


def test_another_customers_order_is_404_like_a_missing_one(make_customer):
    # given two customers, the second signed in
    customer, other = make_customer(), make_customer()
    token = sign_in(other)

    # when the second asks for the first one's order and for an order that does not exist
    theirs = order_detail(token, customer.order_number)
    missing = order_detail(token, "JWT000000-0000-00000")

    # then both are the same 404
    assert theirs["statusCode"] == missing["statusCode"] == 404
    assert theirs["body"] == missing["body"]


@pytest.mark.parametrize("reference", ["JWT%2F..%2FPROFILE", "a;b", "x" * 70])
def test_malformed_references_are_400(make_customer, reference):
    # given a signed-in customer, when they ask for a malformed reference, then 400
    token = sign_in(make_customer())
    assert order_detail(token, reference)["statusCode"] == 400


def test_orders_need_a_session(make_customer):
    # given a customer, when their orders are asked for without a session, then 401
    customer = make_customer()
    assert call("list_orders", None)["statusCode"] == 401
    assert order_detail(None, customer.order_number)["statusCode"] == 401


def test_order_pages_are_one_session_read_and_one_data_read(make_customer, calls):
    # given a signed-in customer with more orders than a page of three
    customer = make_customer(orders=orders_of(4))
    token = sign_in(customer)

    # when they read a page of three orders, then one session read and one Query answered it,
    # examining only what it returned
    calls.clear()
    assert call("list_orders", token, {"limit": "3"})["statusCode"] == 200
    assert calls.operations == ["UpdateItem", "Query"]
    assert all(scanned == count for scanned, count in calls.query_counts)

    # when they open one order, then one session read and one GetItem
    calls.clear()
    assert order_detail(token, customer.order_numbers[-1])["statusCode"] == 200
    assert calls.operations == ["UpdateItem", "GetItem"]
