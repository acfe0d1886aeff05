"""The local HTTP API: routes, handlers and environment come from template.yaml.

SAM CLI does the work it does for `sam local start-api` (see its commands/local/lib/
local_api_service.py): SamLocalStackProvider parses the template (Globals merged, parameters and
conditions resolved), SamFunctionProvider finds each function's CodeUri/Handler/Environment,
ApiProvider finds the HttpApi routes, and LocalApigwService builds genuine HTTP API v2 events and
the HTTP responses. Only the Docker runner is replaced, by runner.InProcessRunner; web/ is mounted
on the same Flask app (web.py). These are SAM CLI internals, pinned at aws-sam-cli 1.170.0.

The handlers' environment comes from environment.py (template variables, local overrides).
Unknown routes answer 404 {"message": "Not Found"} as an HTTP API does (SAM CLI says 403), and a
request body that is not text (by its type, or bytes that are not UTF-8) arrives base64-encoded
(isBase64Encoded) as HTTP APIs send it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, Response, has_request_context, jsonify, request
from samcli.lib.providers.api_provider import ApiProvider
from samcli.lib.providers.provider import Api
from samcli.lib.providers.sam_function_provider import SamFunctionProvider
from samcli.lib.providers.sam_stack_provider import SamLocalStackProvider
from samcli.local.apigw.local_apigw_service import LocalApigwService

from local import web
from local.environment import handler_environment, local_overrides, parameter_overrides
from local.runner import InProcessRunner

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TEMPLATE = REPO_ROOT / "template.yaml"
DEFAULT_WEB_DIR = REPO_ROOT / "web"

_TEXT_TYPES = {"application/json", "application/javascript", "application/xml"}


def _body_is_utf8() -> bool:
    """Whether the request being handled has a body that decodes as UTF-8 (or none)."""
    if not has_request_context():
        return True
    try:
        request.get_data().decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class _NonTextTypes(list[str]):
    """`mimetype in binary_types` as an HTTP API answers it: a body that is not text is binary,
    whatever its declared type (bytes that are not UTF-8 reach the function base64-encoded; SAM
    CLI would fail the request with a 502 decoding them)."""

    def __contains__(self, mimetype: object) -> bool:
        if mimetype == "*/*":  # SAM asks whether every type is binary: no
            return False
        if not _body_is_utf8():
            return True
        if not isinstance(mimetype, str) or not mimetype:
            return False
        kind = mimetype.lower()
        text = kind.startswith("text/") or kind in _TEXT_TYPES or kind.endswith(("+json", "+xml"))
        return super().__contains__(mimetype) or not text


class _HttpApi(Api):
    """SAM CLI's Api (routes, stage, CORS copied in) with HTTP API binary handling."""

    @property
    def binary_media_types(self) -> list[str]:
        return _NonTextTypes(self.binary_media_types_set)


def _not_found(_: Exception) -> tuple[Response, int]:
    return jsonify(message="Not Found"), 404  # what an HTTP API answers for an unknown route


@dataclass(frozen=True)
class LocalApi:
    app: Flask
    environment: dict[str, str]
    routes: list[str]


def build_local_api(
    *,
    template: Path,
    web_dir: Path,
    host: str,
    port: int,
    tables: Mapping[str, str],
    fastspring: str | None = None,
) -> LocalApi:
    """The Flask app serving the template's HttpApi routes (in-process) and web_dir;
    `fastspring`: the FastSpring stand-in's URL the handlers use (environment.local_overrides)."""
    origin, template = f"http://{host}:{port}", template.resolve()
    stacks, _ = SamLocalStackProvider.get_stacks(
        str(template), parameter_overrides=parameter_overrides(origin)
    )
    functions = SamFunctionProvider(stacks)
    environment = handler_environment(
        functions.get_all(), template, tables, local_overrides(origin, fastspring)
    )
    api = _HttpApi()
    api.__dict__.update(ApiProvider(stacks, cwd=str(template.parent)).api.__dict__)
    service = LocalApigwService(
        api=api, lambda_runner=InProcessRunner(functions), port=port, host=host
    )
    service.create()
    app: Flask = service._app
    app.register_error_handler(404, _not_found)
    app.register_error_handler(405, _not_found)
    web.mount(app, web_dir)
    routes = [f"{','.join(r.methods)} {r.path} -> {r.function_name}" for r in api.routes]
    return LocalApi(app, environment, routes)
