"""FastSpring webhooks (SECURITY.md 13-16, 21; FASTSPRING.md): signatures over raw bytes,
exactly-once ingestion, partial batches, refunds, test orders, account shapes, the catalog."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from botocore.exceptions import ClientError

from local import fastspring as fs
from portal.data import keys
from portal.fastspring.signatures import signature
from tests.support import body_of, event, invoke, session_token

SECRET = "local-development-fastspring-webhook-secret"


def deliver(
    body: bytes,
    *,
    secret: str | None = SECRET,
    header: str = "x-fs-signature",
    sig: str | None = None,
    base64_body: bool = False,
) -> dict:
    ev = event("fastspring_webhook", origin=None)
    ev["headers"].pop("x-fs-signature", None)
    ev["body"] = base64.b64encode(body).decode() if base64_body else body.decode()
    ev["isBase64Encoded"] = base64_body
    if sig is not None or secret is not None:
        ev["headers"][header] = sig if sig is not None else signature(secret or "", body)
    return invoke("fastspring_webhook", ev)


def sign_in(email: str, reference: str) -> str:
    return session_token(
        invoke("login", event("login", body={"email": email, "orderNumber": reference}))
    )


def lists(token: str) -> tuple[list[dict], list[dict]]:
    licenses = body_of(invoke("list_licenses", event("list_licenses", token=token, query={})))
    supports = body_of(invoke("list_supports", event("list_supports", token=token, query={})))
    return licenses["items"], supports["items"]


def count_items(store, prefix: str) -> int:
    items = store.client.scan(TableName=store.table_name)["Items"]  # test-only inspection
    return sum(
        1
        for item in items
        if item["pk"]["S"].startswith(prefix) or item["sk"]["S"].startswith(prefix)
    )


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


NEW = dict(email="sam.taylor@example.co.uk", skus=["T-ENT-10", "S1Y-T-ENT-10"])


# ---------------------------------------------------------------- signatures
def test_a_signed_order_appears_in_the_portal(seeded):
    order = fs.order_completed(**NEW)
    response = deliver(fs.batch(order))
    assert response["statusCode"] == 200
    assert response["body"] == order["id"]
    token = sign_in(NEW["email"], order["data"]["reference"].lower())
    licenses, supports = lists(token)
    assert [(lic["software"], lic["users"], lic["edition"]) for lic in licenses] == [
        ("TSplus", 10, "Enterprise")
    ]
    assert [(s["users"], s["durationYears"]) for s in supports] == [(10, 1)]
    assert licenses[0]["serialNumber"] == supports[0]["serialNumber"]  # bought together: bound
    assert licenses[0]["support"]["until"] == supports[0]["expiresOn"]
    me = body_of(invoke("me", event("me", token=token)))
    assert len(me["activationKey"]) == 24


@pytest.mark.parametrize("header", ["x-fs-signature", "X-FS-Signature", "X-Fs-Signature"])
def test_header_name_in_any_case(seeded, header):
    assert deliver(fs.batch(fs.order_completed(**NEW)), header=header)["statusCode"] == 200


def test_base64_encoded_body_is_decoded_before_the_check(seeded):
    assert deliver(fs.batch(fs.order_completed(**NEW)), base64_body=True)["statusCode"] == 200


def flip_one_bit(data: bytes) -> bytes:
    return data[:10] + bytes([data[10] ^ 1]) + data[11:]


@pytest.mark.parametrize(
    "case",
    ["flipped_bit", "reserialised", "missing", "wrong_secret", "empty", "garbage"],
)
def test_bad_signatures_are_401_and_write_nothing(seeded, store, case):
    body = fs.batch(fs.order_completed(**NEW))
    before = count_items(store, "FSEVENT#")
    good = signature(SECRET, body)
    if case == "flipped_bit":
        response = deliver(flip_one_bit(body), sig=good)
    elif case == "reserialised":
        reserialised = json.dumps(json.loads(body), indent=1).encode()
        response = deliver(reserialised, sig=good)
    elif case == "missing":
        response = deliver(body, secret=None)
    elif case == "wrong_secret":
        response = deliver(body, secret="another-secret")
    elif case == "empty":
        response = deliver(body, sig="")
    else:
        response = deliver(body, sig="not base64 at all!!")
    assert response["statusCode"] == 401
    assert body_of(response)["error"]["code"] == "invalid_signature"
    assert count_items(store, "FSEVENT#") == before
    assert count_items(store, "FSORDER#") == 0


def test_missing_secret_fails_closed(seeded, monkeypatch, store):
    from portal.aws import secrets as secret_store

    secret_store.forget()
    store_client = __import__("portal.aws.clients", fromlist=["x"]).secretsmanager()
    store_client.delete_secret(
        SecretId="customer-portal/local/fastspring-webhook", ForceDeleteWithoutRecovery=True
    )
    body = fs.batch(fs.order_completed(**NEW))
    response = deliver(body)
    assert response["statusCode"] == 503
    assert count_items(store, "FSEVENT#") == 0


def test_rotation_accepts_old_and_new_secret(seeded, store):
    from portal.aws import clients as aws_clients
    from portal.aws import secrets as secret_store

    aws_clients.secretsmanager().put_secret_value(
        SecretId="customer-portal/local/fastspring-webhook",
        SecretString=json.dumps({"current": "new-secret", "previous": SECRET}),
    )
    secret_store.forget()
    assert deliver(fs.batch(fs.order_completed(**NEW)), secret="new-secret")["statusCode"] == 200
    assert deliver(fs.batch(fs.order_completed(**NEW)), secret=SECRET)["statusCode"] == 200
    assert deliver(fs.batch(fs.order_completed(**NEW)), secret="older")["statusCode"] == 401


def test_signed_garbage_is_400(seeded):
    for body in (b"not json", b"[]", b'{"events": "x"}'):
        assert deliver(body)["statusCode"] == 400


# ---------------------------------------------------------------- exactly once
def test_same_order_10_times_same_id_and_3_times_new_ids_is_one_order(seeded, store):
    order = fs.order_completed(**NEW)
    for _ in range(10):
        assert deliver(fs.batch(order))["statusCode"] == 200
    for _ in range(3):
        resend = {**order, "id": fs.new_id()}  # a manual re-send from FastSpring's app
        assert deliver(fs.batch(resend))["statusCode"] == 200
    assert count_items(store, "FSORDER#") == 1
    token = sign_in(NEW["email"], order["data"]["reference"])
    licenses, supports = lists(token)
    assert len(licenses) == 1 and len(supports) == 1
    orders = body_of(invoke("list_orders", event("list_orders", token=token, query={})))
    assert [o["reference"] for o in orders["items"]] == [order["data"]["reference"]]


def test_a_fault_in_the_middle_of_a_batch_is_not_200_and_redelivery_completes_once(seeded, store):
    # given three new buyers' orders in one batch, and DynamoDB failing the second transaction
    events = [fs.order_completed(email=f"buyer{i}@example.com", skus=["T-ENT-5"]) for i in range(3)]
    with failing_transactions(store, fail=lambda n: n == 2):
        # when FastSpring delivers the batch
        first = deliver(fs.batch(*events))
    # then only the first and third are acknowledged, and the second left nothing behind
    assert first["statusCode"] == 202
    assert first["body"].splitlines() == [events[0]["id"], events[2]["id"]]
    assert count_items(store, "FSORDER#") == 2
    assert store.get(keys.webhook_event(events[1]["id"])) is None
    assert store.get(keys.email_lookup("buyer1@example.com")) is None
    assert store.get(keys.order_reference_lookup(events[1]["data"]["reference"])) is None
    # when FastSpring re-sends the whole batch, DynamoDB healthy again
    again = deliver(fs.batch(*events))
    # then everything is there exactly once
    assert again["statusCode"] == 200
    assert count_items(store, "FSORDER#") == 3
    assert count_items(store, "ORDERREF#") == 6 + 2 + 3  # demo + second customer + these


def test_nothing_committed_is_5xx(seeded, store):
    # given DynamoDB failing every transaction
    with failing_transactions(store, fail=lambda n: True):
        # when an order arrives
        response = deliver(fs.batch(fs.order_completed(**NEW)))
    # then FastSpring is told to retry, and nothing was written
    assert response["statusCode"] == 503
    assert count_items(store, "FSORDER#") == 0


def test_an_injected_failure_inside_the_transaction_leaves_nothing(seeded, store, monkeypatch):
    """SECURITY.md 21: a failing part cancels every part; a retry then completes."""
    order = fs.order_completed(**NEW)
    conflict = {**keys.order_reference_lookup(order["data"]["reference"]), "customerId": "x"}
    store.put(conflict)  # makes the ORDERREF# part of the transaction fail
    response = deliver(fs.batch(order))
    assert response["statusCode"] == 200  # recorded as rejected (never retried forever)
    assert count_items(store, "FSORDER#") == 0
    assert count_items(store, "LIC#") == 6 + 2  # only the demo data
    store.delete(keys.order_reference_lookup(order["data"]["reference"]))
    resend = {**order, "id": fs.new_id()}
    assert deliver(fs.batch(resend))["statusCode"] == 200
    assert count_items(store, "FSORDER#") == 1


# ---------------------------------------------------------------- shapes and rules
def test_existing_customer_gets_the_order_and_keeps_their_key(seeded):
    token = sign_in("demo@example.com", "JWT160930-9510-42210")
    key_before = body_of(invoke("me", event("me", token=token)))["activationKey"]
    order = fs.order_completed(
        email="Demo@Example.com",
        skus=["S1Y-T-ENT-10"],
        serial="P65",
        first="Camille",
        last="Martin",
        expanded_account=False,
    )
    assert deliver(fs.batch(order))["statusCode"] == 200
    token = sign_in("demo@example.com", order["data"]["reference"])
    assert body_of(invoke("me", event("me", token=token)))["activationKey"] == key_before
    licenses, supports = lists(token)
    assert len(supports) == 8
    p65 = next(lic for lic in licenses if lic["serialNumber"] == "P65")
    renewal = next(s for s in supports if s["orderNumber"] == order["data"]["reference"])
    assert renewal["serialNumber"] == "P65"
    assert renewal["expiresOn"] == "2028-06-03"  # extends the support running until 2027-06-03
    assert p65["support"]["until"] == "2028-06-03"


def test_unexpanded_account_null_sku_and_null_city(seeded, store):
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
    assert deliver(fs.batch(order))["statusCode"] == 200
    token = sign_in("x.y@example.org", order["data"]["reference"])
    licenses, _ = lists(token)
    assert len(licenses) == 1
    detail = body_of(
        invoke(
            "order_detail",
            event("order_detail", token=token)
            | {
                "pathParameters": {"reference": order["data"]["reference"]},
                "rawPath": f"/api/orders/{order['data']['reference']}",
            },
        )
    )
    assert [i["sku"] for i in detail["items"]] == ["T-ENT-3", None]
    assert detail["items"][1]["subtotal"] == {"amount": "12.34", "currency": "EUR"}
    stored = store.get(
        keys.order_key(body_of_customer(store, "x.y@example.org"), order["data"]["reference"])
    )
    assert stored["items"][1]["unknownSku"] is True
    assert isinstance(stored["total"], Decimal)
    orders = body_of(invoke("list_orders", event("list_orders", token=token, query={})))
    assert orders["billing"]["city"] is None and orders["billing"]["country"] == "GB"


def test_billing_city_comes_from_the_account_when_the_order_address_has_none(seeded):
    # given an order whose own address has a country but no city, while the buyer's expanded
    # account knows the city (and the company only in the account's contact)
    order = fs.order_completed(email="kim.lee@example.co.uk", skus=["T-ENT-3"], city="York")
    data = order["data"]
    data["address"] = {"country": "GB", "city": None, "display": "GB"}
    data["customer"] = {**data["customer"], "company": None}
    assert data["account"]["address"]["city"] == "York"
    # when FastSpring delivers it
    assert deliver(fs.batch(order))["statusCode"] == 200
    # then the Orders page shows the account's city, the order's country, the account's company
    token = sign_in("kim.lee@example.co.uk", data["reference"])
    billing = body_of(invoke("list_orders", event("list_orders", token=token, query={})))["billing"]
    assert (billing["city"], billing["country"], billing["name"]) == (
        "York",
        "GB",
        "Taylor Consulting Ltd",
    )


def test_billing_country_comes_from_the_account_when_no_address_has_one(seeded):
    # given an order with no address at all and an account with only its country
    order = fs.order_completed(email="li.wu@example.com", skus=["T-ENT-3"], company=None)
    data = order["data"]
    data["address"] = None
    data["account"] = {**data["account"], "address": None, "country": "de"}
    # when FastSpring delivers it
    assert deliver(fs.batch(order))["statusCode"] == 200
    # then the billing country is the account's, upper-cased; no city; the buyer's name
    token = sign_in("li.wu@example.com", data["reference"])
    billing = body_of(invoke("list_orders", event("list_orders", token=token, query={})))["billing"]
    assert (billing["city"], billing["country"], billing["name"]) == (None, "DE", "Sam Taylor")


def body_of_customer(store, email: str) -> str:
    return str(store.get(keys.email_lookup(email))["customerId"])


def test_amounts_are_decimal_end_to_end(seeded, store):
    order = fs.order_completed(**NEW)
    order["data"]["total"] = Decimal("704.11")  # 704.11 is not exact as a float
    raw = fs.batch(order)
    assert b'"total": 704.11' in raw  # a JSON number, as FastSpring sends it
    assert deliver(raw)["statusCode"] == 200
    token = sign_in(NEW["email"], order["data"]["reference"])
    orders = body_of(invoke("list_orders", event("list_orders", token=token, query={})))
    assert orders["items"][0]["total"] == {"amount": "704.11", "currency": "EUR"}


def test_test_orders_follow_the_stage_setting(seeded, store, monkeypatch):
    from portal import dependencies

    order = fs.order_completed(**NEW, live=False)
    monkeypatch.setenv("ALLOW_TEST_ORDERS", "false")
    dependencies.reset()
    assert deliver(fs.batch(order))["statusCode"] == 200  # acknowledged ...
    assert count_items(store, "FSORDER#") == 0  # ... but nothing created
    monkeypatch.setenv("ALLOW_TEST_ORDERS", "true")
    dependencies.reset()
    resend = {**order, "id": fs.new_id()}
    assert deliver(fs.batch(resend))["statusCode"] == 200
    assert count_items(store, "FSORDER#") == 1


def test_unknown_event_types_are_acknowledged_and_ignored(seeded, store):
    unknown = {
        "id": "evt-unknown-1",
        "type": "subscription.charge.completed",
        "live": True,
        "created": 1795800000000,
        "data": {"whatever": True},
    }
    response = deliver(fs.batch(unknown, fs.order_completed(**NEW)))
    assert response["statusCode"] == 200
    stored = store.get(keys.webhook_event("evt-unknown-1"))
    assert stored["status"] == "ignored"


def test_malformed_order_is_recorded_and_acknowledged_not_retried_forever(seeded, store):
    order = fs.order_completed(**NEW)
    del order["data"]["items"]
    assert deliver(fs.batch(order))["statusCode"] == 200
    stored = store.get(keys.webhook_event(order["id"]))
    assert stored["status"] == "rejected" and "items" in stored["reason"]
    assert json.loads(stored["payload"])["id"] == order["id"]  # kept for support to replay


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
def test_one_bad_envelope_spoils_only_itself(seeded, store, spoil):
    # given a batch of three orders whose middle event has a broken envelope
    events = [fs.order_completed(email=f"env{i}@example.com", skus=["T-ENT-1"]) for i in range(3)]
    spoil(events[1])
    # when FastSpring delivers it
    response = deliver(fs.batch(*events))
    # then the two good ones are committed and acknowledged, the bad one is not (no 200)
    assert response["statusCode"] == 202
    assert response["body"].splitlines() == [events[0]["id"], events[2]["id"]]
    assert count_items(store, "FSORDER#") == 2


def test_a_batch_of_more_than_500_events_is_400(seeded, store):
    # given 501 (tiny) events; when delivered; then refused whole, nothing written
    body = json.dumps({"events": [{"id": f"e{i}"} for i in range(501)]}).encode()
    assert deliver(body)["statusCode"] == 400
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
def test_bad_order_data_is_rejected_and_kept_while_the_batch_goes_on(seeded, store, spoil, where):
    # given a batch whose first order has bad data and whose second is fine
    bad = fs.order_completed(email="bad@example.com", skus=["T-ENT-1"])
    spoil(bad["data"])
    good = fs.order_completed(email="good@example.com", skus=["T-ENT-1"])
    # when FastSpring delivers it
    response = deliver(fs.batch(bad, good))
    # then both are acknowledged: the bad one recorded as rejected (where, never the value)
    assert response["statusCode"] == 200
    stored = store.get(keys.webhook_event(bad["id"]))
    assert stored["status"] == "rejected" and stored["reason"].startswith(where)
    assert count_items(store, "FSORDER#") == 1


# ---------------------------------------------------------------- refunds
def test_full_refund_revokes_what_the_order_granted(seeded, store):
    order = fs.order_completed(**NEW)
    deliver(fs.batch(order))
    reference = order["data"]["reference"]
    refund = fs.return_created(reference=reference, original_order_id=order["data"]["id"])
    assert deliver(fs.batch(refund))["statusCode"] == 200
    assert deliver(fs.batch(refund))["statusCode"] == 200  # again: nothing more happens
    token = sign_in(NEW["email"], reference)
    licenses, supports = lists(token)
    assert licenses == [] and supports == []
    orders = body_of(invoke("list_orders", event("list_orders", token=token, query={})))
    assert orders["items"][0]["status"] == "refunded"
    assert count_items(store, "REVOKED#") == 2


def test_partial_refund_revokes_only_that_line(seeded):
    order = fs.order_completed(**NEW)
    deliver(fs.batch(order))
    reference = order["data"]["reference"]
    refund = fs.return_created(reference=reference, skus=["S1Y-T-ENT-10"])
    assert deliver(fs.batch(refund))["statusCode"] == 200
    token = sign_in(NEW["email"], reference)
    licenses, supports = lists(token)
    assert len(licenses) == 1 and supports == []
    assert licenses[0]["support"] is None
    orders = body_of(invoke("list_orders", event("list_orders", token=token, query={})))
    assert orders["items"][0]["status"] == "partially_refunded"


def test_a_refund_before_its_order_is_retried_later(seeded):
    refund = fs.return_created(reference="JWT991231-0000-00000")
    assert deliver(fs.batch(refund))["statusCode"] == 503


def test_a_refund_of_a_fifty_line_order_needs_two_transactions_and_completes(seeded, store):
    # given a delivered order of 50 lines: 25 licenses and the 25 supports bound to them
    skus = [sku for n in range(1, 26) for sku in (f"T-ENT-{n}", f"S1Y-T-ENT-{n}")]
    order = fs.order_completed(email="fifty@example.com", skus=skus)
    assert deliver(fs.batch(order))["statusCode"] == 200
    reference = order["data"]["reference"]
    # when the whole order is refunded (100 revocation actions + 3 markers > 100 per transaction)
    refund = fs.return_created(reference=reference)
    assert deliver(fs.batch(refund))["statusCode"] == 200
    # then the 50 records are gone, each kept as a REVOKED# copy, and the order is refunded
    token = sign_in("fifty@example.com", reference)
    assert lists(token) == ([], [])
    assert count_items(store, "REVOKED#") == 50
    orders = body_of(invoke("list_orders", event("list_orders", token=token, query={})))
    assert orders["items"][0]["status"] == "refunded"


BIG = "JWT260105-5050-10000"


def big_order(store, settings, lines: int = 50) -> tuple[str, list[str]]:
    """A customer with an order of `lines` lines, each granting a license AND its support (a
    bundle: today's catalog grants one record per line, but an order line may grant several and
    a refund must revoke any number). Returns the customer id and the granted sort keys."""
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


def test_a_refund_revoking_100_records_completes_exactly_once(seeded, store, settings):
    # given an order of 50 lines, each granting a license and a support: 100 records
    customer_id, granted = big_order(store, settings)
    refund = fs.return_created(reference=BIG)
    # when the whole order is refunded
    assert deliver(fs.batch(refund))["statusCode"] == 200
    # then every record is wholly revoked and the order is refunded
    assert set(revocation_state(store, customer_id, granted).values()) == {"revoked"}
    assert count_items(store, "REVOKED#") == 100
    token = sign_in("bundle@example.com", BIG)
    assert lists(token) == ([], [])
    orders = body_of(invoke("list_orders", event("list_orders", token=token, query={})))
    assert orders["items"][0]["status"] == "refunded"
    # and a re-send (same id, then a manual one with a new id) changes nothing
    assert deliver(fs.batch(refund))["statusCode"] == 200
    assert deliver(fs.batch({**refund, "id": fs.new_id()}))["statusCode"] == 200
    assert count_items(store, "REVOKED#") == 100
    assert count_items(store, "FSRETURN#") == 1


def test_a_refund_failing_in_its_second_transaction_leaves_whole_records_and_resumes_once(
    seeded, store, settings
):
    # given the 100-record order, and DynamoDB failing the refund's second transaction
    customer_id, granted = big_order(store, settings)
    refund = fs.return_created(reference=BIG)
    with failing_transactions(store, fail=lambda n: n == 2) as attempts:
        # when FastSpring delivers the refund
        response = deliver(fs.batch(refund))
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
    token = sign_in("bundle@example.com", BIG)
    orders = body_of(invoke("list_orders", event("list_orders", token=token, query={})))
    assert orders["items"][0]["status"] == "completed"  # the refund is not done yet
    assert store.get(keys.webhook_event(refund["id"])) is None
    assert count_items(store, "FSRETURN#") == 0
    # when FastSpring re-sends it
    assert deliver(fs.batch(refund))["statusCode"] == 200
    # then it finished exactly once: 100 copies, no record left, the order refunded
    assert set(revocation_state(store, customer_id, granted).values()) == {"revoked"}
    assert count_items(store, "REVOKED#") == 100
    assert lists(token) == ([], [])
    orders = body_of(invoke("list_orders", event("list_orders", token=token, query={})))
    assert orders["items"][0]["status"] == "refunded"
    assert store.get(keys.webhook_event(refund["id"]))["status"] == "processed"
    # and one more re-send is a duplicate that writes nothing more
    assert deliver(fs.batch(refund))["statusCode"] == 200
    assert count_items(store, "REVOKED#") == 100 and count_items(store, "FSRETURN#") == 1


def test_a_partial_refund_of_a_renewal_moves_the_license_support_date_back(seeded):
    # given the demo license P65 renewed by a new order (support until 2028-06-03)
    order = fs.order_completed(
        email="demo@example.com", skus=["S1Y-T-ENT-10"], serial="P65", expanded_account=False
    )
    assert deliver(fs.batch(order))["statusCode"] == 200
    # when that renewal is refunded
    refund = fs.return_created(reference=order["data"]["reference"], skus=["S1Y-T-ENT-10"])
    assert deliver(fs.batch(refund))["statusCode"] == 200
    # then the license's support ends with the support that remains (2027-06-03)
    token = sign_in("demo@example.com", "JWT160930-9510-42210")
    licenses, supports = lists(token)
    p65 = next(lic for lic in licenses if lic["serialNumber"] == "P65")
    assert p65["support"]["until"] == "2027-06-03"
    assert len(supports) == 7


# ---------------------------------------------------------------- performance
@pytest.mark.parametrize("lines", [1, 2, 6])
def test_webhook_calls_are_one_transaction_plus_a_constant(seeded, calls, lines):
    skus = ["T-ENT-10", "S1Y-T-ENT-10", "T-ENT-5", "S2Y-T-ENT-5", "RW-5", "S1Y-RW-5"][:lines]
    first = fs.order_completed(email="a@example.com", skus=skus)
    second = fs.order_completed(email="a@example.com", skus=skus)
    calls.clear()
    deliver(fs.batch(first))
    assert calls.operations == ["BatchGetItem", "TransactWriteItems"]  # new customer
    calls.clear()
    deliver(fs.batch(fs.order_completed(email="b@example.com", skus=["T-ENT-1"]), second))
    # the second event of the batch, an existing customer: + its profile, whatever its size
    assert calls.operations == [
        "BatchGetItem",
        "TransactWriteItems",
        "BatchGetItem",
        "GetItem",
        "TransactWriteItems",
    ]
