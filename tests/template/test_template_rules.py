"""Rules template.yaml must keep: tables are retained and protected, every function is a thin
handler under functions/ behind the HTTP API at /api/ (or on a schedule, or fed by the table's
stream), serving (and documenting) exactly the template's routes, IAM grants no Scan and no
wildcard, read handlers cannot write (except refreshing their own session's idle timer), no
secret sits in an environment variable, and CloudFront sends exactly the security headers of
portal.edge.headers."""

from __future__ import annotations

import ast
import copy
import fnmatch
import json
import re
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any

import pytest

from portal.edge.headers import SECURITY_HEADERS
from tests.support import ROOT, handler

pytestmark = pytest.mark.template

FUNCTION = "AWS::Serverless::Function"
NEVER_GRANTED = ("dynamodb:Scan", "dynamodb:DeleteTable")
WRITES = (
    "dynamodb:PutItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:TransactWriteItems",
    "dynamodb:PartiQLInsert",
    "dynamodb:PartiQLUpdate",
    "dynamodb:PartiQLDelete",
)
SESSION_KEYS = "SESSION#"
READABLE_KEYS = ("CUST#*", "SESSION#*")
DYNAMODB_ACTIONS = ("GetItem", "BatchGetItem", "Query", "UpdateItem", "ConditionCheckItem")
# AWS managed policies a function may attach by name; anything broader is written out as statements.
MANAGED_ALLOWED = {
    "AWSLambdaBasicExecutionRole",
    "AWSXrayWriteOnlyAccess",
    "AWSXRayDaemonWriteAccess",
    "CloudWatchLambdaInsightsExecutionRolePolicy",
}
SENSITIVE_NAME = re.compile(r"SECRET|KEY|PASSWORD|TOKEN", re.IGNORECASE)
# A sensitive-sounding variable may carry where the secret is, never the secret itself.
REFERENCE_NAME = re.compile(r"_(NAME|PREFIX|ARN|ID)$", re.IGNORECASE)
NAME_VALUE = re.compile(r"[A-Za-z0-9_./:@-]{0,256}")
SECRET_SHAPES = re.compile(
    r"\{\{resolve:(secretsmanager|ssm-secure)|-----BEGIN|AKIA[0-9A-Z]{16}", re.IGNORECASE
)


# ---------------------------------------------------------------- template helpers
def _resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {n: r for n, r in template["Resources"].items() if r.get("Type") == kind}


def _functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each function's properties with Globals applied (Environment merged, the rest overridden)."""
    defaults = template.get("Globals", {}).get("Function", {})
    functions = {}
    for name, resource in _resources(template, FUNCTION).items():
        own = resource.get("Properties", {})
        props = {**defaults, **own}
        props["Environment"] = {
            "Variables": {
                **defaults.get("Environment", {}).get("Variables", {}),
                **own.get("Environment", {}).get("Variables", {}),
            }
        }
        functions[name] = props
    assert functions, "the template has no functions"
    return functions


def _http_events(props: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        event.get("Properties", {})
        for event in (props.get("Events") or {}).values()
        if event.get("Type") == "HttpApi"
    ]


