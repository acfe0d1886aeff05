"""The customer factory (tests/factories.py) writes what the webhook writes: a customer who signs
in, sees exactly the purchases made for them, and whose orders behave like FastSpring's."""

from __future__ import annotations

from datetime import date

from local import fastspring as fs
from portal.data import keys
from tests.factories import LicenseSpec, OrderSpec, SupportSpec
from tests.support import FIXED_NOW, body_of, call, deliver, listed, order_detail, sign_in


def test_a_customer_in_one_line_signs_in_and_sees_exactly_their_purchases(make_customer):
    # given a customer with one license and its support
    customer = make_customer(
        licenses=[("TSplus", "Enterprise", 10)], supports=[("TSplus", "Enterprise", 10, 1)]
    )

    # when they sign in with their email and order number
    token = sign_in(customer)

    # then they see that license and that support, bound by serial, and their activation key
    licenses, supports = listed("licenses", token), listed("supports", token)
    assert [lic["id"] for lic in licenses] == customer.license_ids
    assert [sup["id"] for sup in supports] == customer.support_ids
    (lic,), (sup,) = licenses, supports
    assert (lic["software"], lic["edition"], lic["users"]) == ("TSplus", "Enterprise", 10)
    assert (sup["users"], sup["durationYears"]) == (10, 1)
    assert sup["serialNumber"] == lic["serialNumber"]
    assert lic["support"] == {"id": sup["id"], "until": sup["expiresOn"], "fileAvailable": True}
    assert lic["orderNumber"] == sup["orderNumber"] == customer.order_number
    me = body_of(call("me", token))
    assert me["email"] == customer.email
    assert me["activationKey"] == customer.activation_key


def test_purchases_default_to_the_clocks_now_and_supports_run_from_that_day(make_customer, clock):
    # given the clock at FIXED_NOW and a three-year support bought with its license
    customer = make_customer(
        licenses=[LicenseSpec(users=5)], supports=[SupportSpec(users=5, years=3)]
    )

    # when the customer lists them
    token = sign_in(customer)
    (lic,), (sup,) = listed("licenses", token), listed("supports", token)

    # then both were bought today and the support ends three years later to the day
    assert lic["purchasedOn"] == sup["purchasedOn"] == FIXED_NOW.date().isoformat()
    assert sup["expiresOn"] == date(FIXED_NOW.year + 3, FIXED_NOW.month, FIXED_NOW.day).isoformat()


def test_orders_are_placed_as_given_and_listed_newest_first(make_customer):
    # given a customer with two orders on given days, the second in dollars
    customer = make_customer(
        orders=[
            OrderSpec(licenses=[("TSplus", "Enterprise", 5)], placed_at="2024-03-01"),
            OrderSpec(licenses=[("Remote Work", None, 3)], placed_at="2025-07-14", currency="USD"),
        ]
    )

    # when they open the orders page and the older order's details
    token = sign_in(customer)
    page = body_of(call("list_orders", token))
    older = customer.order_numbers[0]
    detail = body_of(order_detail(token, older))

    # then both orders are there, newest first, priced as FastSpring's stand-in prices them
    assert [o["reference"] for o in page["items"]] == customer.order_numbers[::-1]
    assert [(o["date"], o["total"]) for o in page["items"]] == [
        ("2025-07-14", {"amount": str(fs.list_price("RW-3")), "currency": "USD"}),
        ("2024-03-01", {"amount": str(fs.list_price("T-ENT-5")), "currency": "EUR"}),
    ]
    assert [i["sku"] for i in detail["items"]] == ["T-ENT-5"]
    assert page["billing"]["date"] == "2024-03-01"
    assert [lic["software"] for lic in listed("licenses", token)] == ["Remote Work", "TSplus"]


def test_within_an_order_later_entries_are_listed_first(make_customer):
    # given three licenses in one order
    customer = make_customer(licenses=[("TSplus", "Enterprise", n) for n in (1, 2, 3)])

    # when listed, then newest first: the last given first
    users = [lic["users"] for lic in listed("licenses", sign_in(customer))]
    assert users == [3, 2, 1]


def test_two_customers_are_isolated_and_get_distinct_emails_and_keys(make_customer):
    # given two customers made without an email
    first = make_customer(licenses=[("TSplus", "Enterprise", 10)])
    second = make_customer(licenses=[("TSplus", "Enterprise", 10)])

    # then they are different people who see only their own license
    assert first.email != second.email
    assert first.activation_key != second.activation_key
    assert [lic["id"] for lic in listed("licenses", sign_in(first))] == first.license_ids
    assert [lic["id"] for lic in listed("licenses", sign_in(second))] == second.license_ids


def test_a_refund_from_fastspring_revokes_what_a_factory_order_granted(make_customer, store):
    # given a factory-made order of a license and its support
    customer = make_customer(
        licenses=[("TSplus", "Enterprise", 10)], supports=[("TSplus", "Enterprise", 10, 1)]
    )

    # when FastSpring refunds the support line only
    refund = fs.return_created(reference=customer.order_number, skus=["S1Y-T-ENT-10"])
    response = deliver(refund)

    # then the support is gone, the license stays without support, as for a webhook order
    assert response["statusCode"] == 200
    token = sign_in(customer)
    assert listed("supports", token) == []
    (lic,) = listed("licenses", token)
    assert lic["id"] == customer.license_ids[0] and lic["support"] is None
    revoked = store.get(
        {
            "pk": keys.customer_pk(customer.customer_id),
            "sk": "REVOKED#SUP#" + customer.support_ids[0],
        }
    )
    assert revoked is not None


def test_records_have_the_same_shape_as_the_webhooks(make_customer, store):
    # given one license and support made by the factory and the same bought through the webhook
    made = make_customer(
        licenses=[("TSplus", "Enterprise", 10)], supports=[("TSplus", "Enterprise", 10, 1)]
    )
    order = fs.order_completed(email="webhook@example.com", skus=["T-ENT-10", "S1Y-T-ENT-10"])
    assert deliver(order)["statusCode"] == 200
    bought = sign_in({"email": "webhook@example.com", "orderNumber": order["data"]["reference"]})

    # when both are read back from the table
    def stored(customer_id: str, reference: str) -> list[set[str]]:
        owner = keys.customer_pk(customer_id)
        profile = store.get(keys.customer_profile(customer_id))
        order_item = store.get(keys.order_key(customer_id, reference))
        lic = store.query(partition=("pk", owner), sort_prefix=("sk", keys.LICENSE_PREFIX), limit=1)
        sup = store.query(partition=("pk", owner), sort_prefix=("sk", keys.SUPPORT_PREFIX), limit=1)
        return [set(profile), set(order_item), set(lic.items[0]), set(sup.items[0])]

    webhook_customer = str(store.get(keys.email_lookup("webhook@example.com"))["customerId"])

    # then every item carries the same attributes, and both customers see the same columns
    assert stored(made.customer_id, made.order_number) == stored(
        webhook_customer, order["data"]["reference"]
    )
    assert set(listed("licenses", sign_in(made))[0]) == set(listed("licenses", bought)[0])
