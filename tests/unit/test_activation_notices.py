"""Activation notices (issue 9): every bind of a license to a new computer (the product's
activation, the portal's offline activation) and every release puts one `activation_notice` in
the outbox, as a part of the bind's or the release's own transaction: none for the same computer
again, a refresh, a refused release or a bind that lost its race. The item names no recipient;
the mailer reads the customer's profile when it sends (address, language, name), so the request
pays no extra call, and a customer gone by then gets nothing."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import pytest
from botocore.exceptions import ClientError

from portal.clock import FixedClock, utc_text
from portal.data import bindings, keys, outbox
from portal.data import mail as mail_records
from portal.data.store import from_attributes
from portal.errors import LicenseInUse, NoLicenseAvailable
from portal.licensing import activation
from portal.mail import delivery, render
from tests.support import (
    FIXED_NOW,
    activate,
    manage_license,
    parsed,
    parts,
    refresh,
    sent_messages,
    sign_in,
)

FREE = ("TSplus", "Enterprise", 10)
BOUND = ("TSplus", "Enterprise", 10, None, "SRV-A")  # bound to SRV-A (id and name)


def notices(store: Any) -> list[outbox.OutboxMessage]:
    """Every activation notice in the outbox, oldest first (test-only Scan; the sign-in codes
    the customer was mailed are left out)."""
    page = store.client.scan(TableName=store.table_name)  # the tests' tables are small
    items = [from_attributes(item) for item in page["Items"]]
    found = [
        outbox.message_from_item(item)
        for item in items
        if item["pk"].startswith("OUTBOX#") and item["kind"] == "activation_notice"
    ]
    return sorted(found, key=lambda message: message.outbox_id)


def outbox_item(store: Any, message: outbox.OutboxMessage) -> dict[str, Any]:
    item = store.get(keys.outbox_key(message.outbox_id), consistent=True)
    assert item is not None
    return item


@pytest.fixture
def transactions(store: Any) -> Any:
    """The TransactItems of every TransactWriteItems the store sends, in order."""
    sent: list[list[dict[str, Any]]] = []

    def keep(params: dict[str, Any], **_: Any) -> None:
        sent.append(params["TransactItems"])

    hooks = store.client.meta.events
    hooks.register("provide-client-params.dynamodb.TransactWriteItems", keep, unique_id="keep")
    yield sent
    hooks.unregister("provide-client-params.dynamodb.TransactWriteItems", unique_id="keep")


def parts_keys(transaction: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(kind, pk prefix) of each part of one transaction."""
    found = []
    for part in transaction:
        ((kind, request),) = part.items()
        key = request.get("Key") or request.get("Item")
        found.append((kind, key["pk"]["S"].split("#")[0]))
    return found


# ---------------------------------------------------------------- what is queued, and when
def test_an_activation_on_a_new_computer_queues_one_notice_in_the_binds_transaction(
    make_customer, store, clock, calls, transactions
):
    # given a customer with a free license
    customer = make_customer(licenses=[FREE])
    transactions.clear()
    calls.clear()
    # when the product activates it on a new computer
    response = activate(customer.activation_key, "SRV-NEW-02", computer_name="Lyon office")
    # then it is bound with the activate budget kept (3 calls: one transaction writes all)
    assert response["statusCode"] == 200, response
    assert calls.operations == ["BatchGetItem", "Query", "TransactWriteItems"]
    # and that one transaction held the license's update, its history entry and the notice
    (bind,) = transactions
    assert parts_keys(bind) == [("Update", "CUST"), ("Put", "CUST"), ("Put", "OUTBOX")]
    # and the notice names the license and the computer, and no recipient (the mailer's part)
    (notice,) = notices(store)
    assert notice.kind == "activation_notice" and notice.customer_id == customer.customer_id
    assert (notice.to, notice.language) == ("", "")
    lic = customer.licenses[0]
    assert notice.data == {
        "licenseId": lic.license_id,
        "software": "TSplus",
        "serialNumber": lic.serial_number,
        "computerId": "SRV-NEW-02",
        "computerName": "Lyon office",
        "action": "activated",
        "at": utc_text(FIXED_NOW),
    }
    item = outbox_item(store, notice)
    assert item["status"] == outbox.PENDING and "to" not in item and "language" not in item


