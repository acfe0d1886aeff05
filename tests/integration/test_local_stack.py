"""The local stack over real HTTP: web/ with production's security headers, no path traversal,
tables and secrets created from template.yaml, and SAM CLI's event building driving the
in-process runner (a throwaway echo template proves the genuine v2 event and response mapping).

SAM CLI internals are pinned (aws-sam-cli 1.170.0); these tests are what notices when they move.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
import yaml

from local import aws
from local.api import DEFAULT_TEMPLATE, DEFAULT_WEB_DIR
from local.environment import UnresolvedEnvironment
from local.stack import LocalStack
from tests.support import ROOT

pytestmark = pytest.mark.integration

TEMPLATE = ROOT / "template.yaml"
WEB = ROOT / "web"

SECURITY_HEADERS = {
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "Content-Security-Policy": (
        "default-src 'self'; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


# ---------------------------------------------------------------- helpers
class _CfnLoader(yaml.SafeLoader):
    """Plain PyYAML that reads !Ref/!Sub/... as {"Ref": ...} - independent of SAM CLI's loader."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = suffix if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        return {name: value.split(".", 1) if suffix == "GetAtt" else value}
    if isinstance(node, yaml.SequenceNode):
        return {name: loader.construct_sequence(node, deep=True)}
    return {name: loader.construct_mapping(node, deep=True)}


_CfnLoader.add_multi_constructor("!", _intrinsic)


def _load(template: Path) -> dict[str, Any]:
    return yaml.load(template.read_text(encoding="utf-8"), Loader=_CfnLoader)  # noqa: S506 - safe


def _resources(template: Path, kind: str) -> dict[str, dict[str, Any]]:
    resources = _load(template)["Resources"]
    return {lid: r.get("Properties", {}) for lid, r in resources.items() if r["Type"] == kind}


class Answer:
    def __init__(self, response: http.client.HTTPResponse) -> None:
        self.status = response.status
        self.headers = response.headers
        self.body = response.read()

    def json(self) -> Any:
        return json.loads(self.body)


def call(
    base_url: str,
    method: str,
    raw_path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> Answer:
    """One request with the path sent exactly as given (no client-side dot-segment cleanup)."""
    url = urlsplit(base_url)
    connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=10)
    try:
        connection.request(method, raw_path, body=body, headers=headers or {})
        return Answer(connection.getresponse())
    finally:
        connection.close()


