"""Sign-in per API.md and SECURITY.md 1-4, 6: given a customer, when they sign in...

The guide's customer (the demo data) signs in where the point is what the guide shows: its email
and order number as a customer types them, its name and language. Everywhere else the test makes
the customer it needs (tests/factories.py)."""

from __future__ import annotations

import json

import pytest

from portal.accounts.rate_limit import Reservation
from portal.accounts.sign_in import sign_in as sign_in_directly
from portal.data import keys
from portal.data import sign_in as attempts
from portal.errors import InvalidCredentials
from tests.support import (
    DEMO,
    DEMO_EMAIL,
    DEMO_ORDER,
    body_of,
    call,
    logged,
    login,
    session_token,
    sign_in_browser,
)

# A customer made with this email by the tests of malformed bodies: each body names a real email.
REAL_EMAIL = "real.customer@example.com"


def near_miss(reference: str) -> str:
    """The order number with its last digit changed: a wrong one of the same shape."""
    return reference[:-1] + ("2" if reference.endswith("1") else "1")


# ---------------------------------------------------------------- the guide's customer
def test_sign_in_normalises_email_and_order_number_and_sets_host_cookie(seeded):
    # given the guide's customer (the point: its email and order number as typed, its name),
    # from the browser they verified once
    browser = sign_in_browser(DEMO)
    local, _, domain = DEMO_EMAIL.partition("@")
    typed = {
        "email": f"  {local.capitalize()}@{domain.upper()} ",
        "orderNumber": f"{DEMO_ORDER.lower()} ",
    }

    # when they sign in with them in other cases, surrounded by spaces
    response = login(typed, trust=browser.trust)

    # then they are signed in as themselves, with a __Host- cookie that is Secure, HttpOnly,
    # SameSite=Strict, on Path=/ and without a Domain
    assert response["statusCode"] == 200
    assert body_of(response) == {
        "customer": {"email": DEMO_EMAIL, "name": "Camille Martin", "language": "fr"}
    }
    (cookie,) = response["cookies"]
    name, _, rest = cookie.partition("=")
    assert name == "__Host-portal_session"
    attributes = {part.strip().split("=")[0].lower() for part in rest.split(";")[1:]}
    assert {"secure", "httponly", "path", "samesite"} <= attributes
    assert "domain" not in attributes
    assert "SameSite=Strict" in cookie and "Path=/;" in cookie + ";"


def test_order_number_with_inner_space_as_in_the_guide(seeded):
    # given the guide's customer, whose order number the guide shows as "JWT 160930-9510-42210"
    spaced = f"{DEMO_ORDER[:3]} {DEMO_ORDER[3:]}"

    # when they sign in with it, then the pair is right: a code is mailed (202)
    assert login({"email": DEMO_EMAIL, "orderNumber": spaced})["statusCode"] == 202


# ---------------------------------------------------------------- failures
def test_every_failure_is_byte_identical(make_customer):
    # given two customers
    customer, other = make_customer(), make_customer()

    # when one signs in with a wrong order number, an unknown email with their order number,
    # and with the other customer's order number
    wrong_order = login({"email": customer.email, "orderNumber": near_miss(customer.order_number)})
    unknown_email = login({"email": "nobody@example.com", "orderNumber": customer.order_number})
    other_customer = login({"email": customer.email, "orderNumber": other.order_number})

    # then all three answers are the same 401, byte for byte
    assert wrong_order["statusCode"] == 401
    assert wrong_order == unknown_email == other_customer
    assert body_of(wrong_order)["error"]["code"] == "invalid_credentials"


def test_a_new_token_at_each_sign_in_and_only_its_hash_is_stored(make_customer, store):
    # given a customer
    customer = make_customer()

    # when they sign in twice (verifying their browser the first time)
    browser = sign_in_browser(customer)
    first = browser.session
    second = session_token(login(customer, trust=browser.trust))

    # then each sign-in has its own 256-bit token, stored only by its hash, and so is the trust
    assert first != second
    assert len(first) >= 43  # 256 bits, url-safe base64
    assert store.get(keys.session_key(first)) is not None
    raw = store.client.scan(TableName=store.table_name)["Items"]  # test-only inspection
    dump = repr(raw)
    assert first not in dump and second not in dump and browser.trust not in dump


