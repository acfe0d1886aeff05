"""Sign-in per API.md and SECURITY.md 1-4, 6: given the guide's customer, when they sign in..."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from portal import dependencies
from portal.accounts import sign_in
from portal.accounts.rate_limit import Reservation
from portal.clock import FixedClock
from portal.data import keys
from portal.data import sign_in as attempts
from portal.errors import InvalidCredentials
from tests.support import body_of, event, invoke, session_token

DEMO = {"email": "demo@example.com", "orderNumber": "JWT160930-9510-42210"}
SECOND_ORDER = "JWT241105-4410-77215"


def login(body: object, **kw: object) -> dict:
    return invoke("login", event("login", body=body, **kw))  # type: ignore[arg-type]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FixedClock:
    fixed = FixedClock(datetime(2026, 11, 27, 9, 0, tzinfo=UTC))
    monkeypatch.setattr(dependencies, "clock", lambda: fixed)
    return fixed


def test_sign_in_normalises_email_and_order_number_and_sets_host_cookie(seeded):
    response = login({"email": "  Demo@EXAMPLE.com ", "orderNumber": "jwt160930-9510-42210 "})
    assert response["statusCode"] == 200
    assert body_of(response) == {
        "customer": {"email": "demo@example.com", "name": "Camille Martin", "language": "fr"}
    }
    (cookie,) = response["cookies"]
    name, _, rest = cookie.partition("=")
    assert name == "__Host-portal_session"
    attributes = {part.strip().split("=")[0].lower() for part in rest.split(";")[1:]}
    assert {"secure", "httponly", "path", "samesite"} <= attributes
    assert "domain" not in attributes
    assert "SameSite=Strict" in cookie and "Path=/;" in cookie + ";"


def test_order_number_with_inner_space_as_in_the_guide(seeded):
    assert (
        login({"email": "demo@example.com", "orderNumber": "JWT 160930-9510-42210"})["statusCode"]
        == 200
    )


def test_every_failure_is_byte_identical(seeded):
    wrong_order = login({"email": "demo@example.com", "orderNumber": "JWT160930-9510-42211"})
    unknown_email = login({"email": "nobody@example.com", "orderNumber": DEMO["orderNumber"]})
    other_customer = login({"email": "demo@example.com", "orderNumber": SECOND_ORDER})
    assert wrong_order["statusCode"] == 401
    assert wrong_order == unknown_email == other_customer
    assert body_of(wrong_order)["error"]["code"] == "invalid_credentials"


def test_a_new_token_at_each_sign_in_and_only_its_hash_is_stored(seeded, store):
    first = session_token(login(DEMO))
    second = session_token(login(DEMO))
    assert first != second
    assert len(first) >= 43  # 256 bits, url-safe base64
    assert store.get(keys.session_key(first)) is not None
    raw = store.client.scan(TableName=store.table_name)["Items"]  # test-only inspection
    dump = repr(raw)
    assert first not in dump and second not in dump


def test_eleventh_failure_for_one_email_is_429_with_retry_after(seeded, clock):
    for attempt in range(10):
        assert (
            login({"email": "demo@example.com", "orderNumber": f"JWT0000{attempt}"})["statusCode"]
            == 401
        )
        clock.advance(seconds=10)
    limited = login({"email": "demo@example.com", "orderNumber": "JWT999"})
    assert limited["statusCode"] == 429
    assert body_of(limited)["error"]["code"] == "too_many_attempts"
    # the first failure was 100 s ago: it leaves the 15-minute window in 800 s
    assert limited["headers"]["Retry-After"] == "800"
    # even the right order number is refused while limited, and the answer is the same
    assert login(DEMO)["statusCode"] == 429


def test_limit_reveals_nothing_about_whether_the_email_exists(seeded, clock):
    for email in ("demo@example.com", "nobody@example.com"):
        for attempt in range(10):
            login({"email": email, "orderNumber": f"JWT1{attempt}"}, ip=f"198.51.100.{attempt}")
    known = login({"email": "demo@example.com", "orderNumber": "JWT7"}, ip="198.51.100.99")
    unknown = login({"email": "nobody@example.com", "orderNumber": "JWT7"}, ip="198.51.100.99")
    assert known["statusCode"] == unknown["statusCode"] == 429
    assert known == unknown


def test_a_real_customer_is_never_locked_out_longer_than_the_window(seeded, clock):
    for attempt in range(10):
        login({"email": "demo@example.com", "orderNumber": f"JWT2{attempt}"})
    assert login(DEMO)["statusCode"] == 429
    clock.advance(seconds=15 * 60)
    assert login(DEMO)["statusCode"] == 200


def test_successful_sign_ins_do_not_count_towards_the_limit(seeded, clock):
    for _ in range(15):
        assert login(DEMO)["statusCode"] == 200


def test_hundred_failures_from_one_ip_then_429_for_any_email(seeded, clock):
    for attempt in range(100):
        response = login({"email": f"user{attempt}@example.com", "orderNumber": "JWT1"})
        assert response["statusCode"] == 401
    assert login(DEMO)["statusCode"] == 429
    assert login(DEMO, ip="198.51.100.7")["statusCode"] == 200  # another address is not affected


@pytest.mark.parametrize(
    "body",
    [
        {"email": "demo@example.com"},
        {"orderNumber": "JWT1"},
        {"email": "not-an-email", "orderNumber": "JWT1"},
        {"email": "a" * 250 + "@example.com", "orderNumber": "JWT1"},
        {"email": "demo@example.com", "orderNumber": "JWT1!"},
        {"email": "demo@example.com", "orderNumber": "J" * 65},
        {"email": "demo@example.com", "orderNumber": "JWT1", "admin": True},
        {"email": ["demo@example.com"], "orderNumber": "JWT1"},
        "{not json",
        "[]",
    ],
)
def test_malformed_sign_in_is_400(seeded, body):
    response = login(body)
    assert response["statusCode"] == 400
    assert body_of(response)["error"]["code"] == "bad_request"


def test_wrong_content_type_and_oversized_body(seeded):
    assert login(DEMO, headers={"content-type": "text/plain"})["statusCode"] == 415
    huge = {"email": "demo@example.com", "orderNumber": "JWT1", "pad": "x" * 20_000}
    assert login(huge)["statusCode"] == 413


@pytest.mark.parametrize("origin", [None, "https://evil.example", "http://127.0.0.1:3001"])
def test_sign_in_from_another_origin_is_refused(seeded, origin):
    response = login(DEMO, origin=origin)
    assert response["statusCode"] == 403
    assert body_of(response)["error"]["code"] == "forbidden_origin"


# ---------------------------------------------------------------- parallel attempts
def test_a_parallel_guess_cannot_take_the_last_attempt_twice(seeded, clock, store, settings):
    """Reserve before check: a slot read free is taken only if it is still free."""
    # given nine failures for the demo email: one attempt left in its window
    for attempt in range(9):
        assert login({"email": DEMO["email"], "orderNumber": f"JWT3{attempt}"})["statusCode"] == 401
    # and a wrong guess that lands between this sign-in's read and its reservation
    guesses: list[type[Exception]] = []

    def parallel_guess(**_: object) -> None:
        if guesses:
            return
        guesses.append(Exception)
        try:
            sign_in.sign_in(
                DEMO["email"], "JWT399", "198.51.100.1", store=store, settings=settings, clock=clock
            )
        except InvalidCredentials as failed:
            guesses[0] = type(failed)

    events = store.client.meta.events
    events.register("before-call.dynamodb.TransactWriteItems", parallel_guess, unique_id="race")
    try:
        # when the customer signs in with the right order number
        response = login(DEMO)
    finally:
        events.unregister("before-call.dynamodb.TransactWriteItems", unique_id="race")
    # then the guess took the last attempt and failed, and the sign-in, which had read that
    # attempt free, read again and is refused like any limited one
    assert guesses == [InvalidCredentials]
    assert response["statusCode"] == 429
    assert body_of(response)["error"]["code"] == "too_many_attempts"


def test_a_slot_reused_before_the_commit_stays_counted_and_the_sign_in_still_succeeds(
    seeded, clock, store
):
    # given a parallel attempt that reuses this sign-in's email slot after its reservation
    window = keys.rate_limit_key("EMAIL", DEMO["email"])
    seen: list[int] = []
    reused: list[int] = []

    def reuse_before_commit(**_: object) -> None:
        seen.append(1)
        if len(seen) == 2:  # the second transaction of the sign-in: its commit
            mine = int(store.get(window, consistent=True)["s0"])
            claim = Reservation("EMAIL", DEMO["email"], "s0", previous=mine, mine=mine + 1)
            assert attempts.reserve_sign_in_slots(store, [claim], expires_at=1)
            reused.append(claim.mine)

    events = store.client.meta.events
    events.register("before-call.dynamodb.TransactWriteItems", reuse_before_commit, unique_id="x")
    try:
        # when the customer signs in
        response = login(DEMO)
    finally:
        events.unregister("before-call.dynamodb.TransactWriteItems", unique_id="x")
    # then the session was created on its own and works, and the reused slot was not given back
    assert response["statusCode"] == 200
    assert invoke("me", event("me", token=session_token(response)))["statusCode"] == 200
    assert reused and store.get(window, consistent=True)["s0"] == reused[0]
