"""Helpers of the browser tests: the page watcher, catalogs, signing in, reading the tables, and
expected strings computed with the browser's own Intl (as web/js/format.js does). The demo
customers and the guide's rows are in tests/support.py, shared with the other test floors."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from tests.support import ROOT

WEB = ROOT / "web"

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
LANGUAGES = ("en", "de", "fr")

ACTIVATION_KEY = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(?:-[0-9A-HJKMNP-TV-Z]{4}){4}$")

# Chromium's console text for a failed subresource, e.g.
# "Failed to load resource: the server responded with a status of 401 (UNAUTHORIZED)".
_RESOURCE_ERROR = re.compile(
    r"Failed to load resource: the server responded with a status of (\d{3}) \([^)]*\)"
)

# What the home page asks the API for when it opens (each answers 401 without a session).
HOME_API = ("/api/me", "/api/me/preferences", "/api/licenses", "/api/supports")


def page_size() -> int:
    """PAGE_SIZE of web/js/config.js, the frontend's page size."""
    found = re.search(r"export const PAGE_SIZE = (\d+);", (WEB / "js" / "config.js").read_text())
    assert found, "web/js/config.js no longer exports PAGE_SIZE as a number"
    return int(found.group(1))


@dataclass
class PageWatch:
    """Collects what must not happen in a page: uncaught errors, CSP violations, console errors,
    missing catalog keys. Resource errors are tolerated only for (status, path) pairs a test
    declared with allow()."""

    problems: list[str] = field(default_factory=list)
    tolerated: list[str] = field(default_factory=list)
    allowed: set[tuple[int, str]] = field(default_factory=set)
    reported: int = 0  # problems already raised by assert_clean()

    def allow(self, status: int, *paths: str) -> None:
        for path in paths:
            self.allowed.add((status, path))

    def attach(self, page: Any) -> None:
        page.on("console", self._console)
        page.on("pageerror", self._page_error)

    def _console(self, message: Any) -> None:
        text, url = message.text, (message.location or {}).get("url", "")
        if message.type == "warning" and text.startswith("i18n: missing key"):
            self.problems.append(f"missing catalog key: {text}")
            return
        if message.type != "error":
            return
        if "Content Security Policy" in text:
            self.problems.append(f"CSP violation: {text} ({url})")
            return
        resource = _RESOURCE_ERROR.fullmatch(text)
        if resource and (int(resource.group(1)), urlsplit(url).path) in self.allowed:
            self.tolerated.append(f"{resource.group(1)} {urlsplit(url).path}")
            return
        self.problems.append(f"console error: {text} ({url})")

    def _page_error(self, error: Any) -> None:
        self.problems.append(f"uncaught page error: {error}")

    def unreported(self) -> list[str]:
        return self.problems[self.reported :]

    def assert_clean(self) -> None:
        self.reported = len(self.problems)
        assert self.problems == [], "\n".join(self.problems)


def load_catalogs(page: Any) -> dict[str, dict[str, Any]]:
    """Import web/i18n/XX.js in the page (the portal's origin) and return the catalogs."""
    page.goto("/")
    return page.evaluate(
        """async (langs) => {
            const out = {};
            for (const lang of langs) out[lang] = (await import(`/i18n/${lang}.js`)).default;
            return out;
        }""",
        list(LANGUAGES),
    )


def norm(text: str) -> str:
    """Collapse whitespace (Intl uses U+00A0 / U+202F) for comparisons."""
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u202f", " ")).strip()


# --- Intl in the page, as web/js/format.js formats -----------------------------------------
def intl_dates(page: Any, ymds: list[str], lang: str) -> list[str]:
    return page.evaluate(
        """([ymds, lang]) => ymds.map((ymd) => {
            const [y, m, d] = ymd.split('-').map(Number);
            return new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeZone: 'UTC' })
                .format(new Date(Date.UTC(y, m - 1, d)));
        })""",
        [ymds, lang],
    )


def intl_date_time(page: Any, iso: str, lang: str) -> str:
    return page.evaluate(
        """([iso, lang]) => new Intl.DateTimeFormat(lang,
            { dateStyle: 'medium', timeStyle: 'long', timeZone: 'UTC' }).format(Date.parse(iso))""",
        [iso, lang],
    )


def intl_money(page: Any, amounts: list[tuple[str, str]], lang: str) -> list[str]:
    return page.evaluate(
        """([amounts, lang]) => amounts.map(([amount, currency]) =>
            new Intl.NumberFormat(lang, { style: 'currency', currency }).format(amount))""",
        [amounts, lang],
    )


