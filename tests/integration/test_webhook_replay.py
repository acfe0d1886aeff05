"""SECURITY.md 13-15, 21 (issue 10, item 7): the webhook replay harness, over HTTP against a
started local stack. FastSpring's deliveries as they really come, signed by local.fastspring's one
builder: the same event again and again, manual re-sends with new event ids, several deliveries
at once (threads), tampered, re-signed and unsigned bodies, a refund that arrives before its
order, a batch cut short by an injected DynamoDB failure (a botocore `before-call` hook on the
handlers' client, in this process) — each answer that is not 200 re-sent as FastSpring does, until
it is. (The local stack runs one invocation at a time, local/runner.py, so parallel HTTP requests
queue at the handler: the races themselves, every delivery reading before any writes, are forced
with a barrier against the real handler in tests/unit/test_webhooks.py,
`test_one_order_delivered_four_times_at_once_is_one_order` and
`test_one_refund_delivered_four_times_at_once_is_applied_once`.)

Then what was sent is compared with what the table holds, per order reference: one order,
exactly its licenses and supports (or, refunded, exactly their revoked copies), one marker per
event and per refund; nothing lost, nothing twice. The figures are printed and recorded."""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError

from local import fastspring as fs
from local.stack import LocalStack
from portal.data.store import Store
from tests.support import table_items

pytestmark = pytest.mark.integration

# What each SKU grants: (licenses, supports)
GRANTS = {"T-ENT-5": (1, 0), "S1Y-T-ENT-5": (0, 1), "RW-3": (1, 0), "T-ENT-10": (1, 0)}
BASKETS = [["T-ENT-5", "S1Y-T-ENT-5"], ["RW-3"], ["T-ENT-10", "T-ENT-5"], ["T-ENT-5"]]
REDELIVERIES = 6  # FastSpring re-sends what was not acknowledged; a bound keeps a bug finite


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with LocalStack(seed=False) as running:
        yield running


@dataclass
class Sender:
    """Posts deliveries to the running webhook and counts what was sent."""

    url: str
    deliveries: int = 0
    events: set[str] = field(default_factory=set)
    statuses: Counter[int] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def post(self, delivery: fs.SignedBatch, *, events: Sequence[dict[str, Any]] = ()) -> int:
        """POST one delivery; its status. `events`: the events it carries, when signed."""
        return self._count(fs.post(self.url, delivery)[0], events)

    def post_unsigned(self, body: bytes) -> int:
        answer = requests.post(
            self.url, data=body, headers={"Content-Type": "application/json"}, timeout=30
        )
        return self._count(answer.status_code, ())

    def _count(self, status: int, events: Sequence[dict[str, Any]]) -> int:
        with self.lock:
            self.deliveries += 1
            self.statuses[status] += 1
            self.events.update(ev["id"] for ev in events)
        return status

    def send(self, *events: dict[str, Any]) -> int:
        return self.post(fs.signed_batch(*events), events=list(events))

    def until_acknowledged(self, *events: dict[str, Any]) -> int:
        """Send the batch, then re-send it while it is not 200 (FastSpring retries 5xx and 202);
        the number of sends."""
        for attempt in range(1, REDELIVERIES + 1):
            if self.send(*events) == 200:
                return attempt
        raise AssertionError(f"not acknowledged after {REDELIVERIES} deliveries")


@contextmanager
def failing_transaction_of(event_id: str) -> Iterator[list[str]]:
    """The handlers' first TransactWriteItems that commits event `event_id` fails as DynamoDB
    would fail it (InternalServerError), before it is sent; every other goes through."""
    from portal import dependencies

    failed: list[str] = []

    def before_call(params: Any, **_: Any) -> None:
        if not failed and event_id in json.dumps(params, default=str):
            failed.append(event_id)
            error = {"Error": {"Code": "InternalServerError", "Message": "injected failure"}}
            raise ClientError(error, "TransactWriteItems")

    hooks = dependencies.store().client.meta.events
    hooks.register("before-call.dynamodb.TransactWriteItems", before_call, unique_id="replay")
    try:
        yield failed
    finally:
        hooks.unregister("before-call.dynamodb.TransactWriteItems", unique_id="replay")


def at_once(sender: Sender, deliveries: list[dict[str, Any]]) -> list[int]:
    """Send every delivery at the same time, each in its own thread; then re-send whatever was
    not acknowledged until it is. The first statuses."""
    with ThreadPoolExecutor(max_workers=len(deliveries)) as pool:
        statuses = list(pool.map(sender.send, deliveries))
    for ev, status in zip(deliveries, statuses, strict=True):
        if status != 200:
            sender.until_acknowledged(ev)
    return statuses


def expected_grants(order: dict[str, Any]) -> tuple[int, int]:
    skus = [item["sku"] for item in order["data"]["items"]]
    return sum(GRANTS[s][0] for s in skus), sum(GRANTS[s][1] for s in skus)


