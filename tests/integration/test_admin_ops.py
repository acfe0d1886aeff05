"""portal-admin against a running local stack, as support runs it: `bin/portal-admin --stack-dir
DIR ...` as its own process, finding the stack by its stack.json alone. Look the demo customer
up, revoke the license it never activated (the portal no longer lists it, the product is told
410), restore it (listed again, unbound, and the product activates it), every change in the
audit trail with the operator's name; resend a reminder, which the stack's stream-fed mailer
delivers in the customer's language."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from local.stack import LocalStack
from tests.support import (
    DEMO,
    DEMO_EMAIL,
    DEMO_KEY,
    ROOT,
    SECOND_EMAIL,
    SECOND_ORDER,
    eventually,
    local_mail,
    signed_in_client,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalStack, Path]]:
    directory = tmp_path_factory.mktemp("stack")
    with LocalStack() as running:
        running.write_stack_file(directory)
        yield running, directory


def portal_admin(directory: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    # the local stack sets AWS_* in this process; the tool must find moto by stack.json alone
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return subprocess.run(
        [str(ROOT / "bin" / "portal-admin"), "--stack-dir", str(directory), *arguments],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def looked_up(directory: Path, who: str) -> dict[str, Any]:
    done = portal_admin(directory, "lookup", who, "--json")
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def activate(base_url: str, license_id: str, computer: str) -> requests.Response:
    """The product's activation of one license (no cookie, no Origin)."""
    body = {
        "activationKey": DEMO_KEY,
        "computerId": computer,
        "computerName": computer,
        "product": "TSplus",
        "licenseId": license_id,
    }
    return requests.post(f"{base_url}/api/activation/activate", json=body, timeout=30)


def test_lookup_revoke_restore_of_a_demo_customer(stack):
    running, directory = stack
    # given the demo customer, looked up by email: its never-activated license P88
    found = looked_up(directory, DEMO_EMAIL)
    assert found["customer"]["name"] == "Camille Martin"
    [p88] = [lic["id"] for lic in found["licenses"] if lic["serialNumber"] == "P88"]
    client = signed_in_client(running.base_url, DEMO)
    listed = {lic["id"]: lic for lic in client.get_json("/api/licenses?limit=100")["items"]}
    assert p88 in listed and {lic["id"] for lic in found["licenses"]} == set(listed)
    # when support revokes it
    done = portal_admin(directory, "revoke", DEMO_EMAIL, p88, "--reason", "chargeback 4711")
    assert done.returncode == 0, done.stderr
    assert f"revoked license {p88}" in done.stdout
    # then the portal no longer lists it, and the product is told it was revoked
    assert p88 not in {lic["id"] for lic in client.get_json("/api/licenses?limit=100")["items"]}
    refused = activate(running.base_url, p88, "SRV-OPS-1")
    assert (refused.status_code, refused.json()["error"]["code"]) == (410, "license_revoked")
    # and revoking it again is refused (exit code 1, why on stderr)
    again = portal_admin(directory, "revoke", DEMO_EMAIL, p88, "--reason", "twice")
    assert again.returncode == 1 and "is revoked" in again.stderr
    # when support restores it
    done = portal_admin(directory, "restore", DEMO_EMAIL, p88, "--reason", "chargeback lost")
    assert done.returncode == 0, done.stderr
    # then it is listed again, bound to no computer, and the product activates it
    back = {lic["id"]: lic for lic in client.get_json("/api/licenses?limit=100")["items"]}
    assert back[p88]["computerId"] is None
    assert activate(running.base_url, p88, "SRV-OPS-1").status_code == 200
    # and lookup shows the history and the audit trail, with the operator's name
    after = looked_up(directory, DEMO_EMAIL)
    assert [e["event"] for e in after["history"][p88]] == ["activated", "restored", "revoked"]
    actions = [(a["action"], a["subject"]) for a in after["audit"]]
    assert actions == [("license.restore", p88), ("license.revoke", p88)]
    assert all(a["actor"].startswith("local:") for a in after["audit"])
    assert after["revoked"] == []


def test_resend_reminder_is_delivered_by_the_stacks_mailer_in_the_customers_language(stack):
    running, directory = stack
    # given Ana Müller's (German) support, looked up by her order number
    found = looked_up(directory, SECOND_ORDER)
    [support] = [s for s in found["supports"] if s["serialNumber"] == "P71"]
    before = {m["id"] for m in local_mail(running.base_url, SECOND_EMAIL)}
    # when support resends its reminder
    done = portal_admin(directory, "resend-reminder", SECOND_EMAIL, "--support", support["id"])
    assert done.returncode == 0, done.stderr
    # then the stack's mailer delivers it to her, in German, naming the support
    [mail] = eventually(
        lambda: [m for m in local_mail(running.base_url, SECOND_EMAIL) if m["id"] not in before],
        20,
    )
    assert "P71" in mail["text"] and "Ana Müller" in mail["text"]
    assert "Erinnerungen" in mail["text"]
    # and lookup shows the mail sent and the audit entry
    after = eventually(
        lambda: (
            (seen := looked_up(directory, SECOND_EMAIL))["mails"]
            and any(m["kind"] == "support_reminder" for m in seen["mails"])
            and seen
        ),
        20,
    )
    [sent] = [m for m in after["mails"] if m["kind"] == "support_reminder"]
    assert (sent["language"], sent["toCurrentEmail"]) == ("de", True)
    assert [a["action"] for a in after["audit"]] == ["reminder.resend"]


def test_without_a_running_stack_it_says_so(tmp_path):
    done = portal_admin(tmp_path, "lookup", DEMO_EMAIL)
    assert done.returncode == 2 and "make run" in done.stderr
