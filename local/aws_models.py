"""Writes layers/shared/portal/aws/models/: botocore's service models of the services in
portal.aws.clients.SUBSET_OPERATIONS, cut down to those operations and the shapes they use
(documentation dropped, nothing else changed), where the portal's session reads them first.

    python -m local.aws_models      # after upgrading botocore, or calling a new operation

tests/unit/test_aws_models.py fails until the written models equal what this makes.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from botocore.loaders import Loader

from portal.aws.clients import MODELS, SUBSET_OPERATIONS

DROPPED = ("documentation", "documentationUrl")


def subset(service: str, operations: tuple[str, ...]) -> tuple[str, dict[str, Any]]:
    """(api version, model) of `service` with only `operations` and the shapes they reach."""
    loader = Loader()
    version = loader.determine_latest_version(service, "service-2")
    model = loader.load_service_model(service, "service-2", version)
    shapes: dict[str, Any] = model["shapes"]
    kept: set[str] = set()

    def reach(name: str) -> None:
        if name in kept:
            return
        kept.add(name)
        shape = shapes[name]
        for key in ("member", "key", "value"):
            if key in shape:
                reach(shape[key]["shape"])
        for member in shape.get("members", {}).values():
            reach(member["shape"])

    for name in operations:
        operation = model["operations"][name]
        for key in ("input", "output"):
            if key in operation:
                reach(operation[key]["shape"])
        for error in operation.get("errors", []):
            reach(error["shape"])
    cut = {
        **{k: v for k, v in model.items() if k not in ("operations", "shapes")},
        "operations": {name: model["operations"][name] for name in sorted(operations)},
        "shapes": {name: shapes[name] for name in sorted(kept)},
    }
    return version, _without_documentation(cut)


def _without_documentation(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _without_documentation(v) for k, v in node.items() if k not in DROPPED}
    if isinstance(node, list):
        return [_without_documentation(v) for v in node]
    return node


def text(model: dict[str, Any]) -> str:
    return json.dumps(model, indent=1, sort_keys=True) + "\n"


def expected() -> dict[str, str]:
    """{path under MODELS: its text} of every model this writes."""
    files = {}
    for service, operations in sorted(SUBSET_OPERATIONS.items()):
        version, model = subset(service, operations)
        files[f"{service}/{version}/service-2.json"] = text(model)
    return files


def write(directory: Path = MODELS) -> list[Path]:
    if directory.exists():
        shutil.rmtree(directory)
    written = []
    for relative, content in expected().items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write():
        print(path.relative_to(MODELS.parents[4]), f"{path.stat().st_size:,} bytes")
