"""The templates pass cfn-lint (template.yaml and waf.yaml, the web ACL deployed on its own) and
template.yaml `sam validate --lint` (all offline)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import ROOT

pytestmark = pytest.mark.template


def _tool(name: str) -> str:
    """The tool from the running venv, whatever PATH says."""
    beside = Path(sys.executable).with_name(name)
    return str(beside) if beside.is_file() else name


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0"}
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.mark.parametrize("template", ["template.yaml", "waf.yaml"])
def test_cfn_lint_passes(template: str) -> None:
    done = _run(_tool("cfn-lint"), template)
    assert done.returncode == 0, done.stdout + done.stderr


def test_sam_validate_lint_passes() -> None:
    done = _run(_tool("sam"), "validate", "--lint", "--template-file", "template.yaml")
    assert done.returncode == 0, done.stdout + done.stderr
