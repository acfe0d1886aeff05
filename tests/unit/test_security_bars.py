"""SECURITY.md bars checked across the code: 9 (an error while checking access denies), 11
(expressions use placeholders only), 25 (logs never carry secrets), 26 (no inline script)."""

from __future__ import annotations

import re
from pathlib import Path

from botocore.exceptions import ClientError

from local import fastspring as fs
from portal import dependencies
from portal.accounts import reminder_links
from tests.support import (
    ROOT,
    WEBHOOK_SECRET,
    activate,
    body_of,
    call,
    deliver,
    event,
    invoke,
    logged,
    login,
    manage_license,
    refresh,
    sign_in,
)

ENTERPRISE_10 = ("TSplus", "Enterprise", 10)  # a license: software, edition, users


def unsubscribe(link: str) -> dict:
    """POST /api/reminders/unsubscribe {token} as the unsubscribe page sends it (no session)."""
    ev = event("preferences", body={"token": link}, origin=None)
    path = "/api/reminders/unsubscribe"
    ev["rawPath"] = ev["requestContext"]["http"]["path"] = path
    ev["routeKey"] = ev["requestContext"]["routeKey"] = f"POST {path}"
    ev["requestContext"]["http"]["method"] = "POST"
    return invoke("preferences", ev)


def test_an_error_while_checking_the_session_denies_access(make_customer, store, monkeypatch):
    # given a signed-in customer, and DynamoDB failing the session check (an UpdateItem)
    token = sign_in(make_customer(licenses=[ENTERPRISE_10]))

    def broken(*args, **kwargs):
        raise ClientError({"Error": {"Code": "InternalServerError", "Message": "x"}}, "UpdateItem")

    monkeypatch.setattr(store.client, "update_item", broken)

    # when they list their licenses
    response = call("list_licenses", token)

    # then access is denied: an error, and no licenses
    assert response["statusCode"] >= 500
    assert "items" not in (body_of(response) or {})


def test_expressions_never_carry_request_values(make_customer, store):
    """Every value reaches DynamoDB as a placeholder: no submitted text inside an expression."""
    # given a customer, and every expression sent to DynamoDB collected
    customer = make_customer(licenses=[ENTERPRISE_10, ENTERPRISE_10, ENTERPRISE_10])
    expressions: list[str] = []

    def collect(params, **_):
        for name, value in params.items():
            if name.endswith("Expression"):
                expressions.append(value)
        for part in params.get("TransactItems", []):
            for request in part.values():
                expressions.extend(v for k, v in request.items() if k.endswith("Expression"))

    store.client.meta.events.register("provide-client-params.dynamodb", collect)
    try:
        # when a hostile sign-in and a genuine one are tried, a page of licenses read, and an
        # order delivered by FastSpring
        submitted = ["evil'quote@example.com", "JWT1-OR-1", customer.email, customer.order_number]
        for who in [(submitted[0], submitted[1]), (customer.email, customer.order_number)]:
            login({"email": who[0], "orderNumber": who[1]})
        token = sign_in(customer)
        call("list_licenses", token, {"limit": "2"})
        fs_order = fs.order_completed(email="p@example.com", skus=["T-ENT-5", "S1Y-T-ENT-5"])
        assert deliver(fs_order)["statusCode"] == 200
        # the product's activation, refresh and a wrong key; the portal's release and history
        key = customer.activation_key
        lic = activate(key, "SRV-EVIL-QUOTE", computer_name="evil' OR 1=1")
        assert lic["statusCode"] == 200
        assert refresh(key, "SRV-EVIL-QUOTE")["statusCode"] == 200
        assert activate("EVIL-QUOTE-KEY", "SRV-EVIL-QUOTE")["statusCode"] == 401
        bound = [
            item for item in body_of(lic)["licenses"] if item["computerId"] == "SRV-EVIL-QUOTE"
        ]
        license_id = bound[0]["id"]
        assert manage_license("release", token, license_id)["statusCode"] == 200
        assert manage_license("history", token, license_id)["statusCode"] == 200
        # reminders: the home page's toggle, and the mail's unsubscribe link
        assert invoke("preferences", event("preferences", token=token))["statusCode"] == 200
        link = reminder_links.token_for(customer.customer_id, dependencies.settings())
        assert unsubscribe(link)["statusCode"] == 200
    finally:
        store.client.meta.events.unregister("provide-client-params.dynamodb", collect)

    # then no expression holds any of those values, only names, placeholders and operators
    assert expressions
    values = [*submitted, token, fs_order["data"]["reference"], "p@example.com"]
    values += ["SRV-EVIL-QUOTE", "evil'", customer.activation_key, "EVIL-QUOTE-KEY", link]
    for expression in expressions:
        assert not any(value.lower() in expression.lower() for value in values), expression
        assert re.fullmatch(r"[A-Za-z0-9_#:(), =<>.\[\]-]+", expression), expression


