"""The catalog: what an order line grants, as data (catalog.json beside this module), validated
when loaded. An unknown SKU grants nothing: the order is still recorded and the line flagged."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

CATALOG_FILE = Path(__file__).with_name("catalog.json")
_GROUPS = {"users", "workstations", "years"}


class _Match(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    sku: str | None = None
    product: str | None = None

    @model_validator(mode="after")
    def _one_pattern(self) -> _Match:
        if (self.sku is None) == (self.product is None):
            raise ValueError("match needs exactly one of sku / product")
        pattern = re.compile(self.sku or self.product or "")
        unknown = set(pattern.groupindex) - _GROUPS
        if unknown:
            raise ValueError(f"unknown named groups {sorted(unknown)}")
        return self


class _Grants(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["license", "support"]
    software: str = Field(min_length=1, max_length=64)
    edition: str | None = Field(default=None, max_length=64)
    upgradable: bool = False
    users: int | None = Field(default=None, ge=1, le=9999)
    years: int | None = Field(default=None, ge=1, le=10)


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    match: _Match
    grants: _Grants

    @model_validator(mode="after")
    def _complete(self) -> _Entry:
        groups = set(re.compile(self.match.sku or self.match.product or "").groupindex)
        if self.grants.users is None and not groups & {"users", "workstations"}:
            raise ValueError(f"{self.name}: users or workstations must come from the match")
        if self.grants.kind == "support" and self.grants.years is None and "years" not in groups:
            raise ValueError(f"{self.name}: a support needs years")
        return self


class _Catalog(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    version: Literal[1]
    description: str = ""
    entries: list[_Entry] = Field(min_length=1)

    @field_validator("entries")
    @classmethod
    def _unique_names(cls, entries: list[_Entry]) -> list[_Entry]:
        names = [entry.name for entry in entries]
        if len(names) != len(set(names)):
            raise ValueError("entry names must be unique")
        return entries


@dataclass(frozen=True, slots=True)
class Grant:
    """What one unit of an order line grants."""

    kind: Literal["license", "support"]
    software: str
    edition: str | None
    users: int
    years: int
    upgradable: bool


class Catalog:
    def __init__(self, document: dict[str, object]) -> None:
        parsed = _Catalog.model_validate(document)
        self._entries = [
            (
                re.compile(e.match.sku) if e.match.sku else None,
                re.compile(e.match.product) if e.match.product else None,
                e.grants,
            )
            for e in parsed.entries
        ]

    def grant_for(self, sku: str | None, product: str | None) -> Grant | None:
        for by_sku, by_product, grants in self._entries:
            subject, pattern = (sku, by_sku) if by_sku else (product, by_product)
            if not subject or pattern is None:
                continue
            found = pattern.fullmatch(subject.strip())
            if not found:
                continue
            groups = found.groupdict()
            users = int(groups.get("users") or groups.get("workstations") or grants.users or 0)
            years = int(groups.get("years") or grants.years or 0)
            if users < 1 or (grants.kind == "support" and years < 1):
                return None
            return Grant(
                kind=grants.kind,
                software=grants.software,
                edition=grants.edition,
                users=users,
                years=years,
                upgradable=grants.upgradable,
            )
        return None


@cache
def default_catalog() -> Catalog:
    return Catalog(json.loads(CATALOG_FILE.read_text(encoding="utf-8")))
