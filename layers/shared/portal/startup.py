"""The cold start without garbage-collector pauses.

A function's cold start (its imports, its first clients' service models, its first request)
allocates a few hundred thousand objects that live as long as the container. Python's cyclic
collector runs every few hundred allocations and, as the heap grows, its full passes walk all of
them again: in a fresh process it was a third of a browser-facing function's first request
(bench/cold_init.py, docs/decisions.md 2026-12-02). Inside Lambda (`AWS_LAMBDA_FUNCTION_NAME` is
set), importing `portal` pauses the collector; after the first invocation `started()` moves every
object alive then to the permanent generation (`gc.freeze`, so no later pass walks them either)
and turns the collector back on. Outside Lambda (tests, the local stack, the admin tool) nothing
changes.

Every handler imports `portal` before any other third-party package
(tests/unit/test_startup.py), so the pause covers Powertools and boto3 too.
"""

from __future__ import annotations

import functools
import gc
import os
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

PAUSED = bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME")) and gc.isenabled()
_pending = PAUSED

if PAUSED:
    gc.disable()


def started() -> None:
    """The first invocation is over: freeze what the cold start made, collect again."""
    global _pending  # once per container
    if _pending:
        _pending = False
        gc.freeze()
        gc.enable()


def entry_point(handler: Callable[P, T]) -> Callable[P, T]:
    """A Lambda entry point that calls `started()` once its first invocation returns or raises."""

    @functools.wraps(handler)
    def invoke(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return handler(*args, **kwargs)
        finally:
            if _pending:
                started()

    return invoke
