"""Constrained types shared by every boundary, defined once.

Normalisation lives here too: emails are trimmed and case-folded, order references lose every
space and are upper-cased, so "jwt160930-9510-42210 " and "JWT160930-9510-42210" are one order.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, StringConstraints

_EMAIL_SHAPE = re.compile(r"^[^@\s\x00-\x1f]{1,64}@[^@\s\x00-\x1f]+\.[^@\s\x00-\x1f]{2,}$")
_REFERENCE_SHAPE = re.compile(r"^[A-Z0-9][A-Z0-9\-]{0,63}$")
_COMPUTER_ID_SHAPE = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


def normalize_email(value: str) -> str:
    return value.strip().casefold()


def normalize_order_reference(value: str) -> str:
    return "".join(value.split()).upper()


def _strip_then(normalize: Callable[[str], str]) -> Callable[[object], object]:
    def run(value: object) -> object:
        return normalize(value) if isinstance(value, str) else value

    return run


def _check(pattern: re.Pattern[str], what: str) -> Callable[[str], str]:
    def run(value: str) -> str:
        if not pattern.fullmatch(value):
            raise ValueError(f"not a valid {what}")
        return value

    return run


Email = Annotated[
    str,
    BeforeValidator(_strip_then(normalize_email)),
    StringConstraints(min_length=3, max_length=254),
    AfterValidator(_check(_EMAIL_SHAPE, "email address")),
]

OrderReference = Annotated[
    str,
    BeforeValidator(_strip_then(normalize_order_reference)),
    StringConstraints(min_length=1, max_length=64),
    AfterValidator(_check(_REFERENCE_SHAPE, "order number")),
]

ComputerId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=128),
    AfterValidator(_check(_COMPUTER_ID_SHAPE, "computer id")),
]

Language = Annotated[str, StringConstraints(pattern=r"^(en|de|fr)$")]

SUPPORTED_LANGUAGES = ("en", "de", "fr")


def supported_language(value: str | None, default: str = "en") -> str:
    """Map a FastSpring/browser language tag ("de", "fr-CA", "EN") to one we speak."""
    if value:
        primary = value.strip().lower().replace("_", "-").split("-")[0]
        if primary in SUPPORTED_LANGUAGES:
            return primary
    return default
