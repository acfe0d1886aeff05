"""local/moto_tuning.py: moto's transactions without a copy of the whole table, with the same
outcome as moto's own (a failed transaction leaves items and stream exactly as they were), and no
instance list of DynamoDB's models. Against moto in-process, on a table with a stream like the
portal's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core.model_instances import model_data
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import Item

from local import moto_tuning

TABLE = "Tuned"


@pytest.fixture
def dynamodb(env: dict[str, str], no_network: None) -> Iterator[Any]:
    with mock_aws():
        moto_tuning.tune()
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName=TABLE,
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
        )
        yield client


def put(client: Any, pk: str, **attributes: str) -> None:
    item = {"pk": {"S": pk}, "sk": {"S": "A"}, **{k: {"S": v} for k, v in attributes.items()}}
    client.put_item(TableName=TABLE, Item=item)


def everything(client: Any) -> list[dict[str, Any]]:
    return sorted(client.scan(TableName=TABLE)["Items"], key=lambda item: item["pk"]["S"])


def stream(client: Any) -> list[tuple[str, Any]]:
    """(event name, keys) of every record of the table's stream, in order."""
    streams = boto3.client("dynamodbstreams", region_name="us-east-1")
    arn = client.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
    iterator = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records = streams.get_records(ShardIterator=iterator, Limit=1000)["Records"]
    return [(r["eventName"], r["dynamodb"]["Keys"]) for r in records]


def key(pk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": "A"}}


def test_a_cancelled_transaction_leaves_items_and_stream_as_they_were(dynamodb):
    # given two items, one to be updated, one to be deleted
    put(dynamodb, "KEEP", state="before")
    put(dynamodb, "GONE", state="before")
    items, records = everything(dynamodb), stream(dynamodb)
    # when a transaction puts a new item, updates one, deletes the other, then fails a condition
    with pytest.raises(ClientError) as failure:
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": TABLE, "Item": {**key("NEW"), "state": {"S": "x"}}}},
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": key("KEEP"),
                        "UpdateExpression": "SET #s = :v",
                        "ExpressionAttributeNames": {"#s": "state"},
                        "ExpressionAttributeValues": {":v": {"S": "after"}},
                    }
                },
                {"Delete": {"TableName": TABLE, "Key": key("GONE")}},
                {
                    "ConditionCheck": {
                        "TableName": TABLE,
                        "Key": key("MISSING"),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )
    # then it is cancelled, naming the failed condition, and nothing of it remains
    assert failure.value.response["Error"]["Code"] == "TransactionCanceledException"
    reasons = [r["Code"] for r in failure.value.response["CancellationReasons"]]
    assert reasons == ["None", "None", "None", "ConditionalCheckFailed"]
    assert everything(dynamodb) == items
    assert stream(dynamodb) == records
    # and the table takes writes as before
    put(dynamodb, "LATER", state="x")
    assert [item["pk"]["S"] for item in everything(dynamodb)] == ["GONE", "KEEP", "LATER"]
    assert stream(dynamodb)[-1] == ("INSERT", key("LATER"))


def test_two_operations_on_one_item_change_nothing(dynamodb):
    put(dynamodb, "ONE", state="before")
    items, records = everything(dynamodb), stream(dynamodb)
    with pytest.raises(ClientError) as failure:
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": TABLE, "Item": {**key("ONE"), "state": {"S": "put"}}}},
                {"Delete": {"TableName": TABLE, "Key": key("ONE")}},
            ]
        )
    assert failure.value.response["Error"]["Code"] == "ValidationException"
    assert everything(dynamodb) == items
    assert stream(dynamodb) == records


def test_a_cancelled_transaction_keeps_what_another_writer_wrote_meanwhile(dynamodb, monkeypatch):
    # given another writer that puts an unrelated item while the transaction is under way (as
    # the local mailer's thread does: moto serves each request on a thread of its own)
    real_put = DynamoDBBackend.put_item
    written = []

    def put_then_another_writes(self: DynamoDBBackend, *args: Any, **kwargs: Any) -> Any:
        answer = real_put(self, *args, **kwargs)
        if not written:
            written.append(True)
            real_put(self, TABLE, {**key("OTHER"), "state": {"S": "meanwhile"}})
        return answer

    monkeypatch.setattr(DynamoDBBackend, "put_item", put_then_another_writes)
    # when the transaction fails after its put
    with pytest.raises(ClientError):
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": TABLE, "Item": key("NEW")}},
                {
                    "ConditionCheck": {
                        "TableName": TABLE,
                        "Key": key("MISSING"),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )
    # then its own put is undone and the other writer's item and stream record are kept (moto's
    # own rollback, putting back a copy of the whole table, lost both)
    assert written
    assert [item["pk"]["S"] for item in everything(dynamodb)] == ["OTHER"]
    assert stream(dynamodb) == [("INSERT", key("OTHER"))]


def test_a_committed_transaction_writes_every_item_and_its_stream_records(dynamodb):
    put(dynamodb, "OLD", state="before")
    dynamodb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": TABLE, "Item": {**key("NEW"), "state": {"S": "x"}}}},
            {"Delete": {"TableName": TABLE, "Key": key("OLD")}},
        ]
    )
    assert [item["pk"]["S"] for item in everything(dynamodb)] == ["NEW"]
    assert stream(dynamodb)[-2:] == [("INSERT", key("NEW")), ("REMOVE", key("OLD"))]


def test_a_transaction_copies_the_items_it_names_not_the_table(dynamodb, monkeypatch):
    # given a count of every item moto deep-copies
    copied = []
    real = Item.__deepcopy__

    def counted(self: Item, memo: dict[int, Any]) -> Item:
        copied.append(self)
        return real(self, memo)

    monkeypatch.setattr(Item, "__deepcopy__", counted)

    def copies_of_one_update() -> int:
        copied.clear()
        dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": key("TARGET"),
                        "UpdateExpression": "SET n = :n",
                        "ExpressionAttributeValues": {":n": {"S": "1"}},
                    }
                }
            ]
        )
        return len(copied)

    put(dynamodb, "TARGET")
    small = copies_of_one_update()
    # when the table holds 300 more items (and their stream records)
    for n in range(300):
        put(dynamodb, f"FILL{n:03d}")
    # then the same transaction copies as many items as before: the one it names
    assert copies_of_one_update() == small <= 3


def test_tune_is_idempotent_and_the_untuned_method_still_copies_tables(dynamodb):
    tuned = DynamoDBBackend.transact_write_items
    moto_tuning.tune()
    assert DynamoDBBackend.transact_write_items is tuned
    # outside the tuned method (e.g. a test that swapped it), deepcopy is copy.deepcopy again
    from moto.dynamodb import models

    table = models.dynamodb_backends["123456789012"]["us-east-1"].tables[TABLE]
    assert models.copy.deepcopy(table) is not table


def test_dynamodb_models_are_not_kept_other_services_are(dynamodb):
    for n in range(5):
        put(dynamodb, f"P{n}")
    dynamodb.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "P1"}},
    )
    for service in moto_tuning.UNTRACKED_SERVICES:
        for name, model in model_data[service].items():
            assert list(model.instances_tracked) == [], (service, name)  # type: ignore[attr-defined]
    boto3.client("kms", region_name="us-east-1").create_key()
    assert len(model_data["kms"]["Key"].instances_tracked) == 1  # type: ignore[attr-defined]
