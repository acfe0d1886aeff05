"""What a portal-admin command answers when it will not do what it was asked (exit code 1): a
`Refused` with a message saying why, and the checks of what the operator typed."""

from __future__ import annotations

import unicodedata

from portal.ids import is_ulid

REASON_LIMIT = 500  # characters of an operator's --reason


class Refused(Exception):
    """Not done, and nothing written: the message says why (and what to do instead)."""


def reason_text(text: str) -> str:
    """An operator's --reason, trimmed: 1 to REASON_LIMIT characters, no control characters."""
    reason = text.strip()
    if not reason:
        raise Refused("a --reason is required: say why, for the audit trail")
    if len(reason) > REASON_LIMIT:
        raise Refused(f"the --reason is longer than {REASON_LIMIT} characters")
    if any(unicodedata.category(ch) == "Cc" for ch in reason):
        raise Refused("the --reason holds control characters")
    return reason


def record_id(text: str, what: str) -> str:
    """A license or support id as typed: a ULID (upper-cased), else Refused."""
    value = text.strip().upper()
    if not is_ulid(value):
        raise Refused(f"{text!r} is not a {what} id (26 characters, as lookup shows them)")
    return value
