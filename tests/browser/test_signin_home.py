"""Sign in, the home page and sign out, in each language; wrong credentials; keyboard only."""

from __future__ import annotations

import re
import time

import pytest

from tests.browser.ui import (
    ACTIVATION_KEY,
    HOME_API,
    api_sign_in,
    collect_pages,
    header_texts,
    html_lang,
    intl_dates,
    mailbox_ids,
    mailed_code,
    norm,
    open_home,
    open_sign_in,
    serials,
    sign_in,
    wait_for_home,
)
from tests.factories import stack_factory
from tests.support import DEMO_EMAIL, DEMO_LICENSES, DEMO_ORDER, DEMO_SUPPORT_SERIALS

pytestmark = pytest.mark.browser

LICENSE_COLUMNS = [
    "software", "serial", "days", "users", "edition", "orderNumber", "date", "support",
    "actions", "upgrade",
]  # fmt: skip
SUPPORT_COLUMNS = [
    "software", "serial", "users", "edition", "orderNumber", "date", "duration", "expires",
    "actions",
]  # fmt: skip

# Human-checked words of each catalog (web/i18n/XX.js), so a catalog swapped or emptied by
# mistake cannot pass by comparing the page with itself.
LITERAL = {
    "en": {
        "order_label": "Order Number",
        "licenses": "Licenses",
        "supports": "Supports",
        "activation": "activation key",
        "error": "not correct",
    },
    "de": {
        "order_label": "Bestellnummer",
        "licenses": "Lizenzen",
        "supports": "Support-Verträge",
        "activation": "Aktivierungsschlüssel",
        "error": "nicht korrekt",
    },
    "fr": {
        "order_label": "Numéro de Commande",
        "licenses": "Licences",
        "supports": "Supports",
        "activation": "clé d\u2019activation",
        "error": "incorrect",
    },
}
# What Intl's dateStyle "medium" gives for 2016-09-30 (P62's purchase) in Chromium.
P62_DATE = {"en": "Sep 30, 2016", "de": "30.09.2016", "fr": "30 sept. 2016"}

NEXT_LANGUAGE = {"en": "de", "de": "fr", "fr": "en"}


# Every request home.html makes; after sign-out they answer 401 and the page leaves.
def _row_dates(page, table: str) -> list[tuple[str, str]]:
    """(datetime attribute, shown text) of every <time> in the table's data rows."""
    return page.eval_on_selector_all(
        f"#{table} tbody time",
        "ts => ts.map(t => [t.getAttribute('datetime'), t.textContent])",
    )


def _purchase_dates(page, table: str, column: int) -> list[tuple[str, str]]:
    return page.eval_on_selector_all(
        f"#{table} tbody tr",
        """(trs, column) => trs.map(tr => {
            const t = tr.cells[column].querySelector('time');
            return [t.getAttribute('datetime'), t.textContent];
        })""",
        column,
    )


