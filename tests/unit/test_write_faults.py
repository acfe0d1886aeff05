"""Faults at every write point (SECURITY.md 21; issue 10 item 7): DynamoDB throttling the write
(ProvisionedThroughputExceededException, ThrottlingException) or cancelling its transaction for a
reason other than a condition (TransactionCanceledException, TransactionConflict), once the
client's own retries are spent. For each write point and each fault:

1. a reference run: the same request on a customer set up the same way, without the fault;
2. the request with the fault (tests.support.faulty, a botocore `before-call` hook on the real
   client): a clean failure - an HTTP error in the contract's shape and no cookie, 503 for a
   webhook, a failed invocation for a job - and nothing of its work in the table (the items it
   may leave are named: the rate slots a sign-in reserved before its commit stay counted, the
   safe side); or, where the portal retries the write itself, as if there had been no fault;
3. the retry (the same request again, the webhook redelivered, the job re-run): the table then
   holds exactly what the reference run wrote - the same items added, changed (counts, states)
   and removed, and as many mails sent - nothing missing, nothing twice.

A new write point is one row of WRITE_POINTS."""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import boto3
import pytest

from local import fastspring as fs
from portal.data.store import from_attributes
from portal.licensing import upgrades
from portal.mail import sender
from portal.orders.catalog import default_catalog
from tests.factories import LicenseSpec, SupportSpec
from tests.support import (
    FAULTS,
    THROTTLED,
    THROTTLING,
    Request,
    activate,
    body_of,
    deliver,
    deliver_raw,
    event,
    faulty,
    invoke,
    link_token,
    login,
    login_for_code,
    mailed,
    manage_license,
    outbox_messages,
    paid_order,
    parsed,
    redeem_link,
    request_link,
    sent_messages,
    sign_in,
    sign_in_browser,
    stream_event,
    verify,
)

THROTTLES = (THROTTLED, THROTTLING)  # a read or a single-item write has no transaction to cancel
ENTERPRISE_10 = ("TSplus", "Enterprise", 10)
REMOTE_WORK = LicenseSpec(software="Remote Work", edition=None, users=5, upgradable=True)
RW_SUPPORT = SupportSpec(software="Remote Work", edition=None, users=5, years=1)
RATE = "RATE#"  # the rate windows' items


# ---------------------------------------------------------------- what a request came to
@dataclass(frozen=True)
class Outcome:
    """An HTTP answer (status, body, cookies set) or a job's (status None; raised or not)."""

    status: int | None
    body: Any = None
    cookies: tuple[str, ...] = ()
    raised: str | None = None

    @property
    def clean_failure(self) -> bool:
        if self.status is None:
            return self.raised is not None
        error = (self.body or {}).get("error", {}) if isinstance(self.body, dict) else {}
        shaped = set(error) == {"code", "message"}
        # DynamoDB said "not now": the answer says "try again" (503), in the contract's shape
        # (the webhook answers FastSpring in plain text), and sets no cookie
        return self.status == 503 and not self.cookies and (shaped or isinstance(self.body, str))


def answered(response: dict[str, Any]) -> Outcome:
    try:
        body = body_of(response)
    except ValueError:  # the webhook answers plain text (committed event ids)
        body = response.get("body")
    return Outcome(response["statusCode"], body, tuple(response.get("cookies", [])))


def ran(job: Callable[[], Any]) -> Outcome:
    try:
        answer = job()
    except Exception as exc:  # noqa: BLE001 - a failed invocation is what the schedule sees
        return Outcome(None, raised=type(exc).__name__)
    failures = answer.get("batchItemFailures") if isinstance(answer, dict) else None
    return Outcome(None, raised="batchItemFailures" if failures else None)


