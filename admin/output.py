"""How portal-admin prints: aligned plain-text tables for people, `--json` for scripts."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any, TextIO


def table(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[str], *, out: TextIO | None = None
) -> None:
    """`columns` of `rows` as a text table (None prints as "-"), on `out` (default: the
    sys.stdout of the moment, not the one at import)."""
    out = out or sys.stdout
    cells = [[_cell(row.get(column)) for column in columns] for row in rows]
    widths = [max([len(c), *(len(line[i]) for line in cells)]) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip(), file=out)
    for line in cells:
        print("  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip(), file=out)


def as_json(value: Any, *, out: TextIO | None = None) -> None:
    print(json.dumps(value, indent=2, sort_keys=True, default=str), file=out or sys.stdout)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return str(value)
