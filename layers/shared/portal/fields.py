"""Input fields declared once: a field's wire name, type, limits and normalisation live in one
`Field`, which both reads the value (here) and describes it in docs/openapi.json
(local/openapi.py), so validation and documentation cannot drift.

A request shape is a dataclass whose attributes are `declare(Field(...))`; `read(shape, data)`
builds it from a JSON object or a query string, accepting exactly the declared names. A path
parameter is a bare `Field`, read with `Field.read`. Plain code, no validation library: the
browser-facing handlers stay light at cold start.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from portal.errors import BadRequest, PortalError

T = TypeVar("T")
_SPEC = "portal.field"
_DIGITS = re.compile(r"^[0-9]{1,18}$")


@dataclass(frozen=True, slots=True)
class Field:
    """One input value and its limits. Strings are normalised first (`normalize`), then their
    length and `pattern` are checked; integers (given as JSON numbers or as decimal digits in a
    query string) are checked against `ge`/`le`; booleans are JSON `true`/`false` only. A value
    that fails answers `invalid` (400 "Invalid value for '<name>'." by default; `NotFound` for
    ids, which answer like a missing record)."""

    name: str  # as the client sends it: JSON member, query or path parameter
    kind: type = str  # str | int | bool
    required: bool = True
    default: Any = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: re.Pattern[str] | None = None
    ge: int | None = None
    le: int | None = None
    normalize: Callable[[str], str] | None = None
    invalid: type[PortalError] = BadRequest
    description: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in (str, int, bool):
            raise TypeError(f"{self.name}: only str, int and bool fields are supported")

    def rejection(self) -> PortalError:
        if self.invalid is BadRequest:
            return BadRequest(f"Invalid value for '{self.name}'.")
        return self.invalid()

    def read(self, raw: object) -> Any:
        """The checked value of `raw` (None when absent), else raise this field's rejection."""
        if raw is None:
            if self.required:
                raise self.rejection()
            return self.default
        if self.kind is bool:  # no truthy strings or numbers: exactly a JSON boolean
            if not isinstance(raw, bool):
                raise self.rejection()
            return raw
        value = self._text(raw) if self.kind is str else self._integer(raw)
        if value is None:
            raise self.rejection()
        return value

    def _text(self, raw: object) -> str | None:
        if not isinstance(raw, str):
            return None
        value = self.normalize(raw) if self.normalize else raw
        if self.min_length is not None and len(value) < self.min_length:
            return None
        if self.max_length is not None and len(value) > self.max_length:
            return None
        if self.pattern is not None and not self.pattern.fullmatch(value):
            return None
        return value

    def _integer(self, raw: object) -> int | None:
        if isinstance(raw, str):  # a query string: decimal digits only (no sign, no spaces)
            if not _DIGITS.fullmatch(raw):
                return None
            value = int(raw)
        elif isinstance(raw, int) and not isinstance(raw, bool):
            value = raw
        elif isinstance(raw, float) and raw.is_integer():  # JSON has one number type: 2.0 is 2
            value = int(raw)
        else:
            return None
        if self.ge is not None and value < self.ge:
            return None
        if self.le is not None and value > self.le:
            return None
        return value


def declare(spec: Field) -> Any:
    """A dataclass attribute read from (and documented by) `spec`."""
    metadata = {_SPEC: spec}
    if spec.required:
        return dataclasses.field(metadata=metadata)
    return dataclasses.field(default=spec.default, metadata=metadata)


_DECLARED: dict[type, tuple[tuple[str, Field], ...]] = {}


def declared(shape: type) -> tuple[tuple[str, Field], ...]:
    """(attribute, field) of every declared attribute of the dataclass `shape`, in order."""
    if shape in _DECLARED:
        return _DECLARED[shape]
    found = tuple(
        (item.name, item.metadata[_SPEC])
        for item in dataclasses.fields(shape)
        if _SPEC in item.metadata
    )
    if len(found) != len(dataclasses.fields(shape)):
        raise TypeError(f"{shape.__name__}: every attribute must be declare(Field(...))")
    _DECLARED[shape] = found
    return found


def read(shape: type[T], data: object) -> T:
    """`shape` from a JSON object or a query string: exactly its declared names, each checked."""
    if not isinstance(data, Mapping):
        raise BadRequest("The request is malformed.")
    specs = declared(shape)
    unknown = set(data) - {spec.name for _, spec in specs}
    if unknown:
        raise BadRequest(f"Invalid value for '{sorted(map(str, unknown))[0]}'.")
    for _, spec in specs:
        if spec.name in data and data[spec.name] is None and spec.default is not None:
            # an explicit null where absence means a value (documented as not nullable:
            # local/openapi.py): refused like any other wrong value
            raise spec.rejection()
    return shape(**{attribute: spec.read(data.get(spec.name)) for attribute, spec in specs})