def _read_only(props: dict[str, Any]) -> bool:
    events = _http_events(props)
    return bool(events) and all(str(e.get("Method", "")).upper() == "GET" for e in events)


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _statements(node: Any) -> Iterator[dict[str, Any]]:
    """Every policy statement anywhere under node."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Statement":
                yield from (s for s in _listed(value) if isinstance(s, dict))
            else:
                yield from _statements(value)
    elif isinstance(node, list):
        for item in node:
            yield from _statements(item)


def _expanded_policy_templates(props: dict[str, Any]) -> list[dict[str, Any]]:
    """SAM policy templates (DynamoDBCrudPolicy: ...) expanded to their statements."""
    from samtranslator.policy_template_processor.processor import PolicyTemplatesProcessor

    known = PolicyTemplatesProcessor.get_default_policy_templates_json()
    processor = PolicyTemplatesProcessor(known)
    statements = []
    for policy in _listed(props.get("Policies") or []):
        if isinstance(policy, dict) and len(policy) == 1:
            ((name, parameters),) = policy.items()
            if processor.has(name):
                statements += _listed(processor.convert(name, parameters or {})["Statement"])
    return statements


def _function_statements(template: dict[str, Any], props: dict[str, Any]) -> list[dict[str, Any]]:
    statements = [*_statements(props.get("Policies") or []), *_expanded_policy_templates(props)]
    role = props.get("Role")
    if isinstance(role, dict) and "Fn::GetAtt" in role:
        statements += _statements(template["Resources"][role["Fn::GetAtt"][0]])
    return statements


def _granted(statement: dict[str, Any], action: str) -> bool:
    """Whether an Allow statement grants action (wildcards and NotAction understood)."""
    if statement.get("Effect") != "Allow":
        return False
    wanted = action.lower()

    def matches(patterns: Any) -> bool:
        return any(
            isinstance(p, str) and fnmatch.fnmatchcase(wanted, p.lower()) for p in _listed(patterns)
        )

    if "NotAction" in statement:
        return not matches(statement["NotAction"])
    return matches(statement.get("Action", []))


def _limited_to_sessions(statement: dict[str, Any]) -> bool:
    for operator, tests in (statement.get("Condition") or {}).items():
        keys = tests.get("dynamodb:LeadingKeys") if isinstance(tests, dict) else None
        if operator.startswith("ForAllValues:") and keys:
            return all(isinstance(k, str) and k.startswith(SESSION_KEYS) for k in _listed(keys))
    return False


# ---------------------------------------------------------------- data
def test_tables_are_retained_recoverable_and_protected(template: dict[str, Any]) -> None:
    tables = _resources(template, "AWS::DynamoDB::Table")
    assert tables
    for name, table in tables.items():
        props = table.get("Properties", {})
        assert table.get("DeletionPolicy") == "Retain", name
        assert table.get("UpdateReplacePolicy") == "Retain", name
        pitr = props.get("PointInTimeRecoverySpecification", {})
        assert pitr.get("PointInTimeRecoveryEnabled") is True, name
        assert props.get("DeletionProtectionEnabled") is True, name


# ---------------------------------------------------------------- functions
def test_every_function_is_a_handler_under_functions(template: dict[str, Any]) -> None:
    for name, props in _functions(template).items():
        code_uri = props.get("CodeUri")
        assert isinstance(code_uri, str), f"{name}: CodeUri must be a local folder"
        folder = PurePosixPath(code_uri)
        assert folder.parts[0] == "functions" and len(folder.parts) == 2, f"{name}: {code_uri}"
        assert props.get("Handler") == "app.lambda_handler", name
        app = ROOT / folder / "app.py"
        assert app.is_file(), f"{name}: {app} is missing"
        assert "lambda_handler" in _top_level_names(app), f"{name}: {app} defines no lambda_handler"


def _top_level_names(app: Any) -> set[str]:
    """Names a module defines at its top level: functions, classes and assigned names
    (`lambda_handler = entry.http_handler(app)`)."""
    names = set()
    for node in ast.parse(app.read_text()).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def test_the_name_check_sees_definitions_and_assignments(tmp_path: Any) -> None:
    """Guards the check above: a module without lambda_handler is seen as such."""
    app = tmp_path / "app.py"
    app.write_text("lambda_handler = make(app)\ndef other(): ...\n")
    assert {"lambda_handler", "other"} <= _top_level_names(app)
    app.write_text("handler = make(app)\ndef lambda_handler_2(): ...\n")
    assert "lambda_handler" not in _top_level_names(app)


def test_each_handler_serves_and_documents_exactly_its_template_routes(
    template: dict[str, Any],
) -> None:
    """The template's HttpApi events of a function are exactly the operations its resolver
    records (and local/openapi.py documents): no route served undocumented, none documented
    that API Gateway never sends to it."""
    checked = 0
    for name, props in _functions(template).items():
        routed = {
            (str(e["Method"]).upper(), str(e["Path"]).replace("{", "<").replace("}", ">"))
            for e in _http_events(props)
        }
        app = getattr(handler(PurePosixPath(props["CodeUri"]).name), "app", None)
        served = {(o.method, o.path) for o in app.operations} if app is not None else set()
        assert served == routed, name
        checked += len(routed)
    assert checked >= 11


def _scheduled(template: dict[str, Any], name: str, props: dict[str, Any]) -> bool:
    """Invoked on a schedule (a reminder job) rather than over HTTP."""
    events = (props.get("Events") or {}).values()
    if any(e.get("Type") in {"Schedule", "ScheduleV2"} for e in events):
        return True
    schedules = [
        *_resources(template, "AWS::Scheduler::Schedule").values(),
        *_resources(template, "AWS::Events::Rule").values(),
    ]
    mentions = re.compile(rf'"{re.escape(name)}(\.Arn)?"')
    return any(mentions.search(json.dumps(s)) for s in schedules)


def _stream_fed(props: dict[str, Any]) -> bool:
    """Fed by a DynamoDB stream (the mailer) rather than over HTTP."""
    events = (props.get("Events") or {}).values()
    return bool(events) and all(e.get("Type") == "DynamoDB" for e in events)


def test_every_function_is_reached_through_the_http_api_under_api(
    template: dict[str, Any],
) -> None:
    apis = set(_resources(template, "AWS::Serverless::HttpApi"))
    for name, props in _functions(template).items():
        events = _http_events(props)
        if not events:
            assert _scheduled(template, name, props) or _stream_fed(props), (
                f"{name} has no HttpApi event"
            )
            continue
        for event in events:
            assert str(event.get("Path", "")).startswith("/api/"), f"{name}: {event}"
            # Without ApiId SAM creates a second, implicit API that CloudFront does not front.
            assert event.get("ApiId") in [{"Ref": api} for api in apis], f"{name}: {event}"


# ---------------------------------------------------------------- IAM
def test_no_statement_grants_scan_delete_table_or_wildcards(template: dict[str, Any]) -> None:
    statements = [*_statements(template)]
    for props in _functions(template).values():
        statements += _expanded_policy_templates(props)
    assert statements
    granted = [
        (action, statement)
        for statement in statements
        for action in NEVER_GRANTED
        if _granted(statement, action)
    ]
    assert granted == []


def test_functions_attach_no_broad_managed_policy(template: dict[str, Any]) -> None:
    for name, props in _functions(template).items():
        for policy in _listed(props.get("Policies") or []):
            if isinstance(policy, str):
                assert policy.rsplit("/", 1)[-1] in MANAGED_ALLOWED, f"{name}: {policy}"


def test_read_handlers_write_nothing_but_their_session_timer(template: dict[str, Any]) -> None:
    readers = {n: p for n, p in _functions(template).items() if _read_only(p)}
    assert readers, "the template should have GET-only handlers"
    for name, props in readers.items():
        for statement in _function_statements(template, props):
            writes = [action for action in WRITES if _granted(statement, action)]
            assert writes == [], f"{name}: {statement}"
            if _granted(statement, "dynamodb:UpdateItem"):
                assert _limited_to_sessions(statement), f"{name}: UpdateItem beyond SESSION#*"


def _read_scope_problems(template: dict[str, Any]) -> list[str]:
    """Each DynamoDB grant of a GET-only handler that reaches beyond customer partitions and
    sessions (a ForAllValues LeadingKeys condition with only CUST#* / SESSION#* keys)."""
    problems = []
    for name, props in _functions(template).items():
        if not _read_only(props):
            continue
        for statement in _function_statements(template, props):
            if not any(_granted(statement, f"dynamodb:{a}") for a in DYNAMODB_ACTIONS):
                continue
            if not _leading_keys_within(statement, READABLE_KEYS):
                problems.append(f"{name}: {statement.get('Action')} beyond {READABLE_KEYS}")
    return problems


def _leading_keys_within(statement: dict[str, Any], allowed: tuple[str, ...]) -> bool:
    for operator, tests in (statement.get("Condition") or {}).items():
        keys = tests.get("dynamodb:LeadingKeys") if isinstance(tests, dict) else None
        if operator.startswith("ForAllValues:") and keys:
            return all(k in allowed for k in _listed(keys))
    return False


def test_read_handlers_read_only_customer_partitions_and_sessions(
    template: dict[str, Any],
) -> None:
    assert _read_scope_problems(template) == []


def test_a_read_handler_reading_the_whole_table_is_noticed(template: dict[str, Any]) -> None:
    """Guards the check above: a GET-only handler's grant without LeadingKeys, or with EMAIL#*."""
    changed = copy.deepcopy(template)
    own = changed["Resources"]["ListLicensesFunction"]["Properties"]["Policies"][0]["Statement"]
    own[0].pop("Condition")
    assert _read_scope_problems(changed) == [
        "ListLicensesFunction: ['dynamodb:Query'] beyond ('CUST#*', 'SESSION#*')"
    ]
    own[0]["Condition"] = {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["EMAIL#*"]}}
    assert len(_read_scope_problems(changed)) == 1


