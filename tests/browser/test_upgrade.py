"""The upgrade page (issue 8): from the Upgrade column, in a new tab, the server's price for the
number of workstations typed (debounced, the latest answer wins), its breakdown, Buy -> the
FastSpring stand-in's checkout -> Pay -> back on the portal with the license grown, which the
product's refresh reports too. In en, de and fr; refusals as translated messages.

The expected prices are the formula of docs/pricing.md computed here, in Decimal, from the
quote's supportUntil and today's date, with the unit prices that document lists. The whole loop
pays Ana's Remote Work license once (5 -> 8 workstations); every other test reads the current
count from the page or the quote rather than assuming it. Checkout answers the stand-in cannot
be made to give (410 quote_expired after 24 hours, 409 quote_used, 503) are played by a route,
as the rehost limit is in test_license_actions.py; every quote is the server's."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from bench import page_weight
from product_sdk.verify_license import verify
from tests.browser.ui import (
    api_sign_in,
    cell_texts,
    html_lang,
    intl_dates,
    intl_money,
    norm,
    open_home,
    open_sign_in,
    open_upgrade_from_home,
    sign_in,
    wait_for_home,
    wait_for_quote,
    wait_for_upgrade_error,
)
from tests.factories import LicenseSpec, OrderSpec, SupportSpec, stack_factory
from tests.support import SECOND_EMAIL, SECOND_ORDER

pytestmark = pytest.mark.browser

QUOTES = "/api/upgrades/quotes"
REMOTE_WORK_SERIAL = "999999"  # Ana's Remote Work license, on SRV-TEST-RWORK
REMOTE_WORK_COMPUTER = "SRV-TEST-RWORK"
LOOP_COMPUTER = "SRV-LOOP-RWORK"  # the whole loop's own customer (it pays: see that test)
# docs/pricing.md, "Unit prices": (licenseUnit, supportUnitPerYear) per currency.
UNIT_PRICES = {
    "USD": (Decimal("24.00"), Decimal("10.00")),
    "EUR": (Decimal("22.00"), Decimal("9.20")),
}
CENT = Decimal("0.01")
# Messages that are the same word in English and another language.
SAME_WORD = {("fr", "upgrade.breakdown.total")}
NO_DAYS = "\u2013"  # the license line's Days cell (an en dash, labelled "not applicable")


# --- helpers ------------------------------------------------------------------------------------
def fill(template: str, **params: Any) -> str:
    for name, value in params.items():
        template = template.replace("{" + name + "}", str(value))
    return template


def plural(message: Any, count: int) -> str:
    """A plural catalog entry's form for `count` (en/de/fr: one for 1, else other)."""
    if isinstance(message, dict):
        return message["one"] if count == 1 else message["other"]
    return message


def today_utc() -> date:
    return datetime.now(UTC).date()


def documented_price(added: int, support_until: str, currency: str) -> tuple[Decimal, int]:
    """docs/pricing.md: N x licenseUnit + N x supportUnitPerYear x daysLeft / 365, rounded
    half-up to the cent once, at the end; and daysLeft."""
    license_unit, support_unit = UNIT_PRICES[currency]
    days = (date.fromisoformat(support_until) - today_utc()).days
    exact = added * license_unit + added * support_unit * days / Decimal(365)
    return exact.quantize(CENT, rounding=ROUND_HALF_UP), days


def is_quote(added: int | None = None) -> Any:
    """A predicate of the page's POST /api/upgrades/quotes (for `added` workstations)."""

    def matches(request: Any) -> bool:
        if request.method != "POST" or not request.url.endswith(QUOTES):
            return False
        return (
            added is None
            or json.loads(request.post_data or "{}").get("additionalWorkstations") == added
        )

    return matches


def set_added(page: Any, added: int) -> dict[str, Any]:
    """Type `added` into the field; the server's quote the page then shows (waits for it)."""
    with page.expect_response(lambda r: is_quote(added)(r.request)) as answered:
        page.fill("#additional", str(added))
    response = answered.value
    assert response.status == 201, response.text()
    wait_for_quote(page, added)
    return response.json()


def open_upgrade(page: Any, license_id: str) -> tuple[Any, Any]:
    """Click the license's Upgrade link on the home page: the new tab, and the server's answer
    to the quote it asks for on opening (1 workstation)."""
    with page.context.expect_event("response", lambda r: is_quote(1)(r.request)) as first:
        upgrade = open_upgrade_from_home(page, license_id)
    return upgrade, first.value


