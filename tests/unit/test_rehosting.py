"""The customer manages a license's computer from the portal (API.md "Licenses"): release with
the rehost limit (REHOSTS_PER_YEAR per 12 months, `error.availableOn`), the history, offline
activation; session and Origin like every browser call; another customer's id is 404."""

from __future__ import annotations

import json

from portal import base64url
from tests.support import (
    ORIGIN,
    activate,
    body_of,
    download,
    manage_license,
    refresh,
    sign_in,
)

BOUND = ("TSplus", "Enterprise", 10, None, "SRV-A")  # bound to SRV-A (id and name)
FREE = ("TSplus", "Enterprise", 10)
OFFLINE = {"computerId": "SRV-OFFLINE-07", "computerName": "Offline server (basement)"}


def code_of(response: dict) -> tuple[int, str]:
    return response["statusCode"], body_of(response)["error"]["code"]


def payload_of(license_file: str) -> dict:
    return json.loads(base64url.decode(json.loads(license_file)["payload"]))


# ---------------------------------------------------------------- release and the rehost limit
def test_release_unbinds_the_license(make_customer, clock):
    # given a license bound to SRV-A
    customer = make_customer(licenses=[BOUND])
    token = sign_in(customer)
    license_id = customer.license_ids[0]
    # when the customer releases it
    response = manage_license("release", token, license_id)
    # then it answers the license with no computer, and the product on SRV-A is told it moved
    assert response["statusCode"] == 200
    released = body_of(response)
    assert (released["id"], released["computerId"], released["computerName"]) == (
        license_id,
        None,
        None,
    )
    assert code_of(refresh(customer.activation_key, "SRV-A")) == (409, "license_moved")
    # and a second release is 409 not_activated
    assert code_of(manage_license("release", token, license_id)) == (409, "not_activated")


def test_the_fourth_release_in_twelve_months_is_refused_until_the_first_frees_up(
    make_customer, clock
):
    # given a license released three times, a month apart (re-activated in between)
    customer = make_customer(licenses=[BOUND])
    token = sign_in(customer)
    license_id = customer.license_ids[0]
    for n in range(3):
        assert manage_license("release", token, license_id)["statusCode"] == 200
        assert activate(customer.activation_key, f"SRV-{n}")["statusCode"] == 200
        clock.advance(days=30)
        token = sign_in(customer)  # a new session (sessions last 12 hours)
    # when it is released a fourth time
    response = manage_license("release", token, license_id)
    # then 409 rehost_limit_reached, naming the day the first release frees up
    assert code_of(response) == (409, "rehost_limit_reached")
    assert body_of(response)["error"]["availableOn"] == "2027-11-27"
    assert set(body_of(response)["error"]) == {"code", "message", "availableOn"}
    # and still bound where it was
    assert refresh(customer.activation_key, "SRV-2")["statusCode"] == 200
    # when the clock reaches that day, then the release goes through
    clock.advance(days=365 - 90)
    token = sign_in(customer)
    assert manage_license("release", token, license_id)["statusCode"] == 200


def test_the_rehost_limit_comes_from_the_settings(make_customer, clock, monkeypatch):
    from portal import dependencies

    monkeypatch.setenv("REHOSTS_PER_YEAR", "1")
    dependencies.reset()
    customer = make_customer(licenses=[BOUND])
    token = sign_in(customer)
    assert manage_license("release", token, customer.license_ids[0])["statusCode"] == 200
    activate(customer.activation_key, "SRV-B")
    assert code_of(manage_license("release", token, customer.license_ids[0]))[1] == (
        "rehost_limit_reached"
    )


def test_release_needs_the_session_and_the_portals_origin(make_customer, clock):
    customer = make_customer(licenses=[BOUND])
    token = sign_in(customer)
    license_id = customer.license_ids[0]
    assert manage_license("release", None, license_id)["statusCode"] == 401
    forged = manage_license("release", token, license_id, origin="https://evil.example")
    assert forged["statusCode"] == 403
    missing = manage_license("release", token, license_id, origin=None)
    assert missing["statusCode"] == 403
    # and nothing was released
    assert refresh(customer.activation_key, "SRV-A")["statusCode"] == 200
    assert manage_license("release", token, license_id, origin=ORIGIN)["statusCode"] == 200


def test_another_customers_license_is_404_like_a_missing_one(make_customer, clock):
    owner = make_customer(licenses=[BOUND])
    other = sign_in(make_customer(licenses=[FREE]))
    theirs = owner.license_ids[0]
    missing = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
    for action, body in (("release", None), ("history", None), ("activate", OFFLINE)):
        answers = [manage_license(action, other, lid, body) for lid in (theirs, missing)]
        assert [a["statusCode"] for a in answers] == [404, 404], action
        assert answers[0]["body"] == answers[1]["body"]
        assert manage_license(action, other, "..%2FPROFILE", body)["statusCode"] == 404
    # and the owner's license is untouched
    assert refresh(owner.activation_key, "SRV-A")["statusCode"] == 200


