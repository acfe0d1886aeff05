"""`make bench` (`python -m bench`): the one table of every bar, its verdicts and exit code, which
sections run (--only, --skip), --max-rounds / BENCH_MAX_ROUNDS for the cold start, and the bars
each bench module makes of its figures - with fake sections and figures, nothing measured."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench import __main__ as bench
from bench import load_run, package_size, tested, warm_overhead
from bench.bars import Bar, missed, table
from bench.tested import AssertedBar, Result

ROOT = Path(__file__).resolve().parents[2]


def passing(name: str) -> Bar:
    return Bar.check(name, "<= 1", "0.5", True)


class FakeSections:
    """Sections that record being run and return the bars they are given."""

    def __init__(self, **bars: list[Bar] | Exception) -> None:
        self.bars = bars
        self.ran: list[tuple[str, bench.Options]] = []

    def section(self, name: str) -> bench.Section:
        def run(options: bench.Options) -> list[Bar]:
            self.ran.append((name, options))
            found = self.bars[name]
            if isinstance(found, Exception):
                raise found
            return found

        return run

    @property
    def sections(self) -> dict[str, bench.Section]:
        return {name: self.section(name) for name in self.bars}

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.ran]


def table_rows(output: str) -> dict[str, list[str]]:
    """The printed table's rows by bar name (columns split on runs of 2+ spaces)."""
    lines = output[output.index("\nbar ") + 1 :].splitlines()
    rows = {}
    for line in lines[2:]:
        if not line.strip():
            break
        cells = re.split(r"\s{2,}", line.strip())
        rows[cells[0]] = cells
    return rows


# ---------------------------------------------------------------- the table and its verdicts
def test_the_table_shows_target_measured_and_a_miss_in_capitals():
    bars = [
        Bar.check("cold start: me", "<= 1.30x", "1.21x", True),
        Bar.check("cold start: login", "<= 1.30x", "1.34x", False),
        Bar("cold start: webhook", "recorded", "1.68x", "recorded"),
    ]
    text = table(bars)
    lines = text.splitlines()
    assert lines[0].split() == ["bar", "target", "measured", "verdict"]
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert [line.split()[-1] for line in lines[2:]] == ["pass", "MISS", "recorded"]
    assert "1.34x" in lines[3] and "<= 1.30x" in lines[3]
    # columns line up: every verdict starts at the same column
    starts = {line.rindex(line.split()[-1]) for line in lines[2:]}
    assert len(starts) == 1
    assert missed(bars) == [bars[1]]


def test_every_bar_of_every_section_is_in_the_one_table_and_all_passing_exits_0(capsys):
    fakes = FakeSections(
        cold=[
            passing("cold start: me"),
            Bar("cold start: webhook", "recorded", "1.7x", "recorded"),
        ],
        warm=[passing("warm p50")],
    )
    assert bench.main([], sections=fakes.sections) == 0
    rows = table_rows(capsys.readouterr().out)
    assert set(rows) == {"cold start: me", "cold start: webhook", "warm p50"}
    assert rows["cold start: webhook"][-1] == "recorded"


def test_one_miss_anywhere_exits_1_and_is_named_after_the_table(capsys):
    fakes = FakeSections(
        cold=[passing("cold start: me")],
        warm=[Bar.check("warm p50", "<= 1 ms", "1.4 ms", False)],
        page=[passing("home")],
    )
    assert bench.main([], sections=fakes.sections) == 1
    out = capsys.readouterr().out
    assert table_rows(out)["warm p50"][-1] == "MISS"
    assert "1 bar(s) missed: warm p50" in out
    assert fakes.names == ["cold", "warm", "page"]


def test_a_section_that_raises_is_a_miss_of_its_own_and_the_others_still_run(capsys):
    fakes = FakeSections(
        cold=AttributeError("module 'bench.cold_init' has no attribute 'bars'"),
        page=[passing("home")],
    )
    assert bench.main([], sections=fakes.sections) == 1
    rows = table_rows(capsys.readouterr().out)
    assert rows["cold: section"][-1] == "MISS"
    assert "AttributeError" in rows["cold: section"][2]
    assert rows["home"][-1] == "pass"


