"""`make remind DATE=...` against a running local stack (the reminder issue's Acceptance): for a
date 30 days before a demo support ends, one mail in the local mailbox, in the customer's
language, naming that support; run again, nothing more. `python -m local.remind` (what the make
target runs) is started as its own process, finding the stack through its stack.json."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from local import mailbox
from local.stack import LocalStack
from portal.mail import formats
from tests.support import ROOT, SECOND_EMAIL

pytestmark = pytest.mark.integration

# Ana Müller's (German) support for P71 ends on 2027-03-12 (local/demo_data.py); 30 days before
# it, no other demo support is due for any threshold of the run or its catch-up days.
ENDS = date(2027, 3, 12)
DAY = "2027-02-10"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalStack, Path]]:
    directory = tmp_path_factory.mktemp("stack")
    with LocalStack() as running:
        running.write_stack_file(directory)
        yield running, directory


def remind(directory: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "local.remind", "--stack-dir", str(directory), *arguments],
        cwd=ROOT,
        env={**_environment(), "PYTHONPATH": f"{ROOT / 'layers' / 'shared'}:{ROOT}"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _environment() -> dict[str, str]:
    import os

    # the local stack sets AWS_* in this process; the command must find moto by stack.json alone
    return {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}


def messages(stack: LocalStack) -> list[dict[str, Any]]:
    return mailbox.messages(stack.moto_url)


def test_make_remind_sends_one_mail_in_the_customers_language_once(stack):
    running, directory = stack
    assert messages(running) == []
    # when the job runs for 30 days before Ana's P71 support ends
    done = remind(directory, "--date", DAY)
    # then it succeeds and says it sent one mail
    assert done.returncode == 0, done.stderr
    assert "1 mail(s) sent" in done.stdout
    # and the mailbox holds one mail, to Ana, in German, naming that support and its end date
    (mail,) = messages(running)
    assert mail["to"] == [SECOND_EMAIL]
    assert "P71" in mail["text"]
    assert formats.long_date(ENDS, "de") in mail["text"]
    assert formats.long_date(ENDS, "en") not in mail["text"]
    assert "Ana Müller" in mail["text"]
    assert "30" in mail["text"]
    summary = json.loads(done.stdout[done.stdout.index("{") : done.stdout.rindex("}") + 1])
    assert (summary["sent"], summary["reminded"], summary["failed"]) == (1, 1, 0)
    # when it runs again for that day, then nothing more is sent
    again = remind(directory, "--date", DAY)
    assert again.returncode == 0, again.stderr
    assert "0 mail(s) sent" in again.stdout
    assert len(messages(running)) == 1


def test_a_date_that_is_not_one_is_refused_before_anything_runs(stack):
    running, directory = stack
    before = len(messages(running))
    done = remind(directory, "--date", "2027-02-30")
    assert done.returncode == 2 and "not a date" in done.stderr
    assert len(messages(running)) == before


def test_without_a_running_stack_it_says_to_start_one(tmp_path):
    done = remind(tmp_path, "--date", DAY)
    assert done.returncode == 1 and "make run" in done.stderr
