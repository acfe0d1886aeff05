"""Test support shared by every test floor: the environment, the portal table created from
template.yaml, handler invocation with events from events/, and a DynamoDB call recorder."""

from __future__ import annotations

import copy
import importlib.util
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EVENTS = ROOT / "events"
ORIGIN = "http://127.0.0.1:3000"

TEST_ENV = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "TABLE_NAME": "PortalTable",
    "STAGE": "test",
    "PORTAL_ORIGIN": ORIGIN,
    "SECRETS_PREFIX": "customer-portal/local/",
    "CLIENT_IP_HEADER": "cloudfront-viewer-address",
    "POWERTOOLS_SERVICE_NAME": "customer-portal",
    "POWERTOOLS_METRICS_NAMESPACE": "CustomerPortal",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}

_handlers: dict[str, ModuleType] = {}


def handler(name: str) -> ModuleType:
    """functions/<name>/app.py, imported under a unique module name."""
    if name not in _handlers:
        path = ROOT / "functions" / name / "app.py"
        spec = importlib.util.spec_from_file_location(f"functions_{name}_app", path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _handlers[name] = module
    return _handlers[name]


class Context:
    function_name = "customer-portal-test"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:customer-portal-test"
    aws_request_id = "00000000-0000-0000-0000-000000000000"
    log_group_name = "/aws/lambda/test"
    log_stream_name = "test"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 10_000


def sample_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / f"{name}.json").read_text())


def event(
    name: str,
    *,
    token: str | None = None,
    body: Any = None,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    ip: str = "203.0.113.24",
    origin: str | None = ORIGIN,
) -> dict[str, Any]:
    """The sample event of function `name`, adapted: session token, body, query, headers."""
    ev = copy.deepcopy(sample_event(name))
    ev["headers"]["cloudfront-viewer-address"] = f"{ip}:443"
    if "origin" in ev["headers"] or origin != ORIGIN:
        if origin is None:
            ev["headers"].pop("origin", None)
        else:
            ev["headers"]["origin"] = origin
    ev["cookies"] = [f"__Host-portal_session={token}"] if token else []
    if body is not None:
        ev["body"] = body if isinstance(body, str) else json.dumps(body)
    if query is not None:
        ev["queryStringParameters"] = query or None
        ev["rawQueryString"] = "&".join(f"{k}={v}" for k, v in query.items())
    for key, value in (headers or {}).items():
        ev["headers"][key.lower()] = value
    return ev


def invoke(name: str, ev: dict[str, Any]) -> dict[str, Any]:
    return handler(name).lambda_handler(ev, Context())


def body_of(response: dict[str, Any]) -> Any:
    return json.loads(response["body"]) if response.get("body") else None


def session_token(response: dict[str, Any]) -> str:
    for cookie in response.get("cookies", []):
        name, _, rest = cookie.partition("=")
        if name == "__Host-portal_session":
            return rest.split(";")[0]
    raise AssertionError(f"no session cookie in {response.get('cookies')}")


@dataclass
class CallLog:
    """DynamoDB operations issued, in order, recorded by botocore event hooks."""

    operations: list[str] = field(default_factory=list)
    query_counts: list[tuple[int, int]] = field(default_factory=list)

    def clear(self) -> None:
        self.operations.clear()
        self.query_counts.clear()


@contextmanager
def recording(client: Any) -> Iterator[CallLog]:
    log = CallLog()

    def before(model: Any, **_: Any) -> None:
        log.operations.append(model.name)

    def after(http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name == "Query":
            log.query_counts.append((parsed.get("ScannedCount", -1), parsed.get("Count", -2)))

    events = client.meta.events
    events.register("before-call.dynamodb", before, unique_id="test-before")
    events.register("after-call.dynamodb", after, unique_id="test-after")
    try:
        yield log
    finally:
        events.unregister("before-call.dynamodb", unique_id="test-before")
        events.unregister("after-call.dynamodb", unique_id="test-after")
