"""Each mail, rendered in the customer's language to (subject, text, html) inside one layout: the
portal's name linking to the portal, the message, and a footer with the portal link and the
support contact (Settings.portal_origin, Settings.support_email) in every message.

    rendered = render("activation_notice", "de", data, settings)

The kinds and the data each takes (JSON values, as an outbox item holds them):

- `support_reminder`: customerName, daysLeft (30, 7, ...; negative once ended), supports
  [{software, edition? (Remote Work has none), users, serialNumber, computerName?, computerId?,
  endsOn: YYYY-MM-DD}],
  unsubscribeUrl (the page that turns reminders off), oneClickUrl? (the RFC 8058 one-click
  target the List-Unsubscribe header carries), renewUrl? (default: the portal's home page);
- `activation_notice`: customerName, licenseId, software, serialNumber, computerId,
  computerName?, action (activated | released), at (ISO 8601 UTC); links to the license's
  history, `<portal>/home.html?history=<licenseId>`;
- `sign_in_code`: code, link, minutes (how long the code is valid), customerName?;
- `sign_in_link`: link (`<portal>/link.html#token=...`), minutes (how long it works),
  customerName?.

Customer-supplied values reach the mail only through portal.mail.text (plain in the subject and
the text part, escaped in the HTML part); links only when they point at the portal or the
FastSpring checkout. Bad data is a RenderError (a ValueError): such a message is never sent."""

from __future__ import annotations

import html
import re
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from string import Template
from typing import Any
from urllib.parse import quote, urlsplit

from portal.clock import from_utc_text
from portal.config import Settings
from portal.mail import formats
from portal.mail.catalog import CATALOG
from portal.mail.text import markup, plain

SUBJECT_LIMIT = 160
WIDTH = 76  # of the text part's lines
_URL = re.compile(r"^https?://[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+$")


class RenderError(ValueError):
    """The data cannot make this message (unknown kind, a missing or malformed value)."""


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    text: str
    html: str
    sender_name: str  # the From header's display name, in the message's language
    language: str
    unsubscribe_url: str | None = None  # the footer's link to turn this kind of mail off
    one_click_url: str | None = None  # RFC 8058: List-Unsubscribe with List-Unsubscribe-Post


# ---------------------------------------------------------------- pieces
@dataclass(frozen=True, slots=True)
class Piece:
    """One thing said twice: as text and as HTML."""

    text: str
    html: str


def value(raw: object) -> Piece:
    """A value from outside: plain text, escaped HTML."""
    return Piece(plain(raw), markup(raw))


def strong(raw: object) -> Piece:
    return Piece(plain(raw), f"<strong>{markup(raw)}</strong>")


def say(language: str, key: str, **values: Piece) -> Piece:
    """The catalog's sentence `key` with its placeholders filled: in the text, with the values'
    text; in the HTML, the sentence escaped first, then the values' HTML put in."""
    sentence = CATALOG[language][key]
    try:
        text = Template(sentence).substitute({k: v.text for k, v in values.items()})
        markup_ = Template(html.escape(sentence, quote=False)).substitute(
            {k: v.html for k, v in values.items()}
        )
    except (KeyError, ValueError) as exc:  # a sentence and its values disagree: our bug
        raise RenderError(f"{language}/{key}: {exc}") from None
    return Piece(text, markup_)


@dataclass(frozen=True, slots=True)
class Paragraph:
    piece: Piece


@dataclass(frozen=True, slots=True)
class Button:
    label: Piece
    url: str


@dataclass(frozen=True, slots=True)
class Code:
    code: str


@dataclass(frozen=True, slots=True)
class Table:
    headings: Sequence[Piece]
    rows: Sequence[Sequence[Piece]]


Block = Paragraph | Button | Code | Table


@dataclass(frozen=True, slots=True)
class Message:
    subject: Piece
    greeting: Piece
    blocks: list[Block]
    why: Piece  # why the customer gets this mail (the footer's first line)
    unsubscribe: tuple[Piece, str] | None = None  # label, URL
    one_click: str | None = None  # the URL a mail client POSTs to (RFC 8058)


# ---------------------------------------------------------------- data checks
def _text(data: Mapping[str, Any], name: str, *, required: bool = True) -> str:
    raw = data.get(name)
    if raw is None or (isinstance(raw, str) and not plain(raw)):
        if required:
            raise RenderError(f"{name} is missing")
        return ""
    if not isinstance(raw, str | int) or isinstance(raw, bool):
        raise RenderError(f"{name} must be text")
    return str(raw)


