"""Reminder preferences (API.md "Reminders"): the signed-in customer's toggle (GET/PUT
/api/me/preferences) and the unsubscribe link of a reminder mail (POST
/api/reminders/unsubscribe, JSON from web/unsubscribe.html or the RFC 8058 one-click form), through
the handler. The link's token is its own authority: it cannot be forged, tampered with or
re-aimed at another customer, and changes only the customer it was signed for."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from local import fastspring as fs
from portal.accounts import reminder_links
from portal.data import keys
from portal.ids import new_ulid
from tests.support import (
    FIXED_NOW,
    body_of,
    deliver,
    event,
    invoke,
    sign_in,
)

ONE_CLICK = "List-Unsubscribe=One-Click"
FORM = "application/x-www-form-urlencoded"
INVALID_LINK = {"error": {"code": "invalid_link", "message": "This link is not valid."}}


# ---------------------------------------------------------------- calls through the handler
def preferences(
    token: str | None, reminders: Any = None, *, raw: str | None = None, **kwargs: Any
) -> dict[str, Any]:
    """GET /api/me/preferences (no body given) or PUT with {reminders} (or the `raw` body text);
    kwargs go to tests.support.event(): origin=, headers=."""
    method = "GET" if reminders is None and raw is None else "PUT"
    body = raw if raw is not None else ({"reminders": reminders} if method == "PUT" else None)
    ev = event("preferences", token=token, body=body, **kwargs)
    ev["requestContext"]["http"]["method"] = method
    ev["routeKey"] = ev["requestContext"]["routeKey"] = f"{method} /api/me/preferences"
    if method == "GET":
        ev["body"] = None
        ev["headers"].pop("content-type", None)
    return invoke("preferences", ev)


def unsubscribe(
    body: Any = None,
    *,
    query: dict[str, str] | None = None,
    content_type: str = "application/json",
    session: str | None = None,
    base64_body: bool = False,
    path: str = "/api/reminders/unsubscribe",
    method: str = "POST",
) -> dict[str, Any]:
    """POST /api/reminders/unsubscribe as a mail's link sends it: no session, no Origin."""
    text = body if isinstance(body, str) or body is None else json.dumps(body)
    ev = event("preferences", token=session, query=query or {}, origin=None)
    ev["body"] = text
    if base64_body and text is not None:
        ev["body"] = base64.b64encode(text.encode()).decode()
        ev["isBase64Encoded"] = True
    ev["headers"]["content-type"] = content_type
    ev["rawPath"] = ev["requestContext"]["http"]["path"] = path
    ev["requestContext"]["http"]["method"] = method
    ev["routeKey"] = ev["requestContext"]["routeKey"] = f"{method} {path}"
    return invoke("preferences", ev)


def profile(store: Any, customer_id: str) -> dict[str, Any]:
    return store.get(keys.customer_profile(customer_id), consistent=True)


@pytest.fixture
def two(make_customer: Any, clock: Any) -> tuple[Any, Any]:
    """Two customers, reminders never chosen (on)."""
    return make_customer(), make_customer()


# ---------------------------------------------------------------- the signed-in toggle
def test_reminders_are_on_until_turned_off_and_back_on(two, store):
    # given a signed-in customer who never chose
    customer, _ = two
    token = sign_in(customer)

    # then reminders are on
    answer = preferences(token)
    assert answer["statusCode"] == 200 and body_of(answer) == {"reminders": True}

    # when they turn them off, then the answer and a later read say off, and the choice is stored
    # with its time
    answer = preferences(token, False)
    assert answer["statusCode"] == 200 and body_of(answer) == {"reminders": False}
    assert body_of(preferences(token)) == {"reminders": False}
    stored = profile(store, customer.customer_id)
    assert stored["reminders"] is False
    assert (
        stored["remindersChangedAt"]
        == "2026-11-27T09:00:00Z"
        == FIXED_NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
    )

    # when they turn them off again (idempotent) and then back on
    assert body_of(preferences(token, False)) == {"reminders": False}
    assert body_of(preferences(token, True)) == {"reminders": True}

    # then on again, and the answers carry no-store like every authenticated answer
    answer = preferences(token)
    assert body_of(answer) == {"reminders": True}
    assert answer["headers"]["Cache-Control"] == "no-store"
    assert profile(store, customer.customer_id)["reminders"] is True


