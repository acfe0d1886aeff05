"""PERFORMANCE.md: DynamoDB round trips per request, counted exactly by botocore event hooks;
every Query examines only what it returns (ScannedCount == Count); never a Scan.

Each test makes the customer it needs (tests/factories.py) and clears the recorder before what
it counts, so the factory's own writes are not counted."""

from __future__ import annotations

from local import fastspring as fs
from tests.factories import OrderSpec
from tests.support import (
    activate,
    body_of,
    call,
    deliver,
    download,
    event,
    forget_browsers,
    invoke,
    link_token,
    login,
    logout,
    mailed,
    manage_license,
    order_detail,
    pending_token,
    published_keys,
    redeem_link,
    refresh,
    request_link,
    session_token,
    sign_in,
    sign_in_browser,
    verify,
)

ENTERPRISE_10 = ("TSplus", "Enterprise", 10)  # a license: software, edition, users
SUPPORT_10 = (*ENTERPRISE_10, 1)  # its one-year support


def test_login_success_is_three_calls(make_customer, calls):
    # given a customer, on the browser they verified once
    customer = make_customer()
    browser = sign_in_browser(customer)
    calls.clear()

    # when they sign in
    response = login(customer, trust=browser.trust)

    # then one batch read (the trust rides in it) and two transactions (reserve, commit)
    assert response["statusCode"] == 200
    assert calls.operations == ["BatchGetItem", "TransactWriteItems", "TransactWriteItems"]


def test_a_code_mailed_is_the_same_three_calls_and_verifying_it_two(make_customer, store, calls):
    # given a customer on a fresh browser
    customer = make_customer()
    calls.clear()

    # when they sign in, then the same three calls: the commit puts the pending sign-in, its
    # mail's slot and its outbox item instead of a session
    pending = login(customer)
    assert pending["statusCode"] == 202
    assert calls.operations == ["BatchGetItem", "TransactWriteItems", "TransactWriteItems"]

    # when they send the code, then one batch read and one transaction
    code = mailed(store, customer.email)["code"]
    calls.clear()
    assert verify(code, pending_token(pending))["statusCode"] == 200
    assert calls.operations == ["BatchGetItem", "TransactWriteItems"]


def test_a_link_costs_two_calls_for_any_address_and_its_use_two(make_customer, store, calls):
    # given a customer
    customer = make_customer()
    calls.clear()

    # when a link is asked for their address and for an unknown one, then two calls each
    for email in (customer.email, "nobody@example.com"):
        assert request_link(email)["statusCode"] == 202
        assert calls.operations == ["BatchGetItem", "TransactWriteItems"], email
        calls.clear()

    # when the link is used, then one read and one transaction
    token = link_token(mailed(store, customer.email, "sign_in_link")["link"])
    calls.clear()
    assert redeem_link(token)["statusCode"] == 200
    assert calls.operations == ["GetItem", "TransactWriteItems"]


def test_login_failure_is_two_calls_and_a_limited_one_is_one(make_customer, calls):
    # given a customer, and a wrong order number for their email
    customer = make_customer()
    bad = {"email": customer.email, "orderNumber": "JWT1"}
    calls.clear()

    # when it is tried, then one batch read and one transaction (the reservation)
    login(bad)
    assert calls.operations == ["BatchGetItem", "TransactWriteItems"]

    # when it is tried until the email is limited, then a limited attempt is one batch read
    for _ in range(9):
        login(bad)
    calls.clear()
    assert login(bad)["statusCode"] == 429
    assert calls.operations == ["BatchGetItem"]


def test_each_read_page_is_one_session_read_and_one_data_read(make_customer, calls):
    # given a signed-in customer with more than a page of three of each: licenses, supports,
    # orders (four of each)
    customer = make_customer(
        licenses=[ENTERPRISE_10],
        supports=[SUPPORT_10],
        orders=[OrderSpec(licenses=[ENTERPRISE_10], supports=[SUPPORT_10])] * 3,
    )
    token = sign_in(customer)
    pages = {
        "me": lambda: call("me", token),
        "list_licenses": lambda: call("list_licenses", token, {"limit": "3"}),
        "list_supports": lambda: call("list_supports", token, {"limit": "3"}),
        "list_orders": lambda: call("list_orders", token, {"limit": "3"}),
        "order_detail": lambda: order_detail(token, customer.order_number),
    }
    expected = {
        "me": ["UpdateItem", "GetItem"],
        "list_licenses": ["UpdateItem", "Query"],
        "list_supports": ["UpdateItem", "Query"],
        "list_orders": ["UpdateItem", "Query"],
        "order_detail": ["UpdateItem", "GetItem"],
    }
    for name, operations in expected.items():
        calls.clear()
        # when each page is read
        response = pages[name]()
        # then one session read and one data read answered it, examining only what it returned
        assert response["statusCode"] == 200, name
        assert calls.operations == operations, name
        assert all(scanned == count for scanned, count in calls.query_counts), name
        if name.startswith("list_"):
            assert body_of(response)["nextCursor"] is not None, name  # a page among several


