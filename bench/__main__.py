"""`make bench` (= `python -m bench`, with PYTHONPATH=layers/shared:.): every bar of
PERFORMANCE.md measured, section by section (each may print its own progress and detail), then ONE
table of every bar: target, measured value, pass / MISS / recorded. Exit 1 when a bar is a miss.

    python -m bench [--only SECTION[,SECTION]] [--skip SECTION[,SECTION]] [--max-rounds N]

Sections, run in this order:
  cold     cold start of every function (bench/cold_init.py), at most --max-rounds rounds
           (default: BENCH_MAX_ROUNDS, else cold_init's own)
  imports  no heavy import when unused (tests/template/test_init_imports.py)
  counted  DynamoDB round trips, items examined, the reminder job's reads, the webhook's calls
           per order (the unit tests that assert them exactly: bench/tested.py)
  warm     warm handler overhead, 20-item page, 1,000 calls (bench/warm_overhead.py)
  package  the `sam build` output (bench/package_size.py)
  page     the web pages' weight (bench/page_weight.py)
  load     the load run (bench/load_run.py, ~90 s, against a stack of its own)
A section that cannot run (an exception, no bar returned) is a miss of its own in the table.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.bars import Bar, missed, table

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Options:
    max_rounds: int | None = None  # the cold-start section's cap on rounds


Section = Callable[[Options], list[Bar]]


# ---------------------------------------------------------------- the sections
def cold(options: Options) -> list[Bar]:
    # Imported here, by name: the other sections run whatever state bench/cold_init.py is in.
    cold_init = importlib.import_module("bench.cold_init")
    return list(cold_init.bars(options.max_rounds))


def imports(options: Options) -> list[Bar]:
    from bench import tested

    return tested.run(tested.IMPORT_BARS)


def counted(options: Options) -> list[Bar]:
    from bench import tested

    return tested.run(tested.COUNTED_BARS)


def warm(options: Options) -> list[Bar]:
    """In a process of its own, as `python bench/warm_overhead.py` measures: the handler needs
    its environment set, and the figures owe nothing to what the other sections loaded."""
    from bench import warm_overhead

    with tempfile.TemporaryDirectory(prefix="bench-warm-") as folder:
        figures = Path(folder) / "warm.json"
        script = ROOT / "bench" / "warm_overhead.py"
        command = [sys.executable, str(script), "--json", str(figures)]
        done = subprocess.run(command, cwd=ROOT, check=False)
        if not figures.is_file():
            raise RuntimeError(f"bench/warm_overhead.py exited {done.returncode}, no figures")
        measured = warm_overhead.Figures(**json.loads(figures.read_text(encoding="utf-8")))
    return warm_overhead.bars(measured)


def package(options: Options) -> list[Bar]:
    from bench import package_size

    sizes = package_size.measure()
    package_size.print_sizes(package_size.BUILD_DIR, sizes)
    return package_size.bars(sizes)


def page(options: Options) -> list[Bar]:
    from bench import page_weight

    return page_weight.bars()


def load(options: Options) -> list[Bar]:
    """`python bench/load_run.py` as `make load` runs it, in a process of its own (its watchdog
    ends that process when a run hangs), then the bars of the report it wrote."""
    from bench import load_run

    results = load_run.RESULTS
    results.unlink(missing_ok=True)  # never the report of an earlier run
    script = ROOT / "bench" / "load_run.py"
    done = subprocess.run([sys.executable, str(script), "--results", str(results)], check=False)
    if not results.is_file():
        raise RuntimeError(f"bench/load_run.py exited {done.returncode} and wrote no report")
    found = load_run.bars(json.loads(results.read_text(encoding="utf-8")))
    if done.returncode != 0 and not missed(found):
        found.append(Bar("load run", "exit 0", f"exit {done.returncode}", "miss"))
    return found


SECTIONS: dict[str, Section] = {
    "cold": cold,
    "imports": imports,
    "counted": counted,
    "warm": warm,
    "package": package,
    "page": page,
    "load": load,
}


# ---------------------------------------------------------------- running them
def _names(text: str | None, known: Sequence[str], parser: argparse.ArgumentParser) -> set[str]:
    names = {n.strip() for n in (text or "").split(",") if n.strip()}
    unknown = sorted(names - set(known))
    if unknown:
        parser.error(f"unknown section(s): {', '.join(unknown)} (known: {', '.join(known)})")
    return names


def select(known: Sequence[str], only: set[str], skip: set[str]) -> list[str]:
    """The sections to run, in their own order: `only` (every one when empty), less `skip`."""
    return [name for name in known if (not only or name in only) and name not in skip]


def run(sections: Mapping[str, Section], chosen: Sequence[str], options: Options) -> list[Bar]:
    """Every chosen section, in order; one that raises or returns no bar is a miss of its own."""
    bars: list[Bar] = []
    for name in chosen:
        print(f"\n== bench {name}", flush=True)
        started = time.monotonic()
        try:
            found = list(sections[name](options))
        except Exception as exc:  # noqa: BLE001 - reported in the table, the others still run
            traceback.print_exc()
            found = [
                Bar(f"{name}: section", "runs", f"failed: {type(exc).__name__}: {exc}", "miss")
            ]
        if not found:
            found = [Bar(f"{name}: section", "at least one bar", "returned none", "miss")]
        print(f"== bench {name}: {time.monotonic() - started:.1f} s", flush=True)
        bars += found
    return bars


def _max_rounds(value: str) -> int:
    rounds = int(value)
    if rounds < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return rounds


def main(argv: Sequence[str] | None = None, sections: Mapping[str, Section] = SECTIONS) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    known = list(sections)
    parser.add_argument("--only", metavar="SECTION[,SECTION]", help=", ".join(known))
    parser.add_argument("--skip", metavar="SECTION[,SECTION]")
    parser.add_argument(
        "--max-rounds",
        metavar="N",
        type=_max_rounds,
        default=None,
        help="cap on the cold-start section's rounds (default: $BENCH_MAX_ROUNDS, else its own)",
    )
    args = parser.parse_args(argv)
    chosen = select(known, _names(args.only, known, parser), _names(args.skip, known, parser))
    if not chosen:
        parser.error("no section left to run")
    rounds = args.max_rounds
    if rounds is None and os.environ.get("BENCH_MAX_ROUNDS"):
        try:
            rounds = _max_rounds(os.environ["BENCH_MAX_ROUNDS"])
        except (ValueError, argparse.ArgumentTypeError):
            parser.error(
                f"BENCH_MAX_ROUNDS={os.environ['BENCH_MAX_ROUNDS']!r}: a whole number >= 1"
            )
    bars = run(sections, chosen, Options(max_rounds=rounds))
    print(f"\nPerformance bars ({', '.join(chosen)}; PERFORMANCE.md):")
    print(table(bars))
    misses = missed(bars)
    if misses:
        print(f"\n{len(misses)} bar(s) missed: " + "; ".join(b.name for b in misses))
        return 1
    print("\nevery bar met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
