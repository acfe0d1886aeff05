"""Fixtures for the template checks: the parsed templates (template.yaml, waf.yaml) and one
cached `sam build`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bench import package_size
from tests.support import ROOT

TEMPLATE = ROOT / "template.yaml"
WAF_TEMPLATE = ROOT / "waf.yaml"  # the web ACL, deployed on its own in us-east-1
# Kept between runs so `sam build --cached` reuses the layer's dependencies (a few seconds instead
# of a full pip install); git ignores .aws-sam/.
BUILD_DIR = ROOT / ".aws-sam" / "test" / "build"
NO_PYTHON313 = (
    "sam build needs a python3.13 and none was found (not on PATH, not in pyenv): install Python "
    "3.13 as README.md's set-up instructions say (e.g. `pyenv install 3.13.0`), then recreate the "
    "venv with `make distclean test`"
)


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    from samcli.yamlhelper import yaml_parse

    return dict(yaml_parse(TEMPLATE.read_text()))


@pytest.fixture(scope="session")
def waf_template() -> dict[str, Any]:
    from samcli.yamlhelper import yaml_parse

    return dict(yaml_parse(WAF_TEMPLATE.read_text()))


@pytest.fixture(scope="session")
def built() -> Path:
    """The build directory of a `sam build` of template.yaml (no Docker)."""
    python313 = package_size.find_python313()
    if python313 is None:
        pytest.skip(NO_PYTHON313)
    try:
        package_size.sam_build(BUILD_DIR, python313)
    except RuntimeError as error:
        pytest.fail(str(error), pytrace=False)
    return BUILD_DIR
