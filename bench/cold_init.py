"""Cold start of every function as a user feels it (PERFORMANCE.md, issue 12).

In a fresh process: the handler's import, its clients AND its first invocation with a realistic
event, AWS answered by botocore's `Stubber` (bench/_probe.py); divided by `import boto3`, a
DynamoDB client and one stubbed GetItem, measured the same way. The events and the answers are
recorded once against the local stack (bench/_scenarios.py), then replayed: rounds interleave every
function and the baseline in a new random order each round, until the median of each function's
per-round ratio has a 95 % interval within +/- 0.03 (at least 41 rounds, at most 200: a function
that has not settled by then is reported as a miss). The time is the probe's CPU time (user +
system), the process running under SCHED_FIFO when we may, so other work on a shared machine
neither preempts it nor counts in it; wall time is printed beside it.

The bar (<= 1.30x) applies to every function a person waits on (browser-facing and activation);
the webhook, scheduled, stream and reconciliation functions are measured and recorded. Each run is
compared with the previous one (.bench/cold-start.json): the two must agree within 0.05.

    python bench/cold_init.py                   # until settled (41..200 rounds)
    python bench/cold_init.py --max-rounds 60   # a shorter cap (a function not settled: miss)

It also lists the watched modules each handler loads at init (import only: `probe`): the X-Ray
SDK (flagged while tracing is off) and, in read (GET-only) handlers, Powertools' idempotency,
parser and OpenAPI machinery. tests/template/test_init_imports.py reuses `functions`, `probe`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bench.bars import Bar

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "template.yaml"
LAYER = ROOT / "layers" / "shared"
BAR = 1.30
MIN_ROUNDS = 41
MAX_ROUNDS = 200
SETTLED = 0.03  # the 95 % interval of the median ratio within +/- this
AGREE = 0.05  # two runs' median ratios within this
PROBE = ROOT / "bench" / "_probe.py"
PREVIOUS = ROOT / ".bench" / "cold-start.json"

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


# ---------------------------------------------------------------- the cold start as a user feels it
BASELINE = "baseline"


@dataclass
class Target:
    """A function (or the baseline) with its recorded first event, replayed each round."""

    name: str
    function: Function | None
    spec: Path
    env: dict[str, str]
    cpu_ms: list[float] = field(default_factory=list)
    wall_ms: list[float] = field(default_factory=list)
    modules: frozenset[str] = frozenset()
    clients: int = 0

    @property
    def bar_applies(self) -> bool:
        return self.function is not None and self.function.person_waits


@dataclass(frozen=True)
class Ratio:
    median: float
    low: float
    high: float
    rounds: int

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2

    @property
    def settled(self) -> bool:
        return self.rounds >= MIN_ROUNDS and self.half_width <= SETTLED + 1e-9  # float sums


def median_interval(values: list[float]) -> tuple[float, float, float]:
    """The median and its distribution-free 95 % interval: the order statistics j and k around
    n/2 +/- 1.96 sqrt(n)/2 (the binomial(n, 1/2) bounds), for n >= 6."""
    ordered = sorted(values)
    n = len(ordered)
    spread = 1.96 * math.sqrt(n) / 2
    low = max(math.floor(n / 2 - spread), 1)  # 1-based ranks
    high = min(math.ceil(n / 2 + 1 + spread), n)
    return statistics.median(ordered), ordered[low - 1], ordered[high - 1]


def ratio(target: Target, baseline: Target) -> Ratio:
    """Median over rounds of the target's CPU time / the same round's baseline."""
    pairs = [t / b for t, b in zip(target.cpu_ms, baseline.cpu_ms, strict=False)]
    median, low, high = median_interval(pairs)
    return Ratio(median, low, high, len(pairs))


def _realtime() -> None:  # pragma: no cover - runs in the child before exec
    """SCHED_FIFO for the probe when we may (root): nothing else on the machine preempts it."""
    with contextlib.suppress(AttributeError, PermissionError, OSError):
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))


def _run_probe(spec: Path, env: dict[str, str], *, realtime: bool = False) -> dict[str, Any]:
    command = [sys.executable, "-I", str(PROBE), str(spec)]
    done = subprocess.run(
        command,
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_realtime if realtime else None,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{spec.stem}: probe failed\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def replay(target: Target, *, realtime: bool = False) -> dict[str, Any]:
    """One measured cold start of the target in a fresh process: the probe's JSON line (cpu_ms,
    wall_ms, status, clients, modules). Raises when the replay strays from the recording."""
    return _run_probe(target.spec, target.env, realtime=realtime)


def _base_env(name: str, memory: str = "512") -> dict[str, str]:
    """What Lambda's python3.13 runtime sets for every function, and fake credentials."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "LANG": "C.UTF-8",
        **AWS_ENV,
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": memory,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
    }


