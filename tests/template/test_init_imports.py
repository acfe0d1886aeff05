"""No heavy import when unused (PERFORMANCE.md), checked by exact module names in a fresh process
per handler: no handler loads the X-Ray SDK while tracing is off (POWERTOOLS_TRACE_DISABLED), no
read (GET-only) handler loads Powertools' idempotency, parser or OpenAPI machinery, and no
browser-facing handler loads pydantic - neither at import nor while serving a first realistic
request against the local stack (moto server, demo data). The webhook, which may, is recorded.
bench/cold_init.py times the same init."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from bench import cold_init
from bench.cold_init import READ_FORBIDDEN, XRAY, Function, Probe, functions, probe
from local.stack import LocalStack

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
    "forget_browsers",
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
@pytest.fixture(scope="module")
def invoked(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, Probe]]:
    """Each function imported and serving its first realistic event in a fresh process, as
    bench/cold_init.py measures it: recorded against the local stack (moto server, demo data),
    then replayed with AWS answered by botocore's Stubber: (HTTP status, modules loaded by the end
    of the replay). A replay that strays from the recorded path fails here."""
    folder = tmp_path_factory.mktemp("cold-start")
    with LocalStack(seed=True) as stack:
        targets = cold_init.record(folder, stack)
        with ThreadPoolExecutor(max_workers=2) as pool:
            answers = list(pool.map(cold_init.replay, targets))
    return {
        target.name: (int(answer["status"]), Probe(0.0, frozenset(answer["modules"])))
        for target, answer in zip(targets, answers, strict=True)
    }


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
