"""The front door: the HTTP API answers only requests that came through CloudFront.

CloudFront adds ORIGIN_HEADER to every request it forwards to the API (template.yaml:
WebDistribution, its value the origin-verify secret's "current", resolved at deploy). A request
sent to the API's own URL lacks it and is refused before anything else runs
(portal.edge.entry.http_handler): no route, no DynamoDB call, at most one Secrets Manager read per
container per cache period (portal.aws.secrets). During a rotation the secret holds
{"current": ..., "previous": ...} and both are accepted (README: rotating the origin secret).

Off (settings.origin_verify) only on the local stack, which has no CloudFront."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any

from portal.aws.secrets import rotating_secret
from portal.config import Settings

ORIGIN_HEADER = "x-origin-verify"
ORIGIN_SECRET = "origin-verify"  # noqa: S105 - a secret's name


def admits(event: Mapping[str, Any], settings: Settings) -> bool:
    """Whether the request carries CloudFront's origin header with an accepted value (always, when
    the check is off). Compared in constant time against every accepted value."""
    if not settings.origin_verify:
        return True
    presented = _header(event.get("headers") or {}, ORIGIN_HEADER)
    if not presented:
        return False
    given = presented.encode("utf-8")
    accepted = rotating_secret(settings.secrets_prefix + ORIGIN_SECRET)
    matches = [hmac.compare_digest(given, value.encode("utf-8")) for value in accepted]
    return any(matches)


def _header(headers: Mapping[str, Any], name: str) -> str:
    """The header's value in any case of its name (API Gateway hands them over lower case)."""
    for key, value in headers.items():
        if isinstance(key, str) and key.lower() == name and isinstance(value, str):
            return value
    return ""
