"""LocalStack: the whole portal in one process, for tests and `python -m local.run`.

Start order: bind the HTTP port (0 = a free one; its port is the portal origin), start the
FastSpring stand-in (local/fastspring_store.py) on the portal's port + 1 (a free one when the
portal's is 0), start moto, point boto3 at it (os.environ), create the template's tables and
DEV_SECRETS, build the API + web app, set the handlers' environment (FASTSPRING_CHECKOUT_BASE and
FASTSPRING_API_BASE: the stand-in), seed local/demo_data.py if it exists, verify the mail sender in
SES, put the local mailbox (local/mailbox.py, /_mailbox/) in front of the app, start feeding the
table's stream to the mailer (local/mailer.py), then serve on a daemon thread and wait until it
answers. `stop()` (and leaving the `with` block) stops the feeder, shuts the HTTP server, the
stand-in and moto down and restores every environment variable it changed.

One LocalStack per process at a time: handlers share os.environ and the portal's cached clients.

`write_stack_file()` writes `.local/stack.json` (ignored by git), the one file through which the
local commands (`make order`, `make activate`...) find the running stack, and next to it
`.local/activation-keys.json`, the answer of GET /api/activation/keys: the key file a product
ships (product_sdk/verify_license.py's `load_keys`).
"""

from __future__ import annotations

import errno
import http.client
import importlib
import json
import logging
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from local import aws, mailbox, mailer
from local.api import DEFAULT_TEMPLATE, DEFAULT_WEB_DIR, build_local_api
from local.fastspring_store import FastSpringStandIn

LOG = logging.getLogger(__name__)
LOCAL_DIR = Path(__file__).resolve().parent.parent / ".local"
STACK_FILE = "stack.json"
KEY_FILE = "activation-keys.json"
HTTP_LOG = logging.getLogger("local.http")


class _RequestLog(WSGIRequestHandler):
    """Request lines go to the `local.http` logger (moto's stay on `werkzeug`)."""

    protocol_version = "HTTP/1.1"

    def log(self, type: str, message: str, *args: Any) -> None:
        level = logging.ERROR if type == "error" else logging.INFO
        HTTP_LOG.log(level, "%s %s", self.address_string(), message % args)


def _not_started(environ: Any, start_response: Any) -> list[bytes]:
    start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
    return [b"starting"]


def _forget_portal_caches() -> None:
    """Forget the portal's per-container caches (clients, settings, secrets...)."""
    importlib.import_module("portal.dependencies").reset()


def _seed(table_name: str, environment: dict[str, str]) -> list[dict[str, str]]:
    """Run local.demo_data.seed(store, settings) if that module exists; its DEMO_SIGN_INS."""
    try:
        demo = importlib.import_module("local.demo_data")
    except ModuleNotFoundError as exc:
        if exc.name != "local.demo_data":
            raise
        LOG.info("local/demo_data.py not found: starting without demo data")
        return []
    store = importlib.import_module("portal.data.store").Store(table_name)
    settings = importlib.import_module("portal.config").settings_from(environment)
    demo.seed(store, settings)
    return list(getattr(demo, "DEMO_SIGN_INS", []))


