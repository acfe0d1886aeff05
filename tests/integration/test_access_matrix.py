"""SECURITY.md 7 (issue 10, item 7): the access matrix, over HTTP against a started local stack.

Customer B's credential against EVERY id of customer A on EVERY id-taking operation of the
committed OpenAPI document (docs/openapi.json): an operation takes an id when it has a path
parameter, or when its JSON body has a property with the record-id (ULID) pattern; so a route
added later is in the matrix by itself (a parameter of a kind not named in ID_KINDS, or a body
property without an example in EXAMPLES, fails the test until it is named). B's credential is
B's session cookie, or B's activation key where the body takes one (the product's calls).

Every answer must be byte-identical (status, body, headers but the volatile ones) to B's answer
for a missing id of the same shape (and 404 on the session routes); without a session (or with a
key nobody holds) the answer is 401, the same for A's id as for a missing one. Afterwards nothing
of A's changed in the table (the only items written: B's session, refreshed, and the wrong keys'
rate-limit windows). Last, the owner's control: A's own answer for each of A's ids differs from
A's answer for a missing id, so the matrix can tell a reachable record from a missing one.

Customers are made through the real write paths (tests.factories.stack_factory); A's quotes by
POST /api/upgrades/quotes and A's history by the product's activation over HTTP."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from local import fastspring as fs
from local.stack import LocalStack
from portal.data.store import Store
from portal.ids import new_ulid
from tests.factories import LicenseSpec, MadeCustomer, OrderSpec, SupportSpec, stack_factory
from tests.support import ROOT, HttpClient, signed_in_client, table_items

pytestmark = pytest.mark.integration

SPEC = json.loads((ROOT / "docs" / "openapi.json").read_text())
ULID_PATTERN = "^[0-9A-HJKMNP-TV-Z]{26}$"
# Which of A's records a parameter or a body property names.
ID_KINDS = {
    "license_id": "licenses",
    "licenseId": "licenses",
    "support_id": "supports",
    "quote_id": "quotes",
    "reference": "orders",
}
# A valid value for each other required body property (the id and the key are filled in).
EXAMPLES: dict[str, Any] = {
    "computerId": "SRV-MATRIX-01",
    "computerName": "Matrix",
    "additionalWorkstations": 3,
}
# Answers differ in these headers from one request to the next, whoever asks.
VOLATILE = {"date", "server", "connection", "keep-alive"}

REMOTE_WORK = LicenseSpec(software="Remote Work", edition=None, users=5, upgradable=True)
RW_SUPPORT = SupportSpec(software="Remote Work", edition=None, users=5, years=1)
ENTERPRISE = LicenseSpec()  # TSplus Enterprise, 10 users, free
ENT_SUPPORT = SupportSpec()


@dataclass(frozen=True)
class Operation:
    """One id-taking operation of the OpenAPI document."""

    method: str
    path: str  # the template, e.g. /api/licenses/{license_id}/file
    name: str  # the parameter or body property holding the id
    pattern: str  # the id's pattern in the document
    body: dict[str, Any] | None  # the request body's schema (resolved), if any

    @property
    def kind(self) -> str:
        assert self.name in ID_KINDS, f"{self.method} {self.path}: name the kind of {self.name}"
        return ID_KINDS[self.name]

    @property
    def by_key(self) -> bool:
        """The product's call: the activation key in the body is the credential, no session."""
        return bool(self.body) and "activationKey" in self.body.get("properties", {})

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.name})"


