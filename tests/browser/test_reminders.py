"""Reminder emails in the browser (issue 9): the home page's toggle ("Email me before my
Update/Support services end") persists across a reload, and the mail's link opens
web/unsubscribe.html, whose one button turns reminders off - opening the page alone (what a mail
scanner does) changes nothing. Each test makes a customer of its own, so the demo data other
browser tests count stays as seeded."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from bench import page_weight
from portal.accounts import reminder_links
from portal.config import settings_from
from portal.data import preferences
from portal.data.store import Store
from tests.browser.ui import LANGUAGES, api_sign_in, html_lang, load_page_catalogs, open_home
from tests.factories import stack_factory

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def unsubscribe_catalogs(chromium, portal, catalogs) -> dict[str, dict[str, Any]]:
    """The catalogs as unsubscribe.html has them: web/i18n/XX.js plus web/i18n/unsubscribe/XX.js."""
    context = chromium.new_context(base_url=portal.base_url)
    try:
        extra = load_page_catalogs(context.new_page(), "unsubscribe")
    finally:
        context.close()
    return {lang: {**catalogs[lang], **extra[lang]} for lang in LANGUAGES}


def reminders_stored(portal: Any, customer_id: str) -> bool | None:
    """What the table says, read beside the browser (not through the page under test)."""
    return preferences.reminders_of(Store(portal.table_name), customer_id)


def link_token(portal: Any, customer_id: str) -> str:
    return reminder_links.token_for(customer_id, settings_from(portal.environment))


@pytest.mark.parametrize("lang", ["en", "de"])
def test_the_toggle_persists_across_a_reload(
    web_page, browser_context, portal, catalogs, watch, lang
):
    # given a customer of its own, signed in, on the home page in `lang`
    page, cat = web_page, catalogs[lang]
    customer = stack_factory(portal)()
    api_sign_in(browser_context, portal.base_url, customer.email, customer.order_number)
    open_home(page, lang)
    toggle = page.locator("#reminders")

    # then the toggle says reminders are on, labelled in that language
    page.wait_for_selector("#reminders:not([disabled])")
    assert toggle.is_checked()
    assert page.locator("label[for=reminders]").text_content() == cat["home.reminders.label"]

    # when they untick it, then it is saved (the status says so) and stays off after a reload
    toggle.uncheck()
    page.wait_for_selector("#reminders:not([disabled])")
    assert page.locator("#reminders-status").text_content() == cat["home.reminders.off"]
    assert reminders_stored(portal, customer.customer_id) is False
    open_home(page, lang)
    page.wait_for_selector("#reminders:not([disabled])")
    assert not toggle.is_checked()

    # when they tick it again, then on, also after a reload
    toggle.check()
    page.wait_for_selector("#reminders:not([disabled])")
    assert page.locator("#reminders-status").text_content() == cat["home.reminders.on"]
    open_home(page, lang)
    page.wait_for_selector("#reminders:not([disabled])")
    assert toggle.is_checked()
    assert reminders_stored(portal, customer.customer_id) is True


def test_a_failed_save_puts_the_toggle_back(web_page, browser_context, portal, catalogs, watch):
    # given a signed-in customer on the home page, and the API failing the PUT
    page, cat = web_page, catalogs["en"]
    customer = stack_factory(portal)()
    api_sign_in(browser_context, portal.base_url, customer.email, customer.order_number)
    open_home(page, "en")
    page.wait_for_selector("#reminders:not([disabled])")
    watch.allow(503, "/api/me/preferences")
    page.route(
        "**/api/me/preferences",
        lambda route: (
            route.fulfill(
                status=503,
                content_type="application/json",
                body='{"error": {"code": "service_unavailable", "message": "busy"}}',
            )
            if route.request.method == "PUT"
            else route.continue_()
        ),
    )

    # when they untick it
    page.locator("#reminders").uncheck()
    page.wait_for_selector("#reminders:not([disabled])")

    # then it is ticked again (as stored), and the status says the choice was not saved
    assert page.locator("#reminders").is_checked()
    assert page.locator("#reminders-status").text_content() == cat["home.reminders.failed"]
    assert reminders_stored(portal, customer.customer_id) is True


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_unsubscribe_page_turns_reminders_off_with_one_click(
    web_page, portal, unsubscribe_catalogs, watch, lang
):
    # given a customer's link from a reminder mail, opened in a browser that is not signed in
    page, cat = web_page, unsubscribe_catalogs[lang]
    customer = stack_factory(portal)()
    token = link_token(portal, customer.customer_id)
    page.goto(f"/unsubscribe.html?token={quote(token, safe='')}&lang={lang}")
    page.wait_for_selector("html:not(.i18n-pending)", state="attached")

    # then the page asks, in that language, with one button - and opening it changed nothing
    assert html_lang(page) == lang
    assert page.locator("h1").text_content() == cat["unsubscribe.heading"]
    button = page.locator("#unsubscribe-button")
    assert button.text_content() == cat["unsubscribe.button"]
    assert reminders_stored(portal, customer.customer_id) is True

    # when the button is clicked
    button.click()

    # then reminders are off, and the page says so and how to turn them back on
    page.wait_for_selector("#unsubscribe-done:not([hidden])")
    assert page.locator("#unsubscribe-done p").all_text_contents() == [
        cat["unsubscribe.done"],
        cat["unsubscribe.backOn"],
    ]
    assert not button.is_visible()
    assert reminders_stored(portal, customer.customer_id) is False


def test_fetching_the_links_of_a_mail_changes_nothing(browser_context, portal):
    # given a customer's unsubscribe page and one-click URLs, fetched with GET (a mail scanner)
    customer = stack_factory(portal)()
    token = link_token(portal, customer.customer_id)
    settings = settings_from(portal.environment)
    for url in (
        reminder_links.unsubscribe_url(settings, token),
        reminder_links.one_click_url(settings, token),
    ):
        path = url.removeprefix(settings.portal_origin)
        browser_context.request.get(path)

    # then reminders are still on
    assert reminders_stored(portal, customer.customer_id) is True


@pytest.mark.parametrize(
    "query", ["", "?token=", "?token=not-a-token", "?token=01ARZ3NDEKTSV4RRFFQ69G5FAV.AAAA"]
)
def test_an_invalid_link_says_so_and_offers_the_sign_in(
    web_page, portal, unsubscribe_catalogs, watch, query
):
    # given the unsubscribe page opened with no token or a forged one
    page, cat = web_page, unsubscribe_catalogs["en"]
    watch.allow(401, "/api/reminders/unsubscribe")
    page.goto(f"/unsubscribe.html{query}{'&' if query else '?'}lang=en")
    page.wait_for_selector("html:not(.i18n-pending)", state="attached")

    # when its button is clicked (where there is one to click)
    button = page.locator("#unsubscribe-button")
    if button.is_visible():
        button.click()

    # then the page says the link is not valid and points to the sign-in, with no button left
    page.wait_for_selector("#unsubscribe-error:not(:empty)")
    assert page.locator("#unsubscribe-error").text_content() == cat["unsubscribe.invalid"]
    assert not button.is_visible()
    assert page.locator("#sign-in-link").get_attribute("href") == "index.html"


def test_the_unsubscribe_page_is_light_and_loads_only_its_own_messages():
    assets = page_weight.assets("unsubscribe.html")
    assert any(p.match("i18n/unsubscribe/*.js") for p in assets)
    assert not any(p.match("i18n/unsubscribe/*.js") for p in page_weight.assets("home.html"))
    assert page_weight.weight("unsubscribe.html") <= page_weight.BUDGET
    assert page_weight.weight("home.html") <= page_weight.BUDGET