class LocalStack:
    def __init__(
        self,
        port: int = 0,
        moto_port: int = 0,
        seed: bool = True,
        *,
        fastspring_port: int | None = None,
        template: Path = DEFAULT_TEMPLATE,
        web_dir: Path = DEFAULT_WEB_DIR,
        host: str = "127.0.0.1",
    ) -> None:
        self.port, self.moto_port, self.seed = port, moto_port, seed
        # The FastSpring stand-in's port: None = the portal's + 1, or a free one when port is 0.
        self.fastspring_port = fastspring_port
        self.fastspring: FastSpringStandIn | None = None
        self.fastspring_url = ""
        self.template, self.web_dir, self.host = Path(template), Path(web_dir), host
        self.base_url = self.moto_url = self.table_name = ""
        self.tables: dict[str, str] = {}
        self.kms_keys: dict[str, str] = {}
        self.secrets: dict[str, str] = {}
        self.environment: dict[str, str] = {}
        self.routes: list[str] = []
        self.sign_ins: list[dict[str, str]] = []
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._moto: aws.MotoHandle | None = None
        self._mailer: mailer.LocalMailer | None = None  # outbox mail, from the table's stream
        self._saved_env: dict[str, str | None] = {}

    def _set_env(self, values: Mapping[str, str | None]) -> None:
        for name, previous in aws.apply_environment(values).items():
            self._saved_env.setdefault(name, previous)

    def start(self) -> LocalStack:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        try:
            self._server = make_server(
                self.host, self.port, _not_started, threaded=True, request_handler=_RequestLog
            )
        except SystemExit as exc:  # werkzeug exits when the port is taken
            raise OSError(errno.EADDRINUSE, f"{self.host}:{self.port} is in use") from exc
        self.base_url = f"http://{self.host}:{self._server.server_port}"
        self.fastspring = FastSpringStandIn(
            self.base_url, host=self.host, port=self._fastspring_port()
        ).start()
        self.fastspring_url = self.fastspring.url
        self._moto = aws.start_moto(self.moto_port)
        self.moto_url = self._moto.url
        self._set_env(aws.aws_environment(self.moto_url))
        self._set_env({"SAM_CLI_TELEMETRY": "0"})
        self.tables = aws.create_tables(self.template)
        self.secrets = aws.create_secrets()
        self.kms_keys = aws.create_kms_keys(self.template)
        api = build_local_api(
            template=self.template,
            web_dir=self.web_dir,
            host=self.host,
            port=self._server.server_port,
            tables={**self.tables, **self.kms_keys},
            fastspring=self.fastspring_url,
        )
        self.environment, self.routes = api.environment, api.routes
        self._set_env(api.environment)
        _forget_portal_caches()
        self.table_name = self.environment.get("TABLE_NAME") or next(iter(self.tables.values()), "")
        if self.seed and self.table_name:
            self.sign_ins = _seed(self.table_name, self.environment)
        if sender := self.environment.get("MAIL_FROM"):
            aws.verify_mail_sender(sender)
        self._server.app = mailbox.wrap(api.app, self.moto_url)
        self._mailer = mailer.LocalMailer(self.template, self.tables).start()
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="local-portal", daemon=True
        )
        self._thread.start()
        self._wait_until_answering()

    def _fastspring_port(self) -> int:
        if self.fastspring_port is not None:
            return self.fastspring_port
        return 0 if self.port == 0 else self.port + 1

    def _wait_until_answering(self, timeout: float = 10.0) -> None:
        assert self._server is not None
        deadline = time.monotonic() + timeout
        while True:
            connection = http.client.HTTPConnection(self.host, self._server.server_port, timeout=1)
            try:
                connection.request("HEAD", "/")
                connection.getresponse().read()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
            finally:
                connection.close()

    def get(self, path: str) -> bytes:
        """The body of a 200 answer to GET `path` from the running portal."""
        assert self._server is not None, "the stack is not running"
        connection = http.client.HTTPConnection(self.host, self._server.server_port, timeout=10)
        try:
            connection.request("GET", path)
            answer = connection.getresponse()
            body = answer.read()
        finally:
            connection.close()
        if answer.status != 200:
            raise OSError(f"GET {path} answered {answer.status}")
        return body

    def stack_description(self, key_file: Path) -> dict[str, Any]:
        """What `.local/stack.json` holds (docs: ARCHITECTURE.md, "Local stack")."""
        return {
            "portal": self.base_url,
            "api": f"{self.base_url}/api",
            "aws": self.moto_url,
            "fastspring": self.fastspring_url,  # checkout pages and the sessions/events API
            "mailbox": f"{self.base_url}{mailbox.PATH}/",  # every mail the local SES took
            "kmsKeys": dict(self.kms_keys),
            "tables": dict(self.tables),
            "publicKeyFile": str(key_file),
            # The handlers' environment (no secret is in it: template rules), for local commands
            # that run a function's handler against this stack (make remind).
            "environment": dict(self.environment),
            "demoCustomers": [
                {
                    "name": sign_in.get("name"),
                    "email": sign_in.get("email"),
                    "orderNumber": sign_in.get("orderNumber"),
                    "activationKey": sign_in.get("activationKey"),
                }
                for sign_in in self.sign_ins
            ],
        }

    def write_stack_file(self, directory: Path = LOCAL_DIR) -> Path:
        """Write `<directory>/activation-keys.json` (the portal's published keys, fetched from
        the running stack) and `<directory>/stack.json`; the path of the latter."""
        directory.mkdir(parents=True, exist_ok=True)
        key_file = directory / KEY_FILE
        published = json.loads(self.get("/api/activation/keys"))
        _write_json(key_file, published)
        stack_file = directory / STACK_FILE
        _write_json(stack_file, self.stack_description(key_file.resolve()))
        return stack_file

    def stop(self) -> None:
        if self._mailer is not None:
            self._mailer.stop()
            self._mailer = None
        if self._server is not None:
            if self._thread is not None:
                self._server.shutdown()
                self._thread.join(timeout=10)
            self._server.server_close()
        if self.fastspring is not None:
            self.fastspring.stop()
        if self._moto is not None:
            aws.stop_moto(self._moto)
        self._server, self._thread, self._moto, self.fastspring = None, None, None, None
        aws.restore_environment(self._saved_env)
        self._saved_env = {}
        _forget_portal_caches()

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _write_json(path: Path, value: Any) -> None:
    """Replace `path` at once (a reader never sees half a file)."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    partial.replace(path)


def read_stack_file(directory: Path = LOCAL_DIR) -> dict[str, Any]:
    """The running stack's `.local/stack.json`; OSError with what to do when there is none."""
    path = directory / STACK_FILE
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise OSError(f"{path} not found: start the local stack first (make run)") from None
    except ValueError as exc:
        raise OSError(f"{path} is not readable JSON ({exc}): restart make run") from None
