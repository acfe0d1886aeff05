"""FastSpring webhooks (SECURITY.md 13-16, 21; FASTSPRING.md): signatures over raw bytes,
exactly-once ingestion, partial batches, refunds, test orders, account shapes, the catalog.

Deliveries are signed by local.fastspring's one builder through tests.support's deliver(); a
forged or tampered body goes through deliver_raw(). Each test makes the customers and orders it
needs, so every count is against what the test set up (no demo data)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from botocore.exceptions import ClientError

from local import fastspring as fs
from portal.data import keys
from tests.support import (
    FIXED_NOW,
    WEBHOOK_SECRET,
    body_of,
    buyer,
    call,
    count_items,
    deliver,
    deliver_raw,
    handler,
    listed,
    login,
    order_detail,
    setup_client,
    sign_in,
)

NEW = dict(email="sam.taylor@example.co.uk", skus=["T-ENT-10", "S1Y-T-ENT-10"])
ENTERPRISE_10 = ("TSplus", "Enterprise", 10)  # a license: software, edition, users
ENTERPRISE_5 = ("TSplus", "Enterprise", 5)


def both_lists(token: str) -> tuple[list[dict], list[dict]]:
    """The first page of the customer's licenses and of their supports."""
    return listed("licenses", token), listed("supports", token)


def customer_id_of(store, email: str) -> str:
    return str(store.get(keys.email_lookup(email))["customerId"])


@contextmanager
def failing_transactions(store, *, fail: Callable[[int], bool]) -> Iterator[list[int]]:
    """The n-th TransactWriteItems of the store's client (n from 1) fails when fail(n): a
    botocore `before-call` hook raises the ClientError DynamoDB would, before anything is sent.
    Yields the numbers of the calls attempted so far."""
    attempts: list[int] = []

    def before_call(**_: object) -> None:
        attempts.append(len(attempts) + 1)
        if fail(attempts[-1]):
            error = {"Error": {"Code": "InternalServerError", "Message": "injected failure"}}
            raise ClientError(error, "TransactWriteItems")

    hooks = store.client.meta.events
    hooks.register("before-call.dynamodb.TransactWriteItems", before_call, unique_id="inject")
    try:
        yield attempts
    finally:
        hooks.unregister("before-call.dynamodb.TransactWriteItems", unique_id="inject")


@contextmanager
def in_lock_step(store, parties: int) -> Iterator[list[int]]:
    """The first `parties` TransactWriteItems of the store's client wait for each other (a
    barrier), so that `parties` deliveries sent from threads have all read before any writes: a
    race every time. Yields the numbers of the transactions attempted so far (more than
    `parties`: someone read again and decided again). Use with the `atomic_writes` fixture."""
    barrier = threading.Barrier(parties, timeout=10)
    transactions: list[int] = []

    def after_reading(**_: object) -> None:
        transactions.append(len(transactions) + 1)
        if len(transactions) <= parties:
            barrier.wait()

    handler("fastspring_webhook")  # imported once, before the threads
    hooks = store.client.meta.events
    hooks.register("before-call.dynamodb.TransactWriteItems", after_reading, unique_id="race")
    try:
        yield transactions
    finally:
        hooks.unregister("before-call.dynamodb.TransactWriteItems", unique_id="race")


def at_once(store, deliveries: list[dict]) -> list[int]:
    """Each delivery (one event) from its own thread, all read before any writes (in_lock_step);
    then whatever was not acknowledged re-sent until it is, as FastSpring does. The first
    statuses."""
    with (
        in_lock_step(store, len(deliveries)) as transactions,
        ThreadPoolExecutor(max_workers=len(deliveries)) as pool,
    ):
        answers = list(pool.map(deliver, deliveries))
    assert len(transactions) >= len(deliveries)  # every one of them reached its write
    statuses = [answer["statusCode"] for answer in answers]
    for ev, answer in zip(deliveries, answers, strict=True):  # each answered its own delivery
        if answer["statusCode"] == 200:
            assert answer["body"] == ev["id"]
    for ev, status in zip(deliveries, statuses, strict=True):
        for _ in range(3):
            if status == 200:
                break
            status = deliver(ev)["statusCode"]
        assert status == 200, ev["id"]
    return statuses


# ---------------------------------------------------------------- signatures
def test_a_signed_order_appears_in_the_portal(aws):
    # given a new buyer's signed order of a license and its support
    order = fs.order_completed(**NEW)

    # when FastSpring delivers it
    response = deliver(order)

    # then it is acknowledged by its id, and the buyer signs in with the order's reference (as
    # typed, lower case) and sees the license bound to its support, and an activation key
    assert response["statusCode"] == 200
    assert response["body"] == order["id"]
    token = sign_in({**buyer(order), "orderNumber": order["data"]["reference"].lower()})
    licenses, supports = both_lists(token)
    assert [(lic["software"], lic["users"], lic["edition"]) for lic in licenses] == [
        ("TSplus", 10, "Enterprise")
    ]
    assert [(s["users"], s["durationYears"]) for s in supports] == [(10, 1)]
    assert licenses[0]["serialNumber"] == supports[0]["serialNumber"]  # bought together: bound
    assert licenses[0]["support"]["until"] == supports[0]["expiresOn"]
    me = body_of(call("me", token))
    assert len(me["activationKey"]) == 24


@pytest.mark.parametrize("header", ["x-fs-signature", "X-FS-Signature", "X-Fs-Signature"])
def test_header_name_in_any_case(aws, header):
    # given a signed order; when its signature comes in a header spelt `header`; then accepted
    assert deliver(fs.order_completed(**NEW), header=header)["statusCode"] == 200


def test_base64_encoded_body_is_decoded_before_the_check(aws):
    # given a signed order; when API Gateway base64-encodes its body; then it is still accepted
    assert deliver(fs.order_completed(**NEW), base64_body=True)["statusCode"] == 200


def flip_one_bit(data: bytes) -> bytes:
    return data[:10] + bytes([data[10] ^ 1]) + data[11:]


FORGERIES: dict[str, Callable[[fs.SignedBatch], tuple[bytes, str | None]]] = {
    "flipped_bit": lambda d: (flip_one_bit(d.body), d.signature),
    "reserialised": lambda d: (json.dumps(json.loads(d.body), indent=1).encode(), d.signature),
    "missing": lambda d: (d.body, None),
    "wrong_secret": lambda d: (d.body, fs.signature("another-secret", d.body)),
    "empty": lambda d: (d.body, ""),
    "garbage": lambda d: (d.body, "not base64 at all!!"),
}


