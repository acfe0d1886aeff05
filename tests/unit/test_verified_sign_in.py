"""Verified sign-in (API.md "Sign-in", issue 10; docs/decisions.md): a correct email + order
number only proves a purchase; a browser must also prove control of the mailbox once, with a
mailed code or a mailed link. Given / when / then, through the handlers over moto.

The attack first: FastSpring does not verify buyers' emails, so anyone can buy with a customer's
email and sign in with the new order number."""

from __future__ import annotations

import json

import boto3
import pytest

from local import fastspring as fs
from portal.config import settings_from
from portal.data import keys, verification
from portal.mail import delivery
from tests.support import (
    DEMO,
    DEMO_EMAIL,
    PENDING_COOKIE,
    SESSION_COOKIE,
    TEST_ENV,
    TRUST_COOKIE,
    body_of,
    buyer,
    call,
    cookie_of,
    count_items,
    deliver,
    link_token,
    listed,
    login,
    login_for_code,
    mailed,
    outbox_ids,
    outbox_messages,
    pending_token,
    redeem_link,
    request_link,
    session_token,
    sign_in_browser,
    trust_token,
    verify,
)

DATA_ROUTES = ("me", "list_licenses", "list_supports", "list_orders")


def wrong(code: str) -> str:
    """Another code of the same shape."""
    return f"{(int(code) + 1) % 10**6:06d}"


# ---------------------------------------------------------------- the takeover, closed
def test_buying_with_a_customers_email_does_not_reach_their_data_without_their_mailbox(
    seeded, store
):
    # given an attacker who bought with the guide's customer's email (FastSpring does not verify
    # it), so they hold a real order number of that customer
    order = fs.order_completed(email=DEMO_EMAIL, skus=["T-ENT-5"])
    assert deliver(order)["statusCode"] == 200
    pair = buyer(order)

    # when they sign in with it from their browser
    attempt = login(pair)

    # then the pair is accepted only as far as a code mailed to the customer's address: no
    # session, and no data route answers
    assert attempt["statusCode"] == 202
    assert body_of(attempt) == {"verification": "email_code", "expiresIn": 600}
    assert cookie_of(attempt, SESSION_COOKIE) is None
    assert all(call(route, None)["statusCode"] == 401 for route in DATA_ROUTES)
    (mail,) = outbox_messages(store, "sign_in_code")
    assert mail["to"] == DEMO_EMAIL

    # when they guess codes, then each is refused, and the fifth voids the attempt
    pending = pending_token(attempt)
    code = mailed(store, DEMO_EMAIL)["code"]
    for _ in range(5):
        assert verify(wrong(code), pending)["statusCode"] == 401
    assert verify(code, pending)["statusCode"] == 401  # even the right one, now
    assert store.get(keys.pending_sign_in_key(pending), consistent=True) is None


def test_with_the_code_from_the_mailbox_the_browser_signs_in_and_is_not_asked_again(seeded, store):
    # given the guide's customer on a fresh browser, who got a code
    attempt = login(DEMO)
    code = mailed(store, DEMO_EMAIL)["code"]

    # when they send it
    verified = verify(code, pending_token(attempt))

    # then they are signed in as themselves, and the browser is trusted (a __Host- cookie for 90
    # days), its pending cookie cleared
    assert verified["statusCode"] == 200
    assert body_of(verified)["customer"]["email"] == DEMO_EMAIL
    assert listed("licenses", session_token(verified))
    trust = trust_token(verified)
    (set_trust,) = [c for c in verified["cookies"] if c.startswith(TRUST_COOKIE + "=")]
    assert "Max-Age=7776000" in set_trust and "HttpOnly" in set_trust and "Secure" in set_trust
    assert "SameSite=Strict" in set_trust and "Domain" not in set_trust
    assert cookie_of(verified, PENDING_COOKIE) == ""
    # and stored only as its digest
    assert trust not in repr(store.client.scan(TableName=store.table_name)["Items"])

    # when they sign in again from that browser, then no code is asked for
    mails = len(outbox_messages(store, "sign_in_code"))
    again = login(DEMO, trust=trust)
    assert again["statusCode"] == 200
    assert len(outbox_messages(store, "sign_in_code")) == mails


