"""Fixtures for every test floor. Unit tests run against moto in-process with the network
blocked; the portal table is created from template.yaml by the same code the local stack uses."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support import ROOT, TEST_ENV, CallLog, recording


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


@pytest.fixture
def aws(env: dict[str, str], no_network: None) -> Iterator[None]:
    from moto import mock_aws

    from local.aws import create_secrets, create_tables
    from portal import aws_clients, dependencies, secret_store

    with mock_aws():
        aws_clients.reset()
        dependencies.reset()
        secret_store.forget()
        create_tables(ROOT / "template.yaml")
        create_secrets()
        yield
        aws_clients.reset()
        dependencies.reset()
        secret_store.forget()


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
def calls(store: Any) -> Iterator[CallLog]:
    with recording(store.client) as log:
        yield log