@pytest.mark.parametrize("case", list(FORGERIES))
def test_bad_signatures_are_401_and_write_nothing(store, case):
    # given a genuine delivery, then its body or its signature spoilt one way
    genuine = fs.signed_batch(fs.order_completed(**NEW))
    body, signature = FORGERIES[case](genuine)
    events_before, items_before = count_items(store, "FSEVENT#"), count_items(store)

    # when it is delivered
    response = deliver_raw(body, signature)

    # then it is refused as an invalid signature, and nothing was written
    assert response["statusCode"] == 401
    assert body_of(response)["error"]["code"] == "invalid_signature"
    assert count_items(store, "FSEVENT#") == events_before
    assert count_items(store, "FSORDER#") == 0
    assert count_items(store) == items_before


def test_missing_secret_fails_closed(store):
    from portal.aws import secrets as secret_store

    # given the webhook secret deleted from Secrets Manager
    secret_store.forget()
    setup_client("secretsmanager").delete_secret(
        SecretId="customer-portal/local/fastspring-webhook", ForceDeleteWithoutRecovery=True
    )

    # when a signed order arrives
    response = deliver(fs.order_completed(**NEW))

    # then it is refused as unavailable (FastSpring retries), nothing recorded
    assert response["statusCode"] == 503
    assert count_items(store, "FSEVENT#") == 0


def test_rotation_accepts_old_and_new_secret(aws):
    from portal.aws import secrets as secret_store

    # given the secret rotated: a new current one, the old one kept as previous
    setup_client("secretsmanager").put_secret_value(
        SecretId="customer-portal/local/fastspring-webhook",
        SecretString=json.dumps({"current": "new-secret", "previous": WEBHOOK_SECRET}),
    )
    secret_store.forget()

    # when orders are signed with the new, the previous and an older secret; then the first two
    # are accepted, the older one refused
    assert deliver(fs.order_completed(**NEW), secret="new-secret")["statusCode"] == 200
    assert deliver(fs.order_completed(**NEW), secret=WEBHOOK_SECRET)["statusCode"] == 200
    assert deliver(fs.order_completed(**NEW), secret="older")["statusCode"] == 401


def test_signed_garbage_is_400(aws):
    # given correctly signed bodies that are no batch of events; when delivered; then each is 400
    for body in (b"not json", b"[]", b'{"events": "x"}'):
        assert deliver_raw(body, fs.signature(WEBHOOK_SECRET, body))["statusCode"] == 400


# ---------------------------------------------------------------- exactly once
def test_same_order_10_times_same_id_and_3_times_new_ids_is_one_order(store):
    # given one order
    order = fs.order_completed(**NEW)

    # when FastSpring delivers it 10 times, then re-sends it 3 times with new event ids
    for _ in range(10):
        assert deliver(order)["statusCode"] == 200
    for _ in range(3):
        resend = {**order, "id": fs.new_id()}  # a manual re-send from FastSpring's app
        assert deliver(resend)["statusCode"] == 200

    # then there is one order, with one license and one support
    assert count_items(store, "FSORDER#") == 1
    token = sign_in(buyer(order))
    licenses, supports = both_lists(token)
    assert len(licenses) == 1 and len(supports) == 1
    assert [o["reference"] for o in listed("orders", token)] == [order["data"]["reference"]]


def test_one_order_delivered_four_times_at_once_is_one_order(store, atomic_writes):
    # given one order, delivered twice with its id and re-sent twice with new ids, the four
    # deliveries at once, each reading before any of them writes
    order = fs.order_completed(**NEW)
    deliveries = [order, order, {**order, "id": fs.new_id()}, {**order, "id": fs.new_id()}]

    # when they race (what was not acknowledged re-sent until it is)
    statuses = at_once(store, deliveries)

    # then one committed, and there is one order with one license and one support
    assert 200 in statuses and set(statuses) <= {200, 503}, statuses
    assert count_items(store, "FSORDER#") == 1
    assert count_items(store, "ORDERREF#") == 1
    assert count_items(store, "EMAIL#") == 1
    assert count_items(store, "LIC#") == 1 and count_items(store, "SUP#") == 1
    assert count_items(store, "FSEVENT#") == 3  # one marker per event id


def test_one_refund_delivered_four_times_at_once_is_applied_once(store, atomic_writes):
    # given a delivered order of two licenses, and its full refund delivered three times with
    # its id and once re-sent with a new id, the four at once, each reading before any writes
    order = fs.order_completed(email="refund.race@example.com", skus=["T-ENT-10", "T-ENT-5"])
    assert deliver(order)["statusCode"] == 200
    refund = fs.return_created(
        reference=order["data"]["reference"], original_order_id=order["data"]["id"]
    )

    # when they race (what was not acknowledged re-sent until it is)
    statuses = at_once(store, [refund] * 3 + [{**refund, "id": fs.new_id()}])

    # then the refund is applied once: both licenses revoked once, one return recorded
    assert 200 in statuses and set(statuses) <= {200, 503}, statuses
    assert count_items(store, "FSRETURN#") == 1
    assert count_items(store, "REVOKED#LIC#") == 2
    assert listed("licenses", sign_in(buyer(order))) == []
    customer_id = customer_id_of(store, "refund.race@example.com")
    stored = store.get(keys.order_key(customer_id, order["data"]["reference"]), consistent=True)
    assert stored["status"] == "refunded"
    assert [int(line["refundedQuantity"]) for line in stored["items"]] == [1, 1]


def test_a_fault_in_the_middle_of_a_batch_is_not_200_and_redelivery_completes_once(store):
    # given three new buyers' orders in one batch, and DynamoDB failing the second transaction
    events = [fs.order_completed(email=f"buyer{i}@example.com", skus=["T-ENT-5"]) for i in range(3)]
    with failing_transactions(store, fail=lambda n: n == 2):
        # when FastSpring delivers the batch
        first = deliver(*events)

    # then only the first and third are acknowledged, and the second left nothing behind
    assert first["statusCode"] == 202
    assert first["body"].splitlines() == [events[0]["id"], events[2]["id"]]
    assert count_items(store, "FSORDER#") == 2
    assert store.get(keys.webhook_event(events[1]["id"])) is None
    assert store.get(keys.email_lookup("buyer1@example.com")) is None
    assert store.get(keys.order_reference_lookup(events[1]["data"]["reference"])) is None

    # when FastSpring re-sends the whole batch, DynamoDB healthy again
    again = deliver(*events)

    # then everything is there exactly once: one order and one reference lookup per event
    assert again["statusCode"] == 200
    assert count_items(store, "FSORDER#") == len(events)
    assert count_items(store, "ORDERREF#") == len(events)
    for order in events:
        assert store.get(keys.order_reference_lookup(order["data"]["reference"])) is not None


