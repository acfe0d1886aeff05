"""Cursor pagination of the licenses, supports and orders tables: « Prev / Next » and their
disabled states.

web/js/config.js sets PAGE_SIZE (10 today) and the UI has no control to change it. With 10 the
demo customer's 5 licenses, 7 supports and 6 orders all fit on one page, so the first test only
checks that both buttons are disabled there. To exercise real paging against the real API, the
second test serves config.js with PAGE_SIZE = 3 (a Playwright route that rewrites that one
constant of the genuine file; the API, its cursors and the rest of the frontend are untouched).
"""

from __future__ import annotations

import re

import pytest

from tests.browser.ui import (
    api_sign_in,
    collect_pages,
    norm,
    open_home,
    page_size,
    pager_state,
    rows,
    serials,
    turn_page,
    wait_for_page_change,
    wait_for_table,
)
from tests.support import (
    DEMO_EMAIL,
    DEMO_LICENSES,
    DEMO_ORDER,
    DEMO_ORDER_REFERENCES,
    DEMO_SUPPORT_SERIALS,
)

pytestmark = pytest.mark.browser

SMALL = 3


def _with_page_size(context, size: int) -> None:
    def rewrite(route):
        response = route.fetch()
        body, replaced = re.subn(
            r"export const PAGE_SIZE = \d+;", f"export const PAGE_SIZE = {size};", response.text()
        )
        assert replaced == 1, "web/js/config.js no longer exports PAGE_SIZE"
        route.fulfill(response=response, body=body)

    context.route("**/js/config.js", rewrite)


def _state(page, name: str) -> tuple[str, bool, bool, str, str]:
    """(page number, prev disabled, next disabled, prev aria-disabled, next aria-disabled)."""
    s = pager_state(page, name)
    return (
        s["page"],
        s["prev"],
        s["next"],
        page.get_attribute(f"#{name}-prev", "aria-disabled"),
        page.get_attribute(f"#{name}-next", "aria-disabled"),
    )


def test_default_page_size_everything_on_one_page(web_page, browser_context, portal, watch):
    # given the guide's customer and the frontend's page size
    page = web_page
    size = page_size()
    api_sign_in(browser_context, portal.base_url, DEMO_EMAIL, DEMO_ORDER)

    # when home opens, then each table shows a page of rows and Next only if there are more
    open_home(page, "en")
    for name, total in (("licenses", len(DEMO_LICENSES)), ("supports", len(DEMO_SUPPORT_SERIALS))):
        more = total > size
        assert rows(page, f"{name}-table").count() == min(total, size)
        assert _state(page, name) == ("1", True, not more, "true", str(not more).lower())
    watch.assert_clean()


def test_small_pages_prev_next_and_disabled_states(web_page, browser_context, portal, watch,
                                                   catalogs):  # fmt: skip
    # given pages of three rows and the guide's customer (6 licenses: the guide's five and the
    # never-activated P88; 7 supports, 6 orders)
    page, cat = web_page, catalogs["en"]
    _with_page_size(browser_context, SMALL)
    api_sign_in(browser_context, portal.base_url, DEMO_EMAIL, DEMO_ORDER)
    all_serials = [s for s, _ in DEMO_LICENSES]
    assert (len(all_serials), len(DEMO_SUPPORT_SERIALS), len(DEMO_ORDER_REFERENCES)) == (6, 7, 6)

    # when home opens
    open_home(page, "en")

    # --- then licenses: 6 = 3 + 3, Next and Prev move between the two pages ---------------
    assert serials(page, "licenses") == all_serials[:3]
    assert _state(page, "licenses") == ("1", True, False, "true", "false")
    assert norm(page.text_content("#licenses-next")) == cat["pager.next"]
    assert page.get_attribute("#licenses-next", "aria-label") == cat["licenses.next"]
    turn_page(page, "licenses", "next")
    assert serials(page, "licenses") == all_serials[3:]
    assert _state(page, "licenses") == ("2", False, True, "false", "true")
    assert page.text_content("#licenses-status") == cat["pager.page"].replace("{page}", "2")
    turn_page(page, "licenses", "prev")
    assert serials(page, "licenses") == all_serials[:3]
    assert _state(page, "licenses") == ("1", True, False, "true", "false")

    # --- supports: 7 = 3 + 3 + 1, with the keyboard ---------------------------------------
    # Enter on a focused Next that ends up disabled on the last page moves focus to Prev.
    seen = list(serials(page, "supports"))
    assert _state(page, "supports") == ("1", True, False, "true", "false")
    page.focus("#supports-next")
    for number, count in (("2", 3), ("3", 1)):
        before = page.text_content("#supports-page")
        page.keyboard.press("Enter")
        wait_for_page_change(page, "supports", before)
        assert rows(page, "supports-table").count() == count
        seen += serials(page, "supports")
        last = number == "3"
        assert _state(page, "supports") == (number, False, last, "false", str(last).lower())
    assert page.evaluate("document.activeElement.id") == "supports-prev"
    assert sorted(seen) == DEMO_SUPPORT_SERIALS

    # --- when they open Orders, then 6 = 3 + 3, and no empty third page ---------------------
    page.click("#nav-orders")
    page.wait_for_url("**/orders.html")
    wait_for_table(page, "orders")
    assert _state(page, "orders") == ("1", True, False, "true", "false")
    references = collect_pages(
        page,
        "orders",
        lambda p: p.locator("#orders-table tbody tr").evaluate_all(
            "trs => trs.map(tr => tr.dataset.reference)"
        ),
    )
    assert references == DEMO_ORDER_REFERENCES
    assert _state(page, "orders") == ("2", False, True, "false", "true")
    assert rows(page, "orders-table").count() == SMALL
    watch.assert_clean()