def _client(stack: LocalStack, service: Any) -> Any:
    return boto3.client(
        service,
        endpoint_url=stack.moto_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


# ---------------------------------------------------------------- the portal's own template
@pytest.fixture(scope="class")
def portal() -> Any:
    with LocalStack(seed=False) as stack:
        yield stack


class TestPortalStack:
    def test_defaults_are_the_repository_template_and_web(self) -> None:
        assert DEFAULT_TEMPLATE == TEMPLATE
        assert DEFAULT_WEB_DIR == WEB

    def test_index_is_served_at_root_with_security_headers(self, portal: LocalStack) -> None:
        answer = call(portal.base_url, "GET", "/")
        assert answer.status == 200
        assert answer.body == (WEB / "index.html").read_bytes()
        assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
        for name, value in SECURITY_HEADERS.items():
            assert answer.headers[name] == value, name

    def test_web_files_have_their_content_type(self, portal: LocalStack) -> None:
        script = next(WEB.rglob("*.js"))
        answer = call(portal.base_url, "GET", "/" + script.relative_to(WEB).as_posix())
        assert answer.status == 200
        assert answer.body == script.read_bytes()
        assert answer.headers["Content-Type"] == "text/javascript; charset=utf-8"
        assert answer.headers["X-Content-Type-Options"] == "nosniff"

    @pytest.mark.parametrize(
        "raw_path",
        [
            "/../template.yaml",
            "/%2e%2e/template.yaml",
            "/%2E%2E/template.yaml",
            "/..%2ftemplate.yaml",
            "/%2e%2e%2ftemplate.yaml",
            "/js/../../template.yaml",
            "/js/%2e%2e/%2e%2e/template.yaml",
            "/..%5ctemplate.yaml",
        ],
    )
    def test_path_traversal_is_404(self, portal: LocalStack, raw_path: str) -> None:
        answer = call(portal.base_url, "GET", raw_path)
        assert answer.status == 404
        assert b"AWSTemplateFormatVersion" not in answer.body

    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("GET", "/api/does-not-exist"),
            ("POST", "/api/does-not-exist"),
            ("GET", "/api"),
            ("GET", "/api/auth/login"),  # the route exists for POST only
            ("DELETE", "/api/me"),
        ],
    )
    def test_unknown_api_route_is_404(self, portal: LocalStack, method: str, path: str) -> None:
        assert call(portal.base_url, method, path).status == 404

    def test_a_real_handler_answers_through_the_runner(self, portal: LocalStack) -> None:
        answer = call(portal.base_url, "GET", "/api/me")
        assert answer.status == 401
        assert answer.headers["Content-Type"].startswith("application/json")
        assert answer.headers["X-Frame-Options"] == "DENY"

    def test_tables_have_the_template_schema(self, portal: LocalStack) -> None:
        client = _client(portal, "dynamodb")
        tables = _resources(TEMPLATE, "AWS::DynamoDB::Table")
        assert tables, "the template defines no table"
        assert set(client.list_tables()["TableNames"]) == set(tables)
        assert portal.tables == {name: name for name in tables}
        for name, props in tables.items():
            table = client.describe_table(TableName=name)["Table"]
            assert table["KeySchema"] == props["KeySchema"]
            assert sorted(table["AttributeDefinitions"], key=str) == sorted(
                props["AttributeDefinitions"], key=str
            )
            if "BillingMode" in props:
                assert table["BillingModeSummary"]["BillingMode"] == props["BillingMode"]
            for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
                wanted = {i["IndexName"]: i for i in props.get(kind, [])}
                found = {i["IndexName"]: i for i in table.get(kind, [])}
                assert set(found) == set(wanted), kind
                for index, spec in wanted.items():
                    assert found[index]["KeySchema"] == spec["KeySchema"]
                    assert found[index]["Projection"] == spec["Projection"]
            if ttl := props.get("TimeToLiveSpecification"):
                got = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
                assert got["AttributeName"] == ttl["AttributeName"]
                assert got["TimeToLiveStatus"] == ("ENABLED" if ttl["Enabled"] else "DISABLED")
            if props.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled"):
                backups = client.describe_continuous_backups(TableName=name)
                pitr = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
                assert pitr["PointInTimeRecoveryStatus"] == "ENABLED"

    def test_every_template_secret_exists_locally(self, portal: LocalStack) -> None:
        client = _client(portal, "secretsmanager")
        secrets = _resources(TEMPLATE, "AWS::SecretsManager::Secret")
        assert secrets
        values = aws.dev_secret_values()
        for props in secrets.values():
            name = props["Name"]["Fn::Sub"].replace("${Stage}", "local")
            assert client.get_secret_value(SecretId=name)["SecretString"] == values[name]
        webhook = values["customer-portal/local/fastspring-webhook"]
        assert webhook == (
            os.environ.get("PORTAL_DEV_FASTSPRING_WEBHOOK_SECRET")
            or "local-development-fastspring-webhook-secret"
        )

    def test_every_template_kms_key_exists_locally(self, portal: LocalStack) -> None:
        client = _client(portal, "kms")
        keys = _resources(TEMPLATE, "AWS::KMS::Key")
        assert set(keys) == set(portal.kms_keys)
        for logical_id, props in keys.items():
            meta = client.describe_key(KeyId=portal.kms_keys[logical_id])["KeyMetadata"]
            assert meta["KeySpec"] == props.get("KeySpec", "SYMMETRIC_DEFAULT")
            assert meta["KeyUsage"] == props.get("KeyUsage", "ENCRYPT_DECRYPT")
        env = portal.environment
        assert env["LICENSE_SIGNING_KEY_IDS"] == portal.kms_keys["LicenseSigningKey"]
        assert env["ACTIVATION_KEY_SEALING_KEY_ID"] == portal.kms_keys["ActivationKeySealingKey"]

    def test_handler_environment_is_resolved_for_local(self, portal: LocalStack) -> None:
        template = _load(TEMPLATE)
        declared = template["Globals"]["Function"]["Environment"]["Variables"]
        env = portal.environment
        assert set(declared) <= set(env)
        assert env["TABLE_NAME"] == portal.table_name == "PortalTable"
        assert env["STAGE"] == "local"
        assert env["PORTAL_ORIGIN"] == portal.base_url
        assert env["SECRETS_PREFIX"] == "customer-portal/local/"
        assert env["ORIGIN_VERIFY"] == "off"
        assert env["ALLOW_TEST_ORDERS"] == "true"
        assert not [name for name, value in env.items() if "$" in value or "{" in value]
        assert all(os.environ[name] == value for name, value in env.items())
        assert os.environ["AWS_ENDPOINT_URL"] == portal.moto_url