def goto_upgrade(page: Any, license_id: str) -> dict[str, Any]:
    """Open upgrade.html for the license in `page`; the first quote, once shown."""
    with page.expect_response(lambda r: is_quote(1)(r.request)) as first:
        page.goto(f"/upgrade.html?license={license_id}")
    assert first.value.status == 201, first.value.text()
    wait_for_quote(page, 1)
    return first.value.json()


def money_text(page: Any, money: dict[str, str], lang: str) -> str:
    return norm(intl_money(page, [(money["amount"], money["currency"])], lang)[0])


def buy_text(page: Any) -> str:
    return norm(page.text_content("#buy") or "")


def breakdown(page: Any) -> list[list[str]]:
    return [[norm(cell) for cell in row] for row in cell_texts(page, "breakdown-table")]


def total_text(page: Any) -> list[str]:
    return [
        norm(t)
        for t in page.locator("#breakdown-table tfoot tr")
        .first.locator("th, td")
        .all_text_contents()
    ]


def expected_breakdown(
    page: Any, quote: dict[str, Any], cat: dict[str, Any], lang: str
) -> list[list[str]]:
    def number(n: int) -> str:
        return norm(page.evaluate("([n, l]) => new Intl.NumberFormat(l).format(n)", [n, lang]))

    lines = {line["kind"]: line for line in quote["breakdown"]}
    lic, sup = lines["license"], lines["support"]
    return [
        [
            cat["upgrade.kind.license"],
            number(lic["quantity"]),
            money_text(page, lic["unitPrice"], lang),
            NO_DAYS,
            money_text(page, lic["amount"], lang),
        ],
        [
            cat["upgrade.kind.support"],
            number(sup["quantity"]),
            norm(fill(cat["upgrade.perYear"], price=money_text(page, sup["unitPrice"], lang))),
            number(sup["days"]),
            money_text(page, sup["amount"], lang),
        ],
    ]


def remote_work_license(context: Any, serial: str = REMOTE_WORK_SERIAL) -> dict[str, Any]:
    """The Remote Work license `serial` as the API lists it (default: Ana's, the context signed
    in as Ana)."""
    listed = context.request.get("/api/licenses?limit=10").json()["items"]
    return next(lic for lic in listed if lic["serialNumber"] == serial)


def users_cell(page: Any, license_id: str) -> str:
    return norm(
        page.locator(f'#licenses-table tbody tr[data-id="{license_id}"] td').nth(3).text_content()
    )


def check_header(page: Any, quote: dict[str, Any], cat: dict[str, Any], lang: str) -> None:
    computer = quote["computerName"] or quote["computerId"]
    key = "upgrade.headingBound" if quote["computerId"] else "upgrade.headingFree"
    assert norm(page.text_content("#upgrade-heading")) == norm(
        fill(cat[key], software=quote["software"], computer=computer, serial=quote["serialNumber"])
    )
    count = quote["currentWorkstations"]
    assert norm(page.text_content("#current-workstations")) == norm(
        fill(plural(cat["upgrade.workstations"], count), number=count)
    )
    assert norm(page.text_content("#support-until")) == norm(
        fill(cat["upgrade.supportUntil"], date=intl_dates(page, [quote["supportUntil"]], lang)[0])
    )


# --- the page's catalogs and weight -------------------------------------------------------------
def test_every_language_has_the_same_messages(upgrade_catalogs):
    # given the catalogs as the upgrade page has them, then en, de and fr hold the same keys,
    # the mailto request of the Upgrade column is gone, and the page's messages are translated
    keys = {lang: set(cat) for lang, cat in upgrade_catalogs.items()}
    assert keys["de"] == keys["en"] == keys["fr"]
    assert "licenses.upgradeSubject" not in keys["en"]
    upgrade_keys = [k for k in keys["en"] if k.startswith("upgrade.")]
    assert len(upgrade_keys) > 30
    for lang in ("de", "fr"):
        same = [
            k
            for k in upgrade_keys
            if upgrade_catalogs[lang][k] == upgrade_catalogs["en"][k] and (lang, k) not in SAME_WORD
        ]
        assert same == [], f"{lang}: not translated: {same}"


