"""portal-admin's audit trail: entries written, read back per customer and per month."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from admin.cli import main
from portal.data import audit

AT = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)


def test_entries_read_back_per_customer_and_per_month(store: Any) -> None:
    first = audit.entry(
        "arn:aws:iam::1:user/ana",
        "license.revoke",
        AT,
        customer_id="C1",
        subject="LIC1",
        details={"reason": "chargeback"},
    )
    vendor = audit.entry("arn:aws:iam::1:user/ana", "rotate.webhook-secret", AT)
    audit.record(store, first)
    audit.record(store, vendor)
    assert audit.of_customer(store, "C1") == [first]
    assert {e.audit_id for e in audit.in_month(store, "2026-12")} == {
        first.audit_id,
        vendor.audit_id,
    }
    assert list(audit.in_month(store, "2026-11")) == []


def test_audit_command_prints_the_month(admin_target: Any, store: Any, capsys: Any) -> None:
    audit.record(
        store, audit.entry("test:operator", "upgrade.reject", AT, customer_id="C9", subject="JWT1")
    )
    assert main(["audit", "--month", "2026-12", "--json"], target=admin_target) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert (row["action"], row["customer_id"], row["actor"]) == (
        "upgrade.reject",
        "C9",
        "test:operator",
    )