# ---------------------------------------------------------------- history
def test_history_lists_binds_and_releases_newest_first_paginated(make_customer, clock):
    # given a free license activated on SRV-A, released, activated on SRV-B
    customer = make_customer(licenses=[FREE])
    token = sign_in(customer)
    license_id = customer.license_ids[0]
    activate(customer.activation_key, "SRV-A", computer_name="Lyon office")
    clock.advance(minutes=1)
    manage_license("release", token, license_id)
    clock.advance(minutes=1)
    activate(customer.activation_key, "SRV-B", computer_name="Paris office")
    # when the history is read two at a time
    first = body_of(manage_license("history", token, license_id, query={"limit": "2"}))
    second = body_of(
        manage_license(
            "history", token, license_id, query={"limit": "2", "cursor": first["nextCursor"]}
        )
    )
    # then three entries, newest first, each with its time and computer
    entries = first["items"] + second["items"]
    assert second["nextCursor"] is None
    assert entries == [
        {
            "at": "2026-11-27T09:02:00Z",
            "event": "activated",
            "computerId": "SRV-B",
            "computerName": "Paris office",
        },
        {
            "at": "2026-11-27T09:01:00Z",
            "event": "released",
            "computerId": "SRV-A",
            "computerName": "Lyon office",
        },
        {
            "at": "2026-11-27T09:00:00Z",
            "event": "activated",
            "computerId": "SRV-A",
            "computerName": "Lyon office",
        },
    ]


def test_a_never_activated_license_has_an_empty_history(make_customer, clock):
    customer = make_customer(licenses=[FREE])
    response = manage_license("history", sign_in(customer), customer.license_ids[0])
    assert response["statusCode"] == 200
    assert body_of(response) == {"items": [], "nextCursor": None}


def test_a_history_cursor_works_only_for_its_license_and_customer(make_customer, clock):
    # given a customer with two licenses, each activated, released and activated again, and
    # the cursor of the first license's first history page
    customer = make_customer(licenses=[FREE, FREE])
    token = sign_in(customer)
    first_id, second_id = customer.license_ids
    for license_id, computer in ((first_id, "SRV-A"), (second_id, "SRV-B")):
        activate(customer.activation_key, computer, license_id=license_id)
        clock.advance(minutes=1)
        manage_license("release", token, license_id)
        clock.advance(minutes=1)
        activate(customer.activation_key, computer, license_id=license_id)
    page = body_of(manage_license("history", token, first_id, query={"limit": "1"}))
    cursor = page["nextCursor"]
    assert cursor is not None
    more = {"limit": "1", "cursor": cursor}
    assert manage_license("history", token, first_id, query=more)["statusCode"] == 200

    # when it is used for the second license, or by another customer for the first, then 400
    other = sign_in(make_customer())
    for who, license_id in ((token, second_id), (other, first_id)):
        response = manage_license("history", who, license_id, query=more)
        assert response["statusCode"] == 400
        assert body_of(response)["error"]["code"] == "invalid_cursor"


def test_a_bad_history_cursor_is_400(make_customer, clock):
    customer = make_customer(licenses=[FREE])
    token = sign_in(customer)
    for cursor in ("garbage", "eyJhZnRlciI6ICIuLi8uLiJ9"):
        response = manage_license(
            "history", token, customer.license_ids[0], query={"cursor": cursor}
        )
        assert response["statusCode"] == 400


# ---------------------------------------------------------------- offline activation
def test_offline_activation_binds_and_hands_over_a_long_lived_file(make_customer, clock):
    # given a free license
    customer = make_customer(licenses=[FREE])
    token = sign_in(customer)
    license_id = customer.license_ids[0]
    # when the customer activates it offline for a server without internet
    response = manage_license("activate", token, license_id, OFFLINE)
    # then the license is bound to that server and its file says so, valid for a year
    assert response["statusCode"] == 200, response
    answer = body_of(response)
    assert answer["license"]["computerId"] == "SRV-OFFLINE-07"
    assert answer["license"]["computerName"] == "Offline server (basement)"
    payload = payload_of(answer["licenseFile"])
    assert payload["license"]["computerId"] == "SRV-OFFLINE-07"
    assert payload["expiresAt"] == "2027-11-27T09:00:00Z"
    # and again for the same server: the same binding; for another: 409 license_in_use
    again = body_of(manage_license("activate", token, license_id, OFFLINE))
    assert again["license"] == answer["license"]
    other = {"computerId": "SRV-OTHER", "computerName": "Other"}
    assert code_of(manage_license("activate", token, license_id, other)) == (
        409,
        "license_in_use",
    )
    # and the product on another computer finds no free license
    assert code_of(activate(customer.activation_key, "SRV-X")) == (409, "no_license_available")
    # and the file downloads now
    assert download("licenses", token, license_id)["statusCode"] == 200


def test_offline_activation_checks_its_input_and_origin(make_customer, clock):
    customer = make_customer(licenses=[FREE])
    token = sign_in(customer)
    license_id = customer.license_ids[0]
    for body in (
        {"computerId": "SRV A", "computerName": "x"},
        {"computerId": "x" * 129, "computerName": "x"},
        {"computerId": "SRV-A", "computerName": "tab\there"},
        {"computerId": "SRV-A"},
        {"computerId": "SRV-A", "computerName": "x", "extra": 1},
    ):
        assert manage_license("activate", token, license_id, body)["statusCode"] == 400, body
    evil = manage_license("activate", token, license_id, OFFLINE, origin="https://evil.example")
    assert evil["statusCode"] == 403
    assert refresh(customer.activation_key, "SRV-OFFLINE-07")["statusCode"] == 409


# ---------------------------------------------------------------- call counts
def test_portal_license_calls_are_one_session_read_and_at_most_two_more(
    make_customer, clock, calls
):
    customer = make_customer(licenses=[FREE])
    token = sign_in(customer)
    license_id = customer.license_ids[0]
    for action, body, expected in (
        ("activate", OFFLINE, ["UpdateItem", "GetItem", "TransactWriteItems"]),
        ("history", None, ["UpdateItem", "Query"]),
        ("release", None, ["UpdateItem", "GetItem", "TransactWriteItems"]),
    ):
        calls.clear()
        assert manage_license(action, token, license_id, body)["statusCode"] == 200
        assert calls.operations == expected, action
