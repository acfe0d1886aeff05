"""boto3 clients, built once per container on first use (never at import, so tests and the local
stack can point AWS_ENDPOINT_URL at moto first). Only the data-access modules call these (and,
for SES, portal.mail.sender). Each keeps its User-Agent header per feature set
(portal.aws.user_agent) instead of botocore assembling it anew for every request."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

from portal.aws.user_agent import memoized

_CONFIG = Config(
    connect_timeout=2,
    read_timeout=5,
    retries={"mode": "standard", "max_attempts": 3},
    tcp_keepalive=True,
    # The service validates every request anyway; client-side validation costs ~0.3 ms a call.
    parameter_validation=False,
)


@cache
def dynamodb() -> Any:
    return memoized(boto3.client("dynamodb", config=_CONFIG))


@cache
def secretsmanager() -> Any:
    return memoized(boto3.client("secretsmanager", config=_CONFIG))


@cache
def kms() -> Any:
    return memoized(boto3.client("kms", config=_CONFIG))


@cache
def ssm() -> Any:
    return memoized(boto3.client("ssm", config=_CONFIG))


@cache
def sesv2() -> Any:
    return memoized(boto3.client("sesv2", config=_CONFIG))


def reset() -> None:
    """Forget cached clients (tests that switch endpoints)."""
    dynamodb.cache_clear()
    secretsmanager.cache_clear()
    kms.cache_clear()
    ssm.cache_clear()
    sesv2.cache_clear()
