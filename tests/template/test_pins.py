"""The layer ships the versions the dev environment tests with: every pin in
layers/shared/requirements.txt equals requirements-dev.lock's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support import ROOT

pytestmark = pytest.mark.template

LAYER_REQUIREMENTS = ROOT / "layers" / "shared" / "requirements.txt"
LOCK = ROOT / "requirements-dev.lock"
REQUIREMENT = re.compile(
    r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(==|>=|<=|~=|!=|>|<)?\s*([^;\s]*)"
)


def _normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirements(path: Path) -> dict[str, tuple[str, str]]:
    """name -> (operator, version) for each requirement line (comments and options skipped)."""
    found = {}
    for line in path.read_text().splitlines():
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        match = REQUIREMENT.match(line)
        assert match, f"{path.name}: cannot read {line!r}"
        name, _, operator, version = match.groups()
        found[_normalised(name)] = (operator or "", version)
    return found


def test_every_layer_requirement_is_pinned_to_the_locked_version() -> None:
    layer = _requirements(LAYER_REQUIREMENTS)
    lock = _requirements(LOCK)
    assert layer, "the layer has no requirements"
    assert {n: op for n, (op, _) in layer.items() if op != "=="} == {}, "pin with =="
    drift = {
        name: (version, lock.get(name, ("", "missing from the lock"))[1])
        for name, (_, version) in layer.items()
        if lock.get(name, ("", None))[1] != version
    }
    assert drift == {}, "layer version vs requirements-dev.lock"


DEV_REQUIREMENTS = ROOT / "requirements-dev.in"


def test_pydantic_and_its_core_are_pinned_in_the_layer_the_lock_and_the_dev_inputs() -> None:
    # given the layer's requirements, the lock and the dev environment's inputs
    layer = _requirements(LAYER_REQUIREMENTS)
    lock = _requirements(LOCK)
    dev = _requirements(DEV_REQUIREMENTS)
    # then pydantic and pydantic-core are pinned exactly, to one version everywhere
    for name in ("pydantic", "pydantic-core"):
        assert layer.get(name, ("", ""))[0] == "==", f"{name} is not pinned in the layer"
        assert layer[name][1] == lock[name][1] == dev[name][1], name


def test_the_pinned_core_is_the_one_the_pinned_pydantic_requires() -> None:
    # given the pydantic installed in the dev environment (the locked one)
    from importlib.metadata import requires, version

    layer = _requirements(LAYER_REQUIREMENTS)
    assert version("pydantic") == layer["pydantic"][1]
    # when reading which pydantic-core it requires
    wanted = [r for r in requires("pydantic") or [] if _normalised(r).startswith("pydantic-core")]
    # then it is exactly the layer's pin (a mismatched pair fails at import in Lambda)
    assert wanted == [f"pydantic-core=={layer['pydantic-core'][1]}"]
    assert version("pydantic-core") == layer["pydantic-core"][1]
