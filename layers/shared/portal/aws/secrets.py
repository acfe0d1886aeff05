"""Secrets Manager access with a short per-container cache (rotation is picked up within minutes).

Secret names are `<SECRETS_PREFIX><name>`; the local stack creates them in moto at start."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from portal.aws import clients as aws_clients

CACHE_SECONDS = 300.0
_cache: dict[str, tuple[float, str]] = {}
# full name -> (the value read, its accepted values): parsed once per value read, not per request
_accepted: dict[str, tuple[str, tuple[str, ...]]] = {}


class SecretMissing(RuntimeError):
    """A secret the code needs is absent: callers fail closed."""


def get_secret(full_name: str, client: Callable[[], Any] = aws_clients.secretsmanager) -> str:
    now = time.monotonic()
    hit = _cache.get(full_name)
    if hit and now - hit[0] < CACHE_SECONDS:
        return hit[1]
    try:
        answer = client().get_secret_value(SecretId=full_name)
    except Exception as exc:
        raise SecretMissing(full_name) from exc
    value = answer.get("SecretString")
    if not value:
        raise SecretMissing(full_name)
    _cache[full_name] = (now, value)
    return str(value)


def forget() -> None:
    _cache.clear()
    _accepted.clear()


def rotating_secret(full_name: str) -> list[str]:
    """The accepted values of a secret that can be rotated: it holds either the value itself or
    {"current": "...", "previous": "..."} while a rotation is under way (current first). Parsed
    once per value read (the front door and the cursors ask on every request)."""
    raw = get_secret(full_name)
    known = _accepted.get(full_name)
    if known is None or known[0] != raw:
        known = (raw, tuple(_accepted_values(raw)))
        _accepted[full_name] = known
    return list(known[1])


def _accepted_values(raw: str) -> list[str]:
    try:
        parsed = json.loads(raw)
    except ValueError:
        return [raw]
    if isinstance(parsed, dict):
        return [str(v) for k in ("current", "previous") if (v := parsed.get(k))]
    return [raw]
