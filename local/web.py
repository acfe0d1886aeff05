"""web/ on the API's origin, as CloudFront serves it in production.

`/` is index.html, every other non-/api path is a file under web/; missing files, directories,
dot-files and anything escaping web/ get 404 (no listings). Every response, API ones included,
carries the headers of the template's CloudFront ResponseHeadersPolicy (SecurityHeadersPolicy),
read from template.yaml so local and production cannot drift.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from flask import Flask, Response, abort, send_file
from werkzeug.security import safe_join

from local.aws import template_resources

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".map": "application/json; charset=utf-8",
    ".webmanifest": "application/manifest+json; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml; charset=utf-8",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
}


class Header(NamedTuple):
    name: str
    value: str
    override: bool  # CloudFront's Override: replace what the origin sent


def _security_config_headers(config: Mapping[str, Any]) -> list[Header]:
    headers: list[Header] = []
    if hsts := config.get("StrictTransportSecurity"):
        value = f"max-age={hsts['AccessControlMaxAgeSec']}"
        value += "; includeSubDomains" if hsts.get("IncludeSubdomains") else ""
        value += "; preload" if hsts.get("Preload") else ""
        headers.append(Header("Strict-Transport-Security", value, bool(hsts.get("Override"))))
    if csp := config.get("ContentSecurityPolicy"):
        headers.append(
            Header("Content-Security-Policy", csp["ContentSecurityPolicy"], bool(csp["Override"]))
        )
    if cto := config.get("ContentTypeOptions"):
        headers.append(Header("X-Content-Type-Options", "nosniff", bool(cto.get("Override"))))
    if frame := config.get("FrameOptions"):
        headers.append(Header("X-Frame-Options", frame["FrameOption"], bool(frame["Override"])))
    if referrer := config.get("ReferrerPolicy"):
        headers.append(
            Header("Referrer-Policy", referrer["ReferrerPolicy"], bool(referrer["Override"]))
        )
    if xss := config.get("XSSProtection"):
        value = "1" if xss.get("Protection") else "0"
        value += "; mode=block" if xss.get("ModeBlock") else ""
        value += f"; report={xss['ReportUri']}" if xss.get("ReportUri") else ""
        headers.append(Header("X-XSS-Protection", value, bool(xss.get("Override"))))
    return headers


def security_headers(template: Path) -> list[Header]:
    """The headers of the template's (first) AWS::CloudFront::ResponseHeadersPolicy."""
    for resource in template_resources(template).values():
        if resource.get("Type") == "AWS::CloudFront::ResponseHeadersPolicy":
            config = resource["Properties"]["ResponseHeadersPolicyConfig"]
            custom = (config.get("CustomHeadersConfig") or {}).get("Items") or []
            return _security_config_headers(config.get("SecurityHeadersConfig") or {}) + [
                Header(item["Header"], str(item["Value"]), bool(item["Override"]))
                for item in custom
            ]
    return []


def mount(app: Flask, web_dir: Path, headers: list[Header]) -> None:
    """Serve web_dir at / on `app` and add `headers` to every response."""
    root = web_dir.resolve()

    def serve(filename: str = "index.html") -> Response:
        parts = filename.split("/")
        if parts[0] == "api" or any(part.startswith(".") for part in parts):
            abort(404)
        joined = safe_join(str(root), filename)
        path = Path(joined).resolve() if joined else None
        if path is None or not path.is_relative_to(root) or not path.is_file():
            abort(404)
        content_type = CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream")
        response = send_file(path, mimetype=content_type, max_age=0)
        response.headers["Content-Type"] = content_type
        return response

    app.add_url_rule("/", endpoint="local_web_index", view_func=serve, methods=["GET"])
    app.add_url_rule(
        "/<path:filename>", endpoint="local_web_file", view_func=serve, methods=["GET"]
    )

    @app.after_request
    def _add_headers(response: Response) -> Response:
        for header in headers:
            if header.override or header.name not in response.headers:
                response.headers[header.name] = header.value
        return response
