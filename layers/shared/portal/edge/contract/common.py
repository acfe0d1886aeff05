"""What every answer shares: the camelCase base, the error shape, money."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, ClassVar

from portal import types
from portal.edge.wire import camel
from portal.fields import Field
from portal.models import Money

# ISO 4217 minor units of the currencies that do not have two; every other currency has 2.
_ZERO_DECIMAL = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_THREE_DECIMALS = "BHD IQD JOD KWD LYD OMR TND"
_FOUR_DECIMALS = "CLF UYW"
MINOR_UNITS: dict[str, int] = {
    code: digits
    for codes, digits in ((_ZERO_DECIMAL, 0), (_THREE_DECIMALS, 3), (_FOUR_DECIMALS, 4))
    for code in codes.split()
}
DEFAULT_MINOR_UNITS = 2


def amount_text(amount: Decimal, currency: str) -> str:
    """The amount with exactly the currency's minor units: "601.80", "1120.00", "5000" (JPY),
    "1.250" (BHD); more digits than that are rounded half-up."""
    digits = MINOR_UNITS.get(currency.upper(), DEFAULT_MINOR_UNITS)
    exact = amount.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
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