def _sealing_problems(template: dict[str, Any]) -> list[str]:
    """Each grant of a KMS action on the sealing key that does not require the encryption
    context portal.aws.sealing uses: exactly the key `customerId`, present."""
    key = {"Fn::GetAtt": ["ActivationKeySealingKey", "Arn"]}
    problems = []
    for name, props in _functions(template).items():
        for statement in _function_statements(template, props):
            if key not in _listed(statement.get("Resource")):
                continue
            condition = statement.get("Condition") or {}
            keys = (condition.get("ForAllValues:StringEquals") or {}).get(
                "kms:EncryptionContextKeys"
            )
            present = (condition.get("Null") or {}).get("kms:EncryptionContext:customerId")
            if _listed(keys) != ["customerId"] or present != "false":
                problems.append(f"{name}: {statement.get('Action')} without the context")
    return problems


def test_the_sealing_key_opens_and_seals_only_with_the_customer_context(
    template: dict[str, Any],
) -> None:
    granted = [
        name
        for name, props in _functions(template).items()
        for statement in _function_statements(template, props)
        if _granted(statement, "kms:Decrypt")
    ]
    assert granted == ["MeFunction"]
    assert _sealing_problems(template) == []
    changed = copy.deepcopy(template)
    me = changed["Resources"]["MeFunction"]["Properties"]["Policies"][0]["Statement"]
    next(s for s in me if s["Action"] == ["kms:Decrypt"]).pop("Condition")
    assert _sealing_problems(changed) == ["MeFunction: ['kms:Decrypt'] without the context"]