def record(folder: Path, stack: Any) -> list[Target]:
    """Every function serving its first event against the local stack once, its AWS answers
    written; the baseline's GetItem too (an item of the demo data). The replay environment is the
    function's own (template), the stack's settings, fake credentials, no AWS endpoint."""
    from bench import _scenarios
    from local import aws
    from local.demo_data import DEMO_EMAIL
    from portal.data import keys
    from portal.types import normalize_email

    events = _scenarios.events(stack)
    recording_env = {k: v for k, v in aws.aws_environment(stack.moto_url).items() if v}
    targets = []
    by_folder = {function.app.parent.name: function for function in functions()}
    if missing := set(by_folder) - set(events):
        raise RuntimeError(f"bench/_scenarios.py has no first event for {sorted(missing)}")
    for name in events:  # in the scenarios' order: no event spoils a later one
        function = by_folder[name]
        event_file = folder / f"{name}.event.json"
        event_file.write_text(json.dumps(events[name]), encoding="utf-8")
        spec: dict[str, Any] = {
            "mode": "record",
            "app": str(function.app),
            "attribute": function.attribute,
            "layer": str(LAYER),
            "event": str(event_file),
            "answers": str(folder / f"{name}.answers.pickle"),
        }
        env = {**_base_env(function.logical_id), **function.environment, **stack.environment}
        targets.append(_target(name, function, folder, spec, env, recording_env))
    lookup = keys.email_lookup(normalize_email(DEMO_EMAIL))
    baseline_request = {
        "TableName": stack.table_name,
        "Key": {name: {"S": value} for name, value in lookup.items()},
    }
    spec = {
        "mode": "record",
        "app": "",
        "baseline_request": baseline_request,
        "answers": str(folder / "baseline.answers.pickle"),
    }
    targets.insert(0, _target(BASELINE, None, folder, spec, _base_env(BASELINE), recording_env))
    return targets


def _target(
    name: str,
    function: Function | None,
    folder: Path,
    spec: dict[str, Any],
    env: dict[str, str],
    recording_env: dict[str, str],
) -> Target:
    path = folder / f"{name}.record.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    recorded = _run_probe(path, {**env, **recording_env})
    status = int(recorded["status"])
    if not 200 <= status < 300 or not recorded["calls"]:
        raise RuntimeError(f"{name}: its first event was answered {status}: {recorded}")
    spec["mode"] = "replay"
    replay = folder / f"{name}.replay.json"
    replay.write_text(json.dumps(spec), encoding="utf-8")
    return Target(name, function, replay, env)


def run_rounds(
    targets: list[Target], *, max_rounds: int, seed: int | None = None, quiet: bool = False
) -> int:
    """Interleaved rounds, a new random order each, until every function has settled (or the
    cap). A function that has settled is no longer replayed; the baseline runs every round."""
    import random

    shuffle = random.Random(seed).shuffle
    baseline, functions_ = targets[0], targets[1:]
    for target in targets:  # warm-up, not counted: bytecode caches, page cache; fails fast
        replay(target)
    rounds = 0
    pending = list(functions_)
    while pending and rounds < max_rounds:
        rounds += 1
        order = [baseline, *pending]
        shuffle(order)
        for target in order:
            result = replay(target, realtime=True)
            target.cpu_ms.append(float(result["cpu_ms"]))
            target.wall_ms.append(float(result["wall_ms"]))
            target.modules = frozenset(result["modules"])
            target.clients = int(result["clients"])
        if rounds >= MIN_ROUNDS:
            # A function that settled stays with the rounds it had; the baseline keeps going,
            # so each function's ratio pairs it with the baseline of its own rounds.
            pending = [t for t in pending if not ratio(t, baseline).settled]
        if not quiet and (rounds % 10 == 0 or not pending):
            widest = max(
                (ratio(t, baseline) for t in (pending or functions_)), key=lambda r: r.half_width
            )
            print(
                f"  round {rounds}: {len(functions_) - len(pending)}/{len(functions_)} settled,"
                f" widest interval +/-{widest.half_width:.3f}",
                flush=True,
            )
    return rounds


def _previous() -> dict[str, float]:
    try:
        data = json.loads(PREVIOUS.read_text(encoding="utf-8"))
        return {str(k): float(v) for k, v in data["ratios"].items()}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _save(ratios: dict[str, Ratio], baseline_ms: float, rounds: int) -> None:
    PREVIOUS.parent.mkdir(exist_ok=True)
    PREVIOUS.write_text(
        json.dumps(
            {
                "ratios": {name: r.median for name, r in ratios.items()},
                "baseline_cpu_ms": baseline_ms,
                "rounds": rounds,
                "python": platform.python_version(),
                "machine": platform.machine(),
                "load": os.getloadavg(),
            },
            indent=2,
        ),
        encoding="utf-8",
    )