def intl_country(page: Any, code: str, lang: str) -> str:
    return page.evaluate(
        "([code, lang]) => new Intl.DisplayNames(lang, { type: 'region' }).of(code)", [code, lang]
    )


# --- pages ----------------------------------------------------------------------------------
def html_lang(page: Any) -> str:
    return page.evaluate("document.documentElement.lang")


def choose_language(page: Any, lang: str) -> None:
    page.click(f"#lang-{lang}")
    page.wait_for_function("(lang) => document.documentElement.lang === lang", arg=lang)


def open_sign_in(page: Any, lang: str | None = None) -> None:
    page.goto("/")
    page.wait_for_selector("html:not(.i18n-pending)", state="attached")
    if lang:
        choose_language(page, lang)


def mailbox_ids(request: Any) -> set[str]:
    """The ids of the messages in the stack's local mailbox (`request`: a Playwright
    APIRequestContext of the portal's origin, e.g. page.request)."""
    answer = request.get("/_mailbox/messages")
    assert answer.ok, answer.text()
    return {message["id"] for message in answer.json()}


def mailed_code(request: Any, email: str, *, after: set[str], timeout: float = 20.0) -> str:
    """The sign-in code of the first mail to `email` in the local mailbox that is not among the
    ids `after`, waiting for the local mailer to deliver it (as a person opens their mail)."""
    deadline = time.monotonic() + timeout
    while True:
        for message in request.get("/_mailbox/messages").json():
            if message["id"] in after or email.strip().lower() not in message["to"]:
                continue
            found = _CODE.search(message["text"])
            if found:
                return found.group(1)
        assert time.monotonic() < deadline, f"no sign-in code mailed to {email}"
        time.sleep(0.2)


_CODE = re.compile(r"^\s*([0-9]{6})\s*$", re.M)
TRUST_COOKIE = "__Host-portal_trust"
# The trusted-browser cookie each customer earned on each stack, by (portal URL, email): a new
# browser context of the same person gets it back, as their own browser keeps it, so each
# customer proves their mailbox once per stack (the portal mails at most 5 codes an hour).
_TRUSTED: dict[tuple[str, str], dict[str, Any]] = {}


def _origin(page: Any) -> str:
    parts = urlsplit(page.url)
    return f"{parts.scheme}://{parts.netloc}"


def _bring_trust(context: Any, base_url: str, email: str) -> None:
    trust = _TRUSTED.get((base_url, email.strip().lower()))
    if trust:
        context.add_cookies([trust])  # as the browser stored it (Chromium's own fields)


def _keep_trust(context: Any, base_url: str, email: str) -> None:
    for cookie in context.cookies(base_url + "/"):
        if cookie["name"] == TRUST_COOKIE and cookie["value"]:
            _TRUSTED[(base_url, email.strip().lower())] = dict(cookie)


def sign_in(page: Any, email: str, order_number: str, *, fresh: bool = False) -> None:
    """Fill and submit the sign-in form like a person; when the browser is not trusted yet, type
    the code mailed to the local mailbox into the code form; then wait for the home page. The
    person's browser keeps its trust cookie: a later context signing in as the same customer on
    the same stack is not asked again (`fresh=True`: a browser that never proved anything)."""
    base_url = _origin(page)
    if not fresh:
        _bring_trust(page.context, base_url, email)
    before = mailbox_ids(page.request)
    page.fill("#email", email)
    page.fill("#order-number", order_number)
    page.click("#login-button")
    page.wait_for_function(
        "() => location.pathname.endsWith('/home.html')"
        " || !document.getElementById('code-form').hidden"
    )
    if not page.url.split("?")[0].endswith("/home.html"):
        page.fill("#code", mailed_code(page.request, email, after=before))
        page.click("#code-button")
    page.wait_for_url("**/home.html")
    _keep_trust(page.context, base_url, email)
    wait_for_home(page)


def api_sign_in(context: Any, base_url: str, email: str, order_number: str) -> None:
    """Sign the context in through the API (as signin.js does: login, then the code from the
    local mailbox when one is asked for), for tests about other pages; the customer's browser
    trust is kept and brought back, as in sign_in."""
    _bring_trust(context, base_url, email)
    before = mailbox_ids(context.request)
    answer = context.request.post(
        "/api/auth/login",
        data={"email": email, "orderNumber": order_number},
        headers={"Origin": base_url},
    )
    if answer.status == 202:
        code = mailed_code(context.request, email, after=before)
        answer = context.request.post(
            "/api/auth/verify", data={"code": code}, headers={"Origin": base_url}
        )
    assert answer.status == 200, answer.text()
    _keep_trust(context, base_url, email)


