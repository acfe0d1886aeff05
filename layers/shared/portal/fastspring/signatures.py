"""FastSpring webhook signatures: base64(HMAC-SHA256(secret, raw body)), checked in constant time
against every accepted secret (current and previous during a rotation); no secret fails closed."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable

from portal.aws.secrets import rotating_secret
from portal.config import Settings

WEBHOOK_SECRET = "fastspring-webhook"  # noqa: S105 - a secret's name
SIGNATURE_HEADER = "x-fs-signature"


def signature(secret: str, raw_body: bytes) -> str:
    digest = hmac.new(secret.encode("utf-8"), raw_body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def signature_valid(raw_body: bytes, header: str | None, secrets: Iterable[str]) -> bool:
    """Constant-time check against every accepted secret (current and, during a rotation,
    previous). No secret at all never verifies: fail closed."""
    if not header:
        return False
    presented = header.strip().encode("ascii", "replace")
    valid = False
    for secret in secrets:
        if secret:
            expected = signature(secret, raw_body).encode("ascii")
            valid |= hmac.compare_digest(expected, presented)
    return valid


def webhook_secrets(settings: Settings) -> list[str]:
    """The accepted webhook secrets. The secret holds either the secret itself or
    {"current": "...", "previous": "..."} while a rotation is under way."""
    return rotating_secret(settings.secrets_prefix + WEBHOOK_SECRET)
