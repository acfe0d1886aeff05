"""The product activates and refreshes itself with the activation key (API.md "Activation"): the
requested or the oldest free license, idempotent re-activation, the 409/410 codes, identical 401s,
the rate limits, the 20-way race, refresh after a renewal and a refund, and exact call counts."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest

from local import fastspring as fs
from portal import base64url
from portal.errors import LicenseInUse, NoLicenseAvailable
from portal.licensing import activation
from product_sdk.verify_license import InvalidLicenseFile, verify
from tests.support import (
    activate,
    body_of,
    buyer,
    deliver,
    download,
    event,
    invoke,
    manage_license,
    published_keys,
    refresh,
    sign_in,
)

WRONG = "ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ"


def payload_of(answer: dict) -> dict:
    """The signed payload of a `licenseFile` (its signature is the verifier's business)."""
    signed = json.loads(answer["licenseFile"])
    return json.loads(base64url.decode(signed["payload"]))


def error_of(response: dict) -> str:
    return body_of(response)["error"]["code"]


# ---------------------------------------------------------------- activate
def test_activate_binds_the_oldest_free_license_of_the_product_ignoring_case(make_customer, clock):
    # given a customer with two TSplus licenses (the older one in use) and a Remote Work one
    customer = make_customer(
        licenses=[
            ("TSplus", "Enterprise", 10, None, "SRV-OLD"),
            ("TSplus", "Enterprise", 5),
            ("TSplus", "Desktop", 3),
            ("Remote Work", None, 5),
        ]
    )
    in_use, oldest_free, newer_free, _ = customer.license_ids
    # when the product activates "tsplus" from a new computer
    response = activate(
        customer.activation_key.lower(), "SRV-NEW-01", "tsplus", computer_name="Lyon office"
    )
    # then the oldest free TSplus license is bound to it, and the file says so
    assert response["statusCode"] == 200, response
    answer = body_of(response)
    payload = payload_of(answer)
    assert payload["kind"] == "license"
    assert payload["license"]["id"] == oldest_free
    assert payload["license"]["computerId"] == "SRV-NEW-01"
    assert payload["license"]["computerName"] == "Lyon office"
    assert payload["issuedAt"] == "2026-11-27T09:00:00Z"
    assert payload["expiresAt"] == "2026-12-27T09:00:00Z"  # PRODUCT_FILE_DAYS: 30
    # and the answer lists the customer's TSplus licenses only, as they are now
    listed = {lic["id"]: lic["computerId"] for lic in answer["licenses"]}
    assert listed == {in_use: "SRV-OLD", oldest_free: "SRV-NEW-01", newer_free: None}


def test_activate_binds_the_requested_license(make_customer, clock):
    customer = make_customer(licenses=[("TSplus", "Enterprise", 10), ("TSplus", "Enterprise", 5)])
    wanted = customer.license_ids[1]
    response = activate(customer.activation_key, "SRV-A", license_id=wanted)
    assert response["statusCode"] == 200, response
    assert payload_of(body_of(response))["license"]["id"] == wanted


def test_the_same_computer_again_gets_the_same_binding(make_customer, clock, calls):
    # given a license activated on SRV-A
    customer = make_customer(licenses=[("TSplus", "Enterprise", 10), ("TSplus", "Enterprise", 5)])
    first = body_of(activate(customer.activation_key, "SRV-A"))
    # when SRV-A activates again (without a license id, then with it)
    calls.clear()
    again = activate(customer.activation_key, "SRV-A")
    assert calls.operations == ["BatchGetItem", "Query"]  # nothing written
    requested = activate(
        customer.activation_key, "SRV-A", license_id=payload_of(first)["license"]["id"]
    )
    # then both answer the same license, and the other license stays free
    for response in (again, requested):
        assert response["statusCode"] == 200
        assert payload_of(body_of(response))["license"] == payload_of(first)["license"]
    free = [lic for lic in body_of(again)["licenses"] if lic["computerId"] is None]
    assert len(free) == 1


def test_a_requested_license_bound_elsewhere_is_409_license_in_use(make_customer, clock):
    customer = make_customer(licenses=[("TSplus", "Enterprise", 10), ("TSplus", "Enterprise", 5)])
    wanted = customer.license_ids[0]
    assert activate(customer.activation_key, "SRV-A", license_id=wanted)["statusCode"] == 200
    response = activate(customer.activation_key, "SRV-B", license_id=wanted)
    assert response["statusCode"] == 409
    assert error_of(response) == "license_in_use"


def test_no_free_license_of_the_product_is_409(make_customer, clock):
    customer = make_customer(licenses=[("TSplus", "Enterprise", 10), ("Remote Work", None, 5)])
    assert activate(customer.activation_key, "SRV-A")["statusCode"] == 200
    for product in ("TSplus", "Unknown product"):
        response = activate(customer.activation_key, "SRV-B", product)
        assert (response["statusCode"], error_of(response)) == (409, "no_license_available")


def test_another_customers_license_id_is_no_license_of_yours(make_customer, clock):
    # given two customers; when the first asks for the second's license id
    mine = make_customer(licenses=[("TSplus", "Enterprise", 10)])
    theirs = make_customer(licenses=[("TSplus", "Enterprise", 10)])
    response = activate(mine.activation_key, "SRV-A", license_id=theirs.license_ids[0])
    # then it is refused like any license id that is not the key's, and theirs stays free
    assert (response["statusCode"], error_of(response)) == (409, "no_license_available")
    answer = body_of(activate(theirs.activation_key, "SRV-T"))
    assert payload_of(answer)["license"]["id"] == theirs.license_ids[0]


def test_every_wrong_key_gets_the_same_401(make_customer, clock):
    # given a customer, and keys that are wrong in different ways
    customer = make_customer(licenses=[("TSplus", "Enterprise", 10)])
    key = customer.activation_key
    wrong_keys = [WRONG, key[:-1] + ("0" if key[-1] != "0" else "1"), "abc", "A" * 64, "0000"]
    # when each is used to activate and to refresh
    answers = [activate(wrong, "SRV-A") for wrong in wrong_keys]
    answers += [refresh(wrong, "SRV-A") for wrong in wrong_keys]
    # then every answer is byte-identical: 401 invalid_activation_key
    assert {a["statusCode"] for a in answers} == {401}
    assert len({a["body"] for a in answers}) == 1
    assert len({json.dumps(a["headers"], sort_keys=True) for a in answers}) == 1
    assert error_of(answers[0]) == "invalid_activation_key"


def test_a_refunded_license_stops_working_at_its_files_refresh_by_date(aws, clock):
    # given a license activated by the product on SRV-R, which holds its short-lived file
    order = fs.order_completed(email="stops.working@example.com", skus=["T-ENT-10"])
    assert deliver(order)["statusCode"] == 200
    token = sign_in(buyer(order))
    key = body_of(_me(token))["activationKey"]
    held = body_of(activate(key, "SRV-R"))["licenseFile"].encode()
    keys = {k["kid"]: k["publicKey"] for k in body_of(published_keys())["keys"]}
    refresh_by = datetime.fromisoformat(payload_of({"licenseFile": held})["expiresAt"])
    assert refresh_by == clock.now() + timedelta(days=30)

    # when the order is refunded
    refund = fs.return_created(reference=order["data"]["reference"])
    assert deliver(refund)["statusCode"] == 200

    # then the product's next refresh says so (410 license_revoked, no new file), and the file it
    # holds verifies until its refresh-by time and never after: the license stops working
    clock.advance(days=29)
    response = refresh(key, "SRV-R")
    assert (response["statusCode"], error_of(response)) == (410, "license_revoked")
    assert "licenseFile" not in body_of(response)
    assert verify(held, keys, computer_id="SRV-R", now=refresh_by - timedelta(seconds=1))
    with pytest.raises(InvalidLicenseFile):
        verify(held, keys, computer_id="SRV-R", now=refresh_by)


def test_a_refunded_license_is_410_when_requested_and_on_refresh(make_customer, clock):
    # given a FastSpring order of two licenses, one activated on SRV-A, the other free
    order = fs.order_completed(email="refund.me@example.com", skus=["T-ENT-10"])
    order["data"]["items"][0]["quantity"] = 2
    assert deliver(order)["statusCode"] == 200
    reference = order["data"]["reference"]
    token = sign_in({"email": "refund.me@example.com", "orderNumber": reference})
    key = body_of(_me(token))["activationKey"]
    bound = payload_of(body_of(activate(key, "SRV-A")))["license"]["id"]
    # when the whole order is refunded
    refund = fs.return_created(reference=reference, original_order_id=order["data"]["id"])
    assert deliver(refund)["statusCode"] == 200
    # then SRV-A's refresh and a request for that license answer 410 license_revoked
    for response in (refresh(key, "SRV-A"), activate(key, "SRV-B", license_id=bound)):
        assert (response["statusCode"], error_of(response)) == (410, "license_revoked")
    # and nothing is left to activate
    response = activate(key, "SRV-B")
    assert (response["statusCode"], error_of(response)) == (409, "no_license_available")
    # and the customer sees in its history where the license was revoked
    history = body_of(manage_license("history", token, bound))["items"]
    assert [(h["event"], h["computerId"]) for h in history] == [
        ("revoked", "SRV-A"),
        ("activated", "SRV-A"),
    ]


def _me(token: str) -> dict:
    from tests.support import call

    return call("me", token)


def test_malformed_requests_are_400(make_customer, clock):
    customer = make_customer(licenses=[("TSplus", "Enterprise", 10)])
    key = customer.activation_key
    for computer_id, name in [
        ("x" * 129, "ok"),  # too long
        ("SRV A", "ok"),  # a space: not in the allow-list
        ("SRV/../A", "ok"),
        ("", "ok"),
        ("SRV-A", "x" * 65),
        ("SRV-A", "bad\x00name"),
        ("SRV-A", "line\nbreak"),
        ("SRV-A", "bidi\u202eevil"),
        ("SRV-A", "   "),
    ]:
        response = activate(key, computer_id, computer_name=name)
        assert response["statusCode"] == 400, (computer_id, name)
    for product in ("", "TS\x00plus", "x" * 65):
        assert activate(key, "SRV-A", product)["statusCode"] == 400, product
    for body in ({"activationKey": key}, [], "not json", {"activationKey": key * 4}):
        ev_body = body if isinstance(body, str) else json.dumps(body)
        response = invoke("activation", event("activation", body=ev_body))
        assert response["statusCode"] == 400, body
    assert activate(key, "SRV-A", computer_name="Büro 3 — Lyon")["statusCode"] == 200


# ---------------------------------------------------------------- rate limits
def test_failures_per_key_are_limited_then_429_with_retry_after(make_customer, clock):
    # given ten failed activations with one wrong key, ten seconds apart
    for _ in range(10):
        assert activate(WRONG, "SRV-A", ip="198.51.100.1")["statusCode"] == 401
        clock.advance(seconds=10)
    # when it is tried again, even from another address
    response = activate(WRONG, "SRV-A", ip="198.51.100.2")
    # then 429, until the oldest failure leaves the 15-minute window
    assert response["statusCode"] == 429
    assert error_of(response) == "too_many_attempts"
    assert response["headers"]["Retry-After"] == str(15 * 60 - 100)
    clock.advance(seconds=15 * 60 - 100)
    assert activate(WRONG, "SRV-A", ip="198.51.100.2")["statusCode"] == 401


def test_failures_per_ip_are_limited_even_for_the_right_key(make_customer, clock):
    customer = make_customer(licenses=[("TSplus", "Enterprise", 10)])
    # given 100 different wrong keys from one address
    for n in range(100):
        assert activate(f"ZZZZ-ZZZZ-ZZZZ-ZZZZ-{n:04d}", "SRV-A")["statusCode"] == 401
    # then that address is refused before any key is looked at, the right one too
    response = activate(customer.activation_key, "SRV-A")
    assert response["statusCode"] == 429 and int(response["headers"]["Retry-After"]) > 0
    # while the customer's product elsewhere is served
    assert activate(customer.activation_key, "SRV-A", ip="192.0.2.50")["statusCode"] == 200


def test_successes_do_not_count_towards_the_limit(make_customer, clock):
    customer = make_customer(licenses=[("TSplus", "Enterprise", 10)])
    for _ in range(15):
        assert activate(customer.activation_key, "SRV-A")["statusCode"] == 200
        assert refresh(customer.activation_key, "SRV-A")["statusCode"] == 200


def test_parallel_wrong_keys_get_no_more_answers_than_the_limit(
    store, settings, clock, atomic_writes
):
    # given 30 parallel activations with one wrong key
    def attempt(_: int) -> str:
        try:
            activation.activate(
                WRONG, "SRV-A", "SRV-A", "TSplus", None, "198.51.100.9",
                store=store, settings=settings, clock=clock,
            )  # fmt: skip
        except Exception as failure:  # noqa: BLE001 - the code is what is compared
            return getattr(failure, "code", repr(failure))
        return "ok"

    with ThreadPoolExecutor(max_workers=10) as pool:
        codes = list(pool.map(attempt, range(30)))
    # then at most 10 were answered 401 (each recorded first), the rest 429
    assert set(codes) <= {"invalid_activation_key", "too_many_attempts"}
    assert 1 <= codes.count("invalid_activation_key") <= settings.activation_failures_per_key


# ---------------------------------------------------------------- the race (SECURITY.md 18)
def test_twenty_computers_racing_for_one_free_license_give_one_winner(
    make_customer, store, settings, clock, atomic_writes
):
    # given one free license
    customer = make_customer(licenses=[("TSplus", "Enterprise", 10)])

    def claim(n: int) -> str:
        try:
            done = activation.activate(
                customer.activation_key, f"SRV-{n:02d}", f"Computer {n}", "TSplus", None,
                f"192.0.2.{n}", store=store, settings=settings, clock=clock,
            )  # fmt: skip
        except (NoLicenseAvailable, LicenseInUse) as lost:
            return lost.code
        return done.license.computer_id or "?"

    # when 20 computers activate it at once
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(claim, range(20)))
    # then exactly one wins and 19 are told 409
    winners = [r for r in results if r.startswith("SRV-")]
    assert len(winners) == 1
    assert results.count("no_license_available") == 19
    # and the license is bound to the winner, with one activation in its history
    token = sign_in(customer)
    history = body_of(manage_license("history", token, customer.license_ids[0]))["items"]
    assert [(h["event"], h["computerId"]) for h in history] == [("activated", winners[0])]


