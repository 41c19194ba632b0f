"""The drain in two processes (``simulator.split``, ``Simulation._split_drain``): the same run, byte for byte.

Oracles: the run that drains alone (every file, the intake counts, the backlog, the moment it drained); an
accumulator that saw every form, deduction and row, against two that each saw a part, merged; exact sums
against ``math.fsum``; shares of units worked out by hand; the child's end in every way a run can end.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import random
from pathlib import Path
from typing import Any

import pytest

from simulator.ahead import AheadFailed, second_core
from simulator.metrics import _round
from simulator.model import Simulation
from simulator.runner import load_run_inputs, run_scenario
from simulator.split import PeerSink, share_units
from simulator.stream import RunAccumulator, _ExactSum
from tests.peers import assert_same_files, streamed_run

from .conftest import ROOT


def _inputs(name: str) -> tuple[Any, Any, Path]:
    return load_run_inputs(ROOT / "scenarios" / f"{name}.yaml", None, False)


def _drains(split: bool, least: int = 1, progress: Any = None) -> type[Simulation]:
    """A run that draws ahead (so its desk is in the traffic process and it knows when the posts end) and splits
    its drain (``least``: the fewest forms held for that), or never does."""

    class Drains(Simulation):
        SPLIT_MIN_FORMS = least

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.draw_ahead = True
            self.split_drain = split
            if progress is not None:
                self.progress = lambda share: progress(self, share)

    return Drains


# -- sharing the units out ---------------------------------------------------------------------------------------


def test_units_are_shared_heaviest_first_towards_each_side_s_target() -> None:
    # total 20; half each: a (10) to the child, then b and c to the run (10)
    assert share_units({"a": 10, "b": 6, "c": 4}, 0.5) == {"a"}
    # 0.7 of 20 = 14 for the child: a (10), b to the run (the child is 4 short, the run 6), then c (14)
    assert share_units({"a": 10, "b": 6, "c": 4}, 0.7) == {"a", "c"}
    # ties by name, whatever order the units come in
    assert share_units({"y": 1, "x": 1}, 0.5) == {"x"} == share_units({"x": 1, "y": 1}, 0.5)
    assert share_units({}, 0.5) == frozenset()


def test_every_unit_goes_to_one_side_and_the_sides_are_near_their_targets() -> None:
    rng = random.Random(7)
    for _ in range(200):
        load = {f"u{i}": rng.randint(1, 500) for i in range(rng.randint(2, 40))}
        share = rng.choice([0.3, 0.5, 0.6])
        theirs = share_units(load, share)
        total = sum(load.values())
        their_load = sum(load[u] for u in theirs)
        assert theirs <= load.keys()
        # greedy, heaviest first: each side ends within the heaviest unit of its target
        assert abs(their_load - share * total) <= max(load.values())


# -- metrics counted in two places ------------------------------------------------------------------------------


def test_an_exact_sum_merged_is_the_exact_sum_of_everything() -> None:
    values = [0.1] * 10 + [1e16, 1.0, -1e16, 2.5e-8, 3.3]
    a, b = _ExactSum(), _ExactSum()
    for i, x in enumerate(values):
        (a if i % 3 else b).add(x)
    a.merge(b)
    assert a.value() == math.fsum(values) and a.n == len(values)
    assert sum(values) != math.fsum(values)  # the case where the order of plain sums would show


def test_deduction_points_are_summed_exactly_in_any_order_of_booking() -> None:
    """Points a plain float sum would round differently by order: per unit, per quarter and in total the
    accumulator gives ``math.fsum`` of them, also when two accumulators each booked a part."""
    sc, policy, _ = _inputs("silent-bureau")
    sim = Simulation(sc, policy, seed=1)
    sim.engine.close()
    points = [0.1] * 7 + [1e16, 0.3, -1e16, 0.7]
    assert sum(points) != math.fsum(points)
    rng = random.Random(3)
    one = RunAccumulator(policy.calendar, sim.t0, sim.t_end)
    a, b = RunAccumulator(policy.calendar, sim.t0, sim.t_end), RunAccumulator(policy.calendar, sim.t0, sim.t_end)
    for x in points:
        one.add_deduction(sim.t0, "某街道", x)
    for x in rng.sample(points, len(points)):
        (a if rng.random() < 0.5 else b).add_deduction(sim.t0, "某街道", x)
    a.merge(b)
    for acc in (one, a):
        assert acc.deductions_by_unit == {"某街道": math.fsum(points)}
        assert [r["deductions"] for r in acc.table.rows()] == [math.fsum(points)]
        m = acc.finish(scenario_name="x", seed=1, drained_at=sim.t0, posts=0, desk=sim.desk, backlog=[], intake={})
        assert m["deductions_total"] == _round(math.fsum(points))


def _fed(sc: Any, policy: Any, result: Any, pick: Any) -> RunAccumulator:
    acc = RunAccumulator(policy.calendar, result.start, result.end)
    for i, rec in enumerate(result.cases):
        if pick(i):
            acc.add_case(rec)
    for i, (at, unit, points, reason) in enumerate(result.deductions):
        if pick(i):
            acc.add_deduction(at, unit, points, reason)
    for i, row in enumerate(result.log):
        if pick(i):
            acc.add_log(row)
    return acc


@pytest.mark.parametrize("name, seed", [("silent-bureau", 7), ("hot-event-surge", 3)])
def test_two_accumulators_merged_give_the_metrics_of_one_that_saw_everything(name: str, seed: int) -> None:
    sc, policy, rules_dir = _inputs(name)
    result, _ = run_scenario(sc, policy, rules_dir, seed=seed)
    assert result.deductions and result.cases and any(r.hot_at for r in result.cases)

    def finish(acc: RunAccumulator) -> dict[str, Any]:
        return acc.finish(scenario_name=name, seed=seed, drained_at=result.drained_at, posts=result.posts,
                          desk=result.desk, backlog=result.backlog, intake=result.intake)

    whole = finish(_fed(sc, policy, result, lambda i: True))
    rng = random.Random(1)
    sides = [rng.random() < 0.4 for _ in range(max(len(result.cases), len(result.deductions), len(result.log)))]
    part = _fed(sc, policy, result, lambda i: sides[i])
    part.merge(_fed(sc, policy, result, lambda i: not sides[i]))
    assert finish(part) == whole
    assert part.report_data().to_json() == _fed(sc, policy, result, lambda i: True).report_data().to_json()


def test_an_accumulator_crosses_processes_without_its_calendar() -> None:
    import pickle

    sc, policy, _ = _inputs("silent-bureau")
    sim = Simulation(sc, policy, seed=1)
    acc = RunAccumulator(policy.calendar, sim.t0, sim.t_end)
    sim.engine.close()
    acc.add_deduction(acc.start, "某街道", 0.5)
    back = pickle.loads(pickle.dumps(acc))
    assert back.calendar is None and back.deductions_by_unit == {"某街道": 0.5}


# -- the run split, against the run alone ------------------------------------------------------------------------

needs_fork = pytest.mark.skipif(not second_core(), reason="needs a second core and fork")


@needs_fork
@pytest.mark.parametrize("name, seed", [("changping-2014", 2014), ("silent-bureau", 7), ("understaffed-desk", 5),
                                        ("golden-week-2014", 3), ("megacity-day", 12345)])
def test_a_drain_split_in_two_writes_the_files_of_a_run_draining_alone(name: str, seed: int, tmp_path: Path) -> None:
    sc, policy, rules_dir = _inputs(name)
    alone, _ = streamed_run(_drains(False), sc, policy, rules_dir, seed, tmp_path / "alone")
    cls = _drains(True)
    made: list[Simulation] = []
    init = cls.__init__

    def keep(self: Simulation, *a: Any, **k: Any) -> None:
        init(self, *a, **k)
        made.append(self)

    cls.__init__ = keep  # type: ignore[method-assign]
    split, _ = streamed_run(cls, sc, policy, rules_dir, seed, tmp_path / "split")
    here, there = made[0].split_forms or (0, 0)
    assert here > 0 and there > 0, made[0].split_forms  # both sides drained forms
    assert_same_files(tmp_path / "alone", tmp_path / "split")
    assert split.drained_at == alone.drained_at and split.backlog == alone.backlog
    assert split.updates_intake == alone.updates_intake and split.intake == alone.intake
    assert multiprocessing.active_children() == []


@needs_fork
def test_a_small_drain_an_observed_run_or_the_switch_keep_the_drain_in_one_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sc, policy, rules_dir = _inputs("silent-bureau")
    seen: list[tuple[int, int] | None] = []

    def run(cls: type[Simulation], out: str, **kwargs: Any) -> None:
        class Kept(cls):  # type: ignore[valid-type, misc]
            def run(self) -> Any:
                try:
                    return super().run()
                finally:
                    seen.append(self.split_forms)

        sim = Kept(sc, policy, seed=7, **kwargs)
        from simulator.stream import RunSink

        sim.stream_to(RunSink(policy.calendar, sim.t0, sim.t_end, out_dir=tmp_path / out))
        try:
            sim.run()
        finally:
            sim.engine.close()

    run(_drains(True, least=10**9), "few")
    run(_drains(True), "tapped", tap=lambda *t: None)
    monkeypatch.setenv("WENZHENG_SPLIT", "0")
    run(_drains(True), "switched-off")
    monkeypatch.delenv("WENZHENG_SPLIT")
    run(_drains(True), "split")
    assert seen[:3] == [None, None, None] and seen[3] is not None


@needs_fork
def test_a_failure_in_the_drain_s_second_process_is_raised_in_the_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sc, policy, rules_dir = _inputs("silent-bureau")

    def boom(self: PeerSink, rec: Any) -> None:
        raise RuntimeError("boom in the child")

    monkeypatch.setattr(PeerSink, "case", boom)  # only the child's sink hands over forms this way
    with pytest.raises(AheadFailed, match="boom in the child"):
        streamed_run(_drains(True), sc, policy, rules_dir, 7, tmp_path)
    assert multiprocessing.active_children() == []


@needs_fork
def test_a_second_process_that_vanishes_is_an_error_not_a_short_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sc, policy, rules_dir = _inputs("silent-bureau")

    def vanish(self: PeerSink, now: Any) -> None:
        os._exit(3)

    monkeypatch.setattr(PeerSink, "advance", vanish)
    with pytest.raises(AheadFailed, match="ended early"):
        streamed_run(_drains(True), sc, policy, rules_dir, 7, tmp_path)
    assert multiprocessing.active_children() == []


@needs_fork
def test_a_run_stopped_in_its_split_drain_leaves_no_child(tmp_path: Path) -> None:
    sc, policy, rules_dir = _inputs("silent-bureau")
    stopped = []

    def progress(sim: Simulation, share: float) -> None:
        if sim._peer is not None and not stopped:
            stopped.append(share)
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        streamed_run(_drains(True, progress=progress), sc, policy, rules_dir, 7, tmp_path)
    assert stopped and multiprocessing.active_children() == []
