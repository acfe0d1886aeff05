"""The security headers (SECURITY.md 26), defined once.

Every Lambda response carries them (portal.edge.entry), the local stack's web server adds them to
every page (local/web.py), and the CloudFront ResponseHeadersPolicy in template.yaml must say the
same thing (tests/template/test_template_rules.py fails when it differs in any header).
Authenticated data is never cached: API answers also carry `Cache-Control: no-store`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

HSTS_MAX_AGE_SECONDS = 2 * 365 * 24 * 60 * 60  # two years (the bar: at least one)

CONTENT_SECURITY_POLICY: Mapping[str, str] = {
    "default-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}

SECURITY_HEADERS: Mapping[str, str] = {
    "Strict-Transport-Security": f"max-age={HSTS_MAX_AGE_SECONDS}; includeSubDomains",
    "Content-Security-Policy": "; ".join(f"{k} {v}" for k, v in CONTENT_SECURITY_POLICY.items()),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}

API_HEADERS: Mapping[str, str] = {**SECURITY_HEADERS, "Cache-Control": "no-store"}


def secure(result: dict[str, Any]) -> dict[str, Any]:
    """Add the API headers to a resolved response (errors included), keeping any the route set."""
    headers = result.setdefault("headers", {})
    for name, value in API_HEADERS.items():
        headers.setdefault(name, value)
    return result