def test_twenty_racing_for_one_requested_license_give_one_winner(
    make_customer, store, settings, clock, atomic_writes
):
    customer = make_customer(licenses=[("TSplus", "Enterprise", 10), ("TSplus", "Enterprise", 5)])
    wanted = customer.license_ids[0]

    def claim(n: int) -> str:
        try:
            activation.activate(
                customer.activation_key, f"SRV-{n:02d}", f"Computer {n}", "TSplus", wanted,
                "192.0.2.1", store=store, settings=settings, clock=clock,
            )  # fmt: skip
        except LicenseInUse as lost:
            return lost.code
        return "won"

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(claim, range(20)))
    assert results.count("won") == 1 and results.count("license_in_use") == 19


# ---------------------------------------------------------------- refresh
def test_refresh_answers_the_binding_and_a_fresh_file(make_customer, clock):
    customer = make_customer(licenses=[("TSplus", "Enterprise", 10), ("Remote Work", None, 5)])
    first = payload_of(body_of(activate(customer.activation_key, "SRV-A")))
    clock.advance(days=20)
    response = refresh(customer.activation_key, "SRV-A")
    assert response["statusCode"] == 200
    answer = body_of(response)
    payload = payload_of(answer)
    assert payload["license"] == first["license"]
    assert payload["issuedAt"] == "2026-12-17T09:00:00Z"
    assert payload["expiresAt"] == "2027-01-16T09:00:00Z"
    assert [lic["software"] for lic in answer["licenses"]] == ["TSplus"]


