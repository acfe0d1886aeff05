"""The bars of PERFORMANCE.md that tests assert exactly (no heavy import when unused; DynamoDB round
trips; items examined; the reminder job's reads; the webhook's calls per order): `python -m bench`
runs the tests each bar names in one pytest process and makes one `Bar` of each, from pytest's
JUnit XML. A bar passes when every test it names ran and none failed; a test that is not found,
not run, failed or errored makes it a miss (a skip is shown, and misses nothing by itself).

docs/performance.md's table names the same tests.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bench.bars import Bar

ROOT = Path(__file__).resolve().parents[1]
Outcome = Literal["passed", "failed", "error", "skipped"]

_IMPORTS = "tests/template/test_init_imports.py"
_PROBE_GUARD = f"{_IMPORTS}::test_the_probe_sees_what_a_handler_loads"
_UNIT = "tests/unit"


@dataclass(frozen=True)
class AssertedBar:
    """A bar and the tests (pytest node ids, or whole files) that assert it."""

    name: str
    target: str
    tests: tuple[str, ...]


IMPORT_BARS = (
    AssertedBar(
        "no X-Ray SDK at init while tracing is off",
        "not loaded unless tracing is on",
        (f"{_IMPORTS}::test_no_handler_loads_the_xray_sdk_while_tracing_is_off", _PROBE_GUARD),
    ),
    AssertedBar(
        "read handlers: no idempotency/parser/OpenAPI",
        "none of that machinery loaded at init",
        (f"{_IMPORTS}::test_read_handlers_load_no_idempotency_parser_or_openapi", _PROBE_GUARD),
    ),
    AssertedBar(
        "browser-facing handlers: no pydantic",
        "none at init nor serving a first request",
        (
            f"{_IMPORTS}::test_browser_facing_handlers_import_no_pydantic",
            f"{_IMPORTS}::test_browser_facing_handlers_load_no_pydantic_when_invoked",
            f"{_IMPORTS}::test_the_webhook_loads_pydantic_and_the_parser_when_it_ingests",
        ),
    ),
)

_REMINDER_READS = (
    f"{_UNIT}/test_reminders.py::"
    "test_reads_grow_with_the_supports_due_and_their_customers_never_with_the_table"
)
COUNTED_BARS = (
    AssertedBar(
        "DynamoDB round trips per request",
        "reads 1 session + 1 data; sign-in, activation <= 3; no Scan",
        (
            f"{_UNIT}/test_call_counts.py",
            f"{_UNIT}/test_orders.py::test_order_pages_are_one_session_read_and_one_data_read",
            f"{_UNIT}/test_license_files.py::test_a_download_is_one_session_read_and_one_data_read",
            f"{_UNIT}/test_activation.py::test_activate_and_refresh_take_at_most_three_dynamodb_calls",
            f"{_UNIT}/test_activation.py::test_the_same_computer_again_gets_the_same_binding",
            f"{_UNIT}/test_rehosting.py::"
            "test_portal_license_calls_are_one_session_read_and_at_most_two_more",
        ),
    ),
    AssertedBar(
        "items examined (every Query)",
        "ScannedCount == Count, always",
        (
            f"{_UNIT}/test_call_counts.py::test_each_read_page_is_one_session_read_and_one_data_read",
            f"{_UNIT}/test_call_counts.py::test_logout_is_one_call_and_no_request_ever_scans",
            f"{_UNIT}/test_call_counts.py::"
            "test_signing_out_everywhere_is_a_query_and_one_batch_per_25_items",
            f"{_UNIT}/test_orders.py::test_order_pages_are_one_session_read_and_one_data_read",
            f"{_UNIT}/test_activation.py::test_activate_and_refresh_take_at_most_three_dynamodb_calls",
            f"{_UNIT}/test_records.py::test_page_of_serves_licenses_and_supports_one_query_each",
            _REMINDER_READS,
        ),
    ),
    AssertedBar(
        "reminder job: items read, 1k -> 100k supports",
        "grow with the supports due and their customers, never with the table",
        (_REMINDER_READS,),
    ),
    AssertedBar(
        "webhook: DynamoDB calls per order of n lines",
        "one transaction + a constant",
        (f"{_UNIT}/test_webhooks.py::test_webhook_calls_are_one_transaction_plus_a_constant",),
    ),
)


# ---------------------------------------------------------------- results of a pytest run
@dataclass(frozen=True)
class Result:
    outcome: Outcome
    message: str = ""


_OUTCOMES: dict[str, Outcome] = {"failure": "failed", "error": "error", "skipped": "skipped"}


def read_junit(path: Path) -> dict[str, Result]:
    """Node id -> result, from pytest's JUnit XML (module-level test functions: the classname is
    the module's dotted path)."""
    results: dict[str, Result] = {}
    for case in ET.parse(path).getroot().iter("testcase"):  # noqa: S314 - our own pytest's
        module = case.get("classname", "").replace(".", "/")
        node = f"{module}.py::{case.get('name', '')}"
        outcome: Outcome = "passed"
        message = ""
        for child in case:
            if child.tag in _OUTCOMES:
                outcome, message = _OUTCOMES[child.tag], child.get("message", "")
                if outcome != "skipped":
                    break
        # a test that failed in its call and again in teardown has two children: keep the worst
        if node in results and results[node].outcome in {"failed", "error"}:
            continue
        results[node] = Result(outcome, message)
    return results


