"""The catalog: what an order line grants, as data (catalog.json beside this module). An unknown
SKU grants nothing: the order is still recorded and the line flagged. Its `upgrades` price adding
workstations to an upgradable license, per currency (docs/pricing.md), and name the FastSpring
product the upgrade checkout sells (`Upgrade`).

`Catalog` is the one runtime matcher, built from the plain JSON document and free of any
validation library, so that a browser-facing function can read the shipped catalog without
pydantic at its cold start. The document's rules (version, unique names, one pattern per entry
with only the named groups users / workstations / years, the grants' kinds and bounds) are
checked by the model in `portal.orders.catalog_document`, in front of this builder wherever the
catalog is loaded away from a person's wait (webhook and reconciliation ingestion) and in the
test suite, which validates the shipped file."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

CATALOG_FILE = Path(__file__).with_name("catalog.json")


@dataclass(frozen=True, slots=True)
class Grant:
    """What one unit of an order line grants."""

    kind: str  # license | support
    software: str
    edition: str | None
    users: int
    years: int
    upgradable: bool

    def covers(self, software: str, edition: str | None, users: int) -> bool:
        """A support covers a license of the same software, edition and size (users or
        workstations); a license grant names the licenses it fits the same way."""
        return (
            software.casefold() == self.software.casefold()
            and (edition or "").casefold() == (self.edition or "").casefold()
            and users == self.users
        )


@dataclass(frozen=True, slots=True)
class _Entry:
    field: str  # "sku" | "product": what the pattern matches
    pattern: re.Pattern[str]
    kind: str
    software: str
    edition: str | None
    upgradable: bool
    users: int | None
    years: int | None


@dataclass(frozen=True, slots=True)
class UnitPrices:
    """One currency's prices of one added workstation: the license, and its support per year."""

    license_unit: Decimal
    support_unit_per_year: Decimal


@dataclass(frozen=True, slots=True)
class Upgrade:
    """Adding workstations to a license of `software`, sold through FastSpring as `product`."""

    software: str
    product: str  # the FastSpring product path of the checkout line
    display: str
    max_workstations: int  # a license never grows beyond this
    default_currency: str
    prices: dict[str, UnitPrices]


class Catalog:
    def __init__(self, document: dict[str, Any]) -> None:
        """Build the matcher from a catalog document (validated beforehand: see the module)."""
        self.upgrades = tuple(
            Upgrade(
                software=upgrade["software"],
                product=upgrade["product"],
                display=upgrade["display"],
                max_workstations=int(upgrade["maxWorkstations"]),
                default_currency=upgrade["defaultCurrency"],
                prices={
                    currency: UnitPrices(
                        license_unit=Decimal(price["licenseUnit"]),
                        support_unit_per_year=Decimal(price["supportUnitPerYear"]),
                    )
                    for currency, price in upgrade["prices"].items()
                },
            )
            for upgrade in document.get("upgrades") or ()
        )
        self._entries = []
        for entry in document["entries"]:
            match, grants = entry["match"], entry["grants"]
            field = "sku" if match.get("sku") is not None else "product"
            self._entries.append(
                _Entry(
                    field=field,
                    pattern=re.compile(match[field]),
                    kind=grants["kind"],
                    software=grants["software"],
                    edition=grants.get("edition"),
                    upgradable=bool(grants.get("upgradable", False)),
                    users=grants.get("users"),
                    years=grants.get("years"),
                )
            )

    def grant_for(self, sku: str | None, product: str | None) -> Grant | None:
        for entry in self._entries:
            subject = sku if entry.field == "sku" else product
            if not subject:
                continue
            found = entry.pattern.fullmatch(subject.strip())
            if not found:
                continue
            groups = found.groupdict()
            users = int(groups.get("users") or groups.get("workstations") or entry.users or 0)
            years = int(groups.get("years") or entry.years or 0)
            if users < 1 or (entry.kind == "support" and years < 1):
                return None
            return Grant(
                kind=entry.kind,
                software=entry.software,
                edition=entry.edition,
                users=users,
                years=years,
                upgradable=entry.upgradable,
            )
        return None

    def upgrade_of(self, software: str) -> Upgrade | None:
        """How licenses of `software` are upgraded (None: they are not)."""
        wanted = software.casefold()
        return next((u for u in self.upgrades if u.software.casefold() == wanted), None)

    def upgrade_sold_as(self, product: str | None) -> Upgrade | None:
        """The upgrade an order line of FastSpring product `product` pays for (None: none)."""
        wanted = (product or "").strip().casefold()
        return next((u for u in self.upgrades if u.product.casefold() == wanted), None)


def catalog_document() -> dict[str, Any]:
    """The shipped catalog.json as a plain document."""
    document: dict[str, Any] = json.loads(CATALOG_FILE.read_text(encoding="utf-8"))
    return document


@cache
def default_catalog() -> Catalog:
    """The shipped catalog, built without validation (the test suite validates this file)."""
    return Catalog(catalog_document())