def test_refresh_after_a_support_renewal_delivered_by_webhook_shows_the_new_date(store, clock):
    # given a customer whose order of a license with one year of support arrived by webhook
    email = "renew.me@example.com"
    order = fs.order_completed(email=email, skus=["T-ENT-10", "S1Y-T-ENT-10"], at=clock.now())
    assert deliver(order)["statusCode"] == 200
    token = sign_in({"email": email, "orderNumber": order["data"]["reference"]})
    key = body_of(_me(token))["activationKey"]
    before = payload_of(body_of(activate(key, "SRV-A")))["license"]
    assert before["supportUntil"] == "2027-11-27"
    # when a two-year renewal naming its serial number is delivered
    renewal = fs.order_completed(
        email=email, skus=["S2Y-T-ENT-10"], serial=before["serialNumber"], at=clock.now()
    )
    assert deliver(renewal)["statusCode"] == 200
    # then the product's next refresh carries the new support end
    after = payload_of(body_of(refresh(key, "SRV-A")))["license"]
    assert after["supportUntil"] == "2029-11-27"
    assert after["id"] == before["id"] and after["serialNumber"] == before["serialNumber"]


def test_refresh_from_a_computer_without_a_license_is_409_not_activated(make_customer, clock):
    customer = make_customer(licenses=[("TSplus", "Enterprise", 10)])
    other = make_customer(licenses=[("TSplus", "Enterprise", 10)])
    # another customer's license on SRV-B tells the first customer nothing
    assert activate(other.activation_key, "SRV-B")["statusCode"] == 200
    for computer in ("SRV-NEVER", "SRV-B"):
        response = refresh(customer.activation_key, computer)
        assert (response["statusCode"], error_of(response)) == (409, "not_activated")


