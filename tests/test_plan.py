"""``wenzheng plan`` (sweeps/plan.py, sweeps/targets.py) against answers known without the search.

* targets: parsing, did-you-mean, and the verdict recomputed from scipy's Student t;
* the search on a synthetic monotone metric (the cell function replaced by a formula with known noise):
  the answer, the values tried (a binary search), replications doubled exactly where the bounds say
  uncertain (the stopping point recomputed here with scipy), uncertain values at the cap, exit 1 when the
  range cannot reach the target, maximize;
* on a real scenario (tests/data/short.yaml, the desk's staff varied): the plan's answer equals the answer
  of an exhaustive sweep run here, every value at the maximum replications.
"""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path

import pytest
from scipy import stats

import sweeps.plan as plan_mod
from simulator.params import ParameterError, with_overrides
from simulator.runner import load_run_inputs, stream_scenario
from sweeps.plan import CellJob, candidate_values, plan_search
from sweeps.targets import Target, TargetError, judge, parse_target
from wenzheng.cli import main

from .conftest import DATA

SHORT = DATA / "short.yaml"


# --------------------------------------------------------------------------- targets

def test_parse_target():
    assert parse_target("statement_2h_rate >= 0.95") == Target("statement_2h_rate", ">=", 0.95)
    assert parse_target("  desk_wait_minutes_mean<2.5 ") == Target("desk_wait_minutes_mean", "<", 2.5)
    assert str(parse_target("reply_rate > 0.9")) == "reply_rate > 0.9"


def test_unknown_metric_did_you_mean():
    with pytest.raises(TargetError) as exc:
        parse_target("statment_2h_rate >= 0.95")
    assert exc.value.first.suggestion == "statement_2h_rate"
    assert "unknown metric 'statment_2h_rate'" in str(exc.value)


@pytest.mark.parametrize("text", ["statement_2h_rate => 0.95", "statement_2h_rate >= high",
                                  "statement_2h_rate >= nan", ">= 0.95", "statement_2h_rate == 1"])
def test_unreadable_target(text):
    with pytest.raises(TargetError):
        parse_target(text)


def _bounds(values, confidence):
    m, s, n = statistics.fmean(values), statistics.stdev(values), len(values)
    half = stats.t.ppf(confidence, n - 1) * s / math.sqrt(n)
    return m - half, m + half


@pytest.mark.parametrize("values,op,x,expected", [
    ([0.96, 0.97, 0.98, 0.99], ">=", 0.95, "meets"),   # lower bound ≈ 0.9598
    ([0.90, 0.91, 0.92, 0.93], ">=", 0.95, "fails"),   # upper bound ≈ 0.9402
    ([0.93, 0.97, 0.94, 0.98], ">=", 0.95, "uncertain"),
    ([0.90, 0.91, 0.92, 0.93], "<=", 0.95, "meets"),
    ([0.96, 0.97, 0.98, 0.99], "<", 0.95, "fails"),
    ([1.0, 1.0, 1.0], ">=", 1.0, "meets"),  # no spread: the bounds are the mean
    ([1.0, 1.0, 1.0], ">", 1.0, "fails"),
])
def test_judge_against_scipy(values, op, x, expected):
    verdict, lo, hi = judge(Target("reply_rate", op, x), values, 0.95)
    assert verdict == expected
    if statistics.stdev(values) > 0:
        elo, ehi = _bounds(values, 0.95)
        assert lo == pytest.approx(elo) and hi == pytest.approx(ehi)
        good, bad = (elo, ehi) if op in (">=", ">") else (ehi, elo)
        ok = {">=": lambda a: a >= x, ">": lambda a: a > x, "<=": lambda a: a <= x, "<": lambda a: a < x}[op]
        assert (verdict == "meets") == ok(good) and (verdict == "fails") == (not ok(bad))


def test_judge_needs_two_values():
    assert judge(Target("reply_rate", ">=", 0.5), [0.9], 0.95)[0] == "uncertain"


# --------------------------------------------------------------------------- the search, synthetic

NOISE = 0.05


def _synthetic(mean_of, noise=NOISE):
    """A cell whose reply_rate is mean_of(value) ± noise, + on even seeds and − on odd ones."""
    calls: list[CellJob] = []

    def cell(job: CellJob) -> dict[str, float | None]:
        calls.append(job)
        return {"reply_rate": mean_of(job.value) + (noise if job.seed % 2 == 0 else -noise)}
    return cell, calls


def _plan(cell, values, target, **kw):
    kw.setdefault("base_seed", 100)
    return plan_search("unused.yaml", None, "synthetic", "x", values, [parse_target(target)], cell=cell, **kw)


def _samples(mean, n, base_seed=100):
    return [mean + (NOISE if s % 2 == 0 else -NOISE) for s in range(base_seed, base_seed + n)]


def _expected_reps(mean, x, start, cap):
    """Replications the plan must spend at a value of the given mean for target >= x (doubling rule)."""
    n = start
    while True:
        lo, hi = _bounds(_samples(mean, n), 0.95)
        if lo >= x or hi < x or n >= cap:
            return n, ("meets" if lo >= x else "fails" if hi < x else "uncertain")
        n = min(cap, 2 * n)


