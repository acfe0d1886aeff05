"""portal-admin's changes to licenses and reminders (issue 11, part 3), through the CLI over
in-process moto: `revoke` (the customer no longer sees it, the product's refresh answers 410,
the copy, history and audit entry written together), `restore` (back unbound, activatable; a
FastSpring refund's revocation refused), `release` beyond the 12-month limit (where the portal's
own release answers the limit), `resend-reminder` (one outbox item the mailer delivers in the
customer's language), the refusals (exit code 1, nothing written), a failed write (nothing
written, not even the audit entry), and a revocation racing activations."""

from __future__ import annotations

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest

from admin.cli import main
from local import fastspring as fs
from portal.admin.customers import find_customer
from portal.data import audit, bindings, keys, preferences, records, revocations
from portal.errors import LicenseInUse, LicenseRevoked, NoLicenseAvailable
from portal.licensing import activation
from tests.support import (
    THROTTLED,
    activate,
    body_of,
    buyer,
    deliver,
    deliver_outbox,
    faulty,
    listed,
    manage_license,
    outbox_ids,
    outbox_messages,
    parsed,
    parts,
    refresh,
    sent_messages,
    sign_in,
    table_items,
)

FREE = ("TSplus", "Enterprise", 10)
BOUND = ("TSplus", "Enterprise", 10, None, "SRV-A")  # bound to SRV-A (id and name)


def admin(target: Any, *argv: str) -> int:
    return main(list(argv), target=target)


def code_of(response: dict[str, Any]) -> tuple[int, str]:
    return response["statusCode"], body_of(response)["error"]["code"]


def history(store: Any, customer_id: str, license_id: str) -> list[tuple[str, Any, Any]]:
    """(event, computerId, by) of the license's history, newest first, as stored."""
    where = keys.history_of(customer_id, license_id)
    return [
        (item["event"], item.get("computerId"), item.get("by"))
        for item in store.each(where, page=100, newest_first=True)
    ]


def audited(store: Any, customer_id: str) -> list[audit.AuditEntry]:
    return audit.of_customer(store, customer_id)


def changes_of(store: Any) -> list[tuple[str, str]]:
    """Every item's (pk, sk) but the rate windows and sessions a sign-in writes: what a refused
    command must leave as it was."""
    return sorted(
        (str(i["pk"]), str(i["sk"]))
        for i in table_items(store)
        if not str(i["pk"]).startswith(("RATE#", "SESSION#", "PENDING#", "LINK#", "TRUST#"))
    )


# ---------------------------------------------------------------- revoke
def test_revoke_hides_the_license_and_its_computer_is_answered_410(
    make_customer, store, clock, admin_target, capsys
):
    # given a license the product activated on SRV-A, and another license of the customer
    customer = make_customer(licenses=[FREE, FREE])
    revoked, kept = customer.license_ids
    assert activate(customer.activation_key, "SRV-A", license_id=revoked)["statusCode"] == 200
    # when support revokes it
    assert admin(admin_target, "revoke", customer.email, revoked, "--reason", "chargeback") == 0
    assert f"revoked license {revoked}" in capsys.readouterr().out
    # then the customer no longer sees it, the other license stays
    token = sign_in(customer)
    assert [lic["id"] for lic in listed("licenses", token)] == [kept]
    # and the product's refresh on SRV-A answers 410, as does a request for it elsewhere
    assert code_of(refresh(customer.activation_key, "SRV-A")) == (410, "license_revoked")
    assert code_of(activate(customer.activation_key, "SRV-B", license_id=revoked)) == (
        410,
        "license_revoked",
    )
    # and its copy is kept, with support as the reason and the operator's note
    copy = store.get(keys.revoked_license_key(customer.customer_id, revoked))
    assert (copy["reason"], copy["note"], copy["computerId"]) == ("support", "chargeback", "SRV-A")
    assert store.get(keys.license_key(customer.customer_id, revoked)) is None
    # and the history says support revoked it on SRV-A
    assert history(store, customer.customer_id, revoked) == [
        ("revoked", "SRV-A", "support"),
        ("activated", "SRV-A", None),
    ]
    # and the audit entry says who and when
    [entry] = audited(store, customer.customer_id)
    assert (entry.action, entry.actor, entry.at, entry.subject) == (
        "license.revoke",
        "test:operator",
        clock.now(),
        revoked,
    )
    assert entry.details["reason"] == "chargeback"