def test_release_then_activation_elsewhere_moves_the_license(make_customer, clock):
    # given a license activated on SRV-A
    customer = make_customer(licenses=[("TSplus", "Enterprise", 10)])
    license_id = customer.license_ids[0]
    assert activate(customer.activation_key, "SRV-A")["statusCode"] == 200
    # when the customer releases it in the portal and SRV-B activates
    token = sign_in(customer)
    released = manage_license("release", token, license_id)
    assert released["statusCode"] == 200, released
    assert body_of(released)["computerId"] is None
    clock.advance(minutes=5)
    assert activate(customer.activation_key, "SRV-B")["statusCode"] == 200
    # then SRV-A's refresh is 409 license_moved, SRV-B's is served
    response = refresh(customer.activation_key, "SRV-A")
    assert (response["statusCode"], error_of(response)) == (409, "license_moved")
    assert (
        payload_of(body_of(refresh(customer.activation_key, "SRV-B")))["license"]["computerId"]
        == "SRV-B"
    )
    # and the history shows both computers, newest first
    history = body_of(manage_license("history", token, license_id))["items"]
    assert [(h["event"], h["computerId"]) for h in history] == [
        ("activated", "SRV-B"),
        ("released", "SRV-A"),
        ("activated", "SRV-A"),
    ]


