"""What a signed-in customer gets: only their own records (isolation), and license files."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest

from product_sdk.verify_license import check_signed
from tests.browser.ui import (
    api_sign_in,
    cell_texts,
    collect_pages,
    html_lang,
    open_home,
    open_sign_in,
    serials,
    sign_in,
    wait_for_table,
)
from tests.support import (
    DEMO_EMAIL,
    DEMO_LICENSES,
    DEMO_NEWEST_ORDER,
    DEMO_ORDER,
    SECOND_EMAIL,
    SECOND_LICENSE_SERIALS,
    SECOND_ORDER,
    SECOND_ORDER_REFERENCES,
)

pytestmark = pytest.mark.browser

LICENSE_FORMAT = "customer-portal-license/1"


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_second_customer_sees_only_their_own_records(web_page, watch, catalogs):
    # given the second customer, who chose no language on the sign-in page
    page = web_page
    open_sign_in(page)

    # when they sign in, then the account's language (de) applies
    sign_in(page, SECOND_EMAIL, SECOND_ORDER)
    cat = catalogs["de"]
    assert html_lang(page) == "de"

    # then their licenses are theirs only
    licenses = collect_pages(
        page,
        "licenses",
        lambda p: zip(serials(p, "licenses"), cell_texts(p, "licenses-table"), strict=True),
    )
    assert [serial for serial, _ in licenses] == SECOND_LICENSE_SERIALS
    by_serial = dict(licenses)
    assert by_serial["999999"][0] == "Remote Work"
    assert "SRV-TEST-RWORK" in by_serial["999999"][1]

    remote = page.locator("#licenses-table tbody tr", has_text="Remote Work")
    # the Upgrade column opens the upgrade page of that license in a new tab (test_upgrade.py
    # follows it); P71 is not upgradable, so it has no link
    upgrade = remote.locator("a.upgrade-link")
    assert upgrade.count() == 1
    assert upgrade.text_content() == cat["licenses.upgrade"] == "Arbeitsplätze hinzufügen"
    license_id = remote.get_attribute("data-id")
    assert upgrade.get_attribute("href") == f"upgrade.html?license={license_id}"
    assert (upgrade.get_attribute("target"), upgrade.get_attribute("rel")) == ("_blank", "noopener")
    assert upgrade.get_attribute("aria-label") == cat["licenses.upgradeAria"].replace(
        "{serial}", "999999"
    )
    p71 = page.locator("#licenses-table tbody tr", has_text="P71")
    assert p71.locator("a.upgrade-link").count() == 0

    supports = collect_pages(page, "supports", lambda p: serials(p, "supports"))
    assert sorted(supports) == sorted(SECOND_LICENSE_SERIALS)  # one support per license
    demo_serials = {s for s, _ in DEMO_LICENSES} | {"PF3"}
    assert not demo_serials & set(supports)
    shown = page.text_content("#licenses-table tbody") + page.text_content("#supports-table tbody")
    assert not any(serial in shown for serial in demo_serials)

    # when they open the Orders page, then only Ana's two orders are there, and the demo
    # customer's newest order is "not found" for her
    page.click("#nav-orders")
    page.wait_for_url("**/orders.html")
    wait_for_table(page, "orders")
    wait_for_table(page, "billing")
    refs = page.locator("#orders-table tbody tr").evaluate_all(
        "trs => trs.map(tr => tr.dataset.reference)"
    )
    assert refs == SECOND_ORDER_REFERENCES
    assert cell_texts(page, "billing-table")[0][1:] == ["Müller IT GmbH", "Deutschland", "München"]

    watch.allow(404, f"/api/orders/{DEMO_NEWEST_ORDER}")
    page.goto(f"/order.html?ref={DEMO_NEWEST_ORDER}")
    page.wait_for_function(
        "(text) => document.getElementById('order-not-found').textContent === text",
        arg=cat["order.notFound"],
    )
    assert page.is_hidden("#order-content")
    watch.assert_clean()


def test_license_and_support_files_download(web_page, browser_context, portal, watch, catalogs):
    # given the guide's customer on the home page, and the portal's published keys
    page, cat = web_page, catalogs["en"]
    api_sign_in(browser_context, portal.base_url, DEMO_EMAIL, DEMO_ORDER)
    open_home(page, "en")
    published = browser_context.request.get("/api/activation/keys").json()["keys"]
    keys = {k["kid"]: k["publicKey"] for k in published}

    # when they click the first bound license's Details and the first support's download link
    # (a license bound to no computer has no file: it offers offline activation instead)
    for kind, name in (("licenses", "license"), ("supports", "support")):
        row = page.locator(f"#{kind}-table tbody tr").first
        if kind == "licenses":
            row = page.locator(
                "#licenses-table tbody tr", has=page.locator("[data-computer-id]")
            ).first
            computer_id = row.locator("[data-computer-id]").get_attribute("data-computer-id")
        serial = row.locator(".serial").text_content()
        link = row.locator('a[data-action="file"]' if kind == "licenses" else "a[download]")
        assert link.text_content() == cat[f"{kind}.details"]
        assert link.get_attribute("aria-label") == cat[f"{kind}.detailsAria"].replace(
            "{serial}", serial
        )
        with page.expect_download() as started:
            link.click()
        download = started.value

        # then the browser saved a signed file of that record, which verifies
        assert download.failure() is None
        assert re.fullmatch(rf"{name}-{serial}-[0-9A-Z]{{6}}\.lic", download.suggested_filename), (
            download.suggested_filename
        )
        content = Path(download.path()).read_bytes()
        envelope = json.loads(content)
        assert envelope["format"] == LICENSE_FORMAT
        payload = json.loads(_unb64(envelope["payload"]))
        assert payload["kind"] == name
        assert payload[name]["serialNumber"] == serial
        assert _unb64(envelope["signature"])
        assert check_signed(content, keys) == payload
        if kind == "licenses":
            assert payload["license"]["computerId"] == computer_id
            # the newest of the guide's bound licenses, after the never-activated P88
            assert serial == DEMO_LICENSES[1][0] == "P30"
            assert payload["license"]["computerId"] == "LAPTOP-CM-03"
    assert page.url.endswith("/home.html?lang=en")
    watch.assert_clean()
