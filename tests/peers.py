"""Helpers for tests that hold a shortcut against its peer: the same streaming run with two Simulation classes,
and a model made without validation against the validated one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from simulator.metrics import policy_fingerprint
from simulator.stream import RunSink

FILES = ("metrics.json", "events.csv", "cases.csv", "backlog.csv")


def streamed_run(cls: type[Any], sc: Any, policy: Any, rules_dir: Any, seed: int,
                 out: Path) -> tuple[Any, tuple[int, int]]:
    """Run ``cls(sc, policy, seed=seed)`` streaming into ``out`` (every result file but the report): the result,
    and the event log's (rows written, rows pending) when the run ended, before the sink wrote the rest."""
    sim = cls(sc, policy, seed=seed)
    sink = RunSink(policy.calendar, sim.t0, sim.t_end, out_dir=out)
    sim.stream_to(sink)
    try:
        result = sim.run()
    finally:
        sim.engine.close()
    assert sink.events is not None
    events = (sink.events.rows_written, sink.events.pending())
    metrics = sink.finish(scenario_name=result.scenario.name, seed=result.seed, drained_at=result.drained_at,
                          posts=result.posts, desk=result.desk, backlog=result.backlog, intake=result.intake)
    metrics["run"]["policy"] = policy_fingerprint(rules_dir)
    sink.close(metrics, report=False)
    return result, events


def assert_same_files(a: Path, b: Path) -> None:
    for name in FILES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def assert_same_model(fast: Any, slow: Any, field: str) -> None:
    """``fast`` (made without validation) is ``slow`` (validated) in every way pydantic shows, and frozen."""
    assert type(fast) is type(slow)
    assert fast == slow
    assert repr(fast) == repr(slow)
    assert fast.model_dump() == slow.model_dump()
    assert fast.model_dump_json() == slow.model_dump_json()
    assert fast.model_fields_set == slow.model_fields_set
    assert fast.model_dump(exclude_unset=True) == slow.model_dump(exclude_unset=True)
    try:
        setattr(fast, field, None)
    except ValidationError:
        return
    raise AssertionError(f"{type(fast).__name__} is not frozen")
