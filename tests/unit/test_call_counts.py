"""PERFORMANCE.md: DynamoDB round trips per request, counted exactly by botocore event hooks;
every Query examines only what it returns (ScannedCount == Count); never a Scan."""

from __future__ import annotations

from typing import Any

from local import fastspring as fs
from portal.fastspring.signatures import signature
from tests.support import body_of, event, invoke, session_token

DEMO = {"email": "demo@example.com", "orderNumber": "JWT160930-9510-42210"}
SECRET = "local-development-fastspring-webhook-secret"
ORDER = "JWT190529-3058-61127"


def at_path(name: str, path: str, token: str | None, **parameters: str) -> dict[str, Any]:
    """The sample event of `name`, sent to another path of its route (path parameters given)."""
    ev = event(name, token=token, query={})
    ev["rawPath"] = ev["requestContext"]["http"]["path"] = path
    if parameters:
        ev["pathParameters"] = parameters
    return ev


def order_detail(token: str, reference: str = ORDER) -> dict[str, Any]:
    ev = at_path("order_detail", f"/api/orders/{reference}", token, reference=reference)
    return invoke("order_detail", ev)


def download(kind: str, token: str, record_id: str) -> dict[str, Any]:
    parameter = "license_id" if kind == "licenses" else "support_id"
    ev = at_path("list_licenses", f"/api/{kind}/{record_id}/file", token, **{parameter: record_id})
    ev.pop("queryStringParameters", None)
    return invoke("download_file", ev)


def published_keys() -> dict[str, Any]:
    return invoke("activation_keys", at_path("me", "/api/activation/keys", None))


def webhook(*events: dict[str, Any]) -> dict[str, Any]:
    body = fs.batch(*events)
    ev = event("fastspring_webhook", origin=None)
    ev["body"] = body.decode()
    ev["headers"]["x-fs-signature"] = signature(SECRET, body)
    return invoke("fastspring_webhook", ev)


def test_login_success_is_three_calls(seeded, calls):
    response = invoke("login", event("login", body=DEMO))
    assert response["statusCode"] == 200
    assert calls.operations == ["BatchGetItem", "TransactWriteItems", "TransactWriteItems"]


def test_login_failure_is_two_calls_and_a_limited_one_is_one(seeded, calls):
    bad = {"email": "demo@example.com", "orderNumber": "JWT1"}
    invoke("login", event("login", body=bad))
    assert calls.operations == ["BatchGetItem", "TransactWriteItems"]
    for _ in range(9):
        invoke("login", event("login", body=bad))
    calls.clear()
    assert invoke("login", event("login", body=bad))["statusCode"] == 429
    assert calls.operations == ["BatchGetItem"]


def test_each_read_page_is_one_session_read_and_one_data_read(seeded, calls):
    # given a signed-in customer
    token = session_token(invoke("login", event("login", body=DEMO)))
    pages = {
        "me": lambda: invoke("me", event("me", token=token, query={})),
        "list_licenses": lambda: invoke(
            "list_licenses", event("list_licenses", token=token, query={"limit": "3"})
        ),
        "list_supports": lambda: invoke(
            "list_supports", event("list_supports", token=token, query={"limit": "3"})
        ),
        "list_orders": lambda: invoke(
            "list_orders", event("list_orders", token=token, query={"limit": "3"})
        ),
        "order_detail": lambda: order_detail(token),
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
        # when each page is read, then one session read and one data read answered it
        response = pages[name]()
        assert response["statusCode"] == 200, name
        assert calls.operations == operations, name
        assert all(scanned == count for scanned, count in calls.query_counts), name


def test_logout_is_one_call_and_no_request_ever_scans(seeded, calls):
    """Every HTTP endpoint, driven through its handler; every DynamoDB call recorded."""
    # given the demo customer signed in, after a failed sign-in
    bad = {"email": "nobody@example.com", "orderNumber": "JWT1"}
    answers = {"login failed": invoke("login", event("login", body=bad))}
    answers["login"] = invoke("login", event("login", body=DEMO))
    token = session_token(answers["login"])
    # when every other endpoint is driven, following a cursor where there is one
    first = {
        name: invoke(name, event(name, token=token, query={"limit": "2"}))
        for name in ("list_licenses", "list_supports", "list_orders")
    }
    answers |= first
    for name, response in first.items():
        cursor = body_of(response)["nextCursor"]
        query = {"limit": "2", "cursor": cursor}
        answers[f"{name} next page"] = invoke(name, event(name, token=token, query=query))
    answers["me"] = invoke("me", event("me", token=token))
    answers["order_detail"] = order_detail(token)
    answers["license file"] = download(
        "licenses", token, body_of(first["list_licenses"])["items"][0]["id"]
    )
    answers["support file"] = download(
        "supports", token, body_of(first["list_supports"])["items"][0]["id"]
    )
    answers["activation_keys"] = published_keys()
    new = fs.order_completed(email="scan.check@example.com", skus=["T-ENT-5", "S1Y-T-ENT-5"])
    renewal = fs.order_completed(
        email=DEMO["email"], skus=["S1Y-T-ENT-10"], serial="P65", expanded_account=False
    )
    answers["fastspring_webhook"] = webhook(new, renewal)
    refund = fs.return_created(
        reference=new["data"]["reference"], original_order_id=new["data"]["id"]
    )
    answers["fastspring_webhook refund"] = webhook(refund)
    before_logout = len(calls.operations)
    answers["logout"] = invoke("logout", event("logout", token=token))
    # then each answered as it should, and logout was one DeleteItem
    assert {name: r["statusCode"] for name, r in answers.items()} == {
        name: {"logout": 204, "login failed": 401}.get(name, 200) for name in answers
    }
    assert calls.operations[before_logout:] == ["DeleteItem"]
    # and no request scanned: no Scan, and every Query examined exactly what it returned
    assert "Scan" not in calls.operations
    # (six page Queries, and the webhook's renewal and refund look up licenses and supports)
    assert len(calls.query_counts) == calls.operations.count("Query") >= 7
    assert all(scanned == count for scanned, count in calls.query_counts), calls.query_counts
    assert {"BatchGetItem", "TransactWriteItems", "UpdateItem", "GetItem"} <= set(calls.operations)


def test_unauthenticated_requests_cost_at_most_one_call(seeded, calls):
    invoke("list_licenses", event("list_licenses", token="x" * 43))
    assert calls.operations == ["UpdateItem"]
    calls.clear()
    invoke("list_licenses", event("list_licenses", token=None))
    assert calls.operations == []