def _selected(spec: str, results: Mapping[str, Result]) -> dict[str, Result]:
    """The results a spec names: a whole file's tests, or one test with its parametrisations."""
    if "::" not in spec:
        return {n: r for n, r in results.items() if n.startswith(spec + "::")}
    return {n: r for n, r in results.items() if n == spec or n.startswith(spec + "[")}


def _short(node: str) -> str:
    return node.rsplit("::", 1)[-1]


def verdicts(
    bars: Sequence[AssertedBar], results: Mapping[str, Result], why_not_run: str = ""
) -> list[Bar]:
    """One Bar per AssertedBar from the results of the run of their tests."""
    out = []
    for bar in bars:
        chosen: dict[str, Result] = {}
        missing = []
        for spec in bar.tests:
            found = _selected(spec, results)
            if not found:
                missing.append(spec)
            chosen.update(found)
        bad = [n for n, r in chosen.items() if r.outcome in {"failed", "error"}]
        passed = [n for n, r in chosen.items() if r.outcome == "passed"]
        skipped = [r.message for r in chosen.values() if r.outcome == "skipped"]
        if bad:
            names = ", ".join(_short(n) for n in bad[:3])
            more = f" (+{len(bad) - 3} more)" if len(bad) > 3 else ""
            measured = f"{len(bad)} of {len(chosen)} tests fail: {names}{more}"
        elif missing:
            names = ", ".join(_short(s) for s in missing[:3])
            reason = f" ({why_not_run})" if why_not_run else ""
            measured = f"not run{reason}: {names}"
        elif not passed:
            measured = "no test passed: " + "; ".join(skipped)[:120]
        else:
            measured = f"{len(passed)} tests pass" if len(passed) > 1 else "1 test passes"
            if skipped:
                measured += f", {len(skipped)} skipped ({skipped[0][:80]})"
        out.append(
            Bar.check(bar.name, bar.target, measured, not bad and not missing and bool(passed))
        )
    return out


def unique_tests(bars: Iterable[AssertedBar]) -> list[str]:
    """Every spec once, in order; a test inside a file already listed whole is left out."""
    specs = list(dict.fromkeys(spec for bar in bars for spec in bar.tests))
    files = {s for s in specs if "::" not in s}
    return [s for s in specs if "::" not in s or s.split("::", 1)[0] not in files]


def run(bars: Sequence[AssertedBar]) -> list[Bar]:
    """The tests of `bars` in one pytest process (its progress shown), then one Bar each."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "layers" / "shared"), str(ROOT)]),
        "POWERTOOLS_METRICS_DISABLED": "true",  # as `make test` runs them
    }
    with tempfile.TemporaryDirectory(prefix="bench-tested-") as folder:
        junit = Path(folder) / "junit.xml"
        command = [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:randomly",
            "-q",
            "-n",
            "0",
            "--tb=short",
            f"--junitxml={junit}",
            *unique_tests(bars),
        ]
        done = subprocess.run(command, cwd=ROOT, env=env, check=False)
        results = read_junit(junit) if junit.is_file() else {}
    return verdicts(bars, results, f"pytest exit {done.returncode}" if done.returncode else "")