def test_a_browser_trusted_for_one_customer_is_asked_for_anothers_code(make_customer):
    # given a browser trusted for one customer
    customer, other = make_customer(), make_customer()
    browser = sign_in_browser(customer)

    # when the other customer's pair is sent from it, then a code is asked for
    response = login(other, trust=browser.trust)
    assert response["statusCode"] == 202
    assert cookie_of(response, SESSION_COOKIE) is None


def test_a_forged_or_revoked_trust_cookie_is_asked_for_a_code(make_customer, store):
    # given a customer whose browser is trusted
    customer = make_customer()
    browser = sign_in_browser(customer)

    # when a forged trust cookie comes, then a code is asked for
    assert login(customer, trust="x" * 43)["statusCode"] == 202
    assert login(customer, trust="not a token; at all")["statusCode"] == 202

    # when the customer's trusted browsers are revoked, then their browser is asked too
    assert verification.forget_trusted_browsers(store, customer.customer_id) == 1
    assert login(customer, trust=browser.trust)["statusCode"] == 202


def test_a_trust_that_expired_is_asked_for_a_code(make_customer, clock):
    # given a trusted browser, 90 days later
    customer = make_customer()
    browser = sign_in_browser(customer)
    clock.advance(days=89, hours=23)
    assert login(customer, trust=browser.trust)["statusCode"] == 200
    clock.advance(hours=1)

    # when the customer signs in from it, then a code is asked for again
    assert login(customer, trust=browser.trust)["statusCode"] == 202


# ---------------------------------------------------------------- codes
def test_a_code_works_once(make_customer, store):
    # given a customer who signed in with their code
    customer = make_customer()
    attempt = login(customer)
    code, pending = mailed(store, customer.email)["code"], pending_token(attempt)
    assert verify(code, pending)["statusCode"] == 200

    # when the same code is sent again, then it is refused
    assert verify(code, pending)["statusCode"] == 401


def test_a_code_expires_after_ten_minutes(make_customer, store, clock):
    # given a customer's code, ten minutes later
    customer = make_customer()
    attempt = login(customer)
    code = mailed(store, customer.email)["code"]
    clock.advance(minutes=10)

    # when it is sent, then it is refused
    assert verify(code, pending_token(attempt))["statusCode"] == 401


def test_a_code_belongs_to_its_browser(make_customer):
    # given two attempts for one customer (two browsers), each with its code
    customer = make_customer()
    first, first_code = login_for_code(customer)
    second, second_code = login_for_code(customer)

    # when one browser sends the other's code, then it is refused
    assert verify(first_code, second)["statusCode"] == 401
    # and each browser's own code works (the refusal spent one of the second's tries only)
    assert verify(second_code, second)["statusCode"] == 200
    assert verify(first_code, first)["statusCode"] == 200


def test_every_code_failure_is_byte_identical(make_customer, store, clock):
    # given a customer's attempts: one with a wrong code, one used up, one expired
    customer = make_customer()
    answers = []
    attempt, code = login_for_code(customer)
    answers.append(verify(wrong(code), attempt))  # wrong
    for _ in range(4):
        verify(wrong(code), attempt)
    answers.append(verify(code, attempt))  # used up
    late, late_code = login_for_code(customer)
    clock.advance(minutes=11)
    answers.append(verify(late_code, late))  # expired
    answers.append(verify(code, None))  # no pending sign-in at all
    answers.append(verify(code, "A" * 43))  # a forged one

    # then every answer is the same 401, byte for byte
    assert answers[0]["statusCode"] == 401
    assert body_of(answers[0])["error"]["code"] == "invalid_code"
    assert all(answer == answers[0] for answer in answers), answers


def test_the_table_never_holds_a_code_for_the_pending_sign_in(make_customer, store):
    # given a customer's pending sign-in
    customer = make_customer()
    pending = pending_token(login(customer))
    code = mailed(store, customer.email)["code"]

    # then its item holds a digest of token and code, not the code, and the 5 tries
    item = store.get(keys.pending_sign_in_key(pending), consistent=True)
    stored = json.dumps(item, default=str)
    assert code not in stored and pending not in stored
    assert item["triesLeft"] == 5 and item["customerId"] == customer.customer_id


