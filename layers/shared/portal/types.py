"""Constrained values shared by every boundary, defined once: normalisation and checks.

Emails are trimmed of ASCII white space and only their ASCII letters lower-cased: no Unicode case
folding, which would merge distinct mailboxes (the long s U+017F is not "s", the Kelvin sign
U+212A is not "k"). Order references lose every space and are upper-cased, so
"jwt160930-9510-42210 " and "JWT160930-9510-42210" are one order. Plain functions (no pydantic),
so the read handlers stay light at cold start; each raises ValueError on a bad value.
"""

from __future__ import annotations

import re
import string

EMAIL_MIN = 3
EMAIL_MAX = 254
ORDER_REFERENCE_MAX = 64
COMPUTER_ID_MAX = 128
COMPUTER_NAME_MAX = 64
ACTIVATION_KEY_MAX = 64  # as typed: five groups of four, with spaces or dashes or neither

# No white space in an address, by either regex dialect's `\s` (Python's adds U+0085, JSON
# Schema's ECMA-262 adds U+FEFF): spelled out, so docs/openapi.json and the parser agree.
_NOT_IN_EMAIL = r"@\x00-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
EMAIL_SHAPE = re.compile(
    rf"^[^{_NOT_IN_EMAIL}]{{1,64}}@[^{_NOT_IN_EMAIL}]+\.[^{_NOT_IN_EMAIL}]{{2,}}$"
)
ORDER_REFERENCE_SHAPE = re.compile(r"^[A-Z0-9][A-Z0-9\-]{0,63}$")
COMPUTER_ID_SHAPE = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
# Printable text: no control characters (C0, DEL, C1), no line or paragraph separators, no
# invisible or bidirectional formatting characters (which could disguise a name).
COMPUTER_NAME_SHAPE = re.compile(
    r"^[^\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e"
    r"\u2060-\u206f\ufeff\ufff9-\ufffb]{1,64}$"
)
ACTIVATION_KEY_TEXT = re.compile(r"^[A-Za-z0-9\- ]{1,64}$")

SUPPORTED_LANGUAGES = ("en", "de", "fr")


_ASCII_SPACE = " \t\n\r\f\v"
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def normalize_email(value: str) -> str:
    """The one normalisation of an email address before it is compared or keyed."""
    return value.strip(_ASCII_SPACE).translate(_ASCII_LOWER)


def normalize_order_reference(value: str) -> str:
    return "".join(value.split()).upper()


def email(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("not a valid email address")
    normalized = normalize_email(value)
    if not EMAIL_MIN <= len(normalized) <= EMAIL_MAX or not EMAIL_SHAPE.fullmatch(normalized):
        raise ValueError("not a valid email address")
    return normalized


def order_reference(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("not a valid order number")
    normalized = normalize_order_reference(value)
    if not ORDER_REFERENCE_SHAPE.fullmatch(normalized):
        raise ValueError("not a valid order number")
    return normalized


def computer_id(value: object) -> str:
    if not isinstance(value, str) or not COMPUTER_ID_SHAPE.fullmatch(value):
        raise ValueError("not a valid computer id")
    return value


def normalize_computer_name(value: str) -> str:
    return value.strip()


def supported_language(value: str | None, default: str = "en") -> str:
    """Map a FastSpring/browser language tag ("de", "fr-CA", "EN") to one we speak."""
    if value:
        primary = value.strip().lower().replace("_", "-").split("-")[0]
        if primary in SUPPORTED_LANGUAGES:
            return primary
    return default
