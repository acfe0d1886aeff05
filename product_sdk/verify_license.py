"""Reference verifier for the vendor's product (docs/license-files.md): port this to the product.

The product ships the portal's public keys as a key file (the JSON answer of
GET /api/activation/keys) and never fetches them at run time; it verifies a license file with
those keys, the computer it runs on and the current time:

    python -m product_sdk.verify_license license.lic --keys activation-keys.json --computer-id ID

`verify` refuses, with a reason, anything but a genuine, unexpired file of a known key (RSA
>= 3072 bits, RSASSA-PSS SHA-256) bound to that computer. It needs only `cryptography` (an
RSA-PSS verifier: SHA-256, MGF1-SHA-256, salt length auto) and a JSON parser.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

FORMAT = "customer-portal-license/1"
ALGORITHM = "PS256"
MIN_KEY_BITS = 3072
KINDS = ("license", "support")
_TIME = "%Y-%m-%dT%H:%M:%SZ"
_ENVELOPE = frozenset({"format", "payload", "signature"})


class InvalidLicenseFile(Exception):
    """The file must be refused; str(exc) says why."""


def load_keys(path: str | Path) -> dict[str, str]:
    """kid -> SubjectPublicKeyInfo PEM, from a key file (the answer of GET /api/activation/keys)."""
    try:
        published = json.loads(Path(path).read_text(encoding="utf-8"))
        keys = {
            str(key["kid"]): str(key["publicKey"])
            for key in published["keys"]
            if key.get("algorithm") == ALGORITHM
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InvalidLicenseFile(f"unreadable key file {path}: {exc}") from exc
    if not keys:
        raise InvalidLicenseFile(f"the key file {path} holds no {ALGORITHM} key")
    return keys


def _unb64(text: object) -> bytes:
    """Strict base64url without padding: exactly one text per byte string, so that no changed
    character of the file can decode to the same bytes."""
    if not isinstance(text, str) or not text.isascii():
        raise ValueError("not base64url")
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") != text:
        raise ValueError("not canonical base64url")
    return raw


def check_signed(
    file_bytes: bytes, keys: Mapping[str, str], *, now: datetime | None = None
) -> dict[str, Any]:
    """The payload of a genuine file that has not expired at `now` (default: this computer's
    clock), whatever computer it names. The product calls `verify`, which also checks that."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    try:
        envelope = json.loads(file_bytes)
        if not isinstance(envelope, dict) or envelope.get("format") != FORMAT:
            raise InvalidLicenseFile("not a license file (unknown format)")
        if set(envelope) != _ENVELOPE:
            raise InvalidLicenseFile("malformed license file (unexpected fields)")
        payload_bytes = _unb64(envelope["payload"])
        signature = _unb64(envelope["signature"])
        payload = json.loads(payload_bytes)
    except InvalidLicenseFile:
        raise
    except (ValueError, TypeError, binascii.Error, RecursionError) as exc:
        raise InvalidLicenseFile("malformed license file") from exc
    if not isinstance(payload, dict):
        raise InvalidLicenseFile("malformed license file (payload)")
    if payload.get("alg") != ALGORITHM:
        raise InvalidLicenseFile(f"unsupported algorithm {payload.get('alg')!r}")
    kid = payload.get("kid")
    pem = keys.get(kid) if isinstance(kid, str) else None
    if pem is None:
        raise InvalidLicenseFile(f"unknown signing key {kid!r}")
    try:
        public = load_pem_public_key(pem.encode("ascii"))
    except ValueError as exc:
        raise InvalidLicenseFile("unreadable public key") from exc
    if not isinstance(public, rsa.RSAPublicKey) or public.key_size < MIN_KEY_BITS:
        raise InvalidLicenseFile(f"unacceptable signing key (RSA >= {MIN_KEY_BITS} bits needed)")
    try:
        public.verify(
            signature,
            payload_bytes,
            padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO),
            hashes.SHA256(),
        )
    except InvalidSignature:
        raise InvalidLicenseFile("signature does not verify (the file was changed)") from None
    expires = _moment(payload.get("expiresAt"), "expiresAt")
    _moment(payload.get("issuedAt"), "issuedAt")
    moment = now if now is not None else datetime.now(UTC)
    if moment.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if moment >= expires:
        raise InvalidLicenseFile(
            f"license file expired at {payload['expiresAt']}: refresh the license"
        )
    return payload


def verify(
    file_bytes: bytes,
    keys: Mapping[str, str],
    *,
    computer_id: str | None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The verified payload of `file_bytes` on the computer `computer_id` at `now` (default:
    this computer's clock). A license file must name exactly that computer; a support file
    names none (pass the computer id anyway, or None). Raises InvalidLicenseFile."""
    payload = check_signed(file_bytes, keys, now=now)
    kind = payload.get("kind")
    if kind not in KINDS or not isinstance(payload.get(kind), dict):
        raise InvalidLicenseFile(f"unknown kind of file {kind!r}")
    if kind == "license":
        bound_to = payload["license"].get("computerId")
        if not isinstance(bound_to, str) or not bound_to:
            raise InvalidLicenseFile("the license file is bound to no computer")
        if not computer_id:
            raise InvalidLicenseFile("a license file is verified with this computer's id")
        if bound_to != computer_id:
            raise InvalidLicenseFile(
                f"the license file is bound to another computer ({bound_to!r}, not"
                f" {computer_id!r}): activate the license on this computer"
            )
    return payload


def _moment(text: object, name: str) -> datetime:
    try:
        return datetime.strptime(str(text), _TIME).replace(tzinfo=UTC)
    except ValueError:
        raise InvalidLicenseFile(f"malformed license file ({name})") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m product_sdk.verify_license",
        description="Verify a license file as the product does; print its payload.",
    )
    parser.add_argument("file", type=Path, help="the .lic file")
    parser.add_argument("--keys", required=True, type=Path, help="the shipped key file (JSON)")
    parser.add_argument("--computer-id", default=None, help="the computer the product runs on")
    args = parser.parse_args(argv)
    try:
        payload = verify(args.file.read_bytes(), load_keys(args.keys), computer_id=args.computer_id)
    except OSError as exc:
        print(f"cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    except InvalidLicenseFile as exc:
        print(f"REFUSED: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(payload, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