def test_nothing_committed_is_5xx(store):
    # given DynamoDB failing every transaction
    with failing_transactions(store, fail=lambda n: True):
        # when an order arrives
        response = deliver(fs.order_completed(**NEW))

    # then FastSpring is told to retry, and nothing was written
    assert response["statusCode"] == 503
    assert count_items(store, "FSORDER#") == 0


def test_an_injected_failure_inside_the_transaction_leaves_nothing(store):
    """SECURITY.md 21: a failing part cancels every part; a retry then completes."""
    # given an order whose reference is already taken by another customer's lookup, so the
    # ORDERREF# part of its transaction fails
    order = fs.order_completed(**NEW)
    conflict = {**keys.order_reference_lookup(order["data"]["reference"]), "customerId": "x"}
    store.put(conflict)

    # when it is delivered
    response = deliver(order)

    # then it is recorded as rejected (never retried forever), and no part of it was written
    assert response["statusCode"] == 200
    assert count_items(store, "FSORDER#") == 0
    assert count_items(store, "LIC#") == 0
    assert store.get(keys.email_lookup(NEW["email"])) is None

    # when the conflict is gone and FastSpring re-sends it with a new event id
    store.delete(keys.order_reference_lookup(order["data"]["reference"]))
    resend = {**order, "id": fs.new_id()}

    # then it completes
    assert deliver(resend)["statusCode"] == 200
    assert count_items(store, "FSORDER#") == 1


# ---------------------------------------------------------------- shapes and rules
RENEWED_UNTIL = "2028-06-03"  # a year after the running support's end (2027-06-03)


def customer_with_running_supports(make_customer):
    """A customer who bought, on 2026-06-03, two licenses each with a one-year support (until
    2027-06-03), signing in with their first order."""
    return make_customer(
        email="camille.martin@example.com",
        name="Camille Martin",
        licenses=[ENTERPRISE_10, ENTERPRISE_5],
        supports=[(*ENTERPRISE_10, 1), (*ENTERPRISE_5, 1)],
        placed_at="2026-06-03",
    )


def renewal(email: str, serial: str) -> dict:
    """A one-year support for 10 users renewing license `serial`, as FastSpring sends it for a
    known buyer (account unexpanded), placed at FIXED_NOW (2026-11-27: within the running
    support)."""
    return fs.order_completed(
        email=email,
        skus=["S1Y-T-ENT-10"],
        serial=serial,
        first="Camille",
        last="Martin",
        expanded_account=False,
        at=FIXED_NOW,
    )


# ---------------------------------------------------------------- supports match their license
def stored_lines(store, email: str, reference: str) -> list[dict]:
    return store.get(keys.order_key(customer_id_of(store, email), reference))["items"]


@pytest.mark.parametrize(
    "sku,named,reason",
    [
        ("S1Y-T-ENT-5", True, "support_mismatch"),  # same software and edition, 5 users, not 10
        ("S1Y-T-MW-10", True, "support_mismatch"),  # another edition
        ("S1Y-RW-10", True, "support_mismatch"),  # another software
        ("S1Y-T-ENT-10", False, "license_unknown"),  # a serial number no license has
    ],
)
def test_a_support_for_another_product_is_held_and_extends_nothing(
    make_customer, store, sku, named, reason
):
    # given a customer whose two licenses (10 and 5 users) have a support until 2027-06-03
    customer = customer_with_running_supports(make_customer)
    ten_users = customer.licenses[0]
    supports_before = count_items(store, "CUST#")

    # when an order names the 10-user license's serial number (or an unknown one) with a
    # support of another size, edition or software
    order = renewal(customer.email, ten_users.serial_number if named else "ZZZZ-0000-0000")
    order["data"]["items"][0]["sku"] = sku
    assert deliver(order)["statusCode"] == 200

    # then the order is recorded with that line held for review, it granted nothing, and every
    # license keeps its support date
    (line,) = stored_lines(store, customer.email, order["data"]["reference"])
    assert (line["sku"], line["held"], line["granted"]) == (sku, reason, [])
    token = sign_in({"email": customer.email, "orderNumber": order["data"]["reference"]})
    licenses, supports = both_lists(token)
    assert {lic["support"]["until"] for lic in licenses} == {"2027-06-03"}
    assert len(supports) == len(customer.supports)
    assert count_items(store, "CUST#") == supports_before + 1  # the order, nothing else


@pytest.mark.parametrize(
    "skus,covered",
    [
        (["T-ENT-10", "S1Y-T-ENT-5"], []),  # no 5-user license in the order: held
        (["T-ENT-10", "T-ENT-5", "S1Y-T-ENT-5"], [5]),  # the 5-user one, not the first
        (["RW-10", "S1Y-T-ENT-10"], []),  # another software: held
        (["T-MW-10", "S1Y-T-ENT-10"], []),  # another edition: held
    ],
)
def test_a_support_bought_with_licenses_attaches_only_to_its_own_kind(store, skus, covered):
    # given a new buyer's order of licenses and a support naming no serial number
    order = fs.order_completed(email="kinds@example.com", skus=skus)

    # when delivered
    assert deliver(order)["statusCode"] == 200

    # then the support covers only a license of its software, edition and size; without one,
    # its line is held (no_matching_license) and no support record exists
    licenses, supports = both_lists(sign_in(buyer(order)))
    assert sorted(lic["users"] for lic in licenses if lic["support"]) == covered
    assert len(supports) == len(covered)
    held = [
        line.get("held")
        for line in stored_lines(store, "kinds@example.com", order["data"]["reference"])
    ]
    assert held[-1] == (None if covered else "no_matching_license")
    assert held[:-1] == [None] * (len(skus) - 1)