def test_the_toggle_changes_only_the_signed_in_customer(two, store):
    # given two customers, the first signed in
    first, second = two
    before = profile(store, second.customer_id)

    # when the first turns reminders off
    assert preferences(sign_in(first), False)["statusCode"] == 200

    # then the second's profile is untouched and still on
    assert profile(store, second.customer_id) == before
    assert body_of(preferences(sign_in(second))) == {"reminders": True}


def test_without_a_session_nothing_is_read_or_changed(two, store):
    # given a customer's profile
    customer, _ = two
    before = profile(store, customer.customer_id)

    # when the preferences are read or written without a session, or with a made-up one
    for token in (None, "made-up-session-token"):
        for answer in (preferences(token), preferences(token, False)):
            # then 401 unauthenticated, and nothing changed
            assert answer["statusCode"] == 401
            assert body_of(answer)["error"]["code"] == "unauthenticated"
    assert profile(store, customer.customer_id) == before


@pytest.mark.parametrize("origin", [None, "https://evil.example", "http://127.0.0.1:3001"])
def test_a_put_from_another_origin_is_refused(two, store, origin):
    # given a signed-in customer
    customer, _ = two
    token = sign_in(customer)
    before = profile(store, customer.customer_id)

    # when a PUT comes without the portal's Origin (CSRF)
    answer = preferences(token, False, origin=origin)

    # then 403, and reminders are still on
    assert answer["statusCode"] == 403
    assert body_of(answer)["error"]["code"] == "forbidden_origin"
    assert profile(store, customer.customer_id) == before


@pytest.mark.parametrize(
    "raw",
    [
        '{"reminders": "false"}',
        '{"reminders": 0}',
        '{"reminders": null}',
        "{}",
        '{"reminders": false, "email": "x@example.com"}',
        "[false]",
        "false",
        "not json",
        "",
    ],
)
def test_a_malformed_put_is_a_400_and_changes_nothing(two, store, raw):
    customer, _ = two
    token = sign_in(customer)
    before = profile(store, customer.customer_id)

    answer = preferences(token, raw=raw)

    assert answer["statusCode"] == 400, answer
    assert set(body_of(answer)) == {"error"}
    assert profile(store, customer.customer_id) == before


def test_a_put_that_is_not_json_or_too_large_is_refused(two, store):
    customer, _ = two
    token = sign_in(customer)
    before = profile(store, customer.customer_id)

    as_form = preferences(token, raw="reminders=false", headers={"content-type": FORM})
    huge = preferences(token, raw=json.dumps({"reminders": False, "pad": "x" * 20_000}))

    assert as_form["statusCode"] == 415
    assert huge["statusCode"] == 413
    assert profile(store, customer.customer_id) == before


# ---------------------------------------------------------------- the mailed link
def test_the_link_turns_reminders_off_for_its_customer_only(two, store, settings):
    # given two customers and the first one's mailed token
    first, second = two
    second_before = profile(store, second.customer_id)
    token = reminder_links.token_for(first.customer_id, settings)

    # when the unsubscribe page posts it, without a session or an Origin
    answer = unsubscribe({"token": token})

    # then reminders are off for the first customer, and the second is untouched
    assert answer["statusCode"] == 200 and body_of(answer) == {"reminders": False}
    assert profile(store, first.customer_id)["reminders"] is False
    assert profile(store, second.customer_id) == second_before

    # when it is posted again (a second click, a retry), then the same answer and state
    again = unsubscribe({"token": token})
    assert again["statusCode"] == 200 and body_of(again) == {"reminders": False}
    assert profile(store, first.customer_id)["reminders"] is False

    # and the first customer sees it in the portal, and can turn reminders back on there
    signed_in = sign_in(first)
    assert body_of(preferences(signed_in)) == {"reminders": False}
    assert body_of(preferences(signed_in, True)) == {"reminders": True}


