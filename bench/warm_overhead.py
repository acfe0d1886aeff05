"""Warm handler overhead (PERFORMANCE.md): list licenses in-process, DynamoDB answered by botocore's
Stubber (no network, no moto), a 20-item page; p50 / p99 over N calls after a warm-up.

    python bench/warm_overhead.py [--calls 1000] [--json FIGURES.json]

`measure()` returns the figures, `bars()` the two rows of `python -m bench`'s table (the handler's
own time and the whole invocation, each against p50 <= 1 ms, p99 <= 3 ms). Exit 1 on a miss.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "layers" / "shared"), str(ROOT)]

from bench.bars import Bar  # noqa: E402

P50_BAR_MS = 1.0
P99_BAR_MS = 3.0
ENVIRONMENT = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",  # a dummy for botocore's signer
    "TABLE_NAME": "PortalTable",
    "PORTAL_ORIGIN": "http://127.0.0.1:3000",
    "POWERTOOLS_SERVICE_NAME": "customer-portal",
    "POWERTOOLS_METRICS_NAMESPACE": "CustomerPortal",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}
TOKEN = "A" * 43
CUSTOMER = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
CURSOR_KEY = "bench-cursor-key"


@dataclass(frozen=True)
class Figures:
    """Milliseconds per call: the handler's own time (botocore's excluded) and the whole
    invocation (botocore's included), p50 and p99 over `calls` calls after a warm-up."""

    calls: int
    own_p50_ms: float
    own_p99_ms: float
    whole_p50_ms: float
    whole_p99_ms: float


def license_item(n: int) -> dict:
    from portal.data import keys
    from portal.data.store import to_attributes

    lic_id = f"01ARZ3NDEKTSV4RRFFQ69G{n:04d}"
    return to_attributes(
        {
            **keys.license_key(CUSTOMER, lic_id),
            "licenseId": lic_id,
            "software": "TSplus",
            "serialNumber": f"P{n:02d}",
            "users": 10,
            "edition": "Enterprise",
            "orderNumber": "JWT190529-3058-61127",
            "purchasedOn": "2019-05-29",
            "supportUntil": "2027-06-03",
            "supportFile": True,
            "upgradable": False,
        }
    )


def _p50_p99(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.99) - 1]


def measure(calls: int = 1000) -> Figures:
    """The warm list_licenses handler, `calls` times. Sets this process's environment for the
    handler (ENVIRONMENT) first: run it in a process of its own (`python -m bench` does)."""
    os.environ.update(ENVIRONMENT)
    from botocore.stub import Stubber

    from portal.aws import clients as aws_clients
    from portal.data.store import to_attributes
    from tests.support import ORIGIN_SECRET, Context, event

    handler = ROOT / "functions" / "list_licenses" / "app.py"
    spec = importlib.util.spec_from_file_location("bench_list", handler)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    client = aws_clients.dynamodb()
    stored_session = {"customerId": CUSTOMER, "createdAt": 1, "lastSeenAt": 1}
    session = {"Attributes": to_attributes(stored_session)}
    page = {"Items": [license_item(n) for n in range(21)], "Count": 21, "ScannedCount": 21}
    ev = event("list_licenses", token=TOKEN, query={"limit": "20"})
    warmup = 50
    timings = []
    own_timings = []
    in_client = [0.0]
    real_call = client._make_api_call

    def timed_call(*call_args: Any, **call_kwargs: Any) -> Any:  # time inside botocore
        started = time.perf_counter()
        try:
            return real_call(*call_args, **call_kwargs)
        finally:
            in_client[0] += time.perf_counter() - started

    client._make_api_call = timed_call
    # The front door reads the origin secret once, the first page's cursor the cursor key once
    # (then both come from the per-container cache).
    secrets = Stubber(aws_clients.secretsmanager())
    secrets.add_response("get_secret_value", {"SecretString": ORIGIN_SECRET})
    secrets.add_response("get_secret_value", {"SecretString": CURSOR_KEY})
    with secrets, Stubber(client) as stub:
        for _ in range(calls + warmup):
            stub.add_response("update_item", session)
            stub.add_response("query", page)
        for i in range(calls + warmup):
            in_client[0] = 0.0
            started = time.perf_counter()
            response = module.lambda_handler(ev, Context())
            elapsed = time.perf_counter() - started
            assert response["statusCode"] == 200, response
            if i >= warmup:
                timings.append(elapsed * 1000)
                own_timings.append((elapsed - in_client[0]) * 1000)
    own_p50, own_p99 = _p50_p99(own_timings)
    whole_p50, whole_p99 = _p50_p99(timings)
    return Figures(calls, own_p50, own_p99, whole_p50, whole_p99)


def bars(figures: Figures) -> list[Bar]:
    target = f"p50 <= {P50_BAR_MS:g} ms, p99 <= {P99_BAR_MS:g} ms"
    rows = (
        ("handler's own time (excl. botocore)", figures.own_p50_ms, figures.own_p99_ms),
        ("whole invocation (incl. botocore)", figures.whole_p50_ms, figures.whole_p99_ms),
    )
    return [
        Bar.check(
            f"warm, 20-item page: {label}",
            target,
            f"p50 {p50:.3f} ms, p99 {p99:.3f} ms ({figures.calls} calls)",
            p50 <= P50_BAR_MS and p99 <= P99_BAR_MS,
        )
        for label, p50, p99 in rows
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if args.calls < 100:
        parser.error("--calls must be at least 100 (a p99 needs them)")
    figures = measure(args.calls)
    print(f"warm list_licenses, 20-item page, {args.calls} calls, DynamoDB answered by Stubber:")
    for label, p50, p99 in (
        ("handler overhead (excl. botocore)", figures.own_p50_ms, figures.own_p99_ms),
        ("whole invocation (incl. botocore)", figures.whole_p50_ms, figures.whole_p99_ms),
    ):
        verdict = "PASS" if p50 <= P50_BAR_MS and p99 <= P99_BAR_MS else "FAIL"
        print(f"  {label:36s} p50 {p50:.3f} ms  p99 {p99:.3f} ms  (bar p50<=1, p99<=3) {verdict}")
    if args.json:
        args.json.write_text(json.dumps(asdict(figures)) + "\n", encoding="utf-8")
    return 0 if all(bar.verdict == "pass" for bar in bars(figures)) else 1


if __name__ == "__main__":
    sys.exit(main())