def test_existing_customer_gets_the_order_and_keeps_their_key(make_customer):
    # given a customer whose two licenses have a support running until 2027-06-03
    customer = customer_with_running_supports(make_customer)
    renewed, other = customer.licenses
    key_before = body_of(call("me", sign_in(customer)))["activationKey"]
    assert key_before == customer.activation_key

    # when FastSpring delivers their renewal of the first license's support, the email typed in
    # another case
    order = renewal("Camille.Martin@Example.com", renewed.serial_number)
    assert deliver(order)["statusCode"] == 200

    # then they sign in with the new order too and keep their activation key
    token = sign_in({"email": customer.email, "orderNumber": order["data"]["reference"]})
    assert body_of(call("me", token))["activationKey"] == key_before
    # and they have their supports plus the renewal, bound to the named serial, which extends
    # the running support by a year, on that license only
    licenses, supports = both_lists(token)
    assert len(supports) == len(customer.supports) + 1
    assert set(customer.support_ids) < {s["id"] for s in supports}
    new = next(s for s in supports if s["orderNumber"] == order["data"]["reference"])
    assert new["serialNumber"] == renewed.serial_number
    assert new["expiresOn"] == RENEWED_UNTIL  # extends the support running until 2027-06-03
    until = {lic["serialNumber"]: lic["support"]["until"] for lic in licenses}
    assert until == {renewed.serial_number: RENEWED_UNTIL, other.serial_number: "2027-06-03"}


# ---------------------------------------------------------------- mailboxes (SECURITY.md issue 10)
# Addresses that Unicode case folding would merge with an ASCII one: the long s folds to "s",
# the Kelvin sign to "k". Each is a mailbox of its own.
LOOKALIKES = [
    ("sam.lookalike@example.com", "\u017fam.lookalike@example.com"),  # long s + am
    ("kim.lookalike@example.com", "\u212aim.lookalike@example.com"),  # Kelvin sign + im
]


@pytest.mark.parametrize("ascii_address,lookalike", LOOKALIKES)
def test_a_lookalike_address_is_a_customer_of_its_own(store, ascii_address, lookalike):
    # given a customer who bought with an ASCII address
    first = fs.order_completed(email=ascii_address, skus=["T-ENT-10"])
    assert deliver(first)["statusCode"] == 200

    # when an order arrives from the address Unicode case folding would equate with it
    second = fs.order_completed(email=lookalike, skus=["T-ENT-5"])
    assert deliver(second)["statusCode"] == 200

    # then it makes a second customer: two email lookups, two activation keys, and neither
    # sees the other's license
    assert customer_id_of(store, ascii_address) != customer_id_of(store, lookalike)
    mine = sign_in(buyer(first))
    theirs = sign_in(buyer(second))
    assert (
        body_of(call("me", mine))["activationKey"] != body_of(call("me", theirs))["activationKey"]
    )
    assert [lic["users"] for lic in listed("licenses", mine)] == [10]
    assert [lic["users"] for lic in listed("licenses", theirs)] == [5]
    assert body_of(call("me", theirs))["email"] == lookalike


@pytest.mark.parametrize("ascii_address,lookalike", LOOKALIKES)
def test_an_ascii_address_cannot_sign_in_to_the_lookalikes_orders(store, ascii_address, lookalike):
    # given a customer who bought with the lookalike address only
    order = fs.order_completed(email=lookalike, skus=["T-ENT-5"])
    assert deliver(order)["statusCode"] == 200
    reference = order["data"]["reference"]

    # when someone signs in with the ASCII address (any case) and that order's number
    attempts = [
        login({"email": typed, "orderNumber": reference})
        for typed in (ascii_address, ascii_address.upper(), ascii_address.capitalize())
    ]

    # then every attempt is the 401 of a wrong email, while the lookalike as typed (its ASCII
    # letters upper-cased, spaces around) is a correct pair (202: its code is mailed)
    assert [r["statusCode"] for r in attempts] == [401, 401, 401]
    typed = "  " + "".join(c.upper() if c.isascii() else c for c in lookalike) + " "
    assert typed.strip() != lookalike  # the ASCII letters did change case
    assert login({"email": typed, "orderNumber": reference})["statusCode"] == 202


def test_an_address_in_another_ascii_case_is_the_same_customer(store):
    # given a customer who bought as sam.case@example.com
    first = fs.order_completed(email="sam.case@example.com", skus=["T-ENT-10"])
    assert deliver(first)["statusCode"] == 200

    # when their next order comes as " Sam.CASE@Example.com " (ASCII case, spaces around)
    second = fs.order_completed(email=" Sam.CASE@Example.com ", skus=["T-ENT-5"])
    assert deliver(second)["statusCode"] == 200

    # then it is theirs: one customer, both licenses
    assert count_items(store, "EMAIL#") == 1
    token = sign_in({"email": "sam.case@example.com", "orderNumber": second["data"]["reference"]})
    assert sorted(lic["users"] for lic in listed("licenses", token)) == [5, 10]


def test_an_order_with_an_address_sign_in_would_refuse_is_rejected_and_kept(store):
    # given an order whose address is one no customer could sign in with
    order = fs.order_completed(email="sam taylor@example.com", skus=["T-ENT-1"])

    # when delivered, then acknowledged but rejected (kept for support), no customer made
    assert deliver(order)["statusCode"] == 200
    assert store.get(keys.webhook_event(order["id"]))["status"] == "rejected"
    assert count_items(store, "EMAIL#") == 0


def test_unexpanded_account_null_sku_and_null_city(store):
    # given a new buyer's order with the account unexpanded, no city, and a line of no known SKU
    order = fs.order_completed(
        email="x.y@example.org", skus=["T-ENT-3"], city=None, expanded_account=False
    )
    order["data"]["items"].append(
        {
            "product": "mystery-box",
            "quantity": 1,
            "sku": None,
            "subtotal": Decimal("12.34"),
            "display": "Mystery box",
        }
    )

    # when FastSpring delivers it
    assert deliver(order)["statusCode"] == 200

    # then the buyer has the one license, and the order keeps both lines, the unknown one flagged
    reference = order["data"]["reference"]
    token = sign_in(buyer(order))
    assert len(listed("licenses", token)) == 1
    detail = body_of(order_detail(token, reference))
    assert [i["sku"] for i in detail["items"]] == ["T-ENT-3", None]
    assert detail["items"][1]["subtotal"] == {"amount": "12.34", "currency": "EUR"}
    stored = store.get(keys.order_key(customer_id_of(store, "x.y@example.org"), reference))
    assert stored["items"][1]["unknownSku"] is True
    assert isinstance(stored["total"], Decimal)
    # and the billing details have no city and the default country
    billing = body_of(call("list_orders", token))["billing"]
    assert billing["city"] is None and billing["country"] == "GB"


