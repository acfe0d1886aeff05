"""The public keys that verify license files."""

from __future__ import annotations

from dataclasses import dataclass

from portal.edge.contract.common import Wire
from portal.licensing.license_files import PublicKey


@dataclass(frozen=True)
class PublicKeyOut(Wire):
    kid: str
    algorithm: str
    public_key: str  # SubjectPublicKeyInfo PEM

    @classmethod
    def of(cls, key: PublicKey) -> PublicKeyOut:
        return cls(key.kid, "PS256", key.public_key_pem)


@dataclass(frozen=True)
class PublicKeysOut(Wire):
    keys: list[PublicKeyOut]

    @classmethod
    def of(cls, keys: list[PublicKey]) -> PublicKeysOut:
        return cls([PublicKeyOut.of(k) for k in keys])
