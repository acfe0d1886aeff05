"""GET /api/me: who is signed in, and their activation key (apart from the sign-in shapes, so
that reading it loads nothing of signing in)."""

from __future__ import annotations

from dataclasses import dataclass

from portal.accounts.customers import Me
from portal.edge.contract.common import Wire


@dataclass(frozen=True)
class MeResponse(Wire):
    email: str
    name: str
    language: str
    activation_key: str  # groups of four, e.g. ABCD-EFGH-JKMN-PQRS-TVWX

    @classmethod
    def of(cls, me: Me) -> MeResponse:
        return cls(me.email, me.name, me.language, me.activation_key)
