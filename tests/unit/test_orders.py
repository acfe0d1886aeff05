"""The orders page and order details per API.md and the user guide's Orders page."""

from __future__ import annotations

import pytest

from tests.support import body_of, event, invoke, session_token

DEMO = {"email": "demo@example.com", "orderNumber": "JWT160930-9510-42210"}
SECOND = {"email": "ana.mueller@example.de", "orderNumber": "JWT241105-4410-77215"}


def sign_in(who: dict) -> str:
    return session_token(invoke("login", event("login", body=who)))


def orders(token: str, query: dict | None = None) -> dict:
    return invoke("list_orders", event("list_orders", token=token, query=query or {}))


def detail(token: str, reference: str) -> dict:
    ev = event("order_detail", token=token)
    ev["pathParameters"] = {"reference": reference}
    ev["rawPath"] = ev["requestContext"]["http"]["path"] = f"/api/orders/{reference}"
    return invoke("order_detail", ev)


def test_the_guides_orders_page(seeded):
    page = body_of(orders(sign_in(DEMO)))
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
            "email": "demo@example.com",
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
    assert page["items"][-1]["reference"] == "JWT160930-9510-42210"
    assert page["nextCursor"] is None


def test_orders_page_through_with_the_cursor(seeded):
    token = sign_in(DEMO)
    first = body_of(orders(token, {"limit": "4"}))
    assert len(first["items"]) == 4 and first["billing"] is not None
    second = body_of(orders(token, {"limit": "4", "cursor": first["nextCursor"]}))
    assert len(second["items"]) == 2 and second["nextCursor"] is None
    refs = [o["reference"] for o in first["items"] + second["items"]]
    assert len(set(refs)) == 6


def test_order_details_as_in_the_guide(seeded):
    body = body_of(detail(sign_in(DEMO), "jwt190529-3058-61127"))
    assert body["reference"] == "JWT190529-3058-61127"
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


def test_another_customers_order_is_404_like_a_missing_one(seeded):
    token = sign_in(SECOND)
    theirs = detail(token, "JWT190529-3058-61127")
    missing = detail(token, "JWT000000-0000-00000")
    assert theirs["statusCode"] == missing["statusCode"] == 404
    assert theirs["body"] == missing["body"]


@pytest.mark.parametrize("reference", ["JWT%2F..%2FPROFILE", "a;b", "x" * 70])
def test_malformed_references_are_400(seeded, reference):
    assert detail(sign_in(DEMO), reference)["statusCode"] == 400


def test_orders_need_a_session(seeded):
    assert orders(None)["statusCode"] == 401
    assert detail(None, "JWT190529-3058-61127")["statusCode"] == 401


def test_order_pages_are_one_session_read_and_one_data_read(seeded, calls):
    token = sign_in(DEMO)
    calls.clear()
    assert orders(token, {"limit": "3"})["statusCode"] == 200
    assert calls.operations == ["UpdateItem", "Query"]
    assert all(scanned == count for scanned, count in calls.query_counts)
    calls.clear()
    assert detail(token, "JWT190529-3058-61127")["statusCode"] == 200
    assert calls.operations == ["UpdateItem", "GetItem"]
