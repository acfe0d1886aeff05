"""What every answer shares: the camelCase base, the error shape, money."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

from portal import types
from portal.currencies import round_minor
from portal.edge.wire import camel
from portal.fields import Field
from portal.models import Money


def amount_text(amount: Decimal, currency: str) -> str:
    """The amount with exactly the currency's minor units: "601.80", "1120.00", "5000" (JPY),
    "1.250" (BHD); more digits than that are rounded half-up."""
    exact = round_minor(amount, currency)
    return format(exact.copy_abs() if exact.is_zero() else exact, "f")


def order_reference_field(name: str) -> Field:
    """An order reference as customers type it: spaces dropped, upper-cased, then checked."""
    return Field(
        name,
        min_length=1,
        max_length=types.ORDER_REFERENCE_MAX,
        pattern=types.ORDER_REFERENCE_SHAPE,
        normalize=types.normalize_order_reference,
    )


class Wire:
    """camelCase names for the OpenAPI document (pydantic's config for stdlib dataclasses)."""

    __pydantic_config__: ClassVar[dict[str, Any]] = {"alias_generator": camel}


@dataclass(frozen=True)
class ErrorDetail(Wire):
    code: str
    message: str


@dataclass(frozen=True)
class RehostErrorDetail(ErrorDetail):
    """409 rehost_limit_reached: the date the next release becomes possible."""

    available_on: date | None = None


@dataclass(frozen=True)
class RehostErrorBody(Wire):
    error: RehostErrorDetail


@dataclass(frozen=True)
class ErrorBody(Wire):
    error: ErrorDetail


@dataclass(frozen=True)
class MoneyOut(Wire):
    amount: str  # a decimal string with the currency's minor units, e.g. "704.11"
    currency: str

    @classmethod
    def of(cls, money: Money) -> MoneyOut:
        return cls(amount_text(money.amount, money.currency), money.currency)
