"""The support reminder job: once a day (EventBridge Scheduler), each customer whose supports end
in 30 or 7 days, or ended yesterday (Settings.reminder_thresholds), gets one mail per threshold
and end date listing those supports, in their language, exactly once.

    summary = run(event, store=..., settings=..., clock=...)   # event: {} or {"date": "YYYY-MM-DD"}

1. The run's day: `{}` is today in Settings.reminder_timezone; `{"date": ...}` a given day
   (catch-up after an outage, `make remind`). Each run also covers the `reminder_catch_up_days`
   days before it, so a day that failed or was missed is sent by the next run, once.
2. For each day d and threshold t, the supports ending on d + t: one gsi1 Query per end date
   (portal.data.reminders), never a Scan. Then one BatchGetItem (100 keys a call) reads their
   customers' profiles and their reminder records, and for the customers still due one Query of
   their supports and one of their licenses (the computer each serial is on). Items read grow
   with the supports due and their customers, never with the table.
3. Not reminded: a support another of the customer's supports for the same serial runs past
   (renewed); for a reminder before the end, a support that has ended (by the real today); a
   customer without a profile or with `reminders` false; a reminder whose record says sent.
   Refunded supports are not on the index.
4. Per customer, threshold and end date one mail (at most MAIL_LIMIT supports each): its
   reminders are claimed in one transaction, the mail is sent through SES, then one transaction
   marks them sent and writes the MAIL# record. A failed send frees its claims (the next run
   retries it; the others are not repeated) and the job goes on; the summary counts the
   failures and the handler fails the invocation when there are any (the schedule's retries,
   then its dead-letter queue and alarm). Metrics RemindersSent and ReminderFailures.

daysLeft counts from the later of the run's day and the real today: a catch-up mail says how long
is really left, a run for a later day (a rehearsal, `make remind`) writes as that day would.
Logs carry counts and ids, never an address."""

from __future__ import annotations

import re
import secrets
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from botocore.exceptions import BotoCoreError, ClientError

from portal.accounts import reminder_links
from portal.clock import Clock
from portal.config import Settings
from portal.data import keys, records, reminders
from portal.data.mail import MailRecord, recipient_digest
from portal.data.reminders import Due, Reminder
from portal.data.store import Item, Store
from portal.ids import new_ulid
from portal.mail import sender
from portal.mail.render import RenderError
from portal.models import License, Support
from portal.observability import count, logger
from portal.types import SUPPORTED_LANGUAGES

KIND = "support_reminder"
MAIL_LIMIT = 50  # supports listed in one mail (the two transactions stay under 100 parts)
# Longer than one mail's claim, send and mark can take (SES client: 3 attempts of 2 s + 5 s).
LEASE = timedelta(minutes=10)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# Why a support due was not reminded (the summary's `skipped`).
RENEWED = "renewed"
ENDED = "ended"
NO_CUSTOMER = "no_customer"
OPTED_OUT = "opted_out"
ALREADY_SENT = "already_sent"


class InvalidReminderRun(ValueError):
    """The job's input is neither {} nor {"date": "YYYY-MM-DD"}: nothing is sent."""


@dataclass(slots=True)
class Summary:
    date: str  # the run's day
    days: list[str]  # every day it covered (catch-up first)
    due: int = 0  # reminders found due (support x threshold)
    sent: int = 0  # mails sent
    reminded: int = 0  # reminders those mails carried
    failed: int = 0  # mails not sent (their reminders are retried by the next run)
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str, number: int = 1) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + number


def run_day(event: object, settings: Settings, clock: Clock) -> date:
    """The day a run is for: today in the reminder time zone for `{}`, else the given date."""
    if not isinstance(event, Mapping) or set(event) - {"date"}:
        raise InvalidReminderRun('the reminder job takes {} or {"date": "YYYY-MM-DD"}')
    if "date" not in event:
        return today(settings, clock)
    raw = event["date"]
    try:
        if not isinstance(raw, str) or not _DATE.fullmatch(raw):
            raise ValueError
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidReminderRun("date must be a calendar day, YYYY-MM-DD") from None


def today(settings: Settings, clock: Clock) -> date:
    return clock.now().astimezone(ZoneInfo(settings.reminder_timezone)).date()


@dataclass(frozen=True, slots=True)
class _Candidate:
    threshold: int
    as_of: date  # the day its daysLeft counts from
    due: Due

    @property
    def reminder(self) -> Reminder:
        sup = self.due.support
        return Reminder(self.due.customer_id, sup.support_id, sup.expires_on, str(self.threshold))


