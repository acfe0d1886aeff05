"""PERFORMANCE.md: DynamoDB round trips per request, counted exactly by botocore event hooks;
every Query examines only what it returns (ScannedCount == Count); never a Scan."""

from __future__ import annotations

from tests.support import event, invoke, session_token

DEMO = {"email": "demo@example.com", "orderNumber": "JWT160930-9510-42210"}


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
    token = session_token(invoke("login", event("login", body=DEMO)))
    expected = {
        "me": ["UpdateItem", "GetItem"],
        "list_licenses": ["UpdateItem", "Query"],
        "list_supports": ["UpdateItem", "Query"],
    }
    for name, operations in expected.items():
        calls.clear()
        response = invoke(
            name, event(name, token=token, query={"limit": "3"} if "list" in name else {})
        )
        assert response["statusCode"] == 200, name
        assert calls.operations == operations, name
        assert all(scanned == count for scanned, count in calls.query_counts), name


def test_logout_is_one_call_and_no_request_ever_scans(seeded, calls):
    token = session_token(invoke("login", event("login", body=DEMO)))
    calls.clear()
    invoke("logout", event("logout", token=token))
    assert calls.operations == ["DeleteItem"]


def test_unauthenticated_requests_cost_at_most_one_call(seeded, calls):
    invoke("list_licenses", event("list_licenses", token="x" * 43))
    assert calls.operations == ["UpdateItem"]
    calls.clear()
    invoke("list_licenses", event("list_licenses", token=None))
    assert calls.operations == []