def test_the_session_never_decides_whose_reminders_the_link_turns_off(two, store, settings):
    # given the second customer signed in, posting the first customer's link
    first, second = two
    token = reminder_links.token_for(first.customer_id, settings)

    # when the link is posted with the second customer's session
    answer = unsubscribe({"token": token}, session=sign_in(second))

    # then only the first customer (the link's) is turned off
    assert answer["statusCode"] == 200
    assert profile(store, first.customer_id)["reminders"] is False
    assert "reminders" not in profile(store, second.customer_id)


def _forgeries(settings: Any, victim: str, attacker: str) -> dict[str, str]:
    """Links an attacker could make for the victim, knowing the victim's id and holding their
    own genuine link."""
    own = reminder_links.token_for(attacker, settings)
    genuine = reminder_links.token_for(victim, settings)
    mac = own.split(".", 1)[1]
    return {
        "own link re-aimed at the victim": f"{victim}.{mac}",
        "victim id, MAC with a guessed key": f"{victim}.{reminder_links._mac('guess', victim)}",
        "victim link, MAC tampered": genuine[:-1] + ("A" if genuine[-1] != "A" else "B"),
        "victim link, MAC cut short": genuine[:-5],
        "victim id only": victim,
        "victim id and a dot": f"{victim}.",
        "lower-cased id": f"{victim.lower()}.{genuine.split('.', 1)[1]}",
        "another shape": "../../etc/passwd",
        "too long": genuine + "A" * 300,
        "empty": "",
    }


def test_no_forged_tampered_or_re_aimed_link_changes_anything(two, store, settings):
    # given a victim, and an attacker who holds their own genuine link
    victim, attacker = two
    before = {c.customer_id: profile(store, c.customer_id) for c in two}

    for name, forged in _forgeries(settings, victim.customer_id, attacker.customer_id).items():
        # when each forgery is posted as JSON and as the one-click form
        for answer in (
            unsubscribe({"token": forged}),
            unsubscribe(ONE_CLICK, query={"token": forged}, content_type=FORM),
        ):
            # then 401 invalid_link, identical for every cause
            assert answer["statusCode"] == 401, name
            assert body_of(answer) == INVALID_LINK, name

    # and neither customer's profile changed
    assert {c.customer_id: profile(store, c.customer_id) for c in two} == before


def test_a_valid_link_of_a_customer_that_does_not_exist_is_the_same_401(aws, store, settings):
    # given a correctly signed token for a customer id nobody has
    ghost = new_ulid(FIXED_NOW)
    token = reminder_links.token_for(ghost, settings)

    # when it is posted
    answer = unsubscribe({"token": token})

    # then the same 401 as a forgery, and no item was created for that id
    assert answer["statusCode"] == 401 and body_of(answer) == INVALID_LINK
    assert store.get(keys.customer_profile(ghost), consistent=True) is None


def test_the_one_click_form_of_rfc_8058_turns_reminders_off(two, store, settings):
    # given a customer's one-click URL as the mail's List-Unsubscribe header carries it
    customer, _ = two
    token = reminder_links.token_for(customer.customer_id, settings)
    assert reminder_links.one_click_url(settings, token).endswith(
        f"/api/reminders/unsubscribe?token={token}"
    )

    # when a mail client posts List-Unsubscribe=One-Click to it (API Gateway may pass the form
    # body base64-encoded), without a session or an Origin
    answer = unsubscribe(ONE_CLICK, query={"token": token}, content_type=FORM, base64_body=True)

    # then reminders are off, and doing it again answers the same
    assert answer["statusCode"] == 200 and body_of(answer) == {"reminders": False}
    assert profile(store, customer.customer_id)["reminders"] is False
    again = unsubscribe(ONE_CLICK, query={"token": token}, content_type=f"{FORM}; charset=utf-8")
    assert again["statusCode"] == 200 and body_of(again) == {"reminders": False}