def _whole(data: Mapping[str, Any], name: str, *, minimum: int | None = None) -> int:
    raw = data.get(name)
    if not isinstance(raw, int) or isinstance(raw, bool):
        raise RenderError(f"{name} must be a whole number")
    if minimum is not None and raw < minimum:
        raise RenderError(f"{name} must be at least {minimum}")
    return raw


def _day(data: Mapping[str, Any], name: str) -> date:
    try:
        return date.fromisoformat(str(data[name]))
    except (KeyError, ValueError):
        raise RenderError(f"{name} must be a date (YYYY-MM-DD)") from None


def link(url: object, settings: Settings) -> str:
    """`url` if it is an absolute URL on the portal (or the FastSpring checkout), else a
    RenderError: a mail never links anywhere else."""
    if not isinstance(url, str) or not _URL.fullmatch(url):
        raise RenderError("a link must be an absolute http(s) URL")
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    if origin not in (settings.portal_origin, settings.fastspring_checkout_base):
        raise RenderError("a link must point at the portal")
    return url


# ---------------------------------------------------------------- the kinds
def _greeting(language: str, name: str) -> Piece:
    return (
        say(language, "greeting", name=value(name)) if name else say(language, "greeting_anonymous")
    )


def support_reminder(language: str, data: Mapping[str, Any], settings: Settings) -> Message:
    supports = data.get("supports")
    if not isinstance(supports, list) or not supports:
        raise RenderError("supports must list at least one support")
    if not all(isinstance(row, Mapping) for row in supports):
        raise RenderError("each support must be an object")
    days = _whole(data, "daysLeft")
    ends = [_day(row, "endsOn") for row in supports]
    first = value(formats.long_date(min(ends), language))
    if days < 0:
        subject, intro = "reminder_subject_ended", say(language, "reminder_ended", date=first)
    else:
        subject = "reminder_subject_ends"
        intro = (
            say(language, "reminder_ends_tomorrow", date=first)
            if days <= 1
            else say(language, "reminder_ends", days=value(days), date=first)
        )
    headings = [
        say(language, key)
        for key in ("column_software", "column_serial", "column_users", "column_edition")
    ] + [say(language, "column_ends")]
    rows = []
    for row, ends_on in zip(supports, ends, strict=True):
        serial = _text(row, "serialNumber")
        computer = _text(row, "computerName", required=False) or _text(
            row, "computerId", required=False
        )
        rows.append(
            [
                value(_text(row, "software")),
                value(f"{serial} / {computer}" if computer else serial),
                value(formats.number(_whole(row, "users", minimum=0), language)),
                value(_text(row, "edition", required=False) or "-"),
                value(formats.long_date(ends_on, language)),
            ]
        )
    renew = link(data.get("renewUrl") or f"{settings.portal_origin}/home.html", settings)
    unsubscribe = link(data.get("unsubscribeUrl"), settings)
    one_click = link(data["oneClickUrl"], settings) if data.get("oneClickUrl") else None
    return Message(
        subject=say(language, subject, date=first),
        greeting=_greeting(language, _text(data, "customerName", required=False)),
        blocks=[
            Paragraph(intro),
            Table(headings, rows),
            Button(say(language, "reminder_action"), renew),
        ],
        why=say(language, "reminder_why"),
        unsubscribe=(say(language, "reminder_unsubscribe"), unsubscribe),
        one_click=one_click,
    )


ACTIONS = ("activated", "released")


def activation_notice(language: str, data: Mapping[str, Any], settings: Settings) -> Message:
    action = data.get("action")
    if action not in ACTIONS:
        raise RenderError(f"action must be one of {', '.join(ACTIONS)}")
    license_id = _text(data, "licenseId")
    try:
        at = from_utc_text(_text(data, "at"))
    except ValueError:
        raise RenderError("at must be an ISO 8601 time with its offset") from None
    computer_id = _text(data, "computerId")
    computer_name = _text(data, "computerName", required=False)
    named = computer_name and computer_name != computer_id  # the product's default name: its id
    computer = f"{computer_name} ({computer_id})" if named else computer_id
    software, serial = _text(data, "software"), _text(data, "serialNumber")
    history = link(
        f"{settings.portal_origin}/home.html?history={quote(license_id, safe='')}", settings
    )
    return Message(
        subject=say(
            language,
            f"activation_subject_{action}",
            software=value(software),
            serial=value(serial),
            computer=value(computer_name or computer_id),
        ),
        greeting=_greeting(language, _text(data, "customerName", required=False)),
        blocks=[
            Paragraph(
                say(
                    language,
                    f"activation_{action}",
                    software=strong(software),
                    serial=strong(serial),
                    computer=strong(computer),
                    when=value(formats.date_time(at, language)),
                )
            ),
            Paragraph(say(language, "activation_not_you")),
            Button(say(language, "activation_action"), history),
        ],
        why=say(language, "activation_why"),
    )


