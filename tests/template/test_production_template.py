"""The production parts of template.yaml and waf.yaml (issue 11): an optional custom domain served
with its ACM certificate and TLS 1.2 at least, else CloudFront's own name and certificate; an
optional WAF web ACL; every alarm to one encrypted SNS topic with an optional email subscription;
the alarms for 5xx, throttles, sign-in failure spikes, reconciliation finding missed events,
reminder failures and held upgrades; a dashboard of the business metrics; the outputs
`make deploy` prints; waf.yaml's managed rule groups and rate limits on the real routes; the
stages' settings in samconfig.toml.

Every CustomerPortal metric an alarm or the dashboard names must be one the code counts
(`count("Name")` in layers/shared/portal): a renamed metric fails here, not silently in AWS."""

from __future__ import annotations

import ast
import dataclasses
import json
import re
import tomllib
from typing import Any

import pytest

from admin import deploy
from portal.edge import responses
from portal.errors import TooManyAttempts
from tests.support import ROOT

pytestmark = pytest.mark.template

ALARM = "AWS::CloudWatch::Alarm"
FUNCTION = "AWS::Serverless::Function"
LAYER = ROOT / "layers" / "shared" / "portal"
_NO_VALUE = object()
_SUB_NAME = re.compile(r"\$\{([^}!]+)\}")

DOMAIN = "portal.example.com"
CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
WEB_ACL = (
    "arn:aws:wafv2:us-east-1:123456789012:global/webacl/customer-portal-prod/"
    "0a1b2c3d-4e5f-6789-abcd-ef0123456789"
)


# ---------------------------------------------------------------- a stack for parameter values
class Stack:
    """A template as CloudFormation sees it for some parameter values: its conditions evaluated,
    Fn::If branches chosen, parameters substituted, AWS::NoValue dropped, its Rules checked."""

    def __init__(self, template: dict[str, Any], **values: str) -> None:
        self.template = template
        defaults = {n: str(p.get("Default", "")) for n, p in template["Parameters"].items()}
        assert set(values) <= set(defaults), f"not parameters: {set(values) - set(defaults)}"
        self.parameters = defaults | values

    def truth(self, node: Any) -> bool:
        ((function, argument),) = node.items()
        if function == "Fn::Equals":
            left, right = (self.resolved(a) for a in argument)
            return bool(left == right)
        if function == "Fn::Not":
            return not self.truth(argument[0])
        if function == "Fn::And":
            return all(self.truth(a) for a in argument)
        if function == "Fn::Or":
            return any(self.truth(a) for a in argument)
        if function == "Condition":
            return self.truth(self.template["Conditions"][argument])
        raise AssertionError(f"not a condition: {node!r}")

    def condition(self, name: str) -> bool:
        return self.truth({"Condition": name})

    def resolved(self, node: Any) -> Any:
        if isinstance(node, list):
            return [v for v in (self.resolved(i) for i in node) if v is not _NO_VALUE]
        if not isinstance(node, dict):
            return node
        if set(node) == {"Fn::If"}:
            name, chosen, otherwise = node["Fn::If"]
            return self.resolved(chosen if self.condition(name) else otherwise)
        if node == {"Ref": "AWS::NoValue"}:
            return _NO_VALUE
        if set(node) == {"Ref"} and node["Ref"] in self.parameters:
            return self.parameters[node["Ref"]]
        if set(node) == {"Fn::Sub"}:
            return self._sub(node["Fn::Sub"])
        done = {k: self.resolved(v) for k, v in node.items()}
        return {k: v for k, v in done.items() if v is not _NO_VALUE}

    def _sub(self, argument: Any) -> Any:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        known = self.parameters | {k: self.resolved(v) for k, v in variables.items()}

        def value(match: re.Match[str]) -> str:
            found = known.get(match.group(1))
            if isinstance(found, dict) and isinstance(found.get("Fn::Sub"), str):
                return str(found["Fn::Sub"])  # a substituted Sub: its text, still to resolve
            return found if isinstance(found, str) else match.group(0)

        text = _SUB_NAME.sub(value, text)
        return text if "${" not in text else {"Fn::Sub": text}

    def rule_failures(self) -> list[str]:
        """The AssertDescription of every Rules assertion these values break."""
        failures = []
        for rule in (self.template.get("Rules") or {}).values():
            if "RuleCondition" in rule and not self.truth(rule["RuleCondition"]):
                continue
            failures += [
                a["AssertDescription"] for a in rule["Assertions"] if not self.truth(a["Assert"])
            ]
        return failures

    def distribution(self) -> dict[str, Any]:
        resource = self.template["Resources"]["WebDistribution"]
        config: dict[str, Any] = self.resolved(resource["Properties"]["DistributionConfig"])
        return config

    def output(self, name: str) -> Any:
        return self.resolved(self.template["Outputs"][name]["Value"])

    def portal_origin(self) -> Any:
        variables = self.template["Globals"]["Function"]["Environment"]["Variables"]
        return self.resolved(variables["PORTAL_ORIGIN"])