def test_a_revoked_free_license_cannot_be_activated(make_customer, store, clock, admin_target):
    customer = make_customer(licenses=[FREE])
    [license_id] = customer.license_ids
    assert admin(admin_target, "revoke", customer.order_number, license_id, "--reason", "x") == 0
    assert code_of(activate(customer.activation_key, "SRV-A")) == (409, "no_license_available")
    assert code_of(activate(customer.activation_key, "SRV-A", license_id=license_id)) == (
        410,
        "license_revoked",
    )
    assert history(store, customer.customer_id, license_id) == [("revoked", None, "support")]


def test_revoke_refuses_what_it_cannot_revoke_and_writes_nothing(
    make_customer, store, clock, admin_target, capsys
):
    customer = make_customer(licenses=[FREE])
    other = make_customer(licenses=[FREE])
    [license_id] = customer.license_ids
    assert admin(admin_target, "revoke", customer.email, license_id, "--reason", "x") == 0
    capsys.readouterr()
    before = changes_of(store)
    cases = [
        ((customer.email, license_id), "is revoked (by support: x"),
        ((customer.email, other.license_ids[0]), "has no license"),  # another customer's
        (("nobody@example.com", license_id), "no customer has"),
        ((customer.email, "not-a-license"), "is not a license id"),
    ]
    for (who, which), says in cases:
        assert admin(admin_target, "revoke", who, which, "--reason", "again") == 1
        assert says in capsys.readouterr().err
    assert admin(admin_target, "revoke", customer.email, license_id, "--reason", "  ") == 1
    assert "--reason is required" in capsys.readouterr().err
    # nothing was written, and the other customer's license is untouched
    assert changes_of(store) == before
    assert store.get(keys.license_key(other.customer_id, other.license_ids[0])) is not None


def test_a_failed_write_leaves_neither_the_change_nor_its_audit_entry(
    make_customer, store, clock, admin_target, capsys
):
    customer = make_customer(licenses=[BOUND])
    [license_id] = customer.license_ids
    before = changes_of(store)
    with faulty(store.client, THROTTLED, lambda r: r.operation == "TransactWriteItems") as hit:
        assert admin(admin_target, "revoke", customer.email, license_id, "--reason", "x") == 2
    assert len(hit) == 1 and "nothing was changed" in capsys.readouterr().err
    assert changes_of(store) == before
    assert audited(store, customer.customer_id) == []


# ---------------------------------------------------------------- restore
def test_restore_puts_the_license_back_unbound_and_the_product_activates_it(
    make_customer, store, clock, admin_target
):
    # given a license on SRV-A that support revoked
    customer = make_customer(licenses=[BOUND])
    [license_id] = customer.license_ids
    assert admin(admin_target, "revoke", customer.email, license_id, "--reason", "fraud?") == 0
    clock.advance(minutes=5)
    # when support restores it
    assert admin(admin_target, "restore", customer.email, license_id, "--reason", "paid") == 0
    # then the customer sees it again, bound to no computer, and the copy is gone
    token = sign_in(customer)
    [shown] = listed("licenses", token)
    assert (shown["id"], shown["computerId"]) == (license_id, None)
    assert store.get(keys.revoked_license_key(customer.customer_id, license_id)) is None
    # and SRV-A's refresh is told to activate again, which it can, like any other computer
    assert code_of(refresh(customer.activation_key, "SRV-A")) == (409, "not_activated")
    assert activate(customer.activation_key, "SRV-B")["statusCode"] == 200
    assert refresh(customer.activation_key, "SRV-B")["statusCode"] == 200
    # and the history and the audit trail tell the story, newest first
    assert history(store, customer.customer_id, license_id) == [
        ("activated", "SRV-B", None),
        ("restored", None, "support"),
        ("revoked", "SRV-A", "support"),
    ]
    # (the portal's own history page shows the same: restored, where the license was revoked)
    portal = body_of(manage_license("history", token, license_id))["items"]
    assert [(h["event"], h["computerId"]) for h in portal] == [
        ("activated", "SRV-B"),
        ("restored", None),
        ("revoked", "SRV-A"),
    ]
    actions = [(e.action, e.actor, e.at) for e in audited(store, customer.customer_id)]
    assert actions == [
        ("license.restore", "test:operator", clock.now()),
        ("license.revoke", "test:operator", clock.now() - timedelta(minutes=5)),
    ]


