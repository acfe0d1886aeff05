"""No heavy import when unused (PERFORMANCE.md), checked by exact module names in a fresh process
per handler: no handler loads the X-Ray SDK while tracing is off (POWERTOOLS_TRACE_DISABLED), no
read (GET-only) handler loads Powertools' idempotency, parser or OpenAPI machinery, and no
browser-facing handler loads pydantic - neither at import nor while serving a first realistic
request against the local stack (moto server, demo data). The webhook, which may, is recorded.
bench/cold_init.py times the same init."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from bench.cold_init import LAYER, READ_FORBIDDEN, XRAY, Function, Probe, functions, probe
from local import aws
from local import fastspring as fs
from local.demo_data import DEMO_EMAIL, DEMO_ORDER, SECOND_EMAIL, SECOND_ORDER
from local.stack import LocalStack
from portal.fastspring.signatures import signature
from tests.support import PENDING_COOKIE, ROOT, HttpClient, event, signed_in_client

pytestmark = pytest.mark.template

PYDANTIC = ("pydantic", "pydantic_core")
# Every function a person waits on (PERFORMANCE.md's cold-start bar), by its functions/ folder.
BROWSER_FACING = (
    "login",
    "verify_code",
    "sign_in_link",
    "logout",
    "me",
    "list_licenses",
    "list_supports",
    "list_orders",
    "order_detail",
    "download_file",
    "activation_keys",
    "activation",
    "manage_license",
    "preferences",
    "upgrade_quote",
    "upgrade_checkout",
)
WEBHOOK = "fastspring_webhook"


@pytest.fixture(scope="module")
def loaded() -> dict[Function, Probe]:
    handlers = functions()
    assert handlers
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(handlers, pool.map(probe, handlers), strict=True))


def test_no_handler_loads_the_xray_sdk_while_tracing_is_off(
    loaded: dict[Function, Probe],
) -> None:
    untraced = {f: p for f, p in loaded.items() if f.tracing_off}
    if not untraced:
        pytest.skip("every function has POWERTOOLS_TRACE_DISABLED unset: tracing is on")
    assert {f.logical_id: p.loaded(XRAY) for f, p in untraced.items() if p.loaded(XRAY)} == {}


def test_read_handlers_load_no_idempotency_parser_or_openapi(
    loaded: dict[Function, Probe],
) -> None:
    readers = {f: p for f, p in loaded.items() if f.read_only}
    assert readers, "the template should have GET-only handlers"
    heavy = {f.logical_id: p.loaded(READ_FORBIDDEN) for f, p in readers.items()}
    assert {name: modules for name, modules in heavy.items() if modules} == {}


def test_the_probe_sees_what_a_handler_loads(loaded: dict[Function, Probe]) -> None:
    """Guards against a probe that could never fail: the handler's own modules are there."""
    for function, result in loaded.items():
        assert "portal.aws.clients" in result.modules, function.logical_id
        if function.methods:  # an HTTP handler
            assert "aws_lambda_powertools.event_handler.api_gateway" in result.modules


def test_browser_facing_handlers_import_no_pydantic(loaded: dict[Function, Probe]) -> None:
    by_folder = {f.app.parent.name: p for f, p in loaded.items()}
    assert set(BROWSER_FACING) <= set(by_folder), "a browser-facing function left the template"
    heavy = {name: by_folder[name].loaded(PYDANTIC) for name in BROWSER_FACING}
    assert {name: modules for name, modules in heavy.items() if modules} == {}


# ---------------------------------------------------------------- imported AND invoked once
# Runs in a fresh `python -I`: imports the handler, serves one event, prints one JSON line.
_INVOKE = """
import importlib.util, json, sys
app_path, layer, event_path = sys.argv[1:4]
sys.path[:0] = [app_path.rsplit("/", 1)[0], layer]
spec = importlib.util.spec_from_file_location("app", app_path)
module = importlib.util.module_from_spec(spec)
sys.modules["app"] = module
spec.loader.exec_module(module)


class Context:
    function_name = "init-imports-probe"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:init-imports-probe"
    aws_request_id = "00000000-0000-0000-0000-000000000001"
    log_group_name = "/aws/lambda/init-imports-probe"
    log_stream_name = "probe"

    @staticmethod
    def get_remaining_time_in_millis():
        return 10_000


with open(event_path, encoding="utf-8") as file:
    answer = module.lambda_handler(json.load(file), Context())
print(json.dumps({"status": answer.get("statusCode"), "modules": sorted(sys.modules)}))
"""


