"""Licenses and support contracts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from portal.edge.contract.common import Wire
from portal.errors import NotFound
from portal.fields import Field
from portal.ids import ULID_SHAPE
from portal.models import License, Page, Support

ULID_LENGTH = 26  # ids.ULID_SHAPE: 26 characters of Crockford base32


def record_id_field(name: str) -> Field:
    """A license or support id in a path: a malformed one answers 404 like a missing record."""
    return Field(
        name, min_length=ULID_LENGTH, max_length=ULID_LENGTH, pattern=ULID_SHAPE, invalid=NotFound
    )


LICENSE_ID = record_id_field("license_id")  # /api/licenses/<license_id>/...
SUPPORT_ID = record_id_field("support_id")  # GET /api/supports/<support_id>/file


@dataclass(frozen=True)
class SupportCoverageOut(Wire):
    id: str | None  # the support whose file the Support column's "View" downloads
    until: date
    file_available: bool


@dataclass(frozen=True)
class LicenseOut(Wire):
    id: str
    software: str
    serial_number: str
    computer_id: str | None  # the one computer it is bound to (null until activated)
    computer_name: str | None
    days: int | None  # null for a perpetual license
    users: int
    edition: str | None
    order_number: str | None
    purchased_on: date
    support: SupportCoverageOut | None
    upgradable: bool

    @classmethod
    def of(cls, lic: License) -> LicenseOut:
        support = lic.support
        return cls(
            id=lic.license_id,
            software=lic.software,
            serial_number=lic.serial_number,
            computer_id=lic.computer_id,
            computer_name=lic.computer_name,
            days=lic.days,
            users=lic.users,
            edition=lic.edition,
            order_number=lic.order_number,
            purchased_on=lic.purchased_on,
            support=SupportCoverageOut(support.support_id, support.until, support.file_available)
            if support
            else None,
            upgradable=lic.upgradable,
        )


@dataclass(frozen=True)
class LicensePage(Wire):
    items: list[LicenseOut]
    next_cursor: str | None

    @classmethod
    def of(cls, page: Page[License]) -> LicensePage:
        return cls([LicenseOut.of(lic) for lic in page.items], page.next_cursor)


@dataclass(frozen=True)
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
        return cls(
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


@dataclass(frozen=True)
class SupportPage(Wire):
    items: list[SupportOut]
    next_cursor: str | None

    @classmethod
    def of(cls, page: Page[Support]) -> SupportPage:
        return cls([SupportOut.of(sup) for sup in page.items], page.next_cursor)