def test_restore_refuses_a_license_fastspring_refunded(store, clock, admin_target, capsys):
    # given a FastSpring order whose refund revoked its license
    order = fs.order_completed(email="refunded@example.com", skus=["T-ENT-10"])
    assert deliver(order)["statusCode"] == 200
    assert deliver(fs.return_created(reference=order["data"]["reference"]))["statusCode"] == 200
    customer_id = find_customer(store, "refunded@example.com")
    [copy] = records.revoked_of(store, customer_id)
    before = changes_of(store)
    # when support tries to restore it, then it is refused and nothing is written
    email = buyer(order)["email"]
    assert admin(admin_target, "restore", email, copy["licenseId"], "--reason", "x") == 1
    assert "refunded in FastSpring" in capsys.readouterr().err
    assert changes_of(store) == before


def test_restore_refuses_a_license_whose_order_line_was_refunded_since(
    store, clock, admin_target, capsys
):
    # given an order of two licenses, one revoked by support, then one unit refunded
    order = fs.order_completed(email="two@example.com", skus=["T-ENT-10"])
    order["data"]["items"][0]["quantity"] = 2
    assert deliver(order)["statusCode"] == 200
    customer_id = find_customer(store, "two@example.com")
    first, second = sorted(lic.license_id for lic in records.all_licenses(store, customer_id))
    assert admin(admin_target, "revoke", "two@example.com", first, "--reason", "dispute") == 0
    refund = fs.return_created(reference=order["data"]["reference"], skus=["T-ENT-10"])
    assert deliver(refund)["statusCode"] == 200
    # (the refund kept the one license left: one unit is still paid for)
    assert [lic.license_id for lic in records.all_licenses(store, customer_id)] == [second]
    # when support restores the revoked one, then it is refused: it is not paid for any more
    assert admin(admin_target, "restore", "two@example.com", first, "--reason", "x") == 1
    assert "refunded in FastSpring" in capsys.readouterr().err
    assert store.get(keys.license_key(customer_id, first)) is None


def test_restore_refuses_a_license_that_is_not_revoked(make_customer, clock, admin_target, capsys):
    customer = make_customer(licenses=[FREE])
    [license_id] = customer.license_ids
    assert admin(admin_target, "restore", customer.email, license_id, "--reason", "x") == 1
    assert "is not revoked" in capsys.readouterr().err


# ---------------------------------------------------------------- release beyond the limit
def test_release_beyond_the_limit_where_the_portal_answers_the_limit(
    make_customer, store, settings, clock, admin_target
):
    # given a license released as often as the limit allows, bound again to SRV-2
    customer = make_customer(licenses=[BOUND])
    [license_id] = customer.license_ids
    token = sign_in(customer)
    for n in range(settings.rehosts_per_year):
        assert manage_license("release", token, license_id)["statusCode"] == 200
        assert activate(customer.activation_key, f"SRV-{n}")["statusCode"] == 200
    last = f"SRV-{settings.rehosts_per_year - 1}"
    # and the portal's own release answers the limit
    assert code_of(manage_license("release", token, license_id)) == (409, "rehost_limit_reached")
    before = outbox_ids(store)
    # when support releases it
    assert admin(admin_target, "release", customer.email, license_id, "--reason", "new hw") == 0
    # then it is free, and the history says support released it from that computer
    lic = store.get(keys.license_key(customer.customer_id, license_id), consistent=True)
    assert "computerId" not in lic
    assert history(store, customer.customer_id, license_id)[0] == ("released", last, "support")
    assert code_of(refresh(customer.activation_key, last)) == (409, "license_moved")
    # and it does not count against the customer's limit
    assert len(lic["releases"]) == settings.rehosts_per_year
    # and the customer is sent the activation notice, as for any release
    [notice] = [m for m in outbox_messages(store) if m["outboxId"] not in before]
    assert notice["kind"] == "activation_notice"
    assert (notice["data"]["action"], notice["data"]["computerId"]) == ("released", last)
    # and the audit entry records it
    [entry] = audited(store, customer.customer_id)
    assert (entry.action, entry.actor, entry.at) == (
        "license.release",
        "test:operator",
        clock.now(),
    )
    assert entry.details["releasesInLast12Months"] == settings.rehosts_per_year
    # and the product can activate it again elsewhere
    assert activate(customer.activation_key, "SRV-NEW")["statusCode"] == 200


