"""Paid upgrades in FastSpring ingestion (issue 8 item 3; API.md "Upgrades"; SECURITY.md 14, 17,
18): an order.completed whose tags name a valid, unexpired, unused quote adds the QUOTE's
workstations to its license exactly once, however often and however concurrently it arrives;
anything else is recorded and held for review with its reason; a refund takes the workstations
back; the product's next refresh and the next downloaded file carry the new count.

Quotes are real ones (portal.licensing.upgrades.quote, the server's price); the paid orders are
FastSpring-shaped events (local.fastspring.order_completed, its line and tags replaced as the
checkout session makes them: FASTSPRING.md "tags") delivered signed through the webhook handler."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from local import fastspring as fs
from portal import base64url
from portal.data import bindings, keys
from portal.data.quotes import quote_of
from portal.fastspring import upgrades as fulfilment
from portal.licensing import activation
from portal.licensing.upgrades import LICENSE_TAG, QUOTE_TAG
from portal.models import Quote
from tests.factories import LicenseSpec, OrderSpec, SupportSpec
from tests.support import (
    REMOTE_WORK,
    RW_SUPPORT,
    WEBHOOK_SECRET,
    activate,
    body_of,
    buyer,
    count_items,
    deliver,
    deliver_ok,
    deliver_raw,
    detail_upgrade,
    download,
    handler,
    license_now,
    listed,
    manage_license,
    order_detail,
    paid_order,
    quote_for,
    refresh,
    sign_in,
    stored_upgrade,
)

# 3 workstations, support for 365 more days (a year from the clock's now): 3 x (24.00 + 10.00)
PRICE = Decimal("102.00")


@pytest.fixture
def reported(monkeypatch) -> dict[str, list]:
    """What ingestion logs as warnings and counts for upgrades."""
    seen: dict[str, list] = {"warnings": [], "counts": []}
    monkeypatch.setattr(fulfilment, "count", lambda name, value=1: seen["counts"].append(name))
    monkeypatch.setattr(
        fulfilment.logger,
        "warning",
        lambda message, *args, extra=None, **kwargs: seen["warnings"].append((message, extra)),
    )
    return seen


def assert_held(store, customer, order, quote: Quote, reason: str, reported=None) -> None:
    """The order is recorded, its upgrade held with `reason`, the license untouched and the
    quote still as it was."""
    assert count_items(store, f"FSORDER#{order['data']['id']}") == 1
    assert license_now(store, customer, quote.license_id)["users"] == quote.current_workstations
    assert stored_upgrade(store, customer, order)["status"] == "held"
    assert stored_upgrade(store, customer, order)["reason"] == reason
    assert detail_upgrade(customer, order) == {"status": "held", "reason": reason}
    if reported is not None:
        assert reported["counts"] == ["UpgradeHeld"]
        assert reported["warnings"] == [
            ("upgrade held", {"reason": reason, "quote_id": order["data"]["tags"][QUOTE_TAG]})
        ]


# ---------------------------------------------------------------- applied
def test_a_paid_quote_adds_its_workstations_and_keeps_the_support_end(
    remote_work, store, clock, reported
):
    # given a quote for 3 more workstations on the 5-workstation license
    customer = remote_work
    before = license_now(store, customer)
    quote = quote_for(customer, store, clock)
    assert quote.price.amount == PRICE

    # when its checkout is paid
    order = paid_order(customer.email, quote)
    deliver_ok(order)

    # then the license has 8 workstations, its support end unchanged
    after = license_now(store, customer)
    assert after["users"] == 8
    assert after["supportUntil"] == before["supportUntil"] == "2027-11-27"
    assert after["supportId"] == before["supportId"]
    listed_license = listed("licenses", sign_in(customer))[0]
    assert (listed_license["users"], listed_license["support"]["until"]) == (8, "2027-11-27")
    # and the quote is used, paid by that order
    used = quote_of(store, customer.customer_id, quote.quote_id, consistent=True)
    assert (used.status, used.paid_by) == ("used", order["data"]["reference"])
    # and the line records the upgrade; the order detail shows it applied
    assert stored_upgrade(store, customer, order) == {
        "status": "applied",
        "reason": None,
        "quoteId": quote.quote_id,
        "licenseId": quote.license_id,
        "workstations": 3,
    }
    assert detail_upgrade(customer, order) == {"status": "applied", "reason": None}
    # and the license's history says it was upgraded
    history = body_of(manage_license("history", sign_in(customer), quote.license_id))["items"]
    assert [(h["event"], h["at"]) for h in history] == [("upgraded", "2026-11-27T09:00:00Z")]
    # and it was counted, with no warning
    assert reported == {"warnings": [], "counts": ["UpgradeApplied"]}


def test_the_order_detail_shows_upgrade_only_on_upgrade_lines(remote_work, store, clock):
    # given a paid upgrade order that also bought a license
    customer = remote_work
    quote = quote_for(customer, store, clock)
    extra = {"product": "rw-2", "sku": "RW-2", "quantity": 1, "subtotal": Decimal("158.00")}
    order = paid_order(customer.email, quote, lines=[extra])
    deliver_ok(order)

    # when its detail is read; then the upgrade line carries `upgrade`, the other none
    items = body_of(order_detail(sign_in(customer), order["data"]["reference"]))["items"]
    assert items[0]["upgrade"] == {"status": "applied", "reason": None}
    assert items[0]["quantity"] == 1 and items[0]["sku"] == "RW-UPG"
    assert "upgrade" not in items[1]
    # and the license the other line bought is there too; the upgrade is not an unknown SKU
    assert len(listed("licenses", sign_in(customer))) == 2
    stored = store.get(keys.order_key(customer.customer_id, order["data"]["reference"]))
    assert [line["unknownSku"] for line in stored["items"]] == [False, False]


def test_a_tampered_quantity_still_adds_the_quotes_workstations(remote_work, store, clock):
    # given a paid order of the quote whose line says quantity 50 (the price unchanged)
    customer = remote_work
    quote = quote_for(customer, store, clock)
    order = paid_order(customer.email, quote, quantity=50)

    # when delivered; then the quote's 3 workstations are added, never 50 (or 150)
    deliver_ok(order)
    assert license_now(store, customer)["users"] == 8
    assert stored_upgrade(store, customer, order)["workstations"] == 3


def test_the_applied_path_is_two_batch_reads_and_one_transaction(remote_work, store, clock, calls):
    # given a quote and its paid order
    customer = remote_work
    quote = quote_for(customer, store, clock)
    order = paid_order(customer.email, quote)

    # when delivered
    calls.clear()
    deliver_ok(order)

    # then: the FSORDER#/EMAIL# lookups; the profile with the quote and the license; and ONE
    # transaction (markers, profile, order, quote used, license grown, history entry)
    assert calls.operations == ["BatchGetItem", "BatchGetItem", "TransactWriteItems"]

    # and a redelivery reads the markers only (then records the event as a duplicate)
    calls.clear()
    deliver_ok({**order, "id": fs.new_id()})
    assert calls.operations == ["BatchGetItem", "PutItem"]


# ---------------------------------------------------------------- exactly once
def test_the_same_paid_order_10_times_one_id_and_3_times_new_ids_some_concurrently_adds_once(
    remote_work, store, clock, atomic_writes
):
    # given a paid order of a quote for 3 workstations
    customer = remote_work
    quote = quote_for(customer, store, clock)
    order = paid_order(customer.email, quote)
    resends = [{**order, "id": fs.new_id()} for _ in range(3)]  # manual re-sends: new ids

    # when it is delivered 10 times with its id and 3 times with new ids, 8 of them at once
    deliveries = [order] * 10 + resends
    handler("fastspring_webhook")  # imported once, before the threads
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(deliver, deliveries[:8]))
    answers += [deliver(e) for e in deliveries[8:]]

    # then all are acknowledged, each by its own id, and the license grew by 3 exactly once
    assert [answer["statusCode"] for answer in answers] == [200] * 13
    assert [answer["body"] for answer in answers] == [e["id"] for e in deliveries]
    assert license_now(store, customer)["users"] == 8
    assert count_items(store, "FSORDER#") == 1
    history = body_of(manage_license("history", sign_in(customer), quote.license_id))["items"]
    assert [h["event"] for h in history] == ["upgraded"]


def test_two_orders_paying_one_quote_at_once_apply_one_and_hold_the_other(
    remote_work, store, clock, atomic_writes
):
    # given two different orders paying the same quote (the buyer paid twice), each read
    # before either commits: both decide "applied", one transaction must lose
    customer = remote_work
    quote = quote_for(customer, store, clock)
    first, second = (paid_order(customer.email, quote) for _ in range(2))
    both_read = threading.Barrier(2, timeout=10)
    transactions = []

    def after_reading(**_: object) -> None:
        transactions.append(1)
        if len(transactions) <= 2:
            both_read.wait()

    handler("fastspring_webhook")  # imported once, before the threads
    hooks = store.client.meta.events
    hooks.register("before-call.dynamodb.TransactWriteItems", after_reading, unique_id="race")
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            answers = list(pool.map(deliver, [first, second]))
    finally:
        hooks.unregister("before-call.dynamodb.TransactWriteItems", unique_id="race")

    # then both orders are recorded (each acknowledged by its own id), the license grew once,
    # and the loser read again and was held as quote_used
    assert [(a["statusCode"], a["body"]) for a in answers] == [
        (200, first["id"]),
        (200, second["id"]),
    ]
    assert len(transactions) == 3  # two at once, then the loser's second decision
    assert license_now(store, customer)["users"] == 8
    outcomes = sorted(
        (stored_upgrade(store, customer, o)["status"], stored_upgrade(store, customer, o)["reason"])
        for o in (first, second)
    )
    assert outcomes == [("applied", None), ("held", "quote_used")]
    used = quote_of(store, customer.customer_id, quote.quote_id, consistent=True)
    winner = next(
        o for o in (first, second) if stored_upgrade(store, customer, o)["reason"] is None
    )
    assert used.paid_by == winner["data"]["reference"]


def test_a_second_payment_of_a_used_quote_is_held(remote_work, store, clock, reported):
    # given a quote paid once
    customer = remote_work
    quote = quote_for(customer, store, clock)
    deliver_ok(paid_order(customer.email, quote))
    reported["counts"].clear()

    # when another order pays it again
    again = paid_order(customer.email, quote)
    deliver_ok(again)

    # then that order is recorded and held as quote_used; the license stays at 8
    assert license_now(store, customer)["users"] == 8
    assert stored_upgrade(store, customer, again)["reason"] == "quote_used"
    assert detail_upgrade(customer, again) == {"status": "held", "reason": "quote_used"}
    assert reported["counts"] == ["UpgradeHeld"]


def test_a_license_bound_while_the_order_commits_is_read_again_and_upgraded(
    remote_work, store, clock
):
    # given a paid order, and the product activating the license between the order's reads and
    # its transaction (the history gets entry 1 first)
    customer = remote_work
    quote = quote_for(customer, store, clock)
    order = paid_order(customer.email, quote)
    interleaved: list[str] = []

    def activate_first(**_: object) -> None:
        if not interleaved:
            interleaved.append("bound")
            lic = bindings.licenses_of(store, customer.customer_id)[0]
            bound = replace(lic, computer_id="SRV-RW", computer_name="RW")
            notice = activation.activation_notice(
                customer.customer_id, bound, "activated", clock.now()
            )
            assert bindings.bind(store, customer.customer_id, bound, at=clock.now(), notice=notice)

    hooks = store.client.meta.events
    hooks.register("before-call.dynamodb.TransactWriteItems", activate_first, unique_id="bind")
    try:
        deliver_ok(order)
    finally:
        hooks.unregister("before-call.dynamodb.TransactWriteItems", unique_id="bind")

    # then the upgrade was decided again and applied once, numbered after the activation
    assert interleaved == ["bound"]
    lic = license_now(store, customer)
    assert (lic["users"], lic["computerId"], lic["historyLength"]) == (8, "SRV-RW", 2)
    history = body_of(manage_license("history", sign_in(customer), quote.license_id))["items"]
    assert [h["event"] for h in history] == ["upgraded", "activated"]  # newest first


# ---------------------------------------------------------------- held
@pytest.mark.parametrize("paid", [Decimal("101.99"), Decimal("1.00"), Decimal("102.01")])
def test_a_subtotal_other_than_the_quotes_price_is_held(remote_work, store, clock, reported, paid):
    customer = remote_work
    quote = quote_for(customer, store, clock)
    order = paid_order(customer.email, quote, subtotal=paid)
    deliver_ok(order)
    assert_held(store, customer, order, quote, "amount_mismatch", reported)
    assert quote_of(store, customer.customer_id, quote.quote_id, consistent=True).status == "open"


def test_the_same_price_written_differently_is_the_price(remote_work, store, clock):
    # given a paid subtotal of 102.000 (JSON 102.000 is the same Decimal value as 102.00)
    customer = remote_work
    quote = quote_for(customer, store, clock)
    order = paid_order(customer.email, quote)
    body = fs.batch(order).replace(b'"subtotal": 102', b'"subtotal": 102.000')
    assert b'"subtotal": 102.000' in body
    assert deliver_raw(body, fs.signature(WEBHOOK_SECRET, body))["statusCode"] == 200
    assert license_now(store, customer)["users"] == 8


def test_another_currency_is_held_even_for_the_same_amount(remote_work, store, clock, reported):
    customer = remote_work
    quote = quote_for(customer, store, clock)
    order = paid_order(customer.email, quote, currency="EUR")
    deliver_ok(order)
    assert_held(store, customer, order, quote, "amount_mismatch", reported)


@pytest.mark.parametrize(("hours", "held"), [(23.99, False), (24, True), (25, True)])
def test_an_order_placed_when_the_quote_has_expired_is_held(remote_work, store, clock, hours, held):
    # given a quote made now, and an order paying it `hours` later
    customer = remote_work
    quote = quote_for(customer, store, clock)
    clock.advance(hours=hours)
    order = paid_order(customer.email, quote, at=clock.now())

    # when delivered; then from 24 hours on it is held as quote_expired
    deliver_ok(order)
    if held:
        assert_held(store, customer, order, quote, "quote_expired")
    else:
        assert license_now(store, customer)["users"] == 8


def test_another_customers_quote_in_my_order_is_unknown_and_their_license_untouched(
    remote_work, make_customer, store, clock, reported
):
    # given another customer's quote (their license, their price)
    customer = remote_work
    other = make_customer(licenses=[REMOTE_WORK], supports=[RW_SUPPORT], currency="USD")
    theirs = quote_for(other, store, clock)

    # when my order carries their quote's tags at its exact price
    order = paid_order(customer.email, theirs)
    deliver_ok(order)

    # then my order is recorded and held as quote_unknown; nothing of theirs changed
    assert stored_upgrade(store, customer, order)["reason"] == "quote_unknown"
    assert stored_upgrade(store, customer, order)["workstations"] == 0
    assert detail_upgrade(customer, order) == {"status": "held", "reason": "quote_unknown"}
    assert license_now(store, other)["users"] == 5
    assert license_now(store, customer)["users"] == 5
    assert quote_of(store, other.customer_id, theirs.quote_id, consistent=True).status == "open"
    assert reported["counts"] == ["UpgradeHeld"]


def test_a_new_buyer_paying_a_quote_is_held_as_unknown(remote_work, store, clock):
    # given a quote, paid from an email the portal does not know
    customer = remote_work
    quote = quote_for(customer, store, clock)
    order = paid_order("stranger@example.com", quote)

    # when delivered; then the stranger's order is recorded (they become a customer), held
    deliver_ok(order)
    token = sign_in(buyer(order))
    body = body_of(order_detail(token, order["data"]["reference"]))
    assert body["items"][0]["upgrade"] == {"status": "held", "reason": "quote_unknown"}
    assert license_now(store, customer)["users"] == 5


@pytest.mark.parametrize(
    "tags",
    [
        None,
        {},
        "portalQuoteId=X",
        {QUOTE_TAG: "not-a-ulid", LICENSE_TAG: "01ARZ3NDEKTSV4RRFFQ69G5FAV"},
        {QUOTE_TAG: "quote"},
        {LICENSE_TAG: "license"},
        {QUOTE_TAG: ["list"], LICENSE_TAG: {"obj": 1}},
    ],
)
def test_missing_or_malformed_tags_hold_the_upgrade_as_unknown(remote_work, store, clock, tags):
    customer = remote_work
    quote = quote_for(customer, store, clock)
    order = paid_order(customer.email, quote, tags=tags)
    deliver_ok(order)
    assert stored_upgrade(store, customer, order)["reason"] == "quote_unknown"
    assert license_now(store, customer)["users"] == 5


def test_tags_naming_another_license_than_the_quotes_are_held(make_customer, store, clock):
    # given a customer with two Remote Work licenses and a quote for the first
    customer = make_customer(
        licenses=[replace(REMOTE_WORK, serial="RW0001"), replace(REMOTE_WORK, serial="RW0002")],
        supports=[replace(RW_SUPPORT, serial="RW0001"), replace(RW_SUPPORT, serial="RW0002")],
        currency="USD",
    )
    quote = quote_for(customer, store, clock)
    other = customer.license_ids[1]

    # when the paid order's tags name the second license
    order = paid_order(customer.email, quote, tags={QUOTE_TAG: quote.quote_id, LICENSE_TAG: other})
    deliver_ok(order)

    # then it is held as license_changed: neither license grew
    assert_held(store, customer, order, quote, "license_changed")
    assert license_now(store, customer, other)["users"] == 5


def test_a_license_refunded_before_the_payment_is_held(remote_work, store, clock):
    # given a quote, then a refund of the order that bought the license
    customer = remote_work
    quote = quote_for(customer, store, clock)
    deliver_ok(fs.return_created(reference=customer.order_number))
    assert license_now(store, customer) is None

    # when the quote is paid
    order = paid_order(customer.email, quote)
    deliver_ok(order)

    # then the order is recorded and held as license_changed; no license came back
    assert stored_upgrade(store, customer, order)["reason"] == "license_changed"
    assert detail_upgrade(customer, order) == {"status": "held", "reason": "license_changed"}
    assert license_now(store, customer) is None
    assert count_items(store, f"CUST#{customer.customer_id}") > 0  # the order is there
    assert quote_of(store, customer.customer_id, quote.quote_id, consistent=True).status == "open"


def test_two_quotes_that_together_pass_the_maximum_hold_the_second(make_customer, store, clock):
    # given a 495-workstation license (the product's maximum is 500) and two quotes of 5 each,
    # both fine when made
    big = LicenseSpec(software="Remote Work", edition=None, users=495, upgradable=True)
    customer = make_customer(
        licenses=[big], supports=[SupportSpec("Remote Work", None, 495, 1)], currency="USD"
    )
    first, second = quote_for(customer, store, clock, 5), quote_for(customer, store, clock, 5)

    # when both are paid
    deliver_ok(paid_order(customer.email, first))
    order = paid_order(customer.email, second)
    deliver_ok(order)

    # then the license stops at 500 and the second is held (the license is not what was quoted)
    assert license_now(store, customer)["users"] == 500
    assert stored_upgrade(store, customer, order)["reason"] == "license_changed"


def test_an_upgrade_and_a_renewal_of_the_same_license_in_one_order_both_apply(
    remote_work, store, clock
):
    # given a paid upgrade order that also renews the license's support for a year
    customer = remote_work
    quote = quote_for(customer, store, clock)
    serial = customer.licenses[0].serial_number
    renewal = {
        "product": "s1y-rw-5",
        "sku": "S1Y-RW-5",
        "quantity": 1,
        "subtotal": Decimal("59.25"),
        "attributes": {"serialNumber": serial},
    }
    order = paid_order(customer.email, quote, lines=[renewal])

    # when delivered; then the license has 8 workstations and support a year longer
    deliver_ok(order)
    lic = license_now(store, customer)
    assert (lic["users"], lic["supportUntil"]) == (8, "2028-11-27")


# ---------------------------------------------------------------- reaching the product
def test_the_next_refresh_and_the_next_downloaded_file_carry_the_new_count(
    remote_work, store, clock
):
    # given the Remote Work license activated by the product on SRV-RW (5 workstations)
    customer = remote_work
    first = body_of(activate(customer.activation_key, "SRV-RW", "Remote Work"))
    assert file_payload(first["licenseFile"])["license"]["users"] == 5

    # when a quote for 3 more is paid
    quote = quote_for(customer, store, clock)
    deliver_ok(paid_order(customer.email, quote))

    # then the product's next refresh carries 8 workstations
    answer = body_of(refresh(customer.activation_key, "SRV-RW"))
    assert file_payload(answer["licenseFile"])["license"]["users"] == 8
    assert [lic["users"] for lic in answer["licenses"]] == [8]
    # and so does the next downloaded file
    response = download("licenses", sign_in(customer), quote.license_id)
    assert response["statusCode"] == 200, response
    assert file_payload(response["body"])["license"]["users"] == 8


def file_payload(license_file: str) -> dict[str, Any]:
    return json.loads(base64url.decode(json.loads(license_file)["payload"]))


# ---------------------------------------------------------------- refunds
def test_a_refund_of_an_applied_upgrade_takes_the_workstations_back_once(remote_work, store, clock):
    # given an applied upgrade (5 -> 8)
    customer = remote_work
    quote = quote_for(customer, store, clock)
    order = paid_order(customer.email, quote)
    deliver_ok(order)
    assert license_now(store, customer)["users"] == 8

    # when FastSpring refunds the upgrade order, then sends the refund twice more (once with a
    # new event id)
    refund = fs.return_created(reference=order["data"]["reference"])
    deliver_ok(refund)
    deliver_ok(refund)
    deliver_ok({**refund, "id": fs.new_id()})

    # then the license is back at 5, once; the line says reverted and the order refunded
    assert license_now(store, customer)["users"] == 5
    assert stored_upgrade(store, customer, order)["status"] == "reverted"
    assert detail_upgrade(customer, order) == {"status": "reverted", "reason": None}
    orders = {o["reference"]: o["status"] for o in listed("orders", sign_in(customer))}
    assert orders[order["data"]["reference"]] == "refunded"
    # and the license's support end is unchanged
    assert license_now(store, customer)["supportUntil"] == "2027-11-27"


def test_a_refund_naming_the_upgrade_line_takes_the_workstations_back(remote_work, store, clock):
    customer = remote_work
    quote = quote_for(customer, store, clock)
    order = paid_order(customer.email, quote)
    deliver_ok(order)
    deliver_ok(fs.return_created(reference=order["data"]["reference"], skus=["RW-UPG"]))
    assert license_now(store, customer)["users"] == 5
    assert stored_upgrade(store, customer, order)["status"] == "reverted"


def test_a_refund_of_a_held_upgrade_changes_no_license(remote_work, store, clock):
    # given an upgrade held for a wrong amount
    customer = remote_work
    quote = quote_for(customer, store, clock)
    order = paid_order(customer.email, quote, subtotal=Decimal("1.00"))
    deliver_ok(order)

    # when that order is refunded
    deliver_ok(fs.return_created(reference=order["data"]["reference"]))

    # then the license keeps its 5 workstations and the line stays held
    assert license_now(store, customer)["users"] == 5
    assert stored_upgrade(store, customer, order)["status"] == "held"


def test_a_refund_after_the_license_was_refunded_too_has_nothing_to_take_back(
    remote_work, store, clock
):
    # given an applied upgrade, then the license's own order refunded (the license revoked)
    customer = remote_work
    quote = quote_for(customer, store, clock)
    order = paid_order(customer.email, quote)
    deliver_ok(order)
    deliver_ok(fs.return_created(reference=customer.order_number))
    assert license_now(store, customer) is None

    # when the upgrade order is refunded; then it completes and the line says reverted
    deliver_ok(fs.return_created(reference=order["data"]["reference"]))
    assert stored_upgrade(store, customer, order)["status"] == "reverted"
    assert license_now(store, customer) is None


def test_a_refunded_upgrade_shrinks_only_its_license(make_customer, store, clock):
    # given a customer with two orders (the Remote Work license in the second) and an upgrade
    customer = make_customer(
        licenses=[("TSplus", "Enterprise", 10)],
        orders=[OrderSpec(licenses=[REMOTE_WORK], supports=[RW_SUPPORT], currency="USD")],
    )
    rw = customer.licenses[1].license_id
    quote = quote_for(customer, store, clock, 2, license_id=rw)
    assert quote.price.currency == "USD"
    order = paid_order(customer.email, quote)
    deliver_ok(order)
    assert license_now(store, customer, rw)["users"] == 7

    # when it is refunded; then only that license shrinks back
    deliver_ok(fs.return_created(reference=order["data"]["reference"]))
    assert license_now(store, customer, rw)["users"] == 5
    assert license_now(store, customer)["users"] == 10
