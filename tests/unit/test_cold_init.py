"""bench/cold_init.py's method (PERFORMANCE.md, issue 12): the median's 95 % interval, when a
function has settled, the rounds that stop when all have (or at the cap), the verdicts, and the
probe's replay that fails when the handler strays from what was recorded."""

from __future__ import annotations

import json
import os
import pickle
from datetime import UTC, datetime
from itertools import count
from pathlib import Path
from typing import Any

import pytest

from bench import cold_init
from bench.cold_init import Ratio, Target, median_interval, ratio, run_rounds, verdicts


def test_the_interval_is_the_binomial_order_statistics_around_the_median() -> None:
    # given 41 and 200 distinct values 1..n
    for n, (low, high) in {41: (14, 28), 200: (86, 115)}.items():
        median, lo, hi = median_interval([float(v) for v in range(n, 0, -1)])
        # then the interval is the ranks the binomial(n, 1/2) tables give, the median the middle
        assert (lo, hi) == (low, high)
        assert median == (n + 1) / 2


def test_a_ratio_settles_only_after_41_rounds_and_within_three_hundredths() -> None:
    assert Ratio(1.20, 1.17, 1.23, 41).settled
    assert not Ratio(1.20, 1.17, 1.23, 40).settled
    assert not Ratio(1.20, 1.16, 1.23, 200).settled


def _target(name: str, applies: bool = True) -> Target:
    function = None
    if name != cold_init.BASELINE:
        paths = frozenset({"/api/webhooks/x" if not applies else "/api/x"})
        function = cold_init.Function(name, Path(name), "h", frozenset({"GET"}), {}, paths)
    return Target(name, function, Path(f"{name}.json"), {})


def test_rounds_stop_for_a_settled_function_and_run_to_the_cap_for_a_noisy_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given a steady function (always 1.2x the baseline) and a noisy one (1.0x / 1.6x in turn)
    calls = count()
    times = {"baseline": lambda: 500.0, "steady": lambda: 600.0}
    times["noisy"] = lambda: 500.0 if next(calls) % 2 else 800.0

    def replay(target: Target, *, realtime: bool = False) -> dict[str, Any]:
        ms = times[target.name]()
        return {"cpu_ms": ms, "wall_ms": ms, "modules": [], "clients": 1}

    monkeypatch.setattr(cold_init, "replay", replay)
    targets = [_target("baseline"), _target("steady"), _target("noisy")]
    # when the rounds run with a cap of 60
    rounds = run_rounds(targets, max_rounds=60, seed=1, quiet=True)
    # then the steady one stopped at 41 rounds, settled; the noisy one ran to the cap, unsettled
    baseline, steady, noisy = targets
    assert rounds == 60 and len(baseline.cpu_ms) == 60
    assert len(steady.cpu_ms) == 41 and ratio(steady, baseline) == Ratio(1.2, 1.2, 1.2, 41)
    assert len(noisy.cpu_ms) == 60 and not ratio(noisy, baseline).settled


def test_verdicts_hold_the_bar_where_a_person_waits_and_record_the_rest() -> None:
    ratios = {
        "login": Ratio(1.21, 1.19, 1.23, 41),
        "activation": Ratio(1.31, 1.29, 1.33, 41),
        "fastspring_webhook": Ratio(2.30, 2.28, 2.32, 60),
        "me": Ratio(1.10, 1.00, 1.20, 200),
    }
    applies = {"login": True, "activation": True, "fastspring_webhook": False, "me": True}
    by_name = {b.name: b for b in verdicts(applies, ratios, {})}
    assert by_name["cold start: login"].verdict == "pass"
    assert by_name["cold start: activation"].verdict == "miss"
    assert by_name["cold start: fastspring_webhook"].verdict == "recorded"
    assert by_name["cold start: me"].verdict == "miss"  # not settled by the cap
    assert "NOT settled" in by_name["cold start: me"].measured
    assert by_name["cold start: agrees with the previous run"].verdict == "recorded"


def test_two_runs_must_agree_within_five_hundredths_on_every_ratio() -> None:
    ratios = {"login": Ratio(1.21, 1.19, 1.23, 41), "me": Ratio(1.20, 1.18, 1.22, 41)}
    applies = dict.fromkeys(ratios, True)

    def agreement(previous: dict[str, float]) -> str:
        return verdicts(applies, ratios, previous)[-1].verdict

    assert agreement({"login": 1.25, "me": 1.16}) == "pass"
    assert agreement({"login": 1.27, "me": 1.20}) == "miss"
    assert agreement({"login": 1.21}) == "miss"  # a function the previous run did not measure


# ---------------------------------------------------------------- the probe itself, in a process
def _baseline_recording(folder: Path, answers: list[tuple[str, str, dict]], status: int) -> Target:
    item = {"pk": {"S": "EMAIL#x"}, "sk": {"S": "EMAIL"}, "customerId": {"S": "01ARZ"}}
    request = {"TableName": "PortalTable", "Key": {"pk": item["pk"], "sk": item["sk"]}}
    answers_file = folder / "baseline.answers.pickle"
    recorded = {"answers": answers, "status": status, "at": datetime.now(UTC).isoformat()}
    answers_file.write_bytes(pickle.dumps(recorded))
    spec = folder / "baseline.replay.json"
    spec.write_text(
        json.dumps(
            {"mode": "replay", "app": "", "baseline_request": request, "answers": str(answers_file)}
        )
    )
    env = {"PATH": os.environ.get("PATH", ""), **cold_init.AWS_ENV}
    return Target(cold_init.BASELINE, None, spec, env)


GET_ITEM = (
    "dynamodb",
    "GetItem",
    {"Item": {"pk": {"S": "EMAIL#x"}}, "ResponseMetadata": {"HTTPStatusCode": 200}},
)


def test_the_baseline_replays_its_get_item_from_the_stubber(tmp_path: Path) -> None:
    answer = cold_init.replay(_baseline_recording(tmp_path, [GET_ITEM], 200))
    assert answer["status"] == 200 and answer["clients"] == 1
    assert answer["cpu_ms"] > 0 and answer["wall_ms"] > 0
    assert "botocore.stub" in answer["modules"]


@pytest.mark.parametrize(
    ("answers", "status", "why"),
    [
        ([GET_ITEM, GET_ITEM], 200, "responses remaining"),  # a recorded answer left unused
        ([GET_ITEM, ("kms", "Sign", {"Signature": b"s"})], 200, "no client asked"),
        ([GET_ITEM], 201, "replay answered 200, the recording 201"),
        ([], 200, "Unexpected"),  # a call the recording never saw
    ],
)
def test_a_replay_that_strays_from_the_recording_fails(
    tmp_path: Path, answers: list[tuple[str, str, dict]], status: int, why: str
) -> None:
    with pytest.raises(RuntimeError, match="probe failed") as failed:
        cold_init.replay(_baseline_recording(tmp_path, answers, status))
    assert why in str(failed.value)
