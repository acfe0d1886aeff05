"""The pydantic models of what FastSpring sends (portal.fastspring.events): money as Decimal only,
FastSpring's extra fields ignored, its nulls accepted, the account as an id or an object, every
limit of a field enforced, and errors that say where without repeating the value."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from local import fastspring as fs
from portal.fastspring.events import (
    Event,
    Malformed,
    OrderCompleted,
    ReturnCreated,
    UnprocessedEvents,
    WebhookBatch,
    loads,
    read,
)


def order_data(**changes: Any) -> dict[str, Any]:
    """An order.completed `data` as the webhook reads it off the wire (Decimal amounts)."""
    event = fs.order_completed(email="ada@example.com", skus=["T-ENT-10", "S1Y-T-ENT-10"])
    data = loads(fs.batch(event))["events"][0]["data"]
    data.update(changes)
    return data


def refused(model: type, data: Any) -> str:
    with pytest.raises(Malformed) as caught:
        read(model, data)
    return str(caught.value)


# ---------------------------------------------------------------- money
@pytest.mark.parametrize("amount", [Decimal("704.11"), 5380, "12.34", Decimal(0)])
def test_exact_amounts_are_decimal(amount):
    # given an order total as JSON gives it (a Decimal with parse_float, or an integer)
    data = order_data(total=amount)
    # when read; then it is that exact Decimal
    total = read(OrderCompleted, data).total
    assert isinstance(total, Decimal) and total == Decimal(str(amount))


@pytest.mark.parametrize(
    "amount",
    [
        704.11,  # a float: the body was read without parse_float=Decimal
        float("nan"),  # json.loads reads NaN as a float
        float("inf"),
        Decimal("NaN"),
        Decimal("Infinity"),
        Decimal("1e15"),  # out of any real order's range
        Decimal("1e400"),
        Decimal("-0.01"),
        True,
        "seven",
        None,
    ],
)
def test_floats_nan_huge_negative_and_non_numbers_are_refused(amount):
    # given an order whose total is not an exact, sensible amount; when read; then refused
    assert refused(OrderCompleted, order_data(total=amount)).startswith("total")


def test_a_line_subtotal_follows_the_same_rules():
    # given an order line whose subtotal is a float
    data = order_data()
    data["items"][0]["subtotal"] = 12.5
    # when read; then refused, naming the line's subtotal
    assert refused(OrderCompleted, data).startswith("items.0.subtotal")


def test_json_numbers_become_decimal_through_loads():
    # given a body as FastSpring sends it; when loaded; then no float anywhere
    body = b'{"events": [{"data": {"total": 704.11, "tax": 1e2, "quantity": 3}}]}'
    data = loads(body)["events"][0]["data"]
    assert data == {"total": Decimal("704.11"), "tax": Decimal("1E+2"), "quantity": 3}


# ---------------------------------------------------------------- FastSpring's shape
def test_extra_fields_are_ignored_and_nulls_accepted():
    # given FastSpring's fields the portal does not read, and nulls where FastSpring sends them
    data = order_data(
        buyerReference=None,
        coupons=["WELCOME"],
        tags={"quote": "q1"},
        language=None,
        invoiceUrl=None,
        customer={"first": None, "last": None, "email": "ada@example.com", "company": None},
        address=None,
    )
    data["items"][0].update(sku=None, display=None, attributes=None, fulfillments={"x": 1})
    # when read
    order = read(OrderCompleted, data)
    # then it is accepted, the nulls as None, the extras gone
    assert order.language is None and order.invoice_url is None and order.address is None
    assert order.items[0].sku is None and order.items[0].attributes is None
    assert not hasattr(order, "coupons") and not hasattr(order.items[0], "fulfillments")
    # and the tags are kept as sent: portal.fastspring.upgrades reads and checks them
    assert order.tags == {"quote": "q1"}


def test_the_account_is_an_id_or_an_object():
    # given the account as FastSpring's id (webhook expansion off)
    by_id = read(OrderCompleted, order_data(account="uN4Ki1sQSSmb6w1qu4ktpA"))
    assert by_id.account == "uN4Ki1sQSSmb6w1qu4ktpA" and by_id.expanded_account is None
    # given the expanded account object
    expanded = read(OrderCompleted, order_data())
    assert expanded.expanded_account is not None
    assert expanded.expanded_account.contact is not None
    assert expanded.expanded_account.contact.email == "ada@example.com"
    assert expanded.expanded_account.address is not None
    assert expanded.expanded_account.address.city == "Leeds"
    # given neither: refused, and the error names the account
    assert refused(OrderCompleted, order_data(account=42)).startswith("account")
    assert refused(OrderCompleted, order_data(account="x" * 129)).startswith("account.id")


def test_contact_and_billing_address_take_each_field_from_the_order_else_the_account():
    # given an order whose own customer and address miss some fields the account has
    data = order_data(
        customer={"first": "Ada", "last": None, "email": None, "company": None},
        address={"country": None, "city": None},
    )
    data["account"] = {
        "contact": {"first": "A.", "last": "Lovelace", "email": "ada@example.com"},
        "address": {"city": "London"},
        "country": "GB",
    }
    # when read
    order = read(OrderCompleted, data)
    # then the order's values win, the account fills the gaps
    assert (order.contact.first, order.contact.last, order.contact.email) == (
        "Ada",
        "Lovelace",
        "ada@example.com",
    )
    assert (order.billing_address.city, order.billing_address.country) == ("London", "GB")


def test_the_order_id_comes_from_id_else_order():
    # given an order with `order` but no `id`, then with neither; when read; then the first
    # takes its id from `order`, the second is refused
    assert read(OrderCompleted, order_data(id=None, order="o-1")).order_id == "o-1"
    assert "order id" in refused(OrderCompleted, order_data(id=None, order=None))


def test_currency_is_three_letters_upper_cased():
    # given a lower-case currency; when read; then upper-cased; anything else is refused
    assert read(OrderCompleted, order_data(currency="eur")).currency == "EUR"
    for bad in ("EURO", "E1R", "", None, 978):
        assert refused(OrderCompleted, order_data(currency=bad)).startswith("currency")


@pytest.mark.parametrize(
    "change,where",
    [
        (lambda d: d.update(items=[]), "items"),
        (lambda d: d.update(items=[dict(d["items"][0]) for _ in range(51)]), "items"),
        (lambda d: d.pop("items"), "items"),
        (lambda d: d["items"][0].update(quantity=0), "items.0.quantity"),
        (lambda d: d["items"][0].update(quantity=10_001), "items.0.quantity"),
        (lambda d: d["items"][0].update(quantity=True), "items.0.quantity"),
        (lambda d: d["items"][0].update(quantity="2"), "items.0.quantity"),
        (lambda d: d["items"][0].update(quantity=Decimal("2.0")), "items.0.quantity"),
        (lambda d: d["items"][0].update(product=""), "items.0.product"),
        (lambda d: d["items"][0].update(sku="S" * 129), "items.0.sku"),
        (lambda d: d.update(reference=""), "reference"),
        (lambda d: d.update(reference="J" * 65), "reference"),
        (lambda d: d.update(changed=-1), "changed"),
        (lambda d: d.update(changed="1795800000000"), "changed"),
        (lambda d: d.update(language="x" * 17), "language"),
        (lambda d: d.update(invoiceUrl="h" * 2049), "invoiceUrl"),
        (lambda d: d.update(customer="ada"), "customer"),
        (lambda d: d.update(address={"city": "C" * 201}), "address.city"),
    ],
)
def test_every_limit_is_enforced(change, where):
    # given an order past one limit of a field
    data = order_data()
    change(data)
    # when read; then refused, naming that field
    assert refused(OrderCompleted, data).startswith(where)


def test_errors_say_where_never_the_value():
    # given a personal value that breaks a limit; when refused; then it is not repeated
    secret = "private-" + "x" * 300 + "@example.com"
    message = refused(OrderCompleted, order_data(customer={"email": secret}))
    assert message.startswith("customer.email") and "private" not in message


# ---------------------------------------------------------------- envelope and batch
def test_envelope_defaults_and_limits():
    # given a minimal envelope with nulls; then live is False, data empty
    event = read(Event, {"id": "e_1-A", "type": "order.completed", "live": None, "data": None})
    assert (event.live, event.created, event.data) == (False, None, {})
    # given envelopes past a limit (bad id, empty type, not a boolean, not millis, data not an
    # object); then each is refused
    for bad in (
        {"id": "has space", "type": "t"},
        {"id": "x" * 129, "type": "t"},
        {"id": "", "type": "t"},
        {"id": "e1", "type": ""},
        {"id": "e1", "type": "t", "live": "true"},
        {"id": "e1", "type": "t", "created": 1.5},
        {"id": "e1", "type": "t", "data": []},
    ):
        refused(Event, bad)


def test_only_objects_are_read_never_json_text():
    # given an event that is a JSON string rather than an object; then refused as such
    text = json.dumps({"id": "e1", "type": "order.completed"})
    assert refused(Event, text) == "an object is expected"
    assert refused(Event, ["e1"]) == "an object is expected"


def test_a_batch_holds_at_most_500_events_each_left_for_later():
    # given a batch of 500 events, some of them broken; when read; then it holds all 500 as
    # they came, each to be read on its own
    batch = read(WebhookBatch, {"events": [{"id": "bad id"}, 7] + [{}] * 498, "extra": 1})
    assert len(batch.events) == 500 and batch.events[1] == 7  # each event is read on its own
    # given 501 events, or events that are not a list; then the batch is refused
    assert refused(WebhookBatch, {"events": [{}] * 501}).startswith("events")
    assert refused(WebhookBatch, {"events": "x"}).startswith("events")
    assert refused(WebhookBatch, {}).startswith("events")


# ---------------------------------------------------------------- return.created
def test_return_created_defaults():
    # given a refund without line detail or quantities
    refund = read(
        ReturnCreated,
        {"id": "r1", "original": {"reference": "JWT1"}, "items": [{"sku": "T-ENT-1"}]},
    )
    # then a line's quantity is 1, and no items is an empty list
    assert refund.items[0].quantity == 1 and refund.original.reference == "JWT1"
    assert read(ReturnCreated, {"original": {}, "items": None}).items == []
    # given no original order, a zero quantity, or too many items; then refused
    assert refused(ReturnCreated, {"id": "r1"}).startswith("original")
    assert refused(ReturnCreated, {"original": {}, "items": [{"quantity": 0}]}).startswith(
        "items.0.quantity"
    )
    assert refused(ReturnCreated, {"original": {}, "items": [{}] * 51}).startswith("items")


# ---------------------------------------------------------------- the events API's answer
def test_the_unprocessed_events_answer():
    # given the events API's answer, with an extra field; when read; then its events and `more`
    answer = read(UnprocessedEvents, {"events": [{"id": "e1"}], "more": True, "result": "ok"})
    assert answer.events == [{"id": "e1"}] and answer.more is True
    assert read(UnprocessedEvents, {"events": None, "more": None}).more is False
    # given events that are not a list or `more` not a boolean; then refused
    assert refused(UnprocessedEvents, {"events": "e1"}).startswith("events")
    assert refused(UnprocessedEvents, {"events": [], "more": "yes"}).startswith("more")
