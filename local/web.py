"""web/ on the API's origin, as CloudFront serves it in production.

`/` is index.html, every other non-/api path is a file under web/; missing files, directories,
dot-files and anything escaping web/ get 404 (no listings); so does any other method (OPTIONS
included: the HTTP API has no CORS and no OPTIONS routes). Every response, API ones included,
carries the security headers of portal.edge.headers, replacing what the origin sent, as the
template's CloudFront ResponseHeadersPolicy does (Override: true); a template test fails when
that policy says anything else, so local and production cannot drift.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from flask import Flask, Response, abort, send_file
from werkzeug.security import safe_join

from portal.edge.headers import SECURITY_HEADERS

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


def mount(app: Flask, web_dir: Path, headers: Mapping[str, str] = SECURITY_HEADERS) -> None:
    """Serve web_dir at / on `app` and set `headers` on every response."""
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

    # No automatic OPTIONS: Flask would answer any path (/api ones too) with 200 and an Allow
    # naming this rule's GET; an HTTP API without CORS has no OPTIONS route, so it is a 404.
    for rule, endpoint in (("/", "local_web_index"), ("/<path:filename>", "local_web_file")):
        app.add_url_rule(
            rule, endpoint, view_func=serve, methods=["GET"], provide_automatic_options=False
        )

    @app.after_request
    def _add_headers(response: Response) -> Response:
        for name, value in headers.items():
            response.headers[name] = value
        return response