def run(
    event: object,
    *,
    store: Store,
    settings: Settings,
    clock: Clock,
    ses: Any = None,
) -> Summary:
    day = run_day(event, settings, clock)
    real_today = today(settings, clock)
    days = [day - timedelta(days=back) for back in range(settings.reminder_catch_up_days, -1, -1)]
    summary = Summary(date=day.isoformat(), days=[d.isoformat() for d in days])
    candidates = _due(store, settings, days, real_today, summary)
    profiles, sent = _profiles_and_records(store, candidates)
    waiting: list[_Candidate] = []
    for candidate in candidates:
        profile = profiles.get(candidate.due.customer_id)
        if profile is None:
            summary.skip(NO_CUSTOMER)
        elif profile.get("reminders") is False:
            summary.skip(OPTED_OUT)
        elif candidate.reminder in sent:
            summary.skip(ALREADY_SENT)
        else:
            waiting.append(candidate)
    groups = _groups(store, waiting, summary)
    for (customer_id, _, _), group in groups.items():
        for first in range(0, len(group), MAIL_LIMIT):
            _remind(
                group[first : first + MAIL_LIMIT],
                profiles[customer_id],
                store=store,
                settings=settings,
                clock=clock,
                ses=ses,
                summary=summary,
            )
    count("RemindersSent", summary.sent)
    count("ReminderFailures", summary.failed)
    logger.info(
        "reminder run done",
        extra={
            "date": summary.date,
            "due": summary.due,
            "sent": summary.sent,
            "reminded": summary.reminded,
            "failed": summary.failed,
            "skipped": summary.skipped,
        },
    )
    return summary


def _due(
    store: Store, settings: Settings, days: list[date], real_today: date, summary: Summary
) -> list[_Candidate]:
    """Every (threshold, support) due on the run's days: one gsi1 Query per end date."""
    ending: dict[date, list[Due]] = {}
    found = []
    for day in days:
        for threshold in settings.reminder_thresholds:
            end = day + timedelta(days=threshold)
            if end not in ending:
                ending[end] = list(reminders.supports_ending_on(store, end))
            for due in ending[end]:
                summary.due += 1
                if threshold > 0 and end < real_today:
                    summary.skip(ENDED)  # a reminder before the end that comes too late
                    continue
                found.append(_Candidate(threshold, max(day, real_today), due))
    return found


def _profiles_and_records(
    store: Store, candidates: list[_Candidate]
) -> tuple[dict[str, Item], set[Reminder]]:
    """The customers' profiles and which of the reminders were sent: one BatchGetItem per 100."""
    customers = list(dict.fromkeys(c.due.customer_id for c in candidates))
    wanted = list(dict.fromkeys(c.reminder for c in candidates))
    found = records.each_of(
        store,
        [keys.customer_profile(customer) for customer in customers]
        + [reminder.key for reminder in wanted],
    )
    profiles = {
        customer: item for customer, item in zip(customers, found, strict=False) if item is not None
    }
    sent = {
        reminder
        for reminder, item in zip(wanted, found[len(customers) :], strict=True)
        if reminders.was_sent(item)
    }
    return profiles, sent


def _groups(
    store: Store, waiting: list[_Candidate], summary: Summary
) -> dict[tuple[str, int, date], list[tuple[_Candidate, License | None]]]:
    """Per customer, threshold and end date, the supports to remind of with the license of
    their serial (the computer it is on); renewed supports left out. One Query of each customer's
    supports and one of their licenses."""
    by_customer: dict[str, list[_Candidate]] = defaultdict(list)
    for candidate in waiting:
        by_customer[candidate.due.customer_id].append(candidate)
    groups: dict[tuple[str, int, date], list[tuple[_Candidate, License | None]]] = {}
    for customer_id, theirs in by_customer.items():
        supports = records.all_supports(store, customer_id)
        licenses = license_by_serial(records.all_licenses(store, customer_id))
        for candidate in theirs:
            sup = candidate.due.support
            if renewed_by(sup, supports) is not None:
                summary.skip(RENEWED)
                continue
            group = (customer_id, candidate.threshold, sup.expires_on)
            groups.setdefault(group, []).append((candidate, licenses.get(sup.serial_number)))
    return groups


def renewed_by(sup: Support, supports: Iterable[Support]) -> Support | None:
    """Another support of the same serial that runs past `sup` (it was renewed), if any."""
    return next(
        (
            other
            for other in supports
            if other.serial_number == sup.serial_number and other.expires_on > sup.expires_on
        ),
        None,
    )


