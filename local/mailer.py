"""Outbox mail delivered locally as AWS delivers it: the table's DynamoDB stream feeds the
template's stream-fed function (the mailer).

For each AWS::Serverless::Function of the template with a `DynamoDB` event on a table's
`StreamArn`, LocalMailer reads that table's stream from moto through the ordinary DynamoDB
Streams API (DescribeTable, DescribeStream, GetShardIterator TRIM_HORIZON, GetRecords), keeps
the records the event's FilterCriteria pattern matches, and hands them to the function's own
handler (imported from its CodeUri, as local/runner.py does) in batches of its BatchSize, in
the event shape Lambda sends. Like Lambda with ReportBatchItemFailures, the records from the
first one the handler reports failed (or all of them, when it raises) are retried after a
pause, up to the event's MaximumRetryAttempts; then the batch is dropped and logged (in AWS it
would go to the OnFailure destination, the dead-letter queue).

moto keeps stream records in memory and never trims them; the feeder polls every 0.2 s.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3

from local.aws import read_template
from local.runner import LocalContext, load_module

LOG = logging.getLogger(__name__)
POLL_SECONDS = 0.2
RETRY_PAUSE_SECONDS = 1.0


@dataclass(frozen=True)
class StreamFunction:
    """A function fed by a table's stream, as the template declares it."""

    name: str
    app: Path
    handler: str
    table: str  # the table's logical id (its local name)
    batch_size: int
    maximum_retries: int
    patterns: tuple[dict[str, Any], ...]
    timeout: int
    memory: int


def stream_functions(template: Path) -> list[StreamFunction]:
    document = read_template(template)
    defaults = (document.get("Globals") or {}).get("Function") or {}
    found = []
    for name, resource in (document.get("Resources") or {}).items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        props = {**defaults, **(resource.get("Properties") or {})}
        for event in (props.get("Events") or {}).values():
            if event.get("Type") != "DynamoDB":
                continue
            source = event.get("Properties") or {}
            stream = source.get("Stream") or {}
            attribute = stream.get("Fn::GetAtt") if isinstance(stream, dict) else None
            if isinstance(attribute, str):
                attribute = attribute.split(".")
            if not attribute or attribute[1] != "StreamArn":
                LOG.warning("%s: stream %r has no local table; not fed", name, stream)
                continue
            filters = (source.get("FilterCriteria") or {}).get("Filters") or []
            module, _, function = str(props["Handler"]).rpartition(".")
            found.append(
                StreamFunction(
                    name=name,
                    app=template.parent / str(props["CodeUri"]) / f"{module}.py",
                    handler=function,
                    table=str(attribute[0]),
                    batch_size=int(source.get("BatchSize", 100)),
                    maximum_retries=int(source.get("MaximumRetryAttempts", 3)),
                    patterns=tuple(json.loads(f["Pattern"]) for f in filters),
                    timeout=int(props.get("Timeout", 3)),
                    memory=int(props.get("MemorySize", 128)),
                )
            )
    return found


def matches(pattern: Mapping[str, Any], record: Mapping[str, Any]) -> bool:
    """Whether a stream record passes an event filter pattern (the subset the template uses:
    nested objects, lists of values, {"prefix": ...})."""
    for name, wanted in pattern.items():
        present = record.get(name)
        if isinstance(wanted, dict):
            if not isinstance(present, Mapping) or not matches(wanted, present):
                return False
        elif isinstance(wanted, list):
            if not any(_matches_value(option, present) for option in wanted):
                return False
        else:
            raise ValueError(f"unsupported filter pattern at {name!r}: {wanted!r}")
    return True


def _matches_value(option: Any, present: Any) -> bool:
    if isinstance(option, dict):
        if set(option) == {"prefix"}:
            return isinstance(present, str) and present.startswith(option["prefix"])
        raise ValueError(f"unsupported filter rule {option!r}")
    return bool(option == present)


def lambda_record(record: Mapping[str, Any], stream_arn: str) -> dict[str, Any]:
    """A GetRecords record as Lambda passes it (eventSourceARN, epoch seconds)."""
    shaped = json.loads(json.dumps(record, default=str))
    created = record.get("dynamodb", {}).get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        shaped["dynamodb"]["ApproximateCreationDateTime"] = int(created.timestamp())
    shaped["eventSourceARN"] = stream_arn
    return shaped


