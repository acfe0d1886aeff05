"""Licenses on computers: the product's activation and refresh, and the portal's offline
activation, release and history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from portal import types
from portal.edge.contract.common import RehostErrorBody, Wire
from portal.edge.contract.licenses import LicenseOut
from portal.fields import Field, declare, read
from portal.ids import ULID_SHAPE
from portal.licensing.activation import Activation
from portal.models import HistoryEntry, Page

# POST /licenses/{id}/release: its 409 rehost_limit_reached names `availableOn`.
RELEASE_ERRORS: dict[int, type] = {409: RehostErrorBody}


def computer_id_field() -> Field:
    return Field(
        "computerId",
        min_length=1,
        max_length=types.COMPUTER_ID_MAX,
        pattern=types.COMPUTER_ID_SHAPE,
        description="The computer's id as the product reports it: letters, digits, . _ : -",
    )


def computer_name_field() -> Field:
    return Field(
        "computerName",
        min_length=1,
        max_length=types.COMPUTER_NAME_MAX,
        pattern=types.COMPUTER_NAME_SHAPE,
        normalize=types.normalize_computer_name,
        description="Printable text, no control or formatting characters",
    )


def activation_key_field() -> Field:
    """As typed (any case, spaces or dashes); a wrong key of any shape answers the same 401."""
    return Field(
        "activationKey",
        min_length=1,
        max_length=types.ACTIVATION_KEY_MAX,
        pattern=types.ACTIVATION_KEY_TEXT,
    )


@dataclass(frozen=True)
class ActivateRequest(Wire):
    """`{activationKey, computerId, computerName, product, licenseId?}` (API.md)."""

    activation_key: str = declare(activation_key_field())
    computer_id: str = declare(computer_id_field())
    computer_name: str = declare(computer_name_field())
    product: str = declare(  # a License.software, compared ignoring case
        Field("product", min_length=1, max_length=64, pattern=types.COMPUTER_NAME_SHAPE)
    )
    license_id: str | None = declare(
        Field(
            "licenseId",
            required=False,
            min_length=26,
            max_length=26,
            pattern=ULID_SHAPE,
        )
    )

    @classmethod
    def parse(cls, data: Any) -> ActivateRequest:
        return read(cls, data)


@dataclass(frozen=True)
class RefreshRequest(Wire):
    """`{activationKey, computerId}`."""

    activation_key: str = declare(activation_key_field())
    computer_id: str = declare(computer_id_field())

    @classmethod
    def parse(cls, data: Any) -> RefreshRequest:
        return read(cls, data)


@dataclass(frozen=True)
class ComputerRequest(Wire):
    """`{computerId, computerName}`: offline activation from the portal."""

    computer_id: str = declare(computer_id_field())
    computer_name: str = declare(computer_name_field())

    @classmethod
    def parse(cls, data: Any) -> ComputerRequest:
        return read(cls, data)


@dataclass(frozen=True)
class ActivationOut(Wire):
    """The product's answer: the signed file (as text) and the customer's licenses of that
    product."""

    license_file: str
    licenses: list[LicenseOut]

    @classmethod
    def of(cls, done: Activation) -> ActivationOut:
        return cls(done.license_file.decode("utf-8"), [LicenseOut.of(lic) for lic in done.licenses])


@dataclass(frozen=True)
class OfflineActivationOut(Wire):
    license_file: str
    license: LicenseOut

    @classmethod
    def of(cls, done: Activation) -> OfflineActivationOut:
        return cls(done.license_file.decode("utf-8"), LicenseOut.of(done.license))


@dataclass(frozen=True)
class HistoryOut(Wire):
    at: datetime
    event: str  # activated | released | upgraded | revoked | restored
    computer_id: str | None
    computer_name: str | None


@dataclass(frozen=True)
class HistoryPage(Wire):
    items: list[HistoryOut]
    next_cursor: str | None

    @classmethod
    def of(cls, page: Page[HistoryEntry]) -> HistoryPage:
        return cls(
            [HistoryOut(e.at, e.event, e.computer_id, e.computer_name) for e in page.items],
            page.next_cursor,
        )