def test_billing_city_comes_from_the_account_when_the_order_address_has_none(aws):
    # given an order whose own address has a country but no city, while the buyer's expanded
    # account knows the city (and the company only in the account's contact)
    order = fs.order_completed(email="kim.lee@example.co.uk", skus=["T-ENT-3"], city="York")
    data = order["data"]
    data["address"] = {"country": "GB", "city": None, "display": "GB"}
    data["customer"] = {**data["customer"], "company": None}
    assert data["account"]["address"]["city"] == "York"

    # when FastSpring delivers it
    assert deliver(order)["statusCode"] == 200

    # then the Orders page shows the account's city, the order's country, the account's company
    billing = body_of(call("list_orders", sign_in(buyer(order))))["billing"]
    assert (billing["city"], billing["country"], billing["name"]) == (
        "York",
        "GB",
        "Taylor Consulting Ltd",
    )


def test_billing_country_comes_from_the_account_when_no_address_has_one(aws):
    # given an order with no address at all and an account with only its country
    order = fs.order_completed(email="li.wu@example.com", skus=["T-ENT-3"], company=None)
    data = order["data"]
    data["address"] = None
    data["account"] = {**data["account"], "address": None, "country": "de"}

    # when FastSpring delivers it
    assert deliver(order)["statusCode"] == 200

    # then the billing country is the account's, upper-cased; no city; the buyer's name
    billing = body_of(call("list_orders", sign_in(buyer(order))))["billing"]
    assert (billing["city"], billing["country"], billing["name"]) == (None, "DE", "Sam Taylor")


def test_a_later_order_keeps_its_billing_details_on_its_own_record(store):
    # given a customer whose first order was billed to Leeds
    first = fs.order_completed(email="kim.lee@example.co.uk", skus=["T-ENT-3"], city="Leeds")
    assert deliver(first)["statusCode"] == 200
    customer_id = customer_id_of(store, "kim.lee@example.co.uk")

    # when a later order with that email comes with other billing details, name and language
    later = fs.order_completed(
        email="kim.lee@example.co.uk",
        skus=["T-ENT-3"],
        first="Alex",
        last="Other",
        company="Other Ltd",
        city="York",
        country="IE",
        language="de",
    )
    assert deliver(later)["statusCode"] == 200

    # then the customer's billing details, contacts, name and language are still the first's
    token = sign_in(buyer(first))
    page = body_of(call("list_orders", token))
    assert page["billing"] == {
        "date": page["billing"]["date"],
        "name": "Taylor Consulting Ltd",
        "country": "GB",
        "city": "Leeds",
    }
    assert [(c["firstName"], c["lastName"]) for c in page["contacts"]] == [("Sam", "Taylor")]
    me = body_of(call("me", token))
    assert (me["name"], me["language"]) == ("Sam Taylor", "en")
    # and each order keeps the details it came with, a refund included
    reference = later["data"]["reference"]
    refund = fs.return_created(reference=reference, original_order_id=later["data"]["id"])
    assert deliver(refund)["statusCode"] == 200
    recorded = store.get(keys.order_key(customer_id, reference))
    assert recorded["status"] == "refunded"
    assert (recorded["billing"]["name"], recorded["billing"]["city"]) == ("Other Ltd", "York")
    assert (recorded["contact"]["firstName"], recorded["contact"]["lastName"]) == ("Alex", "Other")
    first_order = store.get(keys.order_key(customer_id, first["data"]["reference"]))
    assert first_order["billing"]["city"] == "Leeds"


def test_amounts_are_decimal_end_to_end(aws):
    # given an order whose total is not exact as a float, sent as a JSON number
    order = fs.order_completed(**NEW)
    order["data"]["total"] = Decimal("704.11")
    delivery = fs.signed_batch(order)
    assert b'"total": 704.11' in delivery.body  # a JSON number, as FastSpring sends it

    # when FastSpring delivers it
    assert deliver_raw(delivery.body, delivery.signature)["statusCode"] == 200

    # then the Orders page shows that exact amount
    orders = listed("orders", sign_in(buyer(order)))
    assert orders[0]["total"] == {"amount": "704.11", "currency": "EUR"}


def test_test_orders_follow_the_stage_setting(store, monkeypatch):
    from portal import dependencies

    # given a test order (live: false)
    order = fs.order_completed(**NEW, live=False)

    # when it arrives on a stage that refuses test orders
    monkeypatch.setenv("ALLOW_TEST_ORDERS", "false")
    dependencies.reset()
    response = deliver(order)

    # then it is acknowledged but nothing is created
    assert response["statusCode"] == 200
    assert count_items(store, "FSORDER#") == 0

    # when it is re-sent to a stage that allows them, then the order is created
    monkeypatch.setenv("ALLOW_TEST_ORDERS", "true")
    dependencies.reset()
    resend = {**order, "id": fs.new_id()}
    assert deliver(resend)["statusCode"] == 200
    assert count_items(store, "FSORDER#") == 1


def test_unknown_event_types_are_acknowledged_and_ignored(store):
    # given a batch of an event type the portal does not handle and an order
    unknown = {
        "id": "evt-unknown-1",
        "type": "subscription.charge.completed",
        "live": True,
        "created": 1795800000000,
        "data": {"whatever": True},
    }

    # when FastSpring delivers it
    response = deliver(unknown, fs.order_completed(**NEW))

    # then both are acknowledged, the unknown one recorded as ignored
    assert response["statusCode"] == 200
    stored = store.get(keys.webhook_event("evt-unknown-1"))
    assert stored["status"] == "ignored"


def test_malformed_order_is_recorded_and_acknowledged_not_retried_forever(store):
    # given an order without its items
    order = fs.order_completed(**NEW)
    del order["data"]["items"]

    # when FastSpring delivers it
    assert deliver(order)["statusCode"] == 200

    # then it is recorded as rejected with the reason, its payload kept for support to replay
    stored = store.get(keys.webhook_event(order["id"]))
    assert stored["status"] == "rejected" and "items" in stored["reason"]
    assert json.loads(stored["payload"])["id"] == order["id"]