@pytest.mark.parametrize("lang", ["en", "de", "fr"])
def test_sign_in_home_and_sign_out(web_page, browser_context, watch, catalogs, lang):
    # given the sign-in page, switched to the language
    page, context = web_page, browser_context
    cat, words = catalogs[lang], LITERAL[lang]

    # --- then it is in that language ----------------------------------------------------
    open_sign_in(page, lang)
    assert html_lang(page) == lang
    assert page.get_attribute(f"#lang-{lang}", "aria-pressed") == "true"
    assert page.title() == cat["signin.pageTitle"]
    assert norm(page.text_content("#login-form h1")) == cat["signin.heading"]
    assert norm(page.text_content('label[for="email"]')) == cat["signin.email.label"]
    assert norm(page.text_content('label[for="order-number"]')) == cat["signin.orderNumber.label"]
    assert cat["signin.orderNumber.label"] == words["order_label"]
    assert norm(page.text_content("#login-button")) == cat["signin.submit"]
    assert page.get_attribute("#email", "placeholder") == cat["signin.email.placeholder"]

    # --- when the guide's customer signs in, order number in lower case + a trailing space -
    sign_in(page, DEMO_EMAIL, DEMO_ORDER.lower() + " ")
    # The user's choice beats the demo customer's own language (fr).
    assert html_lang(page) == lang
    assert page.title() == cat["home.pageTitle"]

    label = norm(page.text_content("#activation-label"))
    assert label == cat["home.activationKey.label"]
    assert words["activation"] in label
    key = page.text_content("#activation-key")
    assert ACTIVATION_KEY.fullmatch(key), f"activation key {key!r} is not 5 groups of 4"

    # --- then licenses: the guide's five, newest first -----------------------------------
    assert norm(page.text_content("#licenses-table caption")) == cat["licenses.caption"]
    assert cat["licenses.caption"] == words["licenses"]
    assert header_texts(page, "licenses-table") == [
        cat[f"licenses.col.{c}"] for c in LICENSE_COLUMNS
    ]
    licenses = collect_pages(page, "licenses", lambda p: list(zip(
        serials(p, "licenses"), _purchase_dates(p, "licenses-table", 6), strict=True,
    )))  # fmt: skip
    assert [s for s, _ in licenses] == [s for s, _ in DEMO_LICENSES]
    assert [d for _, (d, _) in licenses] == [d for _, d in DEMO_LICENSES]
    shown = [text for _, (_, text) in licenses]
    assert shown == intl_dates(page, [d for _, d in DEMO_LICENSES], lang)
    assert shown[-1] == P62_DATE[lang]

    # --- supports: the guide's seven, newest purchase first -------------------------------
    assert norm(page.text_content("#supports-table caption")) == cat["supports.caption"]
    assert cat["supports.caption"] == words["supports"]
    assert header_texts(page, "supports-table") == [
        cat[f"supports.col.{c}"] for c in SUPPORT_COLUMNS
    ]
    supports = collect_pages(page, "supports", lambda p: list(zip(
        serials(p, "supports"), _purchase_dates(p, "supports-table", 5), strict=True,
    )))  # fmt: skip
    assert len(supports) == len(DEMO_SUPPORT_SERIALS)
    assert sorted(s for s, _ in supports) == DEMO_SUPPORT_SERIALS
    bought = [d for _, (d, _) in supports]
    assert bought == sorted(bought, reverse=True)

    # Every date on the page (purchases, support ends, expiry) is Intl's medium date.
    for table in ("licenses-table", "supports-table"):
        dates = _row_dates(page, table)
        assert dates, table
        assert [text for _, text in dates] == intl_dates(page, [d for d, _ in dates], lang)

    # --- when they sign out, then the old session cookie no longer opens home -------------
    session = context.cookies()
    assert session, "signed in without a session cookie"
    assert context.request.get("/api/me").status == 200  # the request context sends the cookie
    assert norm(page.text_content("#logout")) == cat["nav.logout"]
    page.click("#logout")
    page.wait_for_url("**/index.html")
    page.wait_for_selector("#login-form")
    assert html_lang(page) == lang

    watch.allow(401, *HOME_API)
    context.add_cookies(session)  # put the signed-out cookie back: the server must refuse it
    assert context.request.get("/api/me").status == 401
    assert {c["value"] for c in context.cookies()} >= {c["value"] for c in session}
    page.goto("/home.html")
    page.wait_for_url("**/index.html")
    page.wait_for_selector("#login-form")
    assert page.locator("#licenses-table").count() == 0
    watch.assert_clean()


@pytest.mark.parametrize("lang", ["en", "de", "fr"])
def test_wrong_order_number_is_refused_in_the_language(web_page, watch, catalogs, lang):
    # given the sign-in page in `lang`
    page = web_page
    watch.allow(401, "/api/auth/login")
    open_sign_in(page, lang)
    url = page.url

    # when a wrong order number is submitted
    page.fill("#email", DEMO_EMAIL)
    page.fill("#order-number", "JWT000000-0000-00000")
    with page.expect_response("**/api/auth/login") as answer:
        page.click("#login-button")

    # then the API refuses it and the page says so in the language, staying where it is
    assert answer.value.status == 401

    alert = page.locator("#login-error")
    expected = catalogs[lang]["error.invalidCredentials"]
    page.wait_for_function(
        "(text) => document.getElementById('login-error').textContent.trim() === text",
        arg=expected,
    )
    assert alert.get_attribute("role") == "alert"
    assert LITERAL[lang]["error"] in norm(alert.text_content())
    assert page.url == url
    assert page.is_visible("#login-form")
    assert page.text_content("#login-status") == ""
    assert page.get_attribute("#login-button", "aria-disabled") is None

    # when the language is switched afterwards, then the alert follows it
    other = NEXT_LANGUAGE[lang]
    page.click(f"#lang-{other}")
    assert norm(alert.text_content()) == catalogs[other]["error.invalidCredentials"]
    watch.assert_clean()


def test_sign_in_with_the_keyboard_only(web_page, watch, catalogs):
    # given the sign-in page, no language chosen
    page = web_page
    open_sign_in(page)

    # when the guide's customer signs in with the keyboard only, from this fresh browser
    before = mailbox_ids(page.request)
    page.focus("#email")
    page.keyboard.type(DEMO_EMAIL)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "order-number"
    page.keyboard.type(DEMO_ORDER)
    page.keyboard.press("Enter")
    # then the code form takes the focus; they type the code from the mailbox and press Enter
    page.wait_for_selector("#code-form:not([hidden])")
    assert page.evaluate("document.activeElement.id") == "code"
    assert page.is_hidden("#login-form")
    page.keyboard.type(mailed_code(page.request, DEMO_EMAIL, after=before))
    page.keyboard.press("Enter")
    page.wait_for_url("**/home.html")
    wait_for_home(page)

    # then home shows their licenses, in the customer's own language
    first_page = serials(page, "licenses")
    assert first_page
    assert first_page == [s for s, _ in DEMO_LICENSES][: len(first_page)]
    # No language was chosen: the page adopts the demo customer's language (fr).
    assert html_lang(page) == "fr"
    assert norm(page.text_content("#licenses-table caption")) == catalogs["fr"]["licenses.caption"]
    watch.assert_clean()


