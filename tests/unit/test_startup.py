"""portal.startup: inside Lambda the cold start runs without collector pauses, the collector is
back (with the cold start's objects frozen) after the first invocation, outside Lambda nothing
changes; and every handler imports `portal` before any other third-party package, so the pause
covers their imports too."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import ROOT

LAYER = ROOT / "layers" / "shared"

_CHECK = """
import gc, json, sys
sys.path.insert(0, sys.argv[1])
import portal
from portal import startup
seen = {"paused_at_import": not gc.isenabled()}

@startup.entry_point
def handler(fail):
    seen.setdefault("paused_in_first_call", not gc.isenabled())
    if fail:
        raise RuntimeError("the first invocation failed")
    return "done"

try:
    handler(sys.argv[2] == "fail")
except RuntimeError:
    seen["raised"] = True
seen["enabled_after"] = gc.isenabled()
seen["frozen"] = gc.get_freeze_count()
seen["second"] = handler(False)
print(json.dumps(seen))
"""


def _fresh(lambda_name: str | None, first: str = "ok") -> dict:
    env = {k: v for k, v in os.environ.items() if k != "AWS_LAMBDA_FUNCTION_NAME"}
    if lambda_name:
        env["AWS_LAMBDA_FUNCTION_NAME"] = lambda_name
    done = subprocess.run(
        [sys.executable, "-I", "-c", _CHECK, str(LAYER), first],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(done.stdout))


def test_inside_lambda_the_cold_start_runs_without_collector_pauses() -> None:
    seen = _fresh("ListLicensesFunction")
    assert seen["paused_at_import"] and seen["paused_in_first_call"]
    # then after the first invocation the collector is back, the cold start's objects frozen
    assert seen["enabled_after"] and seen["frozen"] > 1000
    assert seen["second"] == "done"


def test_a_first_invocation_that_raises_turns_the_collector_back_on_too() -> None:
    seen = _fresh("ListLicensesFunction", first="fail")
    assert seen["raised"] and seen["enabled_after"] and seen["frozen"] > 1000


def test_outside_lambda_nothing_changes() -> None:
    seen = _fresh(None)
    assert not seen["paused_at_import"] and not seen["paused_in_first_call"]
    assert seen["enabled_after"] and seen["frozen"] == 0


HANDLERS = sorted((ROOT / "functions").glob("*/app.py"))


@pytest.mark.parametrize("app", HANDLERS, ids=[p.parent.name for p in HANDLERS])
def test_every_handler_imports_portal_before_any_other_third_party_package(app: Path) -> None:
    tree = ast.parse(app.read_text(encoding="utf-8"))
    imported = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            imported += [alias.name.split(".")[0] for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            imported.append(node.module.split(".")[0])
    others = [m for m in imported if m not in sys.stdlib_module_names and m != "__future__"]
    assert others, "a handler imports the portal"
    assert others[0] == "portal", f"{app.parent.name} imports {others[0]} before portal"