def test_search_clear_answer():
    cell, calls = _synthetic(lambda v: 0.1 * v, noise=0.01)  # every value decided on the first 5 replications
    res = _plan(cell, list(range(11)), "reply_rate >= 0.45")
    assert res.answer == 5 and res.neighbour == 4 and res.neighbour_verdict == "fails"
    assert res.note.startswith("confirmed")
    # binary search: the top first, then halves: 10, 4, 7, 5 (and nothing else)
    assert [e.value for e in res.tried] == [4, 5, 7, 10]
    assert all(len(e.runs) == 5 for e in res.tried) and res.total_runs == 20 == len(calls)
    # common random numbers: the same seeds at every value
    assert {tuple(e.seeds) for e in res.tried} == {tuple(range(100, 105))}


def test_replications_doubled_only_where_uncertain():
    means = {0: 0.30, 1: 0.40, 2: 0.52, 3: 0.70, 4: 0.90}
    cell, _ = _synthetic(means.__getitem__)
    res = _plan(cell, list(range(5)), "reply_rate >= 0.5", replications_start=5, max_replications=40)
    for e in res.tried:
        n, verdict = _expected_reps(means[e.value], 0.5, 5, 40)
        assert (len(e.runs), e.verdict) == (n, verdict), e.value
    # 0.52 needs more than 5 replications to show it is above 0.5 (recomputed above): it was given them
    assert len(res.evidence[2].runs) > 5 and res.evidence[2].verdict == "meets"
    assert res.answer == 2 and res.neighbour_verdict == "fails"
    assert res.total_runs == sum(len(e.runs) for e in res.tried)


def test_uncertain_at_the_cap_is_reported():
    cell, _ = _synthetic(lambda v: 0.1 * v)
    res = _plan(cell, list(range(11)), "reply_rate >= 0.5", replications_start=4, max_replications=20)
    # at 5 the mean is exactly the target: never decided; 4, 8, 16, then the cap 20
    assert res.evidence[5].verdict == "uncertain" and len(res.evidence[5].runs) == 20
    assert res.answer == 6 and res.neighbour == 5 and res.neighbour_verdict == "uncertain"
    assert "may be smaller" in res.note


def test_unreachable_range_has_no_answer():
    cell, _ = _synthetic(lambda v: 0.1 * v)
    res = _plan(cell, list(range(5)), "reply_rate >= 0.9")
    assert res.answer is None and [e.value for e in res.tried] == [4]  # the best end fails: done
    assert "no value in the range" in res.note


def test_maximize():
    cell, _ = _synthetic(lambda v: 1.0 - 0.1 * v)  # falls as the parameter rises
    res = _plan(cell, list(range(11)), "reply_rate >= 0.45", goal="maximize")
    assert res.answer == 5 and res.neighbour == 6 and res.neighbour_verdict == "fails"


def test_all_targets_must_hold():
    def cell(job):
        noise = NOISE if job.seed % 2 == 0 else -NOISE
        return {"reply_rate": 0.1 * job.value + noise, "desk_wait_minutes_mean": 10 - job.value + noise}
    res = plan_search("unused.yaml", None, "synthetic", "x", list(range(11)),
                      [parse_target("reply_rate >= 0.25"), parse_target("desk_wait_minutes_mean <= 3.5")],
                      cell=cell, base_seed=100)
    assert res.answer == 7  # reply rate alone: 3; waiting alone: 7


def test_candidate_values():
    sc, _, _ = load_run_inputs(SHORT)
    assert candidate_values(sc, "desk.staff", 3, 7, None, "t") == ("desk.staff", [3, 4, 5, 6, 7])
    assert candidate_values(sc, "desk.staff", 2, 8, 3, "t") == ("desk.staff", [2, 5, 8])
    assert candidate_values(sc, "units.default.no_reply", 0, 0.2, 0.05, "t") == \
        ("units.default.no_reply", [0, 0.05, 0.1, 0.15, 0.2])
    assert candidate_values(sc, "units.default.no_reply", 0, 0.22, 0.1, "t")[1] == [0, 0.1, 0.2]
    with pytest.raises(ParameterError, match="takes whole numbers"):
        candidate_values(sc, "desk.staff", 3, 7, 0.5, "t")
    with pytest.raises(ParameterError, match="give --step"):
        candidate_values(sc, "units.default.no_reply", 0, 0.2, None, "t")
    with pytest.raises(ParameterError, match="at most 10000"):
        candidate_values(sc, "desk.staff", 0, 10_000, None, "t")  # 10,001 values
    assert len(candidate_values(sc, "desk.staff", 1, 10_000, 1, "t")[1]) == 10_000


# --------------------------------------------------------------------------- the command, synthetic cell

@pytest.fixture()
def fake_cell(monkeypatch):
    def cell(job: CellJob) -> dict[str, float | None]:
        noise = 0.01 if job.seed % 2 == 0 else -0.01
        return {"statement_2h_rate": min(1.0, 0.2 * job.value) + noise}
    monkeypatch.setattr(plan_mod, "run_cell", cell)


