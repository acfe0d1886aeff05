"""The customer's records in the data layer (portal.data.records), over moto: one function pages
licenses and supports, one reads a record the customer owns, and the orders page carries the
profile on its first page only. Each is one DynamoDB call examining only what it returns."""

from __future__ import annotations

import pytest

from portal.data import keys, records
from portal.data.cursors import PageQuery
from portal.errors import InvalidCursor, NotFound


def asked(limit: int, cursor: str | None = None) -> PageQuery:
    """The query string of a list, parsed as the edge parses it."""
    return PageQuery.parse({"limit": str(limit), **({"cursor": cursor} if cursor else {})})


def demo_customer(store) -> str:
    item = store.get(keys.email_lookup("demo@example.com"))
    return str(item["customerId"])


@pytest.mark.parametrize("kind,total", [(records.LICENSES, 5), (records.SUPPORTS, 7)])
def test_page_of_serves_licenses_and_supports_one_query_each(seeded, store, calls, kind, total):
    # given the demo customer's records
    customer = demo_customer(store)
    seen: list[str] = []
    cursor = None
    # when every page of 3 is read, following the cursor
    while True:
        calls.clear()
        page = records.page_of(store, kind, customer, asked(3, cursor), dict)
        # then each page is one Query that examined exactly what it returned (limit + 1 at most)
        assert calls.operations == ["Query"]
        assert all(scanned == count <= 4 for scanned, count in calls.query_counts)
        seen += [item[kind.id_field] for item in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    # and the pages together hold every record once, all of that kind
    assert len(seen) == len(set(seen)) == total


def test_owned_record_answers_not_found_for_a_malformed_id_without_a_call(seeded, store, calls):
    # given a malformed id and another customer's real license id
    customer = demo_customer(store)
    other = str(store.get(keys.email_lookup("ana.mueller@example.de"))["customerId"])
    theirs = records.page_of(store, records.LICENSES, other, asked(1), dict).items[0]
    calls.clear()
    # when either is asked for under the demo customer, then NotFound (the malformed: no call)
    with pytest.raises(NotFound):
        records.owned_record(store, records.LICENSES, customer, "../PROFILE")
    assert calls.operations == []
    with pytest.raises(NotFound):
        records.owned_record(store, records.LICENSES, customer, theirs["licenseId"])
    assert calls.operations == ["GetItem"]


def test_orders_page_carries_the_profile_on_the_first_page_only(seeded, store, calls):
    # given the demo customer's six orders
    customer = demo_customer(store)
    calls.clear()
    # when the first page of 4 and then the next are read
    first = records.orders_page(store, customer, asked(4))
    second = records.orders_page(store, customer, asked(4, first.next_cursor))
    # then one Query each, the profile only on the first, and six distinct orders newest first
    assert calls.operations == ["Query", "Query"]
    assert first.profile is not None and first.profile["sk"] == keys.PROFILE_SK
    assert second.profile is None and second.next_cursor is None
    placed = [order["placedAt"] for order in first.orders + second.orders]
    assert len(set(placed)) == 6 and placed == sorted(placed, reverse=True)


def test_a_licenses_cursor_is_refused_by_the_orders_page(seeded, store):
    # given a cursor of the licenses page, when it is used on the orders page, then InvalidCursor
    customer = demo_customer(store)
    cursor = records.page_of(store, records.LICENSES, customer, asked(1), dict)
    with pytest.raises(InvalidCursor):
        records.orders_page(store, customer, asked(4, cursor.next_cursor))
