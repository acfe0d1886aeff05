"""Data access: the only module that speaks DynamoDB. Items go in and out as plain dicts of Python
values (numbers as Decimal); keys come from portal.data.keys; expressions use placeholders only."""

from __future__ import annotations

import random
import secrets
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from portal.aws import clients as aws_clients
from portal.data.keys import Key, KeyCondition

Item = dict[str, Any]

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_attributes(item: Mapping[str, Any]) -> dict[str, Any]:
    """Plain values as DynamoDB attributes (None left out); a string, most of them, inline."""
    return {
        name: {"S": value} if type(value) is str else _serializer.serialize(value)
        for name, value in item.items()
        if value is not None
    }


def _value(attribute: Mapping[str, Any]) -> Any:
    """A fast path for the types the portal stores; anything else goes to boto3's deserializer."""
    ((kind, raw),) = attribute.items()
    if kind == "S":
        return raw
    if kind == "N":
        return Decimal(raw)
    if kind == "BOOL":
        return raw
    if kind == "NULL":
        return None
    if kind == "M":
        return {name: _value(value) for name, value in raw.items()}
    if kind == "L":
        return [_value(value) for value in raw]
    return _deserializer.deserialize(dict(attribute))  # type: ignore[arg-type]


def from_attributes(attributes: Mapping[str, Any]) -> Item:
    """An item as DynamoDB answers it, as plain Python values. A string (most of every item: a
    20-item page of licenses is ~270 attributes, ~200 of them strings) is taken inline."""
    item: Item = {}
    for name, attribute in attributes.items():
        text = attribute.get("S")
        item[name] = text if text is not None and len(attribute) == 1 else _value(attribute)
    return item


class ConditionFailed(Exception):
    """A conditional write (or one part of a transaction) did not hold.

    `reasons` has one code per transaction part ("None" where that part was fine)."""

    def __init__(self, reasons: Sequence[str] = ()) -> None:
        super().__init__(", ".join(reasons) or "condition failed")
        self.reasons = list(reasons)