def _resolved(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = SPEC["components"]["schemas"][name]
    return schema


def _id_pattern(schema: dict[str, Any]) -> str | None:
    schema = _resolved(schema)
    if "pattern" in schema:
        return str(schema["pattern"])
    found = [_id_pattern(option) for option in schema.get("anyOf", [])]
    return next((p for p in found if p), None)


def id_taking_operations() -> list[Operation]:
    operations = []
    for path, item in SPEC["paths"].items():
        for method, op in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            content = op.get("requestBody", {}).get("content", {})
            body = _resolved(content["application/json"]["schema"]) if content else None
            for parameter in op.get("parameters", []):
                if parameter["in"] == "path":
                    pattern = _id_pattern(parameter["schema"]) or ""
                    operations.append(
                        Operation(method.upper(), path, parameter["name"], pattern, body)
                    )
            for name, schema in (body or {}).get("properties", {}).items():
                if _id_pattern(schema) == ULID_PATTERN:
                    operations.append(Operation(method.upper(), path, name, ULID_PATTERN, body))
    return operations


OPERATIONS = id_taking_operations()


def test_the_matrix_takes_every_id_taking_operation_of_the_document():
    # given the document's operations, when the id-taking ones are derived, then each known
    # route is among them (a route the derivation missed would silently leave the matrix)
    found = {(op.method, op.path) for op in OPERATIONS}
    assert {
        ("GET", "/api/licenses/{license_id}/file"),
        ("GET", "/api/licenses/{license_id}/history"),
        ("POST", "/api/licenses/{license_id}/release"),
        ("POST", "/api/licenses/{license_id}/activate"),
        ("GET", "/api/supports/{support_id}/file"),
        ("GET", "/api/orders/{reference}"),
        ("POST", "/api/upgrades/quotes"),
        ("POST", "/api/upgrades/quotes/{quote_id}/checkout"),
        ("POST", "/api/activation/activate"),
    } <= found
    assert all(op.kind for op in OPERATIONS)


def missing_id(op: Operation) -> str:
    """An id of the same shape as A's that names no record."""
    value = fs.new_reference() if op.kind == "orders" else new_ulid(datetime.now(UTC))
    assert re.fullmatch(op.pattern, value), (op, value)
    return value


def comparable(response: requests.Response) -> tuple[int, bytes, dict[str, str]]:
    headers = {k.lower(): v for k, v in response.headers.items() if k.lower() not in VOLATILE}
    return response.status_code, response.content, headers


@dataclass
class Caller:
    """Whoever calls: a browser (its session, possibly none) and an activation key (the
    product's credential; None: a fresh key nobody holds at each call)."""

    client: HttpClient
    activation_key: str | None


def request(caller: Caller, op: Operation, value: str, *, product: str) -> requests.Response:
    in_path = "{" + op.name + "}" in op.path
    path = op.path.replace("{" + op.name + "}", value)
    body = None
    if op.body is not None:
        body = {}
        for prop in op.body.get("required", []) + ([] if in_path else [op.name]):
            if prop == op.name:
                body[prop] = value
            elif prop == "activationKey":
                body[prop] = caller.activation_key or _unknown_key()
            elif prop == "product":
                body[prop] = product
            else:
                assert prop in EXAMPLES, f"{op}: add an example for the body property {prop}"
                body[prop] = EXAMPLES[prop]
    client = caller.client if not op.by_key else HttpClient(caller.client.base)  # no cookie
    return client.call(op.method, path, **({"json": body} if body is not None else {}))


def _unknown_key() -> str:
    return "-".join(new_ulid(datetime.now(UTC))[i : i + 4] for i in range(6, 26, 4))


@dataclass
class Owner:
    customer: MadeCustomer
    client: HttpClient
    ids: dict[str, list[str]]  # kind -> A's ids
    software: dict[str, str]  # license id -> its software (the product the key activates)


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with LocalStack(seed=False) as running:
        yield running


def _settled(store: Store) -> list[dict[str, Any]]:
    """The table once nothing changes any more (the local mailer works from the stream)."""
    previous = None
    for _ in range(50):
        items = sorted(table_items(store), key=lambda item: (item["pk"], item["sk"]))
        if items == previous:
            return items
        previous = items
        time.sleep(0.3)
    raise AssertionError("the table kept changing")


@pytest.fixture(scope="module")
def owner(stack: LocalStack) -> Owner:
    make = stack_factory(stack)
    # given customer A: three orders, a bound, a free and an upgradable license, their supports
    a = make(
        licenses=[LicenseSpec(computer="SRV-A-01"), ENTERPRISE, REMOTE_WORK],
        supports=[ENT_SUPPORT, RW_SUPPORT],
        orders=[
            OrderSpec(licenses=[ENTERPRISE], supports=[ENT_SUPPORT]),
            OrderSpec(licenses=[REMOTE_WORK, ENTERPRISE]),
        ],
    )
    client = signed_in_client(stack.base_url, a)
    remote_work = next(lic.license_id for lic in a.licenses if lic.software == "Remote Work")
    quotes = []
    for added in (3, 7):  # two quotes on the Remote Work license with a running support
        answer = client.call(
            "POST",
            "/api/upgrades/quotes",
            json={"licenseId": remote_work, "additionalWorkstations": added},
        )
        assert answer.status_code == 201, answer.text
        quotes.append(answer.json()["quoteId"])
    # A's product activates one license (it gets a history entry; the notice is mailed)
    activated = requests.post(
        stack.base_url + "/api/activation/activate",
        json={
            "activationKey": a.activation_key,
            "computerId": "SRV-A-02",
            "computerName": "A2",
            "product": "Remote Work",
            "licenseId": remote_work,
        },
        timeout=30,
    )
    assert activated.status_code == 200, activated.text
    return Owner(
        customer=a,
        client=client,
        ids={
            "licenses": a.license_ids,
            "supports": a.support_ids,
            "orders": a.order_numbers,
            "quotes": quotes,
        },
        software={lic.license_id: lic.software for lic in a.licenses},
    )


def test_customer_b_reaches_none_of_customer_as_ids_on_any_route(stack, owner, record_property):
    make = stack_factory(stack)
    store = Store(stack.table_name)
    # given customer B, with records of the same kinds as A's, signed in; and a browser without
    b = make(licenses=[ENTERPRISE, REMOTE_WORK], supports=[ENT_SUPPORT, RW_SUPPORT])
    b_caller = Caller(signed_in_client(stack.base_url, b), b.activation_key)
    nobody = Caller(HttpClient(stack.base_url), None)
    before = _settled(store)
    pairs = {"B": 0, "no session": 0}

    # when B, then nobody, calls every id-taking operation with every id of A's of its kind,
    # and with a missing id of the same shape
    for op in OPERATIONS:
        assert owner.ids[op.kind], f"A has no {op.kind} for {op}"
        for a_id in owner.ids[op.kind]:
            product = owner.software.get(a_id, "TSplus")
            # then B's answer is the missing id's, byte for byte (404 on the session routes)
            theirs = request(b_caller, op, a_id, product=product)
            missing = request(b_caller, op, missing_id(op), product=product)
            assert comparable(theirs) == comparable(missing), (str(op), theirs.text, missing.text)
            assert theirs.status_code == (409 if op.by_key else 404), (str(op), theirs.text)
            if not op.by_key:
                assert theirs.json()["error"]["code"] == "not_found"
            pairs["B"] += 1
            # and without a session (or with a key nobody holds) it is 401, as for a missing id
            anonymous = request(nobody, op, a_id, product=product)
            unknown = request(nobody, op, missing_id(op), product=product)
            assert anonymous.status_code == 401, (str(op), anonymous.text)
            assert comparable(anonymous) == comparable(unknown), str(op)
            pairs["no session"] += 1

    # then nothing of A's changed: the only items written are B's session (its idle timer) and
    # the rate-limit windows of the keys nobody holds
    after = _settled(store)
    changed = {(i["pk"], i["sk"]) for i in after if i not in before}
    changed |= {(i["pk"], i["sk"]) for i in before if i not in after}
    assert all(pk.startswith(("SESSION#", "RATE#AKEY#", "RATE#AIP#")) for pk, _ in changed), changed
    a_partition = f"CUST#{owner.customer.customer_id}"
    assert [i for i in before if i["pk"] == a_partition] == [
        i for i in after if i["pk"] == a_partition
    ]
    figures = {
        "operations": len(OPERATIONS),
        "ids_of_A": sum(len(v) for v in owner.ids.values()),
        "pairs_B": pairs["B"],
        "pairs_no_session": pairs["no session"],
        "requests": 2 * (pairs["B"] + pairs["no session"]),
    }
    record_property("access_matrix", figures)
    print("access matrix:", figures)


def test_the_owner_reaches_each_of_their_ids_on_every_route(stack, owner):
    """The matrix's control: for A each of A's ids answers otherwise than a missing id (run
    after the matrix: these calls change A's records)."""
    a = Caller(owner.client, owner.customer.activation_key)
    for op in OPERATIONS:
        for a_id in owner.ids[op.kind]:
            product = owner.software.get(a_id, "TSplus")
            mine = request(a, op, a_id, product=product)
            missing = request(a, op, missing_id(op), product=product)
            assert comparable(mine) != comparable(missing), (str(op), mine.text)
            assert mine.status_code < 500 and mine.status_code not in {401, 404}, (
                str(op),
                mine.text,
            )
