"""One-at-a-time sensitivity of the headline rates to the scenario's inputs.

The reply rate landing near the article's 98% is evidence only if it does not
land there whatever the unsourced behaviour inputs are.  This module varies one
scenario parameter at a time (the others stay at the scenario's values) over
K evenly spaced values from LO to HI and runs N replications at each value on
common random numbers: replication ``r`` uses seed ``seed + r`` at every value
of every parameter, so the runs differ only by the parameter.  For each value
it reports the mean and Student-t 95% CI of each metric over the replications,
and per parameter the swing (largest mean − smallest mean).

Jobs are plain data (scenario path, rules, parameter path, value, seed) run by
a pure function, so a process pool gives the same numbers as a serial run.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.errors import Problem, ScenarioError
from engine.lint import calendar_window_problems

from .messages import t
from .params import (
    ParameterError,
    format_path,
    get_value,
    is_integer_parameter,
    parse_path,
    with_overrides,
)
from .pool import map_in_order
from .runner import load_run_inputs, stream_scenario
from .scenario import Scenario, check_against_policy
from .stats import mean_ci

__all__ = ["METRICS", "Factor", "SensitivityResult", "plan_factors", "run_sensitivity", "render_text",
           "render_csv", "render_json"]

#: the metrics reported, in order, with their labels
METRICS: dict[str, str] = {
    "reply_rate": "reply rate",
    "reply_rate_as_of": "reply rate as of end",
    "on_time_rate": "on-time rate",
    "statement_2h_rate": "2-hour compliance",
}


@dataclass(frozen=True)
class Factor:
    """One parameter to vary: its path, range, the scenario's own value and the values to run."""

    path: str
    lo: float
    hi: float
    base: Any
    values: tuple[float | int, ...]


@dataclass
class SensitivityResult:
    scenario: str
    seeds: list[int]
    factors: list[Factor]
    #: per factor path, per value index, per metric: the value in each replication (None: undefined there)
    raw: dict[str, list[dict[str, list[float | None]]]] = field(default_factory=dict)

    def summary(self, path: str, i: int, metric: str) -> dict[str, Any]:
        vals = [v for v in self.raw[path][i][metric] if v is not None]
        if not vals:
            return {"mean": None, "ci95": [None, None], "n": 0}
        m, lo, hi = mean_ci(vals)
        return {"mean": m, "ci95": [lo, hi], "n": len(vals)}

    def swing(self, path: str, metric: str) -> float | None:
        means = [self.summary(path, i, metric)["mean"] for i in range(len(self.raw[path]))]
        defined = [m for m in means if m is not None]
        return max(defined) - min(defined) if defined else None


def _points(lo: float, hi: float, k: int, integer: bool) -> tuple[float | int, ...]:
    """K evenly spaced values from LO to HI, both included (one value when LO = HI)."""
    if lo == hi or k == 1:
        vals = [lo]
    else:
        vals = [lo + (hi - lo) * j / (k - 1) for j in range(k)]
        vals[-1] = hi  # no rounding drift at the top
    out: list[float | int] = []
    for v in vals:
        v = round(v, 12)
        if integer and float(v).is_integer():
            out.append(int(v))
        else:
            out.append(v)
    return tuple(dict.fromkeys(out))


def plan_factors(sc: Scenario, policy: Any, specs: Sequence[tuple[str, float, float]], points: int,
                 origin: Callable[[str, float, float], str] | None = None) -> list[Factor]:
    """Check every parameter and every value it will take before any run (exit 2 early, not an hour in)."""
    factors: list[Factor] = []
    seen: set[str] = set()
    for path, lo, hi in specs:
        where = origin(path, lo, hi) if origin else f"--vary {path}={lo:g}..{hi:g}"
        norm = format_path(parse_path(path, where))
        base = get_value(sc, norm, where)
        if norm in seen:
            raise ParameterError([Problem(where, None, None, t("sens.varied_twice", path=norm), key=norm,
                                          code="parameter")])
        seen.add(norm)
        integer = is_integer_parameter(sc, norm, where)
        values = _points(lo, hi, points, integer)
        fractional = [v for v in values if integer and not isinstance(v, int)]
        if fractional:
            raise ParameterError([Problem(
                where, None, None, t("sens.whole_numbers", path=norm, n=len(values), lo=f"{lo:g}", hi=f"{hi:g}",
                                     bad=f"{fractional[0]:g}"),
                key=norm, code="parameter")])
        for v in values:
            varied = with_overrides(sc, [(norm, v)], where)
            check_against_policy(varied, set(policy.places), set(policy.categories),
                                 {u: s.type for u, s in policy.units.items()})
            problems = calendar_window_problems(policy, varied.start, varied.end, (where, None, None),
                                                (where, None, None))
            if problems:
                raise ScenarioError(problems)
        factors.append(Factor(norm, lo, hi, base, values))
    return factors