_CODE = re.compile(r"^[A-Za-z0-9\-]{4,32}$")


def sign_in_code(language: str, data: Mapping[str, Any], settings: Settings) -> Message:
    code = _text(data, "code")
    if not _CODE.fullmatch(code):
        raise RenderError("code must be 4-32 letters, digits or dashes")
    minutes = _whole(data, "minutes", minimum=1)
    return Message(
        subject=say(language, "sign_in_subject"),
        greeting=_greeting(language, _text(data, "customerName", required=False)),
        blocks=[
            Paragraph(say(language, "sign_in_code")),
            Code(code),
            Paragraph(say(language, "sign_in_validity", minutes=value(minutes))),
            Button(say(language, "sign_in_action"), link(data.get("link"), settings)),
        ],
        why=say(language, "sign_in_why"),
    )


def sign_in_link(language: str, data: Mapping[str, Any], settings: Settings) -> Message:
    minutes = _whole(data, "minutes", minimum=1)
    return Message(
        subject=say(language, "link_subject"),
        greeting=_greeting(language, _text(data, "customerName", required=False)),
        blocks=[
            Paragraph(say(language, "link_intro", minutes=value(minutes))),
            Button(say(language, "sign_in_action"), link(data.get("link"), settings)),
        ],
        why=say(language, "link_why"),
    )


KINDS: dict[str, Callable[[str, Mapping[str, Any], Settings], Message]] = {
    "support_reminder": support_reminder,
    "activation_notice": activation_notice,
    "sign_in_code": sign_in_code,
    "sign_in_link": sign_in_link,
}


def render(kind: str, language: str, data: Mapping[str, Any], settings: Settings) -> Rendered:
    if kind not in KINDS:
        raise RenderError(f"no message kind {kind!r}")
    if language not in CATALOG:
        raise RenderError(f"no templates in language {language!r}")
    message = KINDS[kind](language, data, settings)
    subject = plain(message.subject.text, limit=SUBJECT_LIMIT)
    return Rendered(
        subject=subject,
        text=_text_part(language, message, settings),
        html=_html_part(language, subject, message, settings),
        sender_name=CATALOG[language]["brand"],
        language=language,
        unsubscribe_url=message.unsubscribe[1] if message.unsubscribe else None,
        one_click_url=message.one_click,
    )


# ---------------------------------------------------------------- the text part
def _wrap(text: str, indent: str = "") -> str:
    return textwrap.fill(
        text,
        width=WIDTH,
        initial_indent=indent,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )


def _text_block(language: str, block: Block) -> str:
    colon = CATALOG[language]["colon"]
    if isinstance(block, Paragraph):
        return _wrap(block.piece.text)
    if isinstance(block, Button):
        return f"{block.label.text}{colon}\n{block.url}"
    if isinstance(block, Code):
        return f"    {block.code}"
    lines = []
    for row in block.rows:
        lines.append(f"* {row[0].text}")
        lines += [
            _wrap(f"{heading.text}{colon} {cell.text}", "  ")
            for heading, cell in zip(block.headings[1:], row[1:], strict=True)
        ]
    return "\n".join(lines)


def _text_part(language: str, message: Message, settings: Settings) -> str:
    brand = CATALOG[language]["brand"]
    footer = [
        _wrap(message.why.text),
        _wrap(say(language, "footer_portal", portal=value(settings.portal_origin)).text),
        _wrap(say(language, "footer_support", support=value(settings.support_email)).text),
    ]
    if message.unsubscribe:
        label, url = message.unsubscribe
        footer.append(f"{label.text}{CATALOG[language]['colon']}\n{url}")
    parts = [
        f"{brand}\n{settings.portal_origin}",
        message.greeting.text,
        *(_text_block(language, block) for block in message.blocks),
        "-- \n" + "\n".join(footer),
    ]
    return "\n\n".join(parts) + "\n"


