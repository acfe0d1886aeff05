"""The customer's records in the data layer (portal.data.records), over moto: one function pages
licenses and supports, one reads a record the customer owns, and the orders page carries the
profile on its first page only. Each is one DynamoDB call examining only what it returns.

Each test makes the customers it needs (tests/factories.py)."""

from __future__ import annotations

import pytest

from portal import dependencies
from portal.data import keys, records
from portal.data.cursors import PageQuery
from portal.errors import InvalidCursor, NotFound
from tests.factories import OrderSpec

ENTERPRISE_10 = ("TSplus", "Enterprise", 10)  # a license: software, edition, users
SUPPORT_10 = (*ENTERPRISE_10, 1)  # its one-year support


@pytest.fixture
def cursors(aws):
    """The cursors' seal the handlers use (the local key of local/aws.py DEV_SECRETS)."""
    return dependencies.cursors()


def asked(limit: int, cursor: str | None = None) -> PageQuery:
    """The query string of a list, parsed as the edge parses it."""
    return PageQuery.parse({"limit": str(limit), **({"cursor": cursor} if cursor else {})})


@pytest.mark.parametrize(
    "kind,licenses,supports",
    [(records.LICENSES, 5, 7), (records.SUPPORTS, 5, 7), (records.LICENSES, 6, 2)],
    ids=["licenses", "supports", "licenses-exact-pages"],
)
def test_page_of_serves_licenses_and_supports_one_query_each(
    make_customer, calls, store, cursors, kind, licenses, supports
):
    # given a customer with licenses and supports
    customer = make_customer(licenses=[ENTERPRISE_10] * licenses, supports=[SUPPORT_10] * supports)
    made = customer.license_ids if kind is records.LICENSES else customer.support_ids
    seen: list[str] = []
    cursor, pages = None, 0
    # when every page of 3 of one kind is read, following the cursor
    while True:
        calls.clear()
        page = records.page_of(
            store, kind, customer.customer_id, asked(3, cursor), dict, cursors=cursors
        )
        # then each page is one Query that examined exactly what it returned (limit + 1 at most)
        assert calls.operations == ["Query"]
        assert all(scanned == count <= 4 for scanned, count in calls.query_counts)
        seen += [item[kind.id_field] for item in page.items]
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    # and the pages together hold every record of that kind once, newest (last made) first,
    # with no empty page at the end
    assert len(seen) == len(set(seen)) == len(made)
    assert seen == made[::-1]
    assert pages == -(-len(made) // 3)


def test_owned_record_answers_not_found_for_a_malformed_id_without_a_call(
    make_customer, store, calls
):
    # given a customer, a malformed id and another customer's real license id
    customer = make_customer(licenses=[ENTERPRISE_10])
    other = make_customer(licenses=[ENTERPRISE_10])
    theirs = other.license_ids[0]
    assert records.owned_record(store, records.LICENSES, other.customer_id, theirs) is not None
    calls.clear()
    # when either is asked for under the first customer, then NotFound (the malformed: no call)
    with pytest.raises(NotFound):
        records.owned_record(store, records.LICENSES, customer.customer_id, "../PROFILE")
    assert calls.operations == []
    with pytest.raises(NotFound):
        records.owned_record(store, records.LICENSES, customer.customer_id, theirs)
    assert calls.operations == ["GetItem"]


def test_orders_page_carries_the_profile_on_the_first_page_only(
    make_customer, store, calls, cursors
):
    # given a customer with six orders
    customer = make_customer(orders=[OrderSpec(licenses=[ENTERPRISE_10])] * 6)
    calls.clear()
    # when the first page of 4 and then the next are read
    first = records.orders_page(store, customer.customer_id, asked(4), cursors=cursors)
    second = records.orders_page(
        store, customer.customer_id, asked(4, first.next_cursor), cursors=cursors
    )
    # then one Query each, the profile only on the first, and the six orders newest first
    assert calls.operations == ["Query", "Query"]
    assert first.profile is not None and first.profile["sk"] == keys.PROFILE_SK
    assert second.profile is None and second.next_cursor is None
    placed = [order["placedAt"] for order in first.orders + second.orders]
    assert len(set(placed)) == 6 and placed == sorted(placed, reverse=True)
    references = [order["reference"] for order in first.orders + second.orders]
    assert references == customer.order_numbers[::-1]


def test_a_licenses_cursor_is_refused_by_the_orders_page(make_customer, store, cursors):
    # given a customer with two licenses and the cursor of their first licenses page
    customer = make_customer(licenses=[ENTERPRISE_10] * 2)
    cursor = records.page_of(
        store, records.LICENSES, customer.customer_id, asked(1), dict, cursors=cursors
    )
    assert cursor.next_cursor is not None
    # when it is used on the orders page, then InvalidCursor
    with pytest.raises(InvalidCursor):
        records.orders_page(
            store, customer.customer_id, asked(4, cursor.next_cursor), cursors=cursors
        )
