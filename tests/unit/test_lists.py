"""Licenses and supports per API.md: the guide's rows, pagination, isolation between customers.

The guide's two customers (the demo data) are used where the point is what the guide shows;
pagination, isolation and the rest make the customers they need (tests/factories.py)."""

from __future__ import annotations

import base64
import json

import pytest

from tests.factories import OrderSpec
from tests.support import (
    DEMO,
    DEMO_ORDER,
    DEMO_SUPPORT_SERIALS,
    SECOND,
    SECOND_LICENSE_SERIALS,
    body_of,
    call,
    event,
    invoke,
    sign_in,
)

ENTERPRISE_10 = ("TSplus", "Enterprise", 10)  # a license: software, edition, users
SUPPORT_10 = (*ENTERPRISE_10, 1)  # its one-year support


# ---------------------------------------------------------------- the guide's rows
def test_the_guides_five_licenses_newest_first(seeded):
    # given the guide's customer (the point: the guide's license rows)
    token = sign_in(DEMO)

    # when they list their licenses
    page = body_of(call("list_licenses", token))

    # then the guide's five rows, each bound to its computer, after the never-activated
    # reseller license (P88), newest first, on one page
    rows = [
        (r["software"], r["serialNumber"], r["users"], r["edition"], r["computerId"])
        for r in page["items"]
    ]
    assert rows == [
        ("TSplus", "P88", 5, "Enterprise", None),
        ("TSplus", "P30", 3, "Enterprise", "LAPTOP-CM-03"),
        ("TSplus", "P65", 10, "Enterprise", "PARIS-RDS-01"),
        ("TSplus", "P24", 25, "Enterprise", "LYON-FARM-01"),
        ("TSplus", "P6E", 10, "Enterprise", "LYON-TS-2017"),
        ("TSplus", "P62", 5, "Enterprise", "LYON-TS-2016"),
    ]
    assert [r["computerName"] for r in page["items"]] == [row[4] for row in rows]
    assert page["nextCursor"] is None
    p62 = page["items"][-1]
    assert p62["orderNumber"] == DEMO_ORDER
    assert p62["purchasedOn"] == "2016-09-30"
    assert p62["days"] is None
    # its support is the P62 support that runs longest: its id is the one the View link downloads
    p62_supports = [
        sup
        for sup in body_of(call("list_supports", token))["items"]
        if sup["serialNumber"] == "P62"
    ]
    longest = max(p62_supports, key=lambda sup: sup["expiresOn"])
    assert p62["support"] == {"id": longest["id"], "until": "2017-09-30", "fileAvailable": True}
    assert page["items"][4]["support"] is None  # P6E: no support ("X" in the guide)
    assert set(p62) == {
        "id",
        "software",
        "serialNumber",
        "computerId",
        "computerName",
        "days",
        "users",
        "edition",
        "orderNumber",
        "purchasedOn",
        "support",
        "upgradable",
    }


def test_the_guides_seven_supports(seeded):
    # given the guide's customer (the point: the guide's support rows)
    token = sign_in(DEMO)

    # when they list their supports
    page = body_of(call("list_supports", token))

    # then the guide's seven rows, newest first; the two bought on 2026-06-03 (PF3, P65) may
    # come in either order
    rows = [(r["serialNumber"], r["users"], r["durationYears"]) for r in page["items"]]
    assert sorted(rows[:2]) == [("P65", 10, 1), ("PF3", 25, 1)]
    assert rows[2:] == [("P30", 3, 3), ("P65", 10, 1), ("P24", 25, 2), ("P24", 5, 1), ("P62", 5, 1)]
    assert len(rows) == 7
    assert sorted(serial for serial, _, _ in rows) == DEMO_SUPPORT_SERIALS
    dates = [r["purchasedOn"] for r in page["items"]]
    assert dates == sorted(dates, reverse=True)
    p24 = next(r for r in page["items"] if r["durationYears"] == 2)
    assert (p24["purchasedOn"], p24["expiresOn"]) == ("2018-11-06", "2020-11-06")


def test_second_customer_sees_only_their_own(seeded):
    # given the guide's two customers (the point: the second one's rows, as the guide shows them)
    token = sign_in(SECOND)

    # when the second one lists their licenses
    mine = body_of(call("list_licenses", token))["items"]

    # then only theirs, the Remote Work one upgradable and named after its computer
    assert [r["serialNumber"] for r in mine] == SECOND_LICENSE_SERIALS
    remote = mine[1]
    assert remote["software"] == "Remote Work" and remote["upgradable"] is True
    assert remote["computerName"] == remote["computerId"] == "SRV-TEST-RWORK"
    assert mine[0]["computerId"] is None  # P71: never activated


# ---------------------------------------------------------------- pagination and isolation
@pytest.mark.parametrize(
    "kind,total",
    [("licenses", 5), ("supports", 7), ("licenses", 4)],
    ids=["licenses-odd", "supports-odd", "licenses-exact-pages"],
)
def test_pages_follow_the_cursor_to_the_end(make_customer, kind, total):
    # given a customer with `total` licenses or supports
    customer = make_customer(
        **{kind: [ENTERPRISE_10 if kind == "licenses" else SUPPORT_10] * total}
    )
    made = customer.license_ids if kind == "licenses" else customer.support_ids
    token = sign_in(customer)

    # when they page through them two at a time, following the cursor
    seen, cursor, pages = [], None, 0
    while True:
        query = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = body_of(call(f"list_{kind}", token, query))
        seen += [r["id"] for r in page["items"]]
        pages += 1
        cursor = page["nextCursor"]
        if cursor is None:
            break

    # then they saw each of them once, newest (the last made) first, in ceil(total / 2) pages
    assert len(seen) == len(set(seen)) == total
    assert seen == made[::-1]
    assert pages == (total + 1) // 2