def test_the_upgrade_page_is_light_and_home_still_within_budget():
    # the upgrade page's own messages load on that page only: sign-in and home stay within the
    # PERFORMANCE.md budget (tests/unit/test_page_weight.py), and so does the upgrade page
    upgrade = page_weight.assets("upgrade.html")
    assert any(p.match("i18n/upgrade/*.js") for p in upgrade)
    assert not any(p.match("i18n/upgrade/*.js") for p in page_weight.assets("home.html"))
    assert not any(p.match("i18n/upgrade/*.js") for p in page_weight.assets("index.html"))
    for page in ("index.html", "home.html", "upgrade.html"):
        assert page_weight.weight(page) <= page_weight.BUDGET, page


# --- the whole loop -----------------------------------------------------------------------------
def test_upgrade_loop_quote_checkout_pay_and_the_license_grows(
    web_page, browser_context, portal, watch, upgrade_catalogs
):
    # given a customer like Ana, the second demo customer (a 5-workstation Remote Work license on
    # a computer, bought in USD, support running), made for this test so that its payment
    # changes no demo record other browser tests count; signed in on the sign-in page in English
    page, cat = web_page, upgrade_catalogs["en"]
    customer = stack_factory(portal)(
        currency="USD",
        licenses=[LicenseSpec("Remote Work", None, 5, computer=LOOP_COMPUTER, upgradable=True)],
        supports=[SupportSpec("Remote Work", None, 5, years=3)],
    )
    serial = customer.licenses[0].serial_number
    open_sign_in(page, "en")
    sign_in(page, customer.email, customer.order_number)
    before = remote_work_license(browser_context, serial)
    assert before["upgradable"] and before["users"] == 5
    assert users_cell(page, before["id"]) == "5"

    # when she clicks Upgrade on the Remote Work license, then the upgrade page opens in a new tab
    link = page.locator(f'#licenses-table tbody tr[data-id="{before["id"]}"] a.upgrade-link')
    assert link.text_content() == cat["licenses.upgrade"]
    assert (link.get_attribute("target"), link.get_attribute("rel")) == ("_blank", "noopener")
    upgrade, first = open_upgrade(page, before["id"])
    assert first.status == 201
    assert upgrade is not page
    assert upgrade.url.endswith(f"/upgrade.html?license={before['id']}")
    assert html_lang(upgrade) == "en"
    assert upgrade.input_value("#additional") == "1"

    # when she sets 3 and the server's price arrives
    quote = set_added(upgrade, 3)

    # then the header names the license, its computer and serial, its workstations and support
    assert norm(upgrade.text_content("#upgrade-heading")) == (
        f"Upgrade license Remote Work assigned to computer {LOOP_COMPUTER} (#{serial})"
    )
    check_header(upgrade, quote, cat, "en")
    assert norm(upgrade.text_content("#current-workstations")) == "5 workstations"

    # and the price is the documented formula from the quote's support end and today, in USD
    expected, days = documented_price(3, quote["supportUntil"], "USD")
    assert quote["price"] == {"amount": str(expected), "currency": "USD"}
    assert quote["additionalWorkstations"] == 3 and quote["currentWorkstations"] == 5
    lines = {line["kind"]: line for line in quote["breakdown"]}
    assert lines["license"]["unitPrice"]["amount"] == "24.00"
    assert lines["license"]["amount"]["amount"] == "72.00"
    assert lines["license"]["days"] is None
    assert lines["support"]["unitPrice"]["amount"] == "10.00"
    assert lines["support"]["days"] == days
    assert Decimal(lines["support"]["amount"]["amount"]) == expected - Decimal("72.00")

    # and the page shows it: the breakdown with its kinds translated, the total, Buy for the price
    price = money_text(upgrade, quote["price"], "en")
    assert price == f"${expected}"
    assert breakdown(upgrade) == expected_breakdown(upgrade, quote, cat, "en")
    assert total_text(upgrade) == [cat["upgrade.breakdown.total"], price]
    assert buy_text(upgrade) == f"Buy for {price}"
    assert norm(upgrade.text_content(".upgrade-card")).count(cat["upgrade.priceIncludes"]) == 1

    # when she clicks Buy, then she lands on the stand-in's checkout page of that session
    upgrade.click("#buy")
    upgrade.wait_for_url(re.compile(r"/session/[A-Za-z0-9_-]{1,128}$"))
    checkout_url = upgrade.url
    base = portal.environment.get("FASTSPRING_CHECKOUT_BASE")
    if base:
        assert checkout_url.startswith(f"{base}/session/")
    assert not checkout_url.startswith(portal.base_url)
    assert str(expected) in norm(upgrade.text_content("body") or "")

    # when she pays, then she is back on the portal's home page and the license has 8
    upgrade.locator('form[action$="/pay"] [type="submit"]').click()
    upgrade.wait_for_load_state()
    home = re.compile("^" + re.escape(portal.base_url) + r"/home\.html(\?.*)?$")
    assert home.match(upgrade.url), f"Pay did not return to the portal: {upgrade.url}: " + norm(
        upgrade.text_content("body") or ""
    )
    wait_for_home(upgrade)
    assert users_cell(upgrade, before["id"]) == "8"
    after = remote_work_license(browser_context, serial)
    assert after["users"] == 8
    assert after["support"]["until"] == before["support"]["until"]  # support end unchanged
    assert after["computerId"] == LOOP_COMPUTER

    # and the paid order is on her orders, its upgrade line applied
    orders = browser_context.request.get("/api/orders?limit=10").json()["items"]
    new_refs = [o["reference"] for o in orders if o["reference"] not in customer.order_numbers]
    assert len(new_refs) == 1
    detail = browser_context.request.get(f"/api/orders/{new_refs[0]}").json()
    upgrades = [item["upgrade"] for item in detail["items"] if item.get("upgrade")]
    assert [u["status"] for u in upgrades] == ["applied"]

    # and the product's next refresh on its computer reports 8 workstations, in a signed file
    keys = {
        k["kid"]: k["publicKey"]
        for k in browser_context.request.get("/api/activation/keys").json()["keys"]
    }
    refreshed = browser_context.request.post(
        "/api/activation/refresh",
        data={"activationKey": customer.activation_key, "computerId": LOOP_COMPUTER},
    )
    assert refreshed.status == 200, refreshed.text()
    answer = refreshed.json()
    listed = [lic for lic in answer["licenses"] if lic["serialNumber"] == serial]
    assert [lic["users"] for lic in listed] == [8]
    payload = verify(answer["licenseFile"].encode(), keys, computer_id=LOOP_COMPUTER)
    assert payload["license"]["serialNumber"] == serial
    assert payload["license"]["users"] == 8

    # when the stand-in sends the same paid order again, then the license stays at 8
    upgrade.goto(checkout_url)
    upgrade.locator('form[action$="/redeliver"] [type="submit"]').click()
    upgrade.wait_for_load_state()
    assert home.match(upgrade.url), f"the redelivery failed: {upgrade.url}: " + norm(
        upgrade.text_content("body") or ""
    )
    assert remote_work_license(browser_context, serial)["users"] == 8
    watch.assert_clean()


