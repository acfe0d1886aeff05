"""The data layer's intent-named requests of sessions (portal.data.sessions) and of the three calls
of a sign-in (portal.data.sign_in), over moto: each is exactly one DynamoDB call, and each
condition holds against a parallel writer."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from botocore.exceptions import ClientError

from portal.data import keys
from portal.data import sessions as stored
from portal.data import sign_in as attempts
from portal.data.store import ConditionFailed

IDLE, ABSOLUTE = 1800, 12 * 3600
CREATED = 1_800_000_000
TOKEN = "t" * 43


def touch(store, now: int, token: str = TOKEN) -> str | None:
    return stored.touch_session(store, token, now=now, idle_seconds=IDLE, absolute_seconds=ABSOLUTE)


@pytest.fixture
def session(store):
    new = stored.NewSession(TOKEN, "CUSTOMER1", created_at=CREATED, expires_at=CREATED + 1)
    stored.create_session(store, new)
    return new


# ---------------------------------------------------------------- sessions
def test_a_touch_answers_the_customer_and_restarts_the_idle_timer(store, session, calls):
    # given a session created at CREATED
    # when it is touched 29 minutes later
    customer = touch(store, CREATED + 29 * 60)
    # then one UpdateItem answered its customer and moved lastSeenAt to now
    assert customer == "CUSTOMER1"
    assert calls.operations == ["UpdateItem"]
    item = store.get(keys.session_key(TOKEN))
    assert item["lastSeenAt"] == CREATED + 29 * 60 and item["createdAt"] == CREATED


def test_the_idle_timeout_is_exclusive_at_thirty_minutes(store, session):
    # given a session last seen at CREATED, when touched exactly 30 minutes later, then it is dead
    assert touch(store, CREATED + IDLE - 1) == "CUSTOMER1"
    assert touch(store, CREATED + IDLE - 1 + IDLE) is None
    # and a refused touch did not refresh it
    assert store.get(keys.session_key(TOKEN))["lastSeenAt"] == CREATED + IDLE - 1


def test_the_absolute_timeout_holds_however_active_the_session(store, session):
    # given a session touched every 20 minutes
    now = CREATED
    while now + 1200 < CREATED + ABSOLUTE:
        now += 1200
        assert touch(store, now) == "CUSTOMER1"
    # when the 12 hours since its creation are over, then it is dead although just seen
    assert touch(store, CREATED + ABSOLUTE) is None


def test_a_missing_or_deleted_session_is_none(store, session, calls):
    # given no session for another token, and ours deleted
    assert touch(store, CREATED + 1, token="u" * 43) is None
    calls.clear()
    stored.delete_session(store, TOKEN)
    # then the delete was one DeleteItem, and a touch no longer answers and recreates nothing
    assert calls.operations == ["DeleteItem"]
    assert touch(store, CREATED + 2) is None
    assert store.get(keys.session_key(TOKEN)) is None


def test_a_token_is_never_reused(store, session):
    # given a session, when another is created with the same token, then the condition refuses it
    with pytest.raises(ConditionFailed):
        stored.create_session(store, stored.NewSession(TOKEN, "CUSTOMER2", CREATED, CREATED))
    assert store.get(keys.session_key(TOKEN))["customerId"] == "CUSTOMER1"


def test_an_error_while_touching_is_raised_not_taken_for_a_dead_session(
    store, session, monkeypatch
):
    # given DynamoDB failing
    def broken(**_):
        raise ClientError({"Error": {"Code": "InternalServerError", "Message": "x"}}, "UpdateItem")

    monkeypatch.setattr(store.client, "update_item", broken)
    # when a session is touched, then the error propagates (the edge answers 5xx, never data)
    with pytest.raises(ClientError):
        touch(store, CREATED + 1)


# ---------------------------------------------------------------- sign-in requests
@dataclass(frozen=True)
class Window:
    kind: str
    subject: str


@dataclass(frozen=True)
class Claim:
    kind: str
    subject: str
    slot: str
    previous: int | None
    mine: int


EMAIL, IP = Window("EMAIL", "someone@example.com"), Window("IP", "203.0.113.24")


def window_item(store, window: Window):
    return store.get(keys.rate_limit_key(window.kind, window.subject), consistent=True)


def test_read_sign_in_is_one_batch_of_both_windows_and_both_lookups(make_customer, store, calls):
    # given two customers, and one attempt recorded in the first one's email window
    customer, other = make_customer(), make_customer()
    email = Window("EMAIL", customer.email)
    assert attempts.reserve_sign_in_slots(
        store, [Claim("EMAIL", email.subject, "s0", None, 7)], expires_at=1
    )
    calls.clear()
    # when the sign-in state is read for the first one's email and the other one's order
    read = attempts.read_sign_in(
        store, windows=[email, IP], email=customer.email, order_reference=other.order_number
    )
    # then one BatchGetItem answered the windows in order and both lookups (of two customers)
    assert calls.operations == ["BatchGetItem"]
    assert read.windows[0] is not None and read.windows[0]["s0"] == 7
    assert read.windows[1] is None
    assert read.by_email is not None and read.by_reference is not None
    assert read.by_email["customerId"] != read.by_reference["customerId"]
    assert read.by_email["customerId"] == customer.customer_id
    assert read.by_reference["customerId"] == other.customer_id
    assert read.by_email["email"] == customer.email


def test_reserving_is_all_or_nothing_and_refuses_a_slot_taken_since_the_read(store, calls):
    # given an attempt that read both windows empty and a parallel one that took the IP slot first
    parallel = [Claim("IP", IP.subject, "s0", None, 1)]
    mine = [Claim("EMAIL", EMAIL.subject, "s0", None, 2), Claim("IP", IP.subject, "s0", None, 2)]
    assert attempts.reserve_sign_in_slots(store, parallel, expires_at=10)
    calls.clear()
    # when ours reserves, then one transaction was refused and wrote nothing (no email slot either)
    assert attempts.reserve_sign_in_slots(store, mine, expires_at=10) is False
    assert calls.operations == ["TransactWriteItems"]
    assert window_item(store, EMAIL) is None
    assert window_item(store, IP)["s0"] == 1
    # and reading again, with what the slot now holds, it succeeds
    retry = [mine[0], Claim("IP", IP.subject, "s0", 1, 2)]
    assert attempts.reserve_sign_in_slots(store, retry, expires_at=10)
    assert window_item(store, IP)["s0"] == 2 and window_item(store, EMAIL)["expiresAt"] == 10


def test_commit_puts_the_session_and_gives_the_slots_back(store, calls):
    # given an attempt that reserved a fresh email slot and an IP slot that held an old failure
    old_failure = [Claim("IP", IP.subject, "s3", None, 4)]
    assert attempts.reserve_sign_in_slots(store, old_failure, expires_at=10)
    claims = [Claim("EMAIL", EMAIL.subject, "s0", None, 5), Claim("IP", IP.subject, "s3", 4, 5)]
    assert attempts.reserve_sign_in_slots(store, claims, expires_at=10)
    assert window_item(store, IP)["s3"] == 5
    calls.clear()
    new = stored.NewSession(TOKEN, "CUSTOMER1", created_at=CREATED, expires_at=CREATED + 9)
    # when it commits a successful sign-in
    assert attempts.commit_sign_in(store, new, claims)
    # then one transaction created the session and restored each slot to what it held before
    assert calls.operations == ["TransactWriteItems"]
    assert store.get(keys.session_key(TOKEN))["customerId"] == "CUSTOMER1"
    assert "s0" not in window_item(store, EMAIL)
    assert window_item(store, IP)["s3"] == 4


def test_commit_leaves_a_reused_slot_alone_and_writes_nothing(store):
    # given our reserved email slot reused by a parallel attempt meanwhile
    claims = [Claim("EMAIL", EMAIL.subject, "s0", None, 5)]
    assert attempts.reserve_sign_in_slots(store, claims, expires_at=10)
    assert attempts.reserve_sign_in_slots(
        store, [Claim("EMAIL", EMAIL.subject, "s0", 5, 6)], expires_at=10
    )
    new = stored.NewSession(TOKEN, "CUSTOMER1", created_at=CREATED, expires_at=CREATED + 9)
    # when ours commits, then nothing was written: the parallel attempt stays counted, no session
    assert attempts.commit_sign_in(store, new, claims) is False
    assert window_item(store, EMAIL)["s0"] == 6
    assert store.get(keys.session_key(TOKEN)) is None


def test_commit_never_signs_in_on_top_of_an_existing_token(store, session):
    # given a session already holding the token, when a commit would create it again
    claims = [Claim("EMAIL", EMAIL.subject, "s0", None, 5)]
    assert attempts.reserve_sign_in_slots(store, claims, expires_at=10)
    other = stored.NewSession(TOKEN, "CUSTOMER2", created_at=CREATED, expires_at=CREATED)
    # then the commit fails loudly and the existing session keeps its customer
    with pytest.raises(ConditionFailed):
        attempts.commit_sign_in(store, other, claims)
    assert store.get(keys.session_key(TOKEN))["customerId"] == "CUSTOMER1"
