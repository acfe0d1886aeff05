"""The local mailbox (local stack only, never deployed; API.md "Local stack only"): every message
sent through the local SES, newest first.

    GET /_mailbox/           a page: each message's subject, recipients and time, its HTML part
                             rendered in a sandboxed frame and its text part
    GET /_mailbox/messages   [{id, to: [address], subject, text, html, sentAt}] for scripts

The messages are read from moto over HTTP (`GET <moto>/moto-api/data.json`: SES's raw messages,
as the mailer sent them) and parsed as MIME; `sentAt` is the message's Date header in UTC.

A mail is someone else's HTML, so it is shown the way a careful mail client shows it: in
`<iframe sandbox srcdoc=...>` without allow-scripts or allow-same-origin (no script runs, the
frame has an origin of its own, no forms, it cannot navigate the page), its links opening in a
new tab (allow-popups-to-escape-sandbox, `<base target="_blank">`). The page's own
Content-Security-Policy, which the frame inherits, allows inline styles (mail is styled inline)
and data: images, and nothing else: no script, no other resource, no form. `wrap` mounts the
mailbox in front of the portal's app, so these answers keep the portal's other security headers
but not its CSP (which would strip every mail of its styles).
"""

from __future__ import annotations

import html
import http.client
import json
from collections.abc import Callable, Iterable
from datetime import UTC
from email import policy
from email.message import EmailMessage
from email.parser import Parser
from typing import Any
from urllib.parse import urlsplit

from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.wrappers import Request, Response

from portal.clock import utc_text
from portal.edge.headers import SECURITY_HEADERS

PATH = "/_mailbox"
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
SANDBOX = "allow-popups allow-popups-to-escape-sandbox"

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


# ---------------------------------------------------------------- reading moto's SES
def sent_raw_messages(moto_url: str) -> list[dict[str, Any]]:
    """moto's SES raw messages ({id, source, destinations, raw_data}), in the order sent."""
    url = urlsplit(moto_url)
    connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=10)
    try:
        connection.request("GET", "/moto-api/data.json")
        answer = connection.getresponse()
        body = answer.read()
    finally:
        connection.close()
    if answer.status != 200:
        raise OSError(f"moto answered {answer.status} to /moto-api/data.json")
    return list(json.loads(body).get("ses", {}).get("RawMessage", []))


def parse(sent: dict[str, Any]) -> dict[str, Any]:
    """One message as /_mailbox/messages answers it."""
    message = Parser(_class=EmailMessage, policy=policy.default).parsestr(str(sent["raw_data"]))
    assert isinstance(message, EmailMessage)
    to = [address.addr_spec for address in getattr(message["to"], "addresses", ())]
    date = getattr(message["date"], "datetime", None)
    return {
        "id": str(sent["id"]),
        "to": to or [str(address) for address in sent.get("destinations", [])],
        "subject": str(message["subject"] or ""),
        "text": _part(message, "plain"),
        "html": _part(message, "html"),
        "sentAt": utc_text(date.astimezone(UTC)) if date and date.tzinfo else None,
    }


def _part(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    if part is None or part.get_content_subtype() != subtype:
        return ""
    return str(part.get_content()).replace("\r\n", "\n")  # MIME lines end in CRLF


def messages(moto_url: str) -> list[dict[str, Any]]:
    """Every message sent through the local SES, newest first."""
    parsed = [parse(sent) for sent in sent_raw_messages(moto_url)]
    parsed.reverse()  # moto keeps them in the order sent
    return sorted(parsed, key=lambda m: m["sentAt"] or "", reverse=True)


# ---------------------------------------------------------------- the page
_STYLE = """
body { font-family: system-ui, sans-serif; margin: 0; background: #f9fafb; color: #111827; }
header.page { padding: 16px 24px; background: #1f2937; color: #f9fafb; }
header.page a { color: #bfdbfe; }
main { padding: 16px 24px; max-width: 960px; }
article { background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; margin: 0 0 24px;
  padding: 16px; }
article h2 { font-size: 18px; margin: 0 0 8px; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0 0 12px;
  font-size: 14px; }
dt { color: #6b7280; }
dd { margin: 0; }
iframe { width: 100%; height: 520px; border: 1px solid #d1d5db; border-radius: 4px;
  resize: vertical; background: #fff; }
pre { white-space: pre-wrap; font-size: 13px; background: #f3f4f6; padding: 12px;
  border-radius: 4px; }
"""


def _frame_document(mail_html: str) -> str:
    """The HTML part as the frame shows it: links open in a new tab."""
    base = '<base target="_blank">'
    if "<head>" in mail_html:
        return mail_html.replace("<head>", "<head>" + base, 1)
    return base + mail_html


def page(found: list[dict[str, Any]]) -> str:
    e = html.escape
    articles = []
    for number, message in enumerate(found, start=1):
        subject = message["subject"] or "(no subject)"
        frame = ""
        if message["html"]:
            frame = (
                f'<iframe sandbox="{SANDBOX}" referrerpolicy="no-referrer" '
                f'title="{e(subject)}" srcdoc="{e(_frame_document(message["html"]))}"></iframe>'
            )
        articles.append(
            f'<article class="message" data-id="{e(message["id"])}">'
            f"<h2>{number}. {e(subject)}</h2>"
            f"<dl><dt>To</dt><dd>{e(', '.join(message['to']))}</dd>"
            f"<dt>Sent</dt><dd>{e(message['sentAt'] or '')}</dd>"
            f"<dt>SES message id</dt><dd>{e(message['id'])}</dd></dl>"
            f"{frame}"
            f'<details open><summary>Text part</summary><pre class="text">{e(message["text"])}'
            "</pre></details></article>"
        )
    body = "\n".join(articles) or '<p class="empty">No mail sent yet.</p>'
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Local mailbox ({len(found)})</title><style>{_STYLE}</style></head><body>"
        '<header class="page"><strong>Local mailbox</strong> - every message sent through the '
        f'local SES, newest first ({len(found)}). <a href="{PATH}/">Refresh</a> · '
        f'<a href="{PATH}/messages">JSON</a></header>'
        f"<main>{body}</main></body></html>"
    )


# ---------------------------------------------------------------- serving
class Mailbox:
    """The WSGI app behind PATH (werkzeug's dispatcher strips PATH from the path)."""

    def __init__(self, moto_url: str) -> None:
        self.moto_url = moto_url

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = str(environ.get("PATH_INFO", ""))
        return self.respond(Request(environ), path)(environ, start_response)

    def respond(self, request: Request, path: str) -> Response:
        if path == "":  # /_mailbox itself
            return self._headers(Response(status=308, headers={"Location": f"{PATH}/"}))
        if path not in ("/", "/messages") or request.method not in ("GET", "HEAD"):
            return self._headers(_not_found())
        found = messages(self.moto_url)
        if path == "/messages":
            answer = Response(json.dumps(found, ensure_ascii=False), mimetype="application/json")
        else:
            answer = Response(page(found), content_type="text/html; charset=utf-8")
        return self._headers(answer)

    @staticmethod
    def _headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers[name] = value
        response.headers["Content-Security-Policy"] = CSP
        response.headers["Cache-Control"] = "no-store"
        return response


def _not_found() -> Response:
    return Response('{"message": "Not Found"}', 404, mimetype="application/json")


def wrap(app: WsgiApp, moto_url: str) -> WsgiApp:
    """`app` with the mailbox in front of it at PATH."""
    return DispatcherMiddleware(app, {PATH: Mailbox(moto_url)})
