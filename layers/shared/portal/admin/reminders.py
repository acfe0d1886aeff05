"""Support sending a support-expiry reminder again (portal-admin `resend-reminder`): the job's own
mail (portal.mail.reminders.mail_data builds what it says), now, as an outbox item written with
the audit entry in one transaction (portal.data.reminders.queue_resend), so the stream-fed
mailer delivers it in the customer's language and records it (MAIL#) like any outbox mail.

Which supports: `--support ID` names one of the customer's (refused when another support of its
serial runs past it: the reminder would be wrong). Without it, the supports the job would remind
of next: those not renewed whose end lies in the reminder window (from
min(REMINDER_THRESHOLDS) to max(REMINDER_THRESHOLDS) days from today: by default from yesterday
to 30 days ahead), the soonest end date among them, every support ending that day in one mail
(as the job groups them). None in the window: refused, naming the supports so one can be given.

A customer who turned reminders off is refused unless `even_if_unsubscribed` (recorded in the
audit entry); the transaction checks the choice again, so turning them off meanwhile wins. The
job's REMINDER# records are not touched: its own reminders still go out on their days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from portal.admin.refusals import Refused, record_id
from portal.clock import Clock
from portal.config import Settings
from portal.data import audit, outbox, records, reminders
from portal.data.store import Store
from portal.mail import reminders as job
from portal.models import Support


@dataclass(frozen=True, slots=True)
class Resent:
    outbox_id: str
    audit_id: str
    supports: tuple[Support, ...]
    days_left: int
    language: str  # the profile's now (the mailer reads it again when it sends)
    unsubscribed: bool  # sent although the customer turned reminders off


def resend(
    store: Store,
    settings: Settings,
    customer_id: str,
    *,
    support_id: str | None,
    even_if_unsubscribed: bool,
    actor: str,
    clock: Clock,
) -> Resent:
    profile = records.profile_of(store, customer_id)
    if profile is None:
        raise Refused("the customer has no profile: nothing to send")
    unsubscribed = profile.get("reminders") is False
    if unsubscribed and not even_if_unsubscribed:
        raise Refused(
            "the customer turned reminders off"
            f" ({profile.get('remindersChangedAt') or 'date unknown'}): nothing sent; add"
            " --even-if-unsubscribed to send it anyway (audited)"
        )
    supports = records.all_supports(store, customer_id)
    today = job.today(settings, clock)
    chosen = _named(supports, support_id) if support_id else _due_next(supports, today, settings)
    licenses = job.license_by_serial(records.all_licenses(store, customer_id))
    days_left = (chosen[0].expires_on - today).days
    data = job.mail_data(
        customer_id,
        [(sup, licenses.get(sup.serial_number)) for sup in chosen],
        days_left=days_left,
        profile=profile,
        settings=settings,
    )
    now = clock.now()
    message = outbox.new_message(job.KIND, customer_id=customer_id, data=data, at=now)
    ids = [sup.support_id for sup in chosen]
    entry = audit.entry(
        actor,
        "reminder.resend",
        now,
        customer_id=customer_id,
        subject=ids[0],
        details={
            "supports": ids,
            "endsOn": chosen[0].expires_on.isoformat(),
            "daysLeft": days_left,
            "outboxId": message.outbox_id,
            "evenIfUnsubscribed": unsubscribed,
        },
    )
    if not reminders.queue_resend(
        store, message, entry, only_if_subscribed=not even_if_unsubscribed
    ):
        raise Refused("the customer turned reminders off (or was removed) meanwhile: nothing sent")
    language = str(profile.get("language") or "en")
    return Resent(
        outbox_id=message.outbox_id,
        audit_id=entry.audit_id,
        supports=tuple(chosen),
        days_left=days_left,
        language=language,
        unsubscribed=unsubscribed,
    )


def _named(supports: list[Support], support_id: str) -> list[Support]:
    wanted = record_id(support_id, "support")
    found = next((sup for sup in supports if sup.support_id == wanted), None)
    if found is None:
        raise Refused(f"the customer has no support {wanted} (lookup lists them)")
    later = job.renewed_by(found, supports)
    if later is not None:
        raise Refused(
            f"support {wanted} was renewed: support {later.support_id} runs until "
            f"{later.expires_on.isoformat()}, so the reminder would be wrong"
        )
    return [found]


def _due_next(supports: list[Support], today: date, settings: Settings) -> list[Support]:
    first = today + timedelta(days=min(settings.reminder_thresholds))
    last = today + timedelta(days=max(settings.reminder_thresholds))
    due = sorted(
        (
            sup
            for sup in supports
            if first <= sup.expires_on <= last and job.renewed_by(sup, supports) is None
        ),
        key=lambda sup: (sup.expires_on, sup.support_id),
    )
    if not due:
        ends = ", ".join(
            f"{sup.support_id} ({sup.serial_number}, ends {sup.expires_on.isoformat()})"
            for sup in supports
        )
        raise Refused(
            f"no support of the customer ends between {first.isoformat()} and "
            f"{last.isoformat()} (the reminder window); name one with --support: "
            f"{ends or 'the customer has no supports'}"
        )
    return [sup for sup in due if sup.expires_on == due[0].expires_on][: job.MAIL_LIMIT]
