"""`portal-admin lookup EMAIL|ORDER [--json] [--show-key]`: what the portal shows the customer
(profile, licenses, supports, orders) and what happened to it (license history, revoked copies,
mails sent, the support team's changes) - portal.admin.lookup. Reads only; `--show-key` also
prints the activation key, audited as `customer.show-key`."""

from __future__ import annotations

import argparse
from typing import Any

from admin import output
from admin.refusals import customer, refusing
from admin.target import Target
from portal import dependencies
from portal.admin import lookup as looking


def register(sub: Any) -> None:
    command = sub.add_parser(
        "lookup",
        help="one customer: profile, licenses, supports, orders, history, mails, audit",
        description="Look a customer up by email or order number: what the portal shows them, "
        "each license's history, revoked copies, the mails sent and the audit entries.",
    )
    command.add_argument("customer", metavar="EMAIL|ORDER")
    command.add_argument("--json", action="store_true", help="print JSON (for scripts)")
    command.add_argument(
        "--show-key",
        action="store_true",
        help="also print the customer's activation key (opened with KMS; audited)",
    )
    command.set_defaults(run=run)


@refusing
def run(target: Target, args: argparse.Namespace) -> int:
    customer_id = customer(target, args.customer)
    key = ""
    if args.show_key:
        key = looking.show_key(
            target.store, target.settings, customer_id, actor=target.actor, clock=target.clock
        )
    found = looking.lookup(
        target.store,
        customer_id,
        cursors=dependencies.cursors(),
        clock=target.clock,
        activation_key=key,
    )
    if args.json:
        output.as_json(found.as_dict())
    else:
        show(found)
    return 0


def show(found: looking.Lookup) -> None:
    _section("Customer")
    output.table(
        [{"field": name, "value": value} for name, value in found.customer.items()],
        ("field", "value"),
    )
    _section(f"Licenses ({len(found.licenses)})")
    output.table(
        [
            {
                **lic,
                "computer": _computer(lic.get("computerName"), lic.get("computerId")),
                "supportUntil": (lic.get("support") or {}).get("until"),
                "releases12m": lic["releasesInLast12Months"],
            }
            for lic in found.licenses
        ],
        (
            "id",
            "software",
            "edition",
            "users",
            "serialNumber",
            "computer",
            "supportUntil",
            "orderNumber",
            "purchasedOn",
            "releases12m",
        ),
    )
    _section(f"Supports ({len(found.supports)})")
    output.table(
        found.supports,
        ("id", "software", "edition", "users", "serialNumber", "expiresOn", "orderNumber"),
    )
    _section(f"Orders ({len(found.orders)})")
    output.table(
        [row for order in found.orders for row in _order_rows(order)],
        ORDER_COLUMNS,
    )
    for license_id, entries in found.history.items():
        if entries:
            _section(f"History of license {license_id}")
            output.table(
                [
                    {**e, "computer": _computer(e.get("computerName"), e.get("computerId"))}
                    for e in entries
                ],
                ("at", "event", "computer", "by"),
            )
    _section(f"Revoked ({len(found.revoked)})")
    output.table(
        found.revoked,
        ("kind", "id", "serialNumber", "computerId", "revokedAt", "reason", "note"),
    )
    _section(f"Mails sent ({len(found.mails)}, newest first)")
    output.table(
        [{**m, "toCurrentEmail": "yes" if m["toCurrentEmail"] else "no"} for m in found.mails],
        ("sentAt", "kind", "language", "sesMessageId", "toCurrentEmail"),
    )
    _section(f"Audit ({len(found.audit)}, newest first)")
    output.table(found.audit, ("at", "actor", "action", "subject", "details"))


ORDER_COLUMNS = (
    "reference", "placedAt", "status", "total", "line", "sku", "qty", "refunded", "granted", "held",
)  # fmt: skip


def _order_rows(order: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per line of the order (the order's columns on each), one row for no line."""
    head = {
        "reference": order["reference"],
        "placedAt": order["placedAt"],
        "status": order["status"],
        "total": f"{order['total']} {order['currency']}",
    }
    return [
        {
            **head,
            "line": line["product"],
            "sku": line["sku"],
            "qty": line["quantity"],
            "refunded": line["refundedQuantity"] or None,
            "granted": " ".join(line["granted"]) or None,
            "held": _held(line),
        }
        for line in order["items"]
    ] or [head]


def _section(title: str) -> None:
    print(f"\n== {title} ==")


def _computer(name: Any, computer_id: Any) -> str | None:
    if not computer_id:
        return None
    return f"{name} ({computer_id})" if name and name != computer_id else str(computer_id)


def _held(line: dict[str, Any]) -> str | None:
    upgrade = line.get("upgrade")
    if line.get("held"):
        return f"support held: {line['held']}"
    if upgrade and upgrade.get("status") == "held":
        return f"upgrade held: {upgrade.get('reason')}"
    if upgrade:
        return f"upgrade {upgrade.get('status')}"
    return None
