"""PERFORMANCE.md web page bar: sign-in and home, HTML+JS+CSS uncompressed, at most 100 KB, with
no framework or third-party download (every asset is one of ours, under web/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import page_weight
from tests.support import ROOT

THIRD_PARTY = ("http:", "https:", "//")


def third_party_references(path: Path) -> list[str]:
    """The <script src> / <link href> / ES-module imports of `path` that leave the origin, found
    with the same patterns bench/page_weight.py follows (which skips such references)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".html":
        refs = page_weight._HTML_REFS.findall(text)
    else:
        refs = [a or b for a, b in page_weight._JS_IMPORTS.findall(text)]
    return [ref for ref in refs if ref.startswith(THIRD_PARTY)]


@pytest.mark.parametrize("page", ["index.html", "home.html"])
def test_page_weight_is_within_budget(page):
    # given every asset the page loads, followed from its HTML
    files = page_weight.assets(page)

    # then the walk really followed the page's assets, all of them ours, under web/
    suffixes = {path.suffix for path in files}
    assert {".html", ".js", ".css"} <= suffixes
    assert all(path.is_relative_to(ROOT / "web") for path in files)
    assert {
        path: third_party_references(path) for path in files if third_party_references(path)
    } == {}

    # when weighed, then within the budget
    assert page_weight.weight(page) <= page_weight.BUDGET


def test_a_third_party_script_or_import_would_be_noticed(tmp_path):
    # given a page and a module that load from a CDN
    page = tmp_path / "page.html"
    page.write_text('<script type="module" src="https://cdn.example/app.js"></script>')
    module = tmp_path / "app.js"
    module.write_text("import { x } from '//cdn.example/lib.js';\nimport './ours.js';\n")

    # then both references are reported, and our own import is not
    assert third_party_references(page) == ["https://cdn.example/app.js"]
    assert third_party_references(module) == ["//cdn.example/lib.js"]
