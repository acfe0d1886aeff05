"""The Orders pages (issue 3): billing details, contacts, the orders list and one order."""

from __future__ import annotations

from decimal import Decimal

import pytest

from local.demo_data import DEMO_ORDERS, _product, _sku
from tests.browser.ui import (
    api_sign_in,
    cell_texts,
    collect_pages,
    header_texts,
    html_lang,
    intl_country,
    intl_date_time,
    intl_dates,
    intl_money,
    norm,
    open_home,
    wait_for_table,
)
from tests.support import DEMO_EMAIL, DEMO_NEWEST_ORDER, DEMO_ORDER, DEMO_ORDER_REFERENCES

pytestmark = pytest.mark.browser

# The guide's six orders, newest first: (reference, placed at ISO, total amount, currency, items).
ORDERS = [
    (
        reference,
        placed.strftime("%Y-%m-%dT%H:%M:%SZ"),
        str(sum((Decimal(amount) for _, amount in lines), Decimal("0"))),
        currency,
        [(_product(line), _sku(line), amount) for line, amount in lines],
    )
    for reference, placed, currency, lines in sorted(DEMO_ORDERS, key=lambda o: o[1], reverse=True)
]
NEWEST = DEMO_NEWEST_ORDER

# Human-checked: what the page must show in each language.
COUNTRY = {"en": "France", "de": "Frankreich", "fr": "France"}
NEWEST_TOTAL = {"en": "€704.11", "de": "704,11 €", "fr": "704,11 €"}
ORDERS_HEADING = {"en": "Your orders", "de": "Ihre Bestellungen", "fr": "Vos commandes"}


def _open_orders(page, lang: str) -> None:
    """From home (signed in, in `lang`) to the Orders page through the navigation."""
    open_home(page, lang)
    page.click("#nav-orders")
    page.wait_for_url("**/orders.html")
    wait_for_table(page, "orders")
    wait_for_table(page, "billing")
    wait_for_table(page, "contacts")


def _order_rows(page) -> list[tuple[str, list[str]]]:
    return list(
        zip(
            page.locator("#orders-table tbody tr").evaluate_all(
                "trs => trs.map(tr => tr.dataset.reference)"
            ),
            cell_texts(page, "orders-table"),
            strict=True,
        )
    )


