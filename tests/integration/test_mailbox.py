"""The local stack delivers outbox mail as AWS would, and shows it (API.md, "Local stack only"):
an outbox item written through the data layer, in a transaction as a request writes it, goes
through the table's stream to the mailer's own handler and SES (moto), and appears in
/_mailbox/messages with both parts within seconds; /_mailbox/ shows it in a sandboxed frame.
The mailbox is local: it is nowhere in template.yaml or the OpenAPI document."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest

from local import mailbox
from local.stack import LocalStack
from portal.clock import from_utc_text
from portal.data import keys, outbox
from portal.data.store import Store
from portal.edge.headers import SECURITY_HEADERS
from tests.support import ROOT, eventually, local_mail

pytestmark = pytest.mark.integration

CUSTOMER = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
HOSTILE = "<script>alert(1)</script>"
DEADLINE_SECONDS = 5.0


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with LocalStack(seed=False) as running:
        yield running


class Answer:
    def __init__(self, status: int, headers: Any, body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def json(self) -> Any:
        return json.loads(self.body)


def get(stack: LocalStack, path: str, method: str = "GET") -> Answer:
    url = urlsplit(stack.base_url)
    connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=10)
    try:
        connection.request(method, path)
        answer = connection.getresponse()
        return Answer(answer.status, answer.headers, answer.read())
    finally:
        connection.close()


def queue(stack: LocalStack, to: str, **data: Any) -> outbox.OutboxMessage:
    """An activation notice for `to`, in the transaction of the change that causes it."""
    store = Store(stack.table_name)
    message = outbox.new_message(
        "activation_notice",
        customer_id=CUSTOMER,
        to=to,
        language="de",
        data={
            "customerName": "Ana Müller",
            "licenseId": "01JDQ4Z6W7X8Y9ZABCDEFGHJKM",
            "software": "Remote Work",
            "serialNumber": "P71",
            "computerId": "SRV-TEST-02",
            "computerName": "Büro-PC",
            "action": "activated",
            "at": "2026-12-01T09:30:00Z",
            **data,
        },
        at=datetime.now(UTC),
    )
    cause = store.put_request({**keys.customer_profile(CUSTOMER), "name": "Ana Müller"})
    store.transact([("Put", cause), outbox.outbox_put_request(store, message)])
    return message


def wait_for(found: Callable[[], Any]) -> Any:
    return eventually(found, DEADLINE_SECONDS)


def messages_to(stack: LocalStack, address: str) -> list[dict[str, Any]]:
    return local_mail(stack.base_url, address)


def test_an_outbox_item_reaches_the_mailbox_with_both_parts(stack: LocalStack) -> None:
    # given an activation notice written to the outbox in its cause's transaction
    queued_at = time.monotonic()
    message = queue(stack, "ana.mailbox@example.de", computerName=HOSTILE)
    # when the stream feeds it to the mailer, then it is in the mailbox within seconds
    (mail,) = wait_for(lambda: messages_to(stack, "ana.mailbox@example.de"))
    assert time.monotonic() - queued_at < DEADLINE_SECONDS
    assert set(mail) == {"id", "to", "subject", "text", "html", "sentAt"}
    assert mail["to"] == ["ana.mailbox@example.de"]
    # in German, with the hostile computer name as text in both parts
    assert mail["subject"] == f"Remote Work P71 wurde auf {HOSTILE} aktiviert"
    assert "Hallo Ana Müller," in mail["text"] and HOSTILE in mail["text"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in mail["html"]
    assert "<script>" not in mail["html"]
    assert from_utc_text(mail["sentAt"]) <= datetime.now(UTC)
    # and the outbox item is sent under that SES message id, recorded once
    store = Store(stack.table_name)
    item = store.get(keys.outbox_key(message.outbox_id), consistent=True)
    assert item is not None and item["status"] == "sent" and item["sesMessageId"] == mail["id"]
    record = store.get(keys.mail_record_key(CUSTOMER, message.outbox_id), consistent=True)
    assert record is not None and record["sesMessageId"] == mail["id"]


def test_messages_are_listed_newest_first(stack: LocalStack) -> None:
    queue(stack, "first.order@example.de")
    wait_for(lambda: messages_to(stack, "first.order@example.de"))
    time.sleep(1.1)  # Date headers are to the second
    queue(stack, "second.order@example.de")
    wait_for(lambda: messages_to(stack, "second.order@example.de"))
    listed = [m["to"][0] for m in get(stack, "/_mailbox/messages").json()]
    assert listed.index("second.order@example.de") < listed.index("first.order@example.de")
    times = [m["sentAt"] for m in get(stack, "/_mailbox/messages").json()]
    assert times == sorted(times, reverse=True)


class Frames(HTMLParser):
    """The iframes of a page: their attributes, srcdoc unescaped as a browser reads it."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.frames: list[dict[str, str | None]] = []
        self.scripts = 0
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "iframe":
            self.frames.append(dict(attrs))
        if tag == "script":
            self.scripts += 1


def test_the_mailbox_page_renders_each_message_in_a_sandboxed_frame(stack: LocalStack) -> None:
    # given a message with a hostile customer name in the mailbox
    queue(stack, "frame.test@example.de", customerName=HOSTILE)
    (mail,) = wait_for(lambda: messages_to(stack, "frame.test@example.de"))
    # when the page is fetched
    page = get(stack, "/_mailbox/")
    assert page.status == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    # then the page runs no script, and each HTML part is in a frame without scripts or origin
    parsed = Frames(page.body.decode())
    assert parsed.scripts == 0
    shown = mailbox._frame_document(mail["html"])
    (frame,) = [f for f in parsed.frames if f.get("srcdoc") == shown]
    tokens = (frame.get("sandbox") or "").split()
    assert "sandbox" in frame and not {"allow-scripts", "allow-same-origin"} & set(tokens)
    assert '<base target="_blank">' in shown  # its links open in a new tab
    # and the text part is shown too
    assert "Hallo &lt;script&gt;alert(1)&lt;/script&gt;," in page.body.decode()
    # and its headers: the portal's, with a CSP that lets mail styles in and nothing else
    csp = page.headers["Content-Security-Policy"]
    assert csp == mailbox.CSP
    assert "script-src" not in csp and "default-src 'none'" in csp
    for name in ("Strict-Transport-Security", "X-Content-Type-Options", "X-Frame-Options"):
        assert page.headers[name] == SECURITY_HEADERS[name]
    assert page.headers["Cache-Control"] == "no-store"


def test_the_mailbox_answers_only_its_two_gets_and_leaves_the_portal_alone(
    stack: LocalStack,
) -> None:
    assert get(stack, "/_mailbox").status == 308
    assert get(stack, "/_mailbox").headers["Location"] == "/_mailbox/"
    assert get(stack, "/_mailbox/nothing").status == 404
    assert get(stack, "/_mailbox/messages", method="POST").status == 404
    assert get(stack, "/_mailbox/messages", method="DELETE").status == 404
    # the portal's own pages keep the portal's CSP
    index = get(stack, "/")
    assert index.status == 200
    assert index.headers["Content-Security-Policy"] == SECURITY_HEADERS["Content-Security-Policy"]


def test_the_mailbox_is_never_deployed() -> None:
    assert "_mailbox" not in (ROOT / "template.yaml").read_text()
    assert "_mailbox" not in (ROOT / "docs" / "openapi.json").read_text()
