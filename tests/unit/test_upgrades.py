"""Upgrade quotes and their checkout through the handlers (API.md "Upgrades", SECURITY.md 7, 12,
17): the server's price, ownership (another customer's license or quote answers 404 like a
missing one), the refusals, a price or quantity sent by the client having no effect, the 24-hour
validity, one FastSpring session per quote, a checkout URL on the configured base only, and
exact DynamoDB call counts. FastSpring's sessions API is an in-memory recorder here; the
integration tests drive the real client against the local stand-in."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from portal.errors import CheckoutUnavailable
from portal.licensing import upgrades
from tests.factories import LicenseSpec, OrderSpec, SupportSpec
from tests.support import (
    FIXED_NOW,
    body_of,
    event,
    handler,
    invoke,
    sign_in,
)

REMOTE_WORK = LicenseSpec(software="Remote Work", edition=None, users=5, upgradable=True)
RW_SUPPORT = SupportSpec(software="Remote Work", edition=None, users=5, years=1)


class Sessions:
    """FastSpring's sessions API in memory: every session asked for, each answered a new id."""

    def __init__(self, fail: bool = False) -> None:
        self.created: list[dict[str, Any]] = []
        self.fail = fail

    def create_session(self, session: dict[str, Any]) -> str:
        if self.fail:
            raise CheckoutUnavailable()
        self.created.append(session)
        return f"s{len(self.created)}-FSsession_id"


@pytest.fixture
def sessions(monkeypatch) -> Sessions:
    recorder = Sessions()
    module = handler("upgrade_checkout")
    monkeypatch.setattr(module.FastSpringApi, "for_checkout", classmethod(lambda cls, s: recorder))
    return recorder


def ask_quote(token: str | None, body: Any, **kwargs: Any) -> dict[str, Any]:
    return invoke("upgrade_quote", event("upgrade_quote", token=token, body=body, **kwargs))


def quote_for(token: str, license_id: str, added: int = 3) -> dict[str, Any]:
    response = ask_quote(token, {"licenseId": license_id, "additionalWorkstations": added})
    assert response["statusCode"] == 201, response
    return body_of(response)


def checkout(token: str | None, quote_id: str, **kwargs: Any) -> dict[str, Any]:
    ev = event("upgrade_checkout", token=token, **kwargs)
    path = f"/api/upgrades/quotes/{quote_id}/checkout"
    ev["rawPath"] = ev["requestContext"]["http"]["path"] = path
    ev["pathParameters"] = {"quote_id": quote_id}
    return invoke("upgrade_checkout", ev)


def error_of(response: dict[str, Any]) -> tuple[int, str]:
    return response["statusCode"], body_of(response)["error"]["code"]


@pytest.fixture
def remote_work(make_customer, clock):
    """A customer with a 5-workstation Remote Work license, support for a year from today
    (FIXED_NOW, 2026-11-27), bought in USD; and their session."""
    customer = make_customer(licenses=[REMOTE_WORK], supports=[RW_SUPPORT], currency="USD")
    return customer, sign_in(customer)


# ---------------------------------------------------------------- quotes
def test_a_quote_is_the_servers_price_for_the_license(remote_work, calls):
    customer, token = remote_work
    license_id = customer.license_ids[0]
    calls.clear()
    response = ask_quote(token, {"licenseId": license_id, "additionalWorkstations": 3})
    assert response["statusCode"] == 201, response
    quote = body_of(response)
    # support until 2027-11-27: 365 days left; 3 x (24.00 + 10.00 x 365 / 365) = 102.00
    assert quote["price"] == {"amount": "102.00", "currency": "USD"}
    assert quote["breakdown"] == [
        {
            "kind": "license",
            "quantity": 3,
            "unitPrice": {"amount": "24.00", "currency": "USD"},
            "days": None,
            "amount": {"amount": "72.00", "currency": "USD"},
        },
        {
            "kind": "support",
            "quantity": 3,
            "unitPrice": {"amount": "10.00", "currency": "USD"},
            "days": 365,
            "amount": {"amount": "30.00", "currency": "USD"},
        },
    ]
    assert quote["licenseId"] == license_id
    assert quote["software"] == "Remote Work"
    assert quote["serialNumber"] == customer.licenses[0].serial_number
    assert (quote["currentWorkstations"], quote["additionalWorkstations"]) == (5, 3)
    assert quote["supportUntil"] == "2027-11-27"
    assert quote["expiresAt"] == "2026-11-28T09:00:00Z"  # 24 hours
    assert len(quote["quoteId"]) == 26
    # one session touch, the license, its order (the currency), the quote written
    assert calls.operations == ["UpdateItem", "GetItem", "GetItem", "PutItem"]


