"""Scheduled (EventBridge Scheduler, daily): mail each customer whose supports end soon or ended
yesterday, once per threshold (portal.mail.reminders). Input {} (today) or {"date": "YYYY-MM-DD"}
(catch-up, `make remind`)."""

from dataclasses import asdict
from typing import Any

from portal import dependencies
from portal.edge import entry
from portal.mail import reminders


def remind(event: dict[str, Any]) -> dict[str, Any]:
    summary = reminders.run(
        event,
        store=dependencies.store(),
        settings=dependencies.settings(),
        clock=dependencies.clock(),
    )
    if summary.failed:
        # Failing the invocation makes the schedule's retries (then the DLQ and its alarm) see
        # it; the reminders sent are recorded, so a retry sends only the ones that failed.
        raise RuntimeError(f"{summary.failed} reminder mail(s) could not be sent")
    return asdict(summary)


lambda_handler = entry.scheduled_handler(remind)
