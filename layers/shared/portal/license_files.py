"""Signed license and support files (.lic), as Keygen-style signed documents.

A file is JSON: {"format", "payload", "signature"}. `payload` is base64url of canonical JSON that
carries the key id, the algorithm, the issue time and the expiry with the license itself; the
Ed25519 signature covers those exact payload bytes, so changing any byte of it (or the signature)
makes verification fail. The product verifies with the public keys published at
GET /api/activation/keys. Keys rotate with an overlap: the secret holds the active private key and
the public keys of retired ones, which stay published until their files expire.

Secret `license-signing`: {"active": {"kid": "...", "privateKey": "<PKCS8 PEM>"},
                           "retired": [{"kid": "...", "publicKey": "<SPKI PEM>"}]}
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from portal.config import Settings
from portal.secret_store import SecretMissing, get_secret

SIGNING_SECRET = "license-signing"  # noqa: S105 - a secret's name
FORMAT = "customer-portal-license/1"
ALGORITHM = "Ed25519"
LICENSE_FILE_VALIDITY = timedelta(days=365)
_SAFE_NAME = re.compile(r"[^A-Za-z0-9\-]+")


@dataclass(frozen=True, slots=True)
class PublicKey:
    kid: str
    public_key_pem: str


class InvalidLicenseFile(Exception):
    """The file is not a license file, its signature does not verify, or its key is unknown."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _keyring(settings: Settings) -> dict[str, Any]:
    try:
        ring = json.loads(get_secret(settings.secrets_prefix + SIGNING_SECRET))
        ring["active"]["kid"], ring["active"]["privateKey"]
    except (KeyError, TypeError, ValueError) as exc:
        raise SecretMissing(SIGNING_SECRET) from exc
    return dict(ring)


def sign(
    document: dict[str, Any], *, issued_at: datetime, expires_at: datetime, settings: Settings
) -> bytes:
    """The signed file's bytes for `document` (a license or support, as the product reads it)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    active = _keyring(settings)["active"]
    private = load_pem_private_key(active["privateKey"].encode(), password=None)
    if not isinstance(private, Ed25519PrivateKey):
        raise SecretMissing(SIGNING_SECRET)
    payload = json.dumps(
        {
            "kid": active["kid"],
            "alg": ALGORITHM,
            "issuedAt": issued_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "expiresAt": expires_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            **document,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode("utf-8")
    signed = {"format": FORMAT, "payload": _b64(payload), "signature": _b64(private.sign(payload))}
    return (json.dumps(signed, indent=2) + "\n").encode("ascii")


def public_keys(settings: Settings) -> list[PublicKey]:
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        PublicFormat,
        load_pem_private_key,
    )

    ring = _keyring(settings)
    active = load_pem_private_key(ring["active"]["privateKey"].encode(), password=None)
    keys = [
        PublicKey(
            kid=ring["active"]["kid"],
            public_key_pem=active.public_key()
            .public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
            .decode(),
        )
    ]
    keys += [
        PublicKey(kid=k["kid"], public_key_pem=k["publicKey"]) for k in ring.get("retired", [])
    ]
    return keys


def verify(
    file_bytes: bytes, keys: list[PublicKey], *, now: datetime | None = None
) -> dict[str, Any]:
    """What a product does: check the signature with the key named by kid; return the payload."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    try:
        envelope = json.loads(file_bytes)
        if envelope.get("format") != FORMAT:
            raise InvalidLicenseFile("not a license file")
        payload_bytes = _unb64(envelope["payload"])
        signature = _unb64(envelope["signature"])
        payload = json.loads(payload_bytes)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InvalidLicenseFile("malformed license file") from exc
    key = next((k for k in keys if k.kid == payload.get("kid")), None)
    if key is None or payload.get("alg") != ALGORITHM:
        raise InvalidLicenseFile("unknown signing key")
    public = load_pem_public_key(key.public_key_pem.encode())
    if not isinstance(public, Ed25519PublicKey):
        raise InvalidLicenseFile("unknown signing key")
    try:
        public.verify(signature, payload_bytes)
    except InvalidSignature:
        raise InvalidLicenseFile("signature does not verify") from None
    if now is not None and payload["expiresAt"] < now.strftime("%Y-%m-%dT%H:%M:%SZ"):
        raise InvalidLicenseFile("license file expired")
    return dict(payload)


def file_name(kind: str, serial: str, record_id: str) -> str:
    """A safe attachment name: letters, digits and dashes only."""
    stem = _SAFE_NAME.sub("", serial)[:32] or record_id[-8:]
    return f"{kind}-{stem}-{record_id[-6:]}.lic"


def new_signing_key(kid: str) -> dict[str, str]:
    """A fresh active key entry (for bootstrapping the secret; see README)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    pem = Ed25519PrivateKey.generate().private_bytes(
        Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
    )
    return {"kid": kid, "privateKey": pem.decode()}


def rotated(ring: dict[str, Any] | None, new_kid: str, keep_retired: int = 3) -> dict[str, Any]:
    """The keyring after a rotation: a new active key; the old active key's PUBLIC half joins the
    retired keys (still published, so files it signed keep verifying); the oldest drop off."""
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        PublicFormat,
        load_pem_private_key,
    )

    retired = list((ring or {}).get("retired", []))
    active = (ring or {}).get("active")
    if active and active.get("privateKey"):
        public = load_pem_private_key(active["privateKey"].encode(), password=None).public_key()
        pem = public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
        retired.insert(0, {"kid": active["kid"], "publicKey": pem})
    return {"active": new_signing_key(new_kid), "retired": retired[:keep_retired]}