def test_the_currency_follows_the_licenses_order(make_customer, clock):
    customer = make_customer(licenses=[REMOTE_WORK], supports=[RW_SUPPORT], currency="EUR")
    quote = quote_for(sign_in(customer), customer.license_ids[0], 1)
    # EUR 22.00 + 9.20 x 365 / 365 = 31.20
    assert quote["price"] == {"amount": "31.20", "currency": "EUR"}


def test_an_unpriced_currency_falls_back_to_the_latest_order_then_the_default(make_customer, clock):
    customer = make_customer(
        licenses=[REMOTE_WORK],
        supports=[RW_SUPPORT],
        currency="CHF",
        orders=[OrderSpec(licenses=[("TSplus", "Enterprise", 1)], currency="GBP")],
    )
    assert quote_for(sign_in(customer), customer.license_ids[0], 1)["price"]["currency"] == "GBP"
    alone = make_customer(licenses=[REMOTE_WORK], supports=[RW_SUPPORT], currency="CHF")
    assert quote_for(sign_in(alone), alone.license_ids[0], 1)["price"]["currency"] == "USD"


def test_the_demo_acceptance_price(seeded, clock):
    # the second demo customer's Remote Work license (5 workstations, support until 2027-11-05,
    # bought in USD) + 3 on FIXED_NOW (2026-11-27): 343 days left;
    # 72.00 + 30.00 x 343 / 365 = 72.00 + 28.191780... = 100.191780 -> 100.19
    from tests.support import SECOND, listed

    token = sign_in(SECOND)
    remote_work = next(lic for lic in listed("licenses", token) if lic["upgradable"])
    quote = quote_for(token, remote_work["id"])
    assert quote["supportUntil"] == "2027-11-05"
    assert quote["price"] == {"amount": "100.19", "currency": "USD"}
    assert quote["computerId"] == "SRV-TEST-RWORK"


def test_another_customers_license_answers_like_a_missing_one(remote_work, make_customer, clock):
    customer, _ = remote_work
    stranger = sign_in(make_customer(licenses=[REMOTE_WORK], supports=[RW_SUPPORT]))
    theirs = ask_quote(
        stranger, {"licenseId": customer.license_ids[0], "additionalWorkstations": 3}
    )
    missing = ask_quote(
        stranger, {"licenseId": "01ARZ3NDEKTSV4RRFFQ69G5FAV", "additionalWorkstations": 3}
    )
    assert error_of(theirs) == error_of(missing) == (404, "not_found")
    assert theirs["body"] == missing["body"]


def test_a_license_that_cannot_be_upgraded(make_customer, clock):
    customer = make_customer(
        licenses=[("TSplus", "Enterprise", 10)], supports=[("TSplus", "Enterprise", 10, 1)]
    )
    response = ask_quote(
        sign_in(customer), {"licenseId": customer.license_ids[0], "additionalWorkstations": 3}
    )
    assert error_of(response) == (409, "not_upgradable")


def test_no_running_support_cannot_be_quoted(make_customer, clock):
    never = make_customer(licenses=[REMOTE_WORK])
    response = ask_quote(
        sign_in(never), {"licenseId": never.license_ids[0], "additionalWorkstations": 3}
    )
    assert error_of(response) == (409, "no_running_support")
    # a support that ended yesterday
    ended = make_customer(
        licenses=[REMOTE_WORK], supports=[RW_SUPPORT], placed_at=FIXED_NOW - timedelta(days=366)
    )
    response = ask_quote(
        sign_in(ended), {"licenseId": ended.license_ids[0], "additionalWorkstations": 3}
    )
    assert error_of(response) == (409, "no_running_support")