def test_release_refuses_an_unbound_license(make_customer, store, clock, admin_target, capsys):
    customer = make_customer(licenses=[FREE])
    [license_id] = customer.license_ids
    before = changes_of(store)
    assert admin(admin_target, "release", customer.email, license_id, "--reason", "x") == 1
    assert "bound to no computer" in capsys.readouterr().err
    assert changes_of(store) == before


# ---------------------------------------------------------------- resend a reminder
def test_resend_puts_one_outbox_item_the_mailer_delivers_in_the_customers_language(
    make_customer, store, clock, ses, admin_target, capsys
):
    # given a German customer whose support ends in 10 days, another ending later
    customer = make_customer(
        language="de",
        name="Jonas Weber",
        licenses=[BOUND],
        supports=[("TSplus", "Enterprise", 10, 1)],
        placed_at="2025-12-07",
        orders=[_later_support()],
    )
    soon = customer.support_ids[0]
    # when support resends the reminder
    assert admin(admin_target, "resend-reminder", customer.email) == 0
    assert "ending 2026-12-07 (days left: 10)" in capsys.readouterr().out
    # then one outbox item, of that support only, is there
    [item] = outbox_messages(store, "support_reminder")
    assert [row["serialNumber"] for row in item["data"]["supports"]] == [
        customer.supports[0].serial_number
    ]
    # which the mailer delivers, in German, to the customer, naming the computer
    assert deliver_outbox(store) == [item["outboxId"]]
    [message] = [parsed(m.raw_data) for m in sent_messages()]
    text, _ = parts(message)
    assert message["To"] == customer.email
    assert "Jonas Weber" in text and "SRV-A" in text and "7. Dezember 2026" in text
    # and records it (MAIL#), without touching the job's own reminder records
    [record] = records_of(store, customer.customer_id, keys.MAIL_PREFIX)
    assert (record["kind"], record["language"], record["outboxId"]) == (
        "support_reminder",
        "de",
        item["outboxId"],
    )
    assert records_of(store, customer.customer_id, keys.REMINDER_PREFIX) == []
    # and the audit entry says who resent which support, when
    [entry] = audited(store, customer.customer_id)
    assert (entry.action, entry.actor, entry.at, entry.subject) == (
        "reminder.resend",
        "test:operator",
        clock.now(),
        soon,
    )
    assert entry.details["outboxId"] == item["outboxId"]


def _later_support() -> Any:
    from tests.factories import OrderSpec

    return OrderSpec(supports=[("TSplus", "Enterprise", 5, 2)], placed_at="2026-01-10")


def records_of(store: Any, customer_id: str, prefix: str) -> list[dict[str, Any]]:
    pk = keys.customer_pk(customer_id)
    return [i for i in table_items(store) if i["pk"] == pk and str(i["sk"]).startswith(prefix)]


def test_resend_is_refused_when_reminders_are_off_unless_asked_anyway(
    make_customer, store, clock, ses, admin_target, capsys
):
    customer = make_customer(supports=[("TSplus", "Enterprise", 10, 1)], placed_at="2025-12-07")
    assert preferences.set_reminders(store, customer.customer_id, False, at="2026-11-01T08:00:00Z")
    before = changes_of(store)
    # refused, and nothing written
    assert admin(admin_target, "resend-reminder", customer.email) == 1
    err = capsys.readouterr().err
    assert "turned reminders off (2026-11-01T08:00:00Z)" in err and "--even-if-unsubscribed" in err
    assert changes_of(store) == before
    # sent when asked anyway, and the audit entry says so
    assert admin(admin_target, "resend-reminder", customer.email, "--even-if-unsubscribed") == 0
    assert len(outbox_messages(store, "support_reminder")) == 1
    [entry] = audited(store, customer.customer_id)
    assert entry.details["evenIfUnsubscribed"] is True


