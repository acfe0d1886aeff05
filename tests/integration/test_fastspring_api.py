"""The real FastSpring API client against the local FastSpring stand-in (local/fastspring_store.py)
over HTTP: Basic auth, the unprocessed-events listing (amounts as Decimal), marking an event
processed by its quoted id; and a listing in another shape, refused."""

from __future__ import annotations

import base64
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from local import fastspring as fs
from local.fastspring_store import FastSpringStandIn
from portal.fastspring.api import FastSpringApi
from portal.fastspring.events import Malformed

pytestmark = pytest.mark.integration


@pytest.fixture
def store() -> Iterator[FastSpringStandIn]:
    # the portal is never called here: nothing is paid
    with FastSpringStandIn("http://127.0.0.1:9", credentials=("user", "pa:ss")) as running:
        yield running


def test_client_lists_and_marks_with_basic_auth(store: FastSpringStandIn) -> None:
    # given an event whose id needs quoting in a path, of 10.42 + 20 % tax = 12.50
    line = fs.Line("t-ent-10", "TSplus", "T-ENT-10", 1, Decimal("10.42"))
    store.record_event(fs.order_completed(email="a@example.com", lines=[line], event_id="e/1"))
    api = FastSpringApi(store.url, "user", "pa:ss")

    # when the client lists the unprocessed events
    events, more = api.unprocessed_events(days=3)

    # then it gets the event, its amounts as Decimal (the JSON number 12.5, not a float)
    assert more is False and [e["id"] for e in events] == ["e/1"]
    total = events[0]["data"]["total"]
    assert isinstance(total, Decimal) and total == Decimal("12.5")

    # when it marks it processed, then the store holds it processed and lists it no more
    api.mark_processed("e/1")
    assert [e["processed"] for e in store.events()] == [True]
    assert api.unprocessed_events(days=3) == ([], False)

    # and every call carried the Basic credentials; the id went quoted, as one path segment
    expected = "Basic " + base64.b64encode(b"user:pa:ss").decode()
    calls = store.requests()
    assert calls[0] == ("GET", "/events/unprocessed?days=3", expected)
    assert calls[1] == ("POST", "/events/e%2F1", expected)
    assert all(authorization == expected for _, _, authorization in calls)


def test_wrong_credentials_are_refused_by_the_store(store: FastSpringStandIn) -> None:
    api = FastSpringApi(store.url, "user", "wrong")
    with pytest.raises(OSError, match="401"):
        api.unprocessed_events(days=3)


def test_client_refuses_plain_http_to_other_hosts():
    with pytest.raises(ValueError):
        FastSpringApi("http://api.fastspring.com", "u", "p")


class _BrokenFastSpring(BaseHTTPRequestHandler):
    """Answers the events listing with something that is not FastSpring's shape."""

    def do_GET(self) -> None:
        data = json.dumps({"events": {"id": "e1"}, "more": "perhaps"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        return


def test_an_answer_that_is_not_the_events_listing_is_refused():
    # given a FastSpring API answering the listing in another shape
    server = ThreadingHTTPServer(("127.0.0.1", 0), _BrokenFastSpring)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        api = FastSpringApi(f"http://127.0.0.1:{server.server_port}", "user", "pass")
        # when reconciliation asks for the unprocessed events; then the answer is refused
        with pytest.raises(Malformed, match="events"):
            api.unprocessed_events(days=3)
    finally:
        server.shutdown()


def test_plain_http_builds_no_tls_context_and_https_builds_one_once(store, monkeypatch):
    """urllib's default opener loads the CA store when it is built, whatever the URL: the
    stand-in's http:// calls skip it; https:// gets urllib's opener, made once per container."""
    import ssl

    from portal.fastspring import api as module

    loads: list[object] = []
    real = ssl.SSLContext.load_default_certs
    monkeypatch.setattr(
        ssl.SSLContext, "load_default_certs", lambda self, *a: loads.append(self) or real(self, *a)
    )
    module._opener.cache_clear()
    # when the client calls the stand-in over http twice, then no TLS context was made
    api = FastSpringApi(store.url, "user", "pa:ss")
    api.unprocessed_events(days=3)
    api.unprocessed_events(days=3)
    assert loads == []
    # when an https opener is asked for twice, then the CA store is loaded once, by urllib's
    # own HTTPS handler (the check can fail)
    first, again = module._opener("https"), module._opener("https")
    assert first is again and len(loads) == 1
    assert any(isinstance(h, urllib.request.HTTPSHandler) for h in first.handlers)
    module._opener.cache_clear()


def test_an_http_base_refuses_to_follow_to_https():
    from portal.fastspring.api import _opener

    with pytest.raises(urllib.error.URLError, match="https is not used"):
        _opener("http").open("https://127.0.0.1:9/sessions", timeout=1)
