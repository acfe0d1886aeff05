"""One row per bar of PERFORMANCE.md, and the table `make bench` (`python -m bench`) prints.

Every bench section returns `Bar`s; a bar either passes, misses, or is recorded (measured, no
target applies, e.g. the cold start of a function no person waits on)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Verdict = Literal["pass", "miss", "recorded"]


@dataclass(frozen=True)
class Bar:
    name: str  # what is measured, e.g. "cold start: ListLicensesFunction"
    target: str  # e.g. "<= 1.30x"
    measured: str  # e.g. "1.21x (95% CI 1.19-1.23, 41 rounds)"
    verdict: Verdict

    @classmethod
    def check(cls, name: str, target: str, measured: str, ok: bool) -> Bar:
        return cls(name, target, measured, "pass" if ok else "miss")


def table(bars: Iterable[Bar]) -> str:
    """A plain-text table: bar, target, measured, verdict (MISS in capitals to be seen)."""
    rows = [("bar", "target", "measured", "verdict")] + [
        (b.name, b.target, b.measured, "MISS" if b.verdict == "miss" else b.verdict) for b in bars
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def missed(bars: Iterable[Bar]) -> list[Bar]:
    return [b for b in bars if b.verdict == "miss"]
