"""Opaque cursors and the query string of every list. A cursor names the last item of a page by
its public id only: the partition comes from the session, so a cursor can never reach another
customer's records. Anything that does not decode to the expected shape is an InvalidCursor (400),
never a 500."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from portal import base64url
from portal.errors import InvalidCursor
from portal.fields import Field, declare, read

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_CURSOR_LENGTH = 512
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


def encode_cursor(position: dict[str, str]) -> str:
    raw = json.dumps(position, separators=(",", ":"), sort_keys=True).encode()
    return base64url.encode(raw)


def decode_cursor(cursor: str, fields: dict[str, re.Pattern[str]]) -> dict[str, str]:
    """Decode and check every field against its pattern; exactly these fields, nothing else."""
    if not _CURSOR_SHAPE.fullmatch(cursor):
        raise InvalidCursor()
    try:
        value: Any = json.loads(base64url.decode(cursor))
    except ValueError:  # not base64url, not UTF-8 (UnicodeDecodeError), or not JSON
        raise InvalidCursor() from None
    if not isinstance(value, dict) or set(value) != set(fields):
        raise InvalidCursor()
    for name, pattern in fields.items():
        item = value[name]
        if not isinstance(item, str) or not pattern.fullmatch(item):
            raise InvalidCursor()
    return value