def test_reminders_turned_off_meanwhile_win_over_the_resend(
    make_customer, store, settings, clock, monkeypatch
):
    from portal.admin import reminders as resending
    from portal.admin.refusals import Refused

    customer = make_customer(supports=[("TSplus", "Enterprise", 10, 1)], placed_at="2025-12-07")
    real = records.all_supports

    def turned_off_meanwhile(store: Any, customer_id: str) -> Any:
        preferences.set_reminders(store, customer_id, False, at="2026-11-27T09:00:00Z")
        return real(store, customer_id)

    monkeypatch.setattr(records, "all_supports", turned_off_meanwhile)
    with pytest.raises(Refused, match="meanwhile"):
        resending.resend(
            store,
            settings,
            customer.customer_id,
            support_id=None,
            even_if_unsubscribed=False,
            actor="test:operator",
            clock=clock,
        )
    assert outbox_messages(store, "support_reminder") == []
    assert audited(store, customer.customer_id) == []


def test_resend_chooses_a_named_support_and_refuses_a_renewed_one_or_none_due(
    make_customer, store, clock, ses, admin_target, capsys
):
    # given a support ending in 10 days renewed by one ending in a year, and one far away
    customer = make_customer(
        licenses=[FREE],
        supports=[("TSplus", "Enterprise", 10, 1)],
        placed_at="2025-12-07",
        orders=[_renewal(), _far_away()],
    )
    renewed, renewal, far = customer.support_ids
    # the renewed one is not due (and refused by name); none other is in the window
    assert admin(admin_target, "resend-reminder", customer.email) == 1
    window = "no support of the customer ends between 2026-11-26 and 2026-12-27"
    assert window in capsys.readouterr().err
    assert admin(admin_target, "resend-reminder", customer.email, "--support", renewed) == 1
    assert f"runs until {customer.supports[1].expires_on.isoformat()}" in capsys.readouterr().err
    # a support named by id is sent, wherever its end lies
    assert admin(admin_target, "resend-reminder", customer.email, "--support", far) == 0
    [item] = outbox_messages(store, "support_reminder")
    assert item["data"]["daysLeft"] == (customer.supports[2].expires_on - clock.now().date()).days
    # another customer's support is no support of theirs
    other = make_customer(supports=[("TSplus", "Enterprise", 10, 1)]).support_ids[0]
    assert admin(admin_target, "resend-reminder", customer.email, "--support", other) == 1
    assert "has no support" in capsys.readouterr().err
    assert renewal  # (the renewal itself is not due either)


def _renewal() -> Any:
    from tests.factories import OrderSpec, SupportSpec

    return OrderSpec(supports=[SupportSpec(years=2)], placed_at="2026-06-01")


def _far_away() -> Any:
    from tests.factories import OrderSpec

    return OrderSpec(supports=[("Remote Work", None, 5, 3)], placed_at="2026-02-01")