# ---------------------------------------------------------------- a throwaway echo template
ECHO_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.13
    MemorySize: 256
    Timeout: 7
    Environment:
      Variables:
        TABLE_NAME: !Ref EchoTable
        GREETING: hello
Resources:
  EchoTable:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
  HttpApi:
    Type: AWS::Serverless::HttpApi
  EchoFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: echo/
      Handler: app.lambda_handler
      Environment: {Variables: {ONLY_ECHO: "yes"%(extra)s}}
      Events:
        Get: {Type: HttpApi, Properties: {ApiId: !Ref HttpApi, Path: /api/echo, Method: GET}}
        Post: {Type: HttpApi, Properties: {ApiId: !Ref HttpApi, Path: /api/echo, Method: POST}}
        Named:
          Type: HttpApi
          Properties: {ApiId: !Ref HttpApi, Path: "/api/echo/{name}", Method: GET}
  OtherFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: other/
      Handler: app.lambda_handler
      Events:
        Get: {Type: HttpApi, Properties: {ApiId: !Ref HttpApi, Path: /api/other, Method: GET}}
  BrokenFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: broken/
      Handler: app.lambda_handler
      Events:
        Get: {Type: HttpApi, Properties: {ApiId: !Ref HttpApi, Path: /api/broken, Method: GET}}
"""

# Both handlers below: how many invocations run at once in the process, and the most seen, in a
# namespace every function of the process shares (as Powertools' BaseRouter.current_event is).
PROBE_CODE = """
import sys
import threading
import time
import types

PROBE = sys.modules.setdefault(
    "_overlap_probe", types.SimpleNamespace(active=0, most=0, lock=threading.Lock())
)


def hold():
    with PROBE.lock:
        PROBE.active += 1
        PROBE.most = max(PROBE.most, PROBE.active)
    time.sleep(0.05)
    with PROBE.lock:
        PROBE.active -= 1
    return PROBE.most
"""

ECHO_HANDLER = (
    """\
import json
import os
"""
    + PROBE_CODE
    + """

def lambda_handler(event, context):
    if event.get("rawQueryString") == "hold":  # the overlap probe (PROBE_CODE)
        return {"statusCode": 201, "body": json.dumps({"most": hold()})}
    names = ("GREETING", "ONLY_ECHO", "TABLE_NAME", "STAGE", "PORTAL_ORIGIN", "SECRETS_PREFIX")
    return {
        "statusCode": 201,
        "headers": {"content-type": "application/json", "x-echo": "yes"},
        "cookies": ["first=1; Path=/", "second=2; Path=/; HttpOnly"],
        "body": json.dumps({
            "event": event,
            "module": __name__,
            "env": {name: os.environ.get(name) for name in names},
            "context": {
                "function_name": context.function_name,
                "memory": context.memory_limit_in_mb,
                "arn": context.invoked_function_arn,
                "request_id": context.aws_request_id,
                "remaining": context.get_remaining_time_in_millis(),
            },
        }),
    }