def _resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {n: r for n, r in template["Resources"].items() if r.get("Type") == kind}


def _routes(template: dict[str, Any]) -> dict[str, str]:
    """Every "METHOD /path" the template's functions serve -> the function."""
    routes = {}
    for name, resource in _resources(template, FUNCTION).items():
        for event in (resource["Properties"].get("Events") or {}).values():
            if event.get("Type") == "HttpApi":
                props = event["Properties"]
                routes[f"{props['Method'].upper()} {props['Path']}"] = name
    assert len(routes) > 20
    return routes


# ---------------------------------------------------------------- the custom domain
def test_a_custom_domain_is_served_with_its_certificate_and_tls_1_2(
    template: dict[str, Any],
) -> None:
    # given a stage with a domain and its certificate
    stack = Stack(template, DomainName=DOMAIN, CertificateArn=CERTIFICATE)
    assert stack.rule_failures() == []
    config = stack.distribution()
    # then CloudFront answers to that name with that certificate, SNI, TLS 1.2 at least
    assert config["Aliases"] == [DOMAIN]
    assert config["ViewerCertificate"] == {
        "AcmCertificateArn": CERTIFICATE,
        "SslSupportMethod": "sni-only",
        "MinimumProtocolVersion": "TLSv1.2_2021",
    }
    # and the functions (CSRF Origin, links in mails) and the outputs name the domain
    assert stack.portal_origin() == f"https://{DOMAIN}"
    assert stack.output("PortalUrl") == f"https://{DOMAIN}"
    assert stack.output("WebhookUrl") == f"https://{DOMAIN}/api/webhooks/fastspring"


def test_without_a_domain_cloudfront_serves_its_own_name_and_certificate(
    template: dict[str, Any],
) -> None:
    # given the defaults (no domain, no certificate)
    stack = Stack(template)
    assert stack.rule_failures() == []
    config = stack.distribution()
    # then no alias, CloudFront's default certificate, and its *.cloudfront.net name everywhere
    assert "Aliases" not in config
    assert config["ViewerCertificate"] == {"CloudFrontDefaultCertificate": True}
    cloudfront = {"Fn::Sub": "https://${WebDistribution.DomainName}"}
    assert stack.portal_origin() == cloudfront == stack.output("PortalUrl")
    assert stack.output("WebhookUrl") == {
        "Fn::Sub": "https://${WebDistribution.DomainName}/api/webhooks/fastspring"
    }


def test_an_explicit_portal_origin_is_what_the_functions_and_outputs_name(
    template: dict[str, Any],
) -> None:
    # given a PortalOrigin of its own (a proxy in front of CloudFront) besides the domain
    stack = Stack(
        template,
        PortalOrigin="https://www.example.com",
        DomainName=DOMAIN,
        CertificateArn=CERTIFICATE,
    )
    # then the functions and the printed URLs agree on it
    assert stack.portal_origin() == "https://www.example.com" == stack.output("PortalUrl")
    assert stack.output("WebhookUrl") == "https://www.example.com/api/webhooks/fastspring"


def test_the_webhook_url_is_the_route_of_the_webhook_function(template: dict[str, Any]) -> None:
    routes = _routes(template)
    assert routes["POST /api/webhooks/fastspring"] == "FastSpringWebhookFunction"
    path = Stack(template, DomainName=DOMAIN, CertificateArn=CERTIFICATE).output("WebhookUrl")
    assert f"POST {path.removeprefix(f'https://{DOMAIN}')}" in routes


