"""Production defaults for what the domain functions take as parameters: settings, the store,
the clock and the cursors' seal. Built on first use and cached per container; tests pass their
own instead.

`reset()` is the one place that knows every per-container cache of the portal (clients, settings,
store, secrets, opened activation keys, public keys, the signing-key list): tests and the local
stack call it whenever the environment or the AWS endpoint changes."""

from __future__ import annotations

import sys
from functools import cache

from portal.aws.secrets import rotating_secret
from portal.clock import SYSTEM_CLOCK, Clock
from portal.config import Settings, get_settings
from portal.data.cursors import CURSOR_SECRET, Cursors
from portal.data.store import Store

# (module, function) of every cache kept per container; modules not imported yet hold nothing.
_CACHES = (
    ("portal.aws.clients", "reset"),
    ("portal.aws.secrets", "forget"),
    ("portal.aws.sealing", "forget"),
    ("portal.aws.signing", "forget"),
    ("portal.aws.signing_keys", "forget"),
)


def settings() -> Settings:
    return get_settings()


@cache
def store() -> Store:
    return Store(get_settings().table_name)


def clock() -> Clock:
    return SYSTEM_CLOCK


def cursors() -> Cursors:
    """Cursors sealed with the `<prefix>cursor-key` secret, read (and cached per container with
    every secret, portal.aws.secrets) only when a cursor is made or opened."""
    name = get_settings().secrets_prefix + CURSOR_SECRET
    return Cursors(lambda: rotating_secret(name))


def reset() -> None:
    """Forget every per-container cache (when the environment or the AWS endpoint changes)."""
    get_settings.cache_clear()
    store.cache_clear()
    for module_name, function in _CACHES:
        module = sys.modules.get(module_name)
        if module is not None:
            getattr(module, function)()
