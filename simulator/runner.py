"""Load a scenario with its policy, run it, and return the metrics."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from engine import Policy
from engine.errors import ScenarioError
from engine.lint import calendar_window_problems, load_checked

from .metrics import compute_metrics, policy_fingerprint
from .model import RunResult, Simulation
from .scenario import Scenario, check_against_policy, load_scenario
from .stream import RunSink

__all__ = ["load_run_inputs", "run_scenario", "stream_scenario", "StreamedRun", "run_record", "RESIDENT_FORMS"]

#: open forms a streaming run keeps in memory by default; beyond them the forms whose next timer is furthest
#: away wait on disk (``Simulation.park_beyond``, docs/performance.md "Memory"): about 5 KB a form, so some
#: 200 MB of forms at most, whatever the length of the run.  A megacity day peaks at about 34,600 open forms
#: (never parks); a week or a month holds several times that.  ``wenzheng run --resident-forms``.
RESIDENT_FORMS = 36_000


def load_run_inputs(scenario_path: str | Path, rules: str | Path | None = None,
                    allow_lint_errors: bool = False) -> tuple[Scenario, Policy, Path]:
    """The validated scenario, its policy (or ``rules`` instead) and the rules directory.

    ``allow_lint_errors``: the CI gate measures a policy whose analysis found errors (see ``load_checked``).
    """
    sc = load_scenario(scenario_path)
    rules_dir = Path(rules) if rules is not None else sc.rules_dir()
    # refused when lint finds errors (unless the gate measures them); warnings ride on the policy
    policy, _ = load_checked(rules_dir, allow_lint_errors)
    if rules is not None and Path(rules).resolve() != sc.rules_dir().resolve():
        # the scenario's own rules stay the reference for who is truly responsible (misrouting)
        sc._reference_rules = sc.rules_dir()
    check_against_policy(sc, set(policy.places), set(policy.categories),
                         {u: s.type for u, s in policy.units.items()})
    problems = calendar_window_problems(policy, sc.start, sc.end, _where(sc, "start"), _where(sc, "end"))
    if problems:  # before simulating, not a year into the run
        raise ScenarioError(problems)
    return sc, policy, rules_dir


def run_record(policy: Policy, start: datetime, drained_at: datetime) -> dict[str, Any]:
    """What the reports need of the policy, recorded in metrics.json ``run`` (a run folder names no rules folder):

    - ``unit_types``: each unit's type (street, town, bureau, office) from units.yaml, for the grouped tables;
    - ``calendar``: the days from the first day of the run to the day draining ended that differ from the
      weekday rule (``holidays``: Monday–Friday off; ``workdays``: Saturday/Sunday worked), and ``through``,
      the last day covered, so that working days can be counted from the files alone.
    """
    cal = policy.calendar
    holidays: list[str] = []
    workdays: list[str] = []
    d = cal.local(start).date()
    last = cal.local(drained_at).date()
    while d <= last and cal.covers(d):
        work = cal.is_workday(d)
        if work != (d.weekday() < 5):
            (workdays if work else holidays).append(d.isoformat())
        d += timedelta(days=1)
    return {"unit_types": {u: s.type for u, s in sorted(policy.units.items())},
            "calendar": {"holidays": holidays, "workdays": workdays, "through": (d - timedelta(days=1)).isoformat()}}


def _where(sc: Scenario, key: str) -> tuple[str, int | None, int | None]:
    """File, line and column of a top-level key: in the scenario or the file it extends that sets it."""
    for doc in sc._docs:
        if isinstance(doc.data, dict) and key in doc.data:
            return (doc.path, *doc.locate([key]))
    return str(sc.path), None, None


def _simulation(scenario: Scenario, policy: Policy, seed: int | None,
                progress: Callable[[float], None] | None) -> Simulation:
    reference_dir = scenario.reference_rules
    reference = Policy.load(reference_dir) if reference_dir is not None else None
    return Simulation(scenario, policy, seed=seed, progress=progress, reference=reference)


def run_scenario(scenario: Scenario, policy: Policy, rules_dir: Path, seed: int | None = None,
                 progress: Callable[[float], None] | None = None) -> tuple[RunResult, dict[str, Any]]:
    """Run in memory: every case and log row is kept (for comparing policies and for tests)."""
    sim = _simulation(scenario, policy, seed, progress)
    try:
        result = sim.run()
    finally:
        sim.engine.close()
    metrics = compute_metrics(result)
    metrics["run"]["policy"] = policy_fingerprint(rules_dir)
    metrics["run"].update(run_record(policy, result.start, result.drained_at))
    return result, metrics


def stream_scenario(scenario: Scenario, policy: Policy, rules_dir: Path, seed: int | None = None,
                    progress: Callable[[float], None] | None = None, out_dir: Path | None = None,
                    report: bool = True, extra: dict[str, Any] | None = None,
                    resident: int | None = RESIDENT_FORMS, ahead: bool = False) -> StreamedRun:
    """Run streaming: events.csv and cases.csv are written as the run goes (with ``out_dir``, an existing or
    creatable folder, then metrics.json, backlog.csv and report-data.json at the end), finished forms leave
    memory, every metric is counted on the way.  Byte-identical files to ``write_run`` on ``run_scenario``'s
    result for the same seed (tested).  Without ``out_dir`` nothing per case is kept: metrics only.
    ``resident``: at most that many open forms in memory, the others parked on disk (in ``out_dir``, else the
    system's temporary folder; an unnamed file, gone when the run ends); None or 0: every open form in memory.
    The files are the same either way (tested).  ``ahead``: draw the traffic in a second process when the
    machine has a second core (``Simulation.draw_ahead``); the files are the same either way (tested)."""
    sim = _simulation(scenario, policy, seed, progress)
    sim.draw_ahead = ahead
    sink = RunSink(policy.calendar, sim.t0, sim.t_end, out_dir=out_dir)
    sim.stream_to(sink)
    if resident:
        sim.park_beyond(resident, str(out_dir) if out_dir is not None else None)
    try:
        try:
            result = sim.run()
        finally:
            sim.engine.close()
        metrics = sink.finish(scenario_name=result.scenario.name, seed=result.seed, drained_at=result.drained_at,
                              posts=result.posts, desk=result.desk, backlog=result.backlog, intake=result.intake)
        metrics["run"]["policy"] = policy_fingerprint(rules_dir)
        metrics["run"].update(run_record(policy, sim.t0, result.drained_at))
        if out_dir is not None:
            sink.close(metrics, extra=extra, report=report)
    except BaseException:
        sink.abort()
        raise
    return StreamedRun(metrics, sink)


@dataclass
class StreamedRun:
    """What a streaming run returns: its metrics, and the sink (its accumulator: what the report draws)."""

    metrics: dict[str, Any]
    sink: RunSink
