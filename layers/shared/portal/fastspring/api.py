"""FastSpring's HTTP API over HTTPS with Basic auth: the checkout session an upgrade sells
(`create_session`), and the calls reconciliation needs (`unprocessed_events`, `mark_processed`).

Plain code at import: the upgrade checkout is a function a person waits on, so this module loads
no validation library; only `unprocessed_events` (reconciliation, away from anyone's wait) reads
its answer through the pydantic model of portal.fastspring.events, imported there."""

from __future__ import annotations

import base64
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from decimal import Decimal
from functools import cache
from typing import Any, NoReturn

from portal import json_input
from portal.aws.secrets import SecretMissing, get_secret
from portal.config import Settings
from portal.errors import CheckoutUnavailable
from portal.observability import logger

API_SECRET = "fastspring-api"  # noqa: S105 - a secret's name
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


class FastSpringApi:
    """FastSpring's API, over HTTPS with Basic auth (credentials from Secrets Manager:
    {"username": ..., "password": ...})."""

    def __init__(self, base_url: str, username: str, password: str, timeout: float = 10) -> None:
        if not base_url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise ValueError("FastSpring API base must be https")
        self.base_url = base_url.rstrip("/")
        token = base64.b64encode(f"{username}:{password}".encode()).decode()
        self._headers = {
            "Authorization": f"Basic {token}",
            "Accept": "application/json",
            "User-Agent": "customer-portal/1.0",
        }
        self.timeout = timeout

    @classmethod
    def from_settings(cls, settings: Settings) -> FastSpringApi:
        try:
            creds = json.loads(get_secret(settings.secrets_prefix + API_SECRET))
            return cls(settings.fastspring_api_base, creds["username"], creds["password"])
        except (KeyError, TypeError, ValueError) as exc:
            raise SecretMissing(API_SECRET) from exc

    @classmethod
    def for_checkout(cls, settings: Settings) -> FastSpringApi:
        """The client the upgrade checkout uses: missing credentials are CheckoutUnavailable
        (503 to the buyer, the cause logged), never a 500."""
        try:
            return cls.from_settings(settings)
        except SecretMissing:
            logger.error("FastSpring API credentials missing", extra={"secret": API_SECRET})
            raise CheckoutUnavailable() from None

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body, default=_json_number).encode() if body is not None else None
        headers = dict(self._headers)
        if data is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(  # noqa: S310 - scheme checked in __init__
            self.base_url + path, data=data, method=method, headers=headers
        )
        opener = _opener(urllib.parse.urlsplit(self.base_url).scheme)
        with opener.open(request, timeout=self.timeout) as answer:
            return json_input.parse(answer.read(), decimals=True)

    def create_session(self, session: dict[str, Any]) -> str:
        """POST /sessions: the id of a new checkout session selling `session` (its account or
        contact, tags and items with their server-side prices). CheckoutUnavailable when
        FastSpring fails or answers without a usable id."""
        try:
            answer = self._call("POST", "/sessions", session)
        except (OSError, ValueError, urllib.error.URLError) as exc:
            logger.warning("FastSpring session not created", extra={"error": type(exc).__name__})
            raise CheckoutUnavailable() from None
        session_id = answer.get("id") if isinstance(answer, dict) else None
        if not isinstance(session_id, str) or not SESSION_ID.fullmatch(session_id):
            logger.warning("FastSpring session answer without a usable id")
            raise CheckoutUnavailable()
        return session_id

    def unprocessed_events(self, days: int = 3) -> tuple[list[Any], bool]:
        """(events, more): at most 25 per call; `more` says another call would return more.
        The answer is validated (UnprocessedEvents, Malformed if it is not one); each event is
        read on its own by ingestion, like a webhook's."""
        # Imported here: pydantic is for reconciliation, never on the checkout's cold start.
        from portal.fastspring.events import UnprocessedEvents, read

        answer = read(UnprocessedEvents, self._call("GET", f"/events/unprocessed?days={int(days)}"))
        return list(answer.events), answer.more

    def mark_processed(self, event_id: str) -> None:
        self._call("POST", f"/events/{urllib.parse.quote(event_id, safe='')}", {"processed": True})


@cache
def _opener(scheme: str) -> urllib.request.OpenerDirector:
    """urllib's opener, one per container and scheme. `urlopen` builds urllib's default opener,
    whose HTTPS handler makes its TLS context, loading the CA store (~50 ms of CPU), when the
    opener is built: for https:// that is the context the call needs, made once as before; for
    the local stand-in's http:// it would be work for nothing, so that opener has no HTTPS."""
    if scheme == "https":
        return urllib.request.build_opener()
    return urllib.request.build_opener(_NoHTTPS())


class _NoHTTPS(urllib.request.HTTPSHandler):
    """Takes the HTTPS handler's place in an opener for http:// only: no TLS context, and an
    https:// URL (a redirect) is refused."""

    def __init__(self) -> None:
        urllib.request.AbstractHTTPHandler.__init__(self)

    def https_open(self, req: urllib.request.Request) -> NoReturn:
        raise urllib.error.URLError("https is not used from an http:// FastSpring base")


def _json_number(value: Any) -> Any:
    """A Decimal amount as the JSON number FastSpring expects. json writes floats by their
    shortest repr, which gives back exactly the Decimal for any amount of up to 15 digits; one
    that would not survive the trip is refused rather than sent changed."""
    if isinstance(value, Decimal):
        number = float(value)
        if Decimal(repr(number)) != value:
            raise ValueError("amount not representable as a JSON number")
        return number
    raise TypeError(f"{type(value).__name__} is not JSON")
