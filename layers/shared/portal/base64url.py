"""base64url (RFC 4648 §5) without padding: the text form of cursors, license-file payloads and
signatures, and sealed activation keys. `decode` accepts the padded form too and raises
ValueError on anything that is not base64url."""

from __future__ import annotations

import base64
import binascii
import re

_SHAPE = re.compile(r"^[A-Za-z0-9_\-]*={0,2}$")


def encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def decode(text: str) -> bytes:
    if not _SHAPE.fullmatch(text):
        raise ValueError("not base64url")
    stripped = text.rstrip("=")
    try:
        return base64.urlsafe_b64decode(stripped + "=" * (-len(stripped) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("not base64url") from None
