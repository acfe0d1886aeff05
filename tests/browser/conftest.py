"""Fixtures of the browser tests: one Chromium per session, one portal (LocalStack with the demo
data) for the whole tests/browser package, and a fresh context + watched page per test.

Chromium is the system package (/usr/bin/chromium); Playwright's own browser download is not
used. Without a `chromium` on PATH every browser test is skipped with the reason.

The fixtures are named chromium / portal / browser_context / web_page, not browser / context /
page, so that the pytest-playwright plugin (installed in the venv) neither replaces them nor
parametrizes these tests by its --browser option.

Every page a test opens is watched (tests.browser.ui.PageWatch): uncaught page errors, CSP
violations, any other console error and missing i18n keys fail the test, except "Failed to load
resource" errors for a status and API path the test declared with `watch.allow(...)`.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from tests.browser.ui import CHROMIUM_ARGS, LANGUAGES, PageWatch, load_catalogs


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.skip(
            "chromium is not on PATH: install the Debian 'chromium' package (`make test` does "
            "it when run as root); Playwright's browser download is not used"
        )
    return path


@pytest.fixture(scope="session")
def chromium(chromium_path: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="package")
def portal(chromium_path: str) -> Iterator[object]:
    """The whole portal with the demo data; package scope so it never overlaps another
    LocalStack of the same pytest process (the integration tests start their own)."""
    from local.stack import LocalStack

    with LocalStack(seed=True) as running:
        yield running


@pytest.fixture(scope="package")
def catalogs(chromium, portal) -> dict[str, dict[str, object]]:
    """The message catalogs web/i18n/{en,de,fr}.js, imported as ES modules by the browser."""
    context = chromium.new_context(base_url=portal.base_url)
    try:
        found = load_catalogs(context.new_page())
    finally:
        context.close()
    assert sorted(found) == sorted(LANGUAGES)
    return found


@pytest.fixture
def browser_context(chromium, portal) -> Iterator[object]:
    context = chromium.new_context(
        base_url=portal.base_url,
        locale="en-US",
        timezone_id="UTC",
        accept_downloads=True,
    )
    context.set_default_timeout(10_000)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def watch(browser_context) -> Iterator[PageWatch]:
    """Watches every page of the test's context; fails the test on any unexpected problem."""
    watcher = PageWatch()
    browser_context.on("page", watcher.attach)
    yield watcher
    if watcher.unreported():
        pytest.fail("problems in the browser:\n" + "\n".join(watcher.unreported()), pytrace=False)


@pytest.fixture
def web_page(browser_context, watch: PageWatch) -> object:
    return browser_context.new_page()


@pytest.fixture(scope="package")
def upgrade_catalogs(chromium, portal, catalogs) -> dict[str, dict[str, object]]:
    """The catalogs as upgrade.html has them: web/i18n/XX.js plus web/i18n/upgrade/XX.js."""
    from tests.browser.ui import load_page_catalogs

    context = chromium.new_context(base_url=portal.base_url)
    try:
        extra = load_page_catalogs(context.new_page(), "upgrade")
    finally:
        context.close()
    return {lang: {**catalogs[lang], **extra[lang]} for lang in LANGUAGES}