@pytest.mark.parametrize(
    "body",
    [
        {"additionalWorkstations": 0},
        {"additionalWorkstations": 1001},
        {"additionalWorkstations": -3},
        {"additionalWorkstations": 2.5},
        {"additionalWorkstations": True},
        {"additionalWorkstations": None},
        {},
        # a price, a total or a quantity of the client's: refused, never read
        {"additionalWorkstations": 3, "price": {"amount": "0.01", "currency": "USD"}},
        {"additionalWorkstations": 3, "unitPrice": "0.01"},
        {"additionalWorkstations": 3, "currency": "JPY"},
    ],
)
def test_malformed_quote_requests_are_400(remote_work, body):
    customer, token = remote_work
    response = ask_quote(token, {"licenseId": customer.license_ids[0], **body})
    assert error_of(response) == (400, "bad_request")


def test_beyond_the_products_maximum_is_400(remote_work):
    customer, token = remote_work
    ok = ask_quote(token, {"licenseId": customer.license_ids[0], "additionalWorkstations": 495})
    assert ok["statusCode"] == 201
    response = ask_quote(
        token, {"licenseId": customer.license_ids[0], "additionalWorkstations": 496}
    )
    assert error_of(response) == (400, "too_many_workstations")


def test_quotes_need_a_session_and_the_portals_origin(remote_work):
    customer, token = remote_work
    body = {"licenseId": customer.license_ids[0], "additionalWorkstations": 3}
    assert error_of(ask_quote(None, body)) == (401, "unauthenticated")
    assert error_of(ask_quote(token, body, origin="https://evil.example")) == (
        403,
        "forbidden_origin",
    )
    assert error_of(ask_quote(token, body, origin=None)) == (403, "forbidden_origin")


# ---------------------------------------------------------------- checkout
def test_checkout_sells_exactly_the_quote_on_the_configured_store(remote_work, sessions, calls):
    customer, token = remote_work
    quote = quote_for(token, customer.license_ids[0])
    calls.clear()
    response = checkout(token, quote["quoteId"])
    assert response["statusCode"] == 200, response
    url = body_of(response)["checkoutUrl"]
    assert url == "https://example.onfastspring.com/session/s1-FSsession_id"
    [session] = sessions.created
    assert session["tags"] == {
        "portalQuoteId": quote["quoteId"],
        "portalLicenseId": customer.license_ids[0],
    }
    assert session["items"] == [
        {
            "product": "tsplus-remote-work-upgrade",
            "quantity": 1,
            "pricing": {"quantityBehavior": "lock", "price": {"USD": Decimal("102.00")}},
        }
    ]
    assert session["contact"]["email"] == customer.email
    # the session touch and one BatchGetItem (quote + profile), the session id kept
    assert calls.operations == ["UpdateItem", "BatchGetItem", "UpdateItem"]


def test_a_second_checkout_answers_the_same_session(remote_work, sessions):
    customer, token = remote_work
    quote = quote_for(token, customer.license_ids[0])
    first = body_of(checkout(token, quote["quoteId"]))["checkoutUrl"]
    again = body_of(checkout(token, quote["quoteId"]))["checkoutUrl"]
    assert first == again and len(sessions.created) == 1


def test_a_body_sent_to_checkout_changes_nothing(remote_work, sessions):
    customer, token = remote_work
    quote = quote_for(token, customer.license_ids[0])
    ev = event(
        "upgrade_checkout",
        token=token,
        body={"price": {"amount": "0.01", "currency": "USD"}, "quantity": 1000},
    )
    path = f"/api/upgrades/quotes/{quote['quoteId']}/checkout"
    ev["rawPath"] = ev["requestContext"]["http"]["path"] = path
    ev["pathParameters"] = {"quote_id": quote["quoteId"]}
    assert invoke("upgrade_checkout", ev)["statusCode"] == 200
    [session] = sessions.created
    assert session["items"][0]["pricing"]["price"] == {"USD": Decimal("102.00")}
    assert session["items"][0]["quantity"] == 1