def test_language_switch_on_home_rerenders_in_place(web_page, browser_context, portal, watch,
                                                    catalogs):  # fmt: skip
    # given the guide's customer on home, in English
    page, de = web_page, catalogs["de"]
    api_sign_in(browser_context, portal.base_url, DEMO_EMAIL, DEMO_ORDER)
    open_home(page, "en")
    key = page.text_content("#activation-key")

    # when they switch to German, then the page re-renders in place, same data
    page.click("#lang-de")
    page.wait_for_function(
        "(text) => document.querySelector('#licenses-table caption').textContent === text",
        arg=de["licenses.caption"],
    )
    assert html_lang(page) == "de"
    assert "lang=" not in page.url  # the switch drops ?lang= and remembers the choice instead
    assert header_texts(page, "licenses-table") == [
        de[f"licenses.col.{c}"] for c in LICENSE_COLUMNS
    ]
    dates = _row_dates(page, "licenses-table")
    assert [text for _, text in dates] == intl_dates(page, [d for d, _ in dates], "de")
    assert P62_DATE["de"] in [text for _, text in dates]
    assert norm(page.text_content("#licenses-next")) == de["pager.next"]
    assert page.text_content("#activation-key") == key
    assert norm(page.text_content("#nav-orders")) == de["nav.orders"] == "Bestellungen"

    # when the page is reloaded, then the choice is remembered
    page.reload()
    wait_for_home(page)
    assert html_lang(page) == "de"
    assert norm(page.text_content("#licenses-table caption")) == "Lizenzen"
    watch.assert_clean()


@pytest.mark.parametrize("lang", ["de"])
def test_a_wrong_code_is_refused_and_a_mailed_link_signs_in_only_from_its_button(
    chromium, portal, web_page, watch, catalogs, lang
):
    # given a customer of this test's own on a fresh browser, in `lang`
    page, cat = web_page, catalogs[lang]
    customer = stack_factory(portal)(licenses=[("TSplus", "Enterprise", 10)])
    open_sign_in(page, lang)
    mailed = mailbox_ids(page.request)
    page.fill("#email", customer.email)
    page.fill("#order-number", customer.order_number)
    page.click("#login-button")
    page.wait_for_selector("#code-form:not([hidden])")
    assert norm(page.text_content("#code-form h2")) == cat["verify.heading"]
    code = mailed_code(page.request, customer.email, after=mailed)

    # when a wrong code is typed, then the page says so in the language and stays
    watch.allow(401, "/api/auth/verify")
    page.fill("#code", f"{(int(code) + 1) % 10**6:06d}")
    with page.expect_response("**/api/auth/verify") as answer:
        page.click("#code-button")
    assert answer.value.status == 401
    page.wait_for_function(
        "(text) => document.getElementById('code-error').textContent.trim() === text",
        arg=cat["error.invalidCode"],
    )

    # when a sign-in link is asked for instead
    before = mailbox_ids(page.request)
    page.fill("#link-email", customer.email)
    with page.expect_response("**/api/auth/link") as asked:
        page.click("#link-button")
    assert asked.value.status == 202
    page.wait_for_function(
        "(text) => document.getElementById('link-status').textContent.trim() === text",
        arg=cat["link.sent"],
    )
    link = _mailed_link(page, customer.email, before)

    # then opening the link's page changes nothing (as a mail scanner's prefetch): another
    # browser opening it later still signs in, with the button
    scanner = chromium.new_context(base_url=portal.base_url)
    try:
        prefetch = scanner.new_page()
        prefetch.goto(link)
        prefetch.wait_for_selector("#redeem-button")
    finally:
        scanner.close()
    page.goto(link)
    page.wait_for_selector("html:not(.i18n-pending)", state="attached")
    assert "#token=" not in page.url  # out of the address bar
    page.click("#redeem-button")
    page.wait_for_url("**/home.html")
    wait_for_home(page)
    assert page.context.request.get("/api/me").json()["email"] == customer.email
    watch.assert_clean()


_LINK = re.compile(r"https?://[^/\s]+(/link\.html#token=[A-Za-z0-9_\-]{43})")


def _mailed_link(page, email: str, before: set[str]) -> str:
    """The sign-in link of the first new mail to `email` in the local mailbox (as a path)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        for message in page.request.get("/_mailbox/messages").json():
            if message["id"] not in before and email in message["to"]:
                found = re.search(
                    r"https?://[^/\s]+(/link\.html#token=[A-Za-z0-9_\-]{43})", message["text"]
                )
                if found:
                    return found.group(1)
        time.sleep(0.2)
    raise AssertionError(f"no sign-in link mailed to {email}")
