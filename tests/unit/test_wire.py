"""The contract's JSON encoding (portal.edge.wire): dataclasses become camelCase objects, lists and
tuples arrays, dates YYYY-MM-DD, timestamps ISO 8601 UTC with Z, Decimal a decimal string; every
other value is handed to json as it is (a subclass of a plain type included)."""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from portal.edge import wire


@dataclass(frozen=True)
class Coverage:
    until: date
    file_available: bool


@dataclass(frozen=True)
class Row:
    license_id: str
    users: int
    ratio: float
    edition: str | None
    price: Decimal
    bought_at: datetime
    support: Coverage | None
    tags: tuple[str, ...]


class Colour(enum.StrEnum):
    RED = "red"


class Count(int):
    pass


def row(**changes: object) -> Row:
    values: dict[str, object] = {
        "license_id": "01ARZ3NDEKTSV4RRFFQ69G0001",
        "users": 10,
        "ratio": 0.5,
        "edition": None,
        "price": Decimal("601.80"),
        "bought_at": datetime(2026, 12, 2, 9, 30, 5, tzinfo=UTC),
        "support": Coverage(date(2027, 6, 3), True),
        "tags": ("a", "b"),
    }
    return Row(**{**values, **changes})  # type: ignore[arg-type]


def test_a_dataclass_is_a_camel_case_object_all_the_way_down() -> None:
    # given a row with a nested dataclass, a tuple, a date, a timestamp and a Decimal
    # when encoded; then every field by its camelCase name, each value in its wire form
    assert wire.to_wire(row()) == {
        "licenseId": "01ARZ3NDEKTSV4RRFFQ69G0001",
        "users": 10,
        "ratio": 0.5,
        "edition": None,
        "price": "601.80",
        "boughtAt": "2026-12-02T09:30:05Z",
        "support": {"until": "2027-06-03", "fileAvailable": True},
        "tags": ["a", "b"],
    }


def test_timestamps_are_utc_and_decimals_never_exponents() -> None:
    # given a timestamp in another zone and Decimals DynamoDB may hand back in exponent form
    later = datetime(2026, 12, 2, 11, 0, tzinfo=timezone(timedelta(hours=2)))
    # when encoded; then the same instant in UTC with Z, and plain decimal digits
    assert wire.to_wire(later) == "2026-12-02T09:00:00Z"
    assert wire.to_wire(Decimal("1E+2")) == "100"
    assert wire.to_wire(Decimal("10")) == "10"
    assert wire.to_wire([Decimal("0.10"), date(2026, 1, 2)]) == ["0.10", "2026-01-02"]


def test_lists_of_dataclasses_and_plain_values_keep_their_order() -> None:
    rows = [row(users=n, support=None) for n in (3, 1, 2)]
    assert [item["users"] for item in wire.to_wire(rows)] == [3, 1, 2]
    assert wire.to_wire([1, "x", None, True, 2.5]) == [1, "x", None, True, 2.5]


@pytest.mark.parametrize(
    "value", [Colour.RED, Count(3), True, None, "text", {"kept": date(2026, 1, 2)}, Row]
)
def test_anything_else_is_handed_over_as_it_is(value: object) -> None:
    # given a value the encoding has no rule for (a str enum, an int subclass, a dict, the
    # dataclass itself rather than an instance); when encoded; then the very same object
    assert wire.to_wire(value) is value


def test_dumps_is_compact_and_keeps_non_ascii() -> None:
    # given a row whose edition is not ASCII; when dumped; then no spaces, no \\u escapes
    text = wire.dumps(row(edition="Édition", tags=()))
    assert '"edition":"Édition"' in text
    assert ", " not in text and ": " not in text
    assert json.loads(text)["support"] == {"until": "2027-06-03", "fileAvailable": True}
    # an enum of str is written as its value by json itself
    assert wire.dumps([Colour.RED]) == '["red"]'