# ---------------------------------------------------------------- logs
def _functions_without_retention(template: dict[str, Any]) -> list[str]:
    """Every function (HTTP, scheduled, stream-fed, any added later) that does not log to a log
    group of the template with a retention."""
    groups = _resources(template, "AWS::Logs::LogGroup")
    missing = []
    for name, resource in _resources(template, FUNCTION).items():
        logging = resource.get("Properties", {}).get("LoggingConfig") or {}
        group = groups.get((logging.get("LogGroup") or {}).get("Ref", ""), {})
        if not group.get("Properties", {}).get("RetentionInDays"):
            missing.append(name)
    return missing


def test_every_function_logs_to_a_group_with_a_retention(template: dict[str, Any]) -> None:
    assert _resources(template, FUNCTION)
    assert _functions_without_retention(template) == []


def test_a_function_added_without_a_log_retention_is_noticed(template: dict[str, Any]) -> None:
    changed = copy.deepcopy(template)
    added = copy.deepcopy(changed["Resources"]["MeFunction"])
    added["Properties"].pop("LoggingConfig")
    changed["Resources"]["NewFunction"] = added
    shared = copy.deepcopy(changed["Resources"]["MeFunction"])
    changed["Resources"]["SharingFunction"] = shared  # another's group: still has a retention
    changed["Resources"]["MeLogs"]["Properties"].pop("RetentionInDays")
    assert _functions_without_retention(changed) == ["MeFunction", "NewFunction", "SharingFunction"]


# ---------------------------------------------------------------- secrets
def _literal_problems(name: str, value: Any, parameters: dict[str, Any]) -> list[str]:
    if isinstance(value, dict) and len(value) == 1:
        ((function, argument),) = value.items()
        if function == "Ref":
            # A parameter is a literal typed in at deploy time; a resource is a name or an ARN.
            sensitive = SENSITIVE_NAME.search(name) and not REFERENCE_NAME.search(name)
            if argument in parameters and sensitive:
                return [f"{name} takes a literal from parameter {argument}"]
            return []
        if function in {"Fn::GetAtt", "Fn::ImportValue"}:
            return []
        if function == "Fn::Sub":
            text = argument if isinstance(argument, str) else argument[0]
            return _literal_problems(name, re.sub(r"\$\{[^}]*\}", "", text), parameters)
        if function == "Fn::If":
            branches = argument[1:]
            return [p for b in branches for p in _literal_problems(name, b, parameters)]
        if function == "Fn::Join":
            return [p for part in argument[1] for p in _literal_problems(name, part, parameters)]
        return []
    text = str(value)
    if SECRET_SHAPES.search(text):
        return [f"{name} holds a secret (or resolves one into the environment)"]
    if SENSITIVE_NAME.search(name) and text:
        if not REFERENCE_NAME.search(name):
            return [f"{name} has a literal value; pass where the secret is (…_NAME/_ARN/_PREFIX)"]
        if not NAME_VALUE.fullmatch(text):
            return [f"{name} does not look like a name or prefix"]
    return []


