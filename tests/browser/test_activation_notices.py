"""Activation notices in Chromium (issue 9): the notice's link, home.html?history=<licenseId>,
opens that license's history even when the license is beyond the first page and the customer
signs in first, with its Release action right there ("not you?"); the release mails a release
notice. A notice whose computer name tries to inject markup shows it as text in a laid-out
mail (the page watcher fails the test on any CSP violation or console error).

Each test makes a customer of its own (tests.factories.stack_factory), so the demo records other
browser tests count stay as seeded."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.ui import HOME_API, open_sign_in, page_size, sign_in, wait_for_table
from tests.factories import LicenseSpec, stack_factory
from tests.support import eventually, local_mail

pytestmark = pytest.mark.browser

HOSTILE = "<script>alert('n')</script><img src=x onerror=alert(2)>"


def mailed(portal: Any, address: str, count: int = 1) -> list[dict[str, Any]]:
    """The activation notices to `address` once there are `count` of them (newest first; the
    sign-in codes the customer was also sent are left out)."""

    def notices() -> list[dict[str, Any]]:
        mail = local_mail(portal.base_url, address)
        found = [m for m in mail if "/home.html?history=" in m["text"]]
        return found if len(found) >= count else []

    return list(eventually(notices, 10))


def test_the_notice_link_opens_a_later_pages_license_history_after_sign_in_and_releases_it(
    web_page, browser_context, portal, watch, catalogs
):
    # given a customer with more licenses than a page holds, each on a computer of its own
    cat = catalogs["en"]
    count = page_size() + 2
    customer = stack_factory(portal)(
        licenses=[LicenseSpec(computer=f"SRV-LINK-{n:02d}") for n in range(count)]
    )
    # and the license listed last (beyond the first page), as the API lists them
    page = web_page
    open_sign_in(page, "en")
    sign_in(page, customer.email, customer.order_number)
    listed = browser_context.request.get(f"/api/licenses?limit={count}").json()["items"]
    target = listed[-1]
    browser_context.clear_cookies()

    # when the notice's link is opened without a session, and the customer signs in
    watch.allow(401, *HOME_API)
    page.goto(f"/home.html?history={target['id']}&lang=en")
    page.wait_for_url("**/index.html")
    sign_in(page, customer.email, customer.order_number)

    # then the home page opens that license's history, its first page of licenses shown behind
    dialog = page.locator("#history-dialog")
    dialog.wait_for(state="visible")
    assert page.locator("#history-title").inner_text() == cat["history.title"].replace(
        "{serial}", target["serialNumber"]
    )
    wait_for_table(page, "history")
    visible = page.locator("#licenses-table tbody tr").evaluate_all(
        "trs => trs.map(tr => tr.dataset.id)"
    )
    assert target["id"] not in visible
    # and its Release action is there; it asks to confirm, naming the computer
    release = page.locator("#history-release")
    assert release.is_visible() and release.inner_text() == cat["licenses.release"]
    release.click()
    page.locator("#release-dialog").wait_for(state="visible")
    assert not dialog.is_visible()
    assert target["computerId"] in page.locator("#release-text").inner_text()

    # when it is confirmed, then the license is released, and said so
    page.locator("#release-confirm").click()
    page.locator("#release-dialog").wait_for(state="hidden")
    status = page.locator("#license-action-status")
    assert target["serialNumber"] in status.inner_text()
    after = browser_context.request.get(f"/api/licenses?limit={count}").json()["items"]
    assert next(lic for lic in after if lic["id"] == target["id"])["computerId"] is None
    # and the customer is mailed the release, linking back to that history
    (notice,) = mailed(portal, customer.email)
    assert target["computerId"] in notice["subject"]
    assert f"/home.html?history={target['id']}" in notice["text"]

    # when the link is opened again, then the history opens with no Release (nothing bound)
    page.goto(f"/home.html?history={target['id']}")
    dialog.wait_for(state="visible")
    assert not page.locator("#history-release").is_visible()


def test_a_link_naming_no_license_of_the_customer_opens_nothing(
    web_page, browser_context, portal, watch, catalogs
):
    # given a signed-in customer, and another customer's license id
    cat = catalogs["en"]
    other = stack_factory(portal)(licenses=[LicenseSpec(computer="SRV-OTHER-01")])
    customer = stack_factory(portal)(licenses=[LicenseSpec()])
    page = web_page
    open_sign_in(page, "en")
    sign_in(page, customer.email, customer.order_number)
    # when the link names the other customer's license, then no dialog opens, the page says so
    page.goto(f"/home.html?history={other.license_ids[0]}")
    status = page.locator("#license-action-status")
    status.wait_for(state="visible")
    page.wait_for_function(
        "text => document.getElementById('license-action-status').textContent === text",
        arg=cat["history.notFound"],
    )
    assert not page.locator("#history-dialog").is_visible()
    # and a link naming no license id at all is ignored (no request, no dialog, no message)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto("/home.html?history=..%2F..%2Fme")
    wait_for_table(page, "licenses")
    page.wait_for_timeout(300)
    assert not page.locator("#history-dialog").is_visible()
    assert page.locator("#license-action-status").inner_text() == ""
    assert not [url for url in requests if "/history" in url]


def test_a_hostile_computer_name_in_an_activation_notice_shows_as_text(
    web_page, browser_context, portal, watch
):
    # given a customer whose product activates a license on a computer named to inject markup
    customer = stack_factory(portal)(licenses=[LicenseSpec()])
    answer = browser_context.request.post(
        "/api/activation/activate",
        data={
            "activationKey": customer.activation_key,
            "computerId": "SRV-HOSTILE-01",
            "computerName": HOSTILE,
            "product": "TSplus",
        },
    )
    assert answer.status == 200, answer.text()
    (mail,) = mailed(portal, customer.email)
    dialogs: list[str] = []
    page = web_page
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    # when the mailbox shows it
    page.goto("/_mailbox/")
    frame = page.locator(f'article[data-id="{mail["id"]}"]').frame_locator("iframe")
    named = frame.locator("td p strong").nth(2)
    named.wait_for()
    # then the computer's name reads as it was sent, as text, and nothing of its making exists
    assert named.inner_text() == f"{HOSTILE} (SRV-HOSTILE-01)"
    assert frame.locator("script").count() == 0
    assert frame.locator("img").count() == 0
    assert frame.locator("[onerror]").count() == 0
    # and the mail is laid out: the card, the button to the license's history
    assert frame.locator("table.mail").bounding_box()["width"] <= 600
    button = frame.locator("a.button")
    assert button.inner_text() == "Review the license"
    assert button.get_attribute("href") == (
        f"{portal.base_url}/home.html?history={customer.license_ids[0]}"
    )
    assert button.evaluate("a => getComputedStyle(a).backgroundColor") == "rgb(29, 78, 216)"
    page.wait_for_timeout(300)
    assert dialogs == []
