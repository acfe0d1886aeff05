"""Reminder preferences (API.md "Reminders"): the signed-in customer's toggle, and the
unsubscribe link of a reminder mail - `{token}` as JSON from web/unsubscribe.html, or the RFC 8058
one-click form (`List-Unsubscribe=One-Click`, the token in the query) from a mail client."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from portal.accounts.preferences import Preferences
from portal.accounts.reminder_links import TOKEN_LIMIT
from portal.edge.contract.common import Wire
from portal.errors import InvalidLink
from portal.fields import Field, declare, read

_TOKEN_SHAPE = re.compile(r"^[0-9A-Za-z._-]+$")
_ONE_CLICK = re.compile(r"^One-Click$")


def _token_field(required: bool) -> Field:
    """A link's token: any value of the wrong shape answers 401 invalid_link, like a forged one."""
    return Field(
        "token",
        required=required,
        min_length=1,
        max_length=TOKEN_LIMIT,
        pattern=_TOKEN_SHAPE,
        invalid=InvalidLink,
        description="The token of the reminder mail's unsubscribe link",
    )


@dataclass(frozen=True)
class PreferencesRequest(Wire):
    """`{reminders}`: true to get support-expiry reminders, false not to."""

    reminders: bool = declare(Field("reminders", bool))

    @classmethod
    def parse(cls, data: Any) -> PreferencesRequest:
        return read(cls, data)


@dataclass(frozen=True)
class PreferencesOut(Wire):
    reminders: bool

    @classmethod
    def of(cls, preferences: Preferences) -> PreferencesOut:
        return cls(preferences.reminders)


@dataclass(frozen=True)
class UnsubscribeRequest(Wire):
    """`{token}`, as web/unsubscribe.html posts it."""

    token: str = declare(_token_field(required=True))

    @classmethod
    def parse(cls, data: Any) -> UnsubscribeRequest:
        return read(cls, data)


@dataclass(frozen=True)
class UnsubscribeQuery(Wire):
    """`?token=`: only with the one-click form (RFC 8058), whose body cannot carry it."""

    token: str | None = declare(_token_field(required=False))

    @classmethod
    def parse(cls, data: Any) -> UnsubscribeQuery:
        return read(cls, data)


@dataclass(frozen=True)
class OneClickForm(Wire):
    """The RFC 8058 body: exactly `List-Unsubscribe=One-Click`."""

    one_click: str = declare(Field("List-Unsubscribe", pattern=_ONE_CLICK))

    @classmethod
    def parse(cls, data: Any) -> OneClickForm:
        return read(cls, data)
