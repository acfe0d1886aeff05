"""Reference verifier for the vendor's product: check a .lic file against the public keys
published at GET /api/activation/keys. Port this to the product's language; it needs only an
RSA-PSS (SHA-256, MGF1-SHA-256, salt length auto) verifier and a JSON parser.

    python product_sdk/verify_license.py license.lic https://portal.example.com/api/activation/keys
"""

from __future__ import annotations

import base64
import json
import sys
import urllib.request
from datetime import UTC, datetime
from typing import Any

FORMAT = "customer-portal-license/1"


class InvalidLicenseFile(Exception):
    """Not a license file, a signature that does not verify, an unknown key, or expired."""


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verify(
    file_bytes: bytes, keys: dict[str, str], *, now: datetime | None = None
) -> dict[str, Any]:
    """keys: kid -> SubjectPublicKeyInfo PEM. Returns the verified payload."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
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
    pem = keys.get(str(payload.get("kid")))
    if pem is None or payload.get("alg") != "PS256":
        raise InvalidLicenseFile("unknown signing key")
    public = load_pem_public_key(pem.encode())
    if not isinstance(public, rsa.RSAPublicKey) or public.key_size < 3072:
        raise InvalidLicenseFile("unacceptable signing key")
    try:
        public.verify(
            signature,
            payload_bytes,
            padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO),
            hashes.SHA256(),
        )
    except InvalidSignature:
        raise InvalidLicenseFile("signature does not verify") from None
    moment = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    if now is not None and payload["expiresAt"] < moment:
        raise InvalidLicenseFile("license file expired")
    return dict(payload)


def main(argv: list[str]) -> int:
    file_path, keys_url = argv
    with urllib.request.urlopen(keys_url, timeout=10) as answer:  # noqa: S310 - operator's URL
        published = {k["kid"]: k["publicKey"] for k in json.load(answer)["keys"]}
    with open(file_path, "rb") as handle:
        payload = verify(handle.read(), published, now=datetime.now(UTC))
    print(json.dumps(payload, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