def test_another_customers_quote_answers_like_a_missing_one(remote_work, make_customer, sessions):
    customer, token = remote_work
    quote = quote_for(token, customer.license_ids[0])
    stranger = sign_in(make_customer(licenses=[REMOTE_WORK], supports=[RW_SUPPORT]))
    theirs = checkout(stranger, quote["quoteId"])
    missing = checkout(stranger, "01ARZ3NDEKTSV4RRFFQ69G5FAV")
    malformed = checkout(stranger, "not-a-quote")
    assert error_of(theirs) == error_of(missing) == error_of(malformed) == (404, "not_found")
    assert theirs["body"] == missing["body"]
    assert sessions.created == []


def test_a_quote_expires_after_24_hours(remote_work, sessions, clock):
    customer, token = remote_work
    quote = quote_for(token, customer.license_ids[0])
    clock.advance(hours=23, minutes=59)
    token = sign_in(customer)  # a fresh session: the first is idle-expired by now
    assert checkout(token, quote["quoteId"])["statusCode"] == 200
    clock.advance(minutes=1)
    token = sign_in(customer)
    assert error_of(checkout(token, quote["quoteId"])) == (410, "quote_expired")


def test_a_paid_quote_cannot_be_checked_out_again(remote_work, store, sessions):
    customer, token = remote_work
    quote = quote_for(token, customer.license_ids[0])
    from portal.data import quotes

    store.transact(
        [("Update", quotes.use_request(store, customer.customer_id, quote["quoteId"], "JWT1"))]
    )
    assert error_of(checkout(token, quote["quoteId"])) == (409, "quote_used")
    assert sessions.created == []


def test_fastspring_not_answering_is_503_in_the_error_shape(remote_work, monkeypatch):
    customer, token = remote_work
    quote = quote_for(token, customer.license_ids[0])
    module = handler("upgrade_checkout")
    failing = Sessions(fail=True)
    monkeypatch.setattr(module.FastSpringApi, "for_checkout", classmethod(lambda cls, s: failing))
    assert error_of(checkout(token, quote["quoteId"])) == (503, "service_unavailable")
    # and the quote is still open: a later checkout works
    working = Sessions()
    monkeypatch.setattr(module.FastSpringApi, "for_checkout", classmethod(lambda cls, s: working))
    assert checkout(token, quote["quoteId"])["statusCode"] == 200


def test_missing_fastspring_credentials_are_503_not_500(remote_work, aws):
    customer, token = remote_work
    quote = quote_for(token, customer.license_ids[0])
    import boto3

    boto3.client("secretsmanager").delete_secret(
        SecretId="customer-portal/local/fastspring-api", ForceDeleteWithoutRecovery=True
    )
    from portal.aws import secrets

    secrets.forget()
    assert error_of(checkout(token, quote["quoteId"])) == (503, "service_unavailable")


def test_checkout_needs_a_session_and_the_portals_origin(remote_work, sessions):
    customer, token = remote_work
    quote = quote_for(token, customer.license_ids[0])
    assert error_of(checkout(None, quote["quoteId"])) == (401, "unauthenticated")
    assert error_of(checkout(token, quote["quoteId"], origin="https://evil.example")) == (
        403,
        "forbidden_origin",
    )
    assert sessions.created == []


def test_the_checkout_url_is_built_on_the_configured_base_only(settings):
    from dataclasses import replace

    local = replace(settings, stage="local", fastspring_checkout_base="http://127.0.0.1:3001")
    assert upgrades.checkout_url(local, "abc_DEF-1") == "http://127.0.0.1:3001/session/abc_DEF-1"
    # an id is quoted into one path segment: it cannot leave the store's origin or path
    assert upgrades.checkout_url(settings, "../../evil.example/x") == (
        "https://example.onfastspring.com/session/..%2F..%2Fevil.example%2Fx"
    )


def test_the_checkout_base_must_be_https_outside_the_local_stack(settings):
    from dataclasses import replace

    from portal.config import InvalidSettings

    with pytest.raises(InvalidSettings):
        replace(settings, fastspring_checkout_base="http://shop.example.com")
    with pytest.raises(InvalidSettings):
        replace(settings, fastspring_checkout_base="https://shop.example.com/path")
    replace(settings, stage="local", fastspring_checkout_base="http://127.0.0.1:3001")
