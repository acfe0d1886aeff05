"""Cold init of every handler (PERFORMANCE.md): in fresh processes, the time to import the handler
module and build its DynamoDB client, median over interleaved rounds, divided by the same for
`import boto3; boto3.client("dynamodb")`. The bar (<= 1.30x) applies to every function a person
waits on (browser-facing and, later, activation); the webhook and scheduled functions are measured
and recorded (PERFORMANCE.md).

    python bench/cold_init.py              # 21 rounds (the minimum the bar allows)
    python bench/cold_init.py --rounds 41

It also lists the watched modules each handler loads at init: the X-Ray SDK (flagged while tracing
is off) and, in read (GET-only) handlers, Powertools' idempotency, parser and OpenAPI machinery.
tests/template/test_init_imports.py reuses `functions` and `probe` from here.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "template.yaml"
LAYER = ROOT / "layers" / "shared"
BAR = 1.30
MIN_ROUNDS = 21

WATCHED = (
    "aws_xray_sdk",
    "aws_lambda_powertools.utilities.idempotency",
    "aws_lambda_powertools.utilities.parser",
    "aws_lambda_powertools.event_handler.openapi",
)
XRAY = ("aws_xray_sdk",)
# What a read handler must not load. Powertools' api_gateway module imports five small modules of
# event_handler.openapi (config, constants, exceptions, types, merge) unconditionally, so every
# resolver has them; the machinery is the models, params, dependant, encoders, schema generation,
# Swagger UI and the validation middleware, loaded only when validation or docs are switched on.
READ_FORBIDDEN = (
    "aws_lambda_powertools.utilities.idempotency",
    "aws_lambda_powertools.utilities.parser",
    *(
        f"aws_lambda_powertools.event_handler.openapi.{name}"
        for name in (
            "compat",
            "dependant",
            "encoders",
            "models",
            "params",
            "pydantic_loader",
            "schema_generator",
            "swagger_ui",
        )
    ),
    "aws_lambda_powertools.event_handler.middlewares.openapi_validation",
)

# Values for the template's intrinsics that cannot be resolved offline.
LOCAL_VALUES = {
    "TABLE_NAME": "PortalTable",
    "PORTAL_ORIGIN": "http://127.0.0.1:3000",
}
AWS_ENV = {
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_REGION": "eu-west-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}

# Runs in a fresh `python -I`: times the handler import plus the client, prints one JSON line.
_PROBE = """
import importlib.util, json, sys, time
app_path, attribute, layer = sys.argv[1:4]
start = time.perf_counter()
if app_path:
    sys.path[:0] = [app_path.rsplit("/", 1)[0], layer]
    spec = importlib.util.spec_from_file_location("app", app_path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["app"] = module
    spec.loader.exec_module(module)
    from portal.aws import clients as aws_clients
    aws_clients.dynamodb()
    assert callable(getattr(module, attribute)), attribute
else:
    import boto3
    boto3.client("dynamodb")
elapsed = time.perf_counter() - start
print(json.dumps({"ms": elapsed * 1000, "modules": sorted(sys.modules)}))
"""


@dataclass(frozen=True)
class Function:
    logical_id: str
    app: Path
    attribute: str
    methods: frozenset[str]
    environment: dict[str, str] = field(compare=False)
    paths: frozenset[str] = frozenset()

    @property
    def person_waits(self) -> bool:
        """Behind an HTTP route that a browser or the vendor's product calls (not FastSpring's
        webhook, not a schedule): the cold-start bar applies."""
        return any(not path.startswith("/api/webhooks/") for path in self.paths)

    @property
    def tracing_off(self) -> bool:
        return self.environment.get("POWERTOOLS_TRACE_DISABLED", "").lower() == "true"

    @property
    def read_only(self) -> bool:
        """Every route of the function is a GET."""
        return self.methods == {"GET"}


@dataclass(frozen=True)
class Probe:
    ms: float
    modules: frozenset[str]

    def loaded(self, prefixes: tuple[str, ...]) -> list[str]:
        """The loaded modules that are, or sit under, one of the prefixes."""
        return sorted(
            m for m in self.modules if any(m == p or m.startswith(p + ".") for p in prefixes)
        )


def load_template() -> dict[str, Any]:
    from samcli.yamlhelper import yaml_parse

    return dict(yaml_parse(TEMPLATE.read_text()))


def _resolve(name: str, value: Any, parameters: dict[str, Any]) -> str | None:
    if isinstance(value, str | int | float | bool):
        return str(value).lower() if isinstance(value, bool) else str(value)
    if name in LOCAL_VALUES:
        return LOCAL_VALUES[name]
    if isinstance(value, dict) and set(value) == {"Ref"}:
        default = parameters.get(value["Ref"], {}).get("Default")
        return None if default is None else str(default)
    if isinstance(value, dict) and set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
        text = value["Fn::Sub"]
        for parameter, spec in parameters.items():
            if "Default" in spec:
                text = text.replace("${" + parameter + "}", str(spec["Default"]))
        return None if "${" in text else text
    return None


def functions(template: dict[str, Any] | None = None) -> list[Function]:
    """Every AWS::Serverless::Function in the template, with the environment Lambda would give it
    (Globals merged with its own; intrinsics resolved to parameter defaults or local values)."""
    template = template or load_template()
    parameters = template.get("Parameters", {})
    globals_ = template.get("Globals", {}).get("Function", {})
    found = []
    for logical_id, resource in template.get("Resources", {}).items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        props = {**globals_, **resource.get("Properties", {})}
        variables = {
            **globals_.get("Environment", {}).get("Variables", {}),
            **resource.get("Properties", {}).get("Environment", {}).get("Variables", {}),
        }
        environment = {}
        for name, value in variables.items():
            resolved = _resolve(name, value, parameters)
            if resolved is not None:
                environment[name] = resolved
        module, _, attribute = str(props["Handler"]).rpartition(".")
        routes = [
            event["Properties"]
            for event in props.get("Events", {}).values()
            if event.get("Type") in {"HttpApi", "Api"}
        ]
        methods = frozenset(str(route.get("Method", "ANY")).upper() for route in routes)
        paths = frozenset(str(route.get("Path", "")) for route in routes)
        app = ROOT / str(props["CodeUri"]) / (module.replace(".", "/") + ".py")
        found.append(Function(logical_id, app, attribute, methods, environment, paths))
    return found


def probe(function: Function | None) -> Probe:
    """One fresh process: import the handler and build its client (None: the boto3 baseline)."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "LANG": "C.UTF-8",
        **AWS_ENV,
        **(function.environment if function else {}),
    }
    command = [
        sys.executable,
        "-I",
        "-c",
        _PROBE,
        str(function.app) if function else "",
        function.attribute if function else "",
        str(LAYER),
    ]
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        name = function.logical_id if function else "baseline"
        raise RuntimeError(f"{name}: init failed\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return Probe(result["ms"], frozenset(result["modules"]))


def _compact(modules: list[str]) -> str:
    """`a.b, a.b.c, a.b.d` as `a.b (+ c, d)`."""
    groups: dict[str, list[str]] = {}
    for module in modules:
        parent = next((p for p in groups if module.startswith(p + ".")), None)
        if parent is None:
            groups[module] = []
        else:
            groups[parent].append(module[len(parent) + 1 :])
    return "; ".join(f"{p} (+ {', '.join(subs)})" if subs else p for p, subs in groups.items())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=MIN_ROUNDS, help="interleaved rounds")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")

    targets: list[Function | None] = [None, *functions()]
    for target in targets:  # warm-up, not counted: writes bytecode caches, fails fast
        probe(target)
    timings: dict[Function | None, list[float]] = {target: [] for target in targets}
    last: dict[Function | None, Probe] = {}
    for round_ in range(args.rounds):
        shift = round_ % len(targets)  # rotate the order so no target always runs first
        for target in targets[shift:] + targets[:shift]:
            result = probe(target)
            timings[target].append(result.ms)
            last[target] = result

    baseline = statistics.median(timings[None])
    print(
        f"Cold init, median of {args.rounds} interleaved rounds in fresh processes "
        f"(Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs)"
    )
    if args.rounds < MIN_ROUNDS:
        print(f"note: fewer than the {MIN_ROUNDS} rounds the bar asks for")
    print(f'baseline `import boto3; boto3.client("dynamodb")`: {baseline:.1f} ms')
    width = max(len(f.logical_id) for f in targets if f) + 2
    print(f"{'function':<{width}}{'median ms':>10}{'ratio':>8}  vs {BAR:.2f}")
    failed = 0
    for function in targets[1:]:
        assert function is not None
        median = statistics.median(timings[function])
        ratio = median / baseline
        if function.person_waits:
            verdict = "PASS" if ratio <= BAR else "FAIL"
        else:
            verdict = "recorded (no person waits)"
        failed += verdict == "FAIL"
        print(f"{function.logical_id:<{width}}{median:>10.1f}{ratio:>8.2f}  {verdict}")

    print("\nWatched modules loaded at init (" + ", ".join(WATCHED) + "):")
    for function in targets[1:]:
        assert function is not None
        result = last[function]
        forbidden = (XRAY if function.tracing_off else ()) + (
            READ_FORBIDDEN if function.read_only else ()
        )
        flagged = result.loaded(forbidden)
        failed += bool(flagged)
        watched = result.loaded(WATCHED)
        kind = "read" if function.read_only else "write"
        print(f"{function.logical_id} ({kind}): {len(watched)} watched module(s)")
        if flagged:
            print("    FLAG: " + ", ".join(flagged))
        allowed = [m for m in watched if m not in flagged]
        if allowed:
            print("    allowed: " + _compact(allowed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
