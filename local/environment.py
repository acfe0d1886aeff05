"""The handlers' environment locally: template.yaml's variables, resolved for a machine without AWS.

Each function gets Globals + its own Environment.Variables as SAM CLI resolves them (parameters,
pseudo parameters and conditions, with parameter_overrides), then:
- a variable in local_overrides() takes the local value (stage, origin, secrets prefix, ...);
- a plain `!Ref SomeTable` becomes that table's local name;
- any other reference to a resource (!GetAtt, !Sub "${X.Attr}", !Ref of a non-table) has no local
  value - SAM CLI would silently pass a placeholder (a fake Lambda ARN, "$X.Attr") - so the start
  fails with UnresolvedEnvironment until local_overrides() names a value for it.
Handlers share one process, so the union of all functions' variables goes into os.environ once:
per-function differences are not isolated (a warning names the variable).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

from local.aws import LOCAL_SECRETS_PREFIX, read_template

LOG = logging.getLogger(__name__)

_FUNCTION_TYPES = {"AWS::Serverless::Function", "AWS::Lambda::Function"}


class UnresolvedEnvironment(ValueError):
    """A handler variable refers to a deployed resource: give it a value in local_overrides()."""


def local_overrides(origin: str, fastspring: str | None = None) -> dict[str, str]:
    """Handler variables whose local value differs from any deployed stage.

    fastspring: the URL of the local FastSpring stand-in (local/fastspring_store.py), which is
    then both the checkout base and the API base; None leaves the template's values."""
    overrides = {
        "STAGE": "local",
        "PORTAL_ORIGIN": origin,
        "SECRETS_PREFIX": LOCAL_SECRETS_PREFIX,
        "ORIGIN_VERIFY": "off",  # no CloudFront: no origin header; the TCP peer is the client
        "ALLOW_TEST_ORDERS": "true",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "CustomerPortal",
    }
    if fastspring is not None:
        overrides |= {"FASTSPRING_CHECKOUT_BASE": fastspring, "FASTSPRING_API_BASE": fastspring}
    return overrides


def parameter_overrides(origin: str) -> dict[str, str]:
    """Template parameters for SAM CLI's resolver (ones the template lacks are ignored)."""
    return {"Stage": "local", "AllowTestOrders": "true", "PortalOrigin": origin}


def raw_variables(template: Path) -> dict[str, dict[str, Any]]:
    """Function logical id -> its variables as written (Globals merged), intrinsics unresolved."""
    document = read_template(template)
    globals_ = (document.get("Globals") or {}).get("Function") or {}
    shared = (globals_.get("Environment") or {}).get("Variables") or {}
    found: dict[str, dict[str, Any]] = {}
    for logical_id, resource in (document.get("Resources") or {}).items():
        if resource.get("Type") in _FUNCTION_TYPES:
            own = ((resource.get("Properties") or {}).get("Environment") or {}).get("Variables")
            inherited = shared if resource["Type"] == "AWS::Serverless::Function" else {}
            found[logical_id] = {**inherited, **(own or {})}
    return found


def referenced_resources(value: Any, resources: Collection[str]) -> set[str]:
    """Logical ids of resources an (unresolved) intrinsic value refers to."""
    if isinstance(value, list):
        return set().union(*(referenced_resources(item, resources) for item in value))
    if not isinstance(value, dict):
        return set()
    found: set[str] = set()
    for key, argument in value.items():
        if key == "Ref":
            found |= {argument} & set(resources)
        elif key == "Fn::GetAtt":
            name = argument[0] if isinstance(argument, list) else str(argument).split(".")[0]
            found |= {name} & set(resources)
        elif key == "Fn::Sub":
            parts = argument if isinstance(argument, list) else [argument]
            found |= set(re.findall(r"\$\{([^}.!]+)", str(parts[0]))) & set(resources)
            found |= referenced_resources(parts[1:], resources)
        else:
            found |= referenced_resources(argument, resources)
    return found


def _stringify(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def handler_environment(
    functions: Iterable[Any],
    template: Path,
    tables: Mapping[str, str],
    overrides: Mapping[str, str],
) -> dict[str, str]:
    """Union of the functions' variables for local use (see the module docstring)."""
    raw = raw_variables(template)
    resources = set(read_template(template).get("Resources") or {})
    environment: dict[str, str] = {}
    for function in functions:
        resolved = (function.environment or {}).get("Variables") or {}
        for name, value in resolved.items():
            written = raw.get(function.name, {}).get(name)
            refs = referenced_resources(written, resources)
            if name in overrides:
                local = overrides[name]
            elif isinstance(written, dict) and written.get("Ref") in tables:
                local = tables[written["Ref"]]
            elif refs or isinstance(value, dict | list):
                raise UnresolvedEnvironment(
                    f"{function.name}: {name} refers to {sorted(refs) or value!r}, which has no "
                    "local value; add one to local.environment.local_overrides"
                )
            else:
                local = _stringify(value)
            if environment.get(name, local) != local:
                LOG.warning("%s differs between functions; %s gets %r", name, function.name, local)
            environment[name] = local
    return environment | dict(overrides)
