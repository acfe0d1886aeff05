"""A license's computer on the home page (issue 7): the "Serial Number / Computer" column, the
history dialog, Release with its confirmation, offline activation (a file that verifies for the
computer typed in), the Support column's "View" link, in en, de and fr.

The licenses to act on are found on the page (a bound one: a `[data-computer-id]` computer; a
free one: "not activated"), not named here. The flow that changes data leaves the guide's
never-activated license free again (activate offline, then release), so the other browser tests
see the demo data as seeded; the rehost limit is the API's answer played by a route, so no
release is used up for it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from product_sdk.verify_license import InvalidLicenseFile, verify
from tests.browser.ui import (
    api_sign_in,
    intl_dates,
    norm,
    open_home,
    wait_for_table,
)
from tests.support import DEMO_EMAIL, DEMO_ORDER

pytestmark = pytest.mark.browser

COMPUTER_ID = "OFFLINE-SRV:07"
COMPUTER_NAME = "Büro Serveur 7"


def _bound_row(page: Any) -> Any:
    return page.locator("#licenses-table tbody tr", has=page.locator("[data-computer-id]")).first


def _free_row(page: Any) -> Any:
    return page.locator("#licenses-table tbody tr", has=page.locator(".not-activated")).first


def _row_of(page: Any, license_id: str) -> Any:
    return page.locator(f'#licenses-table tbody tr[data-id="{license_id}"]')


def _keys(context: Any) -> dict[str, str]:
    answer = context.request.get("/api/activation/keys")
    assert answer.status == 200, answer.text()
    return {k["kid"]: k["publicKey"] for k in answer.json()["keys"]}


def _history(page: Any) -> list[list[str]]:
    wait_for_table(page, "history")
    return page.eval_on_selector_all(
        "#history-table tbody tr",
        "trs => trs.map(tr => [...tr.cells].map(td => td.textContent.trim()))",
    )


def _listed_where(context: Any, wanted: Any) -> dict[str, Any]:
    """The first license of the signed-in customer's first page for which wanted(license)."""
    listed = context.request.get("/api/licenses?limit=10").json()["items"]
    return next(lic for lic in listed if wanted(lic))


def _signed_in_home(page: Any, context: Any, portal: Any, lang: str) -> None:
    api_sign_in(context, portal.base_url, DEMO_EMAIL, DEMO_ORDER)
    open_home(page, lang)


def test_the_computer_column_names_the_bound_computer_or_not_activated(
    web_page, browser_context, portal, watch, catalogs
):
    # given the guide's customer on the home page, and their licenses as the API lists them
    page, cat = web_page, catalogs["en"]
    _signed_in_home(page, browser_context, portal, "en")
    listed = browser_context.request.get("/api/licenses?limit=10").json()["items"]
    assert any(lic["computerId"] for lic in listed)
    assert any(lic["computerId"] is None for lic in listed)

    # then each row shows its serial and its computer's name and id, or "not activated"
    for lic in listed:
        cell = _row_of(page, lic["id"]).locator("td").nth(1)
        assert cell.locator(".serial").text_content() == lic["serialNumber"]
        computer = norm(cell.locator(".computer").text_content())
        if lic["computerId"]:
            assert lic["computerName"] in computer
            assert lic["computerId"] in computer
            # Details downloads the file of a bound license; Release names the computer
            actions = _row_of(page, lic["id"]).locator(".actions")
            assert (
                actions.locator('a[data-action="file"]').text_content() == cat["licenses.details"]
            )
            release = actions.locator('[data-action="release"]')
            assert release.get_attribute("aria-label") == cat["licenses.releaseAria"].replace(
                "{serial}", lic["serialNumber"]
            ).replace("{computer}", lic["computerName"])
        else:
            assert computer == cat["licenses.notActivated"]
            # an unbound license has no file to download: offline activation instead
            actions = _row_of(page, lic["id"]).locator(".actions")
            assert actions.locator('a[data-action="file"]').count() == 0
            assert actions.locator('[data-action="release"]').count() == 0
            assert (
                actions.locator('[data-action="activate"]').text_content()
                == (cat["licenses.activate"])
            )
    watch.assert_clean()