def test_a_rejected_order_is_kept_without_contact_details_and_expires(store, clock):
    # given an order that will be rejected (no items), from a buyer with a name, company, city,
    # phone and email, the email also in a tag and the recipients
    order = fs.order_completed(
        email="rita.private@example.org",
        skus=["T-ENT-1"],
        first="Rita",
        last="Privatperson",
        company="Rita Secret GmbH",
        city="Hiddenstadt",
        tags={"note": "contact rita.private@example.org"},
    )
    order["data"]["customer"]["phone"] = "+49 30 1234567"
    order["data"]["recipients"] = [{"recipient": {"email": "rita.private@example.org"}}]
    del order["data"]["items"]
    kept = fs.order_completed(email="kept.order@example.org", skus=["T-ENT-1"])

    # when FastSpring delivers it (and a good order alongside)
    assert deliver(order, kept)["statusCode"] == 200

    # then its record keeps what support needs (ids, reference, amounts, the reason) and none of
    # the buyer's details, and expires 30 days after it was received; a processed event's record
    # never expires
    stored = store.get(keys.webhook_event(order["id"]))
    assert stored["status"] == "rejected" and "items" in stored["reason"]
    payload = json.loads(stored["payload"])
    assert payload["id"] == order["id"]
    assert payload["data"]["reference"] == order["data"]["reference"]
    assert payload["data"]["total"] == str(order["data"]["total"])
    for private in ("rita", "Privatperson", "Secret GmbH", "Hiddenstadt", "1234567", "@"):
        assert private.lower() not in stored["payload"].lower(), private
    assert payload["data"]["customer"] == payload["data"]["address"] == "[removed]"
    assert int(stored["expiresAt"]) == int(FIXED_NOW.timestamp()) + 30 * 86_400
    assert "expiresAt" not in store.get(keys.webhook_event(kept["id"]))


@pytest.mark.parametrize(
    "spoil",
    [
        lambda e: e.update(id="not an id!"),  # envelope: id outside the allowed characters
        lambda e: e.update(id="x" * 129),  # envelope: id too long
        lambda e: e.update(live="yes"),  # envelope: not a boolean
        lambda e: e.update(created=1.5),  # envelope: not epoch milliseconds
        lambda e: e.clear(),  # envelope: nothing at all
    ],
)
def test_one_bad_envelope_spoils_only_itself(store, spoil):
    # given a batch of three orders whose middle event has a broken envelope
    events = [fs.order_completed(email=f"env{i}@example.com", skus=["T-ENT-1"]) for i in range(3)]
    spoil(events[1])

    # when FastSpring delivers it
    response = deliver(*events)

    # then the two good ones are committed and acknowledged, the bad one is not (no 200)
    assert response["statusCode"] == 202
    assert response["body"].splitlines() == [events[0]["id"], events[2]["id"]]
    assert count_items(store, "FSORDER#") == 2


def test_a_batch_of_more_than_500_events_is_400(store):
    # given 501 (tiny) events
    events = [{"id": f"e{i}"} for i in range(501)]

    # when delivered, signed
    response = deliver(*events)

    # then refused whole, nothing written
    assert response["statusCode"] == 400
    assert count_items(store, "FSEVENT#") == 0


@pytest.mark.parametrize(
    "spoil,where",
    [
        (lambda d: d.update(total=Decimal("1e15")), "total"),  # too large
        (lambda d: d["items"][0].update(quantity=0), "items.0.quantity"),
        (lambda d: d["items"][0].update(quantity=10_001), "items.0.quantity"),
        (lambda d: d.update(items=[dict(d["items"][0]) for _ in range(51)]), "items"),
        (lambda d: d.update(currency="EURO"), "currency"),
        (lambda d: d.update(reference=None), "reference"),
        (lambda d: d.update(customer={**d["customer"], "email": "x" * 255}), "customer.email"),
        (lambda d: d["account"]["contact"].update(email="x" * 255), "account.object.contact"),
        (lambda d: d.update(account=42), "account"),
    ],
)
def test_bad_order_data_is_rejected_and_kept_while_the_batch_goes_on(store, spoil, where):
    # given a batch whose first order has bad data and whose second is fine
    bad = fs.order_completed(email="bad@example.com", skus=["T-ENT-1"])
    spoil(bad["data"])
    good = fs.order_completed(email="good@example.com", skus=["T-ENT-1"])

    # when FastSpring delivers it
    response = deliver(bad, good)

    # then both are acknowledged: the bad one recorded as rejected (where, never the value)
    assert response["statusCode"] == 200
    stored = store.get(keys.webhook_event(bad["id"]))
    assert stored["status"] == "rejected" and stored["reason"].startswith(where)
    assert count_items(store, "FSORDER#") == 1


# ---------------------------------------------------------------- refunds
def test_full_refund_revokes_what_the_order_granted(store):
    # given a delivered order of a license and its support
    order = fs.order_completed(**NEW)
    assert deliver(order)["statusCode"] == 200
    reference = order["data"]["reference"]

    # when FastSpring refunds it whole, twice
    refund = fs.return_created(reference=reference, original_order_id=order["data"]["id"])
    assert deliver(refund)["statusCode"] == 200
    assert deliver(refund)["statusCode"] == 200  # again: nothing more happens

    # then both records are gone, each kept once as a revoked copy, and the order is refunded
    token = sign_in(buyer(order))
    assert both_lists(token) == ([], [])
    assert listed("orders", token)[0]["status"] == "refunded"
    assert count_items(store, "REVOKED#") == len(NEW["skus"])


def test_partial_refund_revokes_only_that_line(aws):
    # given a delivered order of a license and its support
    order = fs.order_completed(**NEW)
    assert deliver(order)["statusCode"] == 200
    reference = order["data"]["reference"]

    # when FastSpring refunds the support line only
    refund = fs.return_created(reference=reference, skus=["S1Y-T-ENT-10"])
    assert deliver(refund)["statusCode"] == 200

    # then the license stays, without support, and the order is partially refunded
    token = sign_in(buyer(order))
    licenses, supports = both_lists(token)
    assert len(licenses) == 1 and supports == []
    assert licenses[0]["support"] is None
    assert listed("orders", token)[0]["status"] == "partially_refunded"