def license_by_serial(licenses: Iterable[License]) -> dict[str, License]:
    """A serial's license, the one bound to a computer first."""
    found: dict[str, License] = {}
    for lic in licenses:
        if lic.serial_number not in found or (lic.bound and not found[lic.serial_number].bound):
            found[lic.serial_number] = lic
    return found


def _remind(
    group: list[tuple[_Candidate, License | None]],
    profile: Item,
    *,
    store: Store,
    settings: Settings,
    clock: Clock,
    ses: Any,
    summary: Summary,
) -> None:
    """Claim, send, mark one mail's reminders (see the module docstring)."""
    customer_id = group[0][0].due.customer_id
    lease_id = secrets.token_hex(16)
    claimed = _claimed(store, group, lease_id, clock, summary)
    if not claimed:
        return
    mine = [candidate.reminder for candidate, _ in claimed]
    language = str(profile.get("language") or "en")
    language = language if language in SUPPORTED_LANGUAGES else "en"
    log = {"customerId": customer_id, "kind": KIND, "supports": len(mine)}
    now = clock.now()
    record_id = new_ulid(now)
    try:
        raw = sender.compose(
            KIND,
            language,
            _data(claimed, profile, settings),
            to=str(profile.get("email") or ""),
            settings=settings,
            at=now,
            reference=record_id,
        )
        message_id = sender.send(raw, sender=settings.mail_from, client=ses)
    except (RenderError, ClientError, BotoCoreError) as exc:
        reminders.free(store, mine, lease_id=lease_id)
        summary.failed += 1
        logger.warning("reminder not sent", extra={**log, "error": _code(exc)})
        return
    record = MailRecord(
        customer_id=customer_id,
        record_id=record_id,
        kind=KIND,
        language=language,
        recipient_digest=recipient_digest(str(profile["email"])),
        ses_message_id=message_id,
        sent_at=now,
    )
    if not reminders.mark_sent(store, mine, lease_id=lease_id, record=record):
        logger.warning(
            "reminder sent after its claim ran out; another run may send it too",
            extra={**log, "sesMessageId": message_id},
        )
        count("ReminderSentAgain")
    summary.sent += 1
    summary.reminded += len(mine)
    logger.info("reminder sent", extra={**log, "sesMessageId": message_id})


def _claimed(
    store: Store,
    group: list[tuple[_Candidate, License | None]],
    lease_id: str,
    clock: Clock,
    summary: Summary,
) -> list[tuple[_Candidate, License | None]]:
    """Claim the group's reminders; those another run sent or holds meanwhile are left out."""
    left = list(group)
    while left:
        now = clock.now()
        taken = reminders.claim(
            store,
            [candidate.reminder for candidate, _ in left],
            lease_id=lease_id,
            now=now,
            until=now + LEASE,
        )
        if not taken:
            return left
        summary.skip(ALREADY_SENT, len(taken))
        left = [(c, lic) for c, lic in left if c.reminder not in taken]
    return []


def mail_data(
    customer_id: str,
    supports: Sequence[tuple[Support, License | None]],
    *,
    days_left: int,
    profile: Item,
    settings: Settings,
) -> dict[str, Any]:
    """What a reminder mail says (portal.mail.render, support_reminder): the supports (each with
    the license of its serial, for the computer it is on), the days left, and the customer's
    signed unsubscribe links. The job's mails and support's resend (portal.admin.reminders)."""
    token = reminder_links.token_for(customer_id, settings)
    rows = []
    for sup, lic in supports:
        row: dict[str, Any] = {
            "software": sup.software,
            "edition": sup.edition,
            "users": sup.users,
            "serialNumber": sup.serial_number,
            "endsOn": sup.expires_on.isoformat(),
        }
        if lic is not None and lic.computer_id:
            row["computerId"] = lic.computer_id
            if lic.computer_name:
                row["computerName"] = lic.computer_name
        rows.append(row)
    return {
        "customerName": str(profile.get("name") or ""),
        "daysLeft": days_left,
        "supports": rows,
        "unsubscribeUrl": reminder_links.unsubscribe_url(
            settings, token, language=str(profile.get("language") or "") or None
        ),
        "oneClickUrl": reminder_links.one_click_url(settings, token),
    }


def _data(
    group: list[tuple[_Candidate, License | None]], profile: Item, settings: Settings
) -> dict[str, Any]:
    """The mail of one of the job's groups (one customer, threshold and end date)."""
    first = group[0][0]
    return mail_data(
        first.due.customer_id,
        [(candidate.due.support, lic) for candidate, lic in group],
        days_left=(first.due.support.expires_on - first.as_of).days,
        profile=profile,
        settings=settings,
    )


def _code(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code") or "ClientError")
    return type(exc).__name__