# --- German: the account's language, the debounce, the latest answer ----------------------------
def test_upgrade_page_in_german_follows_the_account_language_and_waits_for_typing(
    web_page, browser_context, watch, upgrade_catalogs
):
    # given Ana, whose account is in German, signed in without choosing a language
    page, cat = web_page, upgrade_catalogs["de"]
    open_sign_in(page)
    sign_in(page, SECOND_EMAIL, SECOND_ORDER)
    assert html_lang(page) == "de"
    lic = remote_work_license(browser_context)

    # when she opens the upgrade page from the Upgrade column (a tab of its own)
    upgrade, first = open_upgrade(page, lic["id"])
    upgrade.wait_for_function("() => document.documentElement.lang === 'de'")
    wait_for_quote(upgrade, 1)
    quote = first.json()

    # then it is in German: title, header, labels, dates and money as German writes them
    assert upgrade.title() == cat["upgrade.pageTitle"]
    check_header(upgrade, quote, cat, "de")
    assert norm(upgrade.text_content("#upgrade-heading")).startswith("Lizenz Remote Work erweitern")
    assert norm(upgrade.text_content("label[for=additional]")) == "Zusätzliche Arbeitsplätze"
    assert norm(upgrade.text_content("#support-until")).startswith("Support- und Update-Services: ")
    assert re.search(r"\d{2}\.\d{2}\.\d{4}$", norm(upgrade.text_content("#support-until")))

    # when she types 12 quickly (two key presses inside the debounce)
    asked: list[Any] = []
    upgrade.on("request", lambda r: asked.append(r) if is_quote()(r) else None)
    upgrade.click("#additional")
    upgrade.keyboard.press("Control+A")
    with upgrade.expect_response(lambda r: is_quote(12)(r.request)) as answered:
        upgrade.keyboard.type("12", delay=40)
    twelve = answered.value.json()
    wait_for_quote(upgrade, 12)

    # then the server was asked once, for 12, and its price shows in German
    assert [json.loads(r.post_data)["additionalWorkstations"] for r in asked] == [12]
    expected, _ = documented_price(12, twelve["supportUntil"], "USD")
    assert twelve["price"]["amount"] == str(expected)
    price = money_text(upgrade, twelve["price"], "de")
    assert "," in price and "$" in price  # e.g. "384,53 $"
    assert buy_text(upgrade) == norm(fill(cat["upgrade.buy"], price=price))
    assert breakdown(upgrade) == expected_breakdown(upgrade, twelve, cat, "de")
    assert breakdown(upgrade)[0][0] == "Zusätzliche Arbeitsplätze (Lizenz)"
    assert norm(upgrade.text_content("#upgrade-status")) == norm(
        fill(plural(cat["upgrade.priced"], 12), number=12, price=price)
    )

    # when she switches to French, then the page says the same in French, without a new quote
    upgrade.click("#lang-fr")
    upgrade.wait_for_function("() => document.documentElement.lang === 'fr'")
    fr = upgrade_catalogs["fr"]
    check_header(upgrade, twelve, fr, "fr")
    assert buy_text(upgrade) == norm(
        fill(fr["upgrade.buy"], price=money_text(upgrade, twelve["price"], "fr"))
    )
    assert breakdown(upgrade) == expected_breakdown(upgrade, twelve, fr, "fr")
    assert len(asked) == 1
    watch.assert_clean()


