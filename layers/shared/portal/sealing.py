"""Sealing of values the customer must see again but that must not sit in the table in clear
(activation keys): AES-256-GCM under a key derived from a Secrets Manager secret. Lookups use a
SHA-256 digest instead (portal.keys), so the sealed form is only ever opened for display."""

from __future__ import annotations

import base64
import hashlib
import os

from portal.config import Settings
from portal.secret_store import get_secret

SEALING_SECRET = "activation-key-sealing"  # noqa: S105 - a secret name, not a value
_VERSION = "v1"


def _key(settings: Settings) -> bytes:
    material = get_secret(settings.secrets_prefix + SEALING_SECRET)
    return hashlib.sha256(material.encode("utf-8")).digest()


def seal(plaintext: str, settings: Settings, *, context: str) -> str:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(12)
    sealed = AESGCM(_key(settings)).encrypt(nonce, plaintext.encode(), context.encode())
    return f"{_VERSION}.{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def unseal(token: str, settings: Settings, *, context: str) -> str:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    version, _, body = token.partition(".")
    if version != _VERSION:
        raise ValueError("unknown sealing version")
    raw = base64.urlsafe_b64decode(body)
    return AESGCM(_key(settings)).decrypt(raw[:12], raw[12:], context.encode()).decode()
