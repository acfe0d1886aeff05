"""Identifiers: time-sortable ids for records, and activation keys.

Record ids are ULIDs (48-bit millisecond time + 80 random bits, Crockford base32), so a Query on
`LIC#<id>` in descending order lists licenses newest purchase first.
Activation keys carry 100 bits from `secrets`, shown as five groups of four characters.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from portal.clock import epoch_millis

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ULID_SHAPE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
ACTIVATION_KEY_SHAPE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){4}$")
ACTIVATION_KEY_BITS = 100


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        chars.append(CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def new_ulid(at: datetime) -> str:
    millis = epoch_millis(at)
    if not 0 <= millis < 1 << 48:
        raise ValueError("time out of ULID range")
    return _encode(millis, 10) + _encode(secrets.randbits(80), 16)


def is_ulid(value: str) -> bool:
    return bool(ULID_SHAPE.fullmatch(value))


def new_activation_key() -> str:
    raw = _encode(secrets.randbits(ACTIVATION_KEY_BITS), ACTIVATION_KEY_BITS // 5)
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def new_serial_number() -> str:
    """A license's serial number until the product reports its computer: P + 6 characters."""
    return "P" + _encode(secrets.randbits(30), 6)


def normalize_activation_key(value: str) -> str:
    """Accept what people type: lower case, spaces, missing dashes, O for 0, I/L for 1."""
    raw = "".join(value.split()).replace("-", "").upper()
    raw = raw.translate(str.maketrans("OIL", "011"))
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))
