"""FastSpring's HTTP API: the calls reconciliation needs, over HTTPS with Basic auth."""

from __future__ import annotations

import base64
import json
import urllib.parse
import urllib.request
from typing import Any

from portal.aws.secrets import SecretMissing, get_secret
from portal.config import Settings
from portal.fastspring.events import UnprocessedEvents, loads, read

API_SECRET = "fastspring-api"  # noqa: S105 - a secret's name


class FastSpringApi:
    """The two calls reconciliation needs, over HTTPS with Basic auth (credentials from Secrets
    Manager: {"username": ..., "password": ...})."""

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

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        headers = dict(self._headers)
        if data is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(  # noqa: S310 - scheme checked in __init__
            self.base_url + path, data=data, method=method, headers=headers
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
            return loads(answer.read())

    def unprocessed_events(self, days: int = 3) -> tuple[list[Any], bool]:
        """(events, more): at most 25 per call; `more` says another call would return more.
        The answer is validated (UnprocessedEvents, Malformed if it is not one); each event is
        read on its own by ingestion, like a webhook's."""
        answer = read(UnprocessedEvents, self._call("GET", f"/events/unprocessed?days={int(days)}"))
        return list(answer.events), answer.more

    def mark_processed(self, event_id: str) -> None:
        self._call("POST", f"/events/{urllib.parse.quote(event_id, safe='')}", {"processed": True})