def test_no_secret_in_environment(template: dict[str, Any]) -> None:
    parameters = template.get("Parameters", {})
    problems = [
        f"{function}: {problem}"
        for function, props in _functions(template).items()
        for name, value in props["Environment"]["Variables"].items()
        for problem in _literal_problems(name, value, parameters)
    ]
    assert problems == []


# ---------------------------------------------------------------- security headers
def _cloudfront_headers(config: dict[str, Any]) -> dict[str, tuple[str, bool]]:
    """Header -> (value, Override) that a CloudFront ResponseHeadersPolicyConfig sends."""
    security = config.get("SecurityHeadersConfig") or {}
    sent: dict[str, tuple[str, bool]] = {}
    if hsts := security.get("StrictTransportSecurity"):
        value = f"max-age={hsts['AccessControlMaxAgeSec']}"
        value += "; includeSubDomains" if hsts.get("IncludeSubdomains") else ""
        value += "; preload" if hsts.get("Preload") else ""
        sent["Strict-Transport-Security"] = (value, bool(hsts.get("Override")))
    if csp := security.get("ContentSecurityPolicy"):
        sent["Content-Security-Policy"] = (csp["ContentSecurityPolicy"], bool(csp.get("Override")))
    if cto := security.get("ContentTypeOptions"):
        sent["X-Content-Type-Options"] = ("nosniff", bool(cto.get("Override")))
    if frame := security.get("FrameOptions"):
        sent["X-Frame-Options"] = (frame["FrameOption"], bool(frame.get("Override")))
    if referrer := security.get("ReferrerPolicy"):
        sent["Referrer-Policy"] = (referrer["ReferrerPolicy"], bool(referrer.get("Override")))
    if xss := security.get("XSSProtection"):
        value = "1" if xss.get("Protection") else "0"
        value += "; mode=block" if xss.get("ModeBlock") else ""
        value += f"; report={xss['ReportUri']}" if xss.get("ReportUri") else ""
        sent["X-XSS-Protection"] = (value, bool(xss.get("Override")))
    for item in (config.get("CustomHeadersConfig") or {}).get("Items") or []:
        sent[item["Header"]] = (str(item["Value"]), bool(item.get("Override")))
    return sent


def _header_policies(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    policies = _resources(template, "AWS::CloudFront::ResponseHeadersPolicy")
    assert policies, "the template has no CloudFront ResponseHeadersPolicy"
    return {
        name: policy["Properties"]["ResponseHeadersPolicyConfig"]
        for name, policy in policies.items()
    }


def test_cloudfront_sends_exactly_the_portals_security_headers(template: dict[str, Any]) -> None:
    """portal.edge.headers is the one definition (Lambda answers, the local web server); the
    CloudFront policy must send the same headers with the same values, overriding the origin."""
    for name, config in _header_policies(template).items():
        sent = _cloudfront_headers(config)
        assert {header: value for header, (value, _) in sent.items()} == dict(SECURITY_HEADERS)
        assert [header for header, (_, override) in sent.items() if not override] == [], name


def test_a_policy_that_differs_in_one_header_is_noticed(template: dict[str, Any]) -> None:
    """Guards the comparison above: a dropped CSP directive or header makes it differ."""
    config = copy.deepcopy(next(iter(_header_policies(template).values())))
    security = config["SecurityHeadersConfig"]
    csp = security["ContentSecurityPolicy"]
    csp["ContentSecurityPolicy"] = csp["ContentSecurityPolicy"].replace("; form-action 'self'", "")
    assert {h: v for h, (v, _) in _cloudfront_headers(config).items()} != dict(SECURITY_HEADERS)
    del security["FrameOptions"]
    assert "X-Frame-Options" not in _cloudfront_headers(config)
