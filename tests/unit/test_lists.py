"""Licenses and supports per API.md: the guide's rows, pagination, isolation between customers."""

from __future__ import annotations

import base64
import json

import pytest

from tests.support import body_of, event, invoke, session_token

DEMO = {"email": "demo@example.com", "orderNumber": "JWT160930-9510-42210"}
SECOND = {"email": "ana.mueller@example.de", "orderNumber": "JWT241105-4410-77215"}


def sign_in(who: dict) -> str:
    return session_token(invoke("login", event("login", body=who)))


def get(name: str, token: str, query: dict | None = None) -> dict:
    return invoke(name, event(name, token=token, query=query if query is not None else {}))


def test_the_guides_five_licenses_newest_first(seeded):
    page = body_of(get("list_licenses", sign_in(DEMO)))
    rows = [(r["software"], r["serialNumber"], r["users"], r["edition"]) for r in page["items"]]
    assert rows == [
        ("TSplus", "P30", 3, "Enterprise"),
        ("TSplus", "P65", 10, "Enterprise"),
        ("TSplus", "P24", 25, "Enterprise"),
        ("TSplus", "P6E", 10, "Enterprise"),
        ("TSplus", "P62", 5, "Enterprise"),
    ]
    assert page["nextCursor"] is None
    p62 = page["items"][-1]
    assert p62["orderNumber"] == "JWT160930-9510-42210"
    assert p62["purchasedOn"] == "2016-09-30"
    assert p62["days"] is None
    assert p62["support"] == {"until": "2017-09-30", "fileAvailable": True}
    assert page["items"][3]["support"] is None  # P6E: no support ("X" in the guide)
    assert set(p62) == {
        "id",
        "software",
        "serialNumber",
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
    page = body_of(get("list_supports", sign_in(DEMO)))
    rows = [(r["serialNumber"], r["users"], r["durationYears"]) for r in page["items"]]
    # newest first; the two bought on 2026-06-03 (PF3, P65) may come in either order
    assert sorted(rows[:2]) == [("P65", 10, 1), ("PF3", 25, 1)]
    assert rows[2:] == [("P30", 3, 3), ("P65", 10, 1), ("P24", 25, 2), ("P24", 5, 1), ("P62", 5, 1)]
    assert len(rows) == 7
    dates = [r["purchasedOn"] for r in page["items"]]
    assert dates == sorted(dates, reverse=True)
    p24 = next(r for r in page["items"] if r["durationYears"] == 2)
    assert (p24["purchasedOn"], p24["expiresOn"]) == ("2018-11-06", "2020-11-06")


@pytest.mark.parametrize("name,total", [("list_licenses", 5), ("list_supports", 7)])
def test_pages_follow_the_cursor_to_the_end(seeded, name, total):
    token = sign_in(DEMO)
    seen, cursor, pages = [], None, 0
    while True:
        query = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = body_of(get(name, token, query))
        seen += [r["id"] for r in page["items"]]
        pages += 1
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == total
    assert pages == (total + 1) // 2


def test_second_customer_sees_only_their_own(seeded):
    mine = body_of(get("list_licenses", sign_in(SECOND)))["items"]
    assert [r["serialNumber"] for r in mine] == ["P71", "999999"]
    remote = mine[1]
    assert remote["software"] == "Remote Work" and remote["upgradable"] is True
    assert remote["computerName"] == "SRV-TEST-RWORK"


def test_a_cursor_cannot_reach_another_customers_records(seeded):
    demo_page = body_of(get("list_licenses", sign_in(DEMO), {"limit": "1"}))
    theirs = body_of(get("list_licenses", sign_in(SECOND), {"cursor": demo_page["nextCursor"]}))
    assert all(r["serialNumber"] in {"P71", "999999"} for r in theirs["items"])


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
def test_bad_paging_input_is_400_never_500(seeded, query):
    response = get("list_licenses", sign_in(DEMO), query)
    assert response["statusCode"] == 400
    assert body_of(response)["error"]["code"] in {"bad_request", "invalid_cursor"}


def test_me_shows_an_activation_key_of_at_least_80_bits_in_groups_of_four(seeded):
    body = body_of(invoke("me", event("me", token=sign_in(DEMO))))
    groups = body["activationKey"].split("-")
    assert len(groups) == 5 and all(len(g) == 4 for g in groups)
    assert len("".join(groups)) * 5 >= 80
    assert set(body) == {"email", "name", "language", "activationKey"}


def test_activation_keys_are_stored_only_hashed_or_sealed(seeded, store):
    body = body_of(invoke("me", event("me", token=sign_in(DEMO))))
    raw = repr(store.client.scan(TableName=store.table_name)["Items"])  # test-only inspection
    assert body["activationKey"] not in raw
    assert body["activationKey"].replace("-", "") not in raw


def test_lists_need_a_session(seeded):
    for name in ("list_licenses", "list_supports", "me"):
        response = invoke(name, event(name, token=None))
        assert response["statusCode"] == 401
