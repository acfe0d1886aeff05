"""`portal-admin audit [--month YYYY-MM | --customer EMAIL|ORDER] [--json]`: who changed what."""

from __future__ import annotations

import argparse
import re
from dataclasses import asdict
from typing import Any

from admin import output
from admin.target import Target
from portal.admin.customers import find_customer
from portal.clock import utc_text
from portal.data import audit

COLUMNS = ("at", "actor", "action", "customerId", "subject", "details")


def _month(text: str) -> str:
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text):
        raise argparse.ArgumentTypeError(f"not a month (YYYY-MM): {text!r}")
    return text


def register(sub: Any) -> None:
    command = sub.add_parser("audit", help="the audit trail: every change made with this tool")
    which = command.add_mutually_exclusive_group()
    which.add_argument("--month", type=_month, help="the month to list (default: this month)")
    which.add_argument("--customer", metavar="EMAIL|ORDER", help="one customer's entries")
    command.add_argument("--json", action="store_true", help="print JSON")
    command.set_defaults(run=run)


def run(target: Target, args: argparse.Namespace) -> int:
    if args.customer:
        customer_id = find_customer(target.store, args.customer)
        if customer_id is None:
            print(f"no customer has {args.customer!r}")
            return 1
        entries = audit.of_customer(target.store, customer_id)
    else:
        month = args.month or target.clock.now().strftime("%Y-%m")
        entries = list(audit.in_month(target.store, month))
    rows = [{**asdict(entry), "at": utc_text(entry.at)} for entry in entries]
    if args.json:
        output.as_json(rows)
    else:
        output.table(rows, COLUMNS)
        print(f"{len(rows)} change(s)")
    return 0
