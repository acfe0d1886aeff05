"""`portal-admin upgrades held [--json]` / `upgrades approve ORDER [--line N] --reason TEXT` /
`upgrades reject ORDER [--line N] --reason TEXT`: the upgrades held for review, and support's
decision on one (portal.admin.upgrades)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from admin import output
from admin.target import Target
from portal.admin import upgrades
from portal.admin.refusals import Refused
from portal.clock import utc_text
from portal.edge.contract.common import amount_text
from portal.models import Money
from portal.orders.catalog_document import validated_default_catalog

COLUMNS = (
    "placedAt",
    "order",
    "line",
    "email",
    "software",
    "serial",
    "workstations",
    "adds",
    "paid",
    "reason",
)


def _line(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 1000:
        raise argparse.ArgumentTypeError(f"not a line number (1, 2, ...): {text!r}")
    return int(text)


def register(sub: Any) -> None:
    command = sub.add_parser("upgrades", help="upgrades held for review: list, approve, reject")
    actions = command.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("held", help="every upgrade held for review, oldest first")
    listing.add_argument("--json", action="store_true", help="print JSON")
    for name, helps in (
        ("approve", "apply a held upgrade: the license gets the workstations paid for"),
        ("reject", "reject a held upgrade (then refund the payment in FastSpring)"),
    ):
        decide = actions.add_parser(name, help=helps)
        decide.add_argument("order", metavar="ORDER", help="the order number")
        decide.add_argument(
            "--line", type=_line, help="the order's upgrade line (1-based; default: the held one)"
        )
        decide.add_argument("--reason", required=True, help="why (recorded in the audit trail)")
    command.set_defaults(run=run)


def run(target: Target, args: argparse.Namespace) -> int:
    if args.action == "held":
        return _held(target, args)
    try:
        if args.action == "approve":
            decision = upgrades.approve(
                target.store,
                validated_default_catalog(),
                target.clock,
                actor=target.actor,
                reference=args.order,
                line=args.line,
                reason=args.reason,
            )
        else:
            decision = upgrades.reject(
                target.store,
                target.clock,
                actor=target.actor,
                reference=args.order,
                line=args.line,
                reason=args.reason,
            )
    except Refused as refused:
        print(f"portal-admin: {refused}", file=sys.stderr)
        return 1
    print(decision.message)
    if decision.refund_due:
        print(
            f"Refund the payment in FastSpring: order {decision.fastspring_id or '(no id)'} "
            f"(reference {decision.reference}); the refund changes no license."
        )
    return 0


def _held(target: Target, args: argparse.Namespace) -> int:
    rows = upgrades.held(target.store)
    if args.json:
        output.as_json(
            [
                {
                    "placedAt": utc_text(row.placed_at),
                    "customerId": row.customer_id,
                    "email": row.email,
                    "order": row.reference,
                    "line": row.line,
                    "fastspringId": row.fastspring_id,
                    "paid": {"amount": _amount(row.paid), "currency": row.paid.currency},
                    "reason": row.reason,
                    "workstations": row.workstations,
                    "quoteId": row.quote_id,
                    "license": {
                        "licenseId": row.license_id,
                        "software": row.software,
                        "serialNumber": row.serial_number,
                        "workstations": row.current_workstations,
                    },
                }
                for row in rows
            ]
        )
        return 0
    output.table(
        [
            {
                "placedAt": utc_text(row.placed_at),
                "order": row.reference,
                "line": row.line,
                "email": row.email,
                "software": row.software or "(license gone)",
                "serial": row.serial_number,
                "workstations": row.current_workstations,
                "adds": row.workstations,
                "paid": f"{_amount(row.paid)} {row.paid.currency}",
                "reason": row.reason,
            }
            for row in rows
        ],
        COLUMNS,
    )
    print(f"{len(rows)} held upgrade(s)")
    return 0


def _amount(money: Money) -> str:
    return amount_text(money.amount, money.currency)
