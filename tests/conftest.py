"""Fixtures for every test floor. Unit tests run against moto in-process with the network
blocked; the portal table is created from template.yaml by the same code the local stack uses.

    aws            moto in-process: the template's table, secrets and KMS keys; network blocked
    store          the portal's Store on that table          settings   the portal's Settings
    seeded         the demo data (local/demo_data.py) written: the module, for its constants
    make_customer  tests.factories.make_customer with store and settings given:
                   `customer = make_customer(licenses=[("TSplus", "Enterprise", 10)])`
    remote_work    a customer with a 5-workstation Remote Work license and its support for a
                   year (upgrades: tests.support.quote_for, paid_order)
    clock          every handler's "now" fixed at tests.support.FIXED_NOW; clock.advance(...)
    calls          the DynamoDB operations issued (tests.support.CallLog)
    ses            moto's SES with the mail sender verified (tests.support.sent_messages)
    atomic_writes  moto's reads and writes under one lock, for tests racing threads
    moto_at_table_scale  moto without its whole-table sorts and copies (tables of 10,000s of items)

The helpers (sign_in, deliver, the demo constants...) are in tests/support.py."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from tests import factories
from tests.support import REMOTE_WORK, ROOT, RW_SUPPORT, TEST_ENV, CallLog, fix_clock, recording

# As in Lambda, Powertools' settings are in the environment before any handler module is
# imported (its Logger and Metrics read them when they are created).
for _name, _value in TEST_ENV.items():
    if _name.startswith("POWERTOOLS_"):
        os.environ.setdefault(_name, _value)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name, value in TEST_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    return dict(TEST_ENV)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unit tests never leave the process: any real connection attempt fails the test."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"network access in a unit test: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


_RSA_KEYS: dict[tuple[int, int], Any] = {}


@pytest.fixture(autouse=True, scope="session")
def fast_moto_rsa_keys() -> Iterator[None]:
    """moto generates a fresh RSA-3072 key for every KMS signing key (~1 s each). Unit tests
    share one per size instead: which key signs does not matter to them (rotation tests create
    two keys and still get two distinct ids; distinct key material is not what they check)."""
    from cryptography.hazmat.primitives.asymmetric import rsa
    from moto.kms import utils

    real = rsa.generate_private_key

    def cached(public_exponent: int, key_size: int, backend: Any = None) -> Any:
        if (public_exponent, key_size) not in _RSA_KEYS:
            _RSA_KEYS[(public_exponent, key_size)] = real(public_exponent, key_size)
        return _RSA_KEYS[(public_exponent, key_size)]

    patcher = pytest.MonkeyPatch()
    patcher.setattr(utils.rsa, "generate_private_key", cached)
    yield
    patcher.undo()


@pytest.fixture
def aws(env: dict[str, str], no_network: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from moto import mock_aws

    from local.aws import create_kms_keys, create_secrets, create_tables

    with mock_aws():
        _forget_caches()
        create_tables(ROOT / "template.yaml")
        create_secrets()
        keys = create_kms_keys(ROOT / "template.yaml")
        monkeypatch.setenv("ACTIVATION_KEY_SEALING_KEY_ID", keys["ActivationKeySealingKey"])
        monkeypatch.setenv("LICENSE_SIGNING_KEY_IDS", keys["LicenseSigningKey"])
        _forget_caches()
        yield
        _forget_caches()


def _forget_caches() -> None:
    """Everything the portal caches per container (clients, settings, secrets, opened keys)."""
    from portal import dependencies

    dependencies.reset()


@pytest.fixture
def store(aws: None) -> Any:
    from portal import dependencies

    return dependencies.store()


@pytest.fixture
def settings(aws: None) -> Any:
    from portal import dependencies

    return dependencies.settings()


@pytest.fixture
def seeded(store: Any, settings: Any) -> Any:
    from local import demo_data

    demo_data.seed(store, settings)
    return demo_data


@pytest.fixture
def make_customer(store: Any, settings: Any) -> factories.CustomerFactory:
    """`make_customer(email=..., licenses=[...], supports=[...], orders=[...])` -> MadeCustomer."""
    return factories.factory(store, settings)


@pytest.fixture
def remote_work(make_customer: factories.CustomerFactory, clock: Any) -> factories.MadeCustomer:
    """A customer with a 5-workstation Remote Work license and its support for a year from now
    (2026-11-27 -> 2027-11-27), bought in USD: the upgradable license of the upgrade tests."""
    return make_customer(licenses=[REMOTE_WORK], supports=[RW_SUPPORT], currency="USD")


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The FixedClock every handler reads (tests.support.fix_clock), at FIXED_NOW."""
    return fix_clock(monkeypatch)


