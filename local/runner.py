"""An in-process stand-in for SAM CLI's Docker-based LocalLambdaRunner.

SAM CLI's LocalApigwService builds the genuine HTTP API v2 event and calls
`runner.invoke(function_identifier, event_json, tenant_id=..., stdout=StreamWriter, stderr=...)`;
it then reads the function's JSON result from `stdout` and turns it into the HTTP response. This
runner resolves the function with SamFunctionProvider (CodeUri + Handler), imports the handler
file by path under a unique module name (every function's file is app.py), puts the function's
layers on sys.path (as /opt/python would be), and calls the handler with a minimal LambdaContext.

One event at a time in the whole process: Powertools keeps an invocation's state process-wide -
the resolver's current event on a class (`BaseRouter.current_event`; seen: the home page's
parallel calls answering with another call's query string; portal.edge.resolver now keeps each
thread's request apart), the Logger's keys (the request id, the correlation id) and the metrics
about to be flushed - harmless in Lambda, where a container runs one event at a time, wrong for
two functions running at once in one process. So one lock serialises every invocation, as one
Lambda container per function would serialise each function's own. Timeouts are reported by the
context but not enforced. Signatures are SAM CLI internals, pinned at aws-sam-cli 1.170.0
(tests/integration/test_local_stack.py covers them).
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import sys
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from samcli.lib.providers.sam_function_provider import SamFunctionProvider
from samcli.local.lambdafn.exceptions import FunctionNotFound

_MODULE_IDS = itertools.count()


@dataclass
class LocalContext:
    """The parts of the Lambda context object handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int
    timeout_seconds: int
    function_version: str = "$LATEST"
    log_stream_name: str = "local"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    _started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        elapsed = time.monotonic() - self._started
        return max(0, int((self.timeout_seconds - elapsed) * 1000))


def load_module(file: Path, function_name: str) -> ModuleType:
    """A function's handler module (functions/<name>/app.py), imported under a name of its own
    (every function's module is `app`)."""
    name = f"_local_fn_{function_name}_{next(_MODULE_IDS)}"
    spec = importlib.util.spec_from_file_location(name, file)
    if spec is None or spec.loader is None:
        raise FunctionNotFound(f"cannot load {file}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def layer_paths(functions: SamFunctionProvider) -> list[Path]:
    """Directories of the functions' layers, as Lambda puts them on sys.path (/opt/python)."""
    paths: list[Path] = []
    for function in functions.get_all():
        for layer in function.layers:
            root = Path(layer.codeuri)
            path = root / "python" if (root / "python").is_dir() else root
            if path not in paths:
                paths.append(path)
    return paths


class InProcessRunner:
    """Duck-types LocalLambdaRunner for LocalApigwService: `invoke` and `is_debugging`."""

    def __init__(self, functions: SamFunctionProvider) -> None:
        self._functions = functions
        self._modules: dict[str, ModuleType] = {}
        self._one_at_a_time = threading.Lock()
        for path in reversed(layer_paths(functions)):
            if str(path) not in sys.path:
                sys.path.insert(0, str(path))

    def is_debugging(self) -> bool:
        return False

    def _module(self, function: Any) -> ModuleType:
        if function.name not in self._modules:
            module_path, _ = function.handler.rsplit(".", 1)
            file = Path(function.codeuri, *module_path.split(".")).with_suffix(".py")
            self._modules[function.name] = load_module(file, function.name)
        return self._modules[function.name]

    def invoke(
        self,
        function_identifier: str,
        event: str,
        tenant_id: str | None = None,
        stdout: Any = None,
        stderr: Any = None,
        **_: Any,
    ) -> None:
        function = self._functions.get(function_identifier)
        if function is None:
            raise FunctionNotFound(f"Unable to find a Function with name '{function_identifier}'")
        payload = json.loads(event)
        # HTTP APIs send header names in lower case; SAM passes Flask's Title-Case through.
        payload["headers"] = {k.lower(): v for k, v in (payload.get("headers") or {}).items()}
        context = LocalContext(function.name, int(function.memory or 128), function.timeout or 3)
        with self._one_at_a_time:
            try:
                handler = getattr(self._module(function), function.handler.rsplit(".", 1)[1])
                result = handler(payload, context)
            except Exception as exc:  # noqa: BLE001 - reported like Lambda reports it
                text = traceback.format_exc()
                (stderr.write_str if stderr is not None else sys.stderr.write)(text)
                result = {
                    "errorMessage": str(exc),
                    "errorType": type(exc).__name__,
                    "stackTrace": text.splitlines(),
                }
        if stdout is not None:
            stdout.write_str(json.dumps(result))