def test_refresh_of_a_license_moved_back_is_served_again(make_customer, clock):
    customer = make_customer(licenses=[("TSplus", "Enterprise", 10)])
    token = sign_in(customer)
    activate(customer.activation_key, "SRV-A")
    manage_license("release", token, customer.license_ids[0])
    activate(customer.activation_key, "SRV-A")
    assert refresh(customer.activation_key, "SRV-A")["statusCode"] == 200


# ---------------------------------------------------------------- call counts (PERFORMANCE.md)
def test_activate_and_refresh_take_at_most_three_dynamodb_calls(make_customer, clock, calls):
    customer = make_customer(licenses=[("TSplus", "Enterprise", 10)] * 3)
    calls.clear()
    assert activate(customer.activation_key, "SRV-A")["statusCode"] == 200
    assert calls.operations == ["BatchGetItem", "Query", "TransactWriteItems"]
    calls.clear()
    assert refresh(customer.activation_key, "SRV-A")["statusCode"] == 200
    assert calls.operations == ["BatchGetItem", "Query", "Query"]
    assert all(scanned == count for scanned, count in calls.query_counts)
    calls.clear()
    assert activate(WRONG, "SRV-A")["statusCode"] == 401
    assert calls.operations == ["BatchGetItem", "TransactWriteItems"]


