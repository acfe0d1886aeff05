"""PERFORMANCE.md web page bar: sign-in and home, HTML+JS+CSS uncompressed, at most 100 KB, with
no framework or third-party download (every asset is one of ours, under web/)."""

from __future__ import annotations

import pytest

from bench import page_weight
from tests.support import ROOT


@pytest.mark.parametrize("page", ["index.html", "home.html"])
def test_page_weight_is_within_budget(page):
    files = page_weight.assets(page)
    suffixes = {path.suffix for path in files}
    assert {".html", ".js", ".css"} <= suffixes  # the walk really followed the page's assets
    assert all(path.is_relative_to(ROOT / "web") for path in files)
    assert page_weight.weight(page) <= page_weight.BUDGET