class BatchIncomplete(RuntimeError):
    """A BatchGetItem (or BatchWriteItem) still left keys unprocessed after every attempt
    (throttling that outlasted the backoff): the request fails rather than answering from part of
    what it needs."""

    def __init__(self, unprocessed: int, attempts: int, call: str = "BatchGetItem") -> None:
        super().__init__(f"{call} left {unprocessed} key(s) unprocessed after {attempts} attempts")
        self.unprocessed = unprocessed
        self.attempts = attempts


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff with full jitter between re-asks (unprocessed keys, a patient write's
    transient failures): before retry n (1, 2, ...) wait `jitter() * min(cap, base * 2 ** (n -
    1))` seconds. `sleep` and `jitter` are injectable so a test can record the waits without
    waiting."""

    attempts: int = 5  # the first ask included
    base_seconds: float = 0.05
    cap_seconds: float = 1.0
    sleep: Callable[[float], None] = time.sleep
    jitter: Callable[[], float] = random.random  # uniform in [0, 1)

    def ceiling(self, retry: int) -> float:
        return min(self.cap_seconds, self.base_seconds * 2 ** (retry - 1))

    def wait(self, retry: int) -> None:
        self.sleep(self.jitter() * self.ceiling(retry))


BACKOFF = Backoff()

# DynamoDB's answers that say "not now" rather than "no": throttling, a transaction cancelled
# for a reason other than a condition (a conflict with another transaction, throttling of one of
# its items), a passing service fault. Only a `patient` write tries again on these.
TRANSIENT = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "TransactionCanceledException",
        "TransactionConflictException",
        "TransactionInProgressException",
        "InternalServerError",
        "ServiceUnavailable",
    }
)


@dataclass(frozen=True, slots=True)
class QueryResult:
    items: list[Item]
    last_key: Item | None


class Store:
    """One table. `client` is a factory so the boto3 client is built lazily, once per container."""

    def __init__(
        self,
        table_name: str,
        client: Callable[[], Any] = aws_clients.dynamodb,
        *,
        backoff: Backoff = BACKOFF,
    ) -> None:
        self.table_name = table_name
        self._client = client
        self.backoff = backoff

    @property
    def client(self) -> Any:
        return self._client()

    # ---------------------------------------------------------------- reads
    def get(
        self, key: Key, *, consistent: bool = False, attributes: Sequence[str] = ()
    ) -> Item | None:
        """GetItem; with `attributes`, only those are read (a projection, names as placeholders)."""
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "Key": to_attributes(key),
            "ConsistentRead": consistent,
        }
        if attributes:
            names = {"#a" + str(index): name for index, name in enumerate(attributes)}
            request["ProjectionExpression"] = ", ".join(names)
            request["ExpressionAttributeNames"] = names
        answer = self.client.get_item(**request)
        return from_attributes(answer["Item"]) if "Item" in answer else None

    def get_many(self, keys: Sequence[Key], *, consistent: bool = True) -> list[Item | None]:
        """BatchGetItem of up to 100 distinct keys, in the order asked (None = missing).

        DynamoDB may leave some keys unprocessed (throttling, the 16 MB answer limit): only those
        are asked again, after a wait that grows exponentially with full jitter (`Backoff`); still
        unprocessed after `backoff.attempts` asks is BatchIncomplete."""
        wanted = [to_attributes(key) for key in keys]
        found: dict[tuple[str, str], Item] = {}
        request: dict[str, Any] = {self.table_name: {"Keys": wanted, "ConsistentRead": consistent}}
        for attempt in range(1, self.backoff.attempts + 1):
            if attempt > 1:
                self.backoff.wait(attempt - 1)
            answer = self.client.batch_get_item(RequestItems=request)
            for raw in answer.get("Responses", {}).get(self.table_name, []):
                item = from_attributes(raw)
                found[(item["pk"], item["sk"])] = item
            request = answer.get("UnprocessedKeys") or {}
            if not request:
                return [found.get((key["pk"], key["sk"])) for key in keys]
        left = len(request.get(self.table_name, {}).get("Keys", []))
        raise BatchIncomplete(left, self.backoff.attempts)

    def query(
        self,
        *,
        partition: tuple[str, str],
        sort_prefix: tuple[str, str] | None = None,
        index: str | None = None,
        limit: int,
        newest_first: bool = True,
        start_key: Mapping[str, str] | None = None,
        consistent: bool = False,
    ) -> QueryResult:
        names = {"#p": partition[0]}
        values: dict[str, Any] = {":p": partition[1]}
        condition = "#p = :p"
        if sort_prefix:
            names["#s"] = sort_prefix[0]
            values[":s"] = sort_prefix[1]
            condition += " AND begins_with(#s, :s)"
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": to_attributes(values),
            "ScanIndexForward": not newest_first,
            "Limit": limit,
        }
        if index:
            request["IndexName"] = index
        if consistent:
            request["ConsistentRead"] = True
        if start_key:
            request["ExclusiveStartKey"] = to_attributes(start_key)
        answer = self.client.query(**request)
        last = answer.get("LastEvaluatedKey")
        return QueryResult(
            items=[from_attributes(raw) for raw in answer.get("Items", [])],
            last_key=from_attributes(last) if last else None,
        )

    def each(
        self,
        where: KeyCondition,
        *,
        page: int,
        newest_first: bool = True,
        consistent: bool = False,
    ) -> Iterator[Item]:
        """Every item `where` selects, one Query of `page` items after another until the last."""
        start: Mapping[str, str] | None = None
        while True:
            result = self.query(
                partition=where.partition,
                sort_prefix=where.sort_prefix,
                index=where.index,
                limit=page,
                newest_first=newest_first,
                start_key=start,
                consistent=consistent,
            )
            yield from result.items
            if not result.last_key:
                return
            start = {name: str(value) for name, value in result.last_key.items()}

    # ---------------------------------------------------------------- writes
    def put(self, item: Mapping[str, Any], *, condition: str | None = None) -> None:
        self._write(self.client.put_item, self.put_request(item, condition=condition))

    def update(
        self,
        key: Key,
        *,
        update: str,
        names: Mapping[str, str] | None = None,
        values: Mapping[str, Any] | None = None,
        condition: str | None = None,
        return_new: bool = False,
        patient: bool = False,
    ) -> Item | None:
        """UpdateItem; `patient` as for `transact` (the condition keeps a repeat harmless)."""
        request = self.update_request(
            key, update=update, names=names, values=values, condition=condition
        )
        if return_new:
            request["ReturnValues"] = "ALL_NEW"
        answer = self._patiently(patient, lambda: self._write(self.client.update_item, request))
        return from_attributes(answer["Attributes"]) if return_new else None

    def delete(
        self,
        key: Key,
        *,
        condition: str | None = None,
        values: Mapping[str, Any] | None = None,
        return_old: bool = False,
    ) -> Item | None:
        """DeleteItem (ConditionFailed when `condition` does not hold); with `return_old`, the
        item as it was (None: there was none)."""
        request = self.delete_request(key, condition=condition, values=values)
        if return_old:
            request["ReturnValues"] = "ALL_OLD"
        answer = self._write(self.client.delete_item, request)
        old = answer.get("Attributes") if return_old else None
        return from_attributes(old) if old else None

    def delete_many(self, keys: Sequence[Key]) -> None:
        """BatchWriteItem deletes, 25 keys a call (distinct keys); unprocessed ones are sent
        again after the `Backoff` wait, and still unprocessed after `backoff.attempts` sends is
        BatchIncomplete (the deletes done stay done: deleting twice is harmless)."""
        for start in range(0, len(keys), 25):
            chunk = [
                {"DeleteRequest": {"Key": to_attributes(key)}} for key in keys[start : start + 25]
            ]
            request: dict[str, Any] = {self.table_name: chunk}
            for attempt in range(1, self.backoff.attempts + 1):
                if attempt > 1:
                    self.backoff.wait(attempt - 1)
                answer = self.client.batch_write_item(RequestItems=request)
                request = answer.get("UnprocessedItems") or {}
                if not request:
                    break
            else:
                left = len(request.get(self.table_name, []))
                raise BatchIncomplete(left, self.backoff.attempts, "BatchWriteItem")

    def update_request(
        self,
        key: Key,
        *,
        update: str,
        names: Mapping[str, str] | None = None,
        values: Mapping[str, Any] | None = None,
        condition: str | None = None,
    ) -> dict[str, Any]:
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "Key": to_attributes(key),
            "UpdateExpression": update,
        }
        if names:
            request["ExpressionAttributeNames"] = dict(names)
        if values:
            request["ExpressionAttributeValues"] = to_attributes(values)
        if condition:
            request["ConditionExpression"] = condition
        return request

    def put_request(
        self,
        item: Mapping[str, Any],
        *,
        condition: str | None = None,
        names: Mapping[str, str] | None = None,
        values: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        request: dict[str, Any] = {"TableName": self.table_name, "Item": to_attributes(item)}
        if condition:
            request["ConditionExpression"] = condition
        if names:
            request["ExpressionAttributeNames"] = dict(names)
        if values:
            request["ExpressionAttributeValues"] = to_attributes(values)
        return request

    def delete_request(
        self,
        key: Key,
        *,
        condition: str | None = None,
        values: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        request: dict[str, Any] = {"TableName": self.table_name, "Key": to_attributes(key)}
        if condition:
            request["ConditionExpression"] = condition
        if values:
            request["ExpressionAttributeValues"] = to_attributes(values)
        return request

    def check_request(
        self, key: Key, *, condition: str, values: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """A transaction's ConditionCheck part: `condition` must hold on the item of `key`."""
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "Key": to_attributes(key),
            "ConditionExpression": condition,
        }
        if values:
            request["ExpressionAttributeValues"] = to_attributes(values)
        return request

    def transact(
        self, parts: Iterable[tuple[str, dict[str, Any]]], *, patient: bool = False
    ) -> None:
        """All or nothing. parts: ("Put" | "Update" | "Delete" | "ConditionCheck", request).

        `patient`: for a write that records what was already done outside DynamoDB (a mail
        sent) or gives a claim back, which no retry of the request would make again: an answer
        in TRANSIENT is asked again after the backoff, up to `backoff.attempts` asks, all with
        one ClientRequestToken (an ask that did commit is not applied twice). Other writes fail
        at once: their caller's retry (the request, the redelivery, the next run) redoes them."""
        items = [{kind: request} for kind, request in parts]
        token = {"ClientRequestToken": secrets.token_hex(16)} if patient else {}

        def once() -> None:
            try:
                self.client.transact_write_items(TransactItems=items, **token)
            except ClientError as exc:
                if _code(exc) == "TransactionCanceledException":
                    reasons = [
                        str(reason.get("Code", "None"))
                        for reason in exc.response.get("CancellationReasons", [])
                    ]
                    if any(code == "ConditionalCheckFailed" for code in reasons):
                        raise ConditionFailed(reasons) from None
                raise

        self._patiently(patient, once)

    def _patiently(self, patient: bool, call: Callable[[], Any]) -> Any:
        """call(); when `patient`, asked again after the backoff while DynamoDB answers a
        TRANSIENT error, up to `backoff.attempts` asks in all."""
        ask = 1
        while True:
            try:
                return call()
            except ClientError as exc:
                if not patient or ask >= self.backoff.attempts or _code(exc) not in TRANSIENT:
                    raise
            self.backoff.wait(ask)
            ask += 1

    @staticmethod
    def _write(call: Callable[..., Any], request: dict[str, Any]) -> Any:
        try:
            return call(**request)
        except ClientError as exc:
            if _code(exc) == "ConditionalCheckFailedException":
                raise ConditionFailed() from None
            raise


def is_transient(exc: BaseException) -> bool:
    """A DynamoDB "not now" (TRANSIENT) that reached the caller, or reads left unprocessed: the
    request may succeed when asked again (the HTTP edge answers 503 with Retry-After)."""
    if isinstance(exc, BatchIncomplete):
        return True
    return isinstance(exc, ClientError) and _code(exc) in TRANSIENT


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
