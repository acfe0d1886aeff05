"""No heavy import when unused (PERFORMANCE.md), checked by exact module names in a fresh process
per handler: no handler loads the X-Ray SDK while tracing is off (POWERTOOLS_TRACE_DISABLED), and
no read (GET-only) handler loads Powertools' idempotency, parser or OpenAPI machinery.
bench/cold_init.py times the same init."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from bench.cold_init import READ_FORBIDDEN, XRAY, Function, Probe, functions, probe

pytestmark = pytest.mark.template


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
