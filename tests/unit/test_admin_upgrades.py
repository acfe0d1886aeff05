"""`portal-admin upgrades held|approve|reject` (issue 11 part 3): support lists the upgrades held
for review, approves one (applied as the paid order would have applied it) or rejects one (the
payment refunded in FastSpring), each decision in one transaction with its audit entry.

The held upgrades are made the real way: a real quote (tests.support.quote_for), its paid order
as FastSpring sends it (paid_order, tampered where the test needs it held), delivered signed
through the webhook handler; refunds are FastSpring `return.created` events through it too."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest

from admin.cli import main
from local import fastspring as fs
from portal.data import audit, keys
from portal.data.quotes import quote_of
from tests.factories import LicenseSpec, SupportSpec
from tests.support import (
    body_of,
    deliver_ok,
    detail_upgrade,
    handler,
    license_now,
    listed,
    manage_license,
    paid_order,
    quote_for,
    sign_in,
    stored_upgrade,
    table_items,
)

WRONG_AMOUNT = Decimal("1.00")  # the quote's price is 102.00: held as amount_mismatch


def held_order(customer: Any, store: Any, clock: Any) -> tuple[dict[str, Any], Any]:
    """A paid upgrade order held for review (amount_mismatch) and its quote (3 workstations)."""
    quote = quote_for(customer, store, clock)
    order = paid_order(customer.email, quote, subtotal=WRONG_AMOUNT)
    deliver_ok(order)
    assert stored_upgrade(store, customer, order)["status"] == "held"
    return order, quote


def ref(order: dict[str, Any]) -> str:
    return str(order["data"]["reference"])


def admin(target: Any, *argv: str) -> int:
    return main(list(argv), target=target)


def held_rows(target: Any, capsys: Any) -> list[dict[str, Any]]:
    capsys.readouterr()
    assert admin(target, "upgrades", "held", "--json") == 0
    return list(json.loads(capsys.readouterr().out))


def snapshot(store: Any) -> list[dict[str, Any]]:
    return sorted(table_items(store), key=lambda item: (item["pk"], item["sk"]))


def actions_of(store: Any, customer: Any) -> list[tuple[str, str, str]]:
    return [
        (entry.action, entry.actor, entry.subject)
        for entry in audit.of_customer(store, customer.customer_id)
    ]


def history_events(customer: Any, license_id: str) -> list[str]:
    items = body_of(manage_license("history", sign_in(customer), license_id))["items"]
    return [h["event"] for h in items]


# ---------------------------------------------------------------- held
def test_a_held_upgrade_is_indexed_and_listed_with_what_support_needs(
    remote_work, store, clock, admin_target, capsys
):
    # given an applied upgrade and a held one (wrong amount)
    customer = remote_work
    deliver_ok(paid_order(customer.email, quote_for(customer, store, clock)))  # 5 -> 8
    order, quote = held_order(customer, store, clock)

    # then only the held order carries the sparse gsi1 keys
    stored = store.get(keys.order_key(customer.customer_id, ref(order)))
    assert stored["gsi1pk"] == "HELDUPGRADE"
    assert stored["gsi1sk"] == f"2026-11-27T09:00:00Z#{customer.customer_id}#{ref(order)}"
    indexed = [i for i in table_items(store) if i.get("gsi1pk") == "HELDUPGRADE"]
    assert [i["sk"] for i in indexed] == [f"ORDER#{ref(order)}"]

    # and `upgrades held` lists it: customer, order, license as it is now, what was paid
    [row] = held_rows(admin_target, capsys)
    assert row == {
        "placedAt": "2026-11-27T09:00:00Z",
        "customerId": customer.customer_id,
        "email": customer.email,
        "order": ref(order),
        "line": 1,
        "fastspringId": order["data"]["id"],
        "paid": {"amount": "1.00", "currency": "USD"},
        "reason": "amount_mismatch",
        "workstations": 3,
        "quoteId": quote.quote_id,
        "license": {
            "licenseId": quote.license_id,
            "software": "Remote Work",
            "serialNumber": customer.licenses[0].serial_number,
            "workstations": 8,
        },
    }
    # and as a table for people
    assert admin(admin_target, "upgrades", "held") == 0
    text = capsys.readouterr().out
    assert ref(order) in text and customer.email in text and "amount_mismatch" in text
    assert "1 held upgrade(s)" in text


def test_the_held_list_reads_one_query_and_one_batch(
    make_customer, store, clock, admin_target, capsys, calls
):
    # given three customers with a held upgrade each
    for _ in range(3):
        customer = make_customer(
            licenses=[LicenseSpec("Remote Work", None, 5, upgradable=True)],
            supports=[SupportSpec("Remote Work", None, 5, 1)],
            currency="USD",
        )
        held_order(customer, store, clock)

    # when listed; then one Query on gsi1 and one BatchGetItem of the profiles and licenses
    calls.clear()
    rows = held_rows(admin_target, capsys)
    assert len(rows) == 3 and all(r["license"]["workstations"] == 5 for r in rows)
    assert calls.operations == ["Query", "BatchGetItem"]


def test_a_refunded_held_upgrade_leaves_the_list_and_cannot_be_approved(
    remote_work, store, clock, admin_target, capsys
):
    # given a held upgrade that FastSpring then refunded
    customer = remote_work
    order, _ = held_order(customer, store, clock)
    deliver_ok(fs.return_created(reference=ref(order)))

    # then it is no longer listed, and approving it is refused with nothing written
    assert held_rows(admin_target, capsys) == []
    before = snapshot(store)
    assert admin(admin_target, "upgrades", "approve", ref(order), "--reason", "late") == 1
    assert "refunded in FastSpring" in capsys.readouterr().err
    assert snapshot(store) == before
    assert license_now(store, customer)["users"] == 5


# ---------------------------------------------------------------- approve
def test_approve_applies_the_upgrade_as_the_purchase_would_have(
    remote_work, store, clock, admin_target, capsys, calls
):
    # given a held upgrade of 3 workstations
    customer = remote_work
    order, quote = held_order(customer, store, clock)

    # when support approves it
    capsys.readouterr()
    calls.clear()
    code = admin(
        admin_target, "upgrades", "approve", ref(order), "--reason", "paid by bank transfer"
    )

    # then: the order's owner, the order, the license with the quote; ONE transaction
    assert calls.operations == ["GetItem", "GetItem", "BatchGetItem", "TransactWriteItems"]
    # and the license has 8 workstations, the customer's list shows it, its history says so
    assert code == 0, capsys.readouterr().out
    assert "5 -> 8 workstations" in capsys.readouterr().out
    assert license_now(store, customer)["users"] == 8
    assert listed("licenses", sign_in(customer))[0]["users"] == 8
    assert history_events(customer, quote.license_id) == ["upgraded"]
    # and the line is applied (support's reason kept), the order detail says applied
    assert stored_upgrade(store, customer, order) == {
        "status": "applied",
        "reason": None,
        "quoteId": quote.quote_id,
        "licenseId": quote.license_id,
        "workstations": 3,
        "note": "paid by bank transfer",
    }
    assert detail_upgrade(customer, order) == {"status": "applied", "reason": None}
    # and the quote is used, paid by that order; the order left the held list
    used = quote_of(store, customer.customer_id, quote.quote_id, consistent=True)
    assert (used.status, used.paid_by) == ("used", ref(order))
    assert "gsi1pk" not in store.get(keys.order_key(customer.customer_id, ref(order)))
    assert held_rows(admin_target, capsys) == []
    # and the audit trail says who approved what, and why
    assert actions_of(store, customer) == [("upgrade.approve", "test:operator", ref(order))]
    [entry] = audit.of_customer(store, customer.customer_id)
    assert entry.details["reason"] == "paid by bank transfer"
    assert (entry.details["from"], entry.details["to"], entry.details["line"]) == (5, 8, 1)


def test_approving_twice_changes_nothing_the_second_time(
    remote_work, store, clock, admin_target, capsys
):
    customer = remote_work
    order, _ = held_order(customer, store, clock)
    assert admin(admin_target, "upgrades", "approve", ref(order), "--reason", "ok") == 0
    before = snapshot(store)
    capsys.readouterr()

    # when approved again; then it says so, and nothing is written (no second audit entry)
    assert admin(admin_target, "upgrades", "approve", ref(order), "--reason", "ok") == 0
    assert "approved already: nothing changed" in capsys.readouterr().out
    assert snapshot(store) == before
    assert license_now(store, customer)["users"] == 8
    # and rejecting an approved line is refused
    assert admin(admin_target, "upgrades", "reject", ref(order), "--reason", "no") == 1
    assert "refund the line in FastSpring" in capsys.readouterr().err
    assert snapshot(store) == before


def test_approving_beyond_the_maximum_is_refused_with_nothing_written(
    make_customer, store, clock, admin_target, capsys
):
    # given a 495-workstation license (the maximum is 500), two quotes of 5: the first paid
    # (500), the second held as license_changed
    big = LicenseSpec(software="Remote Work", edition=None, users=495, upgradable=True)
    customer = make_customer(
        licenses=[big], supports=[SupportSpec("Remote Work", None, 495, 1)], currency="USD"
    )
    first, second = quote_for(customer, store, clock, 5), quote_for(customer, store, clock, 5)
    deliver_ok(paid_order(customer.email, first))
    order = paid_order(customer.email, second)
    deliver_ok(order)
    assert stored_upgrade(store, customer, order)["reason"] == "license_changed"
    before = snapshot(store)

    # when support approves the second; then it is refused and nothing is written
    capsys.readouterr()
    assert admin(admin_target, "upgrades", "approve", ref(order), "--reason", "sure") == 1
    assert "maximum of 500" in capsys.readouterr().err
    assert snapshot(store) == before
    assert license_now(store, customer)["users"] == 500


def test_approving_an_upgrade_of_a_license_gone_is_refused(
    remote_work, store, clock, admin_target, capsys
):
    # given a quote, then the license's own order refunded (the license revoked), then the
    # quote paid: held as license_changed
    customer = remote_work
    quote = quote_for(customer, store, clock)
    deliver_ok(fs.return_created(reference=customer.order_number))
    order = paid_order(customer.email, quote)
    deliver_ok(order)
    before = snapshot(store)

    # when approved; then refused (the license is gone, and why), nothing written
    capsys.readouterr()
    assert admin(admin_target, "upgrades", "approve", ref(order), "--reason", "x") == 1
    out = capsys.readouterr().err
    assert f"license {quote.license_id} is gone (refund " in out
    assert snapshot(store) == before
    assert license_now(store, customer) is None


def test_an_upgrade_without_a_quote_cannot_be_approved(
    remote_work, store, clock, admin_target, capsys
):
    # given a paid upgrade whose tags name no quote (quote_unknown: nothing says how many)
    customer = remote_work
    order = paid_order(customer.email, quote_for(customer, store, clock), tags={})
    deliver_ok(order)
    capsys.readouterr()
    assert admin(admin_target, "upgrades", "approve", ref(order), "--reason", "x") == 1
    assert "names no quote" in capsys.readouterr().err
    assert license_now(store, customer)["users"] == 5


def test_the_line_to_decide_is_the_held_one_or_the_one_named(
    remote_work, store, clock, admin_target, capsys
):
    # given one order with two upgrade lines paying one quote: line 1 applied, line 2 held
    customer = remote_work
    quote = quote_for(customer, store, clock)
    order = paid_order(customer.email, quote)
    second = dict(order["data"]["items"][0])
    order = paid_order(customer.email, quote, lines=[second])
    deliver_ok(order)
    assert license_now(store, customer)["users"] == 8
    capsys.readouterr()

    # then naming a line that is not an upgrade line, or none of that number, is refused
    assert (
        admin(admin_target, "upgrades", "reject", ref(order), "--line", "3", "--reason", "x") == 1
    )
    assert "no upgrade line (upgrade lines: 1, 2)" in capsys.readouterr().err
    # and line 1 was applied already
    assert (
        admin(admin_target, "upgrades", "reject", ref(order), "--line", "1", "--reason", "x") == 1
    )
    # and without --line the held line 2 is rejected
    assert admin(admin_target, "upgrades", "reject", ref(order), "--reason", "paid twice") == 0
    out = capsys.readouterr().out
    assert f"rejected order {ref(order)} line 2" in out
    item = store.get(keys.order_key(customer.customer_id, ref(order)))
    assert [line["upgrade"]["status"] for line in item["items"]] == ["applied", "rejected"]
    assert license_now(store, customer)["users"] == 8


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["approve", "not an order!", "--reason", "x"], "not an order number"),
        (["approve", "JWT000000-0000-00000", "--reason", "x"], "no order JWT000000-0000-00000"),
        (["reject", "{order}", "--reason", "   "], "a --reason is required"),
        (["reject", "{order}", "--reason", "x" * 501], "longer than 500"),
        (["reject", "{order}", "--reason", "a\x00b"], "control characters"),
    ],
)
def test_bad_input_is_refused_with_nothing_written(
    remote_work, store, clock, admin_target, capsys, argv, says
):
    order, _ = held_order(remote_work, store, clock)
    before = snapshot(store)
    capsys.readouterr()
    argv = [a.replace("{order}", ref(order)) for a in argv]
    assert admin(admin_target, "upgrades", *argv) == 1
    assert says in capsys.readouterr().err
    assert snapshot(store) == before


def test_a_decision_needs_a_reason_and_a_line_number(admin_target, capsys):
    for argv in (["approve", "JWT1"], ["reject", "JWT1", "--line", "0", "--reason", "x"]):
        with pytest.raises(SystemExit) as usage:
            admin(admin_target, "upgrades", *argv)
        assert usage.value.code == 2


# ---------------------------------------------------------------- reject
def test_reject_changes_no_license_and_the_order_shows_rejected(
    remote_work, store, clock, admin_target, capsys
):
    customer = remote_work
    order, quote = held_order(customer, store, clock)
    capsys.readouterr()

    # when support rejects it
    assert admin(admin_target, "upgrades", "reject", ref(order), "--reason", "wrong amount") == 0

    # then it says to refund the payment in FastSpring, with FastSpring's order id
    out = capsys.readouterr().out
    assert f"Refund the payment in FastSpring: order {order['data']['id']}" in out
    # and the license and the quote are unchanged; the line is rejected, its held reason kept
    assert license_now(store, customer)["users"] == 5
    assert quote_of(store, customer.customer_id, quote.quote_id, consistent=True).status == "open"
    upgrade = stored_upgrade(store, customer, order)
    assert (upgrade["status"], upgrade["reason"], upgrade["note"]) == (
        "rejected",
        "amount_mismatch",
        "wrong amount",
    )
    # and the customer's order detail shows it rejected (the note is not shown)
    assert detail_upgrade(customer, order) == {"status": "rejected", "reason": "amount_mismatch"}
    assert held_rows(admin_target, capsys) == []
    assert actions_of(store, customer) == [("upgrade.reject", "test:operator", ref(order))]

    # and rejecting again changes nothing; approving it now is refused
    before = snapshot(store)
    assert admin(admin_target, "upgrades", "reject", ref(order), "--reason", "again") == 0
    assert "rejected already: nothing changed" in capsys.readouterr().out
    assert admin(admin_target, "upgrades", "approve", ref(order), "--reason", "oops") == 1
    assert "is rejected: only a held upgrade can be approved" in capsys.readouterr().err
    assert snapshot(store) == before


def test_the_fastspring_refund_of_a_rejected_line_changes_no_license(
    remote_work, store, clock, admin_target
):
    # given a rejected upgrade line
    customer = remote_work
    order, _ = held_order(customer, store, clock)
    assert admin(admin_target, "upgrades", "reject", ref(order), "--reason", "refund it") == 0

    # when the operator refunds it in FastSpring (the return.created arrives)
    deliver_ok(fs.return_created(reference=ref(order)))

    # then the order is refunded, the line still rejected, the license untouched
    assert license_now(store, customer)["users"] == 5
    assert stored_upgrade(store, customer, order)["status"] == "rejected"
    orders = {o["reference"]: o["status"] for o in listed("orders", sign_in(customer))}
    assert orders[ref(order)] == "refunded"
    assert history_events(customer, customer.license_ids[0]) == []


# ---------------------------------------------------------------- a refund racing a decision
def _before_transactions(store: Any, run_once: Any) -> Any:
    """Register `run_once` to run (once, on this thread) just before the next transaction."""
    done: list[bool] = []

    def hook(**_: object) -> None:
        if not done:
            done.append(True)
            run_once()

    store.client.meta.events.register(
        "before-call.dynamodb.TransactWriteItems", hook, unique_id="interleave"
    )
    return done


def _unhook(store: Any) -> None:
    store.client.meta.events.unregister(
        "before-call.dynamodb.TransactWriteItems", unique_id="interleave"
    )


def test_a_refund_committed_while_approving_makes_the_approval_refuse(
    remote_work, store, clock, admin_target, capsys
):
    # given a held upgrade, and FastSpring's refund of it committing between the approval's
    # reads and its transaction
    customer = remote_work
    order, _ = held_order(customer, store, clock)
    refund = fs.return_created(reference=ref(order))
    done = _before_transactions(store, lambda: deliver_ok(refund))
    try:
        capsys.readouterr()
        code = admin(admin_target, "upgrades", "approve", ref(order), "--reason", "ok")
    finally:
        _unhook(store)

    # then the approval read the order again and refused: no workstations, no audit entry
    assert done == [True]
    assert code == 1
    assert "refunded in FastSpring" in capsys.readouterr().err
    assert license_now(store, customer)["users"] == 5
    assert stored_upgrade(store, customer, order)["status"] == "held"
    assert actions_of(store, customer) == []


def test_an_approval_committed_while_refunding_is_taken_back_by_the_refund(
    remote_work, store, clock, admin_target
):
    # given a held upgrade, and support's approval committing between the refund's reads and
    # its transaction
    customer = remote_work
    order, _ = held_order(customer, store, clock)
    codes: list[int] = []
    approve = ["upgrades", "approve", ref(order), "--reason", "ok"]
    done = _before_transactions(store, lambda: codes.append(admin(admin_target, *approve)))
    try:
        deliver_ok(fs.return_created(reference=ref(order)))
    finally:
        _unhook(store)

    # then the refund read the order again and took the approved workstations back
    assert done == [True] and codes == [0]
    assert license_now(store, customer)["users"] == 5
    assert stored_upgrade(store, customer, order)["status"] == "reverted"
    assert history_events(customer, customer.license_ids[0]) == ["upgraded"]
    assert actions_of(store, customer) == [("upgrade.approve", "test:operator", ref(order))]


def test_a_refund_and_an_approval_at_once_never_both_apply(
    remote_work, store, clock, admin_target, atomic_writes, capsys
):
    # given a held upgrade; its refund and its approval each read the order before either
    # commits (both transactions wait for each other once)
    customer = remote_work
    order, _ = held_order(customer, store, clock)
    both_read = threading.Barrier(2, timeout=10)
    transactions: list[int] = []

    def after_reading(**_: object) -> None:
        transactions.append(1)
        if len(transactions) <= 2:
            both_read.wait()

    handler("fastspring_webhook")  # imported once, before the threads
    hooks = store.client.meta.events
    hooks.register("before-call.dynamodb.TransactWriteItems", after_reading, unique_id="race")
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            refunded = pool.submit(deliver_ok, fs.return_created(reference=ref(order)))
            approved = pool.submit(
                admin, admin_target, "upgrades", "approve", ref(order), "--reason", "ok"
            )
            refunded.result()
            code = approved.result()
    finally:
        hooks.unregister("before-call.dynamodb.TransactWriteItems", unique_id="race")

    # then one lost and decided again: the order is refunded and the license has its 5
    # workstations - approved then reverted, or refused
    status = stored_upgrade(store, customer, order)["status"]
    assert (code, status) in {(0, "reverted"), (1, "held")}
    # (a refund that lost commits again; an approval that lost is refused: no transaction)
    assert len(transactions) == (3 if code == 0 else 2)
    assert license_now(store, customer)["users"] == 5
    orders = {o["reference"]: o["status"] for o in listed("orders", sign_in(customer))}
    assert orders[ref(order)] == "refunded"
