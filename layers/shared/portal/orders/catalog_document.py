"""The catalog document's rules as a pydantic model: the validation in front of
`portal.orders.catalog.Catalog` wherever the catalog is loaded away from a person's wait (the
webhook and reconciliation ingestion) and in the test suite. Browser-facing code reads the
shipped, tested catalog through `portal.orders.catalog` alone, without importing pydantic."""

from __future__ import annotations

import re
from decimal import Decimal
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, model_validator

from portal.currencies import minor_units
from portal.orders.catalog import Catalog, catalog_document

NAMED_GROUPS = frozenset({"users", "workstations", "years"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Match(_Strict):
    """Exactly one of sku / product: a regular expression whose only named groups are users,
    workstations and years."""

    sku: Annotated[StrictStr, Field(max_length=500)] | None = None
    product: Annotated[StrictStr, Field(max_length=500)] | None = None

    @model_validator(mode="after")
    def _one_valid_pattern(self) -> Match:
        if (self.sku is None) == (self.product is None):
            raise ValueError("match needs exactly one of sku / product")
        try:
            pattern = re.compile(self.pattern)
        except re.error as exc:
            raise ValueError(f"bad pattern ({exc})") from None
        unknown = set(pattern.groupindex) - NAMED_GROUPS
        if unknown:
            raise ValueError(f"unknown named groups {sorted(unknown)}")
        return self

    @property
    def pattern(self) -> str:
        return self.sku if self.sku is not None else self.product or ""

    @property
    def groups(self) -> set[str]:
        return set(re.compile(self.pattern).groupindex)


class Grants(_Strict):
    kind: Literal["license", "support"]
    software: Annotated[StrictStr, Field(min_length=1, max_length=64)]
    edition: Annotated[StrictStr, Field(max_length=64)] | None = None
    upgradable: StrictBool = False
    users: Annotated[StrictInt, Field(ge=1, le=9999)] | None = None
    years: Annotated[StrictInt, Field(ge=1, le=10)] | None = None


class Entry(_Strict):
    name: Annotated[StrictStr, Field(min_length=1, max_length=200)]
    match: Match
    grants: Grants

    @model_validator(mode="after")
    def _grants_fit_the_match(self) -> Entry:
        groups = self.match.groups
        if self.grants.users is None and not groups & {"users", "workstations"}:
            raise ValueError(f"{self.name}: users or workstations must come from the match")
        if self.grants.kind == "support" and self.grants.years is None and "years" not in groups:
            raise ValueError(f"{self.name}: a support needs years")
        return self


Currency = Annotated[StrictStr, Field(pattern=r"^[A-Z]{3}$")]
# A price as a decimal string ("24.00"): exact, never a float on the way in.
PriceText = Annotated[StrictStr, Field(pattern=r"^[0-9]{1,7}(\.[0-9]{1,4})?$")]


class UnitPrices(_Strict):
    licenseUnit: PriceText
    supportUnitPerYear: PriceText


def _whole_minor_units(currency: str, prices: UnitPrices) -> None:
    """Unit prices are whole minor units (24.00, not 24.001), so N x licenseUnit is exact and
    only the support part of a quote is ever rounded (docs/pricing.md)."""
    for price in (prices.licenseUnit, prices.supportUnitPerYear):
        exponent = Decimal(price).as_tuple().exponent
        if not isinstance(exponent, int) or -exponent > minor_units(currency):
            raise ValueError(f"{currency} {price} has more digits than the currency's minor unit")
    if Decimal(prices.licenseUnit) + Decimal(prices.supportUnitPerYear) <= 0:
        raise ValueError("an upgrade cannot be free")


class Upgrade(_Strict):
    name: Annotated[StrictStr, Field(min_length=1, max_length=200)]
    software: Annotated[StrictStr, Field(min_length=1, max_length=64)]
    product: Annotated[StrictStr, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,99}$")]
    display: Annotated[StrictStr, Field(min_length=1, max_length=200)]
    maxWorkstations: Annotated[StrictInt, Field(ge=1, le=100_000)]
    defaultCurrency: Currency
    prices: Annotated[dict[Currency, UnitPrices], Field(min_length=1, max_length=50)]

    @model_validator(mode="after")
    def _default_is_priced(self) -> Upgrade:
        if self.defaultCurrency not in self.prices:
            raise ValueError(f"{self.name}: the default currency has no prices")
        for currency, prices in self.prices.items():
            _whole_minor_units(currency, prices)
        return self


class CatalogDocument(_Strict):
    version: Annotated[StrictInt, Field(ge=1, le=1)]  # 1 (strict: True is not 1)
    description: StrictStr | None = None
    entries: Annotated[list[Entry], Field(min_length=1, max_length=1000)]
    upgrades: Annotated[list[Upgrade], Field(max_length=100)] = []

    @model_validator(mode="after")
    def _unique_names(self) -> CatalogDocument:
        names = [entry.name for entry in self.entries] + [u.name for u in self.upgrades]
        if len(names) != len(set(names)):
            raise ValueError("entry and upgrade names must be unique")
        upgrades = [u.software.casefold() for u in self.upgrades]
        products = [u.product for u in self.upgrades]
        if len(upgrades) != len(set(upgrades)) or len(products) != len(set(products)):
            raise ValueError("one upgrade per software, one product per upgrade")
        upgradable = {e.grants.software.casefold() for e in self.entries if e.grants.upgradable}
        if upgradable - set(upgrades):
            raise ValueError(f"upgradable licenses without an upgrade: {sorted(upgradable)}")
        return self


def validated(document: dict[str, Any]) -> Catalog:
    """The matcher for `document` once it passed CatalogDocument (pydantic.ValidationError if
    not): the same plain builder browser-facing code uses, with the validation in front."""
    CatalogDocument.model_validate(document)
    return Catalog(document)


@cache
def validated_default_catalog() -> Catalog:
    """The shipped catalog, validated (once per container)."""
    return validated(catalog_document())
