"""The page watcher that every other browser test relies on for "no CSP violation, no uncaught
error" really sees them: here they are provoked on purpose in an unwatched context."""

from __future__ import annotations

import pytest

from tests.browser.ui import PageWatch

pytestmark = pytest.mark.browser


def test_watch_reports_csp_violations_page_errors_and_unexpected_resource_errors(
    browser_context,
):
    # given a watcher on a page of the sign-in screen, which has nothing to report
    watcher = PageWatch()
    page = browser_context.new_page()
    watcher.attach(page)
    page.goto("/")
    page.wait_for_selector("html:not(.i18n-pending)", state="attached")
    assert watcher.problems == []

    # when problems are provoked one by one, then each is reported

    # An inline script: the portal's CSP (script-src from default-src 'self') must block it.
    with page.expect_console_message(lambda m: "Content Security Policy" in m.text):
        page.evaluate(
            """() => {
                const s = document.createElement('script');
                s.textContent = 'window.__inlineRan = true';
                document.head.append(s);
            }"""
        )
    assert page.evaluate("window.__inlineRan === undefined")
    assert any(p.startswith("CSP violation") for p in watcher.problems), watcher.problems

    # An uncaught exception.
    with page.expect_event("pageerror"):
        page.evaluate("setTimeout(() => { throw new Error('deliberate boom'); })")
    assert any("deliberate boom" in p for p in watcher.problems), watcher.problems

    # A 401 is tolerated only for the path a test allowed, a 404 elsewhere is not.
    watcher.allow(401, "/api/me")
    before = len(watcher.problems)
    with page.expect_console_message(lambda m: "status of 401" in m.text):
        page.evaluate("fetch('/api/me').catch(() => {})")
    with page.expect_console_message(lambda m: "status of 404" in m.text):
        page.evaluate("fetch('/no-such-file.js').catch(() => {})")
    assert watcher.tolerated == ["401 /api/me"]
    assert len(watcher.problems) == before + 1
    assert "404" in watcher.problems[-1]
    assert "/no-such-file.js" in watcher.problems[-1]

    with pytest.raises(AssertionError):
        watcher.assert_clean()
