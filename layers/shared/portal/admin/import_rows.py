"""The import file (docs/import-format.md): CSV read with the csv module, one pydantic model per
row. The file is another system speaking, so every value is checked here before the import plans
anything: its size and row count first, then its header (every column known, each once, the
required ones present), then each row on its own (`validate_row`). What spans rows (an order's
rows agreeing, serial numbers, what the table holds) is `portal.admin.imports`'s.

Accepted: UTF-8 with or without a byte-order mark, CRLF or LF line ends, quoted fields (commas,
quotes and line breaks inside), a comma, semicolon or tab as the delimiter (the one that reads the
header), header names in any case and order, blank lines (skipped). A row's line is the line its
record starts on (the header is line 1), as an editor shows it."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from portal.currencies import minor_units
from portal.orders.catalog import Catalog, Grant
from portal.types import SUPPORTED_LANGUAGES, email, order_reference

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000
MAX_FIELD = 200  # characters in any one field (names, cities, product texts)

# Documented order (docs/import-format.md); the file may order them as it likes.
COLUMNS = (
    "email",
    "first_name",
    "last_name",
    "company",
    "language",
    "country",
    "city",
    "order_number",
    "order_date",
    "currency",
    "kind",
    "sku",
    "serial_number",
    "support_until",
    "subtotal",
    "product",
)
REQUIRED = frozenset(
    {
        "email",
        "order_number",
        "order_date",
        "currency",
        "kind",
        "sku",
        "serial_number",
        "subtotal",
    }
)
# What every row of one order must give alike (the buyer and the order's header).
ORDER_COLUMNS = (
    "email",
    "first_name",
    "last_name",
    "company",
    "language",
    "country",
    "city",
    "order_date",
    "currency",
)
DELIMITERS = (",", ";", "\t")

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_AMOUNT = re.compile(r"^\d{1,9}(\.\d{1,4})?$")
SERIAL_SHAPE = re.compile(r"^[A-Z0-9][A-Z0-9\-]{0,31}$")


class FileRefused(ValueError):
    """The file as a whole cannot be imported (too large, not UTF-8, not CSV, a bad header):
    nothing of it is."""


@dataclass(frozen=True, slots=True)
class RawRow:
    line: int  # where the record starts (the header is line 1)
    values: dict[str, str]  # column -> text as the file has it
    problem: str | None = None  # a row that cannot be a record (a wrong number of fields)


def read_rows(data: bytes) -> list[RawRow]:
    """The records of a CSV file (its header checked), or FileRefused."""
    if len(data) > MAX_FILE_BYTES:
        raise FileRefused(
            f"the file has {len(data):,} bytes, more than {MAX_FILE_BYTES:,}: split it"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise FileRefused(f"line {line}: not UTF-8 text (save the file as UTF-8)") from None
    if not text.strip():
        raise FileRefused("the file is empty")
    header_text = text.split("\n", 1)[0]
    delimiter = max(
        DELIMITERS, key=lambda d: len(_known(next(csv.reader([header_text], delimiter=d))))
    )
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = [name.strip().lower() for name in next(reader)]
        _check_header(header)
        rows: list[RawRow] = []
        start = reader.line_num + 1
        for fields in reader:
            line, start = start, reader.line_num + 1
            if not any(field.strip() for field in fields):
                continue  # a blank line
            if len(rows) >= MAX_ROWS:
                raise FileRefused(f"the file has more than {MAX_ROWS:,} rows: split it")
            if len(fields) != len(header):
                values = dict(zip(header, fields, strict=False))
                problem = f"has {len(fields)} fields, the header {len(header)}"
                rows.append(RawRow(line, values, problem))
                continue
            rows.append(RawRow(line, dict(zip(header, fields, strict=True))))
    except csv.Error as exc:
        raise FileRefused(f"line {reader.line_num}: not CSV ({exc})") from None
    if not rows:
        raise FileRefused("the file has a header and no rows")
    return rows


def _known(names: list[str]) -> set[str]:
    return {name.strip().lower() for name in names} & set(COLUMNS)


def _check_header(header: list[str]) -> None:
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        raise FileRefused(
            f"line 1: unknown column(s) {', '.join(map(shown, unknown))} "
            f"(the columns are {', '.join(COLUMNS)})"
        )
    twice = sorted({name for name in header if header.count(name) > 1})
    if twice:
        raise FileRefused(f"line 1: column(s) given twice: {', '.join(twice)}")
    missing = [name for name in COLUMNS if name in REQUIRED and name not in header]
    if missing:
        raise FileRefused(f"line 1: required column(s) missing: {', '.join(missing)}")


def shown(value: object, limit: int = 40) -> str:
    """A value of the file as a message quotes it: escaped (no control character reaches the
    terminal or the report) and cut to `limit` characters."""
    text = str(value)
    cut = text[:limit] + ("…" if len(text) > limit else "")
    return repr(cut)


# ---------------------------------------------------------------- one row
def _blank_is_none(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _printable(value: str | None) -> str | None:
    """Text a person reads (names, a city, a product): no control, format (bidirectional,
    invisible) or unassigned character, at most MAX_FIELD characters."""
    if value is None:
        return None
    if len(value) > MAX_FIELD:
        raise ValueError(f"longer than {MAX_FIELD} characters")
    if any(unicodedata.category(char).startswith("C") for char in value):
        raise ValueError("has a control or invisible character")
    return value


OptionalText = Annotated[str | None, BeforeValidator(_blank_is_none)]


class ImportRow(BaseModel):
    """One license or support granted, on one order line. Validate with
    `ImportRow.model_validate(values, context={"catalog": catalog})` (`validate_row`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    email: str
    first_name: OptionalText = None
    last_name: OptionalText = None
    company: OptionalText = None
    language: OptionalText = None
    country: OptionalText = None
    city: OptionalText = None
    order_number: str
    order_date: date
    currency: str
    kind: Literal["license", "support"]
    sku: str
    serial_number: str
    support_until: date | None = None
    subtotal: Decimal
    product: OptionalText = None

    @field_validator("email", mode="before")
    @classmethod
    def _email(cls, value: Any) -> str:
        return email(value)  # normalised as sign-in normalises it

    @field_validator("first_name", "last_name", "company", "city", "product")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        return _printable(value)

    @field_validator("language")
    @classmethod
    def _language(cls, value: str | None) -> str:
        if value is None:
            return "en"
        primary = value.lower().replace("_", "-").split("-")[0]
        if primary not in SUPPORTED_LANGUAGES:
            raise ValueError(f"{shown(value)} is not one of {', '.join(SUPPORTED_LANGUAGES)}")
        return primary

    @field_validator("country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Za-z]{2}", value):
            raise ValueError(f"{shown(value)} is not a two-letter country code (ISO 3166)")
        return value.upper() if value else None

    @field_validator("order_number", mode="before")
    @classmethod
    def _order_number(cls, value: Any) -> str:
        return order_reference(value)  # spaces removed, upper case: as sign-in compares it

    @field_validator("order_date", "support_until", mode="before")
    @classmethod
    def _date(cls, value: Any, info: ValidationInfo) -> date | None:
        value = _blank_is_none(value)
        if value is None:
            if info.field_name == "order_date":
                raise ValueError("missing")
            return None
        if not isinstance(value, str) or not _DATE.fullmatch(value):
            raise ValueError(f"{shown(value)} is not a date YYYY-MM-DD")
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{shown(value)} is not a date YYYY-MM-DD") from None

    @field_validator("currency", mode="before")
    @classmethod
    def _currency(cls, value: Any) -> str:
        text = str(value).strip()
        if not re.fullmatch(r"[A-Za-z]{3}", text):
            raise ValueError(f"{shown(text)} is not a currency code (ISO 4217, e.g. EUR)")
        return text.upper()

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, value: Any) -> str:
        text = str(value).strip().lower()
        if text not in ("license", "support"):
            raise ValueError(f"{shown(value)} is neither license nor support")
        return text

    @field_validator("sku", mode="before")
    @classmethod
    def _sku(cls, value: Any) -> str:
        text = str(value).strip()
        if not text or len(text) > 64:
            raise ValueError("a catalog SKU is needed")
        return text

    @field_validator("serial_number", mode="before")
    @classmethod
    def _serial(cls, value: Any) -> str:
        text = str(value).strip().upper()
        if not SERIAL_SHAPE.fullmatch(text):
            raise ValueError(
                f"{shown(value)} is not a serial number (letters, digits and dashes, at most 32)"
            )
        return text

    @field_validator("subtotal", mode="before")
    @classmethod
    def _subtotal(cls, value: Any) -> Decimal:
        text = str(value).strip()
        if not _AMOUNT.fullmatch(text):
            raise ValueError(f"{shown(text)} is not an amount like 260.81 (a point, no sign)")
        return Decimal(text)

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> ImportRow:
        digits = self.subtotal.as_tuple().exponent
        if isinstance(digits, int) and -digits > minor_units(self.currency):
            raise ValueError(f"subtotal {self.subtotal} has more decimals than {self.currency} has")
        catalog = (info.context or {}).get("catalog")
        if isinstance(catalog, Catalog):
            grant = catalog.grant_for(self.sku, None)
            if grant is None:
                raise ValueError(f"sku {shown(self.sku)} is not in the catalog")
            if grant.kind != self.kind:
                raise ValueError(f"sku {self.sku} is a {grant.kind}, the row says {self.kind}")
        if self.kind == "support":
            if self.support_until is None:
                raise ValueError("a support needs support_until (the day it ends)")
            if self.support_until <= self.order_date:
                raise ValueError("support_until is not after order_date")
        elif self.support_until is not None:
            raise ValueError("a license has no support_until (give its support as its own row)")
        return self

    def grant(self, catalog: Catalog) -> Grant:
        """What the row's SKU grants (validated against the same catalog)."""
        found = catalog.grant_for(self.sku, None)
        assert found is not None, "validated against another catalog"
        return found


def validate_row(raw: RawRow, catalog: Catalog) -> ImportRow | str:
    """The row as a model, or why it is refused: every problem of it, column by column."""
    if raw.problem:
        return raw.problem
    try:
        return ImportRow.model_validate(raw.values, context={"catalog": catalog})
    except ValidationError as exc:
        return "; ".join(_problem(error) for error in exc.errors())


def _problem(error: Any) -> str:
    message = str(error["msg"]).removeprefix("Value error, ")
    where = ".".join(str(part) for part in error["loc"])
    if error["type"] == "missing":
        return f"{where}: missing"
    if error["type"] == "literal_error":
        message = "is neither license nor support"
    return f"{where}: {message}" if where else message