@pytest.fixture
def atomic_writes(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """DynamoDB applies each conditional write atomically; moto in-process, called from many
    threads, can interleave a condition's check with another thread's write, and even a read
    mutates its tables (a lookup of a missing partition adds an empty one to a defaultdict, which
    breaks a concurrent transaction's deepcopy of the table). One lock around moto's reads and
    writes gives back DynamoDB's guarantee, so that race tests (test_activation.py,
    test_upgrade_fulfilment.py) test the portal's conditions, not moto's thread safety."""
    import threading

    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.RLock()
    for name in (
        "put_item",
        "update_item",
        "delete_item",
        "transact_write_items",
        "get_item",
        "query",
        "scan",
    ):
        real = getattr(DynamoDBBackend, name)

        def atomic(*args: Any, _real: Any = real, **kwargs: Any) -> Any:
            with lock:
                return _real(*args, **kwargs)

        monkeypatch.setattr(DynamoDBBackend, name, atomic)
    # and the whole of each request: moto's UpdateItem deep-copies the item it read outside the
    # backend's methods, which a write from another thread can change under it
    from moto.dynamodb.responses import DynamoHandler

    real_call = DynamoHandler.call_action

    def atomic_call(self: Any) -> Any:
        with lock:
            return real_call(self)

    monkeypatch.setattr(DynamoHandler, "call_action", atomic_call)


@pytest.fixture
def moto_at_table_scale(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two things moto does on every request that cost time in proportion to the whole table
    (DynamoDB does neither), for tests whose table holds tens of thousands of items; what is
    answered and what is stored stay the same:
    - every Query first sorts the whole table (its results are sorted again after filtering):
      here it lists the items unsorted (a Scan still in the table's order, which its pages need);
    - every part of a transaction backs the whole table up with a deepcopy, for a rollback:
      here, as on the local stack (local.moto_tuning), only the items its parts name, and a
      cancelled one puts exactly those back - the rollback is as exact as moto's own;
    - every condition is parsed again for every write (twice for a transaction's parts): here
      once per text, names and values;
    - every answer with items is serialized by walking the service model per attribute value:
      here it is the JSON moto's own serializer makes (compared now and then);
    - every write adds a record to the table's stream, which nothing reads in-process (the
      mailer's feed on the local stack; unit tests hand the mailer its events): here none."""
    import types

    from moto.dynamodb import models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    from local import moto_tuning

    sorted_items = Table.all_items
    real_scan = Table.scan

    def all_items(self: Table) -> list[Any]:
        return [item for partition in self.items.values() for item in partition.values()]

    def scan(self: Table, *args: Any, **kwargs: Any) -> Any:
        """A Scan's pages need the table's order (a page starts after the key it names)."""
        self.all_items = types.MethodType(sorted_items, self)  # type: ignore[method-assign]
        try:
            return real_scan(self, *args, **kwargs)
        finally:
            del self.all_items

    from moto.dynamodb.responses import DynamoResult

    real_result = DynamoResult.execute_result
    answered = {"count": 0}

    def execute_result(self: Any, context: Any) -> Any:
        try:
            body = json.dumps(self.result, separators=(",", ":"))
        except TypeError:  # a table's description (times): moto's own way
            return real_result(self, context)
        answered["count"] += 1
        if answered["count"] % 200 == 1 and len(body) < 20_000:  # now and then, small ones:
            # the same as moto's own serializer (which is slow in proportion to the values)
            status, headers, real = real_result(self, context)
            assert json.loads(real) == json.loads(body), "moto serializes this differently"
            return status, headers, body
        return 200, {"Content-Type": "application/x-amz-json-1.0"}, body

    from moto.dynamodb import comparisons, responses
    from moto.dynamodb.models import table as table_module

    parsed: dict[str, tuple[Any, Any]] = {}

    class Parsed:
        """A condition parsed once per text, names and values (the tree holds no state: each
        evaluation reads only the item it is given)."""

        def __init__(self, expression: Any, names: Any, values: Any) -> None:
            key = json.dumps([expression, names, values], sort_keys=True)
            if key not in parsed:
                parser = comparisons.create_condition_expression_parser(expression, names, values)
                parsed[key] = (parser.parse(), parser.expr_attr_names_found)
            self.tree, self.expr_attr_names_found = parsed[key]

        def parse(self) -> Any:
            return self.tree

    def get_filter_expression(expression: Any, names: Any, values: Any) -> Any:
        return Parsed(expression, names, values).tree

    for module in (models, table_module, responses):
        if hasattr(module, "get_filter_expression"):
            monkeypatch.setattr(module, "get_filter_expression", get_filter_expression)
        if hasattr(module, "create_condition_expression_parser"):
            monkeypatch.setattr(module, "create_condition_expression_parser", Parsed)
    real_update_parser = responses.UpdateExpressionParser

    class UpdateChecked:
        """The update expressions the request checks (read only) parsed once per text."""

        made: dict[str, Any] = {}

        @classmethod
        def make(cls, expression: str) -> Any:
            if expression not in cls.made:
                cls.made[expression] = real_update_parser.make(expression)
            return cls.made[expression]

    monkeypatch.setattr(responses, "UpdateExpressionParser", UpdateChecked)
    monkeypatch.setattr(table_module.StreamShard, "add", lambda self, old, new: None)
    monkeypatch.setattr(Table, "all_items", all_items)
    monkeypatch.setattr(Table, "scan", scan)
    # the transactions' item-by-item backup: the local stack's (local.moto_tuning), one mechanism
    monkeypatch.setattr(models, "copy", moto_tuning.TablesNotCopied())
    real = DynamoDBBackend.transact_write_items
    if not getattr(real, "tuned", False):
        tuned = moto_tuning.transact_write_items_tuned(real)
        monkeypatch.setattr(DynamoDBBackend, "transact_write_items", tuned)
    monkeypatch.setattr(DynamoResult, "execute_result", execute_result)


@pytest.fixture
def calls(store: Any) -> Iterator[CallLog]:
    with recording(store.client) as log:
        yield log


@pytest.fixture
def ses(aws: None, settings: Any) -> Any:
    """moto's SES with the sender verified (moto refuses mail from anyone else)."""
    import boto3

    client = boto3.client("sesv2")
    client.create_email_identity(EmailIdentity=settings.mail_from)
    return client


@pytest.fixture
def admin_target(aws: None, settings: Any) -> Any:
    """portal-admin's Target over in-process moto (`admin.cli.main(argv, target=admin_target)`)."""
    import boto3

    from admin.target import Target

    return Target(stage="local", actor="test:operator", environment={}, session=boto3.Session())
