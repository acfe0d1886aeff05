"""The catalog is data, validated by its pydantic model (the shipped file here, every catalog on
the ingestion paths); it maps the guide's SKUs and Remote Work. Browser-facing code reads it
without pydantic."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from pydantic import ValidationError

from portal.orders.catalog import CATALOG_FILE, default_catalog
from portal.orders.catalog_document import CatalogDocument, validated, validated_default_catalog
from tests.support import ROOT


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
    # given one of the guide's SKUs; when the shipped catalog matches it
    grant = default_catalog().grant_for(sku, None)
    # then it grants what the guide says it sells
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
    # given a SKU the catalog does not sell; when matched; then it grants nothing
    assert default_catalog().grant_for(sku, None) is None


def test_product_path_when_the_sku_is_null():
    # given a line with no SKU, only FastSpring's product path; when matched
    grant = default_catalog().grant_for(None, "tsplus-remote-work-7")
    # then the product path decides: Remote Work for 7 workstations
    assert grant is not None and (grant.software, grant.users) == ("Remote Work", 7)


def test_the_shipped_catalog_passes_validation():
    # given the catalog.json the layer ships; when validated; then it passes, whole
    document = json.loads(CATALOG_FILE.read_text())
    assert len(CatalogDocument.model_validate(document).entries) == len(document["entries"])
    # and the validated matcher answers as the plain one the browser-facing code reads
    for sku in ("T-ENT-10", "S3Y-T-ENT-25", "RW-5", "X-1"):
        assert validated_default_catalog().grant_for(sku, None) == default_catalog().grant_for(
            sku, None
        )


def _entry(d: dict, name: str) -> dict:
    return next(e for e in d["entries"] if e["name"] == name)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d["entries"][0]["grants"].update(kind="gift"),
        lambda d: d["entries"][0]["match"].update(product="x"),
        lambda d: d["entries"][1]["match"].update(sku="^S-T-ENT-(?P<users>[0-9]+)$"),
        lambda d: d["entries"][0]["match"].update(sku="^T-(?P<colour>[A-Z]+)$"),
        lambda d: d["entries"].append(dict(d["entries"][0])),
        lambda d: d.update(version=2),
        # more kinds of breakage
        lambda d: d.update(version=True),  # not the number 1
        lambda d: d.update(entries=[]),
        lambda d: d.update(colour="red"),  # an unknown top-level field
        lambda d: d["entries"][0].update(match={}),  # neither sku nor product
        lambda d: d["entries"][0]["match"].update(sku="^T-ENT-(?P<users>[0-9]+$"),  # bad regex
        lambda d: d["entries"][0]["grants"].update(users=0),
        lambda d: d["entries"][0]["grants"].update(users="10"),  # a string, not a number
        lambda d: d["entries"][1]["grants"].update(years=11),
        lambda d: d["entries"][0]["grants"].update(software=""),
        lambda d: d["entries"][0]["grants"].update(price=10),  # an unknown grant field
        lambda d: d["entries"][0]["grants"].update(upgradable="yes"),
        lambda d: d["entries"][0].update(name=""),
        # a license whose users come neither from the match nor from the grant
        lambda d: d["entries"][0]["match"].update(sku="^T-ENT-[0-9]{1,4}$"),
        # a support without years: none in the match, none in the grant
        lambda d: _entry(d, "Remote Work support")["match"].update(
            sku="^S-RW-(?P<workstations>[0-9]{1,4})$"
        ),
    ],
)
def test_a_broken_catalog_fails_validation(mutate):
    # given the shipped catalog, broken in one way
    document = json.loads(CATALOG_FILE.read_text())
    mutate(document)
    # when it is validated (as the ingestion paths do); then it is refused
    with pytest.raises(ValidationError):
        validated(document)


def test_browser_facing_code_reads_the_catalog_without_pydantic():
    # given a fresh interpreter with only the layer on its path
    probe = (
        "import sys\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "from portal.orders.catalog import default_catalog\n"
        "grant = default_catalog().grant_for('T-ENT-10', None)\n"
        "assert grant is not None and grant.users == 10, grant\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pydantic', 'pydantic_core')))"
    )
    # when it reads the shipped catalog
    done = subprocess.run(
        [sys.executable, "-I", "-c", probe, str(ROOT / "layers" / "shared")],
        capture_output=True,
        text=True,
        check=True,
    )
    # then no pydantic module was loaded
    assert done.stdout.strip() == "[]"
