"""`portal-admin import` against a running local stack (issue 11's acceptance): the sample file,
imported with `bin/portal-admin --stage local` as its own process (the stack found through its
stack.json alone), creates customers who sign in over HTTP - the code from the stack's mailbox -
and see their licenses; run again, it changes nothing; a dry run of the mistakes writes nothing."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.stack import LocalStack
from portal.data.store import Store
from tests.support import ROOT, signed_in_client, table_items

pytestmark = pytest.mark.integration

SAMPLE = ROOT / "samples" / "import.csv"
MISTAKES = ROOT / "samples" / "import-mistakes.csv"
MARC = {"email": "marc.dubois@example.fr", "orderNumber": "IMP-2024-0033"}
LENA = {"email": "Lena.Schmidt@example.de", "orderNumber": "imp-2023-0001 "}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalStack, Path]]:
    directory = tmp_path_factory.mktemp("stack")
    with LocalStack() as running:
        running.write_stack_file(directory)
        yield running, directory


def portal_admin(directory: Path, *arguments: str | Path) -> subprocess.CompletedProcess[str]:
    # the local stack set AWS_* in this process; the command must find moto by stack.json alone
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    command = [ROOT / "bin" / "portal-admin", "--stage", "local", "--stack-dir", directory]
    return subprocess.run(
        [*command, *arguments, "--no-progress"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def snapshot(running: LocalStack) -> list[dict[str, Any]]:
    return sorted(table_items(Store(running.table_name)), key=lambda i: (i["pk"], i["sk"]))


def test_imported_customers_sign_in_and_see_their_licenses_and_a_rerun_changes_nothing(stack):
    running, directory = stack
    # when the sample is imported into the running stack
    done = portal_admin(directory, "import", SAMPLE)
    # then it created the file's 4 customers and 5 orders
    assert done.returncode == 0, done.stdout + done.stderr
    assert "customers created: 4" in done.stdout
    assert "orders created: 5, unchanged (imported already): 0, refused: 0" in done.stdout
    # and Marc signs in over HTTP (the code mailed to the stack's mailbox) and sees his Remote
    # Work license, unbound, with its support
    marc = signed_in_client(running.base_url, MARC)
    (remote_work,) = marc.get_json("/api/licenses")["items"]
    assert (remote_work["serialNumber"], remote_work["software"]) == ("RW5-0001", "Remote Work")
    assert remote_work["computerId"] is None
    assert remote_work["support"]["until"] == "2027-01-22"
    assert marc.get_json("/api/me")["activationKey"]
    # and Lena, typing her email and order number as people do, sees hers (renewed to 2027)
    lena = signed_in_client(running.base_url, LENA)
    (license_,) = lena.get_json("/api/licenses")["items"]
    assert (license_["serialNumber"], license_["support"]["until"]) == ("PE10A1", "2027-03-14")
    assert len(lena.get_json("/api/supports")["items"]) == 2
    # when it is imported again, then every order is found imported and nothing changes
    before = snapshot(running)
    again = portal_admin(directory, "import", SAMPLE)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "orders created: 0, unchanged (imported already): 5, refused: 0" in again.stdout
    assert snapshot(running) == before


def test_a_dry_run_of_a_file_with_mistakes_reports_them_and_writes_nothing(stack, tmp_path):
    running, directory = stack
    before = snapshot(running)
    report = tmp_path / "report.csv"
    done = portal_admin(directory, "import", MISTAKES, "--dry-run", "--report", report)
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stdout.startswith("line")  # the table of rows not imported comes first
    assert "Dry run, nothing written." in done.stdout
    assert "orders would be created: 3," in done.stdout
    assert report.read_text().startswith("line,order,reason")
    assert snapshot(running) == before


def test_without_a_running_stack_it_says_so(tmp_path):
    done = portal_admin(tmp_path, "import", SAMPLE)
    assert done.returncode == 2 and "make run" in done.stderr
