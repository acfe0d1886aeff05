"""Sign-in and the signed-in customer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from portal import types
from portal.accounts.customers import Me
from portal.edge.contract.common import Wire, order_reference_field
from portal.fields import Field, declare, read


@dataclass(frozen=True)
class LoginRequest(Wire):
    """`{email, orderNumber}`: both compared after normalising (API.md)."""

    email: str = declare(
        Field(
            "email",
            min_length=types.EMAIL_MIN,
            max_length=types.EMAIL_MAX,
            pattern=types.EMAIL_SHAPE,
            normalize=types.normalize_email,
        )
    )
    order_number: str = declare(order_reference_field("orderNumber"))

    @classmethod
    def parse(cls, data: Any) -> LoginRequest:
        return read(cls, data)


@dataclass(frozen=True)
class CustomerSummary(Wire):
    email: str
    name: str
    language: str


@dataclass(frozen=True)
class LoginResponse(Wire):
    customer: CustomerSummary


@dataclass(frozen=True)
class MeResponse(Wire):
    email: str
    name: str
    language: str
    activation_key: str  # groups of four, e.g. ABCD-EFGH-JKMN-PQRS-TVWX

    @classmethod
    def of(cls, me: Me) -> MeResponse:
        return cls(me.email, me.name, me.language, me.activation_key)
