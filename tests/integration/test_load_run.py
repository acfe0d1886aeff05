"""bench/load_run.py kept from rotting: the whole run with a tiny budget (its own stack in a child
process, seeding through signed webhooks, customers signing in with the mailed code, the product,
a batch delivered twice and re-sent with new ids), then its checks shown to fail on what they
exist to catch: a record of another customer, a customer who missed one of theirs, an order in
the table twice, a re-delivery that made a second order, an order lost."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from bench import load_run
from tests.support import ROOT

pytestmark = pytest.mark.integration

TINY = ["--customers", "4", "--seconds", "4", "--batch-size", "10", "--batches", "1"]


@pytest.fixture(scope="module")
def tiny_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    results = tmp_path_factory.mktemp("load-run") / "load-run.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "load_run.py"), *TINY, "--results", str(results)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    return done, json.loads(results.read_text(encoding="utf-8"))


def test_a_tiny_run_holds_every_check_and_reports_each_route(tiny_run):
    done, report = tiny_run
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["ok"] is True and summary["errors"] == 0 and summary["server_errors_5xx"] == 0
    assert summary["isolation"] is True and summary["exactly_once"] is True
    checks = report["checks"]
    assert checks["every_customer_served"] and checks["isolation"]["customers_who_browsed"] == 4
    once = checks["exactly_once"]
    # 5 seeded customers (4 + the warm-up) x 2 orders, then one batch of 10: sent once, again
    # as is, and again with new event ids
    assert once["orders_sent"] == once["order_items"] == once["fsorder_markers"] == 20
    assert once["batches"] == 1 and once["redeliveries"] == 1
    assert once["resends_with_new_event_ids"] == 1
    assert once["fsevent_markers"] == once["event_ids_sent"] == 30
    routes = set(report["routes"])
    for route in (
        "POST /api/auth/login",
        "POST /api/auth/verify",
        "GET /api/me",
        "GET /api/me/preferences",
        "GET /api/licenses",
        "GET /api/supports",
        "GET /api/orders",
        "GET /api/orders/{reference}",
        "POST /api/webhooks/fastspring",
    ):
        assert route in routes, route
    assert {"GET /api/licenses/{license_id}/file", "GET /api/supports/{support_id}/file"} & routes
    for figures in report["routes"].values():
        assert figures["p50_ms"] <= figures["p95_ms"] <= figures["p99_ms"] <= figures["max_ms"]
    assert report["requests_per_s"] > 0


# ---------------------------------------------------------------- the checks can fail
def customer(**seen: Any) -> load_run.Customer:
    c = load_run.Customer(
        0,
        "a@example.com",
        ["JWT261202-0001-00001", "JWT261202-0001-00002"],
        customer_id="C1",
        license_ids={"L1", "L2"},
        support_ids={"S1"},
    )
    c.rounds = 1
    c.seen_licenses, c.seen_supports = {"L1", "L2"}, {"S1"}
    c.seen_orders = set(c.references)
    for name, value in seen.items():
        setattr(c, name, value)
    return c


def test_isolation_fails_on_another_customers_record_or_a_missing_own_one():
    assert load_run.isolation([customer()])["holds"]
    shown = customer()
    shown.saw_licenses([{"id": "L9", "orderNumber": "JWT261202-0001-00001"}], "licenses")
    shown.saw_order("JWT261202-0009-00009")
    result = load_run.isolation([shown])
    assert not result["holds"] and result["violation_count"] == 2
    assert not load_run.isolation([customer(seen_supports=set())])["holds"]
    # a license of theirs, but shown with another customer's order number
    wrong_order = customer()
    wrong_order.saw_licenses([{"id": "L1", "orderNumber": "JWT261202-0009-00009"}], "product")
    assert not load_run.isolation([wrong_order])["holds"]
    # two simulated customers on one account
    assert not load_run.isolation([customer(), customer()])["holds"]
    # a customer who never browsed holds isolation vacuously, and fails being served
    idle = load_run.isolation([customer(rounds=0, seen_licenses=set())])
    assert idle["holds"] and not idle["every_customer_served"]


def ledger_and_table() -> tuple[load_run.Ledger, list[dict[str, Any]]]:
    """A ledger of two orders and the items the portal makes of them."""
    ledger = load_run.Ledger()
    items: list[dict[str, Any]] = []
    for email, skus in (("a@example.com", ["T-ENT-5", "S1Y-T-ENT-5"]), ("b@example.com", ["RW-3"])):
        order = ledger.order(email, skus)
        reference, order_id = order["data"]["reference"], order["data"]["id"]
        customer_pk = f"CUST#{email}"
        items += [
            {"pk": customer_pk, "sk": f"ORDER#{reference}"},
            {"pk": f"FSORDER#{order_id}", "sk": "FSORDER"},
            {"pk": f"ORDERREF#{reference}", "sk": "ORDERREF"},
            {"pk": f"FSEVENT#{order['id']}", "sk": "FSEVENT"},
            {"pk": f"EMAIL#{email}", "sk": "EMAIL"},
        ]
        items += [
            {"pk": customer_pk, "sk": f"{'SUP' if sku.startswith('S1Y') else 'LIC'}#{n}{email}"}
            | {"orderNumber": reference}
            for n, sku in enumerate(skus)
        ]
    return ledger, items


def test_exactly_once_fails_on_a_twice_a_lost_or_an_unknown_order():
    ledger, items = ledger_and_table()
    assert load_run.exactly_once(items, ledger)["holds"]
    first = next(i for i in items if str(i["sk"]).startswith("ORDER#"))
    # the same order twice (under another customer)
    assert not load_run.exactly_once([*items, {**first, "pk": "CUST#other"}], ledger)["holds"]
    # an order lost
    assert not load_run.exactly_once([i for i in items if i is not first], ledger)["holds"]
    # a license granted twice
    licence = next(i for i in items if str(i["sk"]).startswith("LIC#"))
    assert not load_run.exactly_once([*items, {**licence, "sk": "LIC#again"}], ledger)["holds"]
    # a re-delivery taken as a new event (one FSEVENT marker too many)
    extra_event = {"pk": "FSEVENT#resent", "sk": "FSEVENT"}
    assert not load_run.exactly_once([*items, extra_event], ledger)["holds"]
    # an order the run never sent
    stranger = {"pk": "CUST#x", "sk": "ORDER#JWT261202-9999-99999"}
    assert not load_run.exactly_once([*items, stranger], ledger)["holds"]
    # a re-sent event the table did not record: one marker short
    ledger.resent(next(iter(ledger.orders.values())))
    assert not load_run.exactly_once(items, ledger)["holds"]