# ---------------------------------------------------------------- the table, before and after
def table(store: Any) -> dict[tuple[str, str], dict[str, Any]]:
    """Every item, by key (a Scan through a client of its own: the fault hook is not on it)."""
    client = boto3.client("dynamodb", region_name=store.client.meta.region_name)
    items, start = {}, None
    while True:
        page = client.scan(
            TableName=store.table_name, **({"ExclusiveStartKey": start} if start else {})
        )
        for raw in page["Items"]:
            item = from_attributes(raw)
            items[(item["pk"], item["sk"])] = item
        start = page.get("LastEvaluatedKey")
        if not start:
            return items


def _kind(key: tuple[str, str]) -> str:
    return f"{key[0].split('#')[0]}/{key[1].split('#')[0]}"


def _state(item: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    """What of an item two runs must agree on: its counts (numbers below 10^9: instants and
    stamps differ between runs), flags and states - not its ids, tokens or times."""
    return tuple(
        sorted(
            (name, value)
            for name, value in item.items()
            if name in ("status", "kind", "type", "action")
            or isinstance(value, bool)
            or (isinstance(value, Decimal) and abs(value) < 10**9)
        )
    )


@dataclass
class Snapshot:
    items: dict[tuple[str, str], dict[str, Any]]
    mails: int  # sent through (moto's) SES so far


def snapshot(store: Any) -> Snapshot:
    return Snapshot(table(store), len(sent_messages()))


def changes(before: Snapshot, after: Snapshot, *, but: tuple[str, ...] = (RATE,)) -> Counter:
    """What happened between two snapshots, by kind of item (rate windows left out): items added,
    removed and changed, each with its state; and the mails sent."""
    found: Counter = Counter()
    for key in after.items.keys() | before.items.keys():
        if key[0].startswith(but):
            continue
        old, new = before.items.get(key), after.items.get(key)
        if old is None:
            found["added", _kind(key), _state(new)] += 1
        elif new is None:
            found["removed", _kind(key), _state(old)] += 1
        elif old != new:
            found["changed", _kind(key), _state(old), _state(new)] += 1
    if after.mails != before.mails:
        found["mails sent"] += after.mails - before.mails
    return found


# ---------------------------------------------------------------- the write points
@dataclass
class World:
    store: Any
    settings: Any
    make_customer: Any
    clock: Any
    ses_refuses: set[str] = field(default_factory=set)  # addresses SES refuses once

    def customer(self, **options: Any) -> Any:
        options.setdefault("licenses", [ENTERPRISE_10])
        return self.make_customer(**options)


@dataclass(frozen=True)
class WritePoint:
    name: str
    picks: Callable[[Request], bool]  # which DynamoDB request of the act is this write
    setup: Callable[[World], Any]  # what the request needs (a customer, a pending sign-in...)
    act: Callable[[World, Any], Outcome]  # the request; without the fault it answers `answers`
    answers: int | str  # HTTP status, "ran" or "failed" (a job: the invocation fails)
    faults: tuple[str, ...] = FAULTS
    leaves: tuple[str, ...] = ()  # pk prefixes a failed request may leave changed
    absorbed: bool = False  # the portal retries this write itself: the fault changes nothing
    reference_retries: bool = False  # the reference run retries too (it fails without a fault)

    def retry(self, world: World, case: Any) -> Outcome:
        return self.act(world, case)


def transaction(test: Callable[[Request], bool]) -> Callable[[Request], bool]:
    return lambda request: request.operation == "TransactWriteItems" and test(request)


ONLY_RATE_SLOTS = transaction(
    lambda r: all(action == "Update" and pk.startswith(RATE) for action, pk, _ in r.parts)
)


def expected(outcome: Outcome, answers: int | str) -> bool:
    if answers == "ran":
        return outcome.status is None and outcome.raised is None
    if answers == "failed":
        return outcome.status is None and outcome.raised is not None
    return outcome.status == answers


# sign-in
def _verifying(world: World) -> tuple[Any, str, str]:
    who = world.customer()
    pending, code = login_for_code(who)
    return who, pending, code


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def _trusted(world: World) -> tuple[Any, str]:
    who = world.customer()
    return who, sign_in_browser(who).trust


def _link(world: World) -> str:
    who = world.customer()
    assert request_link(who.email)["statusCode"] == 202
    return link_token(mailed(world.store, who.email, "sign_in_link")["link"])


# ingestion and upgrades
def _signed(*events: dict[str, Any]) -> fs.SignedBatch:
    return fs.signed_batch(*events)


def _new_order(world: World) -> fs.SignedBatch:
    email = f"fault.{secrets.token_hex(4)}@example.com"
    return _signed(fs.order_completed(email=email, skus=["T-ENT-10", "S1Y-T-ENT-10"]))


def _refund(world: World) -> fs.SignedBatch:
    order = fs.order_completed(
        email=f"fault.{secrets.token_hex(4)}@example.com", skus=["T-ENT-10", "S1Y-T-ENT-10"]
    )
    assert deliver(order)["statusCode"] == 200
    return _signed(fs.return_created(reference=order["data"]["reference"]))


def _paid_upgrade(world: World) -> fs.SignedBatch:
    who = world.make_customer(licenses=[REMOTE_WORK], supports=[RW_SUPPORT], currency="USD")
    quote = upgrades.quote(
        who.customer_id,
        who.license_ids[0],
        3,
        store=world.store,
        catalog=default_catalog(),
        clock=world.clock,
    )
    return _signed(paid_order(who.email, quote))


def _delivered(world: World, batch: fs.SignedBatch) -> Outcome:
    return answered(deliver_raw(batch.body, batch.signature))


# activation
def _signed_in(world: World, **options: Any) -> tuple[Any, str]:
    who = world.customer(**options)
    return who, sign_in(who)


def _wrong_key(key: str) -> str:
    return key[:-1] + ("0" if key[-1] != "0" else "1")


def _quote(world: World, case: tuple[Any, str]) -> Outcome:
    who, token = case
    body = {"licenseId": who.license_ids[0], "additionalWorkstations": 3}
    return answered(invoke("upgrade_quote", event("upgrade_quote", token=token, body=body)))


# reminders and the mailer
def _due_in_30_days(world: World, *, refused: bool = False) -> Any:
    """A customer whose support ends 30 days after the clock's day (the job mails them)."""
    who = world.make_customer(
        licenses=[LicenseSpec(computer="SRV-REMIND")],
        supports=[SupportSpec(years=1)],
        placed_at="2025-12-27",
    )
    if refused:
        world.ses_refuses.add(who.email)
    return who


def _reminder_job(world: World, case: Any) -> Outcome:
    return ran(lambda: invoke("support_reminders", {}))


def _code_mail(world: World) -> dict[str, Any]:
    who = world.customer()
    login_for_code(who)
    (item,) = [m for m in outbox_messages(world.store, "sign_in_code") if m["to"] == who.email]
    return world.store.get({"pk": item["pk"], "sk": item["sk"]}, consistent=True)


def _mailer(world: World, item: dict[str, Any]) -> Outcome:
    return ran(lambda: invoke("mailer", stream_event(item)))


WRITE_POINTS = [
    # sign-in
    WritePoint(
        "sign-in: the attempt's rate slots",
        ONLY_RATE_SLOTS,
        lambda w: w.customer(),
        lambda w, who: answered(login(who)),
        202,
    ),
    WritePoint(
        "sign-in: the pending sign-in with its code mail",
        transaction(lambda r: r.touches("Put", "PENDING#") and r.touches("Put", "OUTBOX#")),
        lambda w: w.customer(),
        lambda w, who: answered(login(who)),
        202,
        leaves=(RATE,),
    ),
    WritePoint(
        "sign-in: the session of a trusted browser",
        transaction(lambda r: r.touches("Put", "SESSION#")),
        _trusted,
        lambda w, case: answered(login(case[0], trust=case[1])),
        200,
        leaves=(RATE,),
    ),
    # verification
    WritePoint(
        "verification: the code check's read",
        lambda r: r.operation == "BatchGetItem" and r.touches("Get", "PENDING#"),
        _verifying,
        lambda w, case: answered(verify(case[2], case[1])),
        200,
        faults=THROTTLES,
    ),
    WritePoint(
        "verification: a wrong try spent",
        transaction(lambda r: r.touches("Update", "PENDING#")),
        _verifying,
        lambda w, case: answered(verify(_wrong(case[2]), case[1])),
        401,
    ),
    WritePoint(
        "verification: the verified sign-in",
        transaction(lambda r: r.touches("Delete", "PENDING#") and r.touches("Put", "TRUST#")),
        _verifying,
        lambda w, case: answered(verify(case[2], case[1])),
        200,
    ),
    WritePoint(
        "verification: a link mailed",
        transaction(lambda r: r.touches("Put", "LINK#")),
        lambda w: w.customer(),
        lambda w, who: answered(request_link(who.email)),
        202,
    ),
    WritePoint(
        "verification: a link redeemed",
        transaction(lambda r: r.touches("Delete", "LINK#")),
        _link,
        lambda w, token: answered(redeem_link(token)),
        200,
    ),
    # ingestion
    WritePoint(
        "webhook: a purchase committed",
        transaction(lambda r: r.touches("Put", "FSORDER#")),
        _new_order,
        _delivered,
        200,
    ),
    WritePoint(
        "webhook: a refund committed",
        transaction(lambda r: r.touches("Put", "FSRETURN#")),
        _refund,
        _delivered,
        200,
    ),
    # activation
    WritePoint(
        "activation: a wrong key counted",
        ONLY_RATE_SLOTS,
        lambda w: w.customer(),
        lambda w, who: answered(activate(_wrong_key(who.activation_key), "SRV-FAULT")),
        401,
    ),
    WritePoint(
        "activation: a license bound, with its notice",
        transaction(lambda r: r.touches("Put", "OUTBOX#")),
        lambda w: w.customer(),
        lambda w, who: answered(activate(who.activation_key, "SRV-FAULT")),
        200,
    ),
    WritePoint(
        "activation: an offline activation, with its notice",
        transaction(lambda r: r.touches("Put", "OUTBOX#")),
        _signed_in,
        lambda w, case: answered(
            manage_license(
                "activate",
                case[1],
                case[0].license_ids[0],
                {"computerId": "SRV-OFFLINE", "computerName": "SRV-OFFLINE"},
            )
        ),
        200,
    ),
    WritePoint(
        "activation: a license released, with its notice",
        transaction(lambda r: r.touches("Put", "OUTBOX#")),
        lambda w: _signed_in(w, licenses=[LicenseSpec(computer="SRV-BOUND")]),
        lambda w, case: answered(manage_license("release", case[1], case[0].license_ids[0])),
        200,
    ),
    WritePoint(
        "session: the idle timer refreshed",
        lambda r: r.operation == "UpdateItem" and r.touches("Update", "SESSION#"),
        lambda w: _signed_in(w, licenses=[LicenseSpec(computer="SRV-BOUND")]),
        lambda w, case: answered(manage_license("release", case[1], case[0].license_ids[0])),
        200,
        faults=THROTTLES,
    ),
    # upgrades
    WritePoint(
        "upgrade: a quote saved",
        lambda r: r.operation == "PutItem" and r.touches("Put", "CUST#", "QUOTE#"),
        lambda w: _signed_in(w, licenses=[REMOTE_WORK], supports=[RW_SUPPORT], currency="USD"),
        _quote,
        201,
        faults=THROTTLES,
    ),
    WritePoint(
        "upgrade: a paid quote fulfilled",
        transaction(lambda r: r.touches("Update", "CUST#", "QUOTE#")),
        _paid_upgrade,
        _delivered,
        200,
    ),
    # reminders
    WritePoint(
        "reminders: the claim",
        transaction(lambda r: r.touches("Put", "CUST#", "REMINDER#")),
        _due_in_30_days,
        _reminder_job,
        "ran",
    ),
    WritePoint(
        "reminders: marked sent (after the mail went out)",
        transaction(lambda r: r.touches("Update", "CUST#", "REMINDER#")),
        _due_in_30_days,
        _reminder_job,
        "ran",
        absorbed=True,
    ),
    WritePoint(
        "reminders: the claim freed (after SES refused the mail)",
        transaction(lambda r: r.touches("Delete", "CUST#", "REMINDER#")),
        lambda w: _due_in_30_days(w, refused=True),
        _reminder_job,
        "failed",
        absorbed=True,
        reference_retries=True,
    ),
    # the mailer (sign-in codes, notices)
    WritePoint(
        "mailer: the outbox item claimed",
        lambda r: r.operation == "UpdateItem" and r.touches("Update", "OUTBOX#"),
        _code_mail,
        _mailer,
        "ran",
        faults=THROTTLES,
    ),
    WritePoint(
        "mailer: marked sent (after the mail went out)",
        transaction(
            lambda r: r.touches("Update", "OUTBOX#") and r.touches("Put", "CUST#", "MAIL#")
        ),
        _code_mail,
        _mailer,
        "ran",
        absorbed=True,
    ),
]
PAIRS = sum(len(point.faults) for point in WRITE_POINTS)  # (write point, fault) pairs tried


@pytest.fixture
def world(store, settings, make_customer, clock, ses, monkeypatch) -> World:
    made = World(store, settings, make_customer, clock)
    real_send = sender.send

    def send(raw: bytes, **kwargs: Any) -> str:
        to = str(parsed(raw)["To"].addresses[0].addr_spec)
        if to in made.ses_refuses:
            made.ses_refuses.discard(to)
            raise sender_error()
        return real_send(raw, **kwargs)

    monkeypatch.setattr(sender, "send", send)
    return made


def sender_error() -> Exception:
    from botocore.exceptions import ClientError

    return ClientError({"Error": {"Code": "Throttling", "Message": "SES refused"}}, "SendEmail")


@pytest.mark.parametrize("point", WRITE_POINTS, ids=[point.name for point in WRITE_POINTS])
def test_a_fault_at_a_write_point_leaves_nothing_and_the_retry_completes_once(world, store, point):
    # given the same request on a customer set up the same way, without a fault: the reference
    case = point.setup(world)
    before = snapshot(store)
    assert expected(point.act(world, case), point.answers)
    if point.reference_retries:
        point.retry(world, case)
    reference = changes(before, snapshot(store))

    for fault in point.faults:
        # when the request is made with DynamoDB failing the write point once with `fault`
        case = point.setup(world)
        before = snapshot(store)
        with faulty(store.client, fault, point.picks) as failed:
            outcome = point.act(world, case)
        assert len(failed) == 1, f"{point.name}: the write was not made"

        # then it fails cleanly and leaves nothing but what it may (or the portal retried)
        if point.absorbed:
            assert expected(outcome, point.answers), (fault, outcome)
        else:
            assert outcome.clean_failure, (fault, outcome)
            left = changes(before, snapshot(store), but=(RATE, *point.leaves))
            assert not left, (fault, left)

        # and when it is retried, the table holds what the reference run wrote: nothing twice
        point.retry(world, case)
        assert changes(before, snapshot(store)) == reference, fault


def test_a_patient_write_that_keeps_failing_gives_up_after_its_asks_and_the_job_fails(world, store):
    """The other side of `absorbed`: a fault that outlasts the backoff is not hidden."""
    # given a customer due a reminder, and DynamoDB throttling every mark of a sent reminder
    _due_in_30_days(world)
    mark = next(point for point in WRITE_POINTS if point.name.startswith("reminders: marked"))
    with faulty(store.client, THROTTLED, mark.picks, times=100) as failed:
        # when the job runs
        outcome = _reminder_job(world, None)

    # then the mark was asked backoff.attempts times, each with one request token, and the
    # invocation fails (the schedule's retries, then the dead-letter queue and its alarm)
    assert len(failed) == store.backoff.attempts == 5
    assert len({request.token for request in failed}) == 1
    assert outcome.clean_failure
