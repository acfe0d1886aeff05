"""The support reminder job (portal.mail.reminders, functions/support_reminders): the days it
reminds on (30 / 7 / -1, month ends, leap days) with the injectable clock, one mail per customer,
threshold and end date in the customer's language, exactly once (a second run, a failed send
retried without repeating the others, catch-up after an outage), who is not reminded (renewed,
refunded, ended, opted out), the input it refuses, and its reads: they grow with the supports due
and their customers, never with the table (PERFORMANCE.md).

SES is moto's (in-process); SES errors are injected by wrapping portal.mail.sender.send."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local import fastspring as fs
from portal.accounts import reminder_links
from portal.clock import FixedClock
from portal.data import keys
from portal.data.items import support_to_item
from portal.data.store import to_attributes
from portal.mail import formats, reminders, sender
from portal.mail.reminders import InvalidReminderRun
from portal.models import Support
from tests.factories import LicenseSpec, OrderSpec, SupportSpec
from tests.support import (
    ROOT,
    count_items,
    deliver,
    handler,
    invoke,
    moto_items,
    parsed,
    parts,
    recording,
    sent_messages,
)

LANGUAGES = ("en", "de", "fr")


# ---------------------------------------------------------------- helpers
def at(day: date | str, hour: int = 8) -> FixedClock:
    """The clock at `hour` UTC on `day` (when the schedule runs)."""
    day = date.fromisoformat(day) if isinstance(day, str) else day
    return FixedClock(datetime(day.year, day.month, day.day, hour, tzinfo=UTC))


def ending_on(make_customer: Any, end: date | str, **options: Any) -> Any:
    """A customer with one license bound to a computer and its support ending on `end`."""
    end = date.fromisoformat(end) if isinstance(end, str) else end
    years = options.pop("years", 1)
    bought = date(end.year - years, end.month, end.day)
    serial = options.pop("serial", None)
    return make_customer(
        licenses=[LicenseSpec(serial=serial, computer=options.pop("computer", "SRV-REMIND-01"))],
        supports=[SupportSpec(years=years, serial=serial)],
        placed_at=bought.isoformat(),
        **options,
    )


def run(store: Any, settings: Any, clock: FixedClock, event: Any = None, **options: Any) -> Any:
    return reminders.run(
        {} if event is None else event, store=store, settings=settings, clock=clock, **options
    )


def mails() -> list[Any]:
    return [parsed(sent.raw_data) for sent in sent_messages()]


def to(message: Any) -> str:
    return str(message["To"].addresses[0].addr_spec)


def text_of(message: Any) -> str:
    return parts(message)[0]


def exactly(settings: Any, **changes: Any) -> Any:
    """The settings with no catch-up (a run covers its own day only), for the date matrix."""
    return dataclasses.replace(settings, reminder_catch_up_days=0, **changes)


# ---------------------------------------------------------------- which days
MATRIX = [
    # (the support's end date, the day its reminder goes out, the threshold)
    ("2027-03-12", "2027-02-10", 30),
    ("2027-03-12", "2027-03-05", 7),
    ("2027-03-12", "2027-03-13", -1),
    # month ends: across the end of a 31-day, a 30-day month and February, and the year
    ("2027-01-31", "2027-01-01", 30),
    ("2027-03-31", "2027-03-01", 30),
    ("2027-03-03", "2027-02-24", 7),
    ("2027-04-30", "2027-05-01", -1),
    ("2027-12-31", "2028-01-01", -1),
    ("2028-01-05", "2027-12-06", 30),
    # leap day both ways: a support ending on 29 February, and runs on 29 February
    ("2028-02-29", "2028-01-30", 30),
    ("2028-02-29", "2028-02-22", 7),
    ("2028-02-29", "2028-03-01", -1),
    ("2028-03-30", "2028-02-29", 30),
    ("2028-03-07", "2028-02-29", 7),
    ("2028-02-28", "2028-02-29", -1),
]


@pytest.mark.parametrize("end,day,threshold", MATRIX)
def test_each_reminder_goes_out_on_its_day_and_not_the_day_before_or_after(
    ses, store, settings, make_customer, end, day, threshold
):
    # given a customer whose support ends on `end`; leap-day supports are bought 4 years before
    years = 4 if end == "2028-02-29" else 1
    customer = ending_on(make_customer, end, years=years)
    assert customer.supports[0].expires_on == date.fromisoformat(end)
    settings = exactly(settings)
    run_day = date.fromisoformat(day)
    # when the job runs the day before and the day after its day, then nothing goes out
    for other in (run_day - timedelta(days=1), run_day + timedelta(days=1)):
        assert run(store, settings, at(other)).sent == 0, other
    assert mails() == []
    # when it runs on its day, then one mail to the customer, naming the support
    summary = run(store, settings, at(run_day))
    assert (summary.sent, summary.reminded, summary.failed) == (1, 1, 0)
    (message,) = mails()
    assert to(message) == customer.email
    text = text_of(message)
    assert customer.supports[0].serial_number in text
    assert formats.long_date(date.fromisoformat(end), "en") in text
    # and its reminder record says which threshold was sent
    record = store.get(
        keys.reminder_key(customer.customer_id, customer.support_ids[0], end, str(threshold))
    )
    assert record["status"] == "sent" and record["sesMessageId"]


def test_the_threshold_set_and_time_zone_are_settings(ses, store, settings, make_customer):
    # given a support ending on 2027-03-12, thresholds 14 and 1, and the Pacific/Auckland day
    customer = ending_on(make_customer, "2027-03-12")
    settings = exactly(settings, reminder_thresholds=(14, 1), reminder_timezone="Pacific/Auckland")
    # when the scheduled run fires at 20:00 UTC on 2027-02-25 (already the 26th in Auckland)
    summary = run(store, settings, at("2027-02-25", hour=20))
    # then it is the run of the 26th: 14 days before the end
    assert summary.date == "2027-02-26" and summary.sent == 1
    assert to(mails()[0]) == customer.email
    # and the 30-day threshold is not one of them any more
    assert run(store, settings, at("2027-02-10")).sent == 0


@pytest.mark.parametrize(
    "variable,value",
    [
        ("REMINDER_THRESHOLDS", "30,30"),
        ("REMINDER_THRESHOLDS", "30,x"),
        ("REMINDER_THRESHOLDS", "400"),
        ("REMINDER_THRESHOLDS", "-31"),
        ("REMINDER_THRESHOLDS", ""),
        ("REMINDER_TIMEZONE", "Mars/Olympus"),
        ("REMINDER_TIMEZONE", "../../etc/passwd"),
        ("REMINDER_CATCH_UP_DAYS", "-1"),
        ("REMINDER_CATCH_UP_DAYS", "31"),
    ],
)
def test_bad_reminder_settings_are_refused(env, variable, value):
    from portal.config import InvalidSettings, settings_from

    with pytest.raises(InvalidSettings):
        settings_from({**env, variable: value})


def test_the_reminder_settings_are_read_from_the_environment(env):
    from portal.config import settings_from

    read = settings_from(
        {
            **env,
            "REMINDER_THRESHOLDS": "60, 14,-3",
            "REMINDER_TIMEZONE": "Europe/Paris",
            "REMINDER_CATCH_UP_DAYS": "5",
        }
    )
    assert read.reminder_thresholds == (60, 14, -3)
    assert (read.reminder_timezone, read.reminder_catch_up_days) == ("Europe/Paris", 5)
    default = settings_from(env)
    assert default.reminder_thresholds == (30, 7, -1) and default.reminder_catch_up_days == 3


def test_settings_with_the_default_zone_load_no_time_zone_data(env):
    """Every function builds Settings; only the reminder job sets a zone, so only it loads
    zoneinfo (the UTC default needs no check). A fresh process, as a function starts."""
    probe = (
        "import json, os, sys\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "from portal.config import settings_from\n"
        "settings_from(json.loads(sys.argv[2]))\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('zoneinfo', '_zoneinfo', 'tzdata'))))"
    )
    layer = str(ROOT / "layers" / "shared")

    def loaded(environment: dict[str, str]) -> list[str]:
        command = [sys.executable, "-I", "-c", probe, layer, json.dumps(environment)]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        return list(json.loads(done.stdout))

    assert loaded(env) == []
    assert "zoneinfo" in loaded({**env, "REMINDER_TIMEZONE": "Europe/Paris"})  # it can fail


# ---------------------------------------------------------------- what the mail says
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_mail_is_in_the_customers_language(ses, store, settings, make_customer, language):
    # given a customer of each language whose support ends in 30 days
    customer = ending_on(make_customer, "2027-03-12", language=language, name="Ana Müller")
    # when the job runs
    run(store, exactly(settings), at("2027-02-10"))
    # then the mail is in their language: header, dates, greeting
    (message,) = mails()
    assert message["Content-Language"] == language
    text = text_of(message)
    assert formats.long_date(date(2027, 3, 12), language) in text
    assert "Ana Müller" in text
    assert customer.supports[0].serial_number in text


def test_one_mail_lists_every_support_due_with_its_computer_and_the_links(
    ses, store, settings, make_customer
):
    # given a customer with two licenses on two computers, their supports ending the same day,
    # and another support of theirs ending a day later
    customer = make_customer(
        licenses=[
            LicenseSpec(serial="R1PARIS", computer="PARIS-RDS-01"),
            LicenseSpec(serial="R1LYON", computer="LYON-TS-02"),
        ],
        supports=[SupportSpec(serial="R1PARIS"), SupportSpec(serial="R1LYON")],
        placed_at="2026-03-12",
        orders=[OrderSpec(supports=[SupportSpec(users=3)], placed_at="2026-03-13")],
    )
    # when the job runs 30 days before the first two end
    summary = run(store, exactly(settings), at("2027-02-10"))
    # then one mail lists both, each with its serial number and computer; the third is not in it
    assert (summary.sent, summary.reminded) == (1, 2)
    (message,) = mails()
    text, html = parts(message)
    for lic in customer.licenses:
        assert f"{lic.serial_number} / {lic.computer_name}" in text
    assert customer.supports[2].serial_number not in text
    assert "30" in text
    # and it links to renew, to the unsubscribe page, and offers one-click unsubscribe (RFC 8058)
    token = reminder_links.token_for(customer.customer_id, settings)
    assert reminder_links.unsubscribe_url(settings, token, language="en") in text  # its language
    assert f"{settings.portal_origin}/home.html" in html
    assert message["List-Unsubscribe"] == f"<{reminder_links.one_click_url(settings, token)}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert reminder_links.customer_of(token, settings) == customer.customer_id
    # and the send is recorded in the customer's partition, without the address
    assert count_items(store, "MAIL#") == 1
    (record,) = store.query(
        partition=("pk", keys.customer_pk(customer.customer_id)),
        sort_prefix=("sk", keys.MAIL_PREFIX),
        limit=5,
    ).items
    assert record["kind"] == "support_reminder" and customer.email not in str(record)


def test_customers_each_get_their_own_mail(ses, store, settings, make_customer):
    # given two customers whose supports end the same day
    first = ending_on(make_customer, "2027-03-12")
    second = ending_on(make_customer, "2027-03-12", language="de")
    # when the job runs, then each gets one mail naming only their own support
    assert run(store, exactly(settings), at("2027-02-10")).sent == 2
    by_address = {to(message): text_of(message) for message in mails()}
    assert set(by_address) == {first.email, second.email}
    assert first.supports[0].serial_number in by_address[first.email]
    assert first.supports[0].serial_number not in by_address[second.email]


# ---------------------------------------------------------------- exactly once
def test_running_the_job_twice_for_a_day_sends_nothing_twice(ses, store, settings, make_customer):
    # given two customers due
    ending_on(make_customer, "2027-03-12")
    ending_on(make_customer, "2027-03-12")
    clock = at("2027-02-10")
    assert run(store, settings, clock).sent == 2
    # when the job runs again that day (and again later that day, through the handler)
    again = run(store, settings, clock)
    clock.advance(hours=6)
    third = run(store, settings, clock)
    # then nothing more is sent or recorded
    assert again.sent == third.sent == 0
    assert again.skipped == {"already_sent": 2}
    assert len(sent_messages()) == 2
    assert count_items(store, "MAIL#") == 2


def _failing_for(monkeypatch: pytest.MonkeyPatch, address: str) -> list[str]:
    """SES refuses every mail to `address` (throttled); the addresses SES was asked to mail."""
    real = sender.send
    asked: list[str] = []

    def send(raw: bytes, **kwargs: Any) -> str:
        asked.append(to(parsed(raw)))
        if address.encode() in raw:
            raise ClientError(
                {"Error": {"Code": "TooManyRequestsException", "Message": "slow"}}, "SendEmail"
            )
        return real(raw, **kwargs)

    monkeypatch.setattr(sender, "send", send)
    return asked


def test_a_failed_send_is_retried_by_the_next_run_without_repeating_the_others(
    ses, store, settings, make_customer, monkeypatch
):
    # given three customers due, and SES failing for the second
    customers = [ending_on(make_customer, "2027-03-12") for _ in range(3)]
    failing = customers[1]
    asked = _failing_for(monkeypatch, failing.email)
    monkeypatch.setattr("portal.dependencies.clock", lambda: at("2027-02-10"))
    # when the scheduled function runs, then it goes through every customer and then fails,
    # naming how many mails it could not send (the schedule's retries and the DLQ see it)
    with pytest.raises(RuntimeError, match="1 reminder mail"):
        invoke("support_reminders", {})
    assert sorted(asked) == sorted(c.email for c in customers)
    assert sorted(to(m) for m in mails()) == sorted([customers[0].email, customers[2].email])
    # and the failed one holds no claim: nothing says it was sent
    assert (
        store.get(
            keys.reminder_key(failing.customer_id, failing.support_ids[0], "2027-03-12", "30")
        )
        is None
    )
    # when SES works again and the job is retried the same day
    monkeypatch.undo()
    monkeypatch.setattr("portal.dependencies.clock", lambda: at("2027-02-10", hour=9))
    summary = invoke("support_reminders", {})
    # then only the failed one is sent; each customer got exactly one mail
    assert (summary["sent"], summary["failed"]) == (1, 0)
    assert sorted(to(m) for m in mails()) == sorted(c.email for c in customers)


def test_a_reminder_claimed_by_a_live_run_is_left_to_it_and_taken_over_once_its_lease_ends(
    ses, store, settings, make_customer
):
    # given a customer due, whose reminder another run claimed a minute ago and is sending
    customer = ending_on(make_customer, "2027-03-12")
    clock = at("2027-02-10")
    reminder = reminders.Reminder(
        customer.customer_id, customer.support_ids[0], date(2027, 3, 12), "30"
    )
    from portal.data import reminders as records

    now = clock.now()
    taken = records.claim(
        store, [reminder], lease_id="other", now=now, until=now + timedelta(minutes=9)
    )
    assert taken == []
    # when this run comes, then it sends nothing
    assert run(store, settings, clock).sent == 0 and mails() == []
    # when that run died and its lease ran out, then the next run sends it, once
    clock.advance(minutes=10)
    assert run(store, settings, clock).sent == 1
    assert run(store, settings, clock).sent == 0
    assert len(mails()) == 1


# ---------------------------------------------------------------- catch-up
def test_a_missed_day_is_sent_by_the_next_run_once_with_the_days_really_left(
    ses, store, settings, make_customer
):
    # given a support ending on 2027-03-12, and no run on 2027-02-10 (an outage)
    customer = ending_on(make_customer, "2027-03-12")
    # when the schedule runs again two days later (catch-up: the 3 days before it too)
    summary = run(store, settings, at("2027-02-12"))
    # then the 30-day reminder goes out, saying the 28 days that are really left
    assert summary.sent == 1 and "2027-02-10" in summary.days
    text = text_of(mails()[0])
    assert customer.supports[0].serial_number in text
    assert "28 days" in text
    # and the next days' runs do not send it again
    for day in ("2027-02-13", "2027-02-14"):
        assert run(store, settings, at(day)).sent == 0


def test_a_run_for_a_past_date_sends_what_was_missed_once(ses, store, settings, make_customer):
    # given supports that ended on 2027-03-12 while the job was down for a week
    ending_on(make_customer, "2027-03-12")
    clock = at("2027-03-20")
    # when an operator runs it for 2027-03-13 (the "ended yesterday" day)
    assert run(store, settings, clock, {"date": "2027-03-13"}).sent == 1
    assert "ended" in text_of(mails()[0]).lower()
    # and again, or the days around it: nothing more
    assert run(store, settings, clock, {"date": "2027-03-13"}).sent == 0
    assert run(store, settings, clock, {"date": "2027-03-14"}).sent == 0


def test_a_reminder_before_the_end_that_comes_after_it_is_not_sent(
    ses, store, settings, make_customer
):
    # given a support that ended on 2027-03-12; when a catch-up run is for 2027-02-10 (its
    # 30-day day) but today is 2027-03-15, then no "ends in 30 days" mail goes out
    ending_on(make_customer, "2027-03-12")
    summary = run(store, exactly(settings), at("2027-03-15"), {"date": "2027-02-10"})
    assert summary.sent == 0 and summary.skipped == {"ended": 1}


# ---------------------------------------------------------------- not reminded
def test_a_renewed_support_is_not_reminded(ses, store, settings, make_customer):
    # given a support ending on 2027-03-12, renewed by a later support for the same serial
    customer = make_customer(
        licenses=[LicenseSpec(computer="SRV-RENEWED")],
        supports=[SupportSpec()],
        placed_at="2026-03-12",
        orders=[OrderSpec(supports=[SupportSpec()], placed_at="2027-01-20")],
    )
    assert customer.supports[1].serial_number == customer.supports[0].serial_number
    # and another customer whose support is not renewed
    other = ending_on(make_customer, "2027-03-12")
    # when the job runs 30 days before, then only the other customer is reminded
    summary = run(store, exactly(settings), at("2027-02-10"))
    assert summary.skipped == {"renewed": 1}
    assert [to(m) for m in mails()] == [other.email]


def test_a_refunded_support_is_not_reminded(ses, store, settings, clock):
    # given a support bought through FastSpring on 2026-11-27 (clock), then refunded
    order = fs.order_completed(email="refunded@example.com", skus=["T-ENT-5", "S1Y-T-ENT-5"])
    assert deliver(order)["statusCode"] == 200
    refund = fs.return_created(
        reference=order["data"]["reference"], original_order_id=order["data"]["id"]
    )
    assert deliver(refund)["statusCode"] == 200
    assert count_items(store, "REVOKED#SUP#") == 1
    # when the job runs 30 days before it would have ended, then nothing is due at all
    summary = run(store, exactly(settings), at("2027-10-28"))
    assert (summary.due, summary.sent) == (0, 0) and mails() == []


def test_a_customer_who_turned_reminders_off_is_not_reminded(ses, store, settings, make_customer):
    # given two customers due; the first turned reminders off (profile `reminders` false)
    off = ending_on(make_customer, "2027-03-12")
    on = ending_on(make_customer, "2027-03-12")
    store.update(
        keys.customer_profile(off.customer_id),
        update="SET reminders = :off",
        values={":off": False},
    )
    # when the job runs, then only the second is reminded
    summary = run(store, exactly(settings), at("2027-02-10"))
    assert summary.skipped == {"opted_out": 1}
    assert [to(m) for m in mails()] == [on.email]
    # and turning them back on (true) reminds at the next threshold
    store.update(
        keys.customer_profile(off.customer_id),
        update="SET reminders = :on",
        values={":on": True},
    )
    assert run(store, exactly(settings), at("2027-03-05")).sent == 2


# ---------------------------------------------------------------- the input
@pytest.mark.parametrize(
    "event",
    [
        {"date": "2027-02-30"},
        {"date": "2027-2-10"},
        {"date": "10/02/2027"},
        {"date": 20270210},
        {"date": None},
        {"date": "2027-02-10", "customer": "01ARZ3NDEKTSV4RRFFQ69G5FAV"},
        {"detail-type": "Scheduled Event"},
        [],
        "2027-02-10",
    ],
)
def test_anything_but_an_empty_event_or_a_date_is_refused_and_nothing_sent(
    ses, store, settings, make_customer, event
):
    ending_on(make_customer, "2027-03-12")
    with pytest.raises(InvalidReminderRun):
        run(store, settings, at("2027-02-10"), event)
    assert mails() == [] and count_items(store, "REMINDER#") == 0


def test_the_sample_event_is_the_schedules_input_and_runs_clean(aws, ses, clock):
    # given the sample event (the schedule's Input, `{}`); when the function runs on it, then
    # it covers today and the catch-up days, and nothing failed
    from tests.support import sample_event

    summary = invoke("support_reminders", sample_event("support_reminders"))
    assert summary["date"] == "2026-11-27" and summary["failed"] == 0
    assert len(summary["days"]) == 4
    assert handler("support_reminders").lambda_handler is not None


# ---------------------------------------------------------------- reads (PERFORMANCE.md)
def _bulk_load(store: Any, supports: int, customers: int) -> None:
    """`supports` supports of `customers` customers (no profiles), ending from 2027-04-01 to
    2027-06-30 (never due in the test), written straight into moto's table as the portal writes
    them (portal.data.items.support_to_item): no request per item, and moto's per-attribute size
    check (quadratic in the attributes) skipped; the items are the same."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict

    table = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].get_table(store.table_name)
    for number in range(supports):
        sup = Support(
            support_id=f"01JSUP{number:020d}",
            software="TSplus",
            serial_number=f"F{number:07d}",
            users=5,
            edition="Enterprise",
            order_number=None,
            purchased_on=date(2026, 6, 30),
            duration_years=1,
            expires_on=date(2027, 6, 30) - timedelta(days=number % 91),
        )
        attributes = to_attributes(support_to_item(f"01JFILL{number % customers:019d}", sup))
        item = Item.__new__(Item)
        item.hash_key, item.range_key = DynamoType(attributes["pk"]), DynamoType(attributes["sk"])
        item.attrs = LimitedSizeDict({name: DynamoType(v) for name, v in attributes.items()})
        table.items[item.hash_key][item.range_key] = item