def test_a_section_that_returns_no_bar_is_a_miss(capsys):
    fakes = FakeSections(page=[])
    assert bench.main([], sections=fakes.sections) == 1
    assert table_rows(capsys.readouterr().out)["page: section"][2] == "returned none"


# ---------------------------------------------------------------- which sections run
def sections_run(argv: list[str]) -> list[str]:
    fakes = FakeSections(**{name: [passing(name)] for name in ("cold", "imports", "warm", "load")})
    bench.main(argv, sections=fakes.sections)
    return fakes.names


def test_only_and_skip_choose_the_sections_which_run_in_their_own_order(capsys):
    assert sections_run([]) == ["cold", "imports", "warm", "load"]
    assert sections_run(["--only", "load,cold"]) == ["cold", "load"]
    assert sections_run(["--only", "warm"]) == ["warm"]
    assert sections_run(["--skip", "cold,load"]) == ["imports", "warm"]
    assert sections_run(["--only", "cold,warm", "--skip", "cold"]) == ["warm"]


@pytest.mark.parametrize(
    "argv",
    [["--only", "colt"], ["--skip", "warm,nope"], ["--only", "warm", "--skip", "warm"]],
)
def test_an_unknown_section_or_none_left_is_a_usage_error(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        sections_run(argv)
    assert exit_.value.code == 2


def test_the_real_sections_are_every_bar_of_performance_md_in_its_order():
    assert list(bench.SECTIONS) == ["cold", "imports", "counted", "warm", "package", "page", "load"]


# ---------------------------------------------------------------- --max-rounds for the cold start
def options_given(argv: list[str]) -> bench.Options:
    fakes = FakeSections(cold=[passing("cold")], warm=[passing("warm")])
    assert bench.main(argv, sections=fakes.sections) == 0
    assert {options for _, options in fakes.ran} == {fakes.ran[0][1]}
    return fakes.ran[0][1]


def test_max_rounds_from_the_option_else_the_environment_else_none(monkeypatch, capsys):
    monkeypatch.delenv("BENCH_MAX_ROUNDS", raising=False)
    assert options_given([]).max_rounds is None
    assert options_given(["--max-rounds", "60"]).max_rounds == 60
    monkeypatch.setenv("BENCH_MAX_ROUNDS", "80")
    assert options_given([]).max_rounds == 80
    assert options_given(["--max-rounds", "45"]).max_rounds == 45


@pytest.mark.parametrize("argv,env", [(["--max-rounds", "0"], None), ([], "many")])
def test_a_bad_max_rounds_is_a_usage_error(argv, env, monkeypatch, capsys):
    if env is None:
        monkeypatch.delenv("BENCH_MAX_ROUNDS", raising=False)
    else:
        monkeypatch.setenv("BENCH_MAX_ROUNDS", env)
    with pytest.raises(SystemExit) as exit_:
        options_given(argv)
    assert exit_.value.code == 2


# ---------------------------------------------------------------- bars asserted by tests
SPECS = (
    AssertedBar(
        "round trips", "as stated", ("tests/unit/test_a.py", "tests/unit/test_b.py::test_x")
    ),
    AssertedBar("webhook", "one transaction", ("tests/unit/test_b.py::test_param",)),
)


def by_name(bars: list[Bar]) -> dict[str, Bar]:
    return {bar.name: bar for bar in bars}


def test_a_tested_bar_passes_when_every_test_it_names_passed():
    results = {
        "tests/unit/test_a.py::test_one": Result("passed"),
        "tests/unit/test_a.py::test_two": Result("passed"),
        "tests/unit/test_b.py::test_x": Result("passed"),
        "tests/unit/test_b.py::test_xy": Result("failed"),  # another test, not test_x
        "tests/unit/test_b.py::test_param[1]": Result("passed"),
        "tests/unit/test_b.py::test_param[6]": Result("passed"),
    }
    bars = by_name(tested.verdicts(SPECS, results))
    assert bars["round trips"] == Bar("round trips", "as stated", "3 tests pass", "pass")
    assert bars["webhook"].verdict == "pass" and bars["webhook"].measured == "2 tests pass"


def test_a_tested_bar_misses_on_a_failure_an_error_or_a_test_not_run():
    results = {
        "tests/unit/test_a.py::test_one": Result("passed"),
        "tests/unit/test_a.py::test_two": Result("error", "fixture failed"),
        "tests/unit/test_b.py::test_param[1]": Result("passed"),
        "tests/unit/test_b.py::test_param[6]": Result("failed", "assert 3 == 2"),
    }
    bars = by_name(tested.verdicts(SPECS, results))
    assert bars["round trips"].verdict == "miss"
    assert bars["round trips"].measured == "1 of 2 tests fail: test_two"
    assert bars["webhook"].measured == "1 of 2 tests fail: test_param[6]"
    # test_x was not in the results at all: not run (e.g. renamed) is a miss too
    del results["tests/unit/test_a.py::test_two"]
    bars = by_name(tested.verdicts(SPECS, results, "pytest exit 4"))
    assert bars["round trips"] == Bar(
        "round trips", "as stated", "not run (pytest exit 4): test_x", "miss"
    )
    # nothing ran (pytest could not start): every bar misses
    assert [b.verdict for b in tested.verdicts(SPECS, {}, "pytest exit 4")] == ["miss", "miss"]


def test_a_skip_is_shown_and_a_bar_with_no_test_passed_misses():
    guard = AssertedBar("x-ray", "unless tracing", ("t.py::test_xray", "t.py::test_guard"))
    results = {
        "t.py::test_xray": Result("skipped", "tracing is on"),
        "t.py::test_guard": Result("passed"),
    }
    (bar,) = tested.verdicts([guard], results)
    assert bar.verdict == "pass" and bar.measured == "1 test passes, 1 skipped (tracing is on)"
    results["t.py::test_guard"] = Result("skipped", "no template")
    (bar,) = tested.verdicts([guard], results)
    assert bar.verdict == "miss" and bar.measured.startswith("no test passed")


def test_junit_xml_is_read_into_node_ids_and_outcomes(tmp_path):
    junit = tmp_path / "junit.xml"
    junit.write_text(
        '<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest">'
        '<testcase classname="tests.unit.test_b" name="test_param[1]" time="0.1" />'
        '<testcase classname="tests.unit.test_b" name="test_param[6]" time="0.1">'
        '<failure message="assert 3 == 2">trace</failure></testcase>'
        '<testcase classname="tests.unit.test_a" name="test_one" time="0.1">'
        '<error message="fixture failed">trace</error></testcase>'
        '<testcase classname="tests.template.test_c" name="test_xray" time="0.1">'
        '<skipped type="pytest.skip" message="tracing is on">why</skipped></testcase>'
        "</testsuite></testsuites>",
        encoding="utf-8",
    )
    assert tested.read_junit(junit) == {
        "tests/unit/test_b.py::test_param[1]": Result("passed"),
        "tests/unit/test_b.py::test_param[6]": Result("failed", "assert 3 == 2"),
        "tests/unit/test_a.py::test_one": Result("error", "fixture failed"),
        "tests/template/test_c.py::test_xray": Result("skipped", "tracing is on"),
    }


def test_every_test_a_bar_names_exists():
    """A renamed test would make its bar a miss at `make bench` time: caught here first."""
    for bar in (*tested.IMPORT_BARS, *tested.COUNTED_BARS):
        for spec in bar.tests:
            path, _, name = spec.partition("::")
            source = (ROOT / path).read_text(encoding="utf-8")
            assert not name or re.search(rf"^def {re.escape(name)}\(", source, re.M), spec


def test_the_tests_run_once_each_a_whole_file_covering_its_own_tests():
    specs = tested.unique_tests(tested.COUNTED_BARS)
    assert len(specs) == len(set(specs))
    assert "tests/unit/test_call_counts.py" in specs
    assert not [s for s in specs if s.startswith("tests/unit/test_call_counts.py::")]
    reminder = [s for s in specs if "test_reads_grow_with_the_supports_due" in s]
    assert len(reminder) == 1  # named by two bars, run once


# ---------------------------------------------------------------- the bench modules' bars
def test_warm_bars_hold_p50_and_p99_to_their_bars():
    figures = warm_overhead.Figures(1000, 0.8, 2.9, 1.2, 2.4)
    own, whole = warm_overhead.bars(figures)
    assert own.verdict == "pass" and "p50 0.800 ms, p99 2.900 ms" in own.measured
    assert whole.verdict == "miss"  # p50 1.2 ms
    own, _ = warm_overhead.bars(warm_overhead.Figures(1000, 0.9, 3.1, 0.9, 1.0))
    assert own.verdict == "miss"  # p99 3.1 ms


def test_package_bars_are_the_layer_and_every_function_together(tmp_path):
    layer = package_size.Artifact("SharedLayer", "AWS::Serverless::LayerVersion", tmp_path)
    me = package_size.Artifact("MeFunction", "AWS::Serverless::Function", tmp_path)
    login = package_size.Artifact("LoginFunction", "AWS::Serverless::Function", tmp_path)
    mb = package_size.MB
    ok = package_size.bars([(layer, 10 * mb), (me, 2048), (login, 1500)])
    assert [(b.name, b.target, b.verdict) for b in ok] == [
        ("package: layer SharedLayer", "<= 15 MB unzipped", "pass"),
        ("package: each function", "<= 1 MB unzipped", "pass"),
    ]
    assert ok[1].measured == "largest MeFunction 2.0 KB of 2"
    over = package_size.bars([(layer, 16 * mb), (me, 2048), (login, 2 * mb)])
    assert [b.verdict for b in over] == ["miss", "miss"]
    assert over[1].measured.startswith("1 over: LoginFunction 2.00 MB")


def load_report(**changes: object) -> dict:
    report = {
        "ok": True,
        "config": {"customers": 50, "products": 4},
        "requests_per_s": 9.5,
        "portal_requests": 594,
        "load_s": 62.5,
        "errors": 0,
        "server_errors_5xx": 0,
        "checks": {
            "zero_errors": True,
            "zero_5xx": True,
            "every_customer_served": True,
            "isolation": {
                "holds": True,
                "customers": 50,
                "customers_who_browsed": 50,
                "records_seen": 250,
                "violation_count": 0,
                "incomplete": [],
            },
            "exactly_once": {
                "holds": True,
                "orders_sent": 402,
                "order_items": 402,
                "fsevent_markers": 502,
                "event_ids_sent": 502,
            },
        },
        "routes": {
            "GET /api/me": {"count": 87, "p50_ms": 3600.0, "p95_ms": 7600.0, "p99_ms": 7900.0},
        },
    }
    report.update(changes)
    return report


def test_load_bars_record_the_figures_and_check_every_check():
    bars = by_name(load_run.bars(load_report()))
    assert bars["load: portal requests per second"].verdict == "recorded"
    assert bars["load: GET /api/me"].measured == "3600 / 7600 / 7900 ms (87 calls)"
    checked = ["errors", "5xx answers", "every customer served", "isolation", "exactly once"]
    assert {name: bars[f"load: {name}"].verdict for name in checked} == dict.fromkeys(
        checked, "pass"
    )
    # a failing check is a miss
    report = load_report(errors=3)
    report["checks"] = {**report["checks"], "zero_errors": False}
    report["checks"]["isolation"] = {**report["checks"]["isolation"], "holds": False}
    bars = by_name(load_run.bars(report))
    assert bars["load: errors"] == Bar("load: errors", "0", "3", "miss")
    assert bars["load: isolation"].verdict == "miss"
    assert bars["load: exactly once"].verdict == "pass"


def test_a_load_run_that_did_not_finish_is_one_miss():
    (bar,) = load_run.bars({"ok": False, "reason": "watchdog: the run did not end within 300 s"})
    assert bar.verdict == "miss" and "watchdog" in bar.measured
