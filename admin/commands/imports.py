"""`portal-admin import FILE.csv [--dry-run] [--report PATH] [--no-progress]`: move customers in
from another system (the format: docs/import-format.md; the work: portal.admin.imports).

Every row not imported is printed with its line and why (the first PRINTED; `--report` writes
them all as CSV: line, order, reason). A progress bar on stderr while it writes (hidden with
--no-progress or when stderr is not a terminal). Exit 0 when every row was imported or found
imported already, 1 when any row was refused (or the file as a whole), 2 for usage."""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path
from typing import Any

from tqdm import tqdm

from admin import output
from admin.target import Target
from portal.admin.imports import FileRefused, Refusal, Summary, import_file
from portal.orders.catalog_document import validated_default_catalog

PRINTED = 20
REPORT_COLUMNS = ("line", "order", "reason")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def register(sub: Any) -> None:
    command = sub.add_parser(
        "import",
        help="import customers, orders, licenses and supports from a CSV file",
        description="Import a CSV file of licenses and supports (docs/import-format.md). "
        "Running it again changes nothing; an order with a bad row is not imported at all.",
    )
    command.add_argument("file", type=Path, metavar="FILE.csv")
    command.add_argument(
        "--dry-run", action="store_true", help="check and report what would be done; write nothing"
    )
    command.add_argument(
        "--report", type=Path, metavar="PATH", help="write the rows not imported here (CSV)"
    )
    command.add_argument("--no-progress", action="store_true", help="no progress bar")
    command.set_defaults(run=run)


def run(target: Target, args: argparse.Namespace) -> int:
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        print(f"portal-admin import: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 1
    catalog = validated_default_catalog()
    hidden = args.no_progress or not sys.stderr.isatty()
    with tqdm(
        total=None, unit="row", desc="checking", disable=hidden, file=sys.stderr, leave=False
    ) as bar:

        def progress(rows: int, total: int) -> None:
            if bar.total != total:
                bar.reset(total=total)
                bar.set_description("dry run" if args.dry_run else "importing")
            bar.update(rows)

        try:
            summary = import_file(
                target.store,
                target.settings,
                data,
                catalog=catalog,
                actor=target.actor,
                clock=target.clock,
                dry_run=args.dry_run,
                progress=progress,
                source=args.file.name,
            )
        except FileRefused as exc:
            bar.close()
            print(f"portal-admin import: {args.file} refused, nothing imported: {exc}")
            return 1
    if args.report:
        write_report(args.report, summary.refused)
    _print(summary, args)
    return 1 if summary.refused else 0


def write_report(path: Path, refused: list[Refusal]) -> None:
    """The rows not imported as CSV; a cell that a spreadsheet would run as a formula is quoted
    with a leading apostrophe (the reasons quote the file's own values)."""
    with path.open("w", newline="", encoding="utf-8") as report:
        writer = csv.writer(report)
        writer.writerow(REPORT_COLUMNS)
        for row in refused:
            writer.writerow([row.line, _cell(row.order), _cell(row.reason)])


def _cell(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def _print(summary: Summary, args: argparse.Namespace) -> None:
    if summary.refused:
        shown = [
            {"line": r.line, "order": r.order, "reason": r.reason}
            for r in summary.refused[:PRINTED]
        ]
        output.table(shown, REPORT_COLUMNS)
        more = len(summary.refused) - len(shown)
        if more:
            where = f"all in {args.report}" if args.report else "--report PATH writes them all"
            print(f"... and {more} more row(s) not imported ({where})")
    would = "would be " if summary.dry_run else ""
    print(
        f"{'Dry run, nothing written. ' if summary.dry_run else ''}"
        f"{summary.rows} row(s): {summary.rows - len(summary.refused)} imported or "
        f"found imported, {len(summary.refused)} refused"
    )
    print(f"customers {would}created: {summary.customers_created}")
    print(
        f"orders {would}created: {summary.orders_created}, unchanged (imported already): "
        f"{summary.orders_unchanged}, refused: {summary.orders_refused} "
        f"(conflicts with stored orders: {summary.conflicts})"
    )
    print(f"licenses {would}created: {summary.licenses}, supports: {summary.supports}")
