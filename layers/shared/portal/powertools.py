"""The one place the portal imports Powertools from: the parts it uses, without the package
`__init__`s that would load everything else.

`import aws_lambda_powertools.event_handler.api_gateway` runs these `__init__`s first: the root's
(Logger, Metrics and Tracer), event_handler's (every resolver Powertools has: AppSync with
asyncio, Bedrock agents, VPC Lattice, Lambda function URLs, the HTTP resolver), openapi's (its
merge tool) and utilities.data_classes' (some 40 event classes, of which the resolver names 7).
Measured 2026-12-02: ~65 ms of CPU at init and ~80 modules no portal function uses
(docs/decisions.md).

So, before anything of Powertools is imported, this module registers those packages as an import
would (their own spec: `__path__`, `__file__`; submodules import as usual) but without running
their `__init__`, and gives each a module `__getattr__` for the names it does not have yet:
- a name the `__init__` binds with `from x import name` (read from its source): imported from x,
  as that statement would (api_gateway's `from ...data_classes import ALBEvent, ...`);
- a submodule: imported;
- anything else (`__version__`, `__all__`): the package's real `__init__` runs then, once, and
  the package is as a plain import leaves it.
What the root `__init__` does besides importing is done here as it does it: Powertools' own
logger silent unless POWERTOOLS_DEBUG, and its botocore user-agent hook.

A package already imported (a test, a function that imported Powertools first) is left as it
is. tests/unit/test_powertools.py checks both ways in fresh processes.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import sys
import threading
from typing import TYPE_CHECKING, Any

import botocore

# The packages registered without their __init__, parents first.
LAZY_PACKAGES = (
    "aws_lambda_powertools",
    "aws_lambda_powertools.event_handler",
    "aws_lambda_powertools.event_handler.openapi",
    "aws_lambda_powertools.utilities.data_classes",
)
_lock = threading.RLock()  # one thread at a time resolves a name (the local stack has threads)


class _Package:
    """A package registered without its __init__: answers its module's `__getattr__`."""

    def __init__(self, name: str) -> None:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None or spec.submodule_search_locations is None:
            raise ImportError(f"{name} is not a package", name=name)
        self.name, self.spec = name, spec
        self.module = importlib.util.module_from_spec(spec)
        self._from_imports: dict[str, tuple[str, str]] | None = None
        self._initialising = False

    def register(self) -> None:
        self.module.__dict__["__getattr__"] = self.attribute
        sys.modules[self.name] = self.module
        parent, _, child = self.name.rpartition(".")
        if parent:
            setattr(sys.modules[parent], child, self.module)

    def attribute(self, name: str) -> Any:
        with _lock:
            namespace = self.module.__dict__
            if name in namespace:  # set while this thread waited for the lock
                return namespace[name]
            source = self.from_imports().get(name)
            if source is not None and source[0] != self.name:  # not `from . import submodule`
                namespace[name] = _imported(*source)
                return namespace[name]
            submodule = f"{self.name}.{name}"
            if not name.startswith("__") and importlib.util.find_spec(submodule) is not None:
                return importlib.import_module(submodule)
            if not self._initialising:  # else asked by its own __init__: not there yet
                self._run_init()
                if name in namespace:
                    return namespace[name]
            raise AttributeError(f"module {self.name!r} has no attribute {name!r}")

    def from_imports(self) -> dict[str, tuple[str, str]]:
        """{name: (module, its name there)} of the `from module import name [as name]`
        statements at the top level of the package's __init__."""
        if self._from_imports is None:
            assert self.spec.origin is not None
            with open(self.spec.origin, encoding="utf-8") as source:
                tree = ast.parse(source.read(), self.spec.origin)
            self._from_imports = {
                alias.asname or alias.name: (
                    importlib.util.resolve_name("." * node.level + (node.module or ""), self.name),
                    alias.name,
                )
                for node in tree.body
                if isinstance(node, ast.ImportFrom)
                for alias in node.names
            }
        return self._from_imports

    def _run_init(self) -> None:
        """The package's own __init__, in its module, as an import would have run it."""
        self._initialising = True
        try:
            if self.name == "aws_lambda_powertools":
                # It registers the user-agent hook again: once, as after a plain import.
                from aws_lambda_powertools.shared.user_agent import _initializer_botocore_session

                botocore.unregister_initializer(_initializer_botocore_session)
            assert self.spec.loader is not None
            self.spec.loader.exec_module(self.module)
        finally:
            self._initialising = False
        if self.module.__dict__.get("__getattr__") == self.attribute:
            del self.module.__dict__["__getattr__"]


def _imported(module: str, name: str) -> Any:
    """What `from module import name` binds: the module's attribute, or its submodule."""
    found = importlib.import_module(module)
    try:
        return getattr(found, name)
    except AttributeError:
        return importlib.import_module(f"{module}.{name}")


def _register_without_init(name: str) -> bool:
    """Whether `name` was registered here (False: it is imported already)."""
    if name in sys.modules:
        return False
    _Package(name).register()
    return True


_registered = [_register_without_init(package) for package in LAZY_PACKAGES]
if _registered[0]:  # the root __init__ did not run: what it does besides importing, here
    from aws_lambda_powertools.package_logger import set_package_logger_handler
    from aws_lambda_powertools.shared.user_agent import inject_user_agent

    set_package_logger_handler()
    inject_user_agent()

from aws_lambda_powertools.event_handler.api_gateway import (  # noqa: E402 - after the above
    APIGatewayHttpResolver,
    Response,
)
from aws_lambda_powertools.logging import correlation_paths  # noqa: E402
from aws_lambda_powertools.logging.logger import Logger  # noqa: E402
from aws_lambda_powertools.metrics.base import MetricUnit  # noqa: E402
from aws_lambda_powertools.metrics.metrics import Metrics  # noqa: E402
from aws_lambda_powertools.shared.cookies import Cookie, SameSite  # noqa: E402
from aws_lambda_powertools.utilities.typing.lambda_context import LambdaContext  # noqa: E402

if TYPE_CHECKING:  # the resolver's event type, for the type checker only
    from aws_lambda_powertools.utilities.data_classes.api_gateway_proxy_event import (
        APIGatewayProxyEventV2 as APIGatewayProxyEventV2,
    )

__all__ = [
    "APIGatewayHttpResolver",
    "Cookie",
    "LambdaContext",
    "Logger",
    "MetricUnit",
    "Metrics",
    "Response",
    "SameSite",
    "correlation_paths",
]