def open_home(page: Any, lang: str | None = None) -> None:
    """home.html of a signed-in context, in `lang` (?lang= records it as the user's choice)."""
    page.goto(f"/home.html?lang={lang}" if lang else "/home.html")
    wait_for_home(page)


def wait_for_table(page: Any, name: str) -> None:
    """Wait until #NAME-table finished a load (table.js sets aria-busy="false")."""
    page.wait_for_selector(f'#{name}-table[aria-busy="false"]', state="attached")


def wait_for_home(page: Any) -> None:
    page.wait_for_selector("#activation-key:not([aria-busy])", state="attached")
    wait_for_table(page, "licenses")
    wait_for_table(page, "supports")


def header_texts(page: Any, table: str) -> list[str]:
    return [norm(t) for t in page.locator(f"#{table} thead th").all_text_contents()]


def rows(page: Any, table: str) -> Any:
    return page.locator(f"#{table} tbody tr")


def cell_texts(page: Any, table: str) -> list[list[str]]:
    return page.eval_on_selector_all(
        f"#{table} tbody tr",
        """trs => trs.map(tr => [...tr.cells].map(
            td => td.textContent.replace(/[ \\t\\r\\n]+/g, ' ').trim()))""",
    )


def serials(page: Any, name: str) -> list[str]:
    return page.locator(f"#{name}-table tbody tr .serial").all_text_contents()


def pager_state(page: Any, name: str) -> dict[str, Any]:
    return {
        "page": page.text_content(f"#{name}-page"),
        "prev": page.is_disabled(f"#{name}-prev"),
        "next": page.is_disabled(f"#{name}-next"),
    }


def turn_page(page: Any, name: str, direction: str) -> None:
    """Click Next or Prev of a paged table and wait for the new page to be rendered."""
    before = page.text_content(f"#{name}-page")
    page.click(f"#{name}-{direction}")
    wait_for_page_change(page, name, before)


def wait_for_page_change(page: Any, name: str, before: str) -> None:
    """Wait until #NAME-page no longer shows `before` and the new page is rendered."""
    page.wait_for_function(
        """([name, before]) => document.getElementById(`${name}-page`).textContent !== before
            && document.getElementById(`${name}-table`).getAttribute('aria-busy') === 'false'""",
        arg=[name, before],
    )


def collect_pages(page: Any, name: str, read: Any) -> list[Any]:
    """read(page) on every page of a paged table, following Next until it is disabled."""
    collected = list(read(page))
    for _ in range(50):
        if page.is_disabled(f"#{name}-next"):
            return collected
        turn_page(page, name, "next")
        collected += read(page)
    raise AssertionError(f"{name}: Next never became disabled")


# --- the upgrade page -------------------------------------------------------------------------
def load_page_catalogs(page: Any, name: str) -> dict[str, dict[str, Any]]:
    """Import web/i18n/NAME/XX.js in the page: the messages only page NAME loads (its script merges
    them into the catalogs with js/i18n.js addMessages)."""
    page.goto("/")
    return page.evaluate(
        """async ([name, langs]) => {
            const out = {};
            for (const lang of langs) {
                out[lang] = (await import(`/i18n/${name}/${lang}.js`)).default;
            }
            return out;
        }""",
        [name, list(LANGUAGES)],
    )


def open_upgrade_from_home(page: Any, license_id: str) -> Any:
    """Click the Upgrade column's link of the license on the home page; the new tab it opens,
    loaded (the upgrade page, still waiting for or showing its first quote)."""
    link = page.locator(f'#licenses-table tbody tr[data-id="{license_id}"] a.upgrade-link')
    with page.context.expect_page() as opened:
        link.click()
    upgrade = opened.value
    upgrade.wait_for_load_state()
    upgrade.wait_for_selector("html:not(.i18n-pending)", state="attached")
    return upgrade


def wait_for_quote(page: Any, added: int) -> None:
    """Wait until the upgrade page shows the server's price for `added` workstations: the field
    holds that number and Buy is enabled (upgrade.js enables it only for the latest answer)."""
    page.wait_for_function(
        """(n) => document.getElementById('additional').value === String(n)
            && !document.getElementById('buy').disabled""",
        arg=added,
    )


def wait_for_upgrade_error(page: Any) -> str:
    """Wait until the upgrade page's #upgrade-error says something; its text."""
    page.wait_for_selector("#upgrade-error:not(:empty)", state="attached")
    return norm(page.text_content("#upgrade-error") or "")
