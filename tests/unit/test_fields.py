"""Request fields declared once (portal.fields): the parser enforces exactly the limits a Field
declares, and local/openapi.py publishes exactly those limits, so the two cannot drift."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import jsonschema_rs
import pytest

from portal import types
from portal.data.cursors import MAX_CURSOR_LENGTH, PageQuery
from portal.edge.contract.licenses import LICENSE_ID
from portal.edge.contract.orders import REFERENCE
from portal.edge.contract.sign_in import LoginRequest
from portal.errors import BadRequest, NotFound
from portal.fields import Field, declare, declared, read
from tests.support import DEMO, DEMO_EMAIL, ROOT


# ---------------------------------------------------------------- reading
def test_a_login_request_is_normalised_then_checked():
    # given an email and an order number as a person may type them
    typed = {"email": " Demo@Example.COM ", "orderNumber": "jwt160930 9510"}
    # when parsed; then trimmed and lower-cased, upper-cased without spaces
    request = LoginRequest.parse(typed)
    assert request == LoginRequest(email="demo@example.com", order_number="JWT1609309510")


@pytest.mark.parametrize(
    "data,named",
    [
        ({"email": DEMO_EMAIL}, "orderNumber"),
        ({"email": None, "orderNumber": "JWT1"}, "email"),
        ({"email": "a@b", "orderNumber": "JWT1"}, "email"),  # no dot in the domain
        ({"email": "x" * 250 + "@example.com", "orderNumber": "JWT1"}, "email"),
        ({"email": DEMO_EMAIL, "orderNumber": "J" * 65}, "orderNumber"),
        ({"email": DEMO_EMAIL, "orderNumber": "-JWT1"}, "orderNumber"),
        ({"email": DEMO_EMAIL, "orderNumber": 42}, "orderNumber"),
        ({**DEMO, "admin": True}, "admin"),
    ],
)
def test_a_bad_field_is_400_naming_it(data, named):
    # given a login body with one bad field; when parsed; then 400 naming that field
    with pytest.raises(BadRequest) as raised:
        LoginRequest.parse(data)
    assert raised.value.message == f"Invalid value for '{named}'."


@pytest.mark.parametrize("data", [[], "x", None, 3])
def test_a_body_that_is_not_an_object_is_400(data):
    with pytest.raises(BadRequest):
        LoginRequest.parse(data)


@pytest.mark.parametrize(
    "params,expected",
    [
        ({}, PageQuery(limit=20, cursor=None)),
        ({"limit": "1"}, PageQuery(limit=1)),
        ({"limit": "100", "cursor": "abc"}, PageQuery(limit=100, cursor="abc")),
    ],
)
def test_a_page_query_with_defaults(params, expected):
    assert PageQuery.parse(params) == expected


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "0"},
        {"limit": "101"},
        {"limit": "-1"},
        {"limit": "+5"},
        {"limit": " 5"},
        {"limit": "5.0"},
        {"limit": "\u0661"},  # ARABIC-INDIC DIGIT ONE: a digit, not ASCII
        {"limit": "9" * 40},
        {"cursor": ""},
        {"cursor": "A" * (MAX_CURSOR_LENGTH + 1)},
        {"page": "2"},
    ],
)
def test_a_bad_page_query_is_400(params):
    with pytest.raises(BadRequest):
        PageQuery.parse(params)


def test_integers_from_json_are_numbers_not_booleans():
    # given an integer field from 1 to 5
    count = Field("count", int, ge=1, le=5)
    # then numbers and digit strings within bounds are read (2.0 is the JSON number 2, as JSON
    # Schema's "integer" says), anything else is 400
    assert count.read(3) == 3 and count.read("3") == 3 and count.read(2.0) == 2
    for bad in (True, 0, 6, 2.5, 6.0, float("nan"), float("inf"), None, "three", "2.0"):
        with pytest.raises(BadRequest):
            count.read(bad)


def test_a_malformed_id_answers_like_a_missing_record():
    assert LICENSE_ID.read("01ARZ3NDEKTSV4RRFFQ69G5FAV") == "01ARZ3NDEKTSV4RRFFQ69G5FAV"
    with pytest.raises(NotFound):
        LICENSE_ID.read("01ARZ3NDEKTSV4RRFFQ69G5FA")


def test_a_reference_in_a_path_follows_portal_types():
    assert REFERENCE.read(" jwt190529-3058-61127 ") == "JWT190529-3058-61127"
    for bad in ("", "-X", "A" * 65, "JWT/1", "JWT;1"):
        with pytest.raises(BadRequest):
            REFERENCE.read(bad)


def test_every_attribute_of_a_shape_must_be_declared():
    # given a shape with an attribute that is not a declared Field
    @dataclass(frozen=True)
    class Half:
        declared_one: str = declare(Field("a"))
        plain: str = "x"

    # when its fields are read, then refused; and so is a Field of a kind the parser cannot read
    with pytest.raises(TypeError):
        declared(Half)
    with pytest.raises(TypeError):
        Field("when", kind=float)


def test_reading_a_shape_builds_it_by_attribute_from_wire_names():
    # given a shape whose attributes have other names on the wire
    @dataclass(frozen=True)
    class Pair:
        first_name: str = declare(Field("firstName", max_length=3))
        count: int = declare(Field("count", int, required=False, default=7))

    # when read from wire names, then built with the defaults; by attribute names, then 400
    assert read(Pair, {"firstName": "Ann"}) == Pair("Ann", 7)
    with pytest.raises(BadRequest):
        read(Pair, {"first_name": "Ann"})


# ---------------------------------------------------------------- documented the same way
def _spec() -> dict:
    return json.loads((ROOT / "docs" / "openapi.json").read_text())


def _limits(schema: dict) -> dict:
    keys = ("minLength", "maxLength", "pattern", "minimum", "maximum")
    return {k: schema[k] for k in keys if k in schema}


def _expected(field: Field) -> dict:
    found = {
        "minLength": field.min_length,
        "maxLength": field.max_length,
        "pattern": field.pattern.pattern if field.pattern else None,
        "minimum": field.ge,
        "maximum": field.le,
    }
    return {k: v for k, v in found.items() if v is not None}


def test_the_login_body_is_documented_with_exactly_its_declared_fields():
    # given the committed OpenAPI document's login body and the fields LoginRequest declares
    schema = _spec()["components"]["schemas"]["LoginRequest"]
    assert schema["additionalProperties"] is False
    fields = {field.name: field for _, field in declared(LoginRequest)}
    # then the same fields, all required, nothing else, each with exactly its declared limits
    assert set(schema["properties"]) == set(fields) == set(schema["required"])
    for name, field in fields.items():
        assert _limits(schema["properties"][name]) == _expected(field), name


def test_page_queries_are_documented_with_exactly_their_declared_fields():
    # given the committed OpenAPI document and the fields PageQuery declares
    spec = _spec()
    fields = {field.name: field for _, field in declared(PageQuery)}
    # then each list documents the same optional parameters with their limits and defaults
    for path in ("/api/licenses", "/api/supports", "/api/orders"):
        parameters = {p["name"]: p for p in spec["paths"][path]["get"]["parameters"]}
        assert set(parameters) == set(fields), path
        for name, field in fields.items():
            schema = parameters[name]["schema"]
            typed = next((s for s in schema.get("anyOf", []) if s["type"] != "null"), schema)
            assert _limits(typed) == _expected(field), (path, name)
            assert parameters[name]["required"] is False
            assert schema.get("default") == field.default


def _documented_patterns(node: object) -> set[str]:
    if isinstance(node, dict):
        found = {node["pattern"]} if isinstance(node.get("pattern"), str) else set()
        return found.union(*(_documented_patterns(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_documented_patterns(value) for value in node))
    return set()


def test_documented_patterns_mean_the_same_in_python_and_in_json_schema():
    # given every pattern of the committed document (the parser runs them with Python's re, a
    # client or schemathesis with JSON Schema's ECMA-262 dialect)
    patterns = _documented_patterns(_spec())
    assert len(patterns) >= 8
    # then none uses a class whose meaning differs between them (\s, \d, \w, \b: Unicode in
    # Python, narrower or other in ECMA-262), so fuzzing found no email both accept differently
    for pattern in patterns:
        assert not re.search(r"(?<!\\)\\[sSdDwWbB]", pattern), pattern


def test_the_email_shape_accepts_the_same_characters_in_both_dialects():
    # given the documented login email schema, checked as JSON Schema does
    email = _spec()["components"]["schemas"]["LoginRequest"]["properties"]["email"]
    validator = jsonschema_rs.validator_for(email)
    # then every code point (surrogates aside) is accepted in an address by both or by neither
    for code in (*range(0xD800), *range(0xE000, 0x110000, 7)):
        address = f"a{chr(code)}b@example.com"
        python = bool(types.EMAIL_SHAPE.fullmatch(address))
        assert validator.is_valid(address) == python, hex(code)


def test_an_optional_field_sent_as_null_is_refused_like_any_other_wrong_value():
    # given an optional field (logout's forgetBrowser); when it is sent as an explicit null
    from portal.edge.contract.sign_in import LogoutRequest
    from portal.errors import BadRequest

    # then it is a 400 (the schema says boolean, not nullable), while leaving it out is fine
    with pytest.raises(BadRequest):
        read(LogoutRequest, {"forgetBrowser": None})
    assert read(LogoutRequest, {}).forget_browser is False
