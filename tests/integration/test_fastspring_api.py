"""The real FastSpring API client against a local stand-in over HTTP: Basic auth, the
unprocessed-events listing and marking an event processed."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from portal.fastspring.api import FastSpringApi
from portal.fastspring.events import Malformed

pytestmark = pytest.mark.integration


class _FastSpring(BaseHTTPRequestHandler):
    seen: list[tuple[str, str, str, bytes]] = []

    def _reply(self, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self.seen.append(("GET", self.path, self.headers.get("Authorization", ""), b""))
        self._reply(
            {
                "action": "events.get",
                "result": "success",
                "more": True,
                "events": [{"id": "e1", "type": "order.completed", "data": {"total": 12.5}}],
            }
        )

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        self.seen.append(("POST", self.path, self.headers.get("Authorization", ""), body))
        self._reply({"result": "success"})

    def log_message(self, *args: object) -> None:
        return


def test_client_lists_and_marks_with_basic_auth():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FastSpring)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        api = FastSpringApi(f"http://127.0.0.1:{server.server_port}", "user", "pa:ss")
        events, more = api.unprocessed_events(days=3)
        assert more is True and events[0]["id"] == "e1"
        assert str(events[0]["data"]["total"]) == "12.5"  # Decimal, not float
        api.mark_processed("e/1")
    finally:
        server.shutdown()
    (get, post) = _FastSpring.seen
    expected = "Basic " + base64.b64encode(b"user:pa:ss").decode()
    assert get[:3] == ("GET", "/events/unprocessed?days=3", expected)
    assert post[:3] == ("POST", "/events/e%2F1", expected)
    assert json.loads(post[3]) == {"processed": True}


def test_client_refuses_plain_http_to_other_hosts():
    with pytest.raises(ValueError):
        FastSpringApi("http://api.fastspring.com", "u", "p")


class _BrokenFastSpring(_FastSpring):
    """Answers the events listing with something that is not FastSpring's shape."""

    def do_GET(self) -> None:
        self._reply({"events": {"id": "e1"}, "more": "perhaps"})


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