def measure(max_rounds: int = MAX_ROUNDS, *, quiet: bool = False) -> list[Bar]:
    """Record, replay until settled, print the figures; one Bar per function and one for the
    agreement with the previous run."""
    import logging
    import tempfile

    from local.stack import LocalStack

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's request lines
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="cold-start-") as tmp, LocalStack(seed=True) as stack:
        targets = record(Path(tmp), stack)
        rounds = run_rounds(targets, max_rounds=max_rounds, quiet=quiet)
    baseline = targets[0]
    ratios = {t.name: ratio(t, baseline) for t in targets[1:]}
    previous = _previous()
    base_cpu = statistics.median(baseline.cpu_ms)
    print(
        f"\nCold start (import + clients + first invocation, AWS answered by Stubber), "
        f"{rounds} interleaved rounds, CPU time; Python {platform.python_version()}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs, load {load_before[0]:.2f} -> "
        f"{os.getloadavg()[0]:.2f}"
    )
    print(
        f"baseline `import boto3` + client + stubbed GetItem: CPU {base_cpu:.1f} ms "
        f"(wall {statistics.median(baseline.wall_ms):.1f} ms)"
    )
    header = f"{'function':<24}{'ratio':>7}  {'95% interval':<15}{'rounds':>7}{'cpu ms':>8}"
    print(header + f"{'wall ms':>9}{'clients':>8}{'prev':>7}")
    for target in targets[1:]:
        r = ratios[target.name]
        before = previous.get(target.name)
        print(
            f"{target.name:<24}{r.median:>7.3f}  [{r.low:.3f}, {r.high:.3f}]  {r.rounds:>5}"
            f"{statistics.median(target.cpu_ms):>8.1f}{statistics.median(target.wall_ms):>9.1f}"
            f"{target.clients:>8}{'' if before is None else f'{before:>7.3f}'}"
        )
    bars = verdicts({t.name: t.bar_applies for t in targets[1:]}, ratios, previous)
    _save(ratios, base_cpu, rounds)
    _print_watched(targets[1:])
    return bars


def verdicts(
    bar_applies: dict[str, bool], ratios: dict[str, Ratio], previous: dict[str, float]
) -> list[Bar]:
    """One Bar per function (the bar where a person waits, recorded elsewhere; a miss wherever
    the interval has not settled) and one for the agreement with the previous run."""
    from bench.bars import Bar

    bars = []
    for name, r in ratios.items():
        measured = f"{r.median:.2f}x [{r.low:.2f}-{r.high:.2f}], {r.rounds} rounds"
        row = f"cold start: {name}"
        if not r.settled:
            target = (
                f"<= {BAR:.2f}x, settled to +/-{SETTLED:.2f}"
                if bar_applies[name]
                else (f"settled to +/-{SETTLED:.2f}")
            )
            bars.append(Bar(row, target, measured + ", NOT settled", "miss"))
        elif bar_applies[name]:
            bars.append(Bar.check(row, f"<= {BAR:.2f}x", measured, r.median <= BAR))
        else:
            bars.append(Bar(row, "recorded (no person waits)", measured, "recorded"))
    agreement = "cold start: agrees with the previous run"
    common = [name for name in ratios if name in previous]
    if not common:
        where = PREVIOUS.relative_to(ROOT)
        bars.append(Bar(agreement, f"within {AGREE:.2f}", f"no previous run ({where})", "recorded"))
        return bars
    worst = max(common, key=lambda name: abs(ratios[name].median - previous[name]))
    gap = abs(ratios[worst].median - previous[worst])
    unmatched = sorted(set(ratios) - set(previous))
    measured = f"widest gap {gap:.3f} ({worst})" + (f"; new: {unmatched}" if unmatched else "")
    bars.append(
        Bar.check(
            agreement, f"every ratio within {AGREE:.2f}", measured, gap <= AGREE and not unmatched
        )
    )
    return bars


def _print_watched(targets: list[Target]) -> None:
    print(
        "\nWatched modules loaded by the end of the first invocation (" + ", ".join(WATCHED) + "):"
    )
    for target in targets:
        assert target.function is not None
        result = Probe(0.0, target.modules)
        watched = result.loaded(WATCHED)
        kind = "read" if target.function.read_only else "write"
        print(f"{target.name} ({kind}): " + (_compact(watched) if watched else "none"))


def bars(max_rounds: int | None = None) -> list[Bar]:
    """The cold-start rows of `make bench`'s table."""
    return measure(max_rounds or MAX_ROUNDS)


def main(argv: list[str] | None = None) -> int:
    from bench.bars import missed, table

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-rounds", type=int, default=MAX_ROUNDS, help="cap on the rounds")
    args = parser.parse_args(argv)
    if args.max_rounds < MIN_ROUNDS:
        parser.error(f"--max-rounds must be at least {MIN_ROUNDS}")
    rows = measure(args.max_rounds)
    print("\n" + table(rows))
    return 1 if missed(rows) else 0


if __name__ == "__main__":
    sys.exit(main())