@pytest.mark.parametrize(
    ("values", "refused"),
    [
        ({"DomainName": DOMAIN}, "DomainName needs CertificateArn"),
        ({"CertificateArn": CERTIFICATE}, "CertificateArn is only used with DomainName"),
    ],
)
def test_a_domain_and_its_certificate_come_together(
    template: dict[str, Any], values: dict[str, str], refused: str
) -> None:
    # given one without the other; then the template's Rules refuse the deploy, saying why
    failures = Stack(template, **values).rule_failures()
    assert len(failures) == 1 and failures[0].startswith(refused)


def _accepts(template: dict[str, Any], parameter: str, value: str) -> bool:
    pattern = template["Parameters"][parameter]["AllowedPattern"]
    return re.fullmatch(pattern, value) is not None


def test_the_production_parameters_take_only_their_shapes(template: dict[str, Any]) -> None:
    for parameter in ("DomainName", "CertificateArn", "WebAclArn", "AlarmEmail"):
        assert template["Parameters"][parameter]["Default"] == ""
        assert _accepts(template, parameter, ""), parameter
    assert _accepts(template, "DomainName", DOMAIN)
    assert not _accepts(template, "DomainName", "https://portal.example.com")
    assert not _accepts(template, "DomainName", "Portal.Example.com")
    assert _accepts(template, "CertificateArn", CERTIFICATE)
    # CloudFront takes certificates only from us-east-1
    assert not _accepts(template, "CertificateArn", CERTIFICATE.replace("us-east-1", "eu-west-1"))
    assert _accepts(template, "WebAclArn", WEB_ACL)
    # a regional web ACL (an API Gateway's, a load balancer's) cannot sit in front of CloudFront
    regional = WEB_ACL.replace("us-east-1", "eu-west-1").replace(":global/", ":regional/")
    assert not _accepts(template, "WebAclArn", regional)
    assert not _accepts(template, "WebAclArn", "customer-portal-prod")
    assert _accepts(template, "AlarmEmail", "ops@example.com")
    assert not _accepts(template, "AlarmEmail", "ops")


def test_the_web_acl_is_attached_only_when_given(template: dict[str, Any]) -> None:
    assert "WebACLId" not in Stack(template).distribution()
    assert Stack(template, WebAclArn=WEB_ACL).distribution()["WebACLId"] == WEB_ACL


def test_the_web_bucket_and_the_api_behaviour_stay_with_a_domain(template: dict[str, Any]) -> None:
    config = Stack(template, DomainName=DOMAIN, CertificateArn=CERTIFICATE).distribution()
    web = {o["Id"]: o for o in config["Origins"]}["web"]
    assert web["OriginAccessControlId"] == {"Fn::GetAtt": ["WebOriginAccessControl", "Id"]}
    (api,) = [b for b in config["CacheBehaviors"] if b["PathPattern"] == "/api/*"]
    assert api["TargetOriginId"] == "api" and api["ViewerProtocolPolicy"] == "https-only"
    assert config["DefaultCacheBehavior"]["TargetOriginId"] == "web"


# ---------------------------------------------------------------- alarms
def _function_metrics(template: dict[str, Any]) -> tuple[str, list[dict[str, str]]]:
    """The namespace and dimensions the functions' metrics carry (Powertools: the service)."""
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    service = [{"Name": "service", "Value": variables["POWERTOOLS_SERVICE_NAME"]}]
    return variables["POWERTOOLS_METRICS_NAMESPACE"], service


def _alarm_metrics(alarm: dict[str, Any]) -> list[dict[str, Any]]:
    """Each metric an alarm reads: {Namespace, MetricName, Dimensions}."""
    props = alarm["Properties"]
    if "Metrics" in props:
        return [q["MetricStat"]["Metric"] for q in props["Metrics"] if "MetricStat" in q]
    return [{k: props[k] for k in ("Namespace", "MetricName", "Dimensions") if k in props}]