@pytest.mark.usefixtures("moto_at_table_scale")
def test_reads_grow_with_the_supports_due_and_their_customers_never_with_the_table(
    ses, store, settings, make_customer
):
    # given 3 customers with 2 supports each due for the 30-day reminder, and none of them sent
    for number in range(3):
        serials = (f"S{number}A", f"S{number}B")
        make_customer(
            licenses=[LicenseSpec(serial=serial, computer=serial) for serial in serials],
            supports=[SupportSpec(serial=serial) for serial in serials],
            placed_at="2026-03-12",
        )
    settings = exactly(settings)
    clock = at("2027-02-10")
    figures = {}
    loaded = 0
    for total in (1_000, 10_000, 100_000):
        # when the table grows to `total` supports (bulk-loaded, outside what is measured)
        _bulk_load(store, total - loaded, customers=total // 10)
        loaded = total
        # and the job runs twice that day (the first sends, the second finds them sent)
        with recording(store.client) as log:
            started = time.perf_counter()
            first = run(store, settings, clock)
            first_read, first_calls = log.items_read, list(log.operations)
            log.clear()
            second = run(store, settings, clock)
            seconds = time.perf_counter() - started
        figures[total] = (first_read, log.items_read, seconds)
        print(f"{total} supports: read {first_read} / {log.items_read} items, {seconds:.2f} s")
        # then each Query examined only what it returned, and nothing ever scanned
        assert all(scanned == count for scanned, count in log.query_counts)
        assert "Scan" not in first_calls + log.operations
        assert (first.sent, second.sent) == (3, 0)
        # reset: the next size sends the same mails again
        for item in [*_reminder_records(store)]:
            store.delete({"pk": item["pk"], "sk": item["sk"]})
    # then the items read are the same whatever the table's size: the 6 supports due, their 3
    # customers' profiles (no reminder record yet) and those customers' supports (2 each) and
    # licenses (2 each) for the first run; the supports, profiles and 6 records for the second
    reads = {total: (first, second) for total, (first, second, _) in figures.items()}
    assert set(reads.values()) == {(6 + 3 + 6 + 6, 6 + 3 + 6)}, reads


def _reminder_records(store: Any) -> list[dict[str, Any]]:
    """Test-only: every REMINDER# item, read from moto's backend (a Scan's first page holds only
    part of a table of 100,000 items)."""
    found = moto_items(store, sk_prefix=keys.REMINDER_PREFIX)
    return [{"pk": item["pk"], "sk": item["sk"]} for item in found]
