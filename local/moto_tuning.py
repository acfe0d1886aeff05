"""Two of moto's costs that grow with everything the local stack ever did, removed (found by the
load run, bench/load_run.py; docs/performance.md "Load run"). moto 5.2.5 (requirements-dev.lock);
tests/unit/test_moto_tuning.py notices when its internals move.

1. TransactWriteItems backs up every table it touches with `copy.deepcopy(table)` before it
   writes: every item and every stream record the table ever had (moto never trims streams), on
   every transaction. At 4,000 writes a one-item transaction took 1.4 s; the portal commits most
   changes as transactions, so the local stack slowed down quadratically. Here the backup is the
   items the transaction names (deep copies, or their absence) and the length of the table's
   stream; after a failure (moto's: a cancelled transaction, two operations on one item, a
   validation error) those items are put back in place and the stream records the transaction
   added are removed, which is what moto's own rollback achieves by putting the whole copy back.
   Restoring in place also keeps what another thread wrote to other items meanwhile (the copy
   would have lost it).
2. Every instance of a moto model is kept in a class-level list for `/moto-api/data.json`, the
   moto dashboard's dump; DynamoDB's include every item ever written and every copy a query
   returned, so memory grows without bound and the dump (which the local mailbox reads for the
   SES messages, local/mailbox.py) grows with it. DynamoDB's and DynamoDB Streams' models are not
   kept (their data is in the backends, which serve every request); every other service's are.

`tune()` applies both; local/aws.py's start_moto calls it after resetting moto (a reset gives
every model a fresh list). Idempotent.
"""

from __future__ import annotations

import copy
import functools
import threading
from collections.abc import Callable
from typing import Any

from moto.core.model_instances import model_data
from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table

UNTRACKED_SERVICES = ("dynamodb", "dynamodbstreams")
_ItemKey = tuple[Table, DynamoType, DynamoType | None]


class _Discarded(list[Any]):
    """An `instances_tracked` list that keeps nothing."""

    def append(self, _: Any) -> None:
        return None


_in_transaction = threading.local()  # .active: this thread is in the tuned transact_write_items


class TablesNotCopied:
    """The `copy` module as moto.dynamodb.models sees it: within the tuned transact_write_items
    (which takes its backup item by item), deepcopy of a Table is the Table itself; anywhere
    else, copy.deepcopy."""

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        if isinstance(value, Table) and getattr(_in_transaction, "active", False):
            return value
        return copy.deepcopy(value, memo)


def _key_of(table: Table, operation: dict[str, Any]) -> _ItemKey | None:
    """The item an operation of a transaction names; None when it names none (moto answers
    the malformed request itself)."""
    attributes = operation.get("Item") if "Item" in operation else operation.get("Key")
    try:
        hash_key = DynamoType(attributes[table.hash_key_attr])  # type: ignore[index]
        range_key = (
            DynamoType(attributes[table.range_key_attr])  # type: ignore[index]
            if table.range_key_attr
            else None
        )
    except (KeyError, TypeError, AttributeError):
        return None
    return table, hash_key, range_key


def _stored(table: Table, hash_key: DynamoType, range_key: DynamoType | None) -> Item | None:
    if range_key is None:
        found = table.items.get(hash_key)
    else:
        found = table.items.get(hash_key, {}).get(range_key)
    return found if isinstance(found, Item) else None


def _put_back(
    table: Table, hash_key: DynamoType, range_key: DynamoType | None, item: Item | None
) -> None:
    if range_key is None:
        if item is None:
            table.items.pop(hash_key, None)
        else:
            table.items[hash_key] = item  # type: ignore[assignment]
    elif item is None:
        table.items.get(hash_key, {}).pop(range_key, None)
    else:
        table.items[hash_key][range_key] = item


def _stream_key(table: Table, hash_key: DynamoType, range_key: DynamoType | None) -> Any:
    keys = {table.hash_key_attr: hash_key.to_json()}
    if table.range_key_attr is not None and range_key is not None:
        keys[table.range_key_attr] = range_key.to_json()
    return keys


def transact_write_items_tuned(
    original: Callable[[DynamoDBBackend, list[dict[str, Any]]], None],
) -> Callable[[DynamoDBBackend, list[dict[str, Any]]], None]:
    @functools.wraps(original)
    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        saved: list[tuple[_ItemKey, Item | None]] = []
        streams: dict[str, int] = {}  # table name -> its stream's length before
        for entry in transact_items:
            for operation in entry.values() if isinstance(entry, dict) else ():
                if not isinstance(operation, dict):
                    continue
                table = self.tables.get(str(operation.get("TableName")))
                key = _key_of(table, operation) if table is not None else None
                if key is None:
                    continue
                current = _stored(*key)
                saved.append((key, copy.deepcopy(current) if current is not None else None))
                if key[0].stream_shard is not None:
                    streams.setdefault(key[0].name, len(key[0].stream_shard.items))
        outer = getattr(_in_transaction, "active", False)
        _in_transaction.active = True
        try:
            original(self, transact_items)
        except BaseException:
            touched: dict[str, list[Any]] = {}
            for (table, hash_key, range_key), item in reversed(saved):
                _put_back(table, hash_key, range_key, item)
                touched.setdefault(table.name, []).append(_stream_key(table, hash_key, range_key))
            for name, length in streams.items():
                shard = self.tables[name].stream_shard
                if shard is None:
                    continue
                added = shard.items[length:]
                shard.items[length:] = [
                    r for r in added if r.record["dynamodb"]["Keys"] not in touched[name]
                ]
            raise
        finally:
            _in_transaction.active = outer

    transact_write_items.tuned = True  # type: ignore[attr-defined]
    return transact_write_items


def tune() -> None:
    """Apply both changes (module docstring) to this process's moto."""
    if not getattr(DynamoDBBackend.transact_write_items, "tuned", False):
        DynamoDBBackend.transact_write_items = transact_write_items_tuned(  # type: ignore[method-assign,assignment]
            DynamoDBBackend.transact_write_items
        )
        dynamodb_models.copy = TablesNotCopied()  # type: ignore[assignment]
    import moto.dynamodbstreams.models  # noqa: F401 - registers its models in model_data

    for service in UNTRACKED_SERVICES:
        for model in model_data.get(service, {}).values():
            model.instances_tracked = _Discarded()  # type: ignore[attr-defined]
