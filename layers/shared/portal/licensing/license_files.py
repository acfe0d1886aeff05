"""Signed license and support files (.lic), as Keygen-style signed documents.

A file is JSON: {"format", "payload", "signature"}. `payload` is base64url of canonical JSON that
carries the key id, the algorithm, the issue time and the expiry with the license itself; the
signature is RSASSA-PSS with SHA-256 by an RSA-3072 key that never leaves KMS, over those exact
payload bytes, so changing any byte (or the signature) makes verification fail. The product
verifies with the public keys published at GET /api/activation/keys (reference verifier:
product_sdk/verify_license.py).

A license file names the one computer the license is bound to, and `expiresAt` is its refresh-by
date: `PRODUCT_FILE_DAYS` (30) after issue for the files the product fetches through
/api/activation/*, `DOWNLOAD_FILE_DAYS` (365) for files downloaded from the portal (offline
activation included).

Keys rotate with an overlap: a list of KMS key ids (portal.aws.signing_keys: the SSM parameter
`portal-admin rotate signing-key` writes, else LICENSE_SIGNING_KEY_IDS), the first signs, every
one is published, so files signed by an older key keep verifying until it is retired.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from portal import base64url
from portal.aws import signing, signing_keys
from portal.clock import utc_text
from portal.config import Settings
from portal.models import License

FORMAT = "customer-portal-license/1"
ALGORITHM = "PS256"  # RSASSA-PSS, SHA-256, MGF1-SHA-256
_SAFE_NAME = re.compile(r"[^A-Za-z0-9\-]+")


@dataclass(frozen=True, slots=True)
class PublicKey:
    kid: str
    public_key_pem: str


def kid_of(key_id: str) -> str:
    """The published key id: the KMS key id without its ARN prefix."""
    return key_id.rsplit("/", 1)[-1]


def sign(
    document: dict[str, Any], *, issued_at: datetime, expires_at: datetime, settings: Settings
) -> bytes:
    """The signed file's bytes for `document` (a license or support, as the product reads it)."""
    key_id = signing_keys.key_ids(settings)[0]
    payload = json.dumps(
        {
            "kid": kid_of(key_id),
            "alg": ALGORITHM,
            "issuedAt": utc_text(issued_at),
            "expiresAt": utc_text(expires_at),
            **document,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode("utf-8")
    signature = signing.sign(key_id, payload)  # documents are small: well under KMS's 4 KiB
    signed = {
        "format": FORMAT,
        "payload": base64url.encode(payload),
        "signature": base64url.encode(signature),
    }
    return (json.dumps(signed, indent=2) + "\n").encode("ascii")


def license_document(lic: License) -> dict[str, Any]:
    """What a license file says (docs/license-files.md): the license and its one computer."""
    return {
        "kind": "license",
        "license": {
            "id": lic.license_id,
            "software": lic.software,
            "serialNumber": lic.serial_number,
            "computerId": lic.computer_id,
            "computerName": lic.computer_name,
            "edition": lic.edition,
            "users": lic.users,  # workstations, for Remote Work
            "days": lic.days,
            "orderNumber": lic.order_number,
            "purchasedOn": lic.purchased_on.isoformat(),
            "supportUntil": lic.support.until.isoformat() if lic.support else None,
        },
    }


def signed_license(lic: License, *, issued_at: datetime, days: int, settings: Settings) -> bytes:
    """The signed file of a bound license, to be refreshed within `days`."""
    return sign(
        license_document(lic),
        issued_at=issued_at,
        expires_at=issued_at + timedelta(days=days),
        settings=settings,
    )


def public_keys(settings: Settings) -> list[PublicKey]:
    return [
        PublicKey(kid_of(key_id), signing.public_key_pem(key_id))
        for key_id in signing_keys.key_ids(settings)
    ]


def file_name(kind: str, serial: str, record_id: str) -> str:
    """A safe attachment name: letters, digits and dashes only."""
    stem = _SAFE_NAME.sub("", serial)[:32] or record_id[-8:]
    return f"{kind}-{stem}-{record_id[-6:]}.lic"
