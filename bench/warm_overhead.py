"""Warm handler overhead (PERFORMANCE.md): list licenses in-process, DynamoDB answered by botocore's
Stubber (no network, no moto), a 20-item page; p50 / p99 over N calls after a warm-up.

    python bench/warm_overhead.py [--calls 1000]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "layers" / "shared"), str(ROOT)]
os.environ.update(
    AWS_DEFAULT_REGION="us-east-1",
    AWS_ACCESS_KEY_ID="bench",
    AWS_SECRET_ACCESS_KEY="bench",  # noqa: S106 - a dummy for botocore's signer
    TABLE_NAME="PortalTable",
    PORTAL_ORIGIN="http://127.0.0.1:3000",
    POWERTOOLS_SERVICE_NAME="customer-portal",
    POWERTOOLS_METRICS_NAMESPACE="CustomerPortal",
    POWERTOOLS_METRICS_DISABLED="true",
    POWERTOOLS_LOG_LEVEL="WARNING",
)

from botocore.stub import Stubber  # noqa: E402

from portal.aws import clients as aws_clients  # noqa: E402
from portal.data import keys  # noqa: E402
from portal.data.store import to_attributes  # noqa: E402
from tests.support import ORIGIN_SECRET, Context, event  # noqa: E402

TOKEN = "A" * 43
CUSTOMER = "01ARZ3NDEKTSV4RRFFQ69G5FAV"


def license_item(n: int) -> dict:
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=1000)
    args = parser.parse_args()
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

    def timed_call(*call_args, **call_kwargs):  # time spent inside botocore (the "DynamoDB" part)
        started = time.perf_counter()
        try:
            return real_call(*call_args, **call_kwargs)
        finally:
            in_client[0] += time.perf_counter() - started

    client._make_api_call = timed_call
    # The front door reads the origin secret once (then from its per-container cache).
    secrets = Stubber(aws_clients.secretsmanager())
    secrets.add_response("get_secret_value", {"SecretString": ORIGIN_SECRET})
    with secrets, Stubber(client) as stub:
        for _ in range(args.calls + warmup):
            stub.add_response("update_item", session)
            stub.add_response("query", page)
        for i in range(args.calls + warmup):
            in_client[0] = 0.0
            started = time.perf_counter()
            response = module.lambda_handler(ev, Context())
            elapsed = time.perf_counter() - started
            assert response["statusCode"] == 200, response
            if i >= warmup:
                timings.append(elapsed * 1000)
                own_timings.append((elapsed - in_client[0]) * 1000)
    print(f"warm list_licenses, 20-item page, {args.calls} calls, DynamoDB answered by Stubber:")
    for label, values in (
        ("handler overhead (excl. botocore)", own_timings),
        ("whole invocation (incl. botocore)", timings),
    ):
        values.sort()
        p50 = statistics.median(values)
        p99 = values[int(len(values) * 0.99) - 1]
        verdict = "PASS" if p50 <= 1 and p99 <= 3 else "FAIL"
        print(f"  {label:36s} p50 {p50:.3f} ms  p99 {p99:.3f} ms  (bar p50<=1, p99<=3) {verdict}")


if __name__ == "__main__":
    main()
