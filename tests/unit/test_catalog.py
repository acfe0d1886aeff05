"""The catalog is data, validated when loaded; it maps the guide's SKUs and Remote Work."""

from __future__ import annotations

import json

import pytest

from portal.orders.catalog import CATALOG_FILE, Catalog, default_catalog
from portal.shapes import ShapeError


@pytest.mark.parametrize(
    "sku,expected",
    [
        ("T-ENT-10", ("license", "TSplus", "Enterprise", 10, 0, False)),
        ("S1Y-T-ENT-10", ("support", "TSplus", "Enterprise", 10, 1, False)),
        ("S3Y-T-ENT-25", ("support", "TSplus", "Enterprise", 25, 3, False)),
        ("RW-5", ("license", "Remote Work", None, 5, 0, True)),
        ("S2Y-RW-5", ("support", "Remote Work", None, 5, 2, False)),
    ],
)
def test_the_guides_skus(sku, expected):
    grant = default_catalog().grant_for(sku, None)
    assert grant is not None
    assert (
        grant.kind,
        grant.software,
        grant.edition,
        grant.users,
        grant.years,
        grant.upgradable,
    ) == expected


@pytest.mark.parametrize("sku", ["T-ENT-0", "S0Y-T-ENT-10", "T-ENT-10 ; drop", "X-1", "", None])
def test_unknown_or_nonsensical_skus_grant_nothing(sku):
    assert default_catalog().grant_for(sku, None) is None


def test_product_path_when_the_sku_is_null():
    grant = default_catalog().grant_for(None, "tsplus-remote-work-7")
    assert grant is not None and (grant.software, grant.users) == ("Remote Work", 7)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d["entries"][0]["grants"].update(kind="gift"),
        lambda d: d["entries"][0]["match"].update(product="x"),
        lambda d: d["entries"][1]["match"].update(sku="^S-T-ENT-(?P<users>[0-9]+)$"),
        lambda d: d["entries"][0]["match"].update(sku="^T-(?P<colour>[A-Z]+)$"),
        lambda d: d["entries"].append(dict(d["entries"][0])),
        lambda d: d.update(version=2),
    ],
)
def test_a_broken_catalog_fails_when_loaded(mutate):
    document = json.loads(CATALOG_FILE.read_text())
    mutate(document)
    with pytest.raises(ShapeError):
        Catalog(document)