def _one(job: tuple[str, str | None, str, float | int, int, tuple[tuple[str, Any], ...]]) -> dict[str, float | None]:
    scenario_path, rules, path, value, seed, overrides = job
    sc, policy, rules_dir = load_run_inputs(scenario_path, rules)
    varied = with_overrides(sc, [*overrides, (path, value)])  # --set first, then the varied parameter
    metrics = stream_scenario(varied, policy, rules_dir, seed=seed).metrics  # metrics only: nothing per case kept
    return {k: (None if metrics.get(k) is None else float(metrics[k])) for k in METRICS}


def run_sensitivity(scenario_path: str, rules: str | None, factors: list[Factor], seeds: list[int],
                    workers: int = 1, progress: Callable[[int], None] | None = None,
                    scenario_name: str = "", overrides: Sequence[tuple[str, Any]] = ()) -> SensitivityResult:
    """Run every factor × value × seed; the same seeds at every value (common random numbers).

    ``overrides``: ``(path, value)`` pairs (``--set``) set on the scenario before the varied parameter."""
    jobs = [(scenario_path, rules, f.path, v, s, tuple(overrides)) for f in factors for v in f.values for s in seeds]
    results: list[dict[str, float | None]] = map_in_order(_one, jobs, workers, progress)
    res = SensitivityResult(scenario_name, list(seeds), factors)
    it = iter(results)
    for f in factors:
        res.raw[f.path] = []
        for _ in f.values:
            per = [next(it) for _ in seeds]
            res.raw[f.path].append({m: [r[m] for r in per] for m in METRICS})
    return res


# --------------------------------------------------------------------------- output

def _fmt_value(v: Any) -> str:
    if v is None:
        return t("sens.unset")
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def _pct(v: float | None, digits: int = 1) -> str:
    return "—" if v is None else f"{100 * v:.{digits}f}%"


def _cell(s: dict[str, Any]) -> str:
    if s["mean"] is None:
        return "—"
    lo, hi = s["ci95"]
    if lo is None:
        return _pct(s["mean"])
    return f"{_pct(s['mean'])} [{100 * lo:.1f}–{100 * hi:.1f}]"


def render_text(res: SensitivityResult) -> str:
    """A Markdown pipe table (readable in a terminal, pasteable into docs): mean [95% CI] per value, then
    the swing in percentage points."""
    # the title opens with a fixed phrase per language: wenzheng recognises a file it wrote by it (cli.py)
    lines = [t("sens.title", scenario=res.scenario, n=len(res.seeds), first=res.seeds[0], last=res.seeds[-1]), ""]
    labels = {"reply_rate": t("sens.m.reply_rate"), "reply_rate_as_of": t("sens.m.reply_rate_as_of"),
              "on_time_rate": t("sens.m.on_time_rate"), "statement_2h_rate": t("sens.m.statement_2h_rate")}
    head = f"| {t('sens.parameter')} | {t('sens.value')} | " + " | ".join(labels.get(m, m) for m in METRICS) + " |"
    lines += [head, "|" + "---|" * (2 + len(METRICS))]
    for f in res.factors:
        for i, v in enumerate(f.values):
            mark = t("sens.scenario_mark") if f.base is not None and isinstance(f.base, int | float) \
                and abs(float(v) - float(f.base)) < 1e-12 else ""
            cells = [_cell(res.summary(f.path, i, m)) for m in METRICS]
            lines.append(f"| `{f.path}` | {_fmt_value(v)}{mark} | " + " | ".join(cells) + " |")
        swings = []
        for m in METRICS:
            s = res.swing(f.path, m)
            swings.append("—" if s is None else f"**{100 * s:.1f} {t('sens.pp')}**")
        lines.append(f"| `{f.path}` | {t('sens.swing', base=_fmt_value(f.base))} | " + " | ".join(swings) + " |")
    return "\n".join(lines) + "\n"


def as_document(res: SensitivityResult) -> dict[str, Any]:
    return {
        "scenario": res.scenario,
        "seeds": res.seeds,
        "metrics": list(METRICS),
        "parameters": [
            {"path": f.path, "range": [f.lo, f.hi], "scenario_value": f.base,
             "points": [
                 {"value": v, **{m: {**res.summary(f.path, i, m), "replications": res.raw[f.path][i][m]}
                                 for m in METRICS}}
                 for i, v in enumerate(f.values)],
             "swing": {m: res.swing(f.path, m) for m in METRICS}}
            for f in res.factors],
    }


def render_json(res: SensitivityResult) -> str:
    return json.dumps(as_document(res), ensure_ascii=False, indent=2) + "\n"


def render_csv(res: SensitivityResult) -> str:
    """Long format: one row per parameter, value and metric."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["parameter", "value", "scenario_value", "metric", "replications", "mean", "ci95_low", "ci95_high",
                "swing"])
    for f in res.factors:
        for i, v in enumerate(f.values):
            for m in METRICS:
                s = res.summary(f.path, i, m)
                w.writerow([f.path, v, "" if f.base is None else f.base, m, s["n"], _num(s["mean"]),
                            _num(s["ci95"][0]), _num(s["ci95"][1]), _num(res.swing(f.path, m))])
    return buf.getvalue()


def _num(v: float | None) -> str:
    return "" if v is None else f"{v:.6f}"
