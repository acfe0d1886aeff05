"""Production defaults for what the domain functions take as parameters: settings, the store and
the clock. Built on first use and cached per container; tests pass their own instead."""

from __future__ import annotations

from functools import cache

from portal.clock import SYSTEM_CLOCK, Clock
from portal.config import Settings, get_settings
from portal.store import Store


def settings() -> Settings:
    return get_settings()


@cache
def store() -> Store:
    return Store(get_settings().table_name)


def clock() -> Clock:
    return SYSTEM_CLOCK


def reset() -> None:
    """Forget cached settings and store (tests that change the environment)."""
    get_settings.cache_clear()
    store.cache_clear()
