"""Sign-in: what the sign-in routes read and answer (the signed-in customer: contract/me.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from portal import types
from portal.accounts.verification import CODE_SHAPE, TOKEN_SHAPE
from portal.data.verification import Who
from portal.edge.contract.common import Wire, order_reference_field
from portal.fields import Field, declare, read

_EMAIL = Field(
    "email",
    min_length=types.EMAIL_MIN,
    max_length=types.EMAIL_MAX,
    pattern=types.EMAIL_SHAPE,
    normalize=types.normalize_email,
)


@dataclass(frozen=True)
class LoginRequest(Wire):
    """`{email, orderNumber}`: both compared after normalising (API.md)."""

    email: str = declare(_EMAIL)
    order_number: str = declare(order_reference_field("orderNumber"))

    @classmethod
    def parse(cls, data: Any) -> LoginRequest:
        return read(cls, data)


@dataclass(frozen=True)
class VerifyRequest(Wire):
    """`{code}`: the 6 digits mailed for the pending sign-in (its cookie comes with the call)."""

    code: str = declare(Field("code", pattern=CODE_SHAPE, normalize=str.strip))

    @classmethod
    def parse(cls, data: Any) -> VerifyRequest:
        return read(cls, data)


@dataclass(frozen=True)
class LinkRequest(Wire):
    """`{email}`: where a known customer's sign-in link is mailed."""

    email: str = declare(_EMAIL)

    @classmethod
    def parse(cls, data: Any) -> LinkRequest:
        return read(cls, data)


@dataclass(frozen=True)
class RedeemRequest(Wire):
    """`{token}`: the token of a mailed sign-in link (from the link's fragment)."""

    token: str = declare(Field("token", pattern=TOKEN_SHAPE))

    @classmethod
    def parse(cls, data: Any) -> RedeemRequest:
        return read(cls, data)


@dataclass(frozen=True)
class LogoutRequest(Wire):
    """`{forgetBrowser}` (optional body): true also forgets this browser's trust, so the next
    sign-in from it asks for a mailed code again."""

    forget_browser: bool = declare(Field("forgetBrowser", kind=bool, required=False, default=False))

    @classmethod
    def parse(cls, data: Any) -> LogoutRequest:
        return read(cls, data)


@dataclass(frozen=True)
class PendingResponse(Wire):
    """202: a code was mailed; send it to /auth/verify within `expires_in` seconds."""

    verification: str  # "email_code"
    expires_in: int


@dataclass(frozen=True)
class Accepted(Wire):
    """202 `{}`."""


@dataclass(frozen=True)
class CustomerSummary(Wire):
    email: str
    name: str
    language: str

    @classmethod
    def of(cls, who: Who) -> CustomerSummary:
        return cls(who.email, who.name, who.language)


@dataclass(frozen=True)
class LoginResponse(Wire):
    customer: CustomerSummary
