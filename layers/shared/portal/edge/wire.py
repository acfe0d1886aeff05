"""The JSON encoding of the contract: dataclasses to camelCase objects, dates as YYYY-MM-DD,
timestamps as ISO 8601 UTC with Z, Decimal as a decimal string. Small and fast on purpose: the
response of every read handler goes through here (a 20-item page of licenses is ~320 values), so
a plain value (str, int, float, bool, None: most of them) is passed through by its exact type
before anything else is asked of it, and what a dataclass's fields are called on the wire is
worked out once per class."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from portal.clock import utc_text

# Exact types only: a subclass (an enum of str, say) takes the general path, as it always did.
_PLAIN = frozenset({str, int, float, bool, type(None)})


def _decimal_text(value: Decimal) -> str:
    return format(value, "f")


# The other exact types the contract holds (none of them a dataclass or a sequence).
_EXACT: dict[type, Callable[[Any], str]] = {
    date: date.isoformat,
    datetime: utc_text,
    Decimal: _decimal_text,
}


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


@cache
def _names(cls: type) -> tuple[tuple[str, str], ...]:
    return tuple((f.name, camel(f.name)) for f in dataclasses.fields(cls))


@cache
def _fields_of(kind: type) -> tuple[tuple[str, str], ...] | None:
    """(attribute, wire name) of each field when instances of `kind` are dataclasses, else None
    (a dataclass itself, the class, is not one of its instances: type(cls) is not a dataclass)."""
    return _names(kind) if dataclasses.is_dataclass(kind) else None


def to_wire(value: Any) -> Any:
    kind: type = type(value)
    if kind in _PLAIN:
        return value
    exact = _EXACT.get(kind)
    if exact is not None:
        return exact(value)
    fields = _fields_of(kind)
    if fields is not None:
        return {
            wire: item if type(item := getattr(value, name)) in _PLAIN else to_wire(item)
            for name, wire in fields
        }
    if isinstance(value, list | tuple):
        return [item if type(item) in _PLAIN else to_wire(item) for item in value]
    if isinstance(value, datetime):
        return utc_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return _decimal_text(value)
    return value


def dumps(value: Any) -> str:
    return json.dumps(to_wire(value), separators=(",", ":"), ensure_ascii=False)
