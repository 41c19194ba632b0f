"""One-at-a-time sensitivity (simulator/sensitivity.py, ``wenzheng sensitivity``) against answers known
without the simulator: a silent-unit share whose effect on the reply rate is exact at the ends and
monotone between them, a parameter no metric can depend on (identical values by common random numbers),
the Student-t interval recomputed with scipy, the as-of-end reply rate recomputed from the event log.

Cost: about 60 small runs of a 9-day scenario (~20 s on one core).
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import pytest
from scipy import stats

from simulator.params import ParameterError
from simulator.runner import load_run_inputs
from simulator.sensitivity import METRICS, Factor, plan_factors, run_sensitivity
from wenzheng.cli import main

from .conftest import DATA

SEEDS = [7, 8, 9]


@pytest.fixture(scope="module")
def independent(tmp_path_factory) -> Path:
    """Nine days of short.yaml where cases cannot affect one another and silence is final.

    No merging of posts into open cases (``same_problem_share: 0``), no town override of ``no_reply``,
    and supervision never makes a silent unit reply.  Then a form is replied iff its unit's first
    behaviour draw is at least ``no_reply`` — the same draw at every value (common random numbers).
    """
    d = tmp_path_factory.mktemp("sens")
    f = d / "independent.yaml"
    f.write_text(f"""kind: scenario
extends: {DATA / 'short.yaml'}
name: independent
end: 2014-10-03
arrivals: {{same_problem_share: 0}}
units:
  default: {{respond_to_reminder: 0, respond_to_escalation: 0}}
  by_type: {{town: {{no_reply: null}}}}
