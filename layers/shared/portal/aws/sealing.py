"""Sealing of values the customer must see again but that must not sit in the table in clear
(activation keys): KMS Encrypt under the portal's symmetric key, with the customer id as
encryption context (a sealed value moved to another customer never opens). Lookups use a SHA-256
digest instead (portal.data.keys), so the sealed form is only ever opened for display. Opened values
are cached per container (a customer's key never changes), so a warm `me` costs no KMS call."""

from __future__ import annotations

from collections import OrderedDict

from portal import base64url
from portal.aws import clients as aws_clients
from portal.config import Settings

_VERSION = "kms1"
_CACHE_SIZE = 512
_opened: OrderedDict[str, str] = OrderedDict()


def seal(plaintext: str, settings: Settings, *, context: str) -> str:
    answer = aws_clients.kms().encrypt(
        KeyId=settings.activation_key_sealing_key_id,
        Plaintext=plaintext.encode("utf-8"),
        EncryptionContext={"customerId": context},
    )
    return f"{_VERSION}.{base64url.encode(answer['CiphertextBlob'])}"


def unseal(token: str, settings: Settings, *, context: str) -> str:
    cache_key = f"{context}|{token}"
    if cache_key in _opened:
        _opened.move_to_end(cache_key)
        return _opened[cache_key]
    version, _, body = token.partition(".")
    if version != _VERSION:
        raise ValueError("unknown sealing version")
    answer = aws_clients.kms().decrypt(
        CiphertextBlob=base64url.decode(body),
        EncryptionContext={"customerId": context},
        KeyId=settings.activation_key_sealing_key_id,
    )
    value = bytes(answer["Plaintext"]).decode("utf-8")
    _opened[cache_key] = value
    if len(_opened) > _CACHE_SIZE:
        _opened.popitem(last=False)
    return value


def forget() -> None:
    _opened.clear()
