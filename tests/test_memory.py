"""Memory of a streaming run: a form leaves memory when nothing can change it any more, and the compact
way it is held while open changes no byte of the results.

- The timers (``simulator.model._Timer``: slotted queue entries with a shared callback and a method with
  arguments) give the same files as the SimPy ``Timeout`` with a closure per timer they replaced (kept
  below as the peer).
- At a point in the middle of a run and after it, model and engine hold exactly the forms still open;
  after a streaming run no ``CaseRecord`` or ``CaseState`` is alive at all.
"""

from __future__ import annotations

import gc
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from engine.engine import CaseState
from simulator import load_run_inputs
from simulator.model import CaseRecord, Simulation
from simulator.params import with_overrides
from simulator.runner import stream_scenario
from simulator.stream import RunSink

FILES = ("metrics.json", "events.csv", "cases.csv", "backlog.csv", "report-data.json")


def _closure_schedule(self: Simulation, at: datetime, action: Any, rec: CaseRecord, tag: Any = None,
                      args: tuple[Any, ...] = ()) -> None:
    """The timer as it was: a SimPy Timeout, a closure per timer, (event, minute, tag) kept to cancel it."""
    self._pending += 1
    rec.timers += 1

    def fire(_event: Any) -> None:
        self._pending -= 1
        action(*args)
        rec.timers -= 1
        if rec.timers == 0 and rec.replied_at is not None:
            self._case_finished(rec)
        self._maybe_done()

    delay = self._delay_until(at)
    event = self.env.timeout(delay)
    event.callbacks.append(fire)
    if tag is not None and self._cancel_timers:
        if rec.cancellable is None:
            rec.cancellable = []
        rec.cancellable.append((event, self.env.now + delay, tag))  # type: ignore[arg-type]


def _closure_cancel(self: Simulation, rec: CaseRecord, cancel: Any) -> None:
    if not rec.cancellable:
        return
    keep = []
    for event, at, tag in rec.cancellable:  # type: ignore[misc]
        if event.callbacks is None:
            continue
        if cancel(tag):
            event.callbacks.clear()
            self._pending -= 1
            rec.timers -= 1
            if at > self._alive_until:
                self._alive_until = at
        else:
            keep.append((event, at, tag))
    rec.cancellable = keep or None  # type: ignore[assignment]


def _inputs(scenario: str) -> tuple[Any, Any, Path]:
    sc, policy, rules_dir = load_run_inputs(f"scenarios/{scenario}.yaml")
    if scenario == "changping-2014":
        sc = with_overrides(sc, [("end", "2014-07-31")])
    return sc, policy, rules_dir


@pytest.mark.parametrize(("scenario", "seed"), [("changping-2014", 7), ("hot-event-surge", 3)])
def test_compact_timers_write_the_same_files_as_timeouts_with_closures(scenario: str, seed: int, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    sc, policy, rules_dir = _inputs(scenario)
    compact = stream_scenario(sc, policy, rules_dir, seed=seed, out_dir=tmp_path / "compact")
    monkeypatch.setattr(Simulation, "_schedule", _closure_schedule)
    monkeypatch.setattr(Simulation, "_cancel", _closure_cancel)
    peer = stream_scenario(sc, policy, rules_dir, seed=seed, out_dir=tmp_path / "closures")
    assert compact.metrics == peer.metrics
    assert compact.metrics["forms"] > 100 and compact.metrics["escalations"] + compact.metrics["reminders"] > 0
    for name in FILES:
        assert (tmp_path / "compact" / name).read_bytes() == (tmp_path / "closures" / name).read_bytes(), name


def _alive(cls: type) -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if type(o) is cls)