# ---------------------------------------------------------------- rate limits
def test_eleventh_failure_for_one_email_is_429_with_retry_after(make_customer, clock):
    # given a customer, and ten failures for their email, ten seconds apart
    customer = make_customer()
    for attempt in range(10):
        wrong = {"email": customer.email, "orderNumber": f"JWT0000{attempt}"}
        assert login(wrong)["statusCode"] == 401
        clock.advance(seconds=10)

    # when an eleventh attempt comes
    limited = login({"email": customer.email, "orderNumber": "JWT999"})

    # then it is 429, told to wait until the first failure (100 s ago) leaves the 15-minute
    # window in 800 s
    assert limited["statusCode"] == 429
    assert body_of(limited)["error"]["code"] == "too_many_attempts"
    assert limited["headers"]["Retry-After"] == "800"
    # and even the right order number is refused while limited, and the answer is the same
    assert login(customer)["statusCode"] == 429


def test_limit_reveals_nothing_about_whether_the_email_exists(make_customer, clock):
    # given ten failures, from ten addresses, for a customer's email and for an unknown one
    customer = make_customer()
    for email in (customer.email, "nobody@example.com"):
        for attempt in range(10):
            login({"email": email, "orderNumber": f"JWT1{attempt}"}, ip=f"198.51.100.{attempt}")

    # when both are tried once more, from a fresh address
    known = login({"email": customer.email, "orderNumber": "JWT7"}, ip="198.51.100.99")
    unknown = login({"email": "nobody@example.com", "orderNumber": "JWT7"}, ip="198.51.100.99")

    # then both answers are the same 429
    assert known["statusCode"] == unknown["statusCode"] == 429
    assert known == unknown


def test_a_real_customer_is_never_locked_out_longer_than_the_window(make_customer, clock):
    # given a customer whose email is limited by ten failures, on their trusted browser
    customer = make_customer()
    browser = sign_in_browser(customer)
    for attempt in range(10):
        login({"email": customer.email, "orderNumber": f"JWT2{attempt}"})
    assert login(customer, trust=browser.trust)["statusCode"] == 429

    # when the 15-minute window has passed, then they sign in
    clock.advance(seconds=15 * 60)
    assert login(customer, trust=browser.trust)["statusCode"] == 200


def test_successful_sign_ins_do_not_count_towards_the_limit(make_customer, clock):
    # given a customer on their trusted browser, when they sign in fifteen times, then every
    # sign-in succeeds
    customer = make_customer()
    browser = sign_in_browser(customer)
    for _ in range(15):
        assert login(customer, trust=browser.trust)["statusCode"] == 200


def test_hundred_failures_from_one_ip_then_429_for_any_email(make_customer, clock):
    # given a customer, and a hundred failures from one address for a hundred emails
    customer = make_customer()
    for attempt in range(100):
        response = login({"email": f"user{attempt}@example.com", "orderNumber": "JWT1"})
        assert response["statusCode"] == 401

    # when the customer signs in from that address, then 429; from another address, the pair is
    # accepted (202: a code is mailed)
    assert login(customer)["statusCode"] == 429
    assert login(customer, ip="198.51.100.7")["statusCode"] == 202


# ---------------------------------------------------------------- what the logs say
def test_failed_and_refused_sign_ins_are_logged_with_digests_never_in_clear(make_customer):
    # given a customer and a caller at a known address
    customer = make_customer()
    ip = "198.51.100.77"
    typed = f" {customer.email.upper()} "

    # when they fail ten times from that address (the email typed in capitals), then are refused
    with logged() as lines:
        for attempt in range(10):
            wrong = {"email": typed, "orderNumber": f"JWT0000{attempt}"}
            assert login(wrong, ip=ip)["statusCode"] == 401
        assert login({"email": typed, "orderNumber": "JWT999"}, ip=ip)["statusCode"] == 429

    # then each failure and the refusal is one line naming the digests of the normalised email
    # and of the address, and neither the email (in any case), nor the address, nor an order
    # number appears anywhere in the logs
    records = [json.loads(line) for line in lines]
    attempts_logged = [r for r in records if r["message"].startswith("sign-in")]
    assert [(r["message"], r["reason"]) for r in attempts_logged] == [
        ("sign-in failed", "invalid_credentials")
    ] * 10 + [("sign-in refused", "too_many_attempts")]
    for record in attempts_logged:
        assert record["emailDigest"] == keys.digest(customer.email)
        assert record["ipDigest"] == keys.digest(ip)
    text = "\n".join(lines)
    for clear in (customer.email, customer.email.upper(), ip, "JWT00000", "JWT999"):
        assert clear not in text


