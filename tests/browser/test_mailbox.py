"""The local mailbox in Chromium: a mail with a hostile customer name, delivered through the
outbox, the stream and SES, is shown in its sandboxed frame laid out as designed (its inline
styles apply under the mailbox's CSP) with the name as text: no script runs, no element of the
name's making exists, nothing is blocked or logged as an error (the page watcher fails the test
on any CSP violation or console error)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest

from portal.data import outbox
from portal.data.store import Store
from tests.support import local_mail

pytestmark = pytest.mark.browser

SCRIPT = "<script>alert('mailbox')</script>"
IMG = '"><img src=x onerror="alert(2)">'
TO = "hostile.name@example.org"


def mailed(portal: Any, address: str) -> list[dict[str, Any]]:
    return local_mail(portal.base_url, address)


@pytest.fixture(scope="module")
def hostile_mail(portal: Any) -> dict[str, Any]:
    """A support reminder whose customer and computer names try to inject markup and script."""
    store = Store(portal.table_name)
    message = outbox.new_message(
        "support_reminder",
        customer_id="01ARZ3NDEKTSV4RRFFQ69G5FAV",
        to=TO,
        language="en",
        data={
            "customerName": SCRIPT + IMG,
            "daysLeft": 30,
            "supports": [
                {
                    "software": "TSplus",
                    "edition": "Enterprise",
                    "users": 10,
                    "serialNumber": "P65",
                    "computerName": IMG,
                    "endsOn": "2026-12-31",
                }
            ],
            "unsubscribeUrl": f"{portal.base_url}/api/reminders/unsubscribe?t=x",
        },
        at=datetime.now(UTC),
    )
    outbox.put(store, message)
    deadline = time.monotonic() + 5
    while not (found := mailed(portal, TO)):
        assert time.monotonic() < deadline, "the mail never reached the mailbox"
        time.sleep(0.1)
    return found[0]


def test_a_hostile_name_shows_as_text_in_a_laid_out_mail_and_no_script_runs(
    web_page: Any, hostile_mail: dict[str, Any]
) -> None:
    dialogs: list[str] = []
    web_page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    # when the mailbox is opened
    web_page.goto("/_mailbox/")
    article = web_page.locator(f'article[data-id="{hostile_mail["id"]}"]')
    iframe = article.locator("iframe")
    # then the mail is in a frame sandboxed without scripts or its own origin
    sandbox = (iframe.get_attribute("sandbox") or "").split()
    assert iframe.get_attribute("sandbox") is not None
    assert not {"allow-scripts", "allow-same-origin"} & set(sandbox)
    frame = article.frame_locator("iframe")
    greeting = frame.locator("td p").first
    greeting.wait_for()
    # and the name reads exactly as the customer typed it, as text
    assert greeting.inner_text() == f"Hello {SCRIPT}{IMG},"
    assert frame.locator("script").count() == 0
    assert frame.locator("img").count() == 0
    assert frame.locator("[onerror]").count() == 0
    cell = frame.locator("table.supports tbody td").nth(1)
    assert cell.inner_text() == f"P65 / {IMG}"
    # and the layout's inline styles apply: the 600 px card, the blue button, the table
    card = frame.locator("table.mail")
    assert card.bounding_box()["width"] <= 600
    button = frame.locator("a.button")
    assert button.inner_text() == "Renew now"
    assert button.evaluate("a => getComputedStyle(a).backgroundColor") == "rgb(29, 78, 216)"
    assert button.evaluate("a => getComputedStyle(a).display") == "inline-block"
    headings = frame.locator("table.supports th").all_inner_texts()
    assert headings == ["Software", "Serial number / computer", "Users", "Edition", "End date"]
    # and the text part sits beside it, the name as text there too
    assert f"Hello {SCRIPT}{IMG}," in article.locator("pre.text").inner_text()
    # and nothing ran: no dialog, no injected element on the mailbox page itself
    web_page.wait_for_timeout(300)
    assert dialogs == []
    assert web_page.locator("img").count() == 0
    assert web_page.locator("script").count() == 0