@pytest.mark.parametrize(
    "first_skus,second_skus",
    [(["T-ENT-10"], ["T-ENT-5"]), (["T-ENT-5"], ["T-ENT-5"])],
    ids=["two-lines", "one-line-two-units"],
)
def test_two_refunds_of_one_order_delivered_at_once_are_both_applied(
    store, atomic_writes, first_skus, second_skus
):
    # given an order of a 10-user license and two 5-user licenses (one line of quantity 2)
    order = fs.order_completed(email="two.refunds@example.com", skus=["T-ENT-10"])
    order["data"]["items"].append(
        {
            **fs.order_completed(email="x@example.com", skus=["T-ENT-5"])["data"]["items"][0],
            "quantity": 2,
        }
    )
    assert deliver(order)["statusCode"] == 200
    reference = order["data"]["reference"]
    # and two different refunds of it, each read before either writes (a barrier at the first
    # transaction of each): both decide from the same order
    refunds = [
        fs.return_created(reference=reference, skus=skus) for skus in (first_skus, second_skus)
    ]
    with in_lock_step(store, 2) as transactions, ThreadPoolExecutor(max_workers=2) as pool:
        statuses = list(pool.map(lambda r: deliver(r)["statusCode"], refunds))

    # then both are acknowledged and both applied: the order records every refunded unit, and
    # exactly as many licenses are revoked as units were refunded
    assert statuses == [200, 200]
    assert len(transactions) > 2  # the loser read again and decided again
    customer_id = customer_id_of(store, "two.refunds@example.com")
    stored = store.get(keys.order_key(customer_id, reference), consistent=True)
    refunded = {line["sku"]: int(line.get("refundedQuantity") or 0) for line in stored["items"]}
    wanted = {"T-ENT-10": 0, "T-ENT-5": 0}
    for sku in first_skus + second_skus:
        wanted[sku] += 1
    assert refunded == wanted
    assert count_items(store, "REVOKED#") == 2
    users = sorted(lic["users"] for lic in listed("licenses", sign_in(buyer(order))))
    assert users == sorted([10] * (1 - wanted["T-ENT-10"]) + [5] * (2 - wanted["T-ENT-5"]))
    assert stored["status"] == "partially_refunded"


def test_a_refund_before_its_order_is_retried_later(aws):
    # given a refund of an order the portal has not received yet
    refund = fs.return_created(reference="JWT991231-0000-00000")

    # when delivered; then FastSpring is told to retry
    assert deliver(refund)["statusCode"] == 503


def test_a_refund_of_a_fifty_line_order_needs_two_transactions_and_completes(store):
    # given a delivered order of 50 lines: 25 licenses and the 25 supports bound to them
    skus = [sku for n in range(1, 26) for sku in (f"T-ENT-{n}", f"S1Y-T-ENT-{n}")]
    order = fs.order_completed(email="fifty@example.com", skus=skus)
    assert deliver(order)["statusCode"] == 200
    reference = order["data"]["reference"]

    # when the whole order is refunded (100 revocation actions + 3 markers > 100 per transaction)
    refund = fs.return_created(reference=reference)
    assert deliver(refund)["statusCode"] == 200

    # then the 50 records are gone, each kept as a REVOKED# copy, and the order is refunded
    token = sign_in(buyer(order))
    assert both_lists(token) == ([], [])
    assert count_items(store, "REVOKED#") == len(skus)
    assert listed("orders", token)[0]["status"] == "refunded"


BIG = "JWT260105-5050-10000"


def big_order(store, settings, lines: int = 50) -> tuple[str, list[str]]:
    """A customer with an order of `lines` lines, each granting a license AND its support (a
    bundle: today's catalog grants one record per line, but an order line may grant several and
    a refund must revoke any number). Returns the customer id and the granted sort keys.

    Built by hand: tests.factories makes one record per line and writes each order in one
    transaction, which 100 records do not fit."""
    from portal.accounts.customers import new_customer
    from portal.ids import new_serial_number, new_ulid
    from portal.models import (
        Customer,
        License,
        Money,
        Order,
        OrderItem,
        Support,
        SupportCoverage,
    )
    from portal.orders.purchases import record_purchase

    placed = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    customer = Customer(
        customer_id=new_ulid(placed),
        email="bundle@example.com",
        name="Bundle Buyer",
        language="en",
        activation_key_sealed="",
    )
    licenses, supports, items = [], [], []
    for _ in range(lines):
        serial = new_serial_number()
        lic = License(
            license_id=new_ulid(placed),
            software="TSplus",
            serial_number=serial,
            computer_name=None,
            days=None,
            users=5,
            edition="Enterprise",
            order_number=BIG,
            purchased_on=placed.date(),
            support=SupportCoverage(date(2027, 1, 5), True),
            upgradable=False,
        )
        sup = Support(
            support_id=new_ulid(placed),
            software="TSplus",
            serial_number=serial,
            users=5,
            edition="Enterprise",
            order_number=BIG,
            purchased_on=placed.date(),
            duration_years=1,
            expires_on=date(2027, 1, 5),
        )
        licenses.append(lic)
        supports.append(sup)
        items.append(
            OrderItem(
                product="tsplus-enterprise-5-bundle",
                sku="B1Y-T-ENT-5",
                quantity=1,
                subtotal=Money(Decimal("351.20"), "EUR"),
                granted=(
                    keys.LICENSE_PREFIX + lic.license_id,
                    keys.SUPPORT_PREFIX + sup.support_id,
                ),
            )
        )
    order = Order(
        reference=BIG,
        placed_at=placed,
        total=Money(Decimal("351.20") * lines, "EUR"),
        items=tuple(items),
        fastspring_id="fs-bundle-order",
    )
    half = lines // 2  # one transaction holds 100 actions: the records go in two purchases
    record_purchase(
        store,
        customer.customer_id,
        order,
        licenses[:half],
        supports[:half],
        new_customer=new_customer(customer, settings),
    )
    record_purchase(store, customer.customer_id, None, licenses[half:], supports[half:])
    return customer.customer_id, [key for item in items for key in item.granted]


def revocation_state(store, customer_id: str, sort_keys: list[str]) -> dict[str, str]:
    """Each record: "kept" (there, no copy), "revoked" (gone, its copy there) or "broken"."""
    state = {}
    for sk in sort_keys:
        there = store.get({"pk": keys.customer_pk(customer_id), "sk": sk}) is not None
        copied = store.get(keys.revoked_copy(customer_id, sk)) is not None
        state[sk] = {(True, False): "kept", (False, True): "revoked"}.get((there, copied), "broken")
    return state


