"""Opaque, authenticated cursors and the query string of every list.

A cursor names where the next page starts (the last item's public ids: a license id, an order's
time and reference, a history sequence number), sealed so nobody can read or change it:

    version (1 byte) | nonce (12 random bytes) | position encrypted | tag (16 bytes)

The position (JSON) is XORed with a keystream of HMAC-SHA256(encryption key, nonce | counter), and
the tag is HMAC-SHA256(authentication key, scope | everything before it), the scope being the
list and the customer it was made for (and the license, for a history). Both keys are derived
from one Secrets Manager secret (`<prefix>cursor-key`, rotatable: {"current", "previous"} while a
rotation runs; per-container cache, portal.aws.secrets), read only when a cursor is opened or
made. So another customer's cursor, another list's, a changed or truncated one, or one sealed with
an unknown key is an InvalidCursor (400), never a 500, and none shows an order number.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from portal import base64url
from portal.errors import InvalidCursor
from portal.fields import Field, declare, read

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_CURSOR_LENGTH = 512
CURSOR_SECRET = "cursor-key"  # noqa: S105 - a secret's name
_VERSION = b"\x01"
_NONCE = 12
_TAG = 16
_CURSOR_SHAPE = re.compile(r"^[A-Za-z0-9_\-]{1,512}$")
_DIGITS = re.compile(r"^[0-9]{1,3}$")


@dataclass(frozen=True, slots=True)
class PageQuery:
    """`?limit=1..100&cursor=...`: each parameter and its limits declared once, for the parser
    and for docs/openapi.json (portal.fields)."""

    limit: int = declare(
        Field("limit", int, required=False, default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    )
    cursor: str | None = declare(
        Field("cursor", required=False, min_length=1, max_length=MAX_CURSOR_LENGTH)
    )

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> PageQuery:
        return read(cls, params)


@dataclass(frozen=True, slots=True)
class Cursors:
    """Seals and opens cursors with the keys `keys()` answers (current first), asked for only
    when a cursor is made or opened."""

    keys: Callable[[], Sequence[str]]

    def seal(self, scope: Sequence[str], position: dict[str, str]) -> str:
        """The cursor of `position`, for this scope only (e.g. ("licenses", customer id))."""
        current = next((key for key in self.keys() if key), None)
        if current is None:
            raise RuntimeError("no cursor key")
        encryption, authentication = _derived(current)
        plain = json.dumps(position, separators=(",", ":"), sort_keys=True).encode()
        nonce = secrets.token_bytes(_NONCE)
        body = _VERSION + nonce + _xor(plain, _keystream(encryption, nonce, len(plain)))
        return base64url.encode(body + _tag(authentication, scope, body))

    def open(
        self, scope: Sequence[str], cursor: str, fields: dict[str, re.Pattern[str]]
    ) -> dict[str, str]:
        """The position a cursor of this scope holds, every field checked against its pattern
        (exactly these fields); InvalidCursor for anything else."""
        if not _CURSOR_SHAPE.fullmatch(cursor):
            raise InvalidCursor()
        try:
            raw = base64url.decode(cursor)
        except ValueError:
            raise InvalidCursor() from None
        if len(raw) <= 1 + _NONCE + _TAG or raw[:1] != _VERSION:
            raise InvalidCursor()
        body, presented = raw[:-_TAG], raw[-_TAG:]
        opened = None
        for key in self.keys():
            if not key:
                continue
            encryption, authentication = _derived(key)
            if hmac.compare_digest(_tag(authentication, scope, body), presented):
                nonce, sealed = body[1 : 1 + _NONCE], body[1 + _NONCE :]
                opened = _xor(sealed, _keystream(encryption, nonce, len(sealed)))
                break
        if opened is None:
            raise InvalidCursor()
        return _position(opened, fields)


def _position(plain: bytes, fields: dict[str, re.Pattern[str]]) -> dict[str, str]:
    try:
        value: Any = json.loads(plain)
    except ValueError:  # not UTF-8 (UnicodeDecodeError) or not JSON
        raise InvalidCursor() from None
    if not isinstance(value, dict) or set(value) != set(fields):
        raise InvalidCursor()
    for name, pattern in fields.items():
        item = value[name]
        if not isinstance(item, str) or not pattern.fullmatch(item):
            raise InvalidCursor()
    return value


@lru_cache(maxsize=4)
def _derived(secret: str) -> tuple[bytes, bytes]:
    """(encryption key, authentication key) of a secret: two HMACs, once per container."""
    root = secret.encode("utf-8")
    return (
        hmac.new(root, b"cursor encryption", hashlib.sha256).digest(),
        hmac.new(root, b"cursor authentication", hashlib.sha256).digest(),
    )


def _keystream(key: bytes, nonce: bytes, length: int) -> bytes:
    blocks = -(-length // 32)
    return b"".join(
        hmac.new(key, nonce + n.to_bytes(4, "big"), hashlib.sha256).digest() for n in range(blocks)
    )[:length]


def _xor(data: bytes, stream: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(data, stream, strict=True))


def _tag(key: bytes, scope: Sequence[str], body: bytes) -> bytes:
    bound = "\n".join(scope).encode("utf-8") + b"\n"
    return hmac.new(key, bound + body, hashlib.sha256).digest()[:_TAG]
