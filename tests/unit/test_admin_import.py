"""`portal-admin import` in-process against moto: the sample file imports and its customers sign in
and see their licenses; a second run changes nothing; 10,000 rows import and re-run; every bad
row of a file seeded with mistakes is reported with its line and reason while the good orders
import; a write failing part-way leaves nothing of its order and a re-run completes; a dry run
writes nothing; a file that cannot be read is refused whole."""

from __future__ import annotations

import csv
import io
import json
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from admin.cli import main
from portal.admin import import_rows, imports
from portal.data import audit, keys
from tests.support import (
    CANCELLED,
    ROOT,
    THROTTLED,
    activate,
    body_of,
    call,
    faulty,
    listed,
    moto_items,
    recording,
    sign_in,
    table_items,
)

SAMPLE = ROOT / "samples" / "import.csv"
MISTAKES = ROOT / "samples" / "import-mistakes.csv"
HEADER = (
    "email,first_name,last_name,language,country,city,order_number,order_date,currency,kind,"
    "sku,serial_number,support_until,subtotal"
)
# The sample's customers: (email, an order number, their license serials newest first)
LENA = ("lena.schmidt@example.de", "IMP-2024-0107", ["PE10A1"])
MARC = ("marc.dubois@example.fr", "IMP-2024-0033", ["RW5-0001"])
GRACE = ("grace.lee@example.com", "IMP-2025-0210", ["PDK101", "PMW301"])
TOMAS = ("tomas.ruiz@example.com", "IMP-2025-0388", ["PE5T01"])


def run(target: Any, *arguments: str | Path) -> int:
    return main(["import", *map(str, arguments), "--no-progress"], target=target)