def test_a_refund_revoking_100_records_completes_exactly_once(store, settings):
    # given an order of 50 lines, each granting a license and a support: 100 records
    customer_id, granted = big_order(store, settings)
    refund = fs.return_created(reference=BIG)

    # when the whole order is refunded
    assert deliver(refund)["statusCode"] == 200

    # then every record is wholly revoked and the order is refunded
    assert set(revocation_state(store, customer_id, granted).values()) == {"revoked"}
    assert count_items(store, "REVOKED#") == len(granted) == 100
    token = sign_in({"email": "bundle@example.com", "orderNumber": BIG})
    assert both_lists(token) == ([], [])
    assert listed("orders", token)[0]["status"] == "refunded"

    # when it is re-sent (same id, then a manual one with a new id); then nothing changes
    assert deliver(refund)["statusCode"] == 200
    assert deliver({**refund, "id": fs.new_id()})["statusCode"] == 200
    assert count_items(store, "REVOKED#") == 100
    assert count_items(store, "FSRETURN#") == 1


def test_a_refund_failing_in_its_second_transaction_leaves_whole_records_and_resumes_once(
    store, settings
):
    # given the 100-record order, and DynamoDB failing the refund's second transaction
    customer_id, granted = big_order(store, settings)
    refund = fs.return_created(reference=BIG)
    with failing_transactions(store, fail=lambda n: n == 2) as attempts:
        # when FastSpring delivers the refund
        response = deliver(refund)

    # then it stopped at the failure and is not acknowledged, so FastSpring retries
    assert attempts == [1, 2]
    assert response["statusCode"] == 503
    # and each record is either untouched or wholly revoked - a first part, nothing broken
    state = revocation_state(store, customer_id, granted)
    assert set(state.values()) == {"kept", "revoked"}
    revoked_first = sum(1 for s in state.values() if s == "revoked")
    assert 0 < revoked_first < 100
    # and what the customer sees is whole: a license and its support went, or stayed, together
    pairs = [(state[lic], state[sup]) for lic, sup in zip(granted[::2], granted[1::2], strict=True)]
    assert {first for first, second in pairs if first != second} == set()
    token = sign_in({"email": "bundle@example.com", "orderNumber": BIG})
    assert listed("orders", token)[0]["status"] == "completed"  # the refund is not done yet
    assert store.get(keys.webhook_event(refund["id"])) is None
    assert count_items(store, "FSRETURN#") == 0

    # when FastSpring re-sends it
    assert deliver(refund)["statusCode"] == 200

    # then it finished exactly once: 100 copies, no record left, the order refunded
    assert set(revocation_state(store, customer_id, granted).values()) == {"revoked"}
    assert count_items(store, "REVOKED#") == 100
    assert both_lists(token) == ([], [])
    assert listed("orders", token)[0]["status"] == "refunded"
    assert store.get(keys.webhook_event(refund["id"]))["status"] == "processed"

    # when it is re-sent once more; then it is a duplicate that writes nothing more
    assert deliver(refund)["statusCode"] == 200
    assert count_items(store, "REVOKED#") == 100 and count_items(store, "FSRETURN#") == 1


def test_a_partial_refund_of_a_renewal_moves_the_license_support_date_back(make_customer):
    # given a customer whose first license's support (until 2027-06-03) was renewed by a new
    # order (until 2028-06-03)
    customer = customer_with_running_supports(make_customer)
    renewed = customer.licenses[0]
    order = renewal(customer.email, renewed.serial_number)
    assert deliver(order)["statusCode"] == 200
    assert len(listed("supports", sign_in(customer))) == len(customer.supports) + 1
    # and the license's support is the renewal's (the one whose file "View" downloads)
    licenses, supports = both_lists(sign_in(customer))
    renewal_support = next(s for s in supports if s["id"] not in customer.support_ids)
    before = next(lic for lic in licenses if lic["serialNumber"] == renewed.serial_number)
    assert before["support"]["id"] == renewal_support["id"]
    assert before["support"]["until"] == renewal_support["expiresOn"] == "2028-06-03"

    # when that renewal is refunded
    refund = fs.return_created(reference=order["data"]["reference"], skus=["S1Y-T-ENT-10"])
    assert deliver(refund)["statusCode"] == 200

    # then the license's support ends with the support that remains (2027-06-03), and the
    # customer has exactly the supports they had before the renewal
    licenses, supports = both_lists(sign_in(customer))
    until = next(lic for lic in licenses if lic["serialNumber"] == renewed.serial_number)
    assert until["support"]["until"] == "2027-06-03"
    assert sorted(s["id"] for s in supports) == sorted(customer.support_ids)
    # and its support id is back to the support that remains for that serial
    remaining = [s for s in supports if s["serialNumber"] == renewed.serial_number]
    assert until["support"]["id"] == max(remaining, key=lambda s: s["expiresOn"])["id"]


# ---------------------------------------------------------------- performance
@pytest.mark.parametrize("lines", [1, 2, 6])
def test_webhook_calls_are_one_transaction_plus_a_constant(calls, lines):
    # given two orders of `lines` lines by the same new buyer
    skus = ["T-ENT-10", "S1Y-T-ENT-10", "T-ENT-5", "S2Y-T-ENT-5", "RW-5", "S1Y-RW-5"][:lines]
    first = fs.order_completed(email="a@example.com", skus=skus)
    second = fs.order_completed(email="a@example.com", skus=skus)

    # when the first is delivered; then a batch read and one transaction (a new customer)
    calls.clear()
    deliver(first)
    assert calls.operations == ["BatchGetItem", "TransactWriteItems"]

    # when the second comes in a batch after another new buyer's order
    calls.clear()
    deliver(fs.order_completed(email="b@example.com", skus=["T-ENT-1"]), second)

    # then for the second event of the batch, an existing customer: + its profile, whatever
    # its size
    assert calls.operations == [
        "BatchGetItem",
        "TransactWriteItems",
        "BatchGetItem",
        "GetItem",
        "TransactWriteItems",
    ]


def test_a_rejected_event_is_counted_once(store, monkeypatch):
    # given the metric counter watched (the WebhookRejectedAlarm reads WebhookEventRejected)
    from portal.fastspring import ingest

    counted: list[str] = []
    monkeypatch.setattr(ingest, "count", lambda name, value=1: counted.append(name))
    # when an order that must be rejected arrives
    assert (
        deliver(fs.order_completed(email="sam taylor@example.com", skus=["T-ENT-1"]))["statusCode"]
        == 200
    )
    # then it is counted as rejected exactly once
    assert counted.count("WebhookEventRejected") == 1
