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

The helpers (sign_in, deliver, the demo constants...) are in tests/support.py."""

from __future__ import annotations

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
