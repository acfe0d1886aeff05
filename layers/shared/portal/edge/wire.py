"""The JSON encoding of the contract: dataclasses to camelCase objects, dates as YYYY-MM-DD,
timestamps as ISO 8601 UTC with Z, Decimal as a decimal string. Small and fast on purpose: the
response of every read handler goes through here."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from portal.clock import utc_text


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


@cache
def _names(cls: type) -> tuple[tuple[str, str], ...]:
    return tuple((f.name, camel(f.name)) for f in dataclasses.fields(cls))


def to_wire(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {wire: to_wire(getattr(value, name)) for name, wire in _names(type(value))}
    if isinstance(value, list | tuple):
        return [to_wire(item) for item in value]
    if isinstance(value, datetime):
        return utc_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def dumps(value: Any) -> str:
    return json.dumps(to_wire(value), separators=(",", ":"), ensure_ascii=False)
