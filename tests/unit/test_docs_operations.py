"""docs/operations.md tells the operator what each alarm means and what to do: every
AWS::CloudWatch::Alarm of template.yaml must have a section of its own there (a heading naming
its logical id in backticks), so an alarm added later fails this test until it is documented."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from local.aws import template_resources
from tests.support import ROOT

OPERATIONS = ROOT / "docs" / "operations.md"
_HEADING = re.compile(r"^#{2,6} .*$", re.M)
_NAMED = re.compile(r"`([A-Za-z0-9]+)`")


def alarm_ids(resources: Mapping[str, Any]) -> set[str]:
    """The logical ids of the template's CloudWatch alarms."""
    return {
        logical_id
        for logical_id, resource in resources.items()
        if isinstance(resource, Mapping) and resource.get("Type") == "AWS::CloudWatch::Alarm"
    }


def documented(doc: str) -> set[str]:
    """The ids a heading of the document names in backticks (one heading may name several)."""
    return {name for heading in _HEADING.findall(doc) for name in _NAMED.findall(heading)}


def test_every_alarm_of_the_template_has_a_section_in_operations_md():
    # given the alarms the template defines
    alarms = alarm_ids(template_resources(ROOT / "template.yaml"))
    assert alarms, "template.yaml defines no alarm: the reading is wrong"
    # then docs/operations.md has a heading for each of them
    assert alarms - documented(OPERATIONS.read_text(encoding="utf-8")) == set()


def test_the_check_notices_an_undocumented_alarm():
    # given a template with one alarm more than the document, and one that is not an alarm
    resources = {
        "MailerDeadLetterAlarm": {"Type": "AWS::CloudWatch::Alarm"},
        "NewAlarm": {"Type": "AWS::CloudWatch::Alarm"},
        "PortalTable": {"Type": "AWS::DynamoDB::Table"},
    }
    doc = "# Operations\n\n### `MailerDeadLetterAlarm`\n\nText naming `NewAlarm` is no section.\n"
    # then only the undocumented alarm is missing
    assert alarm_ids(resources) - documented(doc) == {"NewAlarm"}