@pytest.mark.parametrize("lang", ["en", "de"])
def test_orders_and_one_order(web_page, browser_context, portal, watch, catalogs, lang):
    # given the guide's customer, signed in
    page, cat = web_page, catalogs[lang]
    api_sign_in(browser_context, portal.base_url, DEMO_EMAIL, DEMO_ORDER)

    # when they open the Orders page in `lang`, then it shows the guide's Orders page
    _open_orders(page, lang)
    assert html_lang(page) == lang
    assert page.title() == cat["orders.pageTitle"]
    assert norm(page.text_content("main h1")) == cat["orders.heading"]
    assert cat["orders.heading"] == ORDERS_HEADING[lang]

    # --- billing details ----------------------------------------------------------------
    assert header_texts(page, "billing-table") == [
        cat[f"billing.col.{c}"] for c in ("date", "name", "country", "city")
    ]
    country = intl_country(page, "FR", lang)
    assert country == COUNTRY[lang]
    assert cell_texts(page, "billing-table") == [
        [intl_dates(page, ["2016-09-30"], lang)[0], "Martin Informatique SARL", country, "Lyon"]
    ]
    assert page.get_attribute("#billing-table tbody td:nth-child(3) span", "title") == "FR"

    # --- contacts -----------------------------------------------------------------------
    assert header_texts(page, "contacts-table") == [
        cat[f"contacts.col.{c}"] for c in ("date", "firstName", "lastName", "email")
    ]
    assert cell_texts(page, "contacts-table") == [
        [intl_dates(page, ["2016-09-30"], lang)[0], "Camille", "Martin", DEMO_EMAIL]
    ]

    # --- orders, newest first, totals in the locale's currency format --------------------
    assert header_texts(page, "orders-table") == [
        cat[f"orders.col.{c}"] for c in ("date", "reference", "total", "actions")
    ]
    first_page = page.locator("#orders-table tbody tr").count()
    listed = collect_pages(page, "orders", _order_rows)
    assert [ref for ref, _ in listed] == [o[0] for o in ORDERS] == DEMO_ORDER_REFERENCES
    dates = intl_dates(page, [o[1][:10] for o in ORDERS], lang)
    totals = intl_money(page, [(o[2], o[3]) for o in ORDERS], lang)
    assert [cells for _, cells in listed] == [
        [date, o[0], total, cat["orders.details"]]
        for o, date, total in zip(ORDERS, dates, totals, strict=True)
    ]
    assert norm(totals[0]) == NEWEST_TOTAL[lang]

    # --- when they follow the newest order's Details link, then its details and items ------
    if first_page < len(ORDERS):  # paged: come back to the page holding the newest order
        page.goto("/orders.html")
        wait_for_table(page, "orders")
    link = page.locator(f'#orders-table tbody tr[data-reference="{NEWEST}"] a')
    assert link.get_attribute("aria-label") == cat["orders.detailsAria"].replace(
        "{reference}", NEWEST
    )
    link.click()
    page.wait_for_url(f"**/order.html?ref={NEWEST}")
    wait_for_table(page, "order-items")
    page.wait_for_selector('#order-details[aria-busy="false"]', state="attached")
    assert page.title() == cat["order.pageTitle"]
    assert html_lang(page) == lang

    _, placed, total, currency, items = ORDERS[0]
    assert header_texts(page, "order-details") == [
        cat[f"order.details.col.{c}"] for c in ("date", "reference", "total")
    ]
    assert cell_texts(page, "order-details") == [
        [intl_date_time(page, placed, lang), NEWEST, intl_money(page, [(total, currency)], lang)[0]]
    ]
    assert header_texts(page, "order-items-table") == [
        cat[f"order.items.col.{c}"] for c in ("product", "sku", "quantity", "subtotal")
    ]
    subtotals = intl_money(page, [(amount, currency) for _, _, amount in items], lang)
    assert cell_texts(page, "order-items-table") == [
        [product, sku, "1", subtotal]
        for (product, sku, _), subtotal in zip(items, subtotals, strict=True)
    ]
    assert [sku for _, sku, _ in items] == ["T-ENT-10", "S1Y-T-ENT-10"]
    assert not page.is_visible("#order-not-found")

    page.click("#back-to-orders")
    page.wait_for_url("**/orders.html")
    wait_for_table(page, "orders")

    # --- when they ask for a reference that is not theirs, then "not found" ---------------
    watch.allow(404, "/api/orders/NOPE-0000")
    page.goto("/order.html?ref=NOPE-0000")
    page.wait_for_function(
        "(text) => document.getElementById('order-not-found').textContent === text",
        arg=cat["order.notFound"],
    )
    assert page.get_attribute("#order-not-found", "role") == "alert"
    assert page.is_hidden("#order-content")
    assert page.locator("#order-items-table tbody tr").count() == 0
    watch.assert_clean()


def test_malformed_order_reference_is_not_found_without_asking_the_api(
    web_page, browser_context, portal, watch, catalogs
):
    # given a signed-in customer, and every request the page makes to /api/orders recorded
    page = web_page
    api_sign_in(browser_context, portal.base_url, DEMO_EMAIL, DEMO_ORDER)
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/api/orders" in r.url else None)

    # when the order page is opened with markup as the reference
    page.goto("/order.html?ref=%3Cimg%20src%3Dx%3E&lang=en")

    # then "not found", no injected image, and the API was never asked
    page.wait_for_function(
        "(text) => document.getElementById('order-not-found').textContent === text",
        arg=catalogs["en"]["order.notFound"],
    )
    assert page.is_hidden("#order-content")
    assert page.locator("img[src='x']").count() == 0
    assert asked == []
    watch.assert_clean()