# ---------------------------------------------------------------- the HTML part
# Inline styles and tables: what mail clients render alike. No script, no external resource.
_LAYOUT = Template(
    "<!DOCTYPE html>\n"
    '<html lang="$lang">\n'
    "<head>\n"
    '<meta charset="utf-8">\n'
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
    '<meta name="color-scheme" content="light">\n'
    "<title>$subject</title>\n"
    "</head>\n"
    '<body style="margin:0;padding:0;background:#f3f4f6;">\n'
    '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" '
    'style="background:#f3f4f6;">\n'
    '<tr><td align="center" style="padding:24px 12px;">\n'
    '<table role="presentation" width="600" cellpadding="0" cellspacing="0" class="mail" '
    'style="width:100%;max-width:600px;background:#ffffff;border:1px solid #e5e7eb;'
    "border-radius:8px;font-family:Arial,Helvetica,sans-serif;color:#111827;font-size:15px;"
    'line-height:1.5;">\n'
    '<tr><td style="padding:18px 28px;border-bottom:1px solid #e5e7eb;">'
    '<a href="$portal" class="brand" style="color:#1d4ed8;font-size:18px;font-weight:bold;'
    'text-decoration:none;">$brand</a></td></tr>\n'
    '<tr><td style="padding:24px 28px;">\n'
    '<p style="margin:0 0 16px;">$greeting</p>\n'
    "$content\n"
    "</td></tr>\n"
    '<tr><td class="footer" style="padding:16px 28px;border-top:1px solid #e5e7eb;'
    'color:#6b7280;font-size:13px;line-height:1.5;">\n'
    "$footer\n"
    "</td></tr>\n"
    "</table>\n"
    "</td></tr>\n"
    "</table>\n"
    "</body>\n"
    "</html>\n"
)
_P = Template('<p style="margin:0 0 16px;">$text</p>')
_SMALL = Template('<p style="margin:0 0 6px;">$text</p>')
_BUTTON = Template(
    '<p style="margin:8px 0 16px;"><a href="$url" class="button" style="display:inline-block;'
    "background:#1d4ed8;color:#ffffff;padding:10px 18px;border-radius:6px;text-decoration:none;"
    'font-weight:bold;">$label</a></p>'
)
_CODE_HTML = Template(
    '<p class="code" style="margin:0 0 16px;font-family:Consolas,Menlo,monospace;font-size:28px;'
    'font-weight:bold;letter-spacing:4px;">$code</p>'
)
_TH = Template(
    '<th scope="col" style="text-align:left;padding:8px;border-bottom:2px solid #e5e7eb;'
    'font-size:13px;color:#374151;">$text</th>'
)
_TD = Template(
    '<td style="padding:8px;border-bottom:1px solid #e5e7eb;vertical-align:top;">$text</td>'
)
_LINK = Template('<a href="$url" style="color:#1d4ed8;">$text</a>')


def _html_block(block: Block) -> str:
    if isinstance(block, Paragraph):
        return _P.substitute(text=block.piece.html)
    if isinstance(block, Button):
        return _BUTTON.substitute(url=html.escape(block.url, quote=True), label=block.label.html)
    if isinstance(block, Code):
        return _CODE_HTML.substitute(code=html.escape(block.code))
    head = "".join(_TH.substitute(text=heading.html) for heading in block.headings)
    body = "".join(
        "<tr>" + "".join(_TD.substitute(text=cell.html) for cell in row) + "</tr>"
        for row in block.rows
    )
    return (
        '<table cellpadding="0" cellspacing="0" class="supports" style="width:100%;'
        'border-collapse:collapse;margin:0 0 16px;font-size:14px;">'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def _html_part(language: str, subject: str, message: Message, settings: Settings) -> str:
    portal = html.escape(settings.portal_origin, quote=True)
    support = html.escape(settings.support_email, quote=True)
    portal_link = Piece(settings.portal_origin, _LINK.substitute(url=portal, text=portal))
    support_link = Piece(
        settings.support_email, _LINK.substitute(url=f"mailto:{support}", text=support)
    )
    footer = [
        message.why.html,
        say(language, "footer_portal", portal=portal_link).html,
        say(language, "footer_support", support=support_link).html,
    ]
    if message.unsubscribe:
        label, url = message.unsubscribe
        footer.append(_LINK.substitute(url=html.escape(url, quote=True), text=label.html))
    return _LAYOUT.substitute(
        lang=language,
        subject=html.escape(subject),
        portal=portal,
        brand=html.escape(CATALOG[language]["brand"]),
        greeting=message.greeting.html,
        content="\n".join(_html_block(block) for block in message.blocks),
        footer="\n".join(_SMALL.substitute(text=line) for line in footer),
    )
