"""The HTTP contract (docs/API.md) as pydantic models: camelCase on the wire, explicit mapping
from domain models, and nothing that is not in the contract (no keys, hashes or internal ids)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from portal.accounts import Me
from portal.license_files import PublicKey
from portal.models import Contact, License, Money, Order, Page, Support
from portal.orders import OrdersPage
from portal.types import Email, OrderReference


class Wire(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, frozen=True, defer_build=True
    )


class Request(Wire):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=False,
        frozen=True,
        extra="forbid",
        defer_build=True,
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


# ---------------------------------------------------------------- orders
class MoneyOut(Wire):
    amount: str = Field(description="A decimal string, e.g. 704.11", pattern=r"^-?\d+(\.\d+)?$")
    currency: str = Field(pattern=r"^[A-Z]{3}$")

    @classmethod
    def of(cls, money: Money) -> MoneyOut:
        return cls(amount=format(money.amount, "f"), currency=money.currency)


class BillingOut(Wire):
    date: date | None
    name: str | None
    country: str | None
    city: str | None


class ContactOut(Wire):
    date: date | None
    first_name: str | None
    last_name: str | None
    email: str | None


class OrderSummaryOut(Wire):
    reference: str
    date: date
    total: MoneyOut
    status: str = Field(description="completed | refunded | partially_refunded")


class OrdersPageOut(Wire):
    billing: BillingOut | None = Field(description="on the first page; null on later pages")
    contacts: list[ContactOut] = Field(description="on the first page; empty on later pages")
    items: list[OrderSummaryOut]
    next_cursor: str | None

    @classmethod
    def of(cls, page: OrdersPage) -> OrdersPageOut:
        billing = page.billing
        return cls(
            billing=BillingOut(
                date=billing.date, name=billing.name, country=billing.country, city=billing.city
            )
            if billing
            else None,
            contacts=[_contact(c) for c in page.contacts],
            items=[
                OrderSummaryOut(
                    reference=o.reference,
                    date=o.placed_at.date(),
                    total=MoneyOut.of(o.total),
                    status=o.status,
                )
                for o in page.orders
            ],
            next_cursor=page.next_cursor,
        )


def _contact(contact: Contact) -> ContactOut:
    return ContactOut(
        date=contact.date,
        first_name=contact.first_name,
        last_name=contact.last_name,
        email=contact.email,
    )


class OrderLineOut(Wire):
    product: str
    sku: str | None
    quantity: int
    subtotal: MoneyOut


class OrderDetailOut(Wire):
    reference: str
    placed_at: datetime
    total: MoneyOut
    status: str
    items: list[OrderLineOut]

    @classmethod
    def of(cls, order: Order) -> OrderDetailOut:
        return cls(
            reference=order.reference,
            placed_at=order.placed_at,
            total=MoneyOut.of(order.total),
            status=order.status,
            items=[
                OrderLineOut(
                    product=line.display or line.product,
                    sku=line.sku,
                    quantity=line.quantity,
                    subtotal=MoneyOut.of(line.subtotal),
                )
                for line in order.items
            ],
        )


# ---------------------------------------------------------------- license-file keys
class PublicKeyOut(Wire):
    kid: str
    algorithm: str = "Ed25519"
    public_key: str = Field(description="SubjectPublicKeyInfo PEM")


class PublicKeysOut(Wire):
    keys: list[PublicKeyOut]

    @classmethod
    def of(cls, keys: list[PublicKey]) -> PublicKeysOut:
        return cls(keys=[PublicKeyOut(kid=k.kid, public_key=k.public_key_pem) for k in keys])