# ---------------------------------------------------------------- partial refunds
def test_a_partial_refund_of_k_units_revokes_k_licenses_never_activated_first(store, clock):
    # given an order line of quantity 3: three licenses, one of them activated
    email = "three.seats@example.com"
    order = fs.order_completed(email=email, skus=["T-ENT-10"], at=clock.now())
    order["data"]["items"][0]["quantity"] = 3
    assert deliver(order)["statusCode"] == 200
    reference = order["data"]["reference"]
    token = sign_in({"email": email, "orderNumber": reference})
    key = body_of(_me(token))["activationKey"]
    licenses = _licenses(token)
    assert len(licenses) == 3 and len({lic["serialNumber"] for lic in licenses}) == 3
    bound = payload_of(body_of(activate(key, "SRV-A", license_id=licenses[0]["id"])))
    # when 2 units are refunded
    refund = fs.return_created(reference=reference, skus=["T-ENT-10"])
    refund["data"]["items"][0]["quantity"] = 2
    assert deliver(refund)["statusCode"] == 200
    assert deliver(refund)["statusCode"] == 200  # a redelivery changes nothing
    # then the two never-activated licenses are revoked, the activated one stays
    left = _licenses(token)
    assert [lic["id"] for lic in left] == [bound["license"]["id"]]
    assert refresh(key, "SRV-A")["statusCode"] == 200
    # and when the last unit is refunded, the activated one goes too
    last = fs.return_created(reference=reference, skus=["T-ENT-10"])
    assert deliver(last)["statusCode"] == 200
    assert _licenses(token) == []
    assert refresh(key, "SRV-A")["statusCode"] == 410


def _licenses(token: str) -> list[dict]:
    from tests.support import listed

    return listed("licenses", token)


# ---------------------------------------------------------------- downloads
def test_a_license_bound_to_no_computer_has_no_file(make_customer, clock):
    customer = make_customer(licenses=[("TSplus", "Enterprise", 10)])
    token = sign_in(customer)
    response = download("licenses", token, customer.license_ids[0])
    assert (response["statusCode"], error_of(response)) == (409, "not_activated")
    activate(customer.activation_key, "SRV-A")
    response = download("licenses", token, customer.license_ids[0])
    assert response["statusCode"] == 200
    payload = json.loads(base64url.decode(json.loads(response["body"])["payload"]))
    assert payload["license"]["computerId"] == "SRV-A"
    assert payload["expiresAt"] == "2027-11-27T09:00:00Z"  # DOWNLOAD_FILE_DAYS: 365


def test_file_validity_comes_from_the_settings(make_customer, clock, monkeypatch):
    from portal import dependencies

    monkeypatch.setenv("PRODUCT_FILE_DAYS", "7")
    dependencies.reset()
    customer = make_customer(licenses=[("TSplus", "Enterprise", 10)])
    payload = payload_of(body_of(activate(customer.activation_key, "SRV-A")))
    assert payload["expiresAt"] == (
        (clock.now() + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
    )


@pytest.mark.parametrize("product", ["TSplus", "TSPLUS", "tsplus"])
def test_product_names_compare_ignoring_case(make_customer, clock, product):
    customer = make_customer(licenses=[("TSplus", "Enterprise", 10)])
    assert activate(customer.activation_key, "SRV-A", product)["statusCode"] == 200
