"""A rendered mail as SES takes it raw: MIME multipart/alternative, the text part first and the
HTML part last (what clients prefer), both UTF-8 quoted-printable, CRLF line ends.

Headers: From (the sender identity, with the portal's name in the message's language), To, an
RFC 2047-encoded Subject, Date, a Message-ID made from the outbox id (a mail delivered twice
carries the same id, so clients can tell), Content-Language, `Auto-Submitted: auto-generated`
(RFC 3834: no auto-replies) and, for messages one can opt out of, List-Unsubscribe: the
one-click URL with `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058, so a mail client's
unsubscribe button works without a page) when the message has one, else the page. The email
package refuses a header value with CR or LF, so even a value that escaped portal.mail.text could
not add a header."""

from __future__ import annotations

from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from portal.mail.render import Rendered, RenderError

# SMTP: CRLF line ends, lines folded at 78; utf8=False: headers stay 7-bit (RFC 2047 words).
POLICY = policy.SMTP
QP = "quoted-printable"


def _address(address: str, name: str = "") -> Address:
    local, _, domain = address.rpartition("@")
    try:
        return Address(display_name=name, username=local, domain=domain)
    except (ValueError, IndexError) as exc:  # the email package's own checks of an address
        raise RenderError(f"not an address the mail can carry ({type(exc).__name__})") from None


def build(rendered: Rendered, *, to: str, sender: str, at: datetime, reference: str) -> bytes:
    """The raw message. `reference` (the outbox id) makes the Message-ID."""
    message = EmailMessage(policy=POLICY)
    try:
        message["From"] = _address(sender, rendered.sender_name)
        message["To"] = _address(to)
        message["Subject"] = rendered.subject
        message["Date"] = format_datetime(at)
        message["Message-ID"] = f"<{reference}@{sender.rpartition('@')[2]}>"
        message["Auto-Submitted"] = "auto-generated"
        if rendered.one_click_url:
            message["List-Unsubscribe"] = f"<{rendered.one_click_url}>"
            message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        elif rendered.unsubscribe_url:
            message["List-Unsubscribe"] = f"<{rendered.unsubscribe_url}>"
        message.set_content(rendered.text, subtype="plain", charset="utf-8", cte="quoted-printable")
        message.add_alternative(
            rendered.html, subtype="html", charset="utf-8", cte="quoted-printable"
        )
        # After the parts: set_content moves Content-* headers into the first part.
        message["Content-Language"] = rendered.language
        return message.as_bytes()
    except (ValueError, TypeError) as exc:
        if isinstance(exc, RenderError):
            raise
        raise RenderError(f"the message cannot be built ({type(exc).__name__})") from None
