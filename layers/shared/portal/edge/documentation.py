"""What each route documents: its operation (method, path, function, responses, and the declared
shapes it reads), recorded by the resolver in public (`Resolver.operations`) so that
local/openapi.py builds docs/openapi.json from exactly what the handlers serve and parse.
Documentation only: nothing here runs per request."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from portal.edge.contract.common import ErrorBody
from portal.fields import Field

JSON = "application/json"
_PLACEHOLDER = re.compile(r"<(\w+)>")

ERROR_DESCRIPTIONS = {
    400: "Malformed request",
    401: "Not signed in, or invalid credentials",
    403: "Not from the portal's own origin (CSRF)",
    404: "Not found (or not yours)",
    409: "Conflict (the code says which)",
    410: "Gone: the license was revoked (refunded), or the quote expired (the code says which)",
    413: "Body too large",
    415: "Body is not JSON",
    429: "Too many attempts (see Retry-After)",
    503: "A service this needs (FastSpring) is not answering: try again",
}


@dataclass(frozen=True, slots=True)
class Operation:
    method: str  # GET, POST, ...
    path: str  # Powertools' rule: /api/orders/<reference>
    function: Callable[..., Any]
    responses: dict[int, Any]
    body: type | None = None  # a dataclass of portal.fields declarations, read from JSON
    query: type | None = None  # the same, read from the query string
    parameters: tuple[Field, ...] = ()  # the path parameters, one per <placeholder>
    body_required: bool = True  # False: the route also answers a request without a body

    @property
    def signed_in(self) -> bool:
        """Whether the route needs a session: its function reads the signed-in customer
        (portal.edge.session.signed_in_customer), so the document says it from the code itself,
        and the fuzzing's `ignored_auth` check proves it (a 2xx without the cookie fails)."""
        return "signed_in_customer" in self.function.__code__.co_names

    def __post_init__(self) -> None:
        placeholders = _PLACEHOLDER.findall(self.path)
        if placeholders != [field.name for field in self.parameters]:
            raise TypeError(f"{self.path}: declare exactly its path parameters {placeholders}")


def responses(
    model: type | None,
    *,
    status: int = 200,
    description: str = "OK",
    errors: tuple[int, ...] = (400, 401),
    media_type: str = JSON,
    error_bodies: dict[int, type] | None = None,
    also: dict[int, tuple[type, str]] | None = None,
) -> dict[int, Any]:
    """The documented answers of a route: the success (a contract model as JSON, or a text or
    file of `media_type`), any other success (`also`: status -> (model, description), e.g. 202
    of a sign-in that waits for its code) and each error status in the contract's error shape
    (`error_bodies`: a richer one for some statuses, e.g. 409 rehost_limit_reached with
    `availableOn`)."""
    success: dict[str, Any] = {"description": description}
    if model is not None:
        success["content"] = {media_type: {"model": model}}
    elif media_type != JSON:
        success["content"] = {media_type: {"schema": {"type": "string"}}}
    documented: dict[int, Any] = {status: success}
    for code, (other, text) in (also or {}).items():
        documented[code] = {"description": text, "content": {JSON: {"model": other}}}
    for code in errors:
        documented[code] = {
            "description": ERROR_DESCRIPTIONS[code],
            "content": {JSON: {"model": (error_bodies or {}).get(code, ErrorBody)}},
        }
    return documented
