"""SECURITY.md bars checked across the code: 9 (an error while checking access denies), 11
(expressions use placeholders only), 25 (logs never carry secrets: a full run, every line at
DEBUG and the whole of stdout and stderr), 26 (no inline script)."""

from __future__ import annotations

import re
from pathlib import Path

from botocore.exceptions import ClientError

from local import fastspring as fs
from local.aws import dev_secret_values
from portal import dependencies
from portal.accounts import reminder_links
from tests.factories import LicenseSpec, SupportSpec
from tests.support import (
    CODE_IN_MAIL,
    LINK_IN_MAIL,
    ROOT,
    WEBHOOK_SECRET,
    activate,
    body_of,
    call,
    deliver,
    deliver_outbox,
    event,
    invoke,
    link_token,
    logged,
    login,
    manage_license,
    parsed,
    parts,
    pending_token,
    redeem_link,
    refresh,
    request_link,
    sent_messages,
    session_token,
    sign_in,
    trust_token,
    verify,
)

ENTERPRISE_10 = ("TSplus", "Enterprise", 10)  # a license: software, edition, users
REMOTE_WORK = LicenseSpec(software="Remote Work", edition=None, users=5, upgradable=True)
RW_SUPPORT = SupportSpec(software="Remote Work", edition=None, users=5, years=1)


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


def mailed_text(to: str) -> str:
    """The text of the last mail SES took for `to`."""
    mails = [parsed(sent.raw_data) for sent in sent_messages()]
    texts = [parts(mail)[0] for mail in mails if to in str(mail["To"])]
    assert texts, f"no mail to {to}"
    return texts[-1]


def test_logs_never_contain_tokens_keys_order_numbers_or_secrets(
    make_customer, store, ses, clock, capsys
):
    """A full run: verified sign-in (the code mailed through the mailer), link sign-in, a webhook
    order and its refund, activation / refresh / release with their notices mailed, an upgrade
    quote, the reminder job, unsubscribe, sign-out - every line at DEBUG and the whole of stdout
    and stderr."""
    # given a customer with a license, and an upgradable one whose support ends in 30 days
    customer = make_customer(
        name="Yolanda Uniquename",
        licenses=[ENTERPRISE_10, REMOTE_WORK],
        supports=[RW_SUPPORT],
        placed_at="2025-12-27",
        currency="USD",
    )
    email = customer.email

    with logged() as lines:
        # when they sign in from a fresh browser with the code the mailer delivered
        answer = login(customer)
        pending = pending_token(answer)
        deliver_outbox(store)
        code = CODE_IN_MAIL.search(mailed_text(email)).group(1)
        verified = verify(code, pending)
        token, trust = session_token(verified), trust_token(verified)
        login({"email": email, "orderNumber": "JWT404"})  # a failure: logged with digests
        # and with a mailed link
        assert request_link(email)["statusCode"] == 202
        deliver_outbox(store)
        link = link_token(LINK_IN_MAIL.search(mailed_text(email)).group(1))
        redeemed = redeem_link(link)
        link_session, link_trust = session_token(redeemed), trust_token(redeemed)
        key = body_of(call("me", token))["activationKey"]
        # FastSpring sends a new buyer's order, then its refund, and an order it rejects
        bought = fs.order_completed(
            email="q.hidden@example.com", first="Quentin", last="Hiddenname", skus=["T-ENT-5"]
        )
        assert deliver(bought)["statusCode"] == 200
        refund = fs.return_created(reference=bought["data"]["reference"])
        assert deliver(refund)["statusCode"] == 200
        rejected = fs.order_completed(email="r@example.com", skus=["T-ENT-5", "MYSTERY-SKU"])
        del rejected["data"]["currency"]  # rejected: logged with its reason
        deliver(rejected)
        # the product activates and refreshes; a wrong key; the portal releases; notices mailed
        lic = activate(key, "SRV-LOGS", computer_name="Zed Secretbox")
        assert lic["statusCode"] == 200
        assert refresh(key, "SRV-LOGS")["statusCode"] == 200
        wrong = key[:-1] + ("0" if key[-1] != "0" else "1")
        assert activate(wrong, "SRV-LOGS")["statusCode"] == 401
        bound = [item for item in body_of(lic)["licenses"] if item["computerId"] == "SRV-LOGS"]
        assert manage_license("release", token, bound[0]["id"])["statusCode"] == 200
        assert len(deliver_outbox(store)) == 2
        # an upgrade quote; the reminder job; the mail's unsubscribe link, good and tampered
        ask = {"licenseId": customer.license_ids[1], "additionalWorkstations": 3}
        quote = invoke("upgrade_quote", event("upgrade_quote", token=token, body=ask))
        assert quote["statusCode"] == 201
        assert invoke("support_reminders", {})["sent"] == 1
        unsubscribe_link = reminder_links.token_for(customer.customer_id, dependencies.settings())
        assert unsubscribe_link in mailed_text(email)
        assert unsubscribe(unsubscribe_link)["statusCode"] == 200
        assert unsubscribe(unsubscribe_link[:-1])["statusCode"] == 401
        invoke("logout", event("logout", token=token))

    # then lines were logged along the way, and none holds a token, a code, a key, an order
    # number, an address, a name, a MAC or a secret
    for logged_line in ("sign-in failed", "webhook event rejected", "mail sent", "reminder sent"):
        assert any(logged_line in line for line in lines), logged_line
    captured = capsys.readouterr()
    text = captured.out + captured.err + "\n".join(lines)
    private = [token, trust, pending, code, link, link_session, link_trust]
    private += [key, key.replace("-", ""), wrong]
    private += [*customer.order_numbers, "JWT404", bought["data"]["reference"]]
    private += [rejected["data"]["reference"], email, "q.hidden@example.com", "r@example.com"]
    private += ["Yolanda", "Uniquename", "Quentin", "Hiddenname", "Zed Secretbox"]
    private += [unsubscribe_link.split(".", 1)[1], WEBHOOK_SECRET]  # the link's MAC
    private += [value for value in dev_secret_values().values() if len(value) >= 8]
    for secret in private:
        assert secret.lower() not in text.lower(), secret


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
