"""The template's mail (ARCHITECTURE.md, Mail; SECURITY.md 23 and 24): the table's stream feeds
one mailer, filtered to new outbox items; failures are reported per record, retried a bounded
number of times, then land in a dead-letter queue with an alarm; the mailer may send only as the
template's SES identity and touch only outbox items and mail records; the sender and the support
contact are parameters every function sees."""

from __future__ import annotations

import json
from typing import Any

import pytest

from local.mailer import matches
from portal.data import keys

pytestmark = pytest.mark.template

FUNCTION = "AWS::Serverless::Function"


def _resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {n: r for n, r in template["Resources"].items() if r.get("Type") == kind}


def _stream_events(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Function name -> Properties of its DynamoDB event."""
    found = {}
    for name, resource in _resources(template, FUNCTION).items():
        for event in (resource["Properties"].get("Events") or {}).values():
            if event.get("Type") == "DynamoDB":
                found[name] = event["Properties"]
    return found


def _statements(resource: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for policy in resource["Properties"].get("Policies", []) for s in policy["Statement"]]


def _record(event_name: str, pk: str) -> dict[str, Any]:
    return {
        "eventName": event_name,
        "dynamodb": {"Keys": {"pk": {"S": pk}, "sk": {"S": "X"}}, "NewImage": {}},
    }


def test_the_table_streams_new_images_to_one_mailer(template: dict[str, Any]) -> None:
    table = template["Resources"]["PortalTable"]["Properties"]
    assert table["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
    events = _stream_events(template)
    assert set(events) == {"MailerFunction"}
    source = events["MailerFunction"]
    assert source["Stream"] == {"Fn::GetAtt": ["PortalTable", "StreamArn"]}
    assert template["Resources"]["MailerFunction"]["Properties"]["CodeUri"] == "functions/mailer/"


def test_only_new_outbox_items_reach_the_mailer(template: dict[str, Any]) -> None:
    # given the event source mapping's filter; then an INSERT of an OUTBOX# item passes it, and
    # the mailer's own writes to it (MODIFY), TTL deletes and every other item do not
    (pattern,) = [
        json.loads(f["Pattern"])
        for f in _stream_events(template)["MailerFunction"]["FilterCriteria"]["Filters"]
    ]
    outbox = keys.outbox_key("01KB9ZQ3V5M8T2W6X4Y7Z1A3B5")["pk"]
    assert matches(pattern, _record("INSERT", outbox))
    assert not matches(pattern, _record("MODIFY", outbox))
    assert not matches(pattern, _record("REMOVE", outbox))
    assert not matches(pattern, _record("INSERT", keys.customer_pk("01ARZ3NDEKTSV4RRFFQ69G5FAV")))
    assert not matches(pattern, _record("INSERT", "SESSION#abc"))


def test_failures_are_per_record_bounded_and_dead_lettered_with_an_alarm(
    template: dict[str, Any],
) -> None:
    source = _stream_events(template)["MailerFunction"]
    assert source["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert 0 < source["MaximumRetryAttempts"] <= 100
    assert source["MaximumRecordAgeInSeconds"] > 0
    assert source["BisectBatchOnFunctionError"] is True
    destination = source["DestinationConfig"]["OnFailure"]
    assert destination["Type"] == "SQS"
    (queue,) = destination["Destination"]["Fn::GetAtt"][:1]
    assert template["Resources"][queue]["Type"] == "AWS::SQS::Queue"
    alarms = [
        alarm["Properties"]
        for alarm in _resources(template, "AWS::CloudWatch::Alarm").values()
        if alarm["Properties"].get("Namespace") == "AWS/SQS"
        and {"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}}
        in alarm["Properties"].get("Dimensions", [])
    ]
    assert len(alarms) == 1
    assert alarms[0]["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert alarms[0]["Threshold"] == 0 and alarms[0]["ComparisonOperator"] == "GreaterThanThreshold"


def test_undeliverable_mail_raises_an_alarm(template: dict[str, Any]) -> None:
    metrics = {
        alarm["Properties"].get("MetricName")
        for alarm in _resources(template, "AWS::CloudWatch::Alarm").values()
        if alarm["Properties"].get("Namespace") == "CustomerPortal"
    }
    assert "MailUndeliverable" in metrics


def test_the_mailer_sends_only_as_the_sender_identity_and_touches_only_mail_items(
    template: dict[str, Any],
) -> None:
    statements = _statements(template["Resources"]["MailerFunction"])
    ses = [s for s in statements if any(a.startswith("ses:") for a in s["Action"])]
    assert len(ses) == 1
    assert sorted(ses[0]["Action"]) == ["ses:SendEmail", "ses:SendRawEmail"]
    assert "${SenderIdentity}" in ses[0]["Resource"]["Fn::Sub"]
    assert ":identity/" in ses[0]["Resource"]["Fn::Sub"]
    table = [s for s in statements if any(a.startswith("dynamodb:") for a in s["Action"])]
    assert table
    granted = {}
    for statement in table:
        leading = statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
        for action in statement["Action"]:
            granted.setdefault(action, set()).update(leading)
    assert granted == {
        "dynamodb:GetItem": {"OUTBOX#*", "CUST#*"},  # the item; the profile (its address)
        "dynamodb:UpdateItem": {"OUTBOX#*"},
        "dynamodb:PutItem": {"CUST#*"},
    }
    # and no other function may send mail but the reminder job (its own test below)
    for name, resource in _resources(template, FUNCTION).items():
        if name not in ("MailerFunction", "SupportRemindersFunction"):
            actions = [a for s in _statements(resource) for a in s["Action"]]
            assert not [a for a in actions if a.startswith("ses:")], name


def _granted(resource: dict[str, Any]) -> dict[str, set[str]]:
    """Table action -> the leading keys it is granted on."""
    granted: dict[str, set[str]] = {}
    for statement in _statements(resource):
        condition = statement.get("Condition", {}).get("ForAllValues:StringLike", {})
        for action in statement["Action"]:
            if action.startswith("dynamodb:"):
                granted.setdefault(action, set()).update(condition.get("dynamodb:LeadingKeys", []))
    return granted


@pytest.mark.parametrize("function", ["ActivationFunction", "ManageLicenseFunction"])
def test_the_functions_that_bind_and_release_may_add_outbox_items_and_nothing_more(
    template: dict[str, Any], function: str
) -> None:
    # given a function whose binds and releases put an activation notice in their transaction
    granted = _granted(template["Resources"][function])
    # then it may put outbox items, and neither update, delete nor read them
    assert "OUTBOX#*" in granted["dynamodb:PutItem"]
    others = ("dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:Query")
    assert not [action for action in others if "OUTBOX#*" in granted.get(action, set())]


def test_the_sender_and_support_contact_are_parameters_every_function_sees(
    template: dict[str, Any],
) -> None:
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["MAIL_FROM"] == {"Ref": "MailFrom"}
    assert variables["SUPPORT_EMAIL"] == {"Ref": "SupportEmail"}
    parameters = template["Parameters"]
    assert parameters["SupportEmail"]["Default"] == "support@example.com"
    (identity,) = _resources(template, "AWS::SES::EmailIdentity").values()
    chosen = identity["Properties"]["EmailIdentity"]["Fn::If"]
    assert chosen[1:] == [{"Ref": "MailDomain"}, {"Ref": "MailFrom"}]


# ---------------------------------------------------------------- the reminder job
def _reminder_job(template: dict[str, Any]) -> dict[str, Any]:
    return template["Resources"]["SupportRemindersFunction"]["Properties"]


def test_the_reminder_job_runs_daily_at_a_configurable_time_and_zone_with_an_empty_input(
    template: dict[str, Any],
) -> None:
    props = _reminder_job(template)
    assert props["CodeUri"] == "functions/support_reminders/"
    ((_, event),) = props["Events"].items()
    assert event["Type"] == "ScheduleV2"
    schedule = event["Properties"]
    assert schedule["ScheduleExpression"] == {"Ref": "ReminderSchedule"}
    assert schedule["ScheduleExpressionTimezone"] == {"Ref": "ReminderTimezone"}
    # the job takes {} (today) and refuses a default notification (portal.mail.reminders)
    assert json.loads(schedule["Input"]) == {}
    parameters = template["Parameters"]
    assert parameters["ReminderSchedule"]["Default"] == "cron(0 8 * * ? *)"
    assert parameters["ReminderTimezone"]["Default"] == "UTC"
    assert parameters["ReminderThresholds"]["Default"] == "30,7,-1"
    variables = props["Environment"]["Variables"]
    assert variables["REMINDER_TIMEZONE"] == {"Ref": "ReminderTimezone"}
    assert variables["REMINDER_THRESHOLDS"] == {"Ref": "ReminderThresholds"}
    assert 0 <= int(variables["REMINDER_CATCH_UP_DAYS"]) <= 30


def test_the_reminder_job_retries_then_dead_letters_with_an_alarm(template: dict[str, Any]) -> None:
    props = _reminder_job(template)
    schedule = next(iter(props["Events"].values()))["Properties"]
    assert 0 < schedule["RetryPolicy"]["MaximumRetryAttempts"] <= 5
    assert 0 < props["EventInvokeConfig"]["MaximumRetryAttempts"] <= 2
    queue = props["DeadLetterQueue"]["TargetArn"]["Fn::GetAtt"][0]
    assert props["DeadLetterQueue"]["Type"] == "SQS"
    assert schedule["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": [queue, "Arn"]}
    assert template["Resources"][queue]["Type"] == "AWS::SQS::Queue"
    alarms = [
        alarm["Properties"]
        for alarm in _resources(template, "AWS::CloudWatch::Alarm").values()
        if {"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}}
        in alarm["Properties"].get("Dimensions", [])
    ]
    assert len(alarms) == 1 and alarms[0]["Threshold"] == 0


def test_the_reminder_job_reads_customers_and_the_expiry_index_and_sends_as_the_identity(
    template: dict[str, Any],
) -> None:
    statements = _statements(template["Resources"]["SupportRemindersFunction"])
    table, index = [], []
    for statement in statements:
        if any(a.startswith("dynamodb:") for a in statement["Action"]):
            resource = statement["Resource"]
            (index if "Fn::Sub" in resource else table).append(statement)
    # every table action only on customers' partitions (profiles, supports, reminder records)
    (on_table,) = table
    assert on_table["Resource"] == {"Fn::GetAtt": ["PortalTable", "Arn"]}
    assert on_table["Condition"] == {
        "ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["CUST#*"]}
    }
    assert "dynamodb:Scan" not in on_table["Action"]
    assert sorted(on_table["Action"]) == [
        "dynamodb:BatchGetItem",
        "dynamodb:DeleteItem",
        "dynamodb:PutItem",
        "dynamodb:Query",
        "dynamodb:UpdateItem",
    ]
    (on_index,) = index
    assert on_index["Action"] == ["dynamodb:Query"]
    assert on_index["Resource"] == {"Fn::Sub": "${PortalTable.Arn}/index/gsi1"}
    ses = [s for s in statements if any(a.startswith("ses:") for a in s["Action"])]
    assert len(ses) == 1 and "${SenderIdentity}" in ses[0]["Resource"]["Fn::Sub"]
    secrets = [s for s in statements if "secretsmanager:GetSecretValue" in s["Action"]]
    assert [s["Resource"] for s in secrets] == [{"Ref": "MailLinksSecret"}]