@dataclass
class _Feed:
    function: StreamFunction
    handler: Callable[[dict[str, Any], Any], Any]
    stream_arn: str
    iterators: dict[str, str]  # shard id -> next iterator
    waiting: list[dict[str, Any]] = field(default_factory=list)
    attempts: int = 0


class LocalMailer:
    """Feeds each stream-fed function of the template; start() and stop()."""

    def __init__(self, template: Path, tables: Mapping[str, str]) -> None:
        self.template = template
        self.tables = dict(tables)
        self.delivered = 0  # records the handlers took without reporting a failure
        self.dropped = 0  # records given up after their retries
        self._feeds: list[_Feed] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> LocalMailer:
        dynamodb = boto3.session.Session().client("dynamodb")
        streams = boto3.session.Session().client("dynamodbstreams")
        for function in stream_functions(self.template):
            table = self.tables.get(function.table, function.table)
            arn = dynamodb.describe_table(TableName=table)["Table"].get("LatestStreamArn")
            if not arn:
                LOG.warning("%s: table %s has no stream; not fed", function.name, table)
                continue
            shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
            iterators = {
                shard["ShardId"]: streams.get_shard_iterator(
                    StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
                for shard in shards
            }
            self._feeds.append(_Feed(function, _load(function), arn, iterators))
        if self._feeds:
            self._thread = threading.Thread(target=self._run, name="local-mailer", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._thread = None

    def _run(self) -> None:
        streams = boto3.session.Session().client("dynamodbstreams")
        pause = POLL_SECONDS
        while not self._stop.wait(pause):
            pause = POLL_SECONDS
            for feed in self._feeds:
                try:
                    if not self._feed(streams, feed):
                        pause = RETRY_PAUSE_SECONDS
                except Exception:  # the feeder keeps going, as Lambda's poller does
                    LOG.exception("%s: reading the stream failed", feed.function.name)
                    pause = RETRY_PAUSE_SECONDS

    def _feed(self, streams: Any, feed: _Feed) -> bool:
        """Read new records, hand one batch over; False when a batch failed (retry later)."""
        for shard, iterator in list(feed.iterators.items()):
            answer = streams.get_records(ShardIterator=iterator)
            feed.iterators[shard] = answer.get("NextShardIterator") or iterator
            feed.waiting += [
                lambda_record(record, feed.stream_arn)
                for record in answer.get("Records", [])
                if not feed.function.patterns
                or any(matches(p, record) for p in feed.function.patterns)
            ]
        while feed.waiting:
            batch = feed.waiting[: feed.function.batch_size]
            failed_from = self._invoke(feed, batch)
            if failed_from is None:
                self.delivered += len(batch)
                feed.waiting, feed.attempts = feed.waiting[len(batch) :], 0
                continue
            self.delivered += failed_from
            feed.waiting = feed.waiting[failed_from:]
            feed.attempts += 1
            if feed.attempts > feed.function.maximum_retries:
                LOG.error(
                    "%s: %d record(s) failed after %d retries; in AWS they would go to the "
                    "dead-letter queue",
                    feed.function.name,
                    len(batch) - failed_from,
                    feed.function.maximum_retries,
                )
                self.dropped += len(batch) - failed_from
                feed.waiting, feed.attempts = feed.waiting[len(batch) - failed_from :], 0
                continue
            return False
        return True

    def _invoke(self, feed: _Feed, batch: list[dict[str, Any]]) -> int | None:
        """Run the handler on the batch: None when it all went through, else the index of the
        first record to retry (Lambda resumes from the lowest failed sequence number)."""
        function = feed.function
        context = LocalContext(function.name, function.memory, function.timeout)
        try:
            answer = feed.handler({"Records": batch}, context)
        except Exception:  # a function error: the whole batch is retried
            LOG.exception("%s failed on a batch of %d", function.name, len(batch))
            return 0
        failures = {
            str(failure.get("itemIdentifier"))
            for failure in (answer or {}).get("batchItemFailures", [])
        }
        if not failures:
            return None
        for index, record in enumerate(batch):
            if record["dynamodb"]["SequenceNumber"] in failures:
                return index
        return 0


def _load(function: StreamFunction) -> Callable[[dict[str, Any], Any], Any]:
    return getattr(load_module(function.app, function.name), function.handler)
