"""License-file signatures in KMS: RSASSA-PSS SHA-256 with RSA-3072 keys that never leave KMS.

`sign` signs raw bytes (moto implements only MessageType=RAW; KMS signs up to 4 KiB raw);
`public_key_pem` fetches a key's public half once per container."""

from __future__ import annotations

import base64
from functools import cache

from portal.aws import clients

KMS_ALGORITHM = "RSASSA_PSS_SHA_256"
KMS_MAX_MESSAGE = 4096


def sign(key_id: str, message: bytes) -> bytes:
    if len(message) > KMS_MAX_MESSAGE:
        raise ValueError("message too large to sign")
    answer = clients.kms().sign(
        KeyId=key_id, Message=message, MessageType="RAW", SigningAlgorithm=KMS_ALGORITHM
    )
    return bytes(answer["Signature"])


@cache
def public_key_pem(key_id: str) -> str:
    der = clients.kms().get_public_key(KeyId=key_id)["PublicKey"]
    body = base64.encodebytes(bytes(der)).decode("ascii").replace("\n", "")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN PUBLIC KEY-----\n" + "\n".join(lines) + "\n-----END PUBLIC KEY-----\n"


def forget() -> None:
    public_key_pem.cache_clear()
