"""Every metric of every shipped scenario, recomputed by an independent oracle from the exported files.

The oracle (tests/oracle/metrics_oracle.py) is written from docs/metrics.md alone and reads only
what a run exports (events.csv, cases.csv, backlog.csv) plus the scenario and the rules'
calendar and deadlines.  Each scenario runs once with ``--replications N`` through the public
CLI (replication i uses seed + i); each replication's metrics.json must equal the oracle's
values after the documented rounding.

Seeds: ``WENZHENG_ORACLE_SEEDS`` (default 3; 5 takes about twice as long).  megacity-day only
with ``WENZHENG_ORACLE_MEGACITY=1`` (60,000 posts: too slow for every run of the suite).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.oracle.metrics_oracle import (
    NOT_IN_EXPORT,
    Calendar,
    Oracle,
    comparisons,
    diff,
    quantile,
    recompute,
    summary,
)

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
SEEDS = int(os.environ.get("WENZHENG_ORACLE_SEEDS", "3"))
NAMES = [
    "changping-2014",
    "golden-week-2014",
    "apec-2014",
    "hot-event-surge",
    "understaffed-desk",
    "silent-bureau",
]
if os.environ.get("WENZHENG_ORACLE_MEGACITY"):
    NAMES.append("megacity-day")

COMPARED = [
    *(
        "posts forms answered_by_desk replied reply_rate on_time_rate hot_events statement_2h_rate "
        "statement_minutes_median reply_working_days_median reply_working_days_p90 reminders "
        "escalations follow_ups deductions_total misrouting_rate unrouted_forms "
        "misclassification_rate backlog_max reply_deadline_calendar_days_mean merged_posts "
        "payloads_accepted promises promises_kept promises_broken deductions_by_unit "
        "accountability_flags payloads_rejected payloads_duplicate payloads_rejected_by_reason "
        "desk_wait_minutes_mean desk_wait_minutes_p90 desk_utilisation desk_utilisation_by_rota_line "
        "reply_rate_by_unit quarterly.rows quarterly.collected quarterly.forwarded quarterly.replied "
        "quarterly.on_time quarterly.overdue quarterly.supervised quarterly.deductions run.period run.policy "
        "run.drained_at>=last_event backlog.csv"
    ).split()
]


def _scenario_seed(name: str) -> int:
    for line in (SCENARIOS / "changping-2014.yaml").read_text(encoding="utf-8").splitlines():
        if line.startswith("seed:"):
            base = int(line.split(":")[1])
    for line in (SCENARIOS / f"{name}.yaml").read_text(encoding="utf-8").splitlines():
        if line.startswith("seed:"):
            base = int(line.split(":")[1])
    return base


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple[Oracle, dict[str, Any], Path]]]:
    """name → per replication: (oracle, the run's metrics.json, its folder)."""
    out: dict[str, list[tuple[Oracle, dict[str, Any], Path]]] = {}
    for name in NAMES:
        folder = tmp_path_factory.mktemp(name)
        cmd = [
            sys.executable, "-m", "wenzheng", "run", str(SCENARIOS / f"{name}.yaml"),
            "--replications", str(SEEDS), "--workers", "2", "--out", str(folder),
        ]  # fmt: skip
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        assert done.returncode == 0, done.stderr[-2000:]
        base = _scenario_seed(name)
        reps = []
        for i in range(SEEDS):
            rep = folder / f"{i:03d}"
            metrics = json.loads((rep / "metrics.json").read_text(encoding="utf-8"))
            oracle = recompute(rep, SCENARIOS / f"{name}.yaml", base + i)
            reps.append((oracle, metrics, rep))
        out[name] = reps
        out[f"{name}/summary"] = [(reps[0][0], json.loads((folder / "metrics.json").read_text()), folder)]
    return out


def _backlog_csv(oracle: Oracle, rep: Path) -> tuple[Any, Any]:
    """backlog.csv row d = open forms at the end of day d (regression: rows carried the next day's date)."""
    with (rep / "backlog.csv").open(encoding="utf-8", newline="") as f:
        theirs = {r["date"]: int(r["open_forms"]) for r in csv.DictReader(f)}
    ends = oracle.metrics["_backlog_by_day"]
    mine = {d: n for d, n in ends.items() if d in theirs}
    assert len(mine) == len(theirs), "every backlog.csv row is a day the oracle counts"
    return mine, theirs


@pytest.mark.parametrize("comparison", COMPARED)
@pytest.mark.parametrize("name", NAMES)
def test_metric_equals_oracle(runs, name: str, comparison: str) -> None:
    problems = []
    for oracle, metrics, rep in runs[name]:
        if comparison == "backlog.csv":
            mine, theirs = _backlog_csv(oracle, rep)
        else:
            compared = comparisons(oracle, metrics)
            if comparison not in compared:
                pytest.skip(oracle.unverifiable.get(comparison, "not comparable"))
            mine, theirs = compared[comparison]
        if mine != theirs:
            problems.append(f"seed {metrics['run']['seed']}: {diff(mine, theirs)}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", NAMES)
def test_exported_files_agree(runs, name: str) -> None:
    """cases.csv agrees with the log (deductions booked, reply deadlines as the calendar gives them)."""
    for oracle, _metrics, _rep in runs[name]:
        assert oracle.problems == []


def test_what_the_export_cannot_check() -> None:
    """The metrics the oracle cannot recompute from the export: a change here is a docs change too."""
    assert set(NOT_IN_EXPORT) == set()  # 开始研判, 问责, 载荷拒收 / 重复投递 and 扣分 points closed the gaps


# The oracle's own building blocks, against hand-computed answers.


def test_oracle_calendar_known_answers() -> None:
    cal = Calendar.load(ROOT / "rules")
    tz = dt.timezone(dt.timedelta(hours=8))
    # National Day 2014: 1-7 Oct off, Sat 11 Oct a make-up working day (README example).
    assert cal.add_working_days(dt.datetime(2014, 9, 30, 16, tzinfo=tz), 5) == dt.datetime(
        2014, 10, 13, 17, 30, tzinfo=tz
    )
    # APEC (local calendar.yaml): 7, 10, 11, 12 Nov off; Sun 2 and Sat 15 Nov worked.
    # From Thu 6 Nov: 13 (1), 14 (2), Sat 15 (3).
    assert cal.add_working_days(dt.datetime(2014, 11, 6, 9, tzinfo=tz), 3) == dt.datetime(
        2014, 11, 15, 17, 30, tzinfo=tz
    )
    assert cal.working_days_between(dt.date(2014, 11, 1), dt.date(2014, 11, 2)) == 1
    assert cal.working_days_between(dt.date(2014, 4, 1), dt.date(2014, 4, 1)) == 0


def test_oracle_quantile_known_answers() -> None:
    assert quantile([1, 2, 3, 4], 0.5) == 2.5
    assert quantile([0, 10], 0.9) == 9.0
    assert quantile([5], 0.9) == 5
    assert quantile([], 0.5) is None


def _summaries(runs, name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    reps = [json.loads((rep / "metrics.json").read_text(encoding="utf-8")) for _, _, rep in runs[name]]
    _, top, folder = runs[f"{name}/summary"][0]
    assert json.loads((folder / "replications.json").read_text(encoding="utf-8")) == reps
    return summary(reps), top


@pytest.mark.parametrize("name", NAMES)
def test_replication_means_equal_oracle(runs, name: str) -> None:
    """metrics.json of a replicated run: each scalar is the mean over replications.json."""
    mine, top = _summaries(runs, name)
    assert top["seeds"] == [_scenario_seed(name) + i for i in range(SEEDS)]
    diffs = {k: (v, top.get(k)) for k, v in mine.items() if k != "ci95" and top.get(k) != v}
    assert not diffs


@pytest.mark.parametrize("name", NAMES)
def test_replication_ci95_equals_student_t(runs, name: str) -> None:
    """metrics.json's ci95 is the Student-t interval (scipy's t quantile, n - 1 degrees of freedom)."""
    mine, top = _summaries(runs, name)
    diffs = {k: (v, top["ci95"].get(k)) for k, v in mine["ci95"].items() if top["ci95"].get(k) != v}
    assert not diffs


@pytest.mark.parametrize("name", NAMES)
def test_replication_ci95_within_table_precision(runs, name: str) -> None:
    """The CI's half-width is t(0.975, n - 1)·s/√n to the t table's precision (catches a wrong df)."""
    mine, top = _summaries(runs, name)
    assert set(top["ci95"]) == set(mine["ci95"])
    for k, (lo, hi) in mine["ci95"].items():
        their_lo, their_hi = top["ci95"][k]
        half, their_half = (hi - lo) / 2, (their_hi - their_lo) / 2
        assert their_half == pytest.approx(half, rel=2e-4, abs=2e-6), k
