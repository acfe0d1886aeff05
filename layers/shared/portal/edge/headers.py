"""The security headers of every API answer (SECURITY.md 26), errors included; authenticated
data is never cached (`Cache-Control: no-store`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

API_HEADERS: Mapping[str, str] = {
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "Content-Security-Policy": (
        "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def secure(result: dict[str, Any]) -> dict[str, Any]:
    """Add the API headers to a resolved response (errors included), keeping any the route set."""
    headers = result.setdefault("headers", {})
    for name, value in API_HEADERS.items():
        headers.setdefault(name, value)
    return result