def test_cli_exit_codes_and_json(fake_cell, capsys):
    args = ["plan", str(SHORT), "--vary", "desk.staff=3..7", "--format", "json"]
    assert main([*args, "--target", "statement_2h_rate >= 0.9"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["answer"] == 5 and doc["neighbour"] == {"value": 4, "verdict": "fails"}
    assert sorted(doc) == sorted(["scenario", "parameter", "goal", "targets", "confidence", "values", "invalid",
                                  "overrides", "base_seed", "replications_start", "max_replications", "answer",
                                  "neighbour", "assumption", "note", "total_runs", "evidence"])
    assert doc["total_runs"] == sum(e["replications"] for e in doc["evidence"])
    assert main([*args, "--target", "statement_2h_rate >= 1.5"]) == 1
    assert json.loads(capsys.readouterr().out)["answer"] is None


def test_cli_invalid_values_reported(fake_cell, capsys):
    assert main(["plan", str(SHORT), "--vary", "desk.staff=1..7", "--target", "statement_2h_rate >= 0.5"]) == 0
    text = capsys.readouterr().out
    assert "answer: desk.staff = 3" in text
    assert "not a valid scenario at desk.staff=1: a desk of 1 cannot be staffed 24 hours" in text
    assert "total runs:" in text


@pytest.mark.parametrize("args,message", [
    (["--vary", "desk.staf=3..7", "--target", "reply_rate >= 0.5"], "desk.staff"),
    (["--vary", "desk.staff=3..7", "--target", "reply_rat >= 0.5"], "reply_rate"),
    (["--vary", "units.default.no_reply=0..0.2", "--target", "reply_rate >= 0.5"], "--step"),
    (["--vary", "desk.staff=1..2", "--target", "reply_rate >= 0.5"], "no value of desk.staff"),
    (["--vary", "desk.staff=3..7", "--target", "reply_rate >= 0.5", "--set", "desk.staff=4"], "both set"),
    (["--vary", "desk.staff=3..7", "--target", "reply_rate >= 0.5", "--max-replications", "3"], "below"),
])
def test_cli_bad_input_exit_2(fake_cell, capsys, args, message):
    assert main(["plan", str(SHORT), *args]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and "Traceback" not in captured.err


def test_the_same_plan_on_dask_as_on_the_local_pool(capsys):
    """Acceptance: the same answer and the same evidence with --executor dask (a LocalCluster of 2 processes)."""
    args = ["plan", str(SHORT), "--vary", "desk.staff=3..5", "--target", "reply_rate >= 0.5", "--format", "json",
            "--replications-start", "2", "--max-replications", "4", "--quiet"]
    assert main([*args, "--executor", "local", "--workers", "2"]) == 0
    local = json.loads(capsys.readouterr().out)
    assert main([*args, "--executor", "dask", "--workers", "2"]) == 0
    dask = json.loads(capsys.readouterr().out)
    assert local["answer"] is not None and dask == local


# --------------------------------------------------------------------------- a real scenario

@pytest.fixture(scope="module")
def busy(tmp_path_factory) -> Path:
    """Five days of short.yaml at 150 posts a day and slow triage, so the desk's size moves the wait."""
    d = tmp_path_factory.mktemp("plan")
    f = d / "busy.yaml"
    f.write_text(f"""kind: scenario
extends: {SHORT}
name: busy
end: 2014-09-29
arrivals: {{posts_per_day: 150}}
desk: {{triage_minutes: {{median: 25, p90: 50}}}}
""", encoding="utf-8")
    return f


def test_plan_equals_exhaustive_sweep(busy, capsys):
    seed, cap = 11, 8
    sc, policy, rules_dir = load_run_inputs(busy)
    means = {}
    for staff in range(3, 9):  # the exhaustive sweep: every value, the maximum replications
        varied = with_overrides(sc, [("desk.staff", staff)])
        waits = [stream_scenario(varied, policy, rules_dir, seed=s).metrics["desk_wait_minutes_mean"]
                 for s in range(seed, seed + cap)]
        means[staff] = statistics.fmean(waits)
    # a threshold half-way across the largest drop in the mean wait: the answer of the sweep is the value below it
    drops = sorted((means[v] - means[v + 1], v + 1) for v in range(3, 8))
    _, first_good = drops[-1]
    threshold = (means[first_good - 1] + means[first_good]) / 2
    expected = min(v for v in means if means[v] <= threshold)
    assert expected == first_good
    rc = main(["plan", str(busy), "--vary", "desk.staff=3..8", "--target",
               f"desk_wait_minutes_mean <= {threshold!r}", "--seed", str(seed), "--replications-start", "4",
               "--max-replications", str(cap), "--format", "json", "--quiet"])
    doc = json.loads(capsys.readouterr().out)
    assert rc == 0 and doc["answer"] == expected, (means, doc)
    for e in doc["evidence"]:  # each value's mean over its replications is the sweep's, over the same seeds
        t = e["targets"][f"desk_wait_minutes_mean <= {threshold:g}"]
        if e["replications"] == cap:
            assert t["mean"] == pytest.approx(means[e["value"]])