"""
)

OTHER_HANDLER = (
    """\
import json
"""
    + PROBE_CODE
    + """

def lambda_handler(event, context):
    most = hold() if event.get("rawQueryString") == "hold" else PROBE.most
    body = {"who": "other", "module": __name__, "most": most}
    return {"statusCode": 200, "body": json.dumps(body)}
"""
)

BROKEN_HANDLER = """\
def lambda_handler(event, context):
    raise RuntimeError("boom")
"""


def write_echo_project(root: Path, extra_env: str = "") -> Path:
    (root / "template.yaml").write_text(ECHO_TEMPLATE % {"extra": extra_env}, encoding="utf-8")
    for folder, code in (
        ("echo", ECHO_HANDLER),
        ("other", OTHER_HANDLER),
        ("broken", BROKEN_HANDLER),
    ):
        (root / folder).mkdir()
        (root / folder / "app.py").write_text(code, encoding="utf-8")
    web = root / "web"
    (web / "sub").mkdir(parents=True)
    (web / "index.html").write_text("<!doctype html><title>echo</title>", encoding="utf-8")
    (web / "style.css").write_text("body{}", encoding="utf-8")
    (web / "logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>", encoding="utf-8")
    (web / "sub" / "page.html").write_text("<p>sub</p>", encoding="utf-8")
    (web / ".hidden").write_text("dot", encoding="utf-8")
    (root / "secret.txt").write_text("SENTINEL-OUTSIDE-WEB", encoding="utf-8")
    return root / "template.yaml"


@pytest.fixture(scope="class")
def echo(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("echo")
    template = write_echo_project(root)
    with LocalStack(seed=False, template=template, web_dir=root / "web") as stack:
        yield stack


def _echoed(answer: Answer) -> dict[str, Any]:
    assert answer.status == 201, answer.body
    return answer.json()


class TestInProcessRunner:
    def test_get_builds_a_genuine_v2_event(self, echo: LocalStack) -> None:
        answer = call(
            echo.base_url,
            "GET",
            "/api/echo?color=blue&size=10&size=12",
            headers={"X-Custom-Thing": "abc", "Cookie": "c1=v1; c2=v2"},
        )
        event = _echoed(answer)["event"]
        assert event["version"] == "2.0"
        assert event["routeKey"] == "GET /api/echo"
        assert event["rawPath"] == "/api/echo"
        assert event["rawQueryString"] == "color=blue&size=10&size=12"
        assert event["queryStringParameters"] == {"color": "blue", "size": "10,12"}
        assert event["cookies"] == ["c1=v1", "c2=v2"]
        assert event["headers"]["x-custom-thing"] == "abc"
        assert all(name == name.lower() for name in event["headers"])
        assert event["requestContext"]["http"]["method"] == "GET"
        assert event["requestContext"]["http"]["path"] == "/api/echo"
        assert event["requestContext"]["http"]["sourceIp"] == "127.0.0.1"
        assert event["isBase64Encoded"] is False

    def test_v2_response_maps_to_http(self, echo: LocalStack) -> None:
        answer = call(echo.base_url, "GET", "/api/echo")
        assert answer.status == 201
        assert answer.headers["x-echo"] == "yes"
        assert answer.headers["Content-Type"] == "application/json"
        assert answer.headers.get_all("Set-Cookie") == [
            "first=1; Path=/",
            "second=2; Path=/; HttpOnly",
        ]

    def test_binary_body_arrives_base64_encoded(self, echo: LocalStack) -> None:
        payload = b"\x00\x01\xfe\xffbinary"
        answer = call(
            echo.base_url,
            "POST",
            "/api/echo",
            body=payload,
            headers={"Content-Type": "application/octet-stream"},
        )
        event = _echoed(answer)["event"]
        assert event["isBase64Encoded"] is True
        assert base64.b64decode(event["body"]) == payload

    def test_bytes_that_are_not_utf8_arrive_base64_encoded_whatever_their_type(
        self, echo: LocalStack
    ) -> None:
        # given a body declared as JSON whose bytes are not UTF-8 (SAM CLI alone answers 502)
        payload = b"\x80{not text"
        # when it is posted
        answer = call(
            echo.base_url,
            "POST",
            "/api/echo",
            body=payload,
            headers={"Content-Type": "application/json"},
        )
        # then the function receives it, base64-encoded
        event = _echoed(answer)["event"]
        assert event["isBase64Encoded"] is True
        assert base64.b64decode(event["body"]) == payload

    def test_json_body_arrives_as_text(self, echo: LocalStack) -> None:
        text = json.dumps({"hello": "wörld"})
        answer = call(
            echo.base_url,
            "POST",
            "/api/echo",
            body=text.encode(),
            headers={"Content-Type": "application/json"},
        )
        event = _echoed(answer)["event"]
        assert event["isBase64Encoded"] is False
        assert json.loads(event["body"]) == {"hello": "wörld"}
        assert event["requestContext"]["http"]["method"] == "POST"

    def test_path_parameters(self, echo: LocalStack) -> None:
        event = _echoed(call(echo.base_url, "GET", "/api/echo/bob"))["event"]
        assert event["routeKey"] == "GET /api/echo/{name}"
        assert event["pathParameters"] == {"name": "bob"}
        assert event["rawPath"] == "/api/echo/bob"

    def test_environment_and_context(self, echo: LocalStack) -> None:
        echoed = _echoed(call(echo.base_url, "GET", "/api/echo"))
        assert echoed["env"] == {
            "GREETING": "hello",
            "ONLY_ECHO": "yes",
            "TABLE_NAME": "EchoTable",
            "STAGE": "local",
            "PORTAL_ORIGIN": echo.base_url,
            "SECRETS_PREFIX": "customer-portal/local/",
        }
        context = echoed["context"]
        assert context["function_name"] == "EchoFunction"
        assert context["memory"] == 256
        assert context["arn"].endswith(":function:EchoFunction")
        assert context["request_id"]
        assert 0 < context["remaining"] <= 7000

    def test_each_app_py_is_its_own_module(self, echo: LocalStack) -> None:
        other = call(echo.base_url, "GET", "/api/other")
        assert other.status == 200
        assert other.json()["who"] == "other"
        echo_module = _echoed(call(echo.base_url, "GET", "/api/echo"))["module"]
        assert echo_module != other.json()["module"]
        assert echo_module != "app"

    def test_one_invocation_at_a_time_across_functions(self, echo: LocalStack) -> None:
        # given two functions that note how many invocations run at once in the process (the
        # state Powertools keeps on a shared class makes two at once unsafe)
        assert call(echo.base_url, "GET", "/api/other").status == 200  # the probe exists
        # when eight requests to both arrive together
        from concurrent.futures import ThreadPoolExecutor

        paths = ["/api/echo?hold", "/api/other?hold"] * 4
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(lambda path: call(echo.base_url, "GET", path), paths))
        # then every one answered, and never two ran at once
        assert sorted(a.status for a in answers) == [200] * 4 + [201] * 4
        assert max(a.json()["most"] for a in answers) == 1

    def test_a_failing_handler_is_a_5xx_and_the_stack_keeps_serving(self, echo: LocalStack) -> None:
        # when a handler raises, then SAM's answer for a failed Lambda: 500, no traceback
        broken = call(echo.base_url, "GET", "/api/broken")
        assert broken.status == 500
        assert b"boom" not in broken.body and b"Traceback" not in broken.body
        # and the next request to another function is served as usual
        assert call(echo.base_url, "GET", "/api/echo").status == 201

    def test_tables_come_from_the_given_template(self, echo: LocalStack) -> None:
        assert echo.tables == {"EchoTable": "EchoTable"}
        table = _client(echo, "dynamodb").describe_table(TableName="EchoTable")["Table"]
        assert table["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]

    @pytest.mark.parametrize(
        ("path", "content_type"),
        [
            ("/", "text/html; charset=utf-8"),
            ("/index.html", "text/html; charset=utf-8"),
            ("/style.css", "text/css; charset=utf-8"),
            ("/logo.svg", "image/svg+xml; charset=utf-8"),
            ("/sub/page.html", "text/html; charset=utf-8"),
        ],
    )
    def test_web_files(self, echo: LocalStack, path: str, content_type: str) -> None:
        answer = call(echo.base_url, "GET", path)
        assert answer.status == 200
        assert answer.headers["Content-Type"] == content_type

    @pytest.mark.parametrize(
        "raw_path",
        [
            "/missing.html",
            "/sub",
            "/sub/",
            "/.hidden",
            "/../secret.txt",
            "/%2e%2e/secret.txt",
            "/sub/%2e%2e/%2e%2e/secret.txt",
            "/..%2fsecret.txt",
        ],
    )
    def test_no_listing_no_dotfiles_no_escape(self, echo: LocalStack, raw_path: str) -> None:
        answer = call(echo.base_url, "GET", raw_path)
        assert answer.status == 404
        assert b"SENTINEL" not in answer.body
        assert b"sub/page.html" not in answer.body


@pytest.mark.parametrize(
    "value", ["!GetAtt EchoTable.Arn", "!Sub '${EchoTable.Arn}/x'", "!Ref OtherFunction"]
)
def test_a_variable_naming_a_deployed_resource_stops_the_start(tmp_path: Path, value: str) -> None:
    # given a template whose function's variable names a resource only AWS would create
    template = write_echo_project(tmp_path, extra_env=f", ARN: {value}")
    before = os.environ.get("AWS_ENDPOINT_URL")
    # when the stack starts, then it stops at once, naming the variable, and changes nothing
    with pytest.raises(UnresolvedEnvironment, match="ARN"):
        LocalStack(seed=False, template=template, web_dir=tmp_path / "web").start()
    assert os.environ.get("AWS_ENDPOINT_URL") == before


def test_stop_closes_the_port_and_restores_the_environment(tmp_path: Path) -> None:
    # given a running stack
    template = write_echo_project(tmp_path)
    before = {name: os.environ.get(name) for name in ("AWS_ENDPOINT_URL", "TABLE_NAME", "STAGE")}
    stack = LocalStack(seed=False, template=template, web_dir=tmp_path / "web").start()
    base_url, moto_url, fastspring_url = stack.base_url, stack.moto_url, stack.fastspring_url
    assert call(base_url, "GET", "/").status == 200
    assert call(fastspring_url, "GET", "/session/none").status == 404
    # when it stops, then no port answers and the environment is as it was
    stack.stop()
    for url in (base_url, moto_url, fastspring_url):
        with pytest.raises(OSError):
            call(url, "GET", "/")
    assert {name: os.environ.get(name) for name in before} == before


def _free_port_pair() -> int:
    """A port p with p + 1 free too (both bound, then released)."""
    import socket

    for _ in range(50):
        with socket.socket() as first, socket.socket() as second:
            first.bind(("127.0.0.1", 0))
            port = first.getsockname()[1]
            try:
                second.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
            return int(port)
    raise RuntimeError("no two free ports in a row")


def test_on_a_fixed_port_the_fastspring_stand_in_takes_the_next(tmp_path: Path) -> None:
    # given a port and the next one free (make run: 3000 and 3001)
    port = _free_port_pair()
    # when the stack starts on it, then the stand-in answers on the next port
    template = write_echo_project(tmp_path)
    with LocalStack(port=port, seed=False, template=template, web_dir=tmp_path / "web") as stack:
        assert stack.base_url == f"http://127.0.0.1:{port}"
        assert stack.fastspring_url == f"http://127.0.0.1:{port + 1}"
        assert call(stack.fastspring_url, "GET", "/session/none").status == 404


def test_the_stack_file_points_the_local_commands_at_the_running_stack(tmp_path: Path) -> None:
    from local import demo_data
    from local.stack import read_stack_file
    from product_sdk.verify_license import load_keys

    with LocalStack() as stack:
        # when a seeded stack writes its stack file
        written = stack.write_stack_file(tmp_path)
        described = read_stack_file(tmp_path)

        # then it names the portal and the API, which answer
        assert written == tmp_path / "stack.json"
        assert described["portal"] == stack.base_url
        assert described["api"] == stack.base_url + "/api"
        assert call(described["portal"], "GET", "/").status == 200
        # the local AWS, which holds the template's tables, and every KMS key of the template
        assert described["aws"] == stack.moto_url
        tables = _client(stack, "dynamodb").list_tables()["TableNames"]
        assert sorted(described["tables"].values()) == sorted(tables)
        template_keys = _resources(TEMPLATE, "AWS::KMS::Key")
        assert set(described["kmsKeys"]) == set(template_keys)
        listed_keys = {k["KeyId"] for k in _client(stack, "kms").list_keys()["Keys"]}
        assert set(described["kmsKeys"].values()) <= listed_keys
        # the FastSpring stand-in, on its own port: the handlers' checkout and API base
        assert described["fastspring"] == stack.fastspring_url != stack.base_url
        assert stack.environment["FASTSPRING_CHECKOUT_BASE"] == described["fastspring"]
        assert stack.environment["FASTSPRING_API_BASE"] == described["fastspring"]
        assert call(described["fastspring"], "GET", "/events/unprocessed?days=1").status == 401
        # the mailbox, which lists what the local SES took
        assert described["mailbox"] == f"{stack.base_url}/_mailbox/"
        assert call(stack.base_url, "GET", "/_mailbox/messages").status == 200
        # the product's key file: exactly what GET /api/activation/keys answers, loadable
        key_file = Path(described["publicKeyFile"])
        assert key_file == (tmp_path / "activation-keys.json").resolve()
        published = call(stack.base_url, "GET", "/api/activation/keys").json()
        assert json.loads(key_file.read_text()) == published
        signing = described["kmsKeys"]["LicenseSigningKey"]
        assert list(load_keys(key_file)) == [signing.rsplit("/", 1)[-1]]
        # and every demo customer with their sign-in and activation key (when the demo has one)
        customers = described["demoCustomers"]
        assert [(c["email"], c["orderNumber"]) for c in customers] == [
            (s["email"], s["orderNumber"]) for s in demo_data.DEMO_SIGN_INS
        ]
        assert [c["activationKey"] for c in customers] == [
            s.get("activationKey") for s in demo_data.DEMO_SIGN_INS
        ]
        # and the handlers' environment (local commands run handlers with it: make remind)
        assert described["environment"] == stack.environment
        assert described["environment"]["REMINDER_TIMEZONE"] == "UTC"
        assert set(described) == {
            "portal",
            "api",
            "aws",
            "fastspring",
            "mailbox",
            "kmsKeys",
            "tables",
            "publicKeyFile",
            "demoCustomers",
            "environment",
        }

    # when there is no stack file, then reading it says what to do
    with pytest.raises(OSError, match="make run"):
        read_stack_file(tmp_path / "nowhere")