def test_a_cursor_cannot_reach_another_customers_records(make_customer):
    # given a customer with two licenses, and another whose two licenses are older than both
    customer = make_customer(licenses=[ENTERPRISE_10] * 2, placed_at="2025-06-01")
    other = make_customer(licenses=[ENTERPRISE_10] * 2, placed_at="2024-01-01")
    first_page = body_of(call("list_licenses", sign_in(customer), {"limit": "1"}))
    assert first_page["nextCursor"] is not None

    # when the other customer pages with the first customer's cursor
    response = call("list_licenses", sign_in(other), {"cursor": first_page["nextCursor"]})

    # then it is refused as not theirs: 400 invalid_cursor, nothing listed
    assert response["statusCode"] == 400
    assert body_of(response)["error"]["code"] == "invalid_cursor"


@pytest.mark.parametrize(
    "made_by,used_on",
    [
        ("list_licenses", "list_supports"),
        ("list_supports", "list_licenses"),
        ("list_licenses", "list_orders"),
        ("list_orders", "list_licenses"),
    ],
)
def test_a_cursor_of_one_list_is_refused_by_another(make_customer, made_by, used_on):
    # given a customer with two of everything, and the cursor of the first page of one list
    token = sign_in(
        make_customer(
            licenses=[ENTERPRISE_10] * 2,
            supports=[SUPPORT_10] * 2,
            orders=[OrderSpec(licenses=[ENTERPRISE_10])],
        )
    )
    cursor = body_of(call(made_by, token, {"limit": "1"}))["nextCursor"]
    assert cursor is not None

    # when it is used on another list, then 400 invalid_cursor
    response = call(used_on, token, {"cursor": cursor})
    assert response["statusCode"] == 400
    assert body_of(response)["error"]["code"] == "invalid_cursor"


def test_a_cursor_changed_by_one_character_is_refused(make_customer):
    # given a customer's licenses cursor
    token = sign_in(make_customer(licenses=[ENTERPRISE_10] * 3))
    cursor = body_of(call("list_licenses", token, {"limit": "1"}))["nextCursor"]
    assert call("list_licenses", token, {"cursor": cursor})["statusCode"] == 200

    # when any one of its characters is changed, then 400, never another page or a 500
    for i in range(0, len(cursor), 7):
        changed = cursor[:i] + ("B" if cursor[i] != "B" else "C") + cursor[i + 1 :]
        assert call("list_licenses", token, {"cursor": changed})["statusCode"] == 400, i


def forged(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "query",
    [
        {"limit": "0"},
        {"limit": "101"},
        {"limit": "ten"},
        {"cursor": "!!!"},
        {"cursor": "bm90IGpzb24"},
        {"cursor": forged({"after": "../../PROFILE"})},
        {"cursor": forged({"after": "01ARZ3NDEKTSV4RRFFQ69G5FAV", "pk": "CUST#x"})},
        {"cursor": forged(["01ARZ3NDEKTSV4RRFFQ69G5FAV"])},
        {"cursor": "A" * 600},
        {"unknown": "1"},
    ],
)
def test_bad_paging_input_is_400_never_500(make_customer, query):
    # given a signed-in customer with licenses
    token = sign_in(make_customer(licenses=[ENTERPRISE_10] * 2))

    # when they list them with a bad limit, a forged cursor or an unknown parameter, then 400
    response = call("list_licenses", token, query)
    assert response["statusCode"] == 400
    assert body_of(response)["error"]["code"] in {"bad_request", "invalid_cursor"}


# ---------------------------------------------------------------- the profile
def test_me_shows_an_activation_key_of_at_least_80_bits_in_groups_of_four(make_customer):
    # given a signed-in customer
    token = sign_in(make_customer())

    # when they read their profile
    body = body_of(call("me", token))

    # then it shows an activation key of five groups of four (at least 80 bits), and no more
    groups = body["activationKey"].split("-")
    assert len(groups) == 5 and all(len(g) == 4 for g in groups)
    assert len("".join(groups)) * 5 >= 80
    assert set(body) == {"email", "name", "language", "activationKey"}


def test_activation_keys_are_stored_only_hashed_or_sealed(make_customer, store):
    # given a signed-in customer who read their activation key
    body = body_of(call("me", sign_in(make_customer())))

    # when the whole table is read (test-only inspection)
    raw = repr(store.client.scan(TableName=store.table_name)["Items"])

    # then the key is nowhere in it, with or without its dashes
    assert body["activationKey"] not in raw
    assert body["activationKey"].replace("-", "") not in raw


def test_lists_need_a_session(make_customer):
    # given a customer with a license and a support
    make_customer(licenses=[ENTERPRISE_10], supports=[SUPPORT_10])

    # when the lists and the profile are asked for without a session, then 401
    for name in ("list_licenses", "list_supports", "me"):
        response = invoke(name, event(name, token=None))
        assert response["statusCode"] == 401
