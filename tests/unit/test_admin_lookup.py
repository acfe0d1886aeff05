"""portal-admin `lookup` over in-process moto: exactly what the home page shows the customer (the
same rows), their orders with held lines, each license's history, the revoked copies, the mails
sent (and whether each went to the address they have now), the audit entries - and nothing of
another customer; `--show-key` audited; human output in sections."""

from __future__ import annotations

import json
from typing import Any

from admin.cli import main
from local import fastspring as fs
from portal.admin.customers import find_customer
from portal.data import audit, mail
from portal.data.mail import MailRecord, recipient_digest
from portal.ids import new_ulid
from tests.support import (
    DEMO,
    DEMO_EMAIL,
    DEMO_KEY,
    DEMO_ORDER,
    DEMO_ORDER_REFERENCES,
    SECOND_EMAIL,
    SECOND_KEY,
    SECOND_ORDER_REFERENCES,
    activate,
    deliver,
    deliver_outbox,
    listed,
    login,
    sign_in,
)

FREE = ("TSplus", "Enterprise", 10)
BOUND = ("TSplus", "Enterprise", 10, None, "SRV-A")


def looked_up(target: Any, capsys: Any, *argv: str) -> dict[str, Any]:
    capsys.readouterr()
    assert main(["lookup", *argv, "--json"], target=target) == 0
    return json.loads(capsys.readouterr().out)


def test_lookup_shows_what_the_home_page_shows_and_nothing_of_another_customer(
    seeded, store, clock, admin_target, capsys
):
    # given the demo data's two customers
    by_email = looked_up(admin_target, capsys, DEMO_EMAIL)
    by_order = looked_up(admin_target, capsys, DEMO_ORDER)
    # then the email and the order number find the same customer, read the same way
    assert by_email == by_order
    assert (by_email["customer"]["name"], by_email["customer"]["language"]) == (
        "Camille Martin",
        "fr",
    )
    assert by_email["customer"]["reminders"] == "on"
    # and its licenses and supports are the home page's rows, in the home page's order
    token = sign_in(DEMO)
    home_licenses = listed("licenses", token, {"limit": "100"})
    shown = [
        {k: v for k, v in lic.items() if k != "releasesInLast12Months"}
        for lic in by_email["licenses"]
    ]
    assert shown == home_licenses
    assert by_email["supports"] == listed("supports", token, {"limit": "100"})
    # and its orders, newest first, with their lines
    assert [o["reference"] for o in by_email["orders"]] == DEMO_ORDER_REFERENCES
    assert all(order["items"] for order in by_email["orders"])
    # and nothing of the other customer: no id, email, order, key
    text = json.dumps(by_email)
    second = find_customer(store, SECOND_EMAIL)
    assert second and second not in text and SECOND_EMAIL not in text
    assert not [ref for ref in SECOND_ORDER_REFERENCES if ref in text]
    assert SECOND_KEY not in text
    # and the activation key is not shown unless asked for
    assert DEMO_KEY not in text and "activationKey" not in by_email["customer"]


def test_lookup_shows_history_revoked_copies_mails_and_audit(
    make_customer, store, clock, ses, admin_target, capsys
):
    # given a customer with a bound license support revoked and a free one they activated
    customer = make_customer(licenses=[BOUND, FREE])
    revoked, free = customer.license_ids
    assert (
        main(["revoke", customer.email, revoked, "--reason", "dispute"], target=admin_target) == 0
    )
    assert activate(customer.activation_key, "SRV-B")["statusCode"] == 200
    # and a sign-in code mailed (to the address they have) and a mail to an older address
    assert login(customer)["statusCode"] == 202
    deliver_outbox(store)
    old = MailRecord(
        customer_id=customer.customer_id,
        record_id=new_ulid(clock.now()),
        kind="support_reminder",
        language="en",
        recipient_digest=recipient_digest("old.address@example.com"),
        ses_message_id="ses-old",
        sent_at=clock.now(),
    )
    assert mail.record_sent(store, old)
    # when support looks the customer up
    found = looked_up(admin_target, capsys, customer.email)
    # then the live license is listed, the revoked one is among the revoked copies
    assert [lic["id"] for lic in found["licenses"]] == [free]
    [copy] = found["revoked"]
    assert (copy["kind"], copy["id"], copy["reason"], copy["note"], copy["computerId"]) == (
        "license",
        revoked,
        "support",
        "dispute",
        "SRV-A",
    )
    # and both histories, newest first, say who did what
    assert [(e["event"], e["computerId"], e["by"]) for e in found["history"][revoked]] == [
        ("revoked", "SRV-A", "support")
    ]
    assert [(e["event"], e["computerId"]) for e in found["history"][free]] == [
        ("activated", "SRV-B")
    ]
    # and the mails: kind, language, SES id, and whether to the address they have now
    sent = {m["kind"]: m for m in found["mails"]}
    assert set(sent) == {"activation_notice", "sign_in_code", "support_reminder"}
    assert sent["sign_in_code"]["toCurrentEmail"] is True
    assert sent["support_reminder"]["toCurrentEmail"] is False
    assert sent["support_reminder"]["sesMessageId"] == "ses-old"
    # and the audit entry of the revocation
    [entry] = found["audit"]
    assert (entry["action"], entry["actor"], entry["subject"]) == (
        "license.revoke",
        "test:operator",
        revoked,
    )
    # and the human output has one section each
    capsys.readouterr()
    assert main(["lookup", customer.email], target=admin_target) == 0
    out = capsys.readouterr().out
    for section in ("Customer", "Licenses (1)", "Supports (0)", "Orders (1)", "Revoked (1)"):
        assert f"== {section} ==" in out
    assert f"== History of license {revoked} ==" in out
    assert "Mails sent (3" in out and "Audit (1" in out and "dispute" in out


def test_lookup_shows_a_held_support_line(store, clock, admin_target, capsys):
    # given a FastSpring order of a support that matches no license of the buyer's
    order = fs.order_completed(email="held.line@example.com", skus=["S1Y-T-ENT-10"])
    assert deliver(order)["statusCode"] == 200
    # then lookup shows the line held, and why
    found = looked_up(admin_target, capsys, order["data"]["reference"])
    [line] = found["orders"][0]["items"]
    assert (line["held"], line["granted"]) == ("no_matching_license", [])
    assert main(["lookup", "held.line@example.com"], target=admin_target) == 0
    assert "support held: no_matching_license" in capsys.readouterr().out


def test_show_key_prints_the_activation_key_and_audits_it(
    make_customer, store, clock, admin_target, capsys
):
    customer = make_customer(licenses=[FREE])
    # without --show-key: no key, nothing audited
    assert customer.activation_key not in json.dumps(
        looked_up(admin_target, capsys, customer.email)
    )
    assert audit.of_customer(store, customer.customer_id) == []
    # with it: the key, and an audit entry saying who saw it, when
    found = looked_up(admin_target, capsys, customer.email, "--show-key")
    assert found["customer"]["activationKey"] == customer.activation_key
    [entry] = audit.of_customer(store, customer.customer_id)
    assert (entry.action, entry.actor, entry.at) == (
        "customer.show-key",
        "test:operator",
        clock.now(),
    )
    assert customer.activation_key not in json.dumps(entry.details)


def test_lookup_of_no_customer_is_refused(seeded, admin_target, capsys):
    for who in ("nobody@example.com", "JWT000000-0000-00000", "not an email"):
        assert main(["lookup", who], target=admin_target) == 1
        assert "no customer has" in capsys.readouterr().err
