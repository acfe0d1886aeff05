"""`make remind DATE=YYYY-MM-DD` (`python -m local.remind --date ...`): runs the support reminder
job's own handler (functions/support_reminders, as template.yaml declares it) for that day against
the running local stack, found through .local/stack.json: its moto (the table, the mail-links
secret, SES), its handlers' environment (the portal's origin, the reminder settings). The mail goes
through the local SES, so it shows in the stack's mailbox (/_mailbox/); this prints the run's
summary (its JSON, instead of the handler's log lines and metrics, which are off) and each new
message's recipient and subject.

The handler's clock is the real one: a date in the future rehearses that day (daysLeft counts from
it), a past date is a catch-up; running a day twice sends nothing twice."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from local import aws, mailbox
from local.api import DEFAULT_TEMPLATE
from local.runner import LocalContext, load_module
from local.stack import LOCAL_DIR, read_stack_file

FUNCTION = "SupportRemindersFunction"


def _day(text: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def remind(stack: dict[str, Any], day: str | None, template: Path = DEFAULT_TEMPLATE) -> Any:
    """Run the job's handler for `day` (None: today, as the schedule does) against `stack`;
    its summary. Raises what the handler raises (RuntimeError: some mails could not be sent)."""
    from portal import dependencies

    resource = aws.template_resources(template)[FUNCTION]["Properties"]
    module, _, name = str(resource["Handler"]).rpartition(".")
    app = template.parent / str(resource["CodeUri"]) / f"{module}.py"
    environment = stack.get("environment")
    if not isinstance(environment, dict):
        raise OSError("stack.json has no handler environment: restart make run")
    quiet = {"POWERTOOLS_LOG_LEVEL": "WARNING", "POWERTOOLS_METRICS_DISABLED": "true"}
    previous = aws.apply_environment(
        {**environment, **quiet, **aws.aws_environment(str(stack["aws"]))}
    )
    dependencies.reset()
    try:
        handler = getattr(load_module(app, FUNCTION), name)
        context = LocalContext(FUNCTION, int(resource.get("MemorySize", 512)), 600)
        return handler({} if day is None else {"date": day}, context)
    finally:
        aws.restore_environment(previous)
        dependencies.reset()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m local.remind",
        description="Run the support reminder job for a day against the running local stack.",
    )
    parser.add_argument("--date", type=_day, help="the day to run for (default: today)")
    parser.add_argument(
        "--stack-dir", type=Path, default=LOCAL_DIR, help="where stack.json is (default .local)"
    )
    args = parser.parse_args(argv)
    try:
        stack = read_stack_file(args.stack_dir)
        before = {m["id"] for m in mailbox.messages(str(stack["aws"]))}
    except OSError as exc:
        print(exc, file=sys.stderr)
        return 1
    failed = None
    try:
        summary = remind(stack, args.date)
    except RuntimeError as exc:  # the job went through every customer, some mails failed
        summary, failed = None, exc
    new = [m for m in mailbox.messages(str(stack["aws"])) if m["id"] not in before]
    if summary is not None:
        print(json.dumps(summary, indent=2))
    for message in reversed(new):
        print(f"sent to {', '.join(message['to'])}: {message['subject']}")
    print(f"{len(new)} mail(s) sent; see {stack['portal']}{mailbox.PATH}/")
    if failed is not None:
        print(f"failed: {failed}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
