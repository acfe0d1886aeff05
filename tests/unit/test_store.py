"""The store's BatchGetItem (portal.data.store.Store.get_many): DynamoDB may leave keys unprocessed
(throttling, the 16 MB answer limit). Only those keys are asked again, after waits that grow
exponentially with full jitter, and a batch still incomplete after the bounded attempts fails with
a clear error instead of answering from part of what it needs.

Items are written exactly as boto3's own serializer writes them and come back decoded exactly as
its deserializer decodes them (the store's faster paths for the portal's types change nothing).

DynamoDB is answered by botocore's Stubber (which also checks every request exactly), or by moto
with an after-call event hook that holds a batch's keys back as unprocessed."""

from __future__ import annotations

import random
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import boto3
import pytest
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.stub import Stubber

from portal.data.store import Backoff, BatchIncomplete, Store, from_attributes, to_attributes
from tests.support import login

TABLE = "PortalTable"
A, B, C, D = ({"pk": f"CUST#{n}", "sk": "PROFILE"} for n in "ABCD")


def attributes(key: dict[str, str], **extra: str) -> dict[str, Any]:
    return {name: {"S": value} for name, value in {**key, **extra}.items()}


def asked(*wanted: dict[str, str]) -> dict[str, Any]:
    """The RequestItems of a consistent BatchGetItem of `wanted` (also: UnprocessedKeys)."""
    return {TABLE: {"Keys": [attributes(key) for key in wanted], "ConsistentRead": True}}


def answer(found: tuple[dict[str, str], ...], unprocessed: tuple[dict[str, str], ...] = ()) -> Any:
    response: dict[str, Any] = {
        "Responses": {TABLE: [attributes(key, name=key["pk"]) for key in found]}
    }
    if unprocessed:
        response["UnprocessedKeys"] = asked(*unprocessed)
    return response


@pytest.fixture
def stubbed(env: dict[str, str], no_network: None) -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("dynamodb", region_name="us-east-1")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def store_of(client: Any, waits: list[float], **backoff: Any) -> Store:
    """A store whose backoff records its waits instead of sleeping."""
    return Store(TABLE, client=lambda: client, backoff=Backoff(sleep=waits.append, **backoff))


def test_only_the_unprocessed_keys_are_asked_again(stubbed):
    # given DynamoDB answers A and C of four keys, holds B back, and has no D
    client, stubber = stubbed
    stubber.add_response(
        "batch_get_item", answer((A, C), (B,)), {"RequestItems": asked(A, B, C, D)}
    )
    stubber.add_response("batch_get_item", answer((B,)), {"RequestItems": asked(B)})
    waits: list[float] = []
    store = store_of(client, waits, jitter=lambda: 0.5)
    # when the store reads the four
    found = store.get_many([A, B, C, D])
    # then the second ask named B alone (the Stubber checked it), after one jittered wait,
    # and the answer keeps the order asked, None for the missing key
    assert [item["pk"] if item else None for item in found] == ["CUST#A", "CUST#B", "CUST#C", None]
    assert waits == [pytest.approx(0.5 * 0.05)]


def test_a_complete_answer_asks_once_and_never_waits(stubbed):
    # given DynamoDB processes every key at once
    client, stubber = stubbed
    stubber.add_response("batch_get_item", answer((A, B)), {"RequestItems": asked(A, B)})
    waits: list[float] = []
    # when the store reads them, then one call answers and nothing waited
    assert [item["pk"] for item in store_of(client, waits).get_many([A, B])] == ["CUST#A", "CUST#B"]
    assert waits == []


def test_waits_double_each_retry_scaled_by_the_jitter(stubbed):
    # given DynamoDB holds a key back four times, then answers it; the jitter rolls are recorded
    client, stubber = stubbed
    for _ in range(4):
        stubber.add_response("batch_get_item", answer((), (A,)), {"RequestItems": asked(A)})
    stubber.add_response("batch_get_item", answer((A,)), {"RequestItems": asked(A)})
    rolls = iter([0.5, 0.25, 0.9, 0.1])
    waits: list[float] = []
    store = store_of(client, waits, jitter=lambda: next(rolls), base_seconds=0.05, cap_seconds=1)
    # when the store reads it
    (item,) = store.get_many([A])
    # then it waited roll * 0.05 * 2**(n-1) before retry n: ceilings 0.05, 0.1, 0.2, 0.4
    assert item is not None and item["pk"] == "CUST#A"
    assert waits == pytest.approx([0.5 * 0.05, 0.25 * 0.1, 0.9 * 0.2, 0.1 * 0.4])


def test_the_ceiling_grows_to_its_cap_and_real_jitter_stays_within_it():
    # given a backoff capped at 0.3 s that really rolls its jitter
    waits: list[float] = []
    backoff = Backoff(
        base_seconds=0.05, cap_seconds=0.3, sleep=waits.append, jitter=random.Random(7).random
    )
    # when it waits before retries 1..8, fifty times over
    for _ in range(50):
        for retry in range(1, 9):
            backoff.wait(retry)
    # then the ceiling doubles up to the cap, every wait lies in [0, ceiling], and they vary
    ceilings = [backoff.ceiling(retry) for retry in range(1, 9)]
    assert ceilings == pytest.approx([0.05, 0.1, 0.2, 0.3, 0.3, 0.3, 0.3, 0.3])
    assert all(0 <= wait <= ceilings[i % 8] for i, wait in enumerate(waits))
    assert len({round(wait, 6) for wait in waits}) > 300  # full jitter: not a fixed schedule


