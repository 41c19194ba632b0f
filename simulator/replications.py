"""Replications of one scenario, serial or on a process pool.

Replication ``i`` uses seed ``scenario.seed + i``: transparent, and any one
replication can be rerun alone with ``--seed``.  Each replication runs in
isolation (its own engine, RNG streams and Faker), so a process pool gives the
same numbers as a serial run.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from .params import overrides_record, with_overrides
from .pool import map_in_order, usable_cpus
from .runner import RESIDENT_FORMS, load_run_inputs, stream_scenario
from .stats import mean_ci

__all__ = ["run_replications", "run_replications_then", "summarise", "default_workers", "SCALAR_METRICS"]

SCALAR_METRICS = (
    "posts", "forms", "answered_by_desk", "replied", "reply_rate", "reply_rate_as_of", "on_time_rate", "hot_events",
    "statement_2h_rate", "statement_minutes_median", "reply_working_days_median", "reply_working_days_p90",
    "reminders", "escalations", "follow_ups", "deductions_total", "accountability_flags", "misrouting_rate", "unrouted_forms",
    "misclassification_rate", "desk_utilisation", "desk_wait_minutes_mean", "desk_wait_minutes_p90", "backlog_max",
    "merged_posts", "payloads_accepted", "payloads_rejected", "payloads_duplicate", "promises", "promises_kept",
    "promises_broken", "reply_deadline_calendar_days_mean",
)


T = TypeVar("T")

#: the scenario and policy loaded (and linted) once per process and batch of replications, not once per
#: replication (~0.2 s each); cleared around every batch, so a later batch sees edited files
_LOADED: dict[tuple[str, str | None, bool], Any] = {}


def default_workers(replications: int) -> int:
    """``--workers`` when not given: the CPUs this process may run on, at most one per replication."""
    return max(1, min(usable_cpus(), replications))


_Job = tuple[str, str | None, int, str | None, bool, tuple[tuple[str, Any], ...], Callable[[Path], Any] | None,
             int | None]


def _one(args: _Job) -> tuple[dict[str, Any], Any]:
    scenario_path, rules, seed, out, allow_lint_errors, overrides, then, resident = args
    key = (scenario_path, rules, allow_lint_errors)
    if key not in _LOADED:
        _LOADED.clear()
        _LOADED[key] = load_run_inputs(scenario_path, rules, allow_lint_errors)
    sc, policy, rules_dir = _LOADED[key]
    if overrides:  # --set: the same overrides in every replication, recorded in its metrics.json
        sc = with_overrides(sc, overrides, "--set")
    extra = {"overrides": overrides_record(overrides)} if overrides else None
    # streaming: each replication's files written as it goes (with out), nothing per case kept otherwise
    run = stream_scenario(sc, policy, rules_dir, seed=seed, out_dir=Path(out) if out is not None else None,
                          extra=extra, resident=resident)
    # e.g. the replication's report page, drawn here while the other workers still simulate
    return run.metrics, (then(Path(out)) if then is not None and out is not None else None)


def run_replications(scenario_path: str, rules: str | None, base_seed: int, n: int, workers: int,
                     out: Path | None, progress: Callable[[int], None] | None = None,
                     allow_lint_errors: bool = False,
                     overrides: Sequence[tuple[str, Any]] = (),
                     inputs: tuple[Any, Any, Path] | None = None) -> list[dict[str, Any]]:
    """Run ``n`` replications; with ``out`` (an existing folder) each writes its files into ``out/000``, …

    ``overrides``: ``(path, value)`` pairs set on the scenario in every replication (``--set``).
    ``inputs``: what ``load_run_inputs(scenario_path, rules, allow_lint_errors)`` gives, when the caller
    has loaded it already (without the overrides): not loaded a second time."""
    return [m for m, _ in run_replications_then(scenario_path, rules, base_seed, n, workers, out, None, progress,
                                                allow_lint_errors, overrides, inputs)]


def run_replications_then(scenario_path: str, rules: str | None, base_seed: int, n: int, workers: int,
                          out: Path | None, then: Callable[[Path], T] | None,
                          progress: Callable[[int], None] | None = None, allow_lint_errors: bool = False,
                          overrides: Sequence[tuple[str, Any]] = (),
                          inputs: tuple[Any, Any, Path] | None = None,
                          meanwhile: Callable[[], object] | None = None,
                          resident: int | None = RESIDENT_FORMS) -> list[tuple[dict[str, Any], T | None]]:
    """``run_replications``, and ``then(folder)`` called on each replication's folder right after its files are
    written, in the same worker process: ``(metrics, then's result)`` per replication, in order (the result is
    None without ``out``).  ``then`` must be picklable (a module-level function or a ``functools.partial`` of
    one) and so must what it returns; the simulator knows nothing of what it does (the CLI passes the
    report's page drawing: pipelined with the other replications, no second pool).  ``meanwhile``: this
    process's own work while the workers run (``pool.map_in_order``).  ``resident``: ``stream_scenario``'s."""
    jobs: list[_Job] = [(scenario_path, rules, base_seed + i, str(out / f"{i:03d}") if out is not None else None,
                         allow_lint_errors, tuple(overrides), then, resident) for i in range(n)]
    _LOADED.clear()
    try:
        # loaded once here, before a process pool forks: the workers inherit it instead of each loading it
        _LOADED[(scenario_path, rules, allow_lint_errors)] = \
            inputs if inputs is not None else load_run_inputs(scenario_path, rules, allow_lint_errors)
        return map_in_order(_one, jobs, workers, progress, meanwhile)
    finally:
        _LOADED.clear()


#: metrics that are shares of something: their values, and so their confidence intervals, lie in [0, 1]
RATE_METRICS = frozenset(k for k in SCALAR_METRICS if k.endswith("_rate") or k in ("reply_rate_as_of",
                                                                                   "desk_utilisation"))


def metric_domain(key: str) -> tuple[float, float]:
    """The values a scalar metric can take: [0, 1] for a rate, [0, ∞) for every other (counts, times)."""
    return (0.0, 1.0) if key in RATE_METRICS else (0.0, math.inf)


def summarise(reps: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean and 95% CI of every scalar metric; the per-unit deductions averaged too.

    The t interval is cut to the metric's domain (a rate's at 0 and 100%, a count's at 0): with few
    replications and values near a bound it would otherwise claim rates above 100% or negative counts.
    The true mean lies in the domain, so the cut interval covers it whenever the uncut one does."""
    out: dict[str, Any] = {}
    ci: dict[str, list[float | None]] = {}
    for key in SCALAR_METRICS:
        values = [float(r[key]) for r in reps if r.get(key) is not None]
        if not values:
            out[key] = None
            continue
        m, lo, hi = mean_ci(values)
        floor, ceiling = metric_domain(key)
        lo = None if lo is None else max(lo, floor)
        hi = None if hi is None else min(hi, ceiling)
        out[key] = round(m, 6)
        ci[key] = [round(lo, 6) if lo is not None else None, round(hi, 6) if hi is not None else None]
    units = sorted({u for r in reps for u in r["deductions_by_unit"]})
    out["deductions_by_unit"] = {u: round(sum(r["deductions_by_unit"].get(u, 0.0) for r in reps) / len(reps), 6)
                                 for u in units}
    rate_units = sorted({u for r in reps for u in r.get("reply_rate_by_unit", {})})
    out["reply_rate_by_unit"] = {
        u: round(sum(r["reply_rate_by_unit"][u] for r in reps if u in r["reply_rate_by_unit"])
                 / sum(1 for r in reps if u in r["reply_rate_by_unit"]), 6) for u in rate_units}
    out["ci95"] = ci
    out["replications"] = len(reps)
    out["seeds"] = [r["run"]["seed"] for r in reps]
    out["run"] = {k: v for k, v in reps[0]["run"].items() if k in ("scenario", "policy", "start", "end")}
    return out