def test_offline_activation_then_release_with_confirmation_and_history(
    web_page, browser_context, portal, watch, catalogs
):
    # given the guide's customer on the home page in German, and a never-activated license
    page, cat = web_page, catalogs["de"]
    _signed_in_home(page, browser_context, portal, "de")
    keys = _keys(browser_context)
    row = _free_row(page)
    license_id = row.get_attribute("data-id")
    serial = row.locator(".serial").text_content()
    row = _row_of(page, license_id)

    # when they open offline activation and submit an invalid computer id
    row.locator('[data-action="activate"]').click()
    dialog = page.locator("#offline-dialog")
    assert dialog.is_visible()
    assert page.text_content("#offline-title") == cat["offline.title"].replace("{serial}", serial)
    page.fill("#computer-id", "bad id/with spaces")
    page.fill("#computer-name", COMPUTER_NAME)
    page.click("#offline-submit")

    # then the form says why, in German, without calling the API, and the id field is marked
    assert norm(page.text_content("#offline-error")) == norm(cat["offline.error.idInvalid"])
    assert page.get_attribute("#computer-id", "aria-invalid") == "true"
    assert page.evaluate("document.activeElement.id") == "computer-id"
    assert norm(row.locator(".computer").text_content()) == cat["licenses.notActivated"]

    # when they correct it and submit
    page.fill("#computer-id", COMPUTER_ID)
    with page.expect_download() as started:
        page.click("#offline-submit")
    download = started.value

    # then a license file downloads that verifies on that computer only, with the keys the
    # portal publishes; the dialog closed and the row shows the computer
    assert download.failure() is None
    assert download.suggested_filename.endswith(".lic")
    assert serial in download.suggested_filename
    content = Path(download.path()).read_bytes()
    payload = verify(content, keys, computer_id=COMPUTER_ID)
    assert payload["license"]["serialNumber"] == serial
    assert payload["license"]["computerId"] == COMPUTER_ID
    assert payload["license"]["computerName"] == COMPUTER_NAME
    with pytest.raises(InvalidLicenseFile):
        verify(content, keys, computer_id="ANOTHER-PC")
    page.wait_for_selector("#offline-dialog", state="hidden")
    computer = norm(row.locator(".computer").text_content())
    assert COMPUTER_NAME in computer
    assert COMPUTER_ID in computer
    assert page.text_content("#license-action-status") == cat["offline.done"].replace(
        "{serial}", serial
    ).replace("{computer}", COMPUTER_NAME)
    # the focus is back in the row, on its first action (Details, now that it is bound)
    assert page.evaluate("document.activeElement.dataset.action") == "file"

    # when they open Release and cancel
    row.locator('[data-action="release"]').click()
    assert page.locator("#release-dialog").is_visible()
    text = page.text_content("#release-text")
    assert COMPUTER_NAME in text
    assert COMPUTER_ID in text
    assert serial in text
    page.click("#release-cancel")

    # then nothing happened: the dialog is closed and the license is still bound
    page.wait_for_selector("#release-dialog", state="hidden")
    assert COMPUTER_ID in row.locator(".computer").text_content()
    assert browser_context.request.get(f"/api/licenses/{license_id}/file").status == 200

    # when they open Release again and confirm
    row.locator('[data-action="release"]').click()
    with page.expect_response(f"**/api/licenses/{license_id}/release") as answered:
        page.click("#release-confirm")
    assert answered.value.status == 200
    assert answered.value.request.all_headers().get("origin") == portal.base_url

    # then the row shows "not activated", offline activation is offered again, and the file
    # of the license is gone (409 not_activated)
    page.wait_for_selector("#release-dialog", state="hidden")
    assert norm(row.locator(".computer").text_content()) == cat["licenses.notActivated"]
    assert row.locator('[data-action="activate"]').count() == 1
    assert page.text_content("#license-action-status") == cat["release.done"].replace(
        "{serial}", serial
    ).replace("{computer}", COMPUTER_NAME)
    gone = browser_context.request.get(f"/api/licenses/{license_id}/file")
    assert (gone.status, gone.json()["error"]["code"]) == (409, "not_activated")

    # when they open the history
    row.locator('[data-action="history"]').click()

    # then it lists the activation and the release, newest first, with the computer
    assert page.text_content("#history-title") == cat["history.title"].replace("{serial}", serial)
    entries = _history(page)
    assert [e[1:] for e in entries[:2]] == [
        [cat["history.event.released"], COMPUTER_NAME, COMPUTER_ID],
        [cat["history.event.activated"], COMPUTER_NAME, COMPUTER_ID],
    ]
    times = page.locator("#history-table tbody time").evaluate_all(
        "ts => ts.map(t => t.getAttribute('datetime'))"
    )
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", t) for t in times), times
    page.keyboard.press("Escape")
    page.wait_for_selector("#history-dialog", state="hidden")
    watch.assert_clean()