def test_the_same_computer_again_and_a_refresh_queue_nothing(make_customer, store, clock):
    # given a license the product activated on SRV-A (one notice)
    customer = make_customer(licenses=[FREE])
    assert activate(customer.activation_key, "SRV-A")["statusCode"] == 200
    assert len(notices(store)) == 1
    # when the product activates the same computer again, and refreshes
    assert activate(customer.activation_key, "SRV-A")["statusCode"] == 200
    assert refresh(customer.activation_key, "SRV-A")["statusCode"] == 200
    # then no further notice is queued
    assert len(notices(store)) == 1


def test_a_refused_activation_queues_nothing(make_customer, store, clock):
    # given a customer whose only license is bound to SRV-A
    customer = make_customer(licenses=[BOUND])
    # when another computer asks for it, and a wrong key is tried
    assert activate(customer.activation_key, "SRV-B")["statusCode"] == 409
    assert activate("ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ", "SRV-B")["statusCode"] == 401
    # then nothing is queued
    assert notices(store) == []


def test_a_bind_that_lost_its_race_writes_no_notice(make_customer, store, clock):
    # given a license read free, then bound by a parallel activation
    customer = make_customer(licenses=[FREE])
    (read,) = bindings.licenses_of(store, customer.customer_id)
    first = replace(read, computer_id="SRV-WINNER", computer_name="Winner")
    won = activation.activation_notice(customer.customer_id, first, "activated", FIXED_NOW)
    assert bindings.bind(store, customer.customer_id, first, at=FIXED_NOW, notice=won)
    # when the loser's bind, from what it read, commits
    late = replace(read, computer_id="SRV-LOSER", computer_name="Loser")
    lost = activation.activation_notice(customer.customer_id, late, "activated", FIXED_NOW)
    assert not bindings.bind(store, customer.customer_id, late, at=FIXED_NOW, notice=lost)
    # then its notice was not written: only the winner's is there
    assert [n.outbox_id for n in notices(store)] == [won.outbox_id]


def test_twenty_computers_racing_for_one_license_queue_one_notice_naming_the_winner(
    make_customer, store, settings, clock, atomic_writes
):
    # given one free license
    customer = make_customer(licenses=[FREE])

    def claim(n: int) -> str:
        try:
            done = activation.activate(
                customer.activation_key, f"SRV-{n:02d}", f"Computer {n}", "TSplus", None,
                f"192.0.2.{n}", store=store, settings=settings, clock=clock,
            )  # fmt: skip
        except (NoLicenseAvailable, LicenseInUse) as lost:
            return lost.code
        return done.license.computer_id or "?"

    # when 20 computers activate it at once
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(claim, range(20)))
    # then one notice is queued, for the one that won
    (winner,) = [r for r in results if r.startswith("SRV-")]
    (notice,) = notices(store)
    assert notice.data["computerId"] == winner


def test_a_release_queues_a_notice_naming_the_computer_it_left(
    make_customer, store, clock, calls, transactions
):
    # given a license bound to SRV-A, and its customer signed in
    customer = make_customer(licenses=[BOUND])
    token = sign_in(customer)
    license_id = customer.license_ids[0]
    transactions.clear()
    calls.clear()
    # when the customer releases it
    assert manage_license("release", token, license_id)["statusCode"] == 200
    # then the release keeps its budget, and its one transaction held the notice
    assert calls.operations == ["UpdateItem", "GetItem", "TransactWriteItems"]
    (release,) = transactions
    assert parts_keys(release) == [("Update", "CUST"), ("Put", "CUST"), ("Put", "OUTBOX")]
    (notice,) = notices(store)
    assert notice.data["action"] == "released"
    assert (notice.data["computerId"], notice.data["computerName"]) == ("SRV-A", "SRV-A")
    assert notice.data["licenseId"] == license_id
    # and a release refused (nothing bound any more) queues nothing more
    assert manage_license("release", token, license_id)["statusCode"] == 409
    assert len(notices(store)) == 1