def test_every_alarm_notifies_the_alarm_topic_in_alarm_and_back_to_ok(
    template: dict[str, Any],
) -> None:
    alarms = _resources(template, ALARM)
    assert len(alarms) >= 11
    for name, alarm in alarms.items():
        props = alarm["Properties"]
        assert props["AlarmActions"] == [{"Ref": "AlarmTopic"}], name
        assert props["OKActions"] == [{"Ref": "AlarmTopic"}], name
        assert props["TreatMissingData"] == "notBreaching", name


def test_each_alarm_says_what_to_do_and_where_it_is_described(template: dict[str, Any]) -> None:
    for name, alarm in _resources(template, ALARM).items():
        description = alarm["Properties"]["AlarmDescription"]
        assert f"docs/operations.md: {name}." in description, name
        assert 120 <= len(description) <= 1024, name


def test_docs_operations_describes_every_alarm(template: dict[str, Any]) -> None:
    operations = ROOT / "docs" / "operations.md"
    if not operations.is_file():
        pytest.skip("docs/operations.md is not written yet")
    text = operations.read_text()
    assert {name for name in _resources(template, ALARM) if name not in text} == set()


CUSTOM_ALARMS = {
    "SignInFailureSpikeAlarm": {
        "SignInFailed",
        "SignInCodeFailed",
        "SignInLinkFailed",
        "SignInThrottled",
    },
    "ReconcileFoundMissedAlarm": {"ReconciledEvents"},
    "ReminderFailuresAlarm": {"ReminderFailures"},
    "UpgradeHeldAlarm": {"UpgradeHeld"},
    "MailUndeliverableAlarm": {"MailUndeliverable"},
    "WebhookRejectedAlarm": {"WebhookEventRejected"},
}


@pytest.mark.parametrize(("name", "metrics"), sorted(CUSTOM_ALARMS.items()))
def test_each_business_alarm_watches_the_functions_metric(
    template: dict[str, Any], name: str, metrics: set[str]
) -> None:
    namespace, service = _function_metrics(template)
    read = _alarm_metrics(template["Resources"][name])
    assert {m["MetricName"] for m in read} == metrics
    assert all(m["Namespace"] == namespace and m["Dimensions"] == service for m in read)
    props = template["Resources"][name]["Properties"]
    if name != "SignInFailureSpikeAlarm":  # any one of these is worth a look
        assert props["Statistic"] == "Sum"
        assert props["Threshold"] == 0 and props["ComparisonOperator"] == "GreaterThanThreshold"


def test_the_sign_in_spike_sums_every_failed_or_refused_attempt(template: dict[str, Any]) -> None:
    # given every sign-in metric the code counts for a refused attempt
    refused = {
        n
        for n in counted_metrics()
        if n.startswith("SignIn") and n.endswith(("Failed", "Throttled"))
    }
    assert refused == CUSTOM_ALARMS["SignInFailureSpikeAlarm"]
    # then the alarm's one returned expression adds each of its metrics, over 5 minutes
    queries = template["Resources"]["SignInFailureSpikeAlarm"]["Properties"]["Metrics"]
    (expression,) = [q for q in queries if q.get("ReturnData")]
    metric_ids = {q["Id"] for q in queries if "MetricStat" in q}
    assert len(metric_ids) == len(refused)
    assert set(re.findall(r"FILL\((\w+), 0\)", expression["Expression"])) == metric_ids
    assert expression["Expression"].startswith("SUM([")
    assert all(
        q["MetricStat"]["Period"] == 300 and q["MetricStat"]["Stat"] == "Sum"
        for q in queries
        if "MetricStat" in q
    )
    props = template["Resources"]["SignInFailureSpikeAlarm"]["Properties"]
    assert props["Threshold"] == {"Ref": "SignInFailureThreshold"}
    assert props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert int(template["Parameters"]["SignInFailureThreshold"]["Default"]) >= 10


def test_the_api_5xx_alarm_watches_the_http_api(template: dict[str, Any]) -> None:
    props = template["Resources"]["Api5xxAlarm"]["Properties"]
    # HTTP APIs publish 4xx / 5xx (REST APIs: 4XXError / 5XXError) per ApiId
    assert (props["Namespace"], props["MetricName"]) == ("AWS/ApiGateway", "5xx")
    assert props["Dimensions"] == [{"Name": "ApiId", "Value": {"Ref": "HttpApi"}}]
    assert template["Resources"]["HttpApi"]["Type"] == "AWS::Serverless::HttpApi"
    assert props["Statistic"] == "Sum" and props["Period"] == 300
    assert props["Threshold"] >= 1


