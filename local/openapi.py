"""Generate docs/openapi.json from the handlers themselves (Powertools' OpenAPI generator).

Handlers parse requests through portal.edge.request with no validation machinery at run time.
Each handler's resolver (portal.edge.resolver.Resolver) keeps a public record of its operations:
method, path, function, documented responses, and the shapes it reads - path parameters, query
and JSON body, every field a portal.fields.Field whose limits the parser enforces. Here each
operation is registered again on one validation-enabled resolver through Powertools' public
`route()`, with a signature built from those same Fields, and Powertools' public
`get_openapi_json_schema()` writes the document: validation and documentation share one
declaration, and no private attribute of Powertools is read.

    python -m local.openapi          write docs/openapi.json
    python -m local.openapi --check  fail when the committed document is stale
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import json
import sys
from pathlib import Path
from typing import Annotated, Any

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "openapi.json"
SESSION_SCHEME = "session"  # the session cookie, on every route that reads the signed-in customer


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


def constraints(field: Any) -> dict[str, Any]:
    """The limits of a portal.fields.Field as pydantic/Powertools parameter arguments."""
    found = {
        "min_length": field.min_length,
        "max_length": field.max_length,
        "pattern": field.pattern.pattern if field.pattern is not None else None,
        "ge": field.ge,
        "le": field.le,
        "description": field.description,
    }
    return {name: value for name, value in found.items() if value is not None}


def _annotation(field: Any) -> Any:
    """The field's type; optional (nullable) only when absence means None."""
    return field.kind if field.required or field.default is not None else field.kind | None


def body_model(shape: type) -> Any:
    """A pydantic model of a declared request body: the same names, limits, and no others."""
    import pydantic

    from portal.fields import declared

    members: dict[str, Any] = {}
    for _, field in declared(shape):
        info = pydantic.Field(... if field.required else field.default, **constraints(field))
        members[field.name] = (_annotation(field), info)
    config = pydantic.ConfigDict(extra="forbid", title=shape.__name__)
    return pydantic.create_model(shape.__name__, __config__=config, **members)


def _documented(operation: Any) -> Any:
    """A stand-in for the operation's function whose signature describes what it reads."""
    from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

    from portal.fields import declared

    keyword = inspect.Parameter.KEYWORD_ONLY
    parameters = [
        inspect.Parameter(
            field.name, keyword, annotation=Annotated[str, Path(**constraints(field))]
        )
        for field in operation.parameters
    ]
    if operation.query is not None:
        for _, field in declared(operation.query):
            parameters.append(
                inspect.Parameter(
                    field.name,
                    keyword,
                    default=inspect.Parameter.empty if field.required else field.default,
                    annotation=Annotated[_annotation(field), Query(**constraints(field))],
                )
            )
    if operation.body is not None:
        model = body_model(operation.body)
        if operation.body_required:
            body = inspect.Parameter(
                "body", keyword, annotation=Annotated[model, Body(embed=False)]
            )
        else:
            body = inspect.Parameter(
                "body", keyword, default=None, annotation=Annotated[model | None, Body(embed=False)]
            )
        parameters.append(body)

    def documented(**_: Any) -> None:
        return None

    documented.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    documented.__name__ = operation.function.__name__
    documented.__doc__ = operation.function.__doc__
    return documented


def operations() -> list[tuple[Any, Any]]:
    """(handler module, operation) of every route every handler serves."""
    from portal.edge.resolver import Resolver

    found = []
    for module in _handler_modules():
        app = getattr(module, "app", None)
        if isinstance(app, Resolver):  # scheduled functions have no routes
            found += [(module, operation) for operation in app.operations]
    return found


def build() -> dict[str, Any]:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
    from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn

    from portal.config import SESSION_COOKIE

    combined = APIGatewayHttpResolver(enable_validation=True)
    for module, operation in operations():
        combined.route(
            operation.path,
            operation.method,
            summary=(module.__doc__ or "").strip().splitlines()[0],
            responses=operation.responses,
            operation_id=operation.function.__name__,
            security=[{SESSION_SCHEME: []}] if operation.signed_in else None,
        )(_documented(operation))
    spec = json.loads(
        combined.get_openapi_json_schema(
            title="Customer Portal API",
            version="1.0.0",
            description="The HTTP contract of the Customer Portal (docs/API.md).",
            security_schemes={
                SESSION_SCHEME: APIKey(name=SESSION_COOKIE, **{"in": APIKeyIn.cookie})
            },
        )
    )
    # Handlers answer malformed input with 400 in the contract's error shape, never Powertools' 422.
    for operations_of_path in spec["paths"].values():
        for documented in operations_of_path.values():
            documented["responses"].pop("422", None)
    schemas = spec.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return spec


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