def test_it_gives_up_with_a_clear_error_after_the_bounded_attempts(stubbed):
    # given DynamoDB never processes B
    client, stubber = stubbed
    stubber.add_response("batch_get_item", answer((A,), (B,)), {"RequestItems": asked(A, B)})
    for _ in range(3):
        stubber.add_response("batch_get_item", answer((), (B,)), {"RequestItems": asked(B)})
    waits: list[float] = []
    store = store_of(client, waits, attempts=4, jitter=lambda: 1.0)
    # when the store reads A and B, then after exactly 4 asks (no response left) and 3 waits
    # it fails, saying what is left
    with pytest.raises(BatchIncomplete, match=r"1 key\(s\) unprocessed after 4 attempts") as err:
        store.get_many([A, B])
    assert (err.value.unprocessed, err.value.attempts) == (1, 4)
    assert waits == pytest.approx([0.05, 0.1, 0.2])


def test_a_sign_in_survives_a_throttled_batch_read(make_customer, store, calls):
    """Over moto: an after-call hook turns the first BatchGetItem answer into 'all unprocessed'."""
    # given a customer, and DynamoDB throttling the first BatchGetItem of the sign-in completely
    customer = make_customer()
    calls.clear()
    requests: list[dict[str, Any]] = []
    throttled: list[int] = []

    def remember(params: dict[str, Any], **_: Any) -> None:
        requests.append(params["RequestItems"])

    def hold_back(parsed: dict[str, Any], **_: Any) -> None:
        if not throttled:
            throttled.append(1)
            parsed["Responses"] = {}
            parsed["UnprocessedKeys"] = requests[-1]

    waits: list[float] = []
    store.backoff = Backoff(sleep=waits.append, jitter=lambda: 1.0)
    events = store.client.meta.events
    events.register("provide-client-params.dynamodb.BatchGetItem", remember, unique_id="remember")
    events.register("after-call.dynamodb.BatchGetItem", hold_back, unique_id="hold-back")
    try:
        # when the customer signs in
        response = login(customer)
    finally:
        events.unregister("provide-client-params.dynamodb.BatchGetItem", unique_id="remember")
        events.unregister("after-call.dynamodb.BatchGetItem", unique_id="hold-back")
    # then the five keys (three windows, two lookups) were asked again, once, after one wait,
    # and the sign-in went through (a code mailed: a fresh browser)
    assert response["statusCode"] == 202
    assert len(requests) == 2 and requests[1] == requests[0]
    assert len(requests[0]["PortalTable"]["Keys"]) == 5
    assert waits == [0.05]
    assert calls.operations == [
        "BatchGetItem",
        "BatchGetItem",
        "TransactWriteItems",
        "TransactWriteItems",
    ]


def test_items_decode_as_boto3_decodes_them_every_type_included() -> None:
    # given an item with every attribute type DynamoDB answers, nested ones too
    stored = {
        "pk": {"S": "CUST#A"},
        "empty": {"S": ""},
        "users": {"N": "10"},
        "price": {"N": "601.80"},
        "upgradable": {"BOOL": False},
        "gone": {"NULL": True},
        "releases": {"L": [{"S": "2026-12-02T09:00:00Z"}, {"N": "1"}, {"L": []}]},
        "billing": {"M": {"city": {"S": "Paris"}, "seats": {"N": "3"}, "inner": {"M": {}}}},
        "tags": {"SS": ["a", "b"]},
        "sizes": {"NS": ["1", "2.5"]},
        "blob": {"B": b"\x00\x01"},
    }
    # when decoded; then exactly what boto3's own deserializer makes of each attribute
    reference = TypeDeserializer()
    expected = {name: reference.deserialize(value) for name, value in stored.items()}
    assert from_attributes(stored) == expected
    assert from_attributes({"s": {"S": "x"}})["s"] == "x"


def test_an_attribute_with_two_types_is_refused() -> None:
    # given an attribute that names two types at once (DynamoDB never answers one)
    # when decoded; then an error, not one of the two values picked silently
    with pytest.raises(ValueError):
        from_attributes({"pk": {"S": "CUST#A", "N": "1"}})
    with pytest.raises(ValueError):
        from_attributes({"pk": {"N": "1", "S": "CUST#A"}})


def test_items_encode_as_boto3_encodes_them_and_none_is_left_out() -> None:
    # given an item with every kind of value the portal writes, a str subclass and a None
    class Name(str):
        __slots__ = ()

    item = {
        "pk": "CUST#A",
        "empty": "",
        "alias": Name("kept as a string"),
        "users": 10,
        "price": Decimal("601.80"),
        "upgradable": False,
        "releases": ["2026-12-02T09:00:00Z", 1],
        "billing": {"city": "Paris", "seats": 3},
        "tags": {"a", "b"},
        "blob": b"\x00\x01",
        "gone": None,
    }
    # when encoded; then exactly boto3's serializer's attributes, the None attribute absent
    reference = TypeSerializer()
    expected = {name: reference.serialize(value) for name, value in item.items() if name != "gone"}
    assert to_attributes(item) == expected
    assert "gone" not in to_attributes(item)