def test_an_older_answer_arriving_late_is_ignored(
    web_page, browser_context, portal, watch, upgrade_catalogs
):
    # given Ana on the upgrade page, with the server's answer for 2 held back on its way
    page, cat = web_page, upgrade_catalogs["en"]
    api_sign_in(browser_context, portal.base_url, SECOND_EMAIL, SECOND_ORDER)
    open_home(page, "en")
    upgrade = open_upgrade_from_home(page, remote_work_license(browser_context)["id"])
    wait_for_quote(upgrade, 1)
    held: list[Any] = []

    def hold_two(route: Any) -> None:
        body = json.loads(route.request.post_data or "{}")
        if body.get("additionalWorkstations") == 2 and not held:
            held.append(route)  # continued later, below
        else:
            route.continue_()

    upgrade.route(f"**{QUOTES}", hold_two)
    with upgrade.expect_request(is_quote(2)):
        upgrade.fill("#additional", "2")
    for _ in range(100):
        if held:
            break
        upgrade.wait_for_timeout(20)
    assert held, "the request for 2 never reached the route"

    # then, while it is on its way, Buy waits
    assert upgrade.is_disabled("#buy")
    assert norm(upgrade.text_content("#upgrade-status")) == cat["upgrade.quoting"]

    # when she changes to 3 and its answer arrives first
    three = set_added(upgrade, 3)
    three_price = money_text(upgrade, three["price"], "en")
    assert buy_text(upgrade) == f"Buy for {three_price}"

    # and then the answer for 2 arrives
    with upgrade.expect_response(lambda r: is_quote(2)(r.request)) as late:
        held[0].continue_()
    assert late.value.status == 201
    two_price = money_text(upgrade, late.value.json()["price"], "en")
    assert two_price != three_price
    upgrade.wait_for_timeout(300)

    # then the page still shows the price for 3, and Buy buys that one
    assert buy_text(upgrade) == f"Buy for {three_price}"
    assert not upgrade.is_disabled("#buy")
    assert breakdown(upgrade) == expected_breakdown(upgrade, three, cat, "en")
    watch.assert_clean()


