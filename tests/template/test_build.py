"""`sam build` (no Docker) lays the layer out as Lambda expects and stays within the size budget
(PERFORMANCE.md: layer <= 15 MB unzipped, each function <= 1 MB); every function runs python3.13
on arm64."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bench.package_size import BUDGETS, Artifact, artifacts

pytestmark = pytest.mark.template

LAYER = "AWS::Serverless::LayerVersion"
FUNCTION = "AWS::Serverless::Function"
ELF_AARCH64 = 183  # e_machine of an arm64 shared object


def _built(build_dir: Path, kind: str) -> list[Artifact]:
    found = [a for a in artifacts(build_dir) if a.kind == kind]
    assert found, f"no {kind} in the built template"
    return found


def test_layer_holds_portal_at_python_root(built: Path) -> None:
    (layer,) = _built(built, LAYER)
    assert layer.path == built / "SharedLayer"
    assert (layer.path / "python" / "portal" / "__init__.py").is_file()
    # A doubled python/ folder imports fine locally and fails only in Lambda.
    assert not (layer.path / "python" / "python").exists()
    assert not (layer.path / "python" / "portal" / "python").exists()


def test_layer_holds_the_data_files_the_code_reads(built: Path) -> None:
    """The catalog and the cut-down service models (portal/aws/clients.py) are not Python: the
    build must copy them too, or every client falls back to botocore's full model unseen."""
    (layer,) = _built(built, LAYER)
    portal = layer.path / "python" / "portal"
    source = Path(__file__).resolve().parents[2] / "layers" / "shared" / "portal"
    models = sorted(p.relative_to(source) for p in (source / "aws" / "models").rglob("*.json"))
    assert models
    assert [m for m in models if not (portal / m).is_file()] == []
    assert (portal / "orders" / "catalog.json").is_file()


def test_layer_dependencies_are_arm64(built: Path) -> None:
    """Any compiled library in the layer is built for arm64 (today the layer has none: its only
    dependency is pure-Python Powertools; the layer's requirements say which packages those are)."""
    (layer,) = _built(built, LAYER)
    installed = {p.name.split("-")[0].lower() for p in layer.path.glob("python/*.dist-info")}
    assert "aws_lambda_powertools" in installed
    machines = {}
    for library in layer.path.rglob("*.so*"):
        if library.is_file() and not library.is_symlink():
            header = library.read_bytes()[:20]
            if header[:4] == b"\x7fELF":
                machines[library.name] = int.from_bytes(header[18:20], "little")
    assert {name for name, machine in machines.items() if machine != ELF_AARCH64} == set()


def test_layer_within_budget(built: Path) -> None:
    (layer,) = _built(built, LAYER)
    assert layer.size <= BUDGETS[LAYER], f"layer is {layer.size:,} bytes unzipped"


def test_each_function_within_budget(built: Path) -> None:
    sizes = {a.logical_id: a.size for a in _built(built, FUNCTION)}
    assert {name: size for name, size in sizes.items() if size > BUDGETS[FUNCTION]} == {}


def test_every_function_is_python313_on_arm64(template: dict[str, Any]) -> None:
    function_globals = template["Globals"]["Function"]
    assert function_globals["Runtime"] == "python3.13"
    assert function_globals["Architectures"] == ["arm64"]
    functions = {
        name: {**function_globals, **resource.get("Properties", {})}
        for name, resource in template["Resources"].items()
        if resource["Type"] == FUNCTION
    }
    assert functions
    for name, props in functions.items():
        assert props["Runtime"] == "python3.13", name
        assert props["Architectures"] == ["arm64"], name
    layer = next(r for r in template["Resources"].values() if r["Type"] == LAYER)
    assert layer["Metadata"]["BuildMethod"] == "python3.13"
    assert layer["Metadata"]["BuildArchitecture"] == "arm64"