# ---------------------------------------------------------------- malformed requests
@pytest.mark.parametrize(
    "body",
    [
        {"email": REAL_EMAIL},
        {"orderNumber": "JWT1"},
        {"email": "not-an-email", "orderNumber": "JWT1"},
        {"email": "a" * 250 + "@example.com", "orderNumber": "JWT1"},
        {"email": REAL_EMAIL, "orderNumber": "JWT1!"},
        {"email": REAL_EMAIL, "orderNumber": "J" * 65},
        {"email": REAL_EMAIL, "orderNumber": "JWT1", "admin": True},
        {"email": [REAL_EMAIL], "orderNumber": "JWT1"},
        "{not json",
        "[]",
    ],
)
def test_malformed_sign_in_is_400(make_customer, body):
    # given a customer with the email the bodies name
    make_customer(email=REAL_EMAIL)

    # when a malformed body is sent, then 400
    response = login(body)
    assert response["statusCode"] == 400
    assert body_of(response)["error"]["code"] == "bad_request"


def test_wrong_content_type_and_oversized_body(make_customer):
    # given a customer
    customer = make_customer()

    # when they sign in as text/plain, then 415; with a body over the limit, then 413
    assert login(customer, headers={"content-type": "text/plain"})["statusCode"] == 415
    huge = {"email": customer.email, "orderNumber": "JWT1", "pad": "x" * 20_000}
    assert login(huge)["statusCode"] == 413


@pytest.mark.parametrize("origin", [None, "https://evil.example", "http://127.0.0.1:3001"])
def test_sign_in_from_another_origin_is_refused(make_customer, origin):
    # given a customer
    customer = make_customer()

    # when they sign in from another origin (or none)
    response = login(customer, origin=origin)

    # then 403
    assert response["statusCode"] == 403
    assert body_of(response)["error"]["code"] == "forbidden_origin"


# ---------------------------------------------------------------- parallel attempts
def test_a_parallel_guess_cannot_take_the_last_attempt_twice(make_customer, clock, store, settings):
    """Reserve before check: a slot read free is taken only if it is still free."""
    # given a customer with nine failures for their email: one attempt left in its window
    customer = make_customer()
    for attempt in range(9):
        wrong = {"email": customer.email, "orderNumber": f"JWT3{attempt}"}
        assert login(wrong)["statusCode"] == 401
    # and a wrong guess that lands between this sign-in's read and its reservation
    guesses: list[type[Exception]] = []

    def parallel_guess(**_: object) -> None:
        if guesses:
            return
        guesses.append(Exception)
        try:
            sign_in_directly(
                customer.email,
                "JWT399",
                "198.51.100.1",
                store=store,
                settings=settings,
                clock=clock,
            )
        except InvalidCredentials as failed:
            guesses[0] = type(failed)

    events = store.client.meta.events
    events.register("before-call.dynamodb.TransactWriteItems", parallel_guess, unique_id="race")
    try:
        # when the customer signs in with the right order number
        response = login(customer)
    finally:
        events.unregister("before-call.dynamodb.TransactWriteItems", unique_id="race")

    # then the guess took the last attempt and failed, and the sign-in, which had read that
    # attempt free, read again and is refused like any limited one
    assert guesses == [InvalidCredentials]
    assert response["statusCode"] == 429
    assert body_of(response)["error"]["code"] == "too_many_attempts"


def test_a_slot_reused_before_the_commit_stays_counted_and_the_sign_in_still_succeeds(
    make_customer, clock, store
):
    # given a customer on their trusted browser, and a parallel attempt that reuses this
    # sign-in's email slot after its reservation
    customer = make_customer()
    browser = sign_in_browser(customer)
    window = keys.rate_limit_key("EMAIL", customer.email)
    seen: list[int] = []
    reused: list[int] = []

    def reuse_before_commit(**_: object) -> None:
        seen.append(1)
        if len(seen) == 2:  # the second transaction of the sign-in: its commit
            mine = int(store.get(window, consistent=True)["s0"])
            claim = Reservation("EMAIL", customer.email, "s0", previous=mine, mine=mine + 1)
            assert attempts.reserve_sign_in_slots(store, [claim], expires_at=1)
            reused.append(claim.mine)

    events = store.client.meta.events
    events.register("before-call.dynamodb.TransactWriteItems", reuse_before_commit, unique_id="x")
    try:
        # when the customer signs in
        response = login(customer, trust=browser.trust)
    finally:
        events.unregister("before-call.dynamodb.TransactWriteItems", unique_id="x")

    # then the session was created on its own and works, and the reused slot was not given back
    assert response["statusCode"] == 200
    assert call("me", session_token(response))["statusCode"] == 200
    assert reused and store.get(window, consistent=True)["s0"] == reused[0]
