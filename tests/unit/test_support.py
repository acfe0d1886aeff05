"""The shared test support (tests/support.py) does what the tests rely on it for: deliveries it
signs are accepted and forged ones refused, and the clock fixture is the clock handlers read."""

from __future__ import annotations

from local import fastspring as fs
from portal.fastspring.signatures import signature
from tests.support import FIXED_NOW, WEBHOOK_SECRET, call, deliver, deliver_raw, listed, sign_in


def test_a_signed_batch_is_accepted_and_a_forged_one_refused(aws):
    # given one order, signed with the portal's secret and with another
    order = fs.order_completed(email="signed@example.com", skus=["T-ENT-5"])
    genuine = fs.signed_batch(order)
    forged = fs.signed_batch(order, secret="not-the-portals-secret")

    # then the builder signs exactly what it sends, as the portal checks it
    assert genuine.body == fs.batch(order)
    assert genuine.signature == signature(WEBHOOK_SECRET, genuine.body)
    assert genuine.headers["X-FS-Signature"] == genuine.signature

    # when both are delivered, then only the genuine one is processed
    assert deliver_raw(forged.body, forged.signature)["statusCode"] == 401
    assert deliver(order, secret="not-the-portals-secret")["statusCode"] == 401
    assert deliver(order)["statusCode"] == 200


def test_the_clock_fixture_is_what_the_handlers_read(make_customer, clock):
    # given a customer bought today, signed in at FIXED_NOW
    customer = make_customer(licenses=[("TSplus", "Enterprise", 10)])
    token = sign_in(customer)
    assert listed("licenses", token)[0]["purchasedOn"] == FIXED_NOW.date().isoformat()

    # when the clock moves past the 30-minute idle timeout, then the session has ended
    clock.advance(minutes=31)
    assert call("me", token)["statusCode"] == 401


def test_make_order_delivers_to_the_running_stack_it_finds(monkeypatch, tmp_path):
    # given no PORTAL_URL, and a running stack's file naming its portal
    import local.stack
    from local import fastspring

    monkeypatch.delenv("PORTAL_URL", raising=False)
    monkeypatch.setattr(local.stack, "read_stack_file", lambda: {"portal": "http://127.0.0.1:3900"})
    # then `make order` / `make refund` deliver there, as `make remind` and `make activate` do
    assert fastspring.running_portal() == "http://127.0.0.1:3900"
    # and PORTAL_URL wins; with no stack at all, the default port
    monkeypatch.setenv("PORTAL_URL", "http://127.0.0.1:4000")
    assert fastspring.running_portal() == "http://127.0.0.1:4000"
    monkeypatch.delenv("PORTAL_URL")

    def no_stack() -> dict[str, str]:
        raise OSError("no .local/stack.json")

    monkeypatch.setattr(local.stack, "read_stack_file", no_stack)
    assert fastspring.running_portal() == "http://127.0.0.1:3000"
