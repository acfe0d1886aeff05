"""Sign-in and the signed-in customer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from portal import types
from portal.accounts.customers import Me
from portal.edge.contract.common import Wire
from portal.errors import BadRequest


@dataclass(frozen=True)
class LoginRequest(Wire):
    # metadata: the bounds `parse` enforces, copied into docs/openapi.json by local/openapi.py
    email: str = field(metadata={"min_length": 3, "max_length": types.EMAIL_MAX})
    order_number: str = field(metadata={"min_length": 1, "max_length": types.ORDER_REFERENCE_MAX})

    @classmethod
    def parse(cls, data: Any) -> LoginRequest:
        if not isinstance(data, dict):
            raise BadRequest("The request body is malformed.")
        unknown = set(data) - {"email", "orderNumber"}
        if unknown:
            raise BadRequest(f"Invalid value for '{sorted(unknown)[0]}'.")
        try:
            email = types.email(data.get("email"))
        except ValueError:
            raise BadRequest("Invalid value for 'email'.") from None
        try:
            order_number = types.order_reference(data.get("orderNumber"))
        except ValueError:
            raise BadRequest("Invalid value for 'orderNumber'.") from None
        return cls(email=email, order_number=order_number)


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