def test_a_sent_code_mail_leaves_no_code_in_the_table(make_customer, store, settings):
    # given a customer's code mail in the outbox, and the mailer delivering it through SES
    boto3.client("sesv2").create_email_identity(EmailIdentity=settings.mail_from)
    customer = make_customer()
    login(customer)
    (mail,) = outbox_messages(store, "sign_in_code")
    code = mail["data"]["code"]
    item = store.get(keys.outbox_key(mail["outboxId"]))
    from portal import dependencies

    delivery.deliver(item, store=store, settings=settings, clock=dependencies.clock())

    # then the sent item keeps no data: the code is gone from the table
    sent = store.get(keys.outbox_key(mail["outboxId"]), consistent=True)
    assert sent["status"] == "sent" and "data" not in sent
    assert code not in repr(store.client.scan(TableName=store.table_name)["Items"])


def test_parallel_wrong_codes_each_spend_a_try(make_customer, store):
    """A wrong try is answered only once it is counted: a race cannot buy free guesses."""
    # given a pending sign-in, and a wrong try that lands between another try's read and write
    customer = make_customer()
    pending = pending_token(login(customer))
    code = mailed(store, customer.email)["code"]
    raced: list[int] = []

    def parallel_try(**_: object) -> None:
        if not raced:
            raced.append(0)
            raced[0] = verify(wrong(code), pending)["statusCode"]

    events = store.client.meta.events
    events.register("before-call.dynamodb.TransactWriteItems", parallel_try, unique_id="race")
    try:
        # when a wrong try is sent
        response = verify(wrong(wrong(code)), pending)
    finally:
        events.unregister("before-call.dynamodb.TransactWriteItems", unique_id="race")

    # then both were refused and both were counted
    assert raced == [401] and response["statusCode"] == 401
    assert store.get(keys.pending_sign_in_key(pending), consistent=True)["triesLeft"] == 3


def test_at_most_five_code_mails_per_customer_per_hour(make_customer, store, clock):
    # given a customer who asked for five codes in an hour
    customer = make_customer()
    for _ in range(5):
        assert login(customer)["statusCode"] == 202
        clock.advance(minutes=10)

    # when a sixth is asked for, then 429 with the wait until the first leaves the hour, and
    # nothing is mailed
    refused = login(customer)
    assert refused["statusCode"] == 429
    assert refused["headers"]["Retry-After"] == "600"
    assert len(outbox_messages(store, "sign_in_code")) == 5
    # and the right pair did not count as a failed attempt (the sign-in limit is untouched)
    assert all(login(customer)["statusCode"] == 429 for _ in range(10))
    clock.advance(minutes=10)
    assert login(customer)["statusCode"] == 202


def test_codes_and_trust_never_reach_the_logs(make_customer, store, capsys, monkeypatch):
    # given debug logging and a customer
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "DEBUG")
    customer = make_customer()

    # when they fail a code, sign in with one, ask for a link and use it
    attempt = login(customer)
    pending, code = pending_token(attempt), mailed(store, customer.email)["code"]
    verify(wrong(code), pending)
    verified = verify(code, pending)
    request_link(customer.email)
    link = link_token(mailed(store, customer.email, "sign_in_link")["link"])
    redeemed = redeem_link(link)

    # then no code, token, trust or address is in the logs
    logs = capsys.readouterr()
    text = logs.out + logs.err
    for secret in (
        code,
        wrong(code),
        pending,
        link,
        session_token(verified),
        trust_token(verified),
        trust_token(redeemed),
        customer.email,
        customer.order_number,
    ):
        assert secret not in text


# ---------------------------------------------------------------- links
def test_a_link_for_any_address_is_the_same_202_and_only_a_customer_gets_mail(make_customer, store):
    # given a customer
    customer = make_customer()

    # when a link is asked for their address and for an unknown one
    known = request_link(customer.email.upper())
    unknown = request_link("nobody@example.com")

    # then both answers are the same 202 {}, and only the customer is mailed (15 minutes)
    assert known["statusCode"] == 202 and body_of(known) == {}
    assert known == unknown
    (mail,) = outbox_messages(store, "sign_in_link")
    assert mail["to"] == customer.email
    assert mail["data"]["minutes"] == 15
    assert mail["data"]["link"].startswith("http://127.0.0.1:3000/link.html#token=")