def test_the_throttles_alarm_counts_every_function(template: dict[str, Any]) -> None:
    props = template["Resources"]["FunctionThrottlesAlarm"]["Properties"]
    # Lambda's own total over all functions of the region (no FunctionName dimension): a new
    # function is covered without an edit; a metric math sum could name only 10 of them
    assert (props["Namespace"], props["MetricName"]) == ("AWS/Lambda", "Throttles")
    assert "Dimensions" not in props and "Metrics" not in props
    assert len(_resources(template, FUNCTION)) > 10
    assert props["Statistic"] == "Sum"
    assert props["Threshold"] == 0 and props["ComparisonOperator"] == "GreaterThanThreshold"


def test_every_dead_letter_queue_has_its_alarm(template: dict[str, Any]) -> None:
    queues = set(_resources(template, "AWS::SQS::Queue"))
    watched = {
        m["Dimensions"][0]["Value"]["Fn::GetAtt"][0]
        for alarm in _resources(template, ALARM).values()
        for m in _alarm_metrics(alarm)
        if m.get("Namespace") == "AWS/SQS"
    }
    assert (
        queues
        == watched
        == {
            "ReconcileDeadLetterQueue",
            "RemindersDeadLetterQueue",
            "MailerDeadLetterQueue",
        }
    )


