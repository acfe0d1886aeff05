"""Generate docs/openapi.json from the handlers themselves (Powertools' OpenAPI generator).

Handlers parse requests through portal.edge.http (no runtime validation machinery), and mark with
`http.documents(body=..., query=...)` which contract models a route reads. Here every handler's
routes are registered again on one validation-enabled resolver, with a signature built from those
models, so the document describes exactly what the code accepts and returns.

    python -m local.openapi          write docs/openapi.json
    python -m local.openapi --check  fail when the committed document is stale
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import inspect
import json
import re
import sys
import typing
from pathlib import Path
from typing import Annotated, Any

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "openapi.json"


def _handler_modules() -> list[Any]:
    sys.path.insert(0, str(ROOT / "layers" / "shared"))
    modules = []
    for path in sorted((ROOT / "functions").glob("*/app.py")):
        spec = importlib.util.spec_from_file_location(f"openapi_{path.parent.name}", path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        modules.append(module)
    return modules


def _documented(func: Any, path: str) -> Any:
    from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

    parameters = [
        inspect.Parameter(
            name,
            inspect.Parameter.KEYWORD_ONLY,
            annotation=Annotated[str, Path(min_length=1, max_length=64)],
        )
        for name in re.findall(r"<(\w+)>", path)
    ]
    query = getattr(func, "__portal_query__", None)
    if query is not None:
        hints = typing.get_type_hints(query)
        for item in dataclasses.fields(query):
            constraints = dict(item.metadata)  # the bounds PageQuery.parse enforces
            kind = hints[item.name]
            annotation = Annotated[kind, Query(**constraints)]  # type: ignore[valid-type]
            parameters.append(
                inspect.Parameter(
                    item.name,
                    inspect.Parameter.KEYWORD_ONLY,
                    default=item.default,
                    annotation=annotation,
                )
            )
    body = getattr(func, "__portal_body__", None)
    if body is not None:
        parameters.append(
            inspect.Parameter(
                "body",
                inspect.Parameter.KEYWORD_ONLY,
                annotation=Annotated[body, Body(embed=False)],
            )
        )

    def documented(**_: Any) -> None:
        return None

    documented.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    documented.__name__ = func.__name__
    documented.__doc__ = func.__doc__
    return documented


def build() -> dict[str, Any]:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

    combined = APIGatewayHttpResolver(enable_validation=True)
    bodies: list[type] = []
    for module in _handler_modules():
        app = getattr(module, "app", None)
        if app is None:  # scheduled functions have no routes
            continue
        for route in app._static_routes + app._dynamic_routes:
            body = getattr(route.func, "__portal_body__", None)
            if body is not None:
                bodies.append(body)
            combined.route(
                route.path,
                route.method,
                summary=(module.__doc__ or "").strip().splitlines()[0],
                responses=route.responses,
                operation_id=route.func.__name__,
            )(_documented(route.func, route.path))
    spec = json.loads(
        combined.get_openapi_json_schema(
            title="Customer Portal API",
            version="1.0.0",
            description="The HTTP contract of the Customer Portal (docs/API.md).",
        )
    )
    # Handlers answer malformed input with 400 in the contract's error shape, never Powertools' 422.
    for operations in spec["paths"].values():
        for operation in operations.values():
            operation["responses"].pop("422", None)
    schemas = spec.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    _copy_field_bounds(spec, bodies)
    spec.setdefault("components", {})["securitySchemes"] = {
        "session": {"type": "apiKey", "in": "cookie", "name": "__Host-portal_session"}
    }
    return spec


_BOUNDS = {"min_length": "minLength", "max_length": "maxLength", "ge": "minimum", "le": "maximum"}


def _copy_field_bounds(spec: dict[str, Any], bodies: list[type]) -> None:
    """Contract dataclasses carry the bounds their `parse` enforces as field metadata (pydantic
    does not read it): copy them into the component schemas."""
    from portal.edge.wire import camel

    schemas = spec.get("components", {}).get("schemas", {})
    for cls in bodies:
        properties = schemas.get(cls.__name__, {}).get("properties", {})
        for item in dataclasses.fields(cls):
            target = properties.get(camel(item.name))
            if target is not None:
                target.update({_BOUNDS[k]: v for k, v in item.metadata.items() if k in _BOUNDS})


def render() -> str:
    return json.dumps(build(), indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when docs/openapi.json is stale")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if not OUTPUT.exists() or OUTPUT.read_text() != text:
            print("docs/openapi.json is stale: run `make openapi` and commit it", file=sys.stderr)
            return 1
        print("docs/openapi.json is current")
        return 0
    OUTPUT.write_text(text)
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