@pytest.mark.parametrize(
    ("body", "query", "content_type", "status"),
    [
        ("List-Unsubscribe=Yes", "token", FORM, 400),  # not the RFC 8058 body
        ("", "token", FORM, 400),
        (f"{ONE_CLICK}&{ONE_CLICK}", "token", FORM, 400),  # a name twice
        (f"{ONE_CLICK}&other=1", "token", FORM, 400),
        ("%ff=%fe", "token", FORM, 400),  # not UTF-8
        (ONE_CLICK, None, FORM, 401),  # the one-click form without its token
        ({"token": "TOKEN"}, "token", "application/json", 400),  # the token in two places
        ({}, None, "application/json", 401),  # no token at all: a link cut short
        ({"token": 42}, None, "application/json", 401),
        ({"token": "TOKEN", "reminders": True}, None, "application/json", 400),
        ("not json", None, "application/json", 400),
        ("token=TOKEN", None, "text/plain", 415),
        ({"token": "TOKEN", "pad": "x" * 20_000}, None, "application/json", 413),
    ],
)
def test_malformed_unsubscribe_requests_change_nothing(
    two, store, settings, body, query, content_type, status
):
    customer, _ = two
    token = reminder_links.token_for(customer.customer_id, settings)
    before = profile(store, customer.customer_id)
    if isinstance(body, dict) and body.get("token") == "TOKEN":
        body = {**body, "token": token}
    elif isinstance(body, str):
        body = body.replace("TOKEN", token)

    answer = unsubscribe(body, query={"token": token} if query else None, content_type=content_type)

    assert answer["statusCode"] == status, answer
    assert set(body_of(answer)) == {"error"}
    assert profile(store, customer.customer_id) == before


def test_a_get_of_the_link_changes_nothing(two, store, settings):
    # given a customer's one-click URL, fetched with GET (a mail scanner prefetching links)
    customer, _ = two
    token = reminder_links.token_for(customer.customer_id, settings)
    before = profile(store, customer.customer_id)

    answer = unsubscribe(None, query={"token": token}, method="GET", content_type="text/html")

    # then no route answers it, and reminders are still on
    assert answer["statusCode"] == 404
    assert profile(store, customer.customer_id) == before


# ---------------------------------------------------------------- the choice survives purchases
def test_a_later_purchase_keeps_the_choice(two, store, settings, clock):
    # given a customer who turned reminders off through the link
    customer, _ = two
    revision = profile(store, customer.customer_id).get("revision", 0)
    unsubscribe({"token": reminder_links.token_for(customer.customer_id, settings)})
    # (the write moves the profile's revision on, so a purchase built from an older read of the
    # profile fails its condition and is built again from this one)
    assert profile(store, customer.customer_id)["revision"] == revision + 1

    # when they buy again (the webhook rewrites their profile)
    order = fs.order_completed(email=customer.email, skus=["S1Y-T-ENT-10"], at=FIXED_NOW)
    assert deliver(order)["statusCode"] == 200

    # then reminders stay off
    stored = profile(store, customer.customer_id)
    assert stored["revision"] == revision + 2
    assert stored["reminders"] is False
    assert body_of(preferences(sign_in(customer))) == {"reminders": False}


# ---------------------------------------------------------------- DynamoDB round trips
def test_each_preference_call_is_the_fewest_round_trips(two, settings, calls):
    # given a signed-in customer and their link
    customer, _ = two
    token = sign_in(customer)
    link = reminder_links.token_for(customer.customer_id, settings)
    budgets = {
        "read": (lambda: preferences(token), ["UpdateItem", "GetItem"]),
        "choose": (lambda: preferences(token, False), ["UpdateItem", "UpdateItem"]),
        "unsubscribe": (lambda: unsubscribe({"token": link}), ["UpdateItem"]),
        "forged link": (lambda: unsubscribe({"token": link[:-1]}), []),
        "no session": (lambda: preferences(None, False), []),
    }
    for name, (request, operations) in budgets.items():
        calls.clear()
        request()
        # then the session touch (signed-in calls) and one profile read or write; nothing for a
        # request that is refused before it reaches a customer
        assert calls.operations == operations, name