def test_an_offline_activation_queues_a_notice_and_again_on_the_same_computer_none(
    make_customer, store, clock
):
    customer = make_customer(licenses=[FREE])
    token = sign_in(customer)
    license_id = customer.license_ids[0]
    body = {"computerId": "SRV-OFFLINE-07", "computerName": "Basement"}
    # when the customer activates it offline, then once more on the same computer
    assert manage_license("activate", token, license_id, body)["statusCode"] == 200
    assert manage_license("activate", token, license_id, body)["statusCode"] == 200
    # then one notice, naming that computer
    (notice,) = notices(store)
    assert notice.data["action"] == "activated"
    assert (notice.data["computerId"], notice.data["computerName"]) == (
        "SRV-OFFLINE-07",
        "Basement",
    )


# ---------------------------------------------------------------- the mailer addresses it
def deliver(store: Any, settings: Any, message: outbox.OutboxMessage, **options: Any) -> Any:
    options.setdefault("clock", FixedClock(FIXED_NOW))
    return delivery.deliver(outbox_item(store, message), store=store, settings=settings, **options)


def test_the_mailer_sends_a_notice_to_the_customers_address_in_their_language(
    make_customer, store, settings, clock, ses, calls
):
    # given a German-speaking customer whose license the product just activated
    customer = make_customer(licenses=[FREE], language="de", name="Ana Müller")
    activate(customer.activation_key, "SRV-NEW-02", computer_name="Büro-PC")
    (notice,) = notices(store)
    item = outbox_item(store, notice)  # as the stream hands it over
    calls.clear()
    # when the mailer delivers the notice
    done = delivery.deliver(item, store=store, settings=settings, clock=clock)
    # then it claimed, read the profile once, and marked it sent with its record
    assert done.outcome == delivery.SENT
    assert calls.operations == ["UpdateItem", "GetItem", "TransactWriteItems"]
    # and the mail went to the customer, in German, greeting them by name, with the history link
    (sent,) = sent_messages()
    assert sent.destinations == [customer.email]
    mail = parsed(sent.raw_data.encode())
    serial = customer.licenses[0].serial_number
    assert str(mail["Subject"]) == f"TSplus {serial} wurde auf Büro-PC aktiviert"
    text, html = parts(mail)
    assert "Hallo Ana Müller," in text and "Büro-PC (SRV-NEW-02)" in text
    assert f"/home.html?history={customer.license_ids[0]}" in html
    # and the record names the language and the address's digest only
    (record,) = mail_records.sent_to(store, customer.customer_id)
    assert record.language == "de" and record.outbox_id == notice.outbox_id
    assert record.recipient_digest == mail_records.recipient_digest(customer.email)


def test_the_address_is_the_one_the_customer_has_when_the_notice_goes_out(
    make_customer, store, settings, clock, ses
):
    # given a notice queued, then the customer's address and language changed before it is sent
    customer = make_customer(licenses=[FREE], language="en")
    activate(customer.activation_key, "SRV-NEW-02")
    (notice,) = notices(store)
    profile = store.get(keys.customer_profile(customer.customer_id))
    store.put({**profile, "email": "new.address@example.com", "language": "fr"})
    # when the mailer delivers it, then it goes to the new address, in French
    assert deliver(store, settings, notice).outcome == delivery.SENT
    (sent,) = sent_messages()
    assert sent.destinations == ["new.address@example.com"]
    assert "activée" in str(parsed(sent.raw_data.encode())["Subject"])


