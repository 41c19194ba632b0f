"""Policy A/B: two rule sets on the same traffic and the same behaviour draws.

Both policies run every replication with the same seed.  Because the
simulator draws policy-independent randomness per concern and behaviour per
case (common random numbers), the two runs see identical posts, identical
desk service and identical unit/citizen behaviour for each case: differences
come from the policy alone.  Metrics are compared as paired differences with
95% confidence intervals; cases are compared one by one.

Two things make the comparison readable:

* **What pairing bought.**  Per metric, the paired interval's width is set
  beside the width an unpaired (Welch) interval would have on the same
  values: the share of width removed is the variance reduction that common
  random numbers achieved.  A paired width close to the unpaired one means
  the metric's noise does not come from the shared draws.
* **What changed in the rules.**  The two policies' rule definitions are
  diffed (added / removed / modified rule ids with file:line, hit-policy and
  rule-order changes), so the report names the edited rule, not only the
  downstream rules whose decisions it changed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.policy import TABLE_KINDS, Policy

from .params import with_overrides
from .pool import map_in_order
from .replications import SCALAR_METRICS
from .runner import load_run_inputs, run_scenario
from .stats import mean_ci, welch_ci

__all__ = ["compare_policies", "ComparisonResult", "case_summary", "rule_changes", "pairing_gain", "IMPACT_FIELDS",
           "CONFIDENCE"]

#: two-sided confidence level of every interval ``compare`` reports
CONFIDENCE = 0.95

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


def _job(args: tuple[str, str, int, tuple[tuple[str, Any], ...]]
         ) -> tuple[dict[str, Any], dict[str, dict[str, tuple[str, list[str]]]]]:
    scenario, rules, seed, overrides = args
    sc, policy, rules_dir = load_run_inputs(scenario, rules)
    if overrides:  # --set: the same scenario inputs under both policies
        sc = with_overrides(sc, overrides, "--set")
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
    #: the rule definitions that differ between the two policies (see ``rule_changes``)
    rule_changes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def impacted_cases(self) -> int:
        return len(self.impacts)


def compare_policies(scenario: str, rules_a: str, rules_b: str, base_seed: int, n: int, workers: int,
                     progress: Callable[[int], None] | None = None,
                     overrides: Sequence[tuple[str, Any]] = ()) -> ComparisonResult:
    seeds = [base_seed + i for i in range(n)]
    jobs = [(scenario, r, s, tuple(overrides)) for s in seeds for r in (rules_a, rules_b)]
    outputs: list[Any] = map_in_order(_job, jobs, workers, progress)
    res = ComparisonResult(seeds, [o[0] for o in outputs[0::2]], [o[0] for o in outputs[1::2]])
    for key in SCALAR_METRICS:
        pairs: list[tuple[float, float]] = [
            (float(a[key]), float(b[key])) for a, b in zip(res.baseline, res.candidate, strict=True)
            if a.get(key) is not None and b.get(key) is not None]
        if not pairs:
            continue
        m, lo, hi = mean_ci([b - a for a, b in pairs], CONFIDENCE)
        res.diffs[key] = {
            "baseline": sum(a for a, _ in pairs) / len(pairs),
            "candidate": sum(b for _, b in pairs) / len(pairs),
            "diff": m, "ci_low": lo, "ci_high": hi,
            **pairing_gain([a for a, _ in pairs], [b for _, b in pairs]),
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
    res.rule_changes = rule_changes(load_run_inputs(scenario, rules_a)[1], load_run_inputs(scenario, rules_b)[1])
    return res


def pairing_gain(a: list[float], b: list[float]) -> dict[str, float | None]:
    """Width of the paired CI of mean(b − a) against the unpaired (Welch) CI on the same values.

    ``ci_width_reduction`` = 1 − paired/unpaired: the share of the interval's width that pairing on common
    random numbers removed (negative if pairing made it wider, which happens when the two runs' values are
    negatively correlated).  None where a width is undefined (one pair) or the unpaired width is 0.
    """
    _, lo, hi = mean_ci([y - x for x, y in zip(a, b, strict=True)], CONFIDENCE)
    paired = None if lo is None or hi is None else hi - lo
    _, ulo, uhi = welch_ci(a, b, CONFIDENCE)
    unpaired = None if ulo is None or uhi is None else uhi - ulo
    reduction = None if paired is None or not unpaired else 1.0 - paired / unpaired
    return {"paired_ci_width": paired, "unpaired_ci_width": unpaired, "ci_width_reduction": reduction}


def _rule_signature(rule: Any) -> dict[str, Any]:
    then = rule.then.model_dump(mode="json", exclude_none=True) if hasattr(rule.then, "model_dump") else rule.then
    return {"when": sorted((c.field, c.op, repr(c.value)) for c in rule.conditions), "then": then,
            "priority": rule.priority}


def rule_changes(a: Policy, b: Policy) -> list[dict[str, Any]]:
    """The rule definitions that differ between policies ``a`` (baseline) and ``b`` (candidate).

    One entry per change, in table order: ``added`` / ``removed`` / ``modified`` rules (what differs:
    ``when``, ``then``, ``priority``), a table's ``hit_policy``, and ``order`` when rules both tables share
    are ranked differently (which changes the winner under ``first`` and ``priority``).  Locations are
    ``file:line`` of the rule in each policy.
    """
    out: list[dict[str, Any]] = []
    for kind in sorted(set(a.tables) | set(b.tables), key=_table_order):
        ta, tb = a.tables.get(kind), b.tables.get(kind)
        ra = {r.id: r for r in ta.rules} if ta is not None else {}
        rb = {r.id: r for r in tb.rules} if tb is not None else {}
        if ta is not None and tb is not None and ta.hit_policy != tb.hit_policy:
            out.append({"change": "modified", "table": kind, "rule": None, "what": ["hit_policy"],
                        "baseline": f"{ta.hit_policy} ({ta.file})", "candidate": f"{tb.hit_policy} ({tb.file})"})
        for r in (ta.rules if ta is not None else ()):
            if r.id not in rb:
                out.append({"change": "removed", "table": kind, "rule": r.id, "what": [],
                            "baseline": r.where, "candidate": None})
                continue
            sa, sb = _rule_signature(r), _rule_signature(rb[r.id])
            what = [k for k in ("when", "then", "priority") if sa[k] != sb[k]]
            if what:
                out.append({"change": "modified", "table": kind, "rule": r.id, "what": what,
                            "baseline": r.where, "candidate": rb[r.id].where})
        for r in (tb.rules if tb is not None else ()):
            if r.id not in ra:
                out.append({"change": "added", "table": kind, "rule": r.id, "what": [],
                            "baseline": None, "candidate": r.where})
        if ta is not None and tb is not None:
            shared = set(ra) & set(rb)
            order_a = [r.id for r in ta.ranked() if r.id in shared]
            order_b = [r.id for r in tb.ranked() if r.id in shared]
            if order_a != order_b and tb.hit_policy in ("first", "priority"):
                out.append({"change": "modified", "table": kind, "rule": None, "what": ["order"],
                            "baseline": ", ".join(order_a), "candidate": ", ".join(order_b)})
    return out


def _table_order(kind: str) -> tuple[int, str]:
    return (TABLE_KINDS.index(kind) if kind in TABLE_KINDS else len(TABLE_KINDS), kind)