def test_replayed_tampered_concurrent_and_interrupted_deliveries_leave_each_order_once(
    stack, record_property
):
    sender = Sender(stack.base_url + "/api/webhooks/fastspring")
    rng = random.Random(10)
    # given 24 orders of 12 buyers (two each: the second finds the customer of the first)
    emails = [f"replay.{n:02d}@example.com" for n in range(12)]
    orders = [
        fs.order_completed(email=emails[n % 12], skus=BASKETS[n % len(BASKETS)]) for n in range(24)
    ]
    refunded: set[str] = set()

    # when orders 0-11 arrive 3 times each with their id and twice re-sent with new ids, all
    # shuffled, 6 at a time; whatever is not acknowledged is re-sent until it is
    first = orders[:12]
    deliveries = [o for o in first for _ in range(3)]
    deliveries += [{**o, "id": fs.new_id()} for o in first for _ in range(2)]
    rng.shuffle(deliveries)
    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(sender.send, deliveries))
    assert 200 in statuses and set(statuses) <= {200, 503}, Counter(statuses)
    for ev, status in zip(deliveries, statuses, strict=True):
        if status != 200:
            sender.until_acknowledged(ev)

    # when orders 12-13 arrive tampered (a changed quantity, another reference and email, both
    # under the genuine signature), re-signed with a wrong secret, and unsigned: then 401 each
    forged_references = []
    for order in orders[12:14]:
        genuine = fs.signed_batch(order)
        other = fs.new_reference()
        forged_references.append(other)
        tampered = [
            genuine.body.replace(b'"quantity": 1', b'"quantity": 50'),
            genuine.body.replace(order["data"]["reference"].encode(), other.encode()).replace(
                order["data"]["customer"]["email"].encode(), b"forger@example.com"
            ),
        ]
        for body in tampered:
            assert body != genuine.body
            assert sender.post(fs.SignedBatch(body, genuine.signature)) == 401
        assert sender.post(fs.signed_batch(order, secret="not-the-secret")) == 401
        assert sender.post(fs.SignedBatch(genuine.body, "")) == 401
        assert sender.post_unsigned(genuine.body) == 401
        # and then the genuine delivery is taken
        assert sender.post(genuine, events=[order]) == 200

    # when the refund of order 14 arrives before the order, then it is not acknowledged (503:
    # FastSpring retries); the order comes, the refund's retry is taken, and again once more
    refund = fs.return_created(
        reference=orders[14]["data"]["reference"], original_order_id=orders[14]["data"]["id"]
    )
    assert sender.send(refund) == 503
    assert sender.until_acknowledged(orders[14]) == 1
    assert sender.until_acknowledged(refund) == 1
    assert sender.send(refund) == 200
    refunded.add(orders[14]["data"]["reference"])

    # when orders 15-20 come in one batch and the transaction of the third fails, then the
    # batch is not 200 (202: the others are committed), and its re-send completes it
    batch = orders[15:21]
    with failing_transaction_of(batch[2]["id"]) as failed:
        assert sender.send(*batch) == 202
    assert failed == [batch[2]["id"]]
    assert sender.until_acknowledged(*batch) == 1

    # when orders 21-23 arrive 4 times each at the same moment (twice with their id, twice
    # re-sent with new ids), then one commits and the others are acknowledged as duplicates
    # or retried (503, nothing committed)
    raced: Counter[int] = Counter()
    for order in orders[21:]:
        raced.update(
            at_once(
                sender, [order, order, {**order, "id": fs.new_id()}, {**order, "id": fs.new_id()}]
            )
        )
    # and so do the refunds of orders 0 and 1: 3 times with their id, once with a new one
    for order in orders[:2]:
        refund = fs.return_created(
            reference=order["data"]["reference"], original_order_id=order["data"]["id"]
        )
        raced.update(at_once(sender, [refund] * 3 + [{**refund, "id": fs.new_id()}]))
    assert set(raced) <= {200, 503}, raced
    refunded |= {o["data"]["reference"] for o in orders[:2]}

    # then the table holds what was sent, per reference: nothing lost, nothing twice
    items = table_items(Store(stack.table_name))
    order_items = [i for i in items if str(i["sk"]).startswith("ORDER#")]
    found_orders = Counter(str(i["sk"]).removeprefix("ORDER#") for i in order_items)
    status_of = {str(i["sk"]).removeprefix("ORDER#"): i.get("status") for i in order_items}
    live = Counter(
        (str(i["orderNumber"]), str(i["sk"])[:4])
        for i in items
        if str(i["sk"]).startswith(("LIC#", "SUP#"))
    )
    revoked = Counter(
        (str(i["orderNumber"]), str(i["sk"]).removeprefix("REVOKED#")[:4])
        for i in items
        if str(i["sk"]).startswith("REVOKED#")
    )
    expected_licenses = expected_supports = 0
    for order in orders:
        reference = order["data"]["reference"]
        licenses, supports = expected_grants(order)
        expected_licenses += licenses
        expected_supports += supports
        assert found_orders[reference] == 1, reference
        gone = reference in refunded
        assert (status_of[reference] == "refunded") == gone, (reference, status_of[reference])
        assert live[(reference, "LIC#")] == (0 if gone else licenses), reference
        assert live[(reference, "SUP#")] == (0 if gone else supports), reference
        assert revoked[(reference, "LIC#")] == (licenses if gone else 0), reference
        assert revoked[(reference, "SUP#")] == (supports if gone else 0), reference
    assert sum(found_orders.values()) == len(orders)
    for forged in forged_references:
        assert forged not in found_orders
    assert not any("forger@example.com" in json.dumps(i, default=str) for i in items)
    count = Counter(str(i["pk"]).split("#")[0] for i in items)
    assert count["FSORDER"] == len(orders)
    assert count["ORDERREF"] == len(orders)
    assert count["EMAIL"] == len(emails)
    assert count["FSRETURN"] == len(refunded)
    # one marker per event taken: every event id that was sent and signed (the 2 new-id re-sends
    # of a refund and the 24 new-id re-sends of an order are events of their own)
    assert count["FSEVENT"] == len(sender.events)
    figures = {
        "deliveries": sender.deliveries,
        "statuses": dict(sorted(sender.statuses.items())),
        "events": len(sender.events),
        "raced": dict(sorted(raced.items())),
        "orders_expected": len(orders),
        "orders_found": sum(found_orders.values()),
        "licenses_expected": expected_licenses,
        "supports_expected": expected_supports,
        "refunds_expected": len(refunded),
        "refunds_found": count["FSRETURN"],
    }
    record_property("webhook_replay", figures)
    print("webhook replay:", figures)
