"""Which KMS keys sign and verify license files: the first signs, every one is published.

The list lives in the SSM parameter SIGNING_KEYS_PARAMETER_NAME (`/customer-portal/<stage>/
signing-keys`, String, `{"keys": ["<kms key id>", ...]}`), which `portal-admin rotate
signing-key` writes, so a key rotates without a deploy. A function reads it the first time it
signs or publishes and keeps it CACHE_SECONDS (like secrets), so a change reaches every container
within five minutes; nothing is read at import or by a request that neither signs nor publishes.
While the parameter does not exist (a fresh deploy) the environment's LICENSE_SIGNING_KEY_IDS is
the list. A parameter that cannot be read, or holds no valid list, fails closed: nothing is
signed with a key that may have been retired."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from typing import Any

from portal.aws import clients
from portal.config import Settings

CACHE_SECONDS = 300.0
MAX_KEYS = 10
NOT_FOUND = "ParameterNotFound"
_KEY_ID = re.compile(r"^[A-Za-z0-9:/_\-]{1,2048}$")
# parameter name -> (when read, the keys, or None: no such parameter, the environment's list)
_cache: dict[str, tuple[float, tuple[str, ...] | None]] = {}


class SigningKeysUnavailable(RuntimeError):
    """The list cannot be read or is not a valid list: sign nothing (fail closed)."""


def _now() -> float:
    return time.monotonic()


def key_ids(settings: Settings) -> list[str]:
    """The signing keys, first the one that signs (the parameter's, else the environment's)."""
    name = settings.signing_keys_parameter_name
    keys: tuple[str, ...] | None = None
    if name:
        now = _now()
        hit = _cache.get(name)
        if hit is not None and now - hit[0] < CACHE_SECONDS:
            keys = hit[1]
        else:
            keys = _read(name)
            _cache[name] = (now, keys)
    listed = list(keys) if keys is not None else settings.signing_key_ids
    if not listed:
        raise SigningKeysUnavailable("no license-signing key is configured")
    return listed


def _read(name: str) -> tuple[str, ...] | None:
    try:
        answer = clients.ssm().get_parameter(Name=name)
    except Exception as exc:
        if _error_code(exc) == NOT_FOUND:
            return None
        raise SigningKeysUnavailable(f"cannot read {name}") from exc
    try:
        return tuple(parse(str(answer["Parameter"]["Value"])))
    except (KeyError, TypeError, ValueError) as exc:
        raise SigningKeysUnavailable(f"{name} holds no valid list of keys") from exc


def _error_code(exc: Exception) -> str:
    response: Any = getattr(exc, "response", None) or {}  # botocore's ClientError
    return str(response.get("Error", {}).get("Code", ""))


def parse(value: str) -> list[str]:
    """The keys of a parameter value; ValueError unless it is {"keys": [1-10 distinct ids]}."""
    document = json.loads(value)
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, list) or not 1 <= len(keys) <= MAX_KEYS:
        raise ValueError(f'not {{"keys": [1 to {MAX_KEYS} key ids]}}')
    if not all(isinstance(key, str) and _KEY_ID.fullmatch(key) for key in keys):
        raise ValueError("a key id is not a KMS key id or ARN")
    if len(set(keys)) != len(keys):
        raise ValueError("a key is listed twice")
    return list(keys)


def document(keys: Sequence[str]) -> str:
    """The parameter value listing `keys` (checked as `parse` reads it)."""
    value = json.dumps({"keys": list(keys)}, separators=(",", ":"))
    parse(value)
    return value


def forget() -> None:
    _cache.clear()