def test_logs_never_contain_tokens_keys_order_numbers_or_secrets(make_customer, capsys):
    # given a customer, and every log line kept at any level (DEBUG included)
    customer = make_customer(licenses=[ENTERPRISE_10])

    # when they sign in, fail to, read their activation key, an order is rejected, they sign out
    with logged() as lines:
        token = sign_in(customer)
        login({"email": customer.email, "orderNumber": "JWT404"})
        key = body_of(call("me", token))["activationKey"]
        order = fs.order_completed(email="q@example.com", skus=["T-ENT-5", "MYSTERY-SKU"])
        del order["data"]["currency"]  # rejected: logged with its reason
        deliver(order)
        assert activate(key, "SRV-LOGS")["statusCode"] == 200
        assert refresh(key, "SRV-LOGS")["statusCode"] == 200
        wrong = key[:-1] + ("0" if key[-1] != "0" else "1")
        assert activate(wrong, "SRV-LOGS")["statusCode"] == 401
        link = reminder_links.token_for(customer.customer_id, dependencies.settings())
        assert unsubscribe(link)["statusCode"] == 200
        assert unsubscribe(link[:-1])["statusCode"] == 401
        invoke("logout", event("logout", token=token))

    # then lines were logged (the failed sign-in, the rejected order) and no token, key, order
    # number, email or secret is in them
    assert any("sign-in failed" in line for line in lines)
    assert any("webhook event rejected" in line for line in lines)
    logs = capsys.readouterr()
    text = logs.out + logs.err + "\n".join(lines)
    for secret in (
        token,
        key,
        key.replace("-", ""),
        wrong,
        customer.order_number,
        "JWT404",
        order["data"]["reference"],
        WEBHOOK_SECRET,
        link.split(".", 1)[1],  # the unsubscribe link's MAC
        customer.email,
        "q@example.com",
    ):
        assert secret not in text


def test_pages_have_no_inline_script_style_or_handlers():
    # given each page of web/; then scripts come from files, and no inline handler or style
    for page in sorted((ROOT / "web").glob("*.html")):
        html = page.read_text()
        for tag in re.findall(r"<script\b[^>]*>", html, flags=re.I):
            assert "src=" in tag, f"{page.name}: inline script {tag}"
        assert not re.search(r"<script\b[^>]*>(?!\s*</script>)", html, flags=re.I), page.name
        assert not re.search(r"\son[a-z]+\s*=", html, flags=re.I), f"{page.name}: inline handler"
        assert not re.search(r"\sstyle\s*=", html, flags=re.I), f"{page.name}: inline style"
        assert "<style" not in html.lower(), f"{page.name}: style element"


def test_web_code_never_builds_html_from_strings():
    """Data reaches the page through textContent, never innerHTML (no DOM XSS)."""
    # given each script of web/; then it neither builds HTML from text nor evaluates code
    for script in Path(ROOT / "web").rglob("*.js"):
        code = script.read_text()
        assert ".innerHTML" not in code and "insertAdjacentHTML" not in code, script.name
        assert "eval(" not in code and "new Function" not in code, script.name