def _sign_in(stack: LocalStack, email: str = DEMO_EMAIL, order: str = DEMO_ORDER) -> str:
    """A session over HTTP, signed in like a person (the code from the stack's mailbox)."""
    client = signed_in_client(stack.base_url, {"email": email, "orderNumber": order})
    assert client.token
    return client.token


def _pending_code(stack: LocalStack) -> tuple[str, str]:
    """A pending sign-in of the second demo customer over HTTP: (its cookie's token, its code)."""
    client = HttpClient(stack.base_url)
    before = client.mailbox_ids()
    assert client.login(SECOND_EMAIL, SECOND_ORDER).status_code == 202
    code = client.mailed(SECOND_EMAIL, after=before)
    assert client.pending
    return client.pending, code


def _first_bound_license_id(stack: LocalStack, token: str) -> str:
    """The newest of the demo customer's licenses bound to a computer (only those have a file)."""
    request = urllib.request.Request(
        stack.base_url + "/api/licenses", headers={"Cookie": f"__Host-portal_session={token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return next(str(lic["id"]) for lic in json.load(answer)["items"] if lic["computerId"])


def _upgrade_quote(stack: LocalStack, token: str) -> dict[str, Any]:
    """A quote for the second demo customer's Remote Work license, asked over HTTP."""
    request = urllib.request.Request(
        stack.base_url + "/api/licenses", headers={"Cookie": f"__Host-portal_session={token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        license_id = next(str(lic["id"]) for lic in json.load(answer)["items"] if lic["upgradable"])
    request = urllib.request.Request(
        stack.base_url + "/api/upgrades/quotes",
        data=json.dumps({"licenseId": license_id, "additionalWorkstations": 3}).encode(),
        method="POST",
        headers={
            "Cookie": f"__Host-portal_session={token}",
            "Content-Type": "application/json",
            "Origin": stack.base_url,
        },
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return dict(json.load(answer)) | {"licenseId": license_id}


def _get(token: str, origin: str, path: str, route: str, params: dict[str, str]) -> dict:
    """A GET event of the HTTP API for `route` (no sample in events/ for these two)."""
    ev = event("me", token=token, origin=origin)
    ev["routeKey"] = ev["requestContext"]["routeKey"] = f"GET {route}"
    ev["rawPath"] = ev["requestContext"]["http"]["path"] = path
    ev["pathParameters"] = params or None
    return ev


def _events(stack: LocalStack) -> dict[str, dict[str, Any]]:
    origin, token, leaving = stack.base_url, _sign_in(stack), _sign_in(stack)
    license_id = _first_bound_license_id(stack, token)
    upgrading = _sign_in(stack, SECOND_EMAIL, SECOND_ORDER)
    quote = _upgrade_quote(stack, upgrading)
    quote_event = event(
        "upgrade_quote",
        token=upgrading,
        origin=origin,
        body={"licenseId": quote["licenseId"], "additionalWorkstations": 2},
    )
    checkout_event = event("upgrade_checkout", token=upgrading, origin=origin)
    checkout_path = f"/api/upgrades/quotes/{quote['quoteId']}/checkout"
    checkout_event["rawPath"] = checkout_event["requestContext"]["http"]["path"] = checkout_path
    checkout_event["pathParameters"] = {"quote_id": quote["quoteId"]}
    pending, code = _pending_code(stack)
    body = fs.batch(fs.order_completed(email="init.probe@example.com", skus=["T-ENT-5"]))
    webhook = event(WEBHOOK, origin=None)
    webhook["body"], webhook["isBase64Encoded"] = body.decode(), False
    webhook["headers"]["x-fs-signature"] = signature(stack.secrets[_WEBHOOK_SECRET], body)
    return {
        "login": event(
            "login", body={"email": DEMO_EMAIL, "orderNumber": DEMO_ORDER}, origin=origin
        ),
        "verify_code": event(
            "verify_code", body={"code": code}, cookies={PENDING_COOKIE: pending}, origin=origin
        ),
        "sign_in_link": event("sign_in_link", body={"email": SECOND_EMAIL}, origin=origin),
        "logout": event("logout", token=leaving, origin=origin),
        "me": event("me", token=token, origin=origin),
        "list_licenses": event("list_licenses", token=token, query={}, origin=origin),
        "list_supports": event("list_supports", token=token, query={}, origin=origin),
        "list_orders": event("list_orders", token=token, query={}, origin=origin),
        "order_detail": event("order_detail", token=token, origin=origin),
        "download_file": _get(
            token,
            origin,
            f"/api/licenses/{license_id}/file",
            "/api/licenses/{license_id}/file",
            {"license_id": license_id},
        ),
        "activation_keys": _get(token, origin, "/api/activation/keys", "/api/activation/keys", {}),
        "activation": event("activation"),  # the product: the demo key, a new computer
        "manage_license": _get(
            token,
            origin,
            f"/api/licenses/{license_id}/history",
            "/api/licenses/{license_id}/history",
            {"license_id": license_id},
        ),
        "preferences": event("preferences", token=token, origin=origin),  # PUT {reminders}
        "upgrade_quote": quote_event,  # 201
        "upgrade_checkout": checkout_event,  # a session on the stack's FastSpring stand-in
        WEBHOOK: webhook,
    }


_WEBHOOK_SECRET = aws.LOCAL_SECRETS_PREFIX + "fastspring-webhook"


def _invoke(name: str, ev: dict[str, Any], env: dict[str, str], folder: Path) -> tuple[int, Probe]:
    event_file = folder / f"{name}.json"
    event_file.write_text(json.dumps(ev), encoding="utf-8")
    app = ROOT / "functions" / name / "app.py"
    command = [sys.executable, "-I", "-c", _INVOKE, str(app), str(LAYER), str(event_file)]
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{name}: invocation failed\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return int(result["status"]), Probe(0.0, frozenset(result["modules"]))


@pytest.fixture(scope="module")
def invoked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple[int, Probe]]]:
    """Each browser-facing handler and the webhook, imported and invoked once in a fresh process
    against the local stack: (HTTP status, modules loaded)."""
    folder = tmp_path_factory.mktemp("events")
    with LocalStack(seed=True) as stack:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "LANG": "C.UTF-8",
            **{k: v for k, v in aws.aws_environment(stack.moto_url).items() if v is not None},
            **stack.environment,
        }
        events = _events(stack)
        with ThreadPoolExecutor(max_workers=2) as pool:
            answers = pool.map(lambda item: _invoke(*item, env, folder), events.items())
            yield dict(zip(events, answers, strict=True))


def test_browser_facing_handlers_load_no_pydantic_when_invoked(
    invoked: dict[str, tuple[int, Probe]],
) -> None:
    # given each browser-facing handler, imported and serving a first real request
    statuses = {name: invoked[name][0] for name in BROWSER_FACING}
    assert {name: s for name, s in statuses.items() if s not in (200, 201, 202, 204)} == {}
    # then none of them loaded pydantic or pydantic-core
    heavy = {name: invoked[name][1].loaded(PYDANTIC) for name in BROWSER_FACING}
    assert {name: modules for name, modules in heavy.items() if modules} == {}


def test_the_webhook_loads_pydantic_and_the_parser_when_it_ingests(
    invoked: dict[str, tuple[int, Probe]],
) -> None:
    """Recorded, and the guard that the check above can fail: the webhook, which validates
    FastSpring's events with pydantic through Powertools' parser, is seen loading them."""
    status, webhook = invoked[WEBHOOK]
    assert status == 200
    assert {"pydantic", "pydantic_core", "aws_lambda_powertools.utilities.parser"} <= (
        webhook.modules
    )