def test_the_alarm_topic_is_encrypted_with_a_key_cloudwatch_may_use(
    template: dict[str, Any],
) -> None:
    topic = template["Resources"]["AlarmTopic"]
    assert topic["Type"] == "AWS::SNS::Topic"
    # not alias/aws/sns: CloudWatch cannot publish through the AWS managed key
    assert topic["Properties"]["KmsMasterKeyId"] == {"Ref": "AlarmTopicKey"}
    key = template["Resources"]["AlarmTopicKey"]
    assert key["Type"] == "AWS::KMS::Key" and key["Properties"]["EnableKeyRotation"] is True
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    (cloudwatch,) = [
        s for s in statements if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    ]
    assert cloudwatch["Effect"] == "Allow"
    assert set(cloudwatch["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    # only this account's alarms
    assert cloudwatch["Condition"] == {
        "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    }


def test_the_email_subscription_exists_only_with_an_alarm_email(template: dict[str, Any]) -> None:
    subscriptions = _resources(template, "AWS::SNS::Subscription")
    assert list(subscriptions) == ["AlarmEmailSubscription"]
    subscription = subscriptions["AlarmEmailSubscription"]
    assert subscription["Condition"] == "HasAlarmEmail"
    assert subscription["Properties"] == {
        "TopicArn": {"Ref": "AlarmTopic"},
        "Protocol": "email",
        "Endpoint": {"Ref": "AlarmEmail"},
    }
    assert not Stack(template).condition("HasAlarmEmail")
    assert Stack(template, AlarmEmail="ops@example.com").condition("HasAlarmEmail")


# ---------------------------------------------------------------- the metrics the code counts
def counted_metrics() -> set[str]:
    """Every metric name the portal package counts literally: count("Name"[, n]) with count
    imported from portal.observability."""
    names: set[str] = set()
    for path in LAYER.rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        imports_count = any(
            isinstance(node, ast.ImportFrom)
            and node.module == "portal.observability"
            and any(alias.name == "count" and alias.asname is None for alias in node.names)
            for node in ast.walk(tree)
        )
        if not imports_count:
            continue
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "count"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                names.add(node.args[0].value)
    return names


def test_the_metric_reader_finds_what_the_code_counts() -> None:
    # guards the checks below: the reader sees the counts of several areas, and nothing made up
    counted = counted_metrics()
    assert {
        "SignInSucceeded",
        "OrderIngested",
        "LicenseActivated",
        "RemindersSent",
        "UpgradeHeld",
    } <= counted
    assert "SignInSucceded" not in counted and "count" not in counted
    assert len(counted) > 30


def test_every_metric_an_alarm_names_is_counted_by_the_code(template: dict[str, Any]) -> None:
    namespace, _ = _function_metrics(template)
    named = {
        m["MetricName"]
        for alarm in _resources(template, ALARM).values()
        for m in _alarm_metrics(alarm)
        if m.get("Namespace") == namespace
    }
    assert len(named) >= 9
    assert named - counted_metrics() == set()


# ---------------------------------------------------------------- the dashboard
def _dashboard(template: dict[str, Any]) -> dict[str, Any]:
    """The dashboard body as CloudFormation renders it (each ${X} or ${X.Attr} a placeholder),
    after checking that each names a resource of the template or a pseudo parameter."""
    body = template["Resources"]["PortalDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    assert isinstance(body, str)
    for name in _SUB_NAME.findall(body):
        assert name.split(".")[0] in template["Resources"] or name in {"AWS::Region"}, name
    return dict(json.loads(_SUB_NAME.sub(lambda m: f"resolved:{m.group(1)}", body)))


def _dashboard_metrics(dashboard: dict[str, Any]) -> set[tuple[str, str]]:
    found = set()
    for widget in dashboard["widgets"]:
        for line in widget["properties"].get("metrics", []):
            found.add((line[0], line[1]))
    return found


def test_the_dashboard_body_is_json_and_shows_each_business_metric(
    template: dict[str, Any],
) -> None:
    dashboard = _dashboard(template)
    shown = _dashboard_metrics(dashboard)
    namespace, _ = _function_metrics(template)
    business = {
        "SignInSucceeded",  # sign-ins: a trusted browser,
        "SignInVerified",  # a mailed code,
        "SignInLinkRedeemed",  # a mailed link
        "OrderIngested",
        "LicenseActivated",
        "RemindersSent",
        "UpgradeHeld",
    }
    assert {(namespace, name) for name in business} <= shown
    assert {("AWS/ApiGateway", "5xx"), ("AWS/Lambda", "Throttles")} <= shown
    # every metric widget is in the stack's region, and the functions' metrics carry the service
    _, service = _function_metrics(template)
    for widget in dashboard["widgets"]:
        if widget["type"] == "metric":
            assert widget["properties"]["region"] == "resolved:AWS::Region"
            for line in widget["properties"]["metrics"]:
                if line[0] == namespace:
                    assert line[2:4] == ["service", service[0]["Value"]], line
                if line[0] == "AWS/ApiGateway":
                    assert line[2:4] == ["ApiId", "resolved:HttpApi"], line


def test_every_metric_the_dashboard_names_is_counted_by_the_code(template: dict[str, Any]) -> None:
    namespace, _ = _function_metrics(template)
    named = {name for ns, name in _dashboard_metrics(_dashboard(template)) if ns == namespace}
    assert len(named) >= 20
    assert named - counted_metrics() == set()


def test_the_dashboard_shows_every_alarm(template: dict[str, Any]) -> None:
    (widget,) = [w for w in _dashboard(template)["widgets"] if w["type"] == "alarm"]
    shown = [
        a.removeprefix("resolved:").removesuffix(".Arn") for a in widget["properties"]["alarms"]
    ]
    assert sorted(shown) == sorted(_resources(template, ALARM))


# ---------------------------------------------------------------- outputs
def test_the_outputs_make_deploy_prints_and_reads_exist(template: dict[str, Any]) -> None:
    outputs = template["Outputs"]
    wanted = {key for key, _ in deploy.ADDRESSES} | {"WebBucketName", "WebDistributionId"}
    assert wanted <= set(outputs)
    assert outputs["AlarmTopicArn"]["Value"] == {"Ref": "AlarmTopic"}
    assert outputs["DashboardName"]["Value"] == {"Ref": "PortalDashboard"}
    assert outputs["WebDistributionId"]["Value"] == {"Ref": "WebDistribution"}
    assert outputs["CloudFrontDomain"]["Value"] == {"Fn::GetAtt": ["WebDistribution", "DomainName"]}


# ---------------------------------------------------------------- waf.yaml
MANAGED_GROUPS = {
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
}
# Which rate rule each route counts against (every route under these prefixes is named here).
RATE_LIMITED = {
    "POST /api/auth/login": "SignInRate",
    "POST /api/auth/verify": "VerificationRate",
    "POST /api/auth/link": "EmailLinkRate",
    "POST /api/auth/link/redeem": "EmailLinkRate",
    "POST /api/reminders/unsubscribe": "EmailLinkRate",
    "POST /api/activation/activate": "ActivationRate",
    "POST /api/activation/refresh": "ActivationRate",
    "GET /api/activation/keys": "ActivationRate",
}
NORMALISED = [{"Priority": 0, "Type": "URL_DECODE"}, {"Priority": 1, "Type": "NORMALIZE_PATH"}]


def _acl(waf_template: dict[str, Any]) -> dict[str, Any]:
    (acl,) = _resources(waf_template, "AWS::WAFv2::WebACL").values()
    props: dict[str, Any] = acl["Properties"]
    return props


def _path_prefixes(statement: dict[str, Any]) -> list[str]:
    """The URI path prefixes a scope-down statement matches (one, or an Or of several)."""
    if "OrStatement" in statement:
        return [p for s in statement["OrStatement"]["Statements"] for p in _path_prefixes(s)]
    match = statement["ByteMatchStatement"]
    assert match["FieldToMatch"] == {"UriPath": {}}
    assert match["PositionalConstraint"] == "STARTS_WITH"
    assert match["TextTransformations"] == NORMALISED
    return [match["SearchString"]]


def _rate_rules(waf_template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        rule["Name"]: rule
        for rule in _acl(waf_template)["Rules"]
        if "RateBasedStatement" in rule["Statement"]
    }


def test_the_web_acl_is_for_cloudfront_and_its_arn_is_the_output(
    waf_template: dict[str, Any], template: dict[str, Any]
) -> None:
    acl = _acl(waf_template)
    assert acl["Scope"] == "CLOUDFRONT" and acl["DefaultAction"] == {"Allow": {}}
    ((logical, _),) = _resources(waf_template, "AWS::WAFv2::WebACL").items()
    assert waf_template["Outputs"]["WebAclArn"]["Value"] == {"Fn::GetAtt": [logical, "Arn"]}
    # the name the ARN will carry fits the portal template's WebAclArn pattern
    name = Stack(waf_template, Stage="prod").resolved(acl["Name"])
    assert _accepts(template, "WebAclArn", WEB_ACL.replace("customer-portal-prod", name))
    priorities = [rule["Priority"] for rule in acl["Rules"]]
    assert len(set(priorities)) == len(priorities)


def test_the_web_acl_applies_the_aws_managed_rule_groups(waf_template: dict[str, Any]) -> None:
    groups = {
        rule["Statement"]["ManagedRuleGroupStatement"]["Name"]: rule
        for rule in _acl(waf_template)["Rules"]
        if "ManagedRuleGroupStatement" in rule["Statement"]
    }
    assert set(groups) == MANAGED_GROUPS
    for name, rule in groups.items():
        assert rule["Statement"]["ManagedRuleGroupStatement"]["VendorName"] == "AWS"
        # each group's own actions apply (an override to Count would only watch)
        assert rule["OverrideAction"] == {"None": {}}, name


def test_the_common_rule_set_spares_only_the_signed_webhook(
    waf_template: dict[str, Any], template: dict[str, Any]
) -> None:
    (common,) = [
        rule
        for rule in _acl(waf_template)["Rules"]
        if rule["Statement"].get("ManagedRuleGroupStatement", {}).get("Name")
        == "AWSManagedRulesCommonRuleSet"
    ]
    group = common["Statement"]["ManagedRuleGroupStatement"]
    spared = _path_prefixes(group["ScopeDownStatement"]["NotStatement"]["Statement"])
    assert spared == ["/api/webhooks/fastspring"]
    assert [r for r in _routes(template) if r.split()[1].startswith(spared[0])] == [
        "POST /api/webhooks/fastspring"
    ]
    # only the missing User-Agent is softened (counted), no other rule of the set
    assert group["RuleActionOverrides"] == [
        {"Name": "NoUserAgent_HEADER", "ActionToUse": {"Count": {}}}
    ]


def test_rate_rules_limit_each_address_on_the_routes_they_name(
    waf_template: dict[str, Any], template: dict[str, Any]
) -> None:
    # given the rate rules' path prefixes and the routes the portal serves
    rules = _rate_rules(waf_template)
    prefixes = {
        name: _path_prefixes(r["Statement"]["RateBasedStatement"]["ScopeDownStatement"])
        for name, r in rules.items()
    }
    routes = _routes(template)
    covering = {
        route: [
            name
            for name, own in prefixes.items()
            if any(route.split()[1].startswith(p) for p in own)
        ]
        for route in routes
    }
    # then each sign-in, verification, email-link and activation route counts against its rule
    assert {route: names for route, names in covering.items() if names} == {
        route: [name] for route, name in RATE_LIMITED.items()
    }
    # and every prefix matches a route the portal serves (a typo would limit nothing)
    for name, own in prefixes.items():
        for prefix in own:
            assert any(r.split()[1].startswith(prefix) for r in routes), (name, prefix)


def test_rate_rules_answer_like_the_portal_and_count_per_address(
    waf_template: dict[str, Any],
) -> None:
    acl = _acl(waf_template)
    portal_answer = json.loads(responses.refusal(TooManyAttempts(300))["body"])
    for name, rule in _rate_rules(waf_template).items():
        rate = rule["Statement"]["RateBasedStatement"]
        assert rate["AggregateKeyType"] == "IP" and rate["EvaluationWindowSec"] == 300, name
        limit = waf_template["Parameters"][rate["Limit"]["Ref"]]
        assert limit["Type"] == "Number" and 10 <= int(limit["Default"]) <= 1000, name
        response = rule["Action"]["Block"]["CustomResponse"]
        assert response["ResponseCode"] == 429, name
        assert response["ResponseHeaders"] == [{"Name": "Retry-After", "Value": "300"}], name
        body = acl["CustomResponseBodies"][response["CustomResponseBodyKey"]]
        assert body["ContentType"] == "APPLICATION_JSON"
        assert json.loads(body["Content"]) == portal_answer, name


def test_rate_limits_sit_above_the_portals_own_per_address_limits(
    waf_template: dict[str, Any],
) -> None:
    """A busy office behind one address meets the portal's own answer (per 15 minutes) before
    WAF's (per 5 minutes): WAF stops floods, the portal stops guessing."""
    from portal.config import Settings

    defaults = {f.name: f.default for f in dataclasses.fields(Settings)}
    per_window = {
        "SignInRate": defaults["login_failures_per_ip"],
        "ActivationRate": defaults["activation_failures_per_ip"],
    }
    for name, own in per_window.items():
        rate = _rate_rules(waf_template)[name]["Statement"]["RateBasedStatement"]
        assert int(waf_template["Parameters"][rate["Limit"]["Ref"]]["Default"]) >= own, name


# ---------------------------------------------------------------- samconfig.toml
def _config() -> dict[str, Any]:
    with (ROOT / "samconfig.toml").open("rb") as config:
        return tomllib.load(config)


def _overrides(values: list[str]) -> dict[str, str]:
    from samcli.cli.types import CfnParameterOverridesType

    return dict(CfnParameterOverridesType().convert(tuple(values), None, None))


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_each_stage_names_the_production_parameters(template: dict[str, Any], stage: str) -> None:
    deploy_parameters = _config()[stage]["deploy"]["parameters"]
    overrides = _overrides(deploy_parameters["parameter_overrides"])
    assert set(overrides) <= set(template["Parameters"])
    assert overrides["Stage"] == stage
    for name in ("DomainName", "CertificateArn", "WebAclArn", "AlarmEmail"):
        assert overrides[name] == "", name
    assert Stack(template, **overrides).rule_failures() == []


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_each_stage_has_its_web_acl_stack_in_us_east_1(
    waf_template: dict[str, Any], stage: str
) -> None:
    config = _config()
    waf = config[f"{stage}-waf"]["deploy"]["parameters"]
    assert waf["template_file"] == "waf.yaml" and waf["region"] == "us-east-1"
    assert waf["stack_name"] != config[stage]["deploy"]["parameters"]["stack_name"]
    overrides = _overrides(waf["parameter_overrides"])
    assert set(overrides) <= set(waf_template["Parameters"]) and overrides["Stage"] == stage
