"""Capacity planning: the smallest (or largest) value of one scenario parameter that meets every target.

"How many duty staff does Golden Week need to keep 2-hour compliance above 95%?" is a search over one
parameter (``desk.staff=1..7``) for the first value whose replications show, with the stated confidence,
that every target holds.  Replications cost time, so they are spent only where the answer is uncertain:

* every value tried starts with ``replications_start`` replications, seeds ``seed, seed+1, …`` — the same
  seeds at every value (common random numbers), so values differ only by the parameter;
* a value *meets* a target when the one-sided bound of the mean is on the right side of it, *fails* when
  the opposite bound is on the wrong side, and is *uncertain* otherwise (:mod:`sweeps.targets`); a value
  meets the plan when it meets every target, fails when it fails one; when it is uncertain its
  replications are doubled (new seeds only) up to ``max_replications``, and a value still undecided there
  is reported as uncertain;
* the search is a binary search over the values, which assumes every target's metric is monotone in the
  parameter (more staff never makes compliance worse); it first checks that the far end of the range
  meets (otherwise no value does: exit 1), and its last step leaves the answer's neighbour evaluated, which
  must fail for the answer to be confirmed (an uncertain neighbour is said so).

Cells are plain data run by a pure function (:func:`run_cell`), through :func:`map_cells`, the one place
that picks the executor.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.errors import Problem, WenzhengError
from engine.i18n import display_width, get_lang, pad
from simulator.labels import metric_label
from simulator.params import (
    ParameterError,
    format_path,
    get_value,
    is_integer_parameter,
    overrides_record,
    parse_path,
    with_overrides,
)
from simulator.scenario import Scenario

from .messages import t
from .targets import Target, Verdict, judge

__all__ = ["CellJob", "ExecutorUnavailable", "PlanResult", "ValueEvidence", "candidate_values", "map_cells",
           "plan_search", "render_json", "render_text", "run_cell"]


class ExecutorUnavailable(WenzhengError):
    """The executor asked for cannot be used here (exit code 2)."""


@dataclass(frozen=True)
class CellJob:
    """One run: the scenario (by path, with its ``--set`` overrides), the parameter at one value, one seed."""

    scenario: str
    rules: str | None
    overrides: tuple[tuple[str, Any], ...]
    path: str
    value: float | int
    seed: int
    #: the scenario and policy as data (``sweeps.tasks.Inputs``): the run needs no shared file system
    inputs: Any = None


def run_cell(job: CellJob) -> dict[str, float | None]:
    """Run one cell and return its scalar metrics (None where a metric is undefined in that run)."""
    from simulator.replications import SCALAR_METRICS
    from simulator.runner import load_run_inputs, stream_scenario

    if job.inputs is not None:  # shipped as data: rebuilt on the worker (sweeps.tasks)
        from sweeps.tasks import RunTask, run_task

        return run_task(RunTask(job.inputs, (*job.overrides, (job.path, job.value)), job.seed))
    sc, policy, rules_dir = load_run_inputs(job.scenario, job.rules)
    varied = with_overrides(sc, [*job.overrides, (job.path, job.value)])
    metrics = stream_scenario(varied, policy, rules_dir, seed=job.seed).metrics  # metrics only
    return {k: (None if metrics.get(k) is None else float(metrics[k])) for k in SCALAR_METRICS}


def map_cells(fn: Callable[[CellJob], dict[str, float | None]], jobs: Sequence[CellJob], executor: str = "local",
              workers: int = 1, scheduler: str | None = None,
              progress: Callable[[int], None] | None = None) -> list[dict[str, float | None]]:
    """``[fn(j) for j in jobs]`` in order on the chosen executor (``sweeps.executors``: serial, a local process
    pool of ``workers``, or Dask)."""
    from sweeps.executors import get_executor

    done = 0

    def on_result(_index: int, _result: Any) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done)

    ex = get_executor(executor, workers, scheduler)
    try:
        return list(ex.map(fn, jobs, on_result))
    finally:
        ex.close()


def candidate_values(sc: Scenario, path: str, lo: float, hi: float, step: float | None,
                     origin: str) -> tuple[str, list[float | int]]:
    """The normalised path and the values LO, LO+STEP, … ≤ HI (STEP 1 for a whole-number parameter)."""
    norm = format_path(parse_path(path, origin))
    get_value(sc, norm, origin)  # an unknown path: did-you-mean, exit 2
    integer = is_integer_parameter(sc, norm, origin)
    if step is None:
        if not integer:
            raise _fail(origin, t("plan.needs_step", path=norm), norm)
        step = 1
    if not (math.isfinite(step) and step > 0):
        raise _fail(origin, t("plan.bad_step", step=f"{step:g}"), norm)
    count = math.floor((hi - lo) / step + 1e-9) + 1
    if count > 10_000:
        raise _fail(origin, t("plan.too_many", count=count, lo=f"{lo:g}", hi=f"{hi:g}", step=f"{step:g}"), norm)
    values: list[float | int] = []
    for i in range(count):
        v = round(lo + i * step, 12)
        if integer:
            if not float(v).is_integer():
                raise _fail(origin, t("plan.whole_numbers", path=norm, lo=f"{lo:g}", step=f"{step:g}", bad=f"{v:g}"), norm)
            values.append(int(v))
        else:
            values.append(v)
    return norm, values


def _fail(origin: str, message: str, key: str) -> ParameterError:
    return ParameterError([Problem(origin, None, None, message, key=key, code="parameter")])


@dataclass
class ValueEvidence:
    """What the plan learnt at one value: the metrics of each replication and the verdicts."""

    value: float | int
    seeds: list[int] = field(default_factory=list)
    runs: list[dict[str, float | None]] = field(default_factory=list)
    verdicts: dict[str, tuple[Verdict, float | None, float | None]] = field(default_factory=dict)
    verdict: Verdict = "uncertain"

    def samples(self, metric: str) -> list[float]:
        return [v for r in self.runs if (v := r.get(metric)) is not None]


@dataclass
class PlanResult:
    scenario: str
    parameter: str
    goal: str  # "minimize" or "maximize"
    targets: list[Target]
    confidence: float
    values: list[float | int]
    invalid: list[tuple[float | int, str]]
    base_seed: int
    replications_start: int
    max_replications: int
    overrides: list[tuple[str, Any]]
    evidence: dict[float | int, ValueEvidence] = field(default_factory=dict)
    answer: float | int | None = None
    neighbour: float | int | None = None
    neighbour_verdict: str | None = None
    note: str = ""

    @property
    def total_runs(self) -> int:
        return sum(len(e.runs) for e in self.evidence.values())

    @property
    def tried(self) -> list[ValueEvidence]:
        return [self.evidence[v] for v in sorted(self.evidence)]


def plan_search(scenario: str, rules: str | None, sc_name: str, parameter: str, values: Sequence[float | int],
                targets: Sequence[Target], *, goal: str = "minimize", confidence: float = 0.95,
                replications_start: int = 5, max_replications: int = 40, base_seed: int = 0,
                overrides: Sequence[tuple[str, Any]] = (), invalid: Sequence[tuple[float | int, str]] = (),
                cell: Callable[[CellJob], dict[str, float | None]] | None = None, executor: str = "local",
                workers: int = 1, scheduler: str | None = None,
                progress: Callable[[int], None] | None = None) -> PlanResult:
    """Search ``values`` (valid ones, ascending) for the smallest (``goal="minimize"``) or largest value
    meeting every target; see the module docstring."""
    if goal not in ("minimize", "maximize"):
        raise ValueError(f"goal must be minimize or maximize, got {goal}")
    if not values:
        raise ValueError("no values to search")
    run = cell if cell is not None else run_cell
    inputs = None
    if cell is None:  # once: every run ships the scenario and policy as data (a test may inject its own cells)
        from sweeps.tasks import collect_inputs

        inputs = collect_inputs(scenario, rules)
    res = PlanResult(sc_name, parameter, goal, list(targets), confidence, list(values), list(invalid), base_seed,
                     replications_start, max_replications, list(overrides))
    runs_done = 0

    def evaluate(v: float | int) -> Verdict:
        nonlocal runs_done
        ev = res.evidence.setdefault(v, ValueEvidence(v))
        want = max(replications_start, len(ev.runs))
        while True:
            if len(ev.runs) < want:
                seeds = list(range(base_seed + len(ev.runs), base_seed + want))
                jobs = [CellJob(scenario, rules, tuple(overrides), parameter, v, s, inputs) for s in seeds]
                got = map_cells(run, jobs, executor, workers, scheduler, _offset(progress, runs_done))
                runs_done += len(got)
                ev.seeds.extend(seeds)
                ev.runs.extend(got)
            ev.verdicts = {str(t): judge(t, ev.samples(t.metric), confidence) for t in targets}
            kinds = [vd for vd, _, _ in ev.verdicts.values()]
            ev.verdict = "fails" if "fails" in kinds else "meets" if all(k == "meets" for k in kinds) \
                else "uncertain"
            if ev.verdict != "uncertain" or len(ev.runs) >= max_replications:
                return ev.verdict
            want = min(max_replications, 2 * len(ev.runs))

    # order the values so that the answer is the *first* that meets: ascending to minimise, descending to maximise
    order = list(values) if goal == "minimize" else list(reversed(values))
    if evaluate(order[-1]) != "meets":
        res.note = t("plan.note_none", parameter=parameter, value=f"{order[-1]:g}",
                     verdict=_verdict(res.evidence[order[-1]].verdict))
        return res
    left, right = -1, len(order) - 1  # invariant: order[right] meets; order[left] does not (or left = -1)
    while right - left > 1:
        mid = (left + right) // 2
        if evaluate(order[mid]) == "meets":
            right = mid
        else:
            left = mid
    res.answer = order[right]
    if left < 0:
        beyond = [v for v, _ in invalid if (v < res.answer if goal == "minimize" else v > res.answer)]
        if beyond:
            values_text = ", ".join(f"{v:g}" for v in beyond)
            res.note = t("plan.note_lowest_valid", values=values_text) if goal == "minimize" else \
                t("plan.note_highest_valid", values=values_text)
        else:
            res.note = t("plan.note_lowest") if goal == "minimize" else t("plan.note_highest")
        return res
    res.neighbour = order[left]
    res.neighbour_verdict = res.evidence[order[left]].verdict
    if res.neighbour_verdict == "fails":
        res.note = t("plan.note_confirmed", parameter=parameter, value=f"{order[left]:g}")
    else:
        n = len(res.evidence[order[left]].runs)
        res.note = t("plan.note_uncertain_min", parameter=parameter, value=f"{order[left]:g}", n=n) \
            if goal == "minimize" else t("plan.note_uncertain_max", parameter=parameter, value=f"{order[left]:g}", n=n)
    return res


def _offset(progress: Callable[[int], None] | None, before: int) -> Callable[[int], None] | None:
    """``progress`` counting runs over the whole plan, not one batch."""
    if progress is None:
        return None
    report = progress
    return lambda n: report(before + n)


# --------------------------------------------------------------------------- output

def _fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:.4g}"


def _verdict(code: str) -> str:
    """A verdict code (meets, fails, uncertain; the JSON keeps the code) in the current language."""
    return {"meets": t("plan.meets"), "fails": t("plan.fails"), "uncertain": t("plan.uncertain")}.get(code, code)


def as_dict(res: PlanResult) -> dict[str, Any]:
    """The result with stable keys (docs/sweeps.md "## plan")."""
    return {
        "scenario": res.scenario,
        "parameter": res.parameter,
        "goal": res.goal,
        "targets": [str(t) for t in res.targets],
        "confidence": res.confidence,
        "values": res.values,
        "invalid": [{"value": v, "reason": why} for v, why in res.invalid],
        "overrides": overrides_record(res.overrides),
        "base_seed": res.base_seed,
        "replications_start": res.replications_start,
        "max_replications": res.max_replications,
        "answer": res.answer,
        "neighbour": None if res.neighbour is None else {"value": res.neighbour, "verdict": res.neighbour_verdict},
        "assumption": "every target's metric is monotone in the parameter (binary search)",
        "note": res.note,
        "total_runs": res.total_runs,
        "evidence": [{
            "value": e.value,
            "replications": len(e.runs),
            "seeds": [e.seeds[0], e.seeds[-1]] if e.seeds else [],
            "verdict": e.verdict,
            "targets": {name: {"metric": t.metric, "n": len(e.samples(t.metric)),
                               "mean": (sum(e.samples(t.metric)) / len(e.samples(t.metric))
                                        if e.samples(t.metric) else None),
                               "lower": e.verdicts[name][1], "upper": e.verdicts[name][2],
                               "verdict": e.verdicts[name][0]}
                        for t in res.targets for name in [str(t)]},
        } for e in res.tried],
    }


def render_json(res: PlanResult) -> str:
    import json

    return json.dumps(as_dict(res), ensure_ascii=False, indent=2) + "\n"


def render_text(res: PlanResult) -> str:
    d = as_dict(res)
    pct = f"{100 * res.confidence:g}%"
    range_text = f"{res.values[0]:g}..{res.values[-1]:g}"
    targets = t("plan.and").join(f"'{tg}'" for tg in res.targets)
    lines = [t("plan.head_min" if res.goal == "minimize" else "plan.head_max", scenario=res.scenario,
               parameter=res.parameter, range=range_text, targets=targets, pct=pct)]
    if res.overrides:
        lines.append(t("plan.with", sets=", ".join(f"{p}={v}" for p, v in res.overrides)))
    if res.answer is not None:
        lines.append(t("plan.answer", parameter=res.parameter, value=f"{res.answer:g}"))
    else:
        lines.append(t("plan.no_answer"))
    lines.append(res.note)
    lines.append(t("plan.search", start=res.replications_start, most=res.max_replications, seed=res.base_seed))
    for v, why in res.invalid:
        lines.append(t("plan.invalid", parameter=res.parameter, value=f"{v:g}", why=why))
    lines.append("")
    lines.append(t("plan.evidence", pct=pct))
    names = [str(tg) for tg in res.targets]
    header = [t("plan.col_value"), t("plan.col_reps"), t("plan.col_verdict")] + [
        str(tg) if get_lang() == "en" else f"{metric_label(tg.metric)}：{tg}" for tg in res.targets]
    rows = [header]
    for e in d["evidence"]:
        cells = [f"{e['value']:g}", str(e["replications"]), _verdict(e["verdict"])]
        for name in names:
            tv = e["targets"][name]
            cells.append(f"{_fmt(tv['mean'])} [{_fmt(tv['lower'])}, {_fmt(tv['upper'])}] {_verdict(tv['verdict'])}")
        rows.append(cells)
    widths = [max(display_width(r[i]) for r in rows) for i in range(len(header))]
    for j, r in enumerate(rows):
        lines.append("  ".join(pad(c, w, right=i < 2) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
                     .rstrip())
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines.append("")
    lines.append(t("plan.total", n=res.total_runs))
    return "\n".join(lines) + "\n"


def check_values(sc: Scenario, policy: Any, parameter: str, values: Sequence[float | int],
                 overrides: Sequence[tuple[str, Any]], origin: str
                 ) -> tuple[list[float | int], list[tuple[float | int, str]]]:
    """Split the values into those the scenario can take and those it cannot (with the schema's reason),
    before any run: ``desk.staff=1`` cannot staff three 8-hour shifts, say."""
    from engine.errors import ScenarioError, SourceError
    from engine.lint import calendar_window_problems
    from simulator.scenario import check_against_policy

    valid: list[float | int] = []
    invalid: list[tuple[float | int, str]] = []
    for v in values:
        try:
            varied = with_overrides(sc, [*overrides, (parameter, v)], origin)
            check_against_policy(varied, set(policy.places), set(policy.categories),
                                 {u: s.type for u, s in policy.units.items()})
            problems = calendar_window_problems(policy, varied.start, varied.end, (origin, None, None),
                                                (origin, None, None))
            if problems:
                raise ScenarioError(problems)
        except SourceError as exc:
            invalid.append((v, "; ".join(p.message for p in exc.problems)))
            continue
        valid.append(v)
    return valid, invalid