@pytest.mark.parametrize("profile", ["missing", "no address"])
def test_a_notice_for_a_customer_without_an_address_is_undeliverable_and_never_retried(
    make_customer, store, settings, clock, ses, profile
):
    # given a queued notice whose customer then lost their profile (or its address)
    customer = make_customer(licenses=[FREE])
    activate(customer.activation_key, "SRV-NEW-02")
    (notice,) = notices(store)
    key = keys.customer_profile(customer.customer_id)
    if profile == "missing":
        store.client.delete_item(
            TableName=store.table_name, Key={"pk": {"S": key["pk"]}, "sk": {"S": key["sk"]}}
        )
    else:
        store.put({**store.get(key), "email": "not an address"})
    # when the mailer delivers it, then nothing is sent, the item is undeliverable, not retried
    assert deliver(store, settings, notice).outcome == delivery.UNDELIVERABLE
    state = outbox.state_of(store, notice.outbox_id)
    assert state is not None and state.status == outbox.UNDELIVERABLE
    assert deliver(store, settings, notice).outcome == delivery.SKIPPED
    assert sent_messages() == [] and mail_records.sent_to(store, customer.customer_id) == []


def test_a_failed_profile_read_gives_the_notice_back_for_the_retry(
    make_customer, store, settings, clock, ses, monkeypatch
):
    # given a queued notice, and DynamoDB failing the profile read once
    customer = make_customer(licenses=[FREE])
    activate(customer.activation_key, "SRV-NEW-02")
    (notice,) = notices(store)
    real = outbox.recipient_of

    def throttled(*args: Any, **kwargs: Any) -> Any:
        monkeypatch.setattr(outbox, "recipient_of", real)
        raise ClientError({"Error": {"Code": "ProvisionedThroughputExceeded"}}, "GetItem")

    monkeypatch.setattr(outbox, "recipient_of", throttled)
    # when the mailer delivers it, then it raises, and the item is pending again, nothing sent
    with pytest.raises(delivery.MailNotSent):
        deliver(store, settings, notice)
    state = outbox.state_of(store, notice.outbox_id)
    assert state is not None and state.status == outbox.PENDING
    assert state.last_error == "ProvisionedThroughputExceeded"
    assert sent_messages() == []
    # and the stream's retry sends it once
    assert deliver(store, settings, notice).outcome == delivery.SENT
    assert len(sent_messages()) == 1


def test_a_message_names_both_its_address_and_language_or_neither():
    base = {"customer_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV", "data": {}, "at": FIXED_NOW}
    assert outbox.new_message("activation_notice", **base).to == ""
    addressed = outbox.new_message("activation_notice", to="a@example.com", language="de", **base)
    assert (addressed.to, addressed.language) == ("a@example.com", "de")
    for half in ({"to": "a@example.com"}, {"language": "de"}):
        with pytest.raises(ValueError):
            outbox.new_message("activation_notice", **half, **base)


@pytest.mark.parametrize(
    ("name", "named"),
    [("Lyon office", "Lyon office (SRV-NEW-02)"), ("SRV-NEW-02", "SRV-NEW-02"), ("", "SRV-NEW-02")],
)
def test_a_notice_names_the_computer_once_when_its_name_is_its_id(settings, name, named):
    # given a computer named as the product names one by default (its id), or otherwise
    data = {
        "licenseId": "01JDQ4Z6W7X8Y9ZABCDEFGHJKM",
        "software": "TSplus",
        "serialNumber": "P88",
        "computerId": "SRV-NEW-02",
        "computerName": name,
        "action": "activated",
        "at": "2026-12-02T01:02:01Z",
    }
    # when the notice is rendered, then the computer reads "name (id)", or the id once
    text = render.render("activation_notice", "en", data, settings).text
    assert f"on the computer {named} on" in " ".join(text.split())
