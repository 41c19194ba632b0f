"""Policy A/B: two rule sets on the same traffic and the same behaviour draws.

Both policies run every replication with the same seed.  Because the
simulator draws policy-independent randomness per concern and behaviour per
case (common random numbers), the two runs see identical posts, identical
desk service and identical unit/citizen behaviour for each case: differences
come from the policy alone.  Metrics are compared as paired differences with
95% confidence intervals; cases are compared one by one.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from .replications import SCALAR_METRICS
from .runner import load_run_inputs, run_scenario
from .stats import mean_ci

__all__ = ["compare_policies", "ComparisonResult", "case_summary", "IMPACT_FIELDS"]

IMPACT_FIELDS = ("exists", "category", "unit", "deadline.reply", "deadline.external_statement", "escalation",
                 "deduction", "accountability")


def case_summary(rec: Any) -> dict[str, tuple[str, list[str]]]:
    """field → (value, rules responsible) for one case."""
    out: dict[str, tuple[str, list[str]]] = {"exists": ("form" if rec.opened_at else "no form", [])}
    grouped: dict[str, tuple[list[str], list[str]]] = {}
    for what, value, rule in rec.decisions:
        values, rules = grouped.setdefault(what, ([], []))
        values.append(value)
        rules.append(rule)
    for what, (values, rules) in grouped.items():
        if what == "deduction":
            out[what] = (f"{sum(float(v) for v in values):g}", rules)
        elif what == "escalation":
            out[what] = (", ".join(values), rules)
        else:
            out[what] = (values[-1], rules)
    return out


def _job(args: tuple[str, str, int]) -> tuple[dict[str, Any], dict[str, dict[str, tuple[str, list[str]]]]]:
    scenario, rules, seed = args
    sc, policy, rules_dir = load_run_inputs(scenario, rules)
    result, metrics = run_scenario(sc, policy, rules_dir, seed=seed)
    cases = {c.case_id: case_summary(c) for c in result.cases if c.opened_at is not None}
    return metrics, cases


@dataclass
class ComparisonResult:
    seeds: list[int]
    baseline: list[dict[str, Any]]
    candidate: list[dict[str, Any]]
    diffs: dict[str, dict[str, float | None]] = field(default_factory=dict)
    impacts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def impacted_cases(self) -> int:
        return len(self.impacts)


def compare_policies(scenario: str, rules_a: str, rules_b: str, base_seed: int, n: int, workers: int,
                     progress: Callable[[int], None] | None = None) -> ComparisonResult:
    seeds = [base_seed + i for i in range(n)]
    jobs = [(scenario, r, s) for s in seeds for r in (rules_a, rules_b)]
    outputs: list[Any] = []
    if workers <= 1:
        for job in jobs:
            outputs.append(_job(job))
            if progress:
                progress(len(outputs))
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for item in pool.map(_job, jobs):
                outputs.append(item)
                if progress:
                    progress(len(outputs))
    res = ComparisonResult(seeds, [o[0] for o in outputs[0::2]], [o[0] for o in outputs[1::2]])
    for key in SCALAR_METRICS:
        pairs: list[tuple[float, float]] = [
            (float(a[key]), float(b[key])) for a, b in zip(res.baseline, res.candidate, strict=True)
            if a.get(key) is not None and b.get(key) is not None]
        if not pairs:
            continue
        m, lo, hi = mean_ci([b - a for a, b in pairs])
        res.diffs[key] = {
            "baseline": sum(a for a, _ in pairs) / len(pairs),
            "candidate": sum(b for _, b in pairs) / len(pairs),
            "diff": m, "ci_low": lo, "ci_high": hi,
        }
    for seed, (_, cases_a), (_, cases_b) in zip(seeds, outputs[0::2], outputs[1::2], strict=True):
        for case_id in sorted(set(cases_a) | set(cases_b)):
            a = cases_a.get(case_id, {"exists": ("no form", [])})
            b = cases_b.get(case_id, {"exists": ("no form", [])})
            changed = []
            for f in IMPACT_FIELDS:
                va, ra = a.get(f, ("", []))
                vb, rb = b.get(f, ("", []))
                if va != vb:
                    changed.append({"field": f, "baseline": va, "candidate": vb, "baseline_rules": ra,
                                    "candidate_rules": rb})
            if changed:
                res.impacts.append({"seed": seed, "case_id": case_id, "changes": changed})
    return res
