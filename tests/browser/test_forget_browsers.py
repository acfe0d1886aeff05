"""Revoking a browser's trust from the home page: "Sign out and forget this browser" and "Sign
out everywhere" (docs/decisions.md, "Revoking trust"); afterwards the old trust cookie does
nothing: the next sign-in asks for a mailed code."""

from __future__ import annotations

import pytest

from tests.browser.ui import HOME_API, norm, open_sign_in, sign_in
from tests.factories import stack_factory
from tests.support import TRUST_COOKIE

pytestmark = pytest.mark.browser


def _trust(context) -> list[dict]:
    return [c for c in context.cookies() if c["name"] == TRUST_COOKIE and c["value"]]


@pytest.mark.parametrize(
    "button,label,lang",
    [
        ("#forget-browser", "home.browsers.forgetThis", "de"),
        ("#forget-all", "home.browsers.forgetAll", "fr"),
    ],
)
def test_a_forgotten_browser_is_asked_for_a_code_again(
    portal, web_page, browser_context, watch, catalogs, button, label, lang
):
    # given a customer of this test's own, signed in on a browser that typed a mailed code
    page, context = web_page, browser_context
    customer = stack_factory(portal)(licenses=[("TSplus", "Enterprise", 10)])
    open_sign_in(page, lang)
    sign_in(page, customer.email, customer.order_number, fresh=True)
    trusted = _trust(context)
    assert trusted, "verified without a trust cookie"
    assert norm(page.text_content(button)) == catalogs[lang][label]
    assert norm(page.text_content("#browsers-heading")) == catalogs[lang]["home.browsers.heading"]

    # when they press the button, then they are on the sign-in page without a trust cookie
    watch.allow(401, *HOME_API)
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.click(button)
    assert answer.value.status == 204
    page.wait_for_url("**/index.html")
    page.wait_for_selector("#login-form")
    assert _trust(context) == []

    # and a copy of the old trust cookie does nothing: the right pair only mails a code
    context.add_cookies(trusted)
    again = context.request.post(
        "/api/auth/login",
        data={"email": customer.email, "orderNumber": customer.order_number},
        headers={"Origin": portal.base_url},
    )
    assert again.status == 202
    assert context.request.get("/api/me").status == 401