def test_logout_is_one_call_and_no_request_ever_scans(make_customer, store, calls):
    """Every HTTP endpoint, driven through its handler; every DynamoDB call recorded."""
    # given a customer with more than a page of two of each (three licenses with their
    # supports, in three orders), signed in after a failed sign-in
    customer = make_customer(
        licenses=[ENTERPRISE_10],
        supports=[SUPPORT_10],
        orders=[OrderSpec(licenses=[ENTERPRISE_10], supports=[SUPPORT_10])] * 2,
    )
    calls.clear()
    bad = {"email": "nobody@example.com", "orderNumber": "JWT1"}
    answers = {"login failed": login(bad)}
    answers["login"] = login(customer)
    code = mailed(store, customer.email)["code"]
    answers["verify_code"] = verify(code, pending_token(answers["login"]))
    token = session_token(answers["verify_code"])
    answers["sign_in_link"] = request_link(customer.email)
    link = mailed(store, customer.email, "sign_in_link")["link"]
    answers["sign_in_link redeem"] = redeem_link(link_token(link))

    # when every other endpoint is driven, following a cursor where there is one
    first = {
        name: call(name, token, {"limit": "2"})
        for name in ("list_licenses", "list_supports", "list_orders")
    }
    answers |= first
    for name, response in first.items():
        cursor = body_of(response)["nextCursor"]
        answers[f"{name} next page"] = call(name, token, {"limit": "2", "cursor": cursor})
    answers["me"] = call("me", token)
    answers["order_detail"] = order_detail(token, customer.order_number)
    newest = body_of(first["list_licenses"])["items"][0]["id"]
    # the product activates and refreshes it (only a bound license has a file)
    answers["activation"] = activate(customer.activation_key, "SRV-SCAN-01", license_id=newest)
    answers["activation refresh"] = refresh(customer.activation_key, "SRV-SCAN-01")
    answers["license file"] = download("licenses", token, newest)
    answers["license history"] = manage_license("history", token, newest)
    answers["license release"] = manage_license("release", token, newest)
    answers["offline activation"] = manage_license(
        "activate", token, newest, {"computerId": "SRV-OFFLINE", "computerName": "Offline"}
    )
    answers["support file"] = download(
        "supports", token, body_of(first["list_supports"])["items"][0]["id"]
    )
    answers["activation_keys"] = published_keys()
    new = fs.order_completed(email="scan.check@example.com", skus=["T-ENT-5", "S1Y-T-ENT-5"])
    renewal = fs.order_completed(
        email=customer.email,
        skus=["S1Y-T-ENT-10"],
        serial=customer.licenses[0].serial_number,
        expanded_account=False,
    )
    answers["fastspring_webhook"] = deliver(new, renewal)
    refund = fs.return_created(
        reference=new["data"]["reference"], original_order_id=new["data"]["id"]
    )
    answers["fastspring_webhook refund"] = deliver(refund)
    before_logout = len(calls.operations)
    answers["logout"] = invoke("logout", event("logout", token=token))

    # then each answered as it should, and logout was one DeleteItem
    assert {name: r["statusCode"] for name, r in answers.items()} == {
        name: {"logout": 204, "login failed": 401, "login": 202, "sign_in_link": 202}.get(name, 200)
        for name in answers
    }
    assert calls.operations[before_logout:] == ["DeleteItem"]
    # and no request scanned: no Scan, and every Query examined exactly what it returned
    assert "Scan" not in calls.operations
    # (six page Queries, and the webhook's renewal and refund look up licenses and supports)
    assert len(calls.query_counts) == calls.operations.count("Query") >= 7
    assert all(scanned == count for scanned, count in calls.query_counts), calls.query_counts
    assert {"BatchGetItem", "TransactWriteItems", "UpdateItem", "GetItem"} <= set(calls.operations)


def test_unauthenticated_requests_cost_at_most_one_call(make_customer, calls):
    # given a customer in the table, and no session
    make_customer(licenses=[ENTERPRISE_10])
    calls.clear()

    # when a list is asked for with a forged token, then one session read only
    call("list_licenses", "x" * 43)
    assert calls.operations == ["UpdateItem"]

    # when it is asked for without a token, then no call at all
    calls.clear()
    call("list_licenses", None)
    assert calls.operations == []


def test_forgetting_this_browser_is_two_deletes(make_customer, calls):
    # given a customer signed in on a trusted browser
    browser = sign_in_browser(make_customer())

    # when they sign out and forget this browser
    calls.clear()
    assert (
        logout(browser.session, trust=browser.trust, body={"forgetBrowser": True})["statusCode"]
        == 204
    )

    # then the session's DeleteItem (which names its customer) and the trust's conditional one
    assert calls.operations == ["DeleteItem", "DeleteItem"]


def test_signing_out_everywhere_is_a_query_and_one_batch_per_25_items(make_customer, calls):
    # given a customer signed in on two trusted browsers: four items (two sessions, two trusts)
    customer = make_customer()
    browsers = [sign_in_browser(customer) for _ in range(2)]

    # when they sign out everywhere
    calls.clear()
    assert forget_browsers(browsers[0].session)["statusCode"] == 204

    # then the session's check, one Query of the customer's sign-ins on gsi1 (examining only
    # what it returns), one BatchWriteItem; never a Scan
    assert calls.operations == ["UpdateItem", "Query", "BatchWriteItem"]
    assert calls.query_counts == [(4, 4)]