def written(tmp_path: Path, text: str, name: str = "file.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def report_rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))


def who(customer: tuple[str, str, list[str]]) -> dict[str, str]:
    return {"email": customer[0], "orderNumber": customer[1]}


# ---------------------------------------------------------------- the sample file
def test_the_sample_imports_and_its_customers_sign_in_and_see_their_licenses(
    admin_target, store, clock, capsys
):
    # when the sample file is imported
    assert run(admin_target, SAMPLE) == 0
    out = capsys.readouterr().out
    # then it says what it created: 4 customers, 5 orders, 5 licenses, 5 supports
    assert "10 row(s): 10 imported or found imported, 0 refused" in out
    assert "customers created: 4" in out
    assert "orders created: 5, unchanged (imported already): 0, refused: 0" in out
    assert "licenses created: 5, supports: 5" in out
    # and each customer signs in with their email and any of their order numbers (the code
    # mailed to them) and sees their licenses, unbound, with the support the file gave them
    for customer in (LENA, MARC, GRACE, TOMAS):
        token = sign_in(who(customer))
        licenses = listed("licenses", token)
        assert [lic["serialNumber"] for lic in licenses] == customer[2]
        assert all(lic["computerId"] is None for lic in licenses)
    lena = listed("licenses", sign_in(who(LENA)))
    # Lena's renewal (a later order) extended the license's support to the end the file gives
    assert lena[0]["support"]["until"] == "2027-03-14"
    marc_token = sign_in(who(MARC))
    (remote_work,) = listed("licenses", marc_token)
    assert (remote_work["software"], remote_work["users"], remote_work["upgradable"]) == (
        "Remote Work",
        5,
        True,
    )
    assert remote_work["support"]["until"] == "2027-01-22"
    (support,) = listed("supports", marc_token)
    assert (support["serialNumber"], support["expiresOn"], support["durationYears"]) == (
        "RW5-0001",
        "2027-01-22",
        3,
    )
    # and the orders page shows the order as the file gave it, billed to the customer
    orders = body_of(call("list_orders", marc_token))
    assert [o["reference"] for o in orders["items"]] == ["IMP-2024-0033"]
    assert orders["items"][0]["total"] == {"amount": "572.75", "currency": "EUR"}
    assert orders["billing"]["city"] == "Lyon"
    assert orders["contacts"][0]["lastName"] == "Dubois"


def test_the_product_activates_an_imported_license_with_the_customers_key(admin_target, clock):
    # given the sample imported and Marc's activation key, as his home page shows it
    assert run(admin_target, SAMPLE) == 0
    token = sign_in(who(MARC))
    key = body_of(call("me", token))["activationKey"]
    # when the product activates on his server with that key
    response = activate(key, "SRV-MARC-01", "Remote Work")
    # then it gets the imported license, now bound to that server
    assert response["statusCode"] == 200, response
    (remote_work,) = listed("licenses", token)
    assert remote_work["computerId"] == "SRV-MARC-01"


def test_each_imported_order_is_audited_in_its_own_transaction(admin_target, store, clock):
    # given the calls the import makes
    with recording(store.client) as log:
        assert run(admin_target, SAMPLE) == 0
    # then one TransactWriteItems per order, and each holds the order's audit entry
    assert log.operations.count("TransactWriteItems") == 5
    lena = imports_customer(store, LENA[0])
    entries = audit.of_customer(store, lena)
    assert sorted(e.subject for e in entries) == ["IMP-2023-0001", "IMP-2024-0107"]
    assert {(e.action, e.actor) for e in entries} == {("import.order", "test:operator")}
    first = next(e for e in entries if e.subject == "IMP-2023-0001")
    assert first.details == {
        "licenses": 1,
        "supports": 1,
        "newCustomer": True,
        "file": "import.csv",
    }


def imports_customer(store: Any, email: str) -> str:
    from portal.admin.customers import find_customer

    found = find_customer(store, email)
    assert found is not None, email
    return found


def test_a_second_run_changes_nothing(admin_target, store, clock, capsys):
    # given the sample imported
    assert run(admin_target, SAMPLE) == 0
    before = table_items(store)
    capsys.readouterr()
    # when it is imported again
    with recording(store.client) as log:
        assert run(admin_target, SAMPLE) == 0
    # then every order is found imported, nothing is written, and the table is the same
    out = capsys.readouterr().out
    assert "orders created: 0, unchanged (imported already): 5, refused: 0" in out
    assert "customers created: 0" in out
    assert set(log.operations) == {"BatchGetItem"}
    assert table_items(store) == before


# ---------------------------------------------------------------- 10,000 rows
def generated(customers: int) -> str:
    """4 rows per customer: a license with its support, then a year later a second license
    and a renewal of the first one's support (one more support, extending the first license)."""
    lines = [HEADER]
    for n in range(customers):
        email, first, second = f"c{n:05d}@example.com", f"GEN{n:05d}-1", f"GEN{n:05d}-2"
        buyer = f"{email},Ann,N{n},en,FR,Paris"
        lines += [
            f"{buyer},{first},2024-01-10,EUR,license,T-ENT-5,G{n:05d}A,,100.00",
            f"{buyer},{first},2024-01-10,EUR,support,S1Y-T-ENT-5,G{n:05d}A,2025-01-10,20.00",
            f"{buyer},{second},2025-01-05,EUR,license,RW-5,G{n:05d}B,,300.00",
            f"{buyer},{second},2025-01-05,EUR,support,S1Y-T-ENT-5,G{n:05d}A,2026-01-10,20.00",
        ]
    return "\n".join(lines) + "\n"


@pytest.mark.usefixtures("moto_at_table_scale")
def test_ten_thousand_rows_import_and_a_second_run_changes_nothing(
    admin_target, store, clock, tmp_path, capsys
):
    # given a file of 10,000 rows: 2,500 customers, 5,000 orders
    path = written(tmp_path, generated(2_500))
    # when it is imported
    started = time.perf_counter()
    assert run(admin_target, path) == 0
    first = time.perf_counter() - started
    out = capsys.readouterr().out
    # then every row is imported
    assert "10000 row(s): 10000 imported or found imported, 0 refused" in out
    assert "customers created: 2500" in out
    assert "orders created: 5000" in out
    assert "licenses created: 5000, supports: 5000" in out
    before = moto_items(store)
    # 3 per customer (profile, email and key lookups), 3 per order (order, reference lookup,
    # audit entry), one per license and support
    assert len(before) == 2_500 * 3 + 5_000 * 3 + 10_000
    # when it is imported again
    started = time.perf_counter()
    with recording(store.client) as log:
        assert run(admin_target, path) == 0
    second = time.perf_counter() - started
    with capsys.disabled():
        print(f"\n10,000 rows: import {first:.1f} s, second run {second:.1f} s")
    # then nothing changed, and it only read, in batches of 100 keys: the email lookups, the
    # order lookups, the orders and the records they granted
    assert "unchanged (imported already): 5000" in capsys.readouterr().out
    assert moto_items(store) == before
    assert log.operations == ["BatchGetItem"] * (25 + 50 + 50 + 100)
    # and the first license carries the support its renewal gave it
    customer = imports_customer(store, "c00000@example.com")
    licenses = {
        item["serialNumber"]: item
        for item in before
        if item["pk"] == keys.customer_pk(customer) and item["sk"].startswith("LIC#")
    }
    assert licenses["G00000A"]["supportUntil"] == "2026-01-10"
    assert "supportUntil" not in licenses["G00000B"]


# ---------------------------------------------------------------- a file seeded with mistakes
EXPECTED = {  # line -> (order, what its reason says)
    4: ("MIX-B", "email: not a valid email address"),
    5: ("MIX-C", "sku 'T-XXX-5' is not in the catalog"),
    6: ("MIX-D", "sku T-ENT-5 is a license, the row says support"),
    7: ("MIX-E", "a support needs support_until"),
    8: ("MIX-F", "a license has no support_until"),
    9: ("MIX-G", "order_date: '2024-02-30' is not a date YYYY-MM-DD"),
    10: ("MIX-H", "order_date 2030-01-01 is in the future"),
    11: ("MIX-I", "subtotal: '12,50' is not an amount"),
    12: ("MIX-J", "subtotal 100.5 has more decimals than JPY has"),
    13: ("MIX-K", "language: 'es' is not one of en, de, fr"),
    14: ("MIX-L", "not imported: order MIX-L has bad rows (line 15)"),
    15: ("MIX-L", "currency differ(s) from line 14"),
    16: ("MIX-M", "not imported: order MIX-M has bad rows (line 17)"),
    17: ("MIX-M", "email differ(s) from line 16"),
    18: ("MIX-N", "serial PZZZZZ names no license of this customer"),
    19: ("MIX-O", "sku S1Y-T-ENT-10 does not fit license PA0001 (TSplus Enterprise, 5 users)"),
    20: ("MIX-P1", "serial PDUP01 is also the license of line(s) 21"),
    21: ("MIX-P2", "serial PDUP01 is also the license of line(s) 20"),
    22: ("MIX-Q", "has 15 fields, the header 16"),
    23: ("MIX-R", "serial PA0001 is the license of another customer (line 2)"),
    24: ("MIX-S", "not imported: order MIX-S has bad rows (line 25)"),
    25: ("MIX-S", "sku 'NOPE' is not in the catalog"),
    26: ("MIX-T", "its support covers a license of order MIX-S, which is not imported"),
    27: ("MIX-U", "serial_number: 'P 1?' is not a serial number"),
    28: ("'#!'", "order_number: not a valid order number"),
    31: ("MIX-W", "city: has a control or invisible character"),
    34: ("MIX-Y", "kind: 'licence' is neither license nor support"),
    36: ("MIX-Z", "currency: 'EURO' is not a currency code"),
}
GOOD_ORDERS = {"MIX-A": "ok.one@example.com", "MIX-V": "good.two@example.com"}


def test_every_bad_row_is_reported_with_its_line_and_reason_and_the_good_orders_import(
    admin_target, store, clock, tmp_path, capsys
):
    # given the sample of mistakes, each kind once; when it is imported with a report
    report = tmp_path / "report.csv"
    assert run(admin_target, MISTAKES, "--report", report) == 1
    out = capsys.readouterr().out
    # then every row not imported is in the report, with its line, its order and why
    found = {int(row["line"]): (row["order"], row["reason"]) for row in report_rows(report)}
    assert sorted(found) == sorted(EXPECTED)
    for line, (order, reason) in EXPECTED.items():
        assert found[line][0] == order, line
        assert reason in found[line][1], (line, found[line][1])
    # and the screen shows the first 20 and says where the rest are
    assert f"... and {len(EXPECTED) - 20} more row(s) not imported (all in {report})" in out
    assert "orders created: 3," in out
    # and the good orders (rows 2-3, 29-30, 33: after a record spanning two lines) are imported
    for reference, email in {**GOOD_ORDERS, "MIX-X": "good.three@example.com"}.items():
        lookup = store.get(keys.order_reference_lookup(reference))
        assert lookup is not None, reference
        assert lookup["customerId"] == imports_customer(store, email)
    # and no refused order left anything: no reference lookup, no customer of its own
    for line, (order, _) in EXPECTED.items():
        if order.startswith("MIX-"):
            assert store.get(keys.order_reference_lookup(order)) is None, (line, order)
    from portal.admin.customers import find_customer

    assert find_customer(store, "cascade@example.com") is None
    assert find_customer(store, "dup.one@example.com") is None


def test_mistakes_only_the_table_shows_are_reported_too(admin_target, store, clock, tmp_path):
    # given the sample imported
    assert run(admin_target, SAMPLE) == 0
    lines = SAMPLE.read_text().splitlines()
    header, lena_license, lena_support = lines[0], lines[1], lines[2]
    text = "\n".join(
        [
            header,
            # 2: the sample's first order again, its support only, with another subtotal
            lena_support.replace("104.00", "99.00"),
            # 3: Lena's license serial again, in a new order
            lena_license.replace("IMP-2023-0001", "IMP-NEW-1"),
            # 4: a new customer with an order number the table has for Marc
            lena_license.replace("lena.schmidt@example.de", "new@example.com")
            .replace("IMP-2023-0001", "IMP-2024-0033")
            .replace("PE10A1", "PNEW01"),
            # 5: a renewal for Tomás's license, in the table: imported, his support extended
            "tomas.ruiz@example.com,Tomás,Ruiz,,en,ES,Madrid,IMP-NEW-2,2026-10-01,EUR,support,"
            "S1Y-T-ENT-5,PE5T01,2028-11-05,48.20,",
            # 6: a support for Grace's Mobile Web license that does not fit it
            "grace.lee@example.com,Grace,Lee,,en,US,Boston,IMP-NEW-3,2026-10-01,USD,support,"
            "S1Y-T-MW-5,PMW301,2027-06-02,30.00,",
        ]
    )
    report = tmp_path / "report.csv"
    assert run(admin_target, written(tmp_path, text + "\n"), "--report", report) == 1
    found = {int(row["line"]): row["reason"] for row in report_rows(report)}
    assert found == {
        2: "order IMP-2023-0001 exists already and differs: line(s) 2 not in it; 2 stored "
        "line(s) not in the file",
        3: "serial PE10A1 is already a license of this customer (order IMP-2023-0001)",
        4: "order IMP-2024-0033 exists already, for another customer",
        6: "sku S1Y-T-MW-5 does not fit license PMW301 (TSplus Mobile Web, 3 users)",
    }
    # and the stored order is not overwritten, and the renewal extended Tomás's license
    (license_,) = listed("licenses", sign_in(who(TOMAS)))
    assert license_["support"]["until"] == "2028-11-05"
    order = store.get(keys.order_key(imports_customer(store, LENA[0]), "IMP-2023-0001"))
    assert [line["subtotal"] for line in order["items"]] == [Decimal("520"), Decimal("104")]


def test_a_support_dated_before_its_license_covers_it_once_both_are_written(
    admin_target, store, clock, tmp_path
):
    # given a support (an older order) for a license bought in a later order, listed first
    text = "\n".join(
        [
            HEADER,
            "early@example.com,Eve,Early,en,FR,Nice,EARLY-2,2024-05-01,EUR,support,S2Y-T-DSK-1,"
            "PEARLY,2027-05-01,40.00",
            "early@example.com,Eve,Early,en,FR,Nice,EARLY-1,2024-06-01,EUR,license,T-DSK-1,"
            "PEARLY,,99.00",
        ]
    )
    assert run(admin_target, written(tmp_path, text)) == 0
    # then the license is written first and the support extends it
    (license_,) = listed(
        "licenses", sign_in({"email": "early@example.com", "orderNumber": "EARLY-1"})
    )
    assert license_["support"]["until"] == "2027-05-01"


# ---------------------------------------------------------------- failures and dry runs
def test_a_write_failing_part_way_leaves_nothing_of_its_order_and_a_rerun_completes(
    admin_target, store, clock, capsys
):
    # given that DynamoDB cancels the transaction of Marc's order (his only one)
    def marcs(request: Any) -> bool:
        return request.operation == "TransactWriteItems" and request.touches(
            "Put", "ORDERREF#IMP-2024-0033"
        )

    with faulty(store.client, CANCELLED, marcs) as failed:
        assert run(admin_target, SAMPLE) == 1
    assert len(failed) == 1
    out = capsys.readouterr().out
    # then that order's rows are reported, and the other orders are imported
    assert "not written (TransactionCanceledException): nothing of it is stored" in out
    assert "orders created: 4," in out
    # and nothing of Marc is in the table: no customer, no lookups, no license, no audit entry
    from portal.admin.customers import find_customer

    assert find_customer(store, MARC[0]) is None
    items = table_items(store)
    assert not [i for i in items if i.get("serialNumber") == "RW5-0001"]
    assert not [i for i in items if i.get("subject") == "IMP-2024-0033"]
    assert store.get(keys.order_reference_lookup("IMP-2024-0033")) is None
    # when the import runs again, then it completes: Marc's order is created, the rest unchanged
    assert run(admin_target, SAMPLE) == 0
    out = capsys.readouterr().out
    assert "customers created: 1" in out
    assert "orders created: 1, unchanged (imported already): 4, refused: 0" in out
    assert [lic["serialNumber"] for lic in listed("licenses", sign_in(who(MARC)))] == ["RW5-0001"]


def test_after_five_write_failures_in_a_row_the_import_stops(
    admin_target, store, clock, tmp_path, capsys
):
    # given DynamoDB throttling every transaction, and a file of 7 orders of one license each
    lines = [
        f"c{n}@example.com,Ann,N,en,FR,Paris,ONE-{n},2024-01-10,EUR,license,T-ENT-5,PONE{n},,1"
        for n in range(7)
    ]
    path = written(tmp_path, "\n".join([HEADER, *lines]))
    with faulty(store.client, THROTTLED, lambda r: r.operation == "TransactWriteItems", times=99):
        assert run(admin_target, path) == 1
    out = capsys.readouterr().out
    # then 5 are tried and fail, the rest are not attempted, and nothing was written
    assert out.count("not written (ProvisionedThroughputExceededException)") >= 5
    assert "not attempted: the import stopped after 5 write failures in a row" in out
    assert "orders created: 0, unchanged (imported already): 0, refused: 7" in out
    assert table_items(store) == []


def test_a_dry_run_writes_nothing_and_says_what_would_be_done(admin_target, store, clock, capsys):
    # when the sample is imported in a dry run
    with recording(store.client) as log:
        assert run(admin_target, SAMPLE, "--dry-run") == 0
    out = capsys.readouterr().out
    # then it says what would be created, having only read
    assert out.startswith("Dry run, nothing written.")
    assert "customers would be created: 4" in out
    assert "orders would be created: 5," in out
    assert "licenses would be created: 5, supports: 5" in out
    assert set(log.operations) == {"BatchGetItem"}
    assert table_items(store) == []
    # and a dry run of the mistakes reports the same rows as the import would
    assert run(admin_target, MISTAKES, "--dry-run") == 1
    assert "orders would be created: 3," in capsys.readouterr().out
    assert table_items(store) == []


# ---------------------------------------------------------------- reading the file
def test_a_bom_crlf_line_ends_and_semicolons_read_as_the_plain_file(admin_target, clock, tmp_path):
    # given the sample as Excel saves it: a byte-order mark, CRLF, semicolons (a company name
    # with a comma stays one quoted field)
    text = SAMPLE.read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows)
    excel = b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")
    # when both are read, then they are the same rows at the same lines
    plain = import_rows.read_rows(text.encode("utf-8"))
    assert import_rows.read_rows(excel) == plain
    assert plain[5].values["company"] == "Lee & Partners, LLC"
    assert [row.line for row in plain] == list(range(2, 12))


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"", "the file is empty"),
        (HEADER.encode() + b"\n", "the file has a header and no rows"),
        (b"email,order_number\nx@example.com,A1\n", "required column(s) missing: order_date"),
        (HEADER.replace("city", "town").encode() + b"\n", "unknown column(s) 'town'"),
        ((HEADER + ",email").encode() + b"\n", "column(s) given twice: email"),
        (HEADER.encode() + b"\n" + b"caf\xe9@example.com,A\n", "line 2: not UTF-8 text"),
        (HEADER.encode() + b'\n"unterminated,quote\n', "not CSV"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_whole(
    admin_target, store, clock, tmp_path, capsys, content, says
):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    assert run(admin_target, path) == 1
    out = capsys.readouterr().out
    assert "refused, nothing imported" in out and says in out
    assert table_items(store) == []


def test_a_file_too_large_or_with_too_many_rows_is_refused(
    admin_target, store, clock, tmp_path, capsys, monkeypatch
):
    path = written(tmp_path, generated(3))  # 12 rows
    monkeypatch.setattr(import_rows, "MAX_ROWS", 11)
    assert run(admin_target, path) == 1
    assert "the file has more than 11 rows: split it" in capsys.readouterr().out
    monkeypatch.setattr(import_rows, "MAX_FILE_BYTES", 100)
    assert run(admin_target, path) == 1
    assert "more than 100: split it" in capsys.readouterr().out
    assert table_items(store) == []


def test_a_missing_file_is_refused(admin_target, tmp_path, capsys):
    assert run(admin_target, tmp_path / "nowhere.csv") == 1
    assert "cannot read" in capsys.readouterr().err


# ---------------------------------------------------------------- report and progress
def test_the_report_cannot_smuggle_a_formula_into_a_spreadsheet(admin_target, clock, tmp_path):
    # given a row whose values would start a formula in the report
    text = (
        HEADER
        + "\n"
        + "=cmd|' /C calc'!A0,,,en,FR,Paris,=1+1,2024-01-10,EUR,license,T-ENT-5,P1,,1\n"
    )
    report = tmp_path / "report.csv"
    assert run(admin_target, written(tmp_path, text), "--report", report) == 1
    (row,) = report_rows(report)
    assert row["order"] == "'=1+1'" and row["reason"].startswith("email: ")
    # and whatever a refusal holds, no cell of the report starts a formula
    from admin.commands.imports import write_report

    cells = ["=HYPERLINK(1)", "+1", "-1", "@SUM(1)", "\tx", "\rx"]
    write_report(report, [imports.Refusal(3, cell, cell) for cell in cells])
    for row in report_rows(report):
        assert row["order"].startswith("'") and row["reason"].startswith("'"), row


def test_the_progress_bar_shows_on_a_terminal_only(admin_target, clock, capsys, monkeypatch):
    # given stderr is not a terminal (as under pytest), then no bar
    assert main(["import", str(SAMPLE), "--dry-run"], target=admin_target) == 0
    assert capsys.readouterr().err == ""
    # given a terminal, then the bar is drawn on stderr, unless --no-progress
    import sys

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert main(["import", str(SAMPLE), "--dry-run"], target=admin_target) == 0
    err = capsys.readouterr().err
    assert "dry run" in err and "/10" in err
    assert main(["import", str(SAMPLE), "--dry-run", "--no-progress"], target=admin_target) == 0
    assert capsys.readouterr().err == ""


def test_the_import_format_document_names_every_column():
    # the document (docs/import-format.md) and the reader agree on the columns
    document = (ROOT / "docs" / "import-format.md").read_text()
    for column in import_rows.COLUMNS:
        assert f"`{column}`" in document, column
    required = {c for c in import_rows.COLUMNS if f"| `{c}` | yes" in document}
    assert required == set(import_rows.REQUIRED)


def test_the_audit_trail_lists_the_import(admin_target, store, clock, capsys):
    assert run(admin_target, SAMPLE) == 0
    capsys.readouterr()
    assert main(["audit", "--customer", MARC[0], "--json"], target=admin_target) == 0
    (entry,) = json.loads(capsys.readouterr().out)
    assert (entry["action"], entry["subject"]) == (imports.ACTION, "IMP-2024-0033")