def _checked_run(tmp_path: Path) -> None:
    """A streaming changping run, checked at every simulated midnight (see below)."""
    sc, policy, _ = _inputs("changping-2014")
    sim = Simulation(sc, policy, seed=7)
    sink = RunSink(policy.calendar, sim.t0, sim.t_end, out_dir=tmp_path)
    sim.stream_to(sink)
    finished: list[str] = []
    hand_over = sim._hand_over

    def counted(rec: CaseRecord) -> None:
        finished.append(rec.case_id)
        hand_over(rec)

    sim._finish = counted
    checks: list[int] = []

    def check(_fraction: float) -> None:  # at every simulated midnight, and once after the run
        held = sim.cases
        assert set(sim.engine.cases) == set(held)
        assert all(r.replied_at is None or r.timers > 0 for r in held.values())
        by_problem = [r for same in sim._open_by_problem.values() for r in same.values()]
        assert all(held.get(r.case_id) is r for r in by_problem), "a finished form kept by the desk's lists"
        assert not set(finished) & set(held)
        if len(checks) % 10 == 5:  # objects from before the run are frozen (Simulation.run: gc.freeze), unlisted
            assert _alive(CaseState) == len(held)
        checks.append(len(held))

    sim.progress = check
    try:
        result = sim.run()
    finally:
        sim.engine.close()
    assert len(checks) > 20 and max(checks) > 50, "forms were held and let go while the run went"
    assert len(finished) > 0.9 * sink.acc.c.forms, "most forms left memory before the end"
    assert sim.cases == {} and sim.engine.cases == {} and result.cases == []


def test_model_and_engine_hold_exactly_the_open_forms(tmp_path: Path) -> None:
    """Mid-run: every form held is unanswered or has a timer left, model and engine hold the same forms, and
    nothing else keeps a form (the desk's per-problem lists only hold forms still held).  After the run:
    nothing is held, and no CaseRecord or CaseState object of the run is alive."""
    records, states = _alive(CaseRecord), _alive(CaseState)  # other tests' results may still be alive
    _checked_run(tmp_path)
    assert _alive(CaseRecord) == records
    assert _alive(CaseState) == states


def _left_for_the_collector(sc: Any, policy: Any) -> tuple[int, int]:
    """(objects only the cyclic collector can free after a streaming run, the run still held: its memos are not
    garbage; the posts)."""
    gc.collect()
    before = sum(g["collected"] for g in gc.get_stats())  # the collector may run as soon as it is back
    sim = Simulation(sc, policy, seed=3)
    sim.stream_to(RunSink(policy.calendar, sim.t0, sim.t_end))
    try:
        result = sim.run()
        assert gc.isenabled()  # the run gives the collector back as it found it
        gc.collect()
        return sum(g["collected"] for g in gc.get_stats()) - before, result.posts
    finally:
        sim.engine.close()


@pytest.mark.parametrize("overrides", [[], [("units.default.capacity", 1)]])
def test_a_run_makes_no_reference_cycle_a_post(overrides: list[tuple[str, Any]]) -> None:
    """A run that nothing observes runs without the cyclic collector (``Simulation.run``): then no form, post or
    timer may leave a reference cycle behind, or a long run would keep all of them.  Oracle: what is left
    for the collector after the run does not grow with the run (ten times the posts, a cycle a form would
    leave thousands more objects); a unit's capacity puts a SimPy process in every form."""
    sc, policy, _ = load_run_inputs("scenarios/changping-2014.yaml")
    sc = with_overrides(sc, overrides)
    assert gc.isenabled()
    small, posts_small = _left_for_the_collector(sc, policy)
    big, posts_big = _left_for_the_collector(with_overrides(sc, [("arrivals.posts_per_day", 66)]), policy)
    assert gc.isenabled()
    assert posts_big - posts_small > 10_000
    assert big - small < 0.01 * (posts_big - posts_small), (small, big)


def test_a_run_that_calls_other_code_keeps_the_collector() -> None:
    """A tap (or ``on_event``) calls code the model does not know: such a run keeps the cyclic collector."""
    sc, policy, _ = load_run_inputs("scenarios/changping-2014.yaml")
    seen: list[bool] = []
    sim = Simulation(sc, policy, seed=3, tap=lambda *_: seen.append(gc.isenabled()))
    try:
        sim.run()
    finally:
        sim.engine.close()
    assert len(seen) > 100 and all(seen) and gc.isenabled()