def test_history_pages_follow_next_cursor(web_page, browser_context, portal, watch, catalogs):
    # given a free license of the guide's customer that was activated offline and released
    # through the API (it ends free again), and history pages of one entry (limit rewritten)
    page, cat = web_page, catalogs["en"]
    api_sign_in(browser_context, portal.base_url, DEMO_EMAIL, DEMO_ORDER)
    license_id = _listed_where(browser_context, lambda lic: lic["computerId"] is None)["id"]
    origin = {"Origin": portal.base_url}
    bound = browser_context.request.post(
        f"/api/licenses/{license_id}/activate",
        data={"computerId": "HIST-PC-1", "computerName": "History PC"},
        headers=origin,
    )
    assert bound.status == 200, bound.text()
    freed = browser_context.request.post(f"/api/licenses/{license_id}/release", headers=origin)
    assert freed.status == 200, freed.text()
    every = browser_context.request.get(f"/api/licenses/{license_id}/history?limit=100").json()
    assert len(every["items"]) >= 2

    def one_per_page(route):
        route.continue_(url=re.sub(r"limit=\d+", "limit=1", route.request.url))

    browser_context.route(re.compile(r".*/api/licenses/[^/]+/history\?.*"), one_per_page)
    open_home(page, "en")

    # when they open its history
    _row_of(page, license_id).locator('[data-action="history"]').click()

    # then the first entry shows, and Next follows nextCursor while there is one
    shown = [_history(page)]
    while not page.is_disabled("#history-next"):
        before = page.text_content("#history-page")
        page.click("#history-next")
        page.wait_for_function(
            "(b) => document.getElementById('history-page').textContent !== b", arg=before
        )
        shown.append(_history(page))
    assert [len(rows) for rows in shown] == [1] * len(every["items"])
    assert [rows[0][1:] for rows in shown] == [
        [cat[f"history.event.{e['event']}"], e["computerName"] or "", e["computerId"] or ""]
        for e in every["items"]
    ]
    assert shown[0][0][1:] == [cat["history.event.released"], "History PC", "HIST-PC-1"]

    # and Prev goes back to the first entry; Close closes the dialog
    while not page.is_disabled("#history-prev"):
        before = page.text_content("#history-page")
        page.click("#history-prev")
        page.wait_for_function(
            "(b) => document.getElementById('history-page').textContent !== b", arg=before
        )
    assert _history(page) == shown[0]
    page.click("#history-close")
    page.wait_for_selector("#history-dialog", state="hidden")
    watch.assert_clean()


def test_rehost_limit_shows_the_date_a_release_frees_up_in_french(
    web_page, browser_context, portal, watch, catalogs
):
    # given the guide's customer in French, and the API answering the release with the rehost
    # limit (played by a route, so that no release of the demo data is used up)
    page, cat = web_page, catalogs["fr"]
    available_on = "2027-03-14"

    def limit_reached(route):
        route.fulfill(
            status=409,
            content_type="application/json",
            body=json.dumps(
                {
                    "error": {
                        "code": "rehost_limit_reached",
                        "message": "This license was released from its computer too often.",
                        "availableOn": available_on,
                    }
                }
            ),
        )

    browser_context.route(re.compile(r".*/api/licenses/[^/]+/release$"), limit_reached)
    _signed_in_home(page, browser_context, portal, "fr")
    row = _bound_row(page)
    license_id = row.get_attribute("data-id")
    row = _row_of(page, license_id)
    computer_before = row.locator(".computer").text_content()
    watch.allow(409, f"/api/licenses/{license_id}/release")

    # when they release it and confirm
    row.locator('[data-action="release"]').click()
    page.click("#release-confirm")

    # then the dialog stays open and says when a release is possible again, in French
    expected = cat["error.code.rehost_limit_reached"].replace(
        "{date}", intl_dates(page, [available_on], "fr")[0]
    )
    page.wait_for_function(
        "(text) => document.getElementById('release-error').textContent === text", arg=expected
    )
    assert page.locator("#release-dialog").is_visible()
    assert row.locator(".computer").text_content() == computer_before

    # and cancelling closes it, the license still bound
    page.click("#release-cancel")
    page.wait_for_selector("#release-dialog", state="hidden")
    assert row.locator(".computer").text_content() == computer_before
    watch.assert_clean()


def test_details_downloads_the_file_of_a_bound_license(
    web_page, browser_context, portal, watch, catalogs
):
    # given the guide's customer on the home page, a bound license, and the published keys
    page = web_page
    _signed_in_home(page, browser_context, portal, "en")
    keys = _keys(browser_context)
    lic = _listed_where(browser_context, lambda x: x["computerId"])
    row = _row_of(page, lic["id"])

    # when they click Details, then the license file bound to that computer downloads
    with page.expect_download() as started:
        row.locator('a[data-action="file"]').click()
    content = Path(started.value.path()).read_bytes()
    payload = verify(content, keys, computer_id=lic["computerId"])
    assert payload["license"]["serialNumber"] == lic["serialNumber"]
    assert payload["license"]["computerId"] == lic["computerId"]
    watch.assert_clean()


def test_support_view_downloads_the_support_file(
    web_page, browser_context, portal, watch, catalogs
):
    # given the guide's customer on the home page and a license with support
    page, cat = web_page, catalogs["en"]
    _signed_in_home(page, browser_context, portal, "en")
    keys = _keys(browser_context)
    lic = _listed_where(browser_context, lambda x: x["support"])
    assert lic["support"].get("id"), "API.md: a license's support is {id, until, fileAvailable}"
    row = _row_of(page, lic["id"])

    # when they click the Support column's View link
    view = row.locator("a.support-view")
    assert view.text_content() == cat["licenses.supportView"]
    with page.expect_download() as started:
        view.click()

    # then that support's file downloads and verifies
    assert f"/api/supports/{lic['support']['id']}/file" in started.value.url
    payload = verify(Path(started.value.path()).read_bytes(), keys, computer_id=None)
    assert payload["kind"] == "support"
    watch.assert_clean()
