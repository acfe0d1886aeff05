"""What every answer shares: the camelCase base, the error shape, money."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from portal.edge.wire import camel
from portal.models import Money


class Wire:
    """camelCase names for the OpenAPI document (pydantic's config for stdlib dataclasses)."""

    __pydantic_config__: ClassVar[dict[str, Any]] = {"alias_generator": camel}


@dataclass(frozen=True)
class ErrorDetail(Wire):
    code: str
    message: str


@dataclass(frozen=True)
class ErrorBody(Wire):
    error: ErrorDetail


@dataclass(frozen=True)
class MoneyOut(Wire):
    amount: str  # a decimal string, e.g. "704.11"
    currency: str

    @classmethod
    def of(cls, money: Money) -> MoneyOut:
        return cls(format(money.amount, "f"), money.currency)