# --- refusals ----------------------------------------------------------------------------------
def test_out_of_range_numbers_are_refused_in_the_page_and_by_the_server(
    web_page, browser_context, portal, watch, upgrade_catalogs
):
    # given Ana on the upgrade page in French
    page, cat = web_page, upgrade_catalogs["fr"]
    api_sign_in(browser_context, portal.base_url, SECOND_EMAIL, SECOND_ORDER)
    open_home(page, "fr")
    upgrade = open_upgrade_from_home(page, remote_work_license(browser_context)["id"])
    wait_for_quote(upgrade, 1)
    asked: list[Any] = []
    upgrade.on("request", lambda r: asked.append(r) if is_quote()(r) else None)
    one_to_thousand = {
        "min": "1",
        "max": norm(upgrade.evaluate("new Intl.NumberFormat('fr').format(1000)")),
    }

    # when she types 0, then the page says why without asking the server, and Buy is off
    for typed in ("0", "1001", "2.5"):
        upgrade.fill("#additional", typed)
        assert wait_for_upgrade_error(upgrade) == norm(
            fill(cat["upgrade.error.range"], **one_to_thousand)
        )
        assert upgrade.get_attribute("#additional", "aria-invalid") == "true"
        assert upgrade.is_disabled("#buy")
        assert upgrade.is_hidden("#breakdown")
    upgrade.wait_for_timeout(400)
    assert asked == []

    # when she asks for 1000 more (within 1..1000, beyond the product's 500 workstations)
    watch.allow(400, QUOTES)
    with upgrade.expect_response(lambda r: is_quote(1000)(r.request)) as answered:
        upgrade.fill("#additional", "1000")
    assert answered.value.status == 400
    assert answered.value.json()["error"]["code"] == "too_many_workstations"

    # then the server's refusal is shown in French, and nothing can be bought
    upgrade.wait_for_function(
        "(text) => document.getElementById('upgrade-error').textContent === text",
        arg=cat["upgrade.error.too_many_workstations"],
    )
    assert upgrade.is_disabled("#buy")
    assert buy_text(upgrade) == cat["upgrade.buyWaiting"]

    # when she corrects it to 2, then the error goes and the price for 2 is there
    two = set_added(upgrade, 2)
    assert norm(upgrade.text_content("#upgrade-error")) == ""
    assert upgrade.get_attribute("#additional", "aria-invalid") is None
    assert buy_text(upgrade) == norm(
        fill(cat["upgrade.buy"], price=money_text(upgrade, two["price"], "fr"))
    )
    watch.assert_clean()


def test_a_license_without_running_support_is_explained_in_french(
    web_page, browser_context, portal, watch, upgrade_catalogs
):
    # given a customer (French) with two upgradable Remote Work licenses: one bound to a
    # computer whose support ended in 2021, one bought today in EUR, bound to no computer
    page, cat = web_page, upgrade_catalogs["fr"]
    customer = stack_factory(portal)(
        language="fr",
        currency="USD",
        placed_at="2020-03-02",
        licenses=[LicenseSpec("Remote Work", None, 5, computer="SRV-OLD-RW", upgradable=True)],
        supports=[SupportSpec("Remote Work", None, 5, years=1)],
        orders=[
            OrderSpec(
                licenses=[LicenseSpec("Remote Work", None, 7, upgradable=True)],
                supports=[SupportSpec("Remote Work", None, 7, years=1)],
                currency="EUR",
            )
        ],
    )
    lapsed, current = customer.license_ids
    api_sign_in(browser_context, portal.base_url, customer.email, customer.order_number)
    open_home(page, "fr")

    # when they open the upgrade of the license whose support ended
    watch.allow(409, QUOTES)
    upgrade, first = open_upgrade(page, lapsed)
    assert first.status == 409

    # then the page says, in French, that support must be renewed first; nothing can be bought
    assert wait_for_upgrade_error(upgrade) == norm(cat["upgrade.error.no_running_support"])
    assert upgrade.is_disabled("#additional")
    assert upgrade.is_disabled("#buy")
    assert upgrade.is_hidden("#breakdown")
    assert norm(upgrade.text_content("#upgrade-heading")) == cat["upgrade.heading"]
    assert upgrade.get_attribute("#upgrade-error", "role") == "alert"
    assert upgrade.locator("#upgrade-error").evaluate("e => e.classList.contains('alert')")

    # when they open the other one (bound to no computer), then its header says so, and its
    # price is the formula's in the currency of its order (EUR), written the French way
    quote = goto_upgrade(upgrade, current)
    assert quote["computerId"] is None
    check_header(upgrade, quote, cat, "fr")
    assert norm(upgrade.text_content("#upgrade-heading")) == norm(
        fill(cat["upgrade.headingFree"], software="Remote Work", serial=quote["serialNumber"])
    )
    two = set_added(upgrade, 2)
    expected, _ = documented_price(2, two["supportUntil"], "EUR")
    assert two["price"] == {"amount": str(expected), "currency": "EUR"}
    price = money_text(upgrade, two["price"], "fr")
    assert price.endswith("€") and "," in price
    assert buy_text(upgrade) == norm(fill(cat["upgrade.buy"], price=price))
    watch.assert_clean()


