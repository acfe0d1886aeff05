"""Reading the request: the JSON body (content type, size cap, depth), an HTML form body (the
RFC 8058 one-click unsubscribe), the raw body bytes, the query string and path parameters (each
read through its declared portal.fields shape), and the client's address."""

from __future__ import annotations

import base64
import urllib.parse
from typing import Any, Protocol, Self, TypeVar

from portal import json_input
from portal.config import Settings
from portal.data.cursors import PageQuery
from portal.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType
from portal.fields import Field
from portal.powertools import APIGatewayHttpResolver

MAX_BODY_BYTES = 16 * 1024
VIEWER_ADDRESS = "cloudfront-viewer-address"  # as API Gateway hands it over: lower case
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


class Parsed(Protocol):
    @classmethod
    def parse(cls, data: Any) -> Self: ...


P = TypeVar("P", bound=Parsed)


def content_type(app: APIGatewayHttpResolver) -> str:
    """The request's media type, lower-cased, without parameters ("" when none is given)."""
    raw = app.current_event.headers.get("content-type") or ""
    return raw.split(";")[0].strip().lower()


def _capped_body(app: APIGatewayHttpResolver, media_type: str) -> bytes:
    if content_type(app) != media_type:
        raise UnsupportedMediaType()
    if app.current_event.body is None:
        raise BadRequest("The request body is missing.")
    raw = raw_body(app)
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge()
    return raw


def json_body(app: APIGatewayHttpResolver, shape: type[P]) -> P:
    """`shape.parse(...)` of the JSON body, after the content type and size checks."""
    return shape.parse(_json_data(app))


def optional_json_body(app: APIGatewayHttpResolver, shape: type[P]) -> P | None:
    """None when the request has no body at all (whatever its content type) or the JSON body is
    `null`, else json_body."""
    if not app.current_event.body:
        return None
    data = _json_data(app)
    return None if data is None else shape.parse(data)


def _json_data(app: APIGatewayHttpResolver) -> Any:
    raw = _capped_body(app, JSON)
    try:
        return json_input.parse(raw)
    except ValueError:
        raise BadRequest("The request body is not valid JSON.") from None


def form_body(app: APIGatewayHttpResolver, shape: type[P]) -> P:
    """`shape.parse(...)` of an `application/x-www-form-urlencoded` body (UTF-8, each name at
    most once), after the content type and size checks."""
    raw = _capped_body(app, FORM)
    try:
        pairs = urllib.parse.parse_qsl(
            raw.decode("utf-8"),
            keep_blank_values=True,
            strict_parsing=True,
            errors="strict",
            max_num_fields=16,
        )
    except ValueError:  # not UTF-8 (UnicodeDecodeError), not name=value pairs, too many
        raise BadRequest("The request body is not a valid form.") from None
    form = dict(pairs)
    if len(form) != len(pairs):
        raise BadRequest("The request body repeats a field.")
    return shape.parse(form)


def query(app: APIGatewayHttpResolver, shape: type[P]) -> P:
    """`shape.parse(...)` of the query string (exactly its declared names)."""
    return shape.parse(app.current_event.query_string_parameters or {})


def raw_body(app: APIGatewayHttpResolver) -> bytes:
    """The exact bytes the client sent (base64-decoded when API Gateway encoded them)."""
    event = app.current_event
    if event.body is None:
        return b""
    if event.is_base64_encoded:
        return base64.b64decode(event.body)
    return event.body.encode("utf-8")


def page_query(app: APIGatewayHttpResolver) -> PageQuery:
    return query(app, PageQuery)


def path_value(parameter: Field, raw: str) -> Any:
    """A path parameter as the route matched it (still percent-encoded), read by its Field."""
    return parameter.read(urllib.parse.unquote(raw))


def client_ip(app: APIGatewayHttpResolver, settings: Settings) -> str:
    """The client's address. Behind the front door (settings.origin_verify, checked before any
    route runs by portal.edge.entry) it is CloudFront's viewer address, which CloudFront sets
    itself; anywhere else a caller could write that header, so the TCP peer (sourceIp) counts."""
    if settings.origin_verify:
        raw = app.current_event.headers.get(VIEWER_ADDRESS)
        if raw:
            # CloudFront-Viewer-Address is "<ip>:<port>" (IPv6 without brackets): drop the port.
            return raw.rsplit(":", 1)[0].strip("[]") if ":" in raw else raw
    return str(app.current_event.request_context.http.source_ip)
