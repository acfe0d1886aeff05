"""SECURITY.md 26 and the error contract: every response, errors included, carries the security
headers; authenticated data is never cached; unknown routes answer in the contract's shape.
Also the edge's input handling (deeply nested bodies, path parameters with their real shapes)
and every sample event in events/ reaching its function's success path.

Customers are made by the factory; the sample events carry the guide's customer (the demo data),
so only their tests use it."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from local import fastspring as fs
from tests.support import (
    DEMO_EMAIL,
    PENDING_COOKIE,
    ROOT,
    SECOND,
    THROTTLING,
    WEBHOOK_SECRET,
    FakeFastSpring,
    body_of,
    call,
    count_items,
    deliver_raw,
    download,
    event,
    faulty,
    handler,
    invoke,
    login,
    mailed,
    order_detail,
    outbox_ids,
    pending_token,
    sample_event,
    session_token,
    sign_in,
    verify,
)

ENTERPRISE_10 = ("TSplus", "Enterprise", 10)  # a license: software, edition, users
CSP = (
    "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
DEEP = "[" * 10_000


def assert_secure_headers(response: dict) -> None:
    headers = response["headers"]
    assert headers["Strict-Transport-Security"].startswith("max-age=")
    assert int(headers["Strict-Transport-Security"].split("=")[1].split(";")[0]) >= 31536000
    assert headers["Content-Security-Policy"] == CSP
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"]
    assert headers["Cache-Control"] == "no-store"


# ---------------------------------------------------------------- headers and error shape
def test_success_and_error_responses_carry_the_security_headers(make_customer):
    # given a signed-in customer
    customer = make_customer(licenses=[ENTERPRISE_10])
    token = sign_in(customer)

    # when they sign in, fail to, send a broken body, read, read without a session, send a bad
    # query and sign out
    responses = [
        login(customer),
        login({"email": "x@example.com", "orderNumber": "JWT1"}),
        login("{"),
        call("me", token),
        call("me", None),
        call("list_licenses", token, {"limit": "0"}),
        invoke("logout", event("logout", token=token)),
    ]

    # then every response, success or error, carries the security headers
    for response in responses:
        assert_secure_headers(response)


def test_a_route_the_function_does_not_serve_is_404_in_contract_shape(aws):
    # given a request for a path no function serves
    ev = event("me", token=None)
    ev["rawPath"] = ev["requestContext"]["http"]["path"] = "/api/nothing-here"

    # when it reaches a function
    response = invoke("me", ev)

    # then it is a 404 in the contract's shape, with the security headers
    assert response["statusCode"] == 404
    assert body_of(response) == {"error": {"code": "not_found", "message": "Not found."}}
    assert_secure_headers(response)


def test_an_unexpected_failure_is_a_500_without_internals(make_customer, monkeypatch):
    from portal.licensing import licenses

    # given a signed-in customer, and listing licenses failing with internals in its message
    token = sign_in(make_customer(licenses=[ENTERPRISE_10]))

    def boom(*args, **kwargs):
        raise RuntimeError("secret internals: table PortalTable pk=CUST#")

    monkeypatch.setattr(licenses, "list_licenses", boom)

    # when they list their licenses
    response = call("list_licenses", token)

    # then it is a 500 in the contract's shape that tells nothing of the internals
    assert response["statusCode"] == 500
    assert "internals" not in response["body"] and "CUST#" not in response["body"]
    assert body_of(response)["error"]["code"] == "internal_error"


# ---------------------------------------------------------------- deeply nested bodies
@pytest.mark.parametrize(
    "body",
    [
        DEEP,  # 10,000 "[" (10 KB: within the 16 KB cap)
        "[" * 8_000 + "]" * 8_000,  # closed (16 KB)
        '{"email": ' + DEEP,  # inside a real field
    ],
)
def test_a_deeply_nested_login_body_is_400_in_the_contract_shape(aws, body):
    # given a JSON body nested deeper than the parser's recursion goes, within the size cap
    assert len(body.encode()) <= 16 * 1024
    # when it is posted to the sign-in
    response = login(body)
    # then it is a malformed request in the contract's error shape, not a 500
    assert response["statusCode"] == 400
    error = body_of(response)["error"]
    assert set(error) == {"code", "message"} and error["code"] == "bad_request"
    assert_secure_headers(response)


def test_a_signed_deeply_nested_webhook_body_is_400(store):
    # given a correctly signed body of 10,000 nested arrays (FastSpring's secret, raw bytes)
    body = DEEP.encode()
    before = count_items(store)
    # when it is delivered to the webhook
    response = deliver_raw(body, fs.signature(WEBHOOK_SECRET, body))
    # then it is a 400 in the contract's error shape, and nothing was written
    assert response["statusCode"] == 400
    assert body_of(response)["error"]["code"] == "bad_request"
    assert count_items(store) == before


# ---------------------------------------------------------------- path parameters
@pytest.mark.parametrize(
    "record_id",
    [
        "not-a-ulid",
        "01arz3ndektsv4rrffq69g5fav",  # lower case: not Crockford as we issue it
        "01ARZ3NDEKTSV4RRFFQ69G5FA",  # 25 characters
        "01ARZ3NDEKTSV4RRFFQ69G5FAVX",  # 27 characters
        "01ARZ3NDEKTSV4RRFFQ69G5FAU",  # U is not in Crockford's alphabet
        "01ARZ3NDEKTSV4RRFFQ69G5F%2F",
        "x" * 200,
    ],
)
@pytest.mark.parametrize("kind", ["licenses", "supports"])
def test_a_malformed_record_id_is_404_like_a_missing_one(make_customer, kind, record_id):
    # given a signed-in customer with a license and its support
    token = sign_in(make_customer(licenses=[ENTERPRISE_10], supports=[(*ENTERPRISE_10, 1)]))
    # when they ask for a file by an id that is not a ULID, and by a well-formed unknown one
    malformed = download(kind, token, record_id)
    missing = download(kind, token, "01ARZ3NDEKTSV4RRFFQ69G5FAV")
    # then both answer the same 404 not_found
    assert malformed["statusCode"] == missing["statusCode"] == 404
    assert (
        body_of(malformed)
        == body_of(missing)
        == {"error": {"code": "not_found", "message": "Not found."}}
    )


def test_a_reference_is_read_after_normalising_and_a_malformed_one_is_400(make_customer):
    # given a signed-in customer
    customer = make_customer(licenses=[ENTERPRISE_10])
    token = sign_in(customer)
    # when they ask for their order as typed (spaces, lower case, percent-encoded) and malformed
    typed = order_detail(token, f"%20{customer.order_number.lower()}%20")
    malformed = order_detail(token, "-JWT190529")
    # then the typed one is found, the malformed one is 400 naming the parameter
    assert typed["statusCode"] == 200
    assert body_of(typed)["reference"] == customer.order_number
    assert malformed["statusCode"] == 400
    assert body_of(malformed)["error"] == {
        "code": "bad_request",
        "message": "Invalid value for 'reference'.",
    }


def test_path_parameters_are_documented_with_the_shapes_they_are_read_with():
    # given the committed OpenAPI document
    spec = json.loads((ROOT / "docs" / "openapi.json").read_text())

    def schema(path: str, name: str) -> dict:
        parameters = spec["paths"][path]["get"]["parameters"]
        return next(p["schema"] for p in parameters if p["name"] == name)

    # then ids are 26-character ULIDs and references follow portal.types
    ulid = {"minLength": 26, "maxLength": 26, "pattern": "^[0-9A-HJKMNP-TV-Z]{26}$"}
    for path, name in [
        ("/api/licenses/{license_id}/file", "license_id"),
        ("/api/supports/{support_id}/file", "support_id"),
    ]:
        assert ulid.items() <= schema(path, name).items()
    reference = schema("/api/orders/{reference}", "reference")
    assert reference["maxLength"] == 64
    assert reference["pattern"] == r"^[A-Z0-9][A-Z0-9\-]{0,63}$"


# ---------------------------------------------------------------- sample events
STAGE_ORIGIN = "https://portal.example.com"  # the origin the sample events come from
PLACEHOLDER = "REPLACE_WITH_SESSION_TOKEN_FROM_LOGIN_000000"
SUCCESS = {
    "activation": 200,
    "activation_keys": 200,
    "download_file": 200,
    "fastspring_webhook": 200,
    "forget_browsers": 204,
    "list_licenses": 200,
    "list_orders": 200,
    "list_supports": 200,
    "login": 202,  # a fresh browser: a code is mailed
    "logout": 204,
    "manage_license": 200,
    "me": 200,
    "order_detail": 200,
    "sign_in_link": 202,
    "preferences": 200,
    "upgrade_checkout": 200,
    "upgrade_quote": 201,
    "verify_code": 200,
}


def test_there_is_one_sample_event_per_function():
    # given the functions and the sample events; then one sample per function, and each
    # function with a success status here (the scheduled one and the stream-fed mailer are
    # checked on their own)
    functions = {p.parent.name for p in (ROOT / "functions").glob("*/app.py")}
    samples = {p.stem for p in (ROOT / "events").glob("*.json")}
    assert samples == functions
    assert set(SUCCESS) | {"reconcile_fastspring", "mailer", "support_reminders"} == functions


@pytest.fixture
def stage(seeded, monkeypatch):
    """The stage the sample events describe: the portal served at https://portal.example.com, with
    the demo data (the point: the sample login event signs in as the guide's customer)."""
    from portal import dependencies

    monkeypatch.setenv("PORTAL_ORIGIN", STAGE_ORIGIN)
    dependencies.reset()
    yield seeded
    dependencies.reset()


def with_session(ev: dict, token: str) -> dict:
    ev = copy.deepcopy(ev)
    ev["cookies"] = [c.replace(PLACEHOLDER, token) for c in ev.get("cookies", [])]
    return ev


def sample_sign_in(store) -> str:
    """The sample login event (the guide's customer, from a fresh browser: 202), then the code
    mailed to the customer; the session token."""
    pending = invoke("login", sample_event("login"))
    assert pending["statusCode"] == 202, pending
    code = mailed(store, DEMO_EMAIL)["code"]
    return session_token(verify(code, pending_token(pending), origin=STAGE_ORIGIN))


@pytest.mark.parametrize("name", sorted(SUCCESS))
def test_every_sample_event_reaches_its_success_path(stage, store, name, monkeypatch):
    # given the demo data (the sample sign-in is the guide's customer's; upgrades are the second
    # customer's, whose Remote Work license is upgradable), and a real session
    if name.startswith("upgrade_"):
        token = sign_in(SECOND, origin=STAGE_ORIGIN)
    else:
        token = sample_sign_in(store)
    ev = with_session(sample_event(name), token)
    if name == "verify_code":
        # a pending sign-in of the sample's customer, in place of the sample's cookie and code
        before = outbox_ids(store)
        pending = invoke("login", sample_event("login"))
        code = mailed(store, DEMO_EMAIL, before=before)["code"]
        sample = sample_event("verify_code")
        sample_pending = next(c for c in sample["cookies"] if c.startswith(PENDING_COOKIE))
        sample_code = json.loads(sample["body"])["code"]
        raw = json.dumps(ev).replace(sample_pending.split("=", 1)[1], pending_token(pending))
        ev = json.loads(raw.replace(sample_code, code))
    if name.startswith("upgrade_"):
        licenses = body_of(
            invoke("list_licenses", with_session(sample_event("list_licenses"), token))
        )
        remote_work = next(lic["id"] for lic in licenses["items"] if lic["upgradable"])
        ev = json.loads(json.dumps(ev).replace("01ARZ3NDEKTSV4RRFFQ69G5FAV", remote_work))
    if name == "upgrade_checkout":
        # a real quote of that license, and FastSpring's sessions API answering a session id
        quoted = with_session(sample_event("upgrade_quote"), token)
        quoted = json.loads(json.dumps(quoted).replace("01ARZ3NDEKTSV4RRFFQ69G5FAV", remote_work))
        quote_id = body_of(invoke("upgrade_quote", quoted))["quoteId"]
        ev = json.loads(json.dumps(ev).replace("01JDQ4Z6W7X8Y9ZABCDEFGHJKM", quote_id))
        module = handler("upgrade_checkout")
        monkeypatch.setattr(
            module.FastSpringApi, "for_checkout", classmethod(lambda cls, s: SessionsApi())
        )
    if name in ("download_file", "manage_license"):
        # the demo customer's own license (one bound to a computer), in place of the sample id
        licenses = body_of(
            invoke("list_licenses", with_session(sample_event("list_licenses"), token))
        )
        sample_id = ev["pathParameters"]["license_id"]
        real_id = next(lic["id"] for lic in licenses["items"] if lic["computerId"])
        ev = json.loads(json.dumps(ev).replace(sample_id, real_id))
    # when the sample event is handed to its function
    response = invoke(name, ev)
    # then it answers its documented success status, with the security headers
    assert response["statusCode"] == SUCCESS[name], response.get("body")
    assert response["headers"]["Content-Security-Policy"] == CSP
    if name == "fastspring_webhook":  # the signed sample order is committed
        assert response["body"] == json.loads(ev["body"])["events"][0]["id"]
    elif name == "download_file":
        assert response["headers"]["Content-Disposition"].startswith("attachment; filename=")
    elif SUCCESS[name] == 200:
        assert "error" not in body_of(response)


class SessionsApi:
    """FastSpring's sessions API in memory: the sessions asked for, each answered a new id."""

    def __init__(self) -> None:
        self.created: list[dict] = []

    def create_session(self, session: dict) -> str:
        self.created.append(session)
        return f"session{len(self.created)}"


def test_the_sample_webhook_is_signed_with_the_local_secret():
    # given the sample webhook event; then its signature is the local secret's over its body
    ev = sample_event("fastspring_webhook")
    assert ev["headers"]["x-fs-signature"] == fs.signature(WEBHOOK_SECRET, ev["body"].encode())
    assert int(ev["headers"]["content-length"]) == len(ev["body"].encode())


def test_the_sample_schedule_reconciles_without_failures(aws, monkeypatch):
    # given FastSpring holding one order event that was never delivered
    missed = fs.order_completed(email="missed@example.com", skus=["T-ENT-1"])
    api = FakeFastSpring([missed])
    module = handler("reconcile_fastspring")
    monkeypatch.setattr(module.FastSpringApi, "from_settings", classmethod(lambda cls, s: api))
    # when the sample scheduled event invokes the function
    summary = invoke("reconcile_fastspring", sample_event("reconcile_fastspring"))
    # then it is ingested, marked processed, and nothing failed
    assert summary["committed"] == 1 and summary["failed"] == 0
    assert api.processed == {missed["id"]}


def test_the_sample_stream_batch_delivers_its_outbox_item(aws, store):
    # given the outbox item of the sample stream record in the table, and the sender verified
    import boto3
    from boto3.dynamodb.types import TypeDeserializer

    from portal import dependencies

    ev = sample_event("mailer")
    image = ev["Records"][0]["dynamodb"]["NewImage"]
    item = {name: TypeDeserializer().deserialize(value) for name, value in image.items()}
    store.put(item)
    ses = boto3.client("sesv2")
    ses.create_email_identity(EmailIdentity=dependencies.settings().mail_from)
    # when the sample batch invokes the mailer
    answer = invoke("mailer", ev)
    # then no record failed, the item is sent, and the mail is recorded in its customer's partition
    assert answer == {"batchItemFailures": []}
    sent = store.get({"pk": item["pk"], "sk": "OUTBOX"})
    assert sent["status"] == "sent" and sent["sesMessageId"]
    record = store.get({"pk": f"CUST#{item['customerId']}", "sk": f"MAIL#{item['outboxId']}"})
    assert record["sesMessageId"] == sent["sesMessageId"]
    assert record["kind"] == "activation_notice"
    # and handing it over again sends nothing more
    assert invoke("mailer", ev) == {"batchItemFailures": []}
    assert count_items(store, "MAIL#") == 1


def test_sample_events_are_genuine_http_api_v2_events():
    # given each sample event; then it has the shape API Gateway's HTTP API (payload 2.0),
    # EventBridge's schedule or a DynamoDB stream (the mailer's) sends
    for path in sorted(Path(ROOT / "events").glob("*.json")):
        ev = json.loads(path.read_text())
        if path.stem == "reconcile_fastspring":
            assert ev["detail-type"] == "Scheduled Event", path.name
            continue
        if path.stem == "support_reminders":
            assert ev == {}, path.name  # the schedule's Input (test_mail_template.py)
            continue
        if path.stem == "mailer":
            (record,) = ev["Records"]
            assert record["eventSource"] == "aws:dynamodb", path.name
            assert record["eventName"] == "INSERT", path.name
            assert record["eventSourceARN"].split("/")[-2] == "stream", path.name
            keys = record["dynamodb"]["Keys"]
            assert keys["pk"]["S"].startswith("OUTBOX#"), path.name
            assert record["dynamodb"]["NewImage"]["pk"] == keys["pk"], path.name
            continue
        assert ev["version"] == "2.0", path.name
        method, route = ev["routeKey"].split(" ", 1)
        assert ev["requestContext"]["http"]["method"] == method, path.name
        assert ev["rawPath"] == ev["requestContext"]["http"]["path"], path.name
        assert ev["headers"]["user-agent"] == ev["requestContext"]["http"]["userAgent"], path.name
        assert set(ev.get("pathParameters", {})) == {
            part[1:-1] for part in route.split("/") if part.startswith("{")
        }, path.name


def test_a_throttled_table_is_a_503_with_retry_after_in_the_contract_shape(make_customer, store):
    # given a signed-in customer, and DynamoDB throttling the next read of their licenses
    token = sign_in(make_customer(licenses=[("TSplus", "Enterprise", 10)]))
    with faulty(store.client, THROTTLING, lambda request: request.operation == "Query"):
        # when the page asks for them
        response = call("list_licenses", token)
    # then the answer says "try again soon", in the contract's shape, and logs no stack trace
    assert response["statusCode"] == 503
    assert response["headers"]["Retry-After"] == "1"
    assert json.loads(response["body"])["error"]["code"] == "service_unavailable"
    # and asked again, it answers
    assert call("list_licenses", token)["statusCode"] == 200
