"""The "stop these reminders" link of a reminder mail: signed, so nobody can make one for a
customer they were not sent, and good for that one customer only.

    token = token_for(customer_id, settings)      # in the mail: unsubscribe_url(settings, token)
    customer_id = customer_of(token, settings)    # None: not a link the portal made

A token is `<customerId>.<base64url(HMAC-SHA256(key, "reminders-off\\n" + customerId))>`, the key
a Secrets Manager secret (`<prefix>mail-links`, rotatable: {"current", "previous"} while a
rotation runs, so links already mailed keep working). The customer id is a ULID (no personal
data); changing it breaks the MAC, so a token cannot be re-aimed at another customer. Stateless on
purpose: turning reminders off is idempotent and harmless to repeat, and reminders are turned back
on from the portal (docs/decisions.md)."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import quote

from portal import base64url
from portal.aws.secrets import rotating_secret
from portal.config import Settings
from portal.ids import is_ulid

LINK_SECRET = "mail-links"  # noqa: S105 - a secret's name
PURPOSE = b"reminders-off\n"
TOKEN_LIMIT = 200  # characters: anything longer is not a token (26 + 1 + 43 in fact)


def _mac(key: str, customer_id: str) -> str:
    digest = hmac.new(key.encode("utf-8"), PURPOSE + customer_id.encode("ascii"), hashlib.sha256)
    return base64url.encode(digest.digest())


def _keys(settings: Settings) -> list[str]:
    return [key for key in rotating_secret(settings.secrets_prefix + LINK_SECRET) if key]


def token_for(customer_id: str, settings: Settings) -> str:
    """The customer's unsubscribe token, signed with the current key."""
    if not is_ulid(customer_id):
        raise ValueError("not a customer id")
    keys = _keys(settings)
    if not keys:
        raise ValueError("no mail-links key")
    return f"{customer_id}.{_mac(keys[0], customer_id)}"


def customer_of(token: object, settings: Settings) -> str | None:
    """The customer a token was made for, or None when it is not one the portal signed (with the
    current or the previous key). Compared in constant time."""
    if not isinstance(token, str) or len(token) > TOKEN_LIMIT:
        return None
    customer_id, dot, presented = token.strip().partition(".")
    if not dot or not is_ulid(customer_id) or not presented.isascii():
        return None
    valid = False
    for key in _keys(settings):
        valid |= hmac.compare_digest(_mac(key, customer_id).encode(), presented.encode())
    return customer_id if valid else None


def unsubscribe_url(settings: Settings, token: str, *, language: str | None = None) -> str:
    """The page the mail's link opens: one button that turns reminders off (a POST, so a mail
    scanner fetching the link changes nothing), in the mail's language when given."""
    url = f"{settings.portal_origin}/unsubscribe.html?token={quote(token, safe='')}"
    return f"{url}&lang={quote(language, safe='')}" if language else url


def one_click_url(settings: Settings, token: str) -> str:
    """The List-Unsubscribe target (RFC 8058): mail clients POST `List-Unsubscribe=One-Click`
    to it, the token in the query."""
    return f"{settings.portal_origin}/api/reminders/unsubscribe?token={quote(token, safe='')}"
