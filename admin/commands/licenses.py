"""Support's changes to a customer's licenses and reminders (portal.admin.licenses,
portal.admin.reminders), each one transaction with its audit entry:

    portal-admin revoke CUSTOMER LICENSE_ID --reason TEXT
    portal-admin restore CUSTOMER LICENSE_ID --reason TEXT
    portal-admin release CUSTOMER LICENSE_ID --reason TEXT     (beyond the 12-month limit)
    portal-admin resend-reminder CUSTOMER [--support SUPPORT_ID] [--even-if-unsubscribed]

CUSTOMER is an email or an order number. Exit code 0 done, 1 refused (the message says why:
nothing was written), 2 usage or target."""

from __future__ import annotations

import argparse
from typing import Any

from admin.refusals import customer, refusing
from admin.target import Target
from portal.admin import licenses, reminders


def register(sub: Any) -> None:
    for name, run_it, text in (
        (
            "revoke",
            run_revoke,
            "revoke a license (the customer no longer sees it; a bound one's computer is "
            "answered 410 on refresh)",
        ),
        ("restore", run_restore, "put a license support revoked back, unbound"),
        (
            "release",
            run_release,
            "release a license from its computer, even beyond the 12-month limit",
        ),
    ):
        command = sub.add_parser(name, help=text, description=text)
        command.add_argument("customer", metavar="CUSTOMER", help="an email or an order number")
        command.add_argument("license_id", metavar="LICENSE_ID", help="as lookup shows it")
        command.add_argument("--reason", required=True, help="why (kept in the audit trail)")
        command.set_defaults(run=run_it)
    resend = sub.add_parser(
        "resend-reminder",
        help="send a support-expiry reminder again, now",
        description="Send the support-expiry reminder again now, through the mailer. Default: "
        "the customer's supports that end soonest within the reminder window (from "
        "min(REMINDER_THRESHOLDS) to max(REMINDER_THRESHOLDS) days from today), all those "
        "ending that day in one mail.",
    )
    resend.add_argument("customer", metavar="CUSTOMER", help="an email or an order number")
    resend.add_argument("--support", metavar="SUPPORT_ID", help="this support (lookup lists them)")
    resend.add_argument(
        "--even-if-unsubscribed",
        action="store_true",
        help="send it although the customer turned reminders off (audited)",
    )
    resend.set_defaults(run=run_resend)


@refusing
def run_revoke(target: Target, args: argparse.Namespace) -> int:
    done = licenses.revoke(
        target.store,
        customer(target, args.customer),
        args.license_id,
        actor=target.actor,
        reason=args.reason,
        clock=target.clock,
    )
    where = (
        f"; its computer {_computer(done)} is answered 410 license_revoked on refresh"
        if done.computer_id
        else ""
    )
    print(
        f"revoked license {done.license_id} ({done.software} {done.serial_number}): the "
        f"customer no longer sees it{where} (audit {done.audit_id})"
    )
    return 0


@refusing
def run_restore(target: Target, args: argparse.Namespace) -> int:
    done = licenses.restore(
        target.store,
        customer(target, args.customer),
        args.license_id,
        actor=target.actor,
        reason=args.reason,
        clock=target.clock,
    )
    print(
        f"restored license {done.license_id} ({done.software} {done.serial_number}), bound to "
        f"no computer: the product can activate it again (audit {done.audit_id})"
    )
    return 0


@refusing
def run_release(target: Target, args: argparse.Namespace) -> int:
    done = licenses.release(
        target.store,
        target.settings,
        customer(target, args.customer),
        args.license_id,
        actor=target.actor,
        reason=args.reason,
        clock=target.clock,
    )
    print(
        f"released license {done.license_id} ({done.software} {done.serial_number}) from "
        f"{_computer(done)}; it does not count against the customer's limit; the customer is "
        f"sent the activation notice (audit {done.audit_id})"
    )
    return 0


@refusing
def run_resend(target: Target, args: argparse.Namespace) -> int:
    done = reminders.resend(
        target.store,
        target.settings,
        customer(target, args.customer),
        support_id=args.support,
        even_if_unsubscribed=args.even_if_unsubscribed,
        actor=target.actor,
        clock=target.clock,
    )
    ends = done.supports[0].expires_on.isoformat()
    serials = ", ".join(sup.serial_number for sup in done.supports)
    anyway = " (reminders are off for this customer: sent anyway)" if done.unsubscribed else ""
    print(
        f"queued the reminder of {len(done.supports)} support(s) ({serials}) ending {ends} "
        f"(days left: {done.days_left}) as outbox item {done.outbox_id}: the mailer sends it "
        f"to the customer's address, in their language ({done.language}){anyway} "
        f"(audit {done.audit_id})"
    )
    return 0


def _computer(done: licenses.LicenseChange) -> str:
    name, computer_id = done.computer_name, done.computer_id
    return f"{name} ({computer_id})" if name and name != computer_id else str(computer_id)