# ---------------------------------------------------------------- the race
def test_a_revocation_racing_activations_has_one_clean_winner(
    make_customer, store, settings, clock, admin_target, atomic_writes
):
    for _round in range(4):
        # given a free license, five computers activating it and support revoking it at once
        customer = make_customer(licenses=[FREE])
        [license_id] = customer.license_ids
        start = threading.Barrier(6)

        def activating(
            n: int, key: str = customer.activation_key, start: threading.Barrier = start
        ) -> str:
            start.wait()
            time.sleep(random.uniform(0, 0.03))  # either may be first
            try:
                done = activation.activate(
                    key, f"SRV-{n}", f"Computer {n}", "TSplus", None, f"192.0.2.{n}",
                    store=store, settings=settings, clock=clock,
                )  # fmt: skip
            except (NoLicenseAvailable, LicenseInUse, LicenseRevoked) as lost:
                return lost.code
            return str(done.license.computer_id)

        def revoking(
            email: str = customer.email, wanted: str = license_id, start: threading.Barrier = start
        ) -> int:
            start.wait()
            return admin(admin_target, "revoke", email, wanted, "--reason", "race")

        with ThreadPoolExecutor(max_workers=6) as pool:
            racing = [pool.submit(activating, n) for n in range(5)]
            revoked = pool.submit(revoking)
            results = [future.result() for future in racing]
        # then the revocation is done, and at most one activation won before it
        assert revoked.result() == 0
        winners = [r for r in results if r.startswith("SRV-")]
        assert len(winners) <= 1
        assert set(results) - set(winners) <= {"no_license_available", "license_in_use"}
        # and the license is wholly revoked, its copy and history agreeing with who won
        cid = customer.customer_id
        assert store.get(keys.license_key(cid, license_id), consistent=True) is None
        copy = store.get(keys.revoked_license_key(cid, license_id), consistent=True)
        if winners:
            assert copy["computerId"] == winners[0]
            assert history(store, cid, license_id) == [
                ("revoked", winners[0], "support"),
                ("activated", winners[0], None),
            ]
            assert code_of(refresh(customer.activation_key, winners[0])) == (
                410,
                "license_revoked",
            )
        else:
            assert "computerId" not in copy
            assert history(store, cid, license_id) == [("revoked", None, "support")]
        assert len(audited(store, cid)) == 1


def test_an_activation_between_the_revokes_read_and_write_makes_it_revoke_the_binding(
    make_customer, store, clock, admin_target, monkeypatch
):
    # given a free license, and the product activating it on SRV-MID just after the revocation
    # read it (before its transaction)
    customer = make_customer(licenses=[FREE])
    [license_id] = customer.license_ids
    real = revocations.revoke_license
    asked: list[bool] = []

    def activated_meanwhile(*args: Any, **kwargs: Any) -> bool:
        if not asked:
            assert activate(customer.activation_key, "SRV-MID")["statusCode"] == 200
        asked.append(real(*args, **kwargs))
        return asked[-1]

    monkeypatch.setattr(revocations, "revoke_license", activated_meanwhile)
    # when support revokes it
    assert admin(admin_target, "revoke", customer.email, license_id, "--reason", "x") == 0
    # then the first write lost (nothing written), the second revoked the license as bound
    assert asked == [False, True]
    cid = customer.customer_id
    assert store.get(keys.revoked_license_key(cid, license_id))["computerId"] == "SRV-MID"
    assert code_of(refresh(customer.activation_key, "SRV-MID")) == (410, "license_revoked")
    assert history(store, cid, license_id) == [
        ("revoked", "SRV-MID", "support"),
        ("activated", "SRV-MID", None),
    ]
    assert len(audited(store, cid)) == 1


def test_a_revocation_between_an_activations_read_and_bind_wins(
    make_customer, store, clock, admin_target, monkeypatch
):
    # given a free license, and support revoking it just after an activation read it
    customer = make_customer(licenses=[FREE])
    [license_id] = customer.license_ids
    real = bindings.bind
    revoked: list[int] = []

    def revoked_meanwhile(*args: Any, **kwargs: Any) -> bool:
        if not revoked:
            revoked.append(
                admin(admin_target, "revoke", customer.email, license_id, "--reason", "x")
            )
        return real(*args, **kwargs)

    monkeypatch.setattr(bindings, "bind", revoked_meanwhile)
    # when the product's activation of it goes on, then it is told the license was revoked
    answer = activate(customer.activation_key, "SRV-LATE", license_id=license_id)
    assert revoked == [0]
    assert code_of(answer) == (410, "license_revoked")
    # and nothing of the lost bind was written: no binding, no history entry, no notice
    copy = store.get(keys.revoked_license_key(customer.customer_id, license_id))
    assert "computerId" not in copy
    assert history(store, customer.customer_id, license_id) == [("revoked", None, "support")]
    assert outbox_messages(store, "activation_notice") == []