""", encoding="utf-8")
    return f


def _run(path: Path, specs: list[tuple[str, float, float]], points: int, seeds: list[int] = SEEDS,
         workers: int = 1):
    sc, policy, _ = load_run_inputs(path)
    factors = plan_factors(sc, policy, specs, points)
    return factors, run_sensitivity(str(path), None, factors, seeds, workers, scenario_name=sc.name)


def test_silence_share_known_answer(independent):
    factors, res = _run(independent, [("units.default.no_reply", 0.0, 1.0)], 5)
    assert factors[0].values == (0.0, 0.25, 0.5, 0.75, 1.0)
    raw = res.raw["units.default.no_reply"]
    # no silence: every form replied; all silent and never supervised into replying: none replied
    assert raw[0]["reply_rate"] == [1.0] * len(SEEDS)
    assert raw[-1]["reply_rate"] == [0.0] * len(SEEDS)
    assert raw[-1]["on_time_rate"] == [0.0] * len(SEEDS)
    for s in range(len(SEEDS)):
        # the same draws at every value: replied forms can only disappear as no_reply grows, per seed
        rates = [point["reply_rate"][s] for point in raw]
        on_time = [point["on_time_rate"][s] for point in raw]
        assert rates == sorted(rates, reverse=True)
        assert on_time == sorted(on_time, reverse=True)
    # in between, the silent share is a binomial proportion: within 4 standard errors of no_reply
    forms = 9 * 20 * 0.62  # about 110 forms a replication
    for point, p in zip(raw, factors[0].values, strict=True):
        for r in point["reply_rate"]:
            assert abs((1 - r) - p) <= 4 * math.sqrt(p * (1 - p) / forms) + 1e-9
    assert res.swing("units.default.no_reply", "reply_rate") == 1.0


def test_a_parameter_no_metric_depends_on_gives_identical_values(independent):
    # redelivered payloads are dropped by the adapter from their own random stream: nothing downstream
    # can change, replication by replication
    _, res = _run(independent, [("platforms.duplicate_delivery", 0.0, 0.6)], 3)
    raw = res.raw["platforms.duplicate_delivery"]
    for m in METRICS:
        assert raw[0][m] == raw[1][m] == raw[2][m], m
        assert res.swing("platforms.duplicate_delivery", m) in (0.0, None)


def test_summary_is_the_student_t_interval_and_swing_is_max_minus_min():
    f = Factor("x", 0, 1, 0.5, (0, 1))
    from simulator.sensitivity import SensitivityResult

    res = SensitivityResult("t", [1, 2, 3, 4], [f])
    res.raw["x"] = [{m: [0.90, 0.95, 0.97, 1.0] for m in METRICS}, {m: [0.5, None, 0.7, 0.6] for m in METRICS}]
    s = res.summary("x", 0, "reply_rate")
    vals = [0.90, 0.95, 0.97, 1.0]
    lo, hi = stats.t.interval(0.95, df=3, loc=sum(vals) / 4, scale=stats.sem(vals))
    assert s["mean"] == pytest.approx(0.955) and s["ci95"] == pytest.approx([lo, hi]) and s["n"] == 4
    s2 = res.summary("x", 1, "reply_rate")  # an undefined replication is left out, not counted as 0
    assert s2["n"] == 3 and s2["mean"] == pytest.approx(0.6)
    assert res.swing("x", "reply_rate") == pytest.approx(0.955 - 0.6)


def test_process_pool_gives_the_serial_numbers(independent):
    _, serial = _run(independent, [("units.default.no_reply", 0.0, 0.2)], 2, seeds=[7, 8])
    _, pooled = _run(independent, [("units.default.no_reply", 0.0, 0.2)], 2, seeds=[7, 8], workers=2)
    assert serial.raw == pooled.raw


def test_reply_rate_as_of_end_recomputed_from_the_event_log(tmp_path):
    """Forms issued before 00:00 after the last day, replied before it: counted from events.csv."""
    from datetime import datetime, timedelta

    from simulator.metrics import write_run
    from simulator.runner import run_scenario

    sc, policy, rules_dir = load_run_inputs(DATA / "short.yaml")
    result, metrics = run_scenario(sc, policy, rules_dir, seed=5)
    write_run(result, metrics, tmp_path / "run", report=False)
    end = datetime.fromisoformat(metrics["run"]["end"])
    assert end == datetime.fromisoformat("2014-10-11T00:00:00+08:00")
    issued: dict[str, datetime] = {}
    replied: dict[str, datetime] = {}
    with (tmp_path / "run" / "events.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            at = datetime.fromisoformat(row["timestamp"])
            if row["activity"] == "上报通报":
                issued[row["case_id"]] = at
            elif row["activity"] == "反馈回复":
                replied.setdefault(row["case_id"], at)
    before = [c for c, at in issued.items() if at < end]
    answered = [c for c in before if c in replied and replied[c] < end]
    assert metrics["reply_rate_as_of"] == round(len(answered) / len(before), 6)
    # forms of the last days are still inside their 5 working days: strictly below the drained rate
    assert metrics["reply_rate_as_of"] < metrics["reply_rate"]
    assert any(at > end - timedelta(days=3) for at in issued.values())


def test_cli_text_json_csv_agree(independent, tmp_path, capsys):
    args = ["sensitivity", str(independent), "--vary", "units.default.no_reply=0..1", "--points", "2",
            "--replications", "2", "--seed", "7", "--quiet"]
    assert main([*args, "--format", "json", "--out", str(tmp_path / "s.json")]) == 0
    doc = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert doc["seeds"] == [7, 8] and doc["metrics"] == list(METRICS)
    (param,) = doc["parameters"]
    assert param["path"] == "units.default.no_reply" and param["scenario_value"] == 0.06
    assert [p["value"] for p in param["points"]] == [0.0, 1.0]
    assert param["points"][0]["reply_rate"]["replications"] == [1.0, 1.0]
    assert param["points"][1]["reply_rate"]["mean"] == 0.0
    assert param["swing"]["reply_rate"] == 1.0
    assert main([*args, "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 2 * len(METRICS)
    first = next(r for r in rows if r["metric"] == "reply_rate" and r["value"] == "0.0")
    assert first["mean"] == "1.000000" and first["swing"] == "1.000000" and first["replications"] == "2"
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "| `units.default.no_reply` | 0 | 100.0% [100.0–100.0] |" in text
    assert "| `units.default.no_reply` | swing (scenario: 0.06) | **100.0 pp** |" in text


@pytest.mark.parametrize("vary, message", [
    ("units.defaults.no_reply=0..0.2", "unknown parameter 'units.defaults.no_reply': units has no key 'defaults' "
                                       "(at key: units.defaults.no_reply); did you mean 'units.default.no_reply'?"),
    ("units.default.no_reply=0..2", "is too large; it must be less than or equal to 1 (setting units.default.no_reply)"),
    ("units.default.no_reply=0.3..0.1", "the range 0.3..0.1 runs backwards"),
    ("units.default.no_reply=low..high", "'low..high' is not a range LO..HI of two numbers"),
    ("citizens.max_follow_ups=0..3", "citizens.max_follow_ups takes whole numbers, but 3 points from 0 to 3 "
                                     "include 1.5"),
    ("arrivals.categories.新类别=0..3", "arrivals.categories has no key '新类别'"),
    ("desk.rota.0.pattern=0..1", "is not text; write text"),
])
def test_cli_bad_input_exits_2_without_traceback(capsys, vary, message):
    assert main(["sensitivity", str(DATA / "short.yaml"), "--vary", vary, "--points", "3", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert err.startswith(f"error: --vary {vary.split('=')[0]}=")


def test_varying_one_parameter_twice_is_refused(independent):
    sc, policy, _ = load_run_inputs(independent)
    with pytest.raises(ParameterError, match="varied twice"):
        plan_factors(sc, policy, [("units.default.no_reply", 0, 1), ("units.default.no_reply", 0, 0.5)], 2)


def test_out_replaces_only_its_own_result_and_is_checked_before_any_run(independent, tmp_path, capsys):
    args = ["sensitivity", str(independent), "--vary", "units.default.no_reply=0..1", "--points", "2",
            "--replications", "1", "--seed", "7", "--quiet"]
    mine = tmp_path / "notes.txt"
    mine.write_text("my own notes\n", encoding="utf-8")
    assert main([*args, "--out", str(mine)]) == 2  # refused up front: nothing computed, nothing touched
    assert "not written by wenzheng" in capsys.readouterr().err
    assert mine.read_text(encoding="utf-8") == "my own notes\n"
    for fmt in ("text", "csv", "json"):
        out = tmp_path / f"s.{fmt}"
        assert main([*args, "--format", fmt, "--out", str(out)]) == 0
        assert main([*args, "--format", fmt, "--out", str(out)]) == 0  # ours: replaced without --force
    assert main([*args, "--out", str(mine), "--force"]) == 0
    assert mine.read_text(encoding="utf-8").startswith("One-at-a-time sensitivity:")
