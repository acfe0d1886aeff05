"""docs/security.md and docs/performance.md prove each bar by naming tests: every test name they
give must exist, so a renamed or deleted test cannot leave a bar silently unproven."""

from __future__ import annotations

import re

import pytest

from tests.support import ROOT

_NAMED = re.compile(r"`(?:[\w/.]+::)?(test_\w+)`")


def _defined_tests() -> set[str]:
    source = "\n".join(path.read_text() for path in (ROOT / "tests").rglob("test_*.py"))
    return set(re.findall(r"def (test_\w+)\(", source))


@pytest.mark.parametrize("doc", ["docs/security.md", "docs/performance.md"])
def test_every_test_a_doc_names_exists(doc):
    # given the test names a document cites as proof
    named = set(_NAMED.findall((ROOT / doc).read_text()))
    # then each one is defined somewhere under tests/
    assert named - _defined_tests() == set()


def test_the_check_can_fail():
    # given a name no test carries, then the same reading finds it missing
    assert {"test_no_such_test_exists"} - _defined_tests() == {"test_no_such_test_exists"}
