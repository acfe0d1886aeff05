"""The catalog: what an order line grants, as data (catalog.json beside this module), validated
when loaded. An unknown SKU grants nothing: the order is still recorded and the line flagged."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from portal.shapes import Reader, ShapeError

CATALOG_FILE = Path(__file__).with_name("catalog.json")
_GROUPS = {"users", "workstations", "years"}
_KINDS = ("license", "support")


@dataclass(frozen=True, slots=True)
class _Grants:
    kind: str
    software: str
    edition: str | None
    upgradable: bool
    users: int | None
    years: int | None


def _entry(r: Reader) -> tuple[str, re.Pattern[str] | None, re.Pattern[str] | None, _Grants]:
    name = r.required_text("name", min_len=1, max_len=200)
    match = r.child("match", required=True)
    assert match is not None
    unknown_keys = set(match.data) - {"sku", "product"}
    sku, product = match.text("sku", max_len=500), match.text("product", max_len=500)
    if unknown_keys or (sku is None) == (product is None):
        raise ShapeError(f"{name}: match needs exactly one of sku / product")
    try:
        pattern = re.compile(sku or product or "")
    except re.error as exc:
        raise ShapeError(f"{name}: bad pattern ({exc})") from None
    if set(pattern.groupindex) - _GROUPS:
        raise ShapeError(
            f"{name}: unknown named groups {sorted(set(pattern.groupindex) - _GROUPS)}"
        )
    g = r.child("grants", required=True)
    assert g is not None
    if set(g.data) - {"kind", "software", "edition", "upgradable", "users", "years"}:
        raise ShapeError(f"{name}: unknown grant fields")
    grants = _Grants(
        kind=g.required_text("kind", max_len=16),
        software=g.required_text("software", min_len=1, max_len=64),
        edition=g.text("edition", max_len=64),
        upgradable=g.boolean("upgradable"),
        users=g.integer("users", low=1, high=9999),
        years=g.integer("years", low=1, high=10),
    )
    if grants.kind not in _KINDS:
        raise ShapeError(f"{name}: kind must be license or support")
    groups = set(pattern.groupindex)
    if grants.users is None and not groups & {"users", "workstations"}:
        raise ShapeError(f"{name}: users or workstations must come from the match")
    if grants.kind == "support" and grants.years is None and "years" not in groups:
        raise ShapeError(f"{name}: a support needs years")
    return name, (pattern if sku else None), (pattern if product else None), grants


@dataclass(frozen=True, slots=True)
class Grant:
    """What one unit of an order line grants."""

    kind: str  # license | support
    software: str
    edition: str | None
    users: int
    years: int
    upgradable: bool


class Catalog:
    def __init__(self, document: object) -> None:
        """Validate the whole document; a broken catalog fails here, at load (ShapeError)."""
        root = Reader(document, "catalog")
        if root.data.get("version") != 1 or set(root.data) - {"version", "description", "entries"}:
            raise ShapeError("catalog: version must be 1")
        entries = [_entry(r) for r in root.children("entries", min_items=1, max_items=1000)]
        names = [name for name, *_ in entries]
        if len(names) != len(set(names)):
            raise ShapeError("catalog: entry names must be unique")
        self._entries = [(by_sku, by_product, grants) for _, by_sku, by_product, grants in entries]

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