def test_a_link_signs_in_once_and_trusts_the_browser(make_customer, store):
    # given a customer's mailed link
    customer = make_customer()
    request_link(customer.email)
    token = link_token(mailed(store, customer.email, "sign_in_link")["link"])

    # when it is used, then they are signed in and the browser is trusted
    redeemed = redeem_link(token)
    assert redeemed["statusCode"] == 200
    assert body_of(redeemed)["customer"]["email"] == customer.email
    assert call("me", session_token(redeemed))["statusCode"] == 200
    assert login(customer, trust=trust_token(redeemed))["statusCode"] == 200

    # when it is used again, then 401 invalid_link
    again = redeem_link(token)
    assert again["statusCode"] == 401
    assert body_of(again)["error"]["code"] == "invalid_link"


def test_every_link_failure_is_byte_identical(make_customer, store, clock):
    # given a customer's link, used; another, expired after 15 minutes; and a forged one
    customer = make_customer()
    request_link(customer.email)
    used = link_token(mailed(store, customer.email, "sign_in_link")["link"])
    assert redeem_link(used)["statusCode"] == 200
    before = outbox_ids(store)
    request_link(customer.email)
    late = link_token(mailed(store, customer.email, "sign_in_link", before=before)["link"])
    clock.advance(minutes=15)

    # when each is used, then the same 401, byte for byte
    answers = [redeem_link(used), redeem_link(late), redeem_link("B" * 43)]
    assert answers[0]["statusCode"] == 401
    assert all(answer == answers[0] for answer in answers)


def test_the_code_mail_carries_a_link_that_works_as_long_as_the_code(make_customer, store, clock):
    # given a customer's code mail
    customer = make_customer()
    login(customer)
    token = link_token(mailed(store, customer.email)["link"])

    # when its link is used within the ten minutes, then it signs in
    clock.advance(minutes=9)
    assert redeem_link(token)["statusCode"] == 200


def test_links_count_towards_the_mail_limit_for_every_address(make_customer, store, clock):
    # given five links asked for a customer's address and five for an unknown one
    customer = make_customer()
    for email in (customer.email, "nobody@example.com"):
        for _ in range(5):
            assert request_link(email)["statusCode"] == 202

    # when a sixth is asked for each, then the same 429 for both, and no sixth mail
    known, unknown = request_link(customer.email), request_link("nobody@example.com")
    assert known["statusCode"] == 429 and known == unknown
    assert len(outbox_messages(store, "sign_in_link")) == 5
    # and the customer's code mail is refused too (five mails an hour in all)
    assert login(customer)["statusCode"] == 429


# ---------------------------------------------------------------- malformed, CSRF
@pytest.mark.parametrize(
    "body", ['{"code": "12345"}', '{"code": "abcdef"}', '{"code": 123456}', "{", '{"x": 1}']
)
def test_a_malformed_code_is_400(aws, body):
    assert verify(body, "A" * 43)["statusCode"] == 400


@pytest.mark.parametrize("body", ['{"email": "x"}', '{"email": "a@b.c", "x": 1}', "[]"])
def test_a_malformed_link_request_is_400(aws, body):
    assert request_link(body)["statusCode"] == 400


def test_verify_and_links_need_the_portals_origin(aws):
    for response in (
        verify("123456", "A" * 43, origin=None),
        request_link("a@example.com", origin="https://evil.example"),
        redeem_link("B" * 43, origin=None),
    ):
        assert response["statusCode"] == 403


# ---------------------------------------------------------------- the stage setting
def test_verification_is_on_unless_switched_off_explicitly():
    # given the environment without the setting, with a typo, and switched off
    base = dict(TEST_ENV)
    assert settings_from(base).verify_sign_in is True
    assert settings_from({**base, "VERIFY_SIGN_IN": "flase"}).verify_sign_in is True
    assert settings_from({**base, "VERIFY_SIGN_IN": "false"}).verify_sign_in is False


def test_with_verification_off_a_correct_pair_signs_in_directly(make_customer, store, monkeypatch):
    # given a stage with verification switched off (weaker: documented as such)
    from portal import dependencies

    monkeypatch.setenv("VERIFY_SIGN_IN", "false")
    dependencies.reset()
    customer = make_customer()

    # when the customer signs in from a fresh browser, then 200 and no code is mailed
    response = login(customer)
    assert response["statusCode"] == 200
    assert call("me", session_token(response))["statusCode"] == 200
    assert count_items(store, "OUTBOX#") == 0
