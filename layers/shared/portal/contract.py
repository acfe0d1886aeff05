"""The HTTP contract (docs/API.md) as pydantic models: camelCase on the wire, explicit mapping
from domain models, and nothing that is not in the contract (no keys, hashes or internal ids)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from portal.accounts import Me
from portal.models import License, Page, Support
from portal.types import Email, OrderReference


class Wire(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)


class Request(Wire):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=False, frozen=True, extra="forbid"
    )


# ---------------------------------------------------------------- errors
class ErrorDetail(Wire):
    code: str
    message: str


class ErrorBody(Wire):
    error: ErrorDetail


# ---------------------------------------------------------------- sign-in
class LoginRequest(Request):
    email: Email
    order_number: OrderReference


class CustomerSummary(Wire):
    email: str
    name: str
    language: str


class LoginResponse(Wire):
    customer: CustomerSummary


class MeResponse(Wire):
    email: str
    name: str
    language: str
    activation_key: str = Field(
        description="Shown in groups of four, e.g. ABCD-EFGH-JKMN-PQRS-TVWX"
    )

    @classmethod
    def of(cls, me: Me) -> MeResponse:
        return cls(
            email=me.email, name=me.name, language=me.language, activation_key=me.activation_key
        )


# ---------------------------------------------------------------- licenses and supports
class SupportCoverageOut(Wire):
    until: date
    file_available: bool


class LicenseOut(Wire):
    id: str
    software: str
    serial_number: str
    computer_name: str | None
    days: int | None = Field(description="null for a perpetual license")
    users: int
    edition: str | None
    order_number: str | None
    purchased_on: date
    support: SupportCoverageOut | None
    upgradable: bool

    @classmethod
    def of(cls, lic: License) -> LicenseOut:
        return cls.model_validate(cls.fields_of(lic))

    @staticmethod
    def fields_of(lic: License) -> dict[str, Any]:
        return dict(
            id=lic.license_id,
            software=lic.software,
            serial_number=lic.serial_number,
            computer_name=lic.computer_name,
            days=lic.days,
            users=lic.users,
            edition=lic.edition,
            order_number=lic.order_number,
            purchased_on=lic.purchased_on,
            support={"until": lic.support.until, "file_available": lic.support.file_available}
            if lic.support
            else None,
            upgradable=lic.upgradable,
        )


class LicensePage(Wire):
    items: list[LicenseOut]
    next_cursor: str | None

    @classmethod
    def of(cls, page: Page[License]) -> LicensePage:
        # one validation call for the whole page (nested in pydantic-core, not 2 x 20 __init__s)
        items = [LicenseOut.fields_of(lic) for lic in page.items]
        return cls.model_validate({"items": items, "next_cursor": page.next_cursor})


class SupportOut(Wire):
    id: str
    software: str
    serial_number: str
    users: int
    edition: str | None
    order_number: str | None
    purchased_on: date
    duration_years: int
    expires_on: date

    @classmethod
    def of(cls, sup: Support) -> SupportOut:
        return cls.model_validate(cls.fields_of(sup))

    @staticmethod
    def fields_of(sup: Support) -> dict[str, Any]:
        return dict(
            id=sup.support_id,
            software=sup.software,
            serial_number=sup.serial_number,
            users=sup.users,
            edition=sup.edition,
            order_number=sup.order_number,
            purchased_on=sup.purchased_on,
            duration_years=sup.duration_years,
            expires_on=sup.expires_on,
        )


class SupportPage(Wire):
    items: list[SupportOut]
    next_cursor: str | None

    @classmethod
    def of(cls, page: Page[Support]) -> SupportPage:
        items = [SupportOut.fields_of(sup) for sup in page.items]
        return cls.model_validate({"items": items, "next_cursor": page.next_cursor})
