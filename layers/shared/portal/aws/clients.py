"""boto3 clients, built once per container on first use (never at import, so tests and the local
stack can point AWS_ENDPOINT_URL at moto first), all from one session. Only the data-access
modules call these (and, for SES, portal.mail.sender).

Building a client loads its service's model; botocore's models of KMS, Secrets Manager and SSM
describe every operation of the service (SSM's ~1,350 shapes: ~47 ms of CPU for a client made to
read one parameter). The session reads those three from `models/` first: botocore's own model,
cut down to the operations the portal calls (`SUBSET_OPERATIONS`; `python -m local.aws_models`
writes them from the installed botocore, tests/unit/test_aws_models.py fails when they drift or
when the layer calls an operation they lack). Every other model is botocore's, in full. Tools and
tests that need other operations build their own clients (portal-admin has its own session).
Each client keeps its User-Agent header per feature set (portal.aws.user_agent) instead of
botocore assembling it anew for every request."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

import boto3
import botocore.session
from botocore.config import Config

from portal.aws.user_agent import memoized

MODELS = Path(__file__).with_name("models")
SUBSET_OPERATIONS = {
    "kms": ("Decrypt", "Encrypt", "GetPublicKey", "Sign"),
    "secretsmanager": ("GetSecretValue",),
    "ssm": ("GetParameter",),
}


_CONFIG = Config(
    connect_timeout=2,
    read_timeout=5,
    retries={"mode": "standard", "max_attempts": 3},
    tcp_keepalive=True,
    # The service validates every request anyway; client-side validation costs ~0.3 ms a call.
    parameter_validation=False,
)


@cache
def session() -> boto3.session.Session:
    """The session of every client: boto3's, with `models/` searched before botocore's data
    (and before AWS_DATA_PATH's, which is kept)."""
    core = botocore.session.get_session()
    given = core.get_config_variable("data_path")
    core.set_config_variable("data_path", os.pathsep.join(filter(None, [str(MODELS), given])))
    return boto3.session.Session(botocore_session=core)


def _client(service: str) -> Any:
    return memoized(session().client(service, config=_CONFIG))  # type: ignore[call-overload]


@cache
def dynamodb() -> Any:
    return _client("dynamodb")


@cache
def secretsmanager() -> Any:
    return _client("secretsmanager")


@cache
def kms() -> Any:
    return _client("kms")


@cache
def ssm() -> Any:
    return _client("ssm")


@cache
def sesv2() -> Any:
    return _client("sesv2")


def reset() -> None:
    """Forget cached clients and their session (tests that switch endpoints)."""
    dynamodb.cache_clear()
    secretsmanager.cache_clear()
    kms.cache_clear()
    ssm.cache_clear()
    sesv2.cache_clear()
    session.cache_clear()
