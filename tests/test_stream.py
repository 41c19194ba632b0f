"""Streaming results (simulator/stream.py): each writer and the accumulator against an independent oracle.

- events.csv written as the clock advances equals ``sorted()`` of the same rows (ties in insertion order);
- cases.csv from forms in any order, spilled in tiny runs, equals the rows sorted by case id, and no
  temporary file survives, also when an exception interrupts;
- the accumulator's metrics equal a plain list-based reference (the definitions of docs/metrics.md written
  out over every form, as the in-memory code computed them before streaming), on real runs;
- a run streamed in the model's order (log rows early for the future, cases finished out of order) writes
  the same files, byte for byte, as the in-memory path.
"""

from __future__ import annotations

import csv
import math
import random
import statistics
import tracemalloc
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.metrics import UNROUTED, compute_metrics, quantile, quarter_of, write_run
from simulator.model import COLLECT, CaseRecord, DeskStats, LogRow
from simulator.stream import (
    CasesWriter,
    EventLogWriter,
    IsoMemo,
    RunAccumulator,
    RunSink,
    _ExactSum,
    case_fields,
    event_fields,
    feed_run,
    quantile_counts,
)

from .conftest import DATA, SCENARIOS

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2014, 5, 14, 8, 0, tzinfo=SH)


def _read(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


# -- events.csv ----------------------------------------------------------------------------------------------

# a script of operations obeying the contract: ("add", minutes ahead of the clock, case) or ("advance", minutes)
_ops = st.lists(st.one_of(
    st.tuples(st.just("add"), st.integers(0, 30), st.sampled_from(["C1", "C2", "C3"])),
    st.tuples(st.just("advance"), st.integers(0, 10), st.just("")),
), max_size=80)


@settings(max_examples=150, deadline=None)
@given(ops=_ops)
def test_event_log_streamed_equals_sorted(tmp_path_factory, ops):
    """Whatever the interleaving, the file holds sorted(rows, key=(at, case_id)) — a stable sort, so rows
    with the same time and case keep the order they were added in (the activity names number them)."""
    path = tmp_path_factory.mktemp("ev") / "events.csv"
    clock = T0
    added: list[LogRow] = []
    w = EventLogWriter(path)
    for i, (op, minutes, case) in enumerate(ops):
        if op == "add":
            # times on a coarse grid, so that ties on (at, case_id) are common
            row = LogRow(case, f"a{i}", clock + timedelta(minutes=minutes // 3 * 3), "desk", "", "")
            if i % 3 == 1:  # formatted already (the desk's rows of a single run), in its place among the others
                w.add_formatted(row.at, row.case_id, event_fields(row))
            else:
                w.add(row)
            added.append(row)
        else:
            clock += timedelta(minutes=minutes)
            w.advance(clock)
            # everything before the clock is on disk; only the future waits
            assert w.pending() == sum(1 for r in added if r.at >= clock)
    w.close()
    rows = _read(path)
    expected = sorted(added, key=lambda r: (r.at, r.case_id))
    assert rows[0][:3] == ["case_id", "activity", "timestamp"]
    assert [(r[0], r[1], r[2]) for r in rows[1:]] == [(r.case_id, r.activity, r.at.isoformat()) for r in expected]


def test_event_log_refuses_a_row_for_the_past(tmp_path):
    w = EventLogWriter(tmp_path / "events.csv")
    w.add(LogRow("C1", COLLECT, T0 + timedelta(hours=1), "desk", "", ""))
    w.advance(T0 + timedelta(minutes=30))
    w.add(LogRow("C2", COLLECT, T0 + timedelta(minutes=30), "desk", "", ""))  # at the clock: allowed
    with pytest.raises(ValueError, match="added after advance"):
        w.add(LogRow("C3", COLLECT, T0 + timedelta(minutes=29), "desk", "", ""))
    late = LogRow("C4", COLLECT, T0 + timedelta(minutes=29), "desk", "", "")
    with pytest.raises(ValueError, match="added after advance"):
        w.add_formatted(late.at, late.case_id, event_fields(late))
    w.close()
    assert [r[0] for r in _read(tmp_path / "events.csv")[1:]] == ["C2", "C1"]


# -- cases.csv -----------------------------------------------------------------------------------------------

def _case(i: int, rng: random.Random) -> CaseRecord:
    posted = T0 + timedelta(minutes=rng.randrange(100_000))
    opened = None if rng.random() < 0.2 else posted + timedelta(minutes=12)
    return CaseRecord(f"C{i:07d}", rng.choice(["weibo", "wechat"]), "回龙观", "噪音", posted, opened_at=opened,
                      category="噪音", unit="回龙观镇", true_unit="回龙观镇", escalations=rng.randrange(3),
                      deductions=float(rng.randrange(3)), repost_times=[1.0] * rng.randrange(4),
                      reply_kind=rng.choice(["", "立行立改", 'with "quotes", a comma\nand a newline']))


@pytest.mark.parametrize("run_size", [1, 3, 7, 1000])
def test_cases_writer_sorts_from_any_order_in_tiny_runs(tmp_path, run_size):
    rng = random.Random(run_size)
    cases = [_case(i, rng) for i in range(200)]
    forms = [c for c in cases if c.opened_at is not None]
    shuffled = cases[:]
    rng.shuffle(shuffled)
    w = CasesWriter(tmp_path / "cases.csv", run_size=run_size, fan_in=1000)
    for c in shuffled:
        w.add(c)
    spilled = w.temp_files()
    assert len(spilled) == len(forms) // run_size  # runs of run_size rows went to disk (none merged: fan_in)
    assert all(p.parent == tmp_path and p.exists() for p in spilled)
    w.close()
    rows = _read(tmp_path / "cases.csv")
    assert [r[0] for r in rows[1:]] == sorted(c.case_id for c in forms)
    assert {r[0]: r[14] for r in rows[1:]} == {c.case_id: c.reply_kind for c in forms}  # quoting survives
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cases.csv"], "temporary runs left behind"


@pytest.mark.parametrize("fan_in", [2, 3, 5])
def test_cases_writer_merges_runs_of_a_level_into_the_next(tmp_path, fan_in):
    """Never more than fan_in - 1 runs per level wait (a counter in base fan_in), and the file is the same."""
    rng = random.Random(fan_in)
    cases = [_case(i, rng) for i in range(300)]
    rng.shuffle(cases)
    forms = [c for c in cases if c.opened_at is not None]
    w = CasesWriter(tmp_path / "cases.csv", run_size=2, fan_in=fan_in)
    for i, c in enumerate(cases):
        w.add(c)
        assert len(w.temp_files()) == len(w._levels)
        for level in set(w._levels):
            assert w._levels.count(level) < fan_in, (i, w._levels)
    assert w._levels == sorted(w._levels, reverse=True)
    # the spilled runs as digits of a number in base fan_in: their count is the digit sum of spills
    spills, digits = len(forms) // 2, 0
    while spills:
        digits += spills % fan_in
        spills //= fan_in
    assert len(w.temp_files()) == digits
    w.close()
    one = CasesWriter(tmp_path / "one.csv", run_size=10_000)
    for c in cases:
        one.add(c)
    one.close()
    assert (tmp_path / "cases.csv").read_bytes() == (tmp_path / "one.csv").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cases.csv", "one.csv"], "temporary runs left behind"


def test_cases_writer_leaves_nothing_when_interrupted(tmp_path):
    rng = random.Random(1)
    with pytest.raises(KeyboardInterrupt):
        with CasesWriter(tmp_path / "cases.csv", run_size=5) as w:
            for i in range(50):
                w.add(_case(i, rng))
            assert w.temp_files()
            raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_cases_writer_removes_its_runs_when_the_merge_fails(tmp_path, monkeypatch):
    import simulator.stream as stream

    def broken(*_a, **_k):
        raise OSError("disk full")

    rng = random.Random(2)
    w = CasesWriter(tmp_path / "cases.csv", run_size=4)
    for i in range(40):
        w.add(_case(i, rng))
    monkeypatch.setattr(stream, "write_csv", broken)
    with pytest.raises(OSError, match="disk full"):
        w.close()
    assert list(tmp_path.iterdir()) == []


# -- the arithmetic the accumulator relies on ---------------------------------------------------------------

@given(st.lists(st.integers(0, 40), max_size=60), st.sampled_from([0.0, 0.1, 0.5, 0.9, 0.99, 1.0]))
def test_quantile_of_counts_equals_quantile_of_the_list(values, q):
    counts: dict[int, int] = defaultdict(int)
    for v in values:
        counts[v] += 1
    assert quantile_counts(counts, q) == quantile([float(v) for v in values], q)


@given(st.lists(st.floats(-1e12, 1e12, allow_nan=False), min_size=1, max_size=60), st.randoms())
def test_exact_sum_in_any_order_equals_fsum(values, rnd):
    """statistics.fmean is fsum/n: the running exact sum gives the same float whatever the order."""
    s = _ExactSum()
    order = values[:]
    rnd.shuffle(order)
    for v in order:
        s.add(v)
    assert s.value() == math.fsum(values)
    assert s.value() / s.n == statistics.fmean(values)


# -- the accumulator against the list-based definitions -------------------------------------------------------

def _reference_metrics(run) -> dict:
    """Every form's metric, computed from the full lists as docs/metrics.md defines it (the pre-streaming code)."""
    cal = run.calendar
    forms = [c for c in run.cases if c.opened_at is not None]
    replied = [c for c in forms if c.replied_at is not None]
    on_time = [c for c in replied if c.reply_due is not None and c.replied_at <= c.reply_due]
    hot = [c for c in forms if c.hot_at is not None]
    hot_ok = [c for c in hot if c.statement_at is not None and c.statement_due is not None
              and c.statement_at <= c.statement_due]
    minutes = [(c.statement_at - c.hot_at).total_seconds() / 60 for c in hot if c.statement_at is not None]
    wd = [float(cal.working_days_between(c.opened_at, c.replied_at)) for c in replied]
    issued = [c for c in forms if c.opened_at < run.end]
    ded: dict[str, float] = defaultdict(float)
    for _, unit, points, _r in run.deductions:
        ded[unit or UNROUTED] += points
    per_unit: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for c in forms:
        per_unit[c.unit or UNROUTED][0] += 1
        per_unit[c.unit or UNROUTED][1] += c.replied_at is not None

    def rate(a: int, b: int) -> float | None:
        return None if b == 0 else a / b
    quarters: dict[tuple[str, str], dict] = {}

    def row(q, u):
        return quarters.setdefault((q, u), {"quarter": q, "unit": u, "collected": 0, "forwarded": 0, "replied": 0,
                                            "on_time": 0, "overdue": 0, "supervised": 0, "deductions": 0.0})
    for c in forms:
        r = row(quarter_of(c.opened_at), c.unit or UNROUTED)
        r["collected"] += 1
        r["forwarded"] += 1
        r["replied"] += c.replied_at is not None
        ok = c in on_time
        r["on_time"] += ok
        r["overdue"] += not ok
        r["supervised"] += c.escalations > 0
    for at, unit, points, _r in run.deductions:
        row(quarter_of(at), unit or UNROUTED)["deductions"] += points
    return {
        "forms": len(forms), "replied": len(replied), "reply_rate": rate(len(replied), len(forms)),
        "on_time_rate": rate(len(on_time), len(forms)),
        "reply_rate_as_of": rate(sum(1 for c in issued if c.replied_at is not None and c.replied_at < run.end),
                                 len(issued)),
        "hot_events": len(hot), "statement_2h_rate": rate(len(hot_ok), len(hot)),
        "statement_minutes_median": quantile(minutes, 0.5),
        "reply_working_days_median": quantile(wd, 0.5), "reply_working_days_p90": quantile(wd, 0.9),
        "reminders": sum(c.reminders for c in forms), "escalations": sum(c.escalations for c in forms),
        "follow_ups": sum(c.followups for c in forms), "deductions_total": float(sum(ded.values())),
        "deductions_by_unit": dict(sorted(ded.items())),
        "reply_rate_by_unit": {u: per_unit[u][1] / per_unit[u][0] for u in sorted(per_unit)},
        "accountability_flags": sum(1 for c in forms if c.accountability),
        "misrouting_rate": rate(sum(1 for c in forms if c.true_unit and c.unit != c.true_unit), len(forms)),
        "unrouted_forms": sum(1 for c in forms if not c.unit),
        "misclassification_rate": rate(sum(1 for c in forms if c.category != c.true_category), len(forms)),
        "promises": sum(1 for c in forms if c.promise_due is not None),
        "promises_kept": sum(1 for c in forms if c.promise_kept is True),
        "promises_broken": sum(1 for c in forms if c.promise_kept is False),
        "reply_deadline_calendar_days_mean": statistics.fmean(
            [(c.reply_due - c.opened_at).total_seconds() / 86400 for c in forms if c.reply_due]) if forms else None,
        "backlog_max": max((n for _, n in run.backlog), default=0),
        "quarterly": [quarters[k] for k in sorted(quarters)],
    }


def _rounded(v):
    if isinstance(v, float):
        return round(v, 6)
    if isinstance(v, dict):
        return {k: _rounded(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_rounded(x) for x in v]
    return v


def _run(path: Path, seed: int):
    from simulator import load_run_inputs, run_scenario

    sc, policy, rules = load_run_inputs(path)
    return run_scenario(sc, policy, rules, seed=seed)


@pytest.fixture(scope="module")
def runs():
    return [_run(DATA / "short.yaml", 2014), _run(SCENARIOS / "hot-event-surge.yaml", 3)]


def test_accumulator_equals_the_list_definitions_on_real_runs(runs):
    for result, metrics in runs:
        ref = _rounded(_reference_metrics(result))
        assert ref["forms"] > 50 and ref["replied"] > 0
        assert {k: metrics[k] for k in ref} == ref
        # cases finished in any order give the same metrics (the model finishes them out of id order)
        shuffled = replace(result, cases=random.Random(7).sample(result.cases, len(result.cases)))
        again = compute_metrics(shuffled)
        again["run"].update({k: metrics["run"][k] for k in ("policy", "unit_types", "calendar")})  # runner.py's
        assert again == metrics
    assert any(m["hot_events"] for _, m in runs), "a run with hot events (statement minutes) is covered"


def test_streamed_run_writes_the_same_files_as_the_in_memory_path(runs, tmp_path):
    """The model's order: rows logged early for the future, the clock advanced to the earliest row still to
    come, cases finished in any order, cases.csv spilled in small runs — same bytes as write_run."""
    result, metrics = runs[1]
    write_run(result, metrics, tmp_path / "memory")
    sink = RunSink(result.calendar, result.start, result.end, tmp_path / "stream", cases_run_size=97)
    log = result.log
    floor = [datetime.max.replace(tzinfo=SH)] * (len(log) + 1)  # the earliest time among rows i, i+1, …
    for i in range(len(log) - 1, -1, -1):
        floor[i] = min(floor[i + 1], log[i].at)
    cases = random.Random(3).sample(result.cases, len(result.cases))
    step = max(1, len(log) // len(cases))
    for i, row in enumerate(log):
        sink.advance(floor[i])
        sink.log(row)
        if i % step == 0 and cases:
            sink.case(cases.pop())
    for at, unit, points, reason in result.deductions:
        sink.deduction(at, unit, points, reason)
    for c in cases:
        sink.case(c)
    assert sink.events is not None and sink.events.rows_written > len(log) // 2, "most rows written on the way"
    streamed = sink.finish(scenario_name=result.scenario.name, seed=result.seed, drained_at=result.drained_at,
                           posts=result.posts, desk=result.desk, backlog=result.backlog, intake=result.intake)
    streamed["run"].update({k: metrics["run"][k] for k in ("policy", "unit_types", "calendar")})  # runner.py's
    assert streamed == metrics
    sink.close()
    for name in ("metrics.json", "events.csv", "cases.csv", "backlog.csv", "report-data.json"):
        assert (tmp_path / "stream" / name).read_bytes() == (tmp_path / "memory" / name).read_bytes(), name
    assert sorted(p.name for p in (tmp_path / "stream").iterdir()) == sorted(
        p.name for p in (tmp_path / "memory").iterdir())


def test_report_data_counts_from_the_log_and_the_forms(runs):
    result, _ = runs[0]
    acc = RunAccumulator(result.calendar, result.start, result.end)
    feed_run(result, acc)
    data = acc.report_data()
    assert sum(data.posts_per_day.values()) == sum(1 for r in result.log if r.activity == COLLECT)
    assert sum(data.reply_working_days.values()) == sum(1 for c in result.cases if c.replied_at is not None)
    league: dict[str, dict[str, int]] = {}
    for c in result.cases:
        if c.opened_at is None:
            continue
        u = league.setdefault(c.unit or UNROUTED, {"forms": 0, "replied": 0, "on_time": 0, "supervised": 0})
        u["forms"] += 1
        u["replied"] += c.replied_at is not None
        u["on_time"] += c.replied_at is not None and c.reply_due is not None and c.replied_at <= c.reply_due
        u["supervised"] += c.escalations > 0
    assert data.league == league


def test_accumulator_on_hand_computed_boundaries(policy):
    """Wed 14 May 2014: the 5th working day is Wed 21 May (Thu 15 … Tue 20, no holiday). A reply at its due
    time is on time, a minute later is not; a statement at its due time meets the 2 hours, a minute late not."""
    opened = datetime(2014, 5, 14, 10, 0, tzinfo=SH)
    due = datetime(2014, 5, 21, 17, 30, tzinfo=SH)
    hot = opened + timedelta(minutes=5)
    base = CaseRecord("C0000001", "weibo", "城北", "噪音", opened - timedelta(minutes=20), opened_at=opened,
                      category="噪音", unit="城北街道", true_unit="城北街道", reply_due=due)
    cases = [replace(base, replied_at=due),
             replace(base, case_id="C0000002", replied_at=due + timedelta(minutes=1), escalations=1),
             replace(base, case_id="C0000003", hot_at=hot, statement_due=hot + timedelta(hours=2),
                     statement_at=hot + timedelta(hours=2)),
             replace(base, case_id="C0000004", hot_at=hot, statement_due=hot + timedelta(hours=2),
                     statement_at=hot + timedelta(hours=2, minutes=1), unit=""),
             replace(base, case_id="C0000005", opened_at=None)]  # answered by the desk: not a form
    acc = RunAccumulator(policy.calendar, datetime(2014, 5, 1, tzinfo=SH), datetime(2014, 6, 1, tzinfo=SH))
    for c in reversed(cases):
        acc.add_case(c)
    acc.add_deduction(due + timedelta(minutes=1), "城北街道", 2.0)
    m = acc.finish(scenario_name="hand", seed=1, drained_at=due, posts=5, desk=DeskStats(), backlog=[],
                   intake={})
    assert (m["forms"], m["replied"], m["hot_events"]) == (4, 2, 2)
    assert m["on_time_rate"] == 0.25 and m["reply_rate"] == 0.5 and m["statement_2h_rate"] == 0.5
    assert m["reply_working_days_median"] == 5.0 and m["statement_minutes_median"] == 120.5
    assert m["unrouted_forms"] == 1 and m["misrouting_rate"] == 0.25
    assert m["reply_rate_by_unit"] == {"城北街道": round(2 / 3, 6), UNROUTED: 0.0}
    assert m["quarterly"] == [
        {"quarter": "2014Q2", "unit": "城北街道", "collected": 3, "forwarded": 3, "replied": 2, "on_time": 1,
         "overdue": 2, "supervised": 1, "deductions": 2.0},
        {"quarter": "2014Q2", "unit": UNROUTED, "collected": 1, "forwarded": 1, "replied": 0, "on_time": 0,
         "overdue": 1, "supervised": 0, "deductions": 0.0}]


def test_accumulator_memory_does_not_grow_with_forms(runs):
    """Flat memory: 40,000 more forms (none hot) add next to nothing to what the accumulator keeps."""
    result, _ = runs[0]
    template = next(c for c in result.cases if c.replied_at is not None and c.reply_due is not None)
    acc = RunAccumulator(result.calendar, result.start, result.end)

    def feed(n: int, first: int) -> None:
        for i in range(first, first + n):
            acc.add_case(replace(template, case_id=f"X{i}", escalations=i % 2, hot_at=None))
    feed(2_000, 0)  # the counters' first keys and histogram bins exist
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        feed(40_000, 2_000)
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    grown = sum(s.size_diff for s in after.compare_to(before, "filename")
                if s.traceback[0].filename.endswith("stream.py"))
    assert acc.c.forms == 42_000
    assert grown < 4_000, f"accumulator grew {grown} bytes for 40,000 forms"


# -- row formatting: the remembered times and the written-out fields --------------------------------------------


def test_iso_memo_prints_what_isoformat_prints():
    """Equal times in other zones, and the two sides of a fall-back hour (equal, same hash, other offset),
    print differently: the memo never answers one with the other's text, full or not."""
    ny = ZoneInfo("America/New_York")
    utc8 = timezone(timedelta(hours=8))
    pool = [T0, T0.astimezone(UTC), T0.replace(tzinfo=utc8), T0.astimezone(ny),
            T0 + timedelta(days=5, hours=9, minutes=30), datetime(2014, 11, 2, 1, 30, tzinfo=ny),
            datetime(2014, 11, 2, 1, 30, fold=1, tzinfo=ny), datetime(2014, 5, 14, 0, 0, 0, 1, tzinfo=UTC)]
    assert pool[0] == pool[1] == pool[2] == pool[3] and pool[5] == pool[6]  # the traps are real
    assert pool[5].isoformat() != pool[6].isoformat()
    rng = random.Random(3)
    for size in (1, 3, 100):
        memo = IsoMemo(size)
        for _ in range(2_000):
            v = rng.choice(pool)
            assert memo(v) == v.isoformat(), (size, v)
        assert len(memo._memo) <= size


def test_event_and_case_fields_written_out():
    """Hand-written rows: times as isoformat, numbers as str, absent values as empty fields."""
    due, remind = T0 + timedelta(days=7, hours=9, minutes=30), T0 + timedelta(days=5, hours=9, minutes=30)
    full = LogRow("C0000001", "设定时限", T0, "policy", "城北街道", "噪音", rule="reply", deadline="reply", due=due,
                  remind_at=remind, points=1.5, reposts=120, merged_post="C0000002")
    assert event_fields(full) == event_fields(full, T0.isoformat(), IsoMemo()) == (
        "C0000001", "设定时限", "2014-05-14T08:00:00+08:00", "policy", "城北街道", "噪音", "reply", "reply",
        "2014-05-21T17:30:00+08:00", "2014-05-19T17:30:00+08:00", "1.5", "120", "C0000002")
    bare = LogRow("C0000001", COLLECT, T0, "desk", "", "")
    assert event_fields(bare, "x") == ("C0000001", COLLECT, "x", "desk", "", "", "", "", "", "", "", "", "")
    rec = CaseRecord("C0000001", "weibo", "回龙观", "噪音", T0 - timedelta(minutes=20), opened_at=T0, category="噪音",
                     unit="回龙观地区", true_unit="回龙观地区", hot_at=T0 + timedelta(hours=1),
                     statement_at=T0 + timedelta(hours=2), statement_due=T0 + timedelta(hours=3), reply_due=due,
                     replied_at=remind, reply_kind="近期解决", escalations=1, reminders=2, followups=3, deductions=0.5,
                     accountability=True, repost_times=(1.0, 2.0), merged_posts=4, promise_due=due, promise_kept=False)
    expected = ("C0000001", "weibo", "回龙观", "噪音", "噪音", "回龙观地区", "回龙观地区", "2014-05-14T07:40:00+08:00",
                "2014-05-14T08:00:00+08:00", "2014-05-14T09:00:00+08:00", "2014-05-14T10:00:00+08:00",
                "2014-05-14T11:00:00+08:00", "2014-05-21T17:30:00+08:00", "2014-05-19T17:30:00+08:00", "近期解决",
                1, 3, 0.5, 4, 2, 2, 1, "2014-05-21T17:30:00+08:00", 0)
    assert case_fields(rec) == case_fields(rec, IsoMemo()) == expected
    bare_rec = CaseRecord("C0000002", "wechat", "回龙观", "噪音", T0)
    assert case_fields(bare_rec) == ("C0000002", "wechat", "回龙观", "噪音", "", "", "", "2014-05-14T08:00:00+08:00",
                                     "", "", "", "", "", "", "", 0, 0, 0.0, 0, 0, 0, 0, "", "")


@pytest.mark.parametrize("batch", [1, 3, 1024])
def test_event_log_written_in_batches_equals_sorted(tmp_path, monkeypatch, batch):
    """Rows the clock passed are written ``BATCH`` at a time: the same file as ``sorted()`` of the rows,
    every row counted once (written or waiting), and nothing accepted for writing after close."""
    monkeypatch.setattr(EventLogWriter, "BATCH", batch)
    rng = random.Random(batch)
    path = tmp_path / "events.csv"
    w = EventLogWriter(path)
    clock, added = T0, []
    for i in range(3_000):
        if rng.random() < 0.7:
            row = LogRow(rng.choice(["C1", "C2", "C3"]), f"a{i}", clock + timedelta(minutes=rng.randrange(0, 40) // 3 * 3),
                         "desk", "", "", due=rng.choice([None, T0 + timedelta(days=7)]))
            w.add(row)
            added.append(row)
        else:
            clock += timedelta(minutes=rng.randrange(0, 10))
            w.advance(clock)
        assert w.rows_written + w.pending() == len(added)
        assert w.pending() == sum(1 for r in added if r.at >= clock)
    w.close()
    assert w.rows_written == len(added) and w.pending() == 0
    expected = sorted(added, key=lambda r: (r.at, r.case_id))
    assert [tuple(r) for r in _read(path)[1:]] == [event_fields(r) for r in expected]
    w.add(LogRow("C9", "late", clock + timedelta(days=1), "desk", "", ""))
    with pytest.raises(ValueError, match="closed"):
        w.advance(clock + timedelta(days=2))