@pytest.mark.parametrize(
    ("status", "code", "key"),
    [
        (410, "quote_expired", "upgrade.expired"),
        (409, "quote_used", "upgrade.error.quote_used"),
        (503, "service_unavailable", "upgrade.error.service_unavailable"),
    ],
)
def test_checkout_refusals_are_explained(
    web_page, browser_context, portal, watch, upgrade_catalogs, status, code, key
):
    # given Ana on the upgrade page with the server's price for 2, and a checkout that answers
    # `code` (played by a route: the server would say so after 24 hours, a payment, an outage)
    page, cat = web_page, upgrade_catalogs["en"]
    api_sign_in(browser_context, portal.base_url, SECOND_EMAIL, SECOND_ORDER)
    open_home(page, "en")
    upgrade = open_upgrade_from_home(page, remote_work_license(browser_context)["id"])
    wait_for_quote(upgrade, 1)
    quote = set_added(upgrade, 2)
    checkout = f"{QUOTES}/{quote['quoteId']}/checkout"
    watch.allow(status, checkout)
    upgrade.route(
        f"**{checkout}",
        lambda route: route.fulfill(
            status=status,
            content_type="application/json",
            body=json.dumps({"error": {"code": code, "message": "played"}}),
        ),
    )

    # when she clicks Buy
    if code == "quote_expired":
        # then the page asks for a fresh price of the same number by itself and says so
        with upgrade.expect_response(lambda r: is_quote(2)(r.request)) as again:
            upgrade.click("#buy")
        fresh = again.value.json()
        assert fresh["quoteId"] != quote["quoteId"]
        wait_for_quote(upgrade, 2)
        assert norm(upgrade.text_content("#upgrade-notice")) == norm(cat[key])
        assert norm(upgrade.text_content("#upgrade-error")) == ""
        assert buy_text(upgrade) == f"Buy for {money_text(upgrade, fresh['price'], 'en')}"
        assert upgrade.url.endswith(f"/upgrade.html?license={quote['licenseId']}")
    else:
        upgrade.click("#buy")
        # then the page says why, in its error box, and stays
        assert wait_for_upgrade_error(upgrade) == norm(cat[key])
        assert upgrade.url.endswith(f"/upgrade.html?license={quote['licenseId']}")
        if code == "quote_used":
            # a paid quote cannot be bought again: a new number gets a new price
            assert upgrade.is_disabled("#buy")
            set_added(upgrade, 3)
            assert norm(upgrade.text_content("#upgrade-error")) == ""
        else:
            # the quote still stands: Buy can be tried again
            assert not upgrade.is_disabled("#buy")
    watch.assert_clean()


def test_the_upgrade_page_needs_a_session_and_a_license(
    web_page, browser_context, portal, watch, upgrade_catalogs
):
    # given no session, when the upgrade page opens, then it goes to the sign-in page
    page = web_page
    watch.allow(401, QUOTES, "/api/me")
    page.goto("/upgrade.html?license=01ARZ3NDEKTSV4RRFFQ69G5FAV")
    page.wait_for_url(f"{portal.base_url}/index.html")

    # given Ana signed in, when the link names no license or another customer's, then the page
    # says the license is not hers (no quote asked for a malformed id)
    api_sign_in(browser_context, portal.base_url, SECOND_EMAIL, SECOND_ORDER)
    cat = upgrade_catalogs["en"]
    asked: list[Any] = []
    page.on("request", lambda r: asked.append(r) if is_quote()(r) else None)
    page.goto("/upgrade.html?license=not-a-license&lang=en")
    assert wait_for_upgrade_error(page) == cat["upgrade.error.not_found"]
    assert page.is_disabled("#buy") and page.is_disabled("#additional")
    assert asked == []

    watch.allow(404, QUOTES)
    page.goto("/upgrade.html?license=01ARZ3NDEKTSV4RRFFQ69G5FAV")
    assert wait_for_upgrade_error(page) == cat["upgrade.error.not_found"]
    assert len(asked) == 1
    watch.assert_clean()
