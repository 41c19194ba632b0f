"""Static checks of a policy, beyond what loading validates.

Loading already reports schema errors, unknown names, bad durations and
regexes, duplicate ids and calendar conflicts.  Lint adds the analyses a
designer needs before anything runs:

* routing gaps: a category × place with no responsible unit;
* overlaps the hit policy does not resolve (``unique``; ``collect`` on a
  table that must produce one answer);
* rules that can never fire: shadowed under first/priority hit policies,
  contradicting conditions, or conditions on events the table never sees;
* classification without a default;
* a calendar that does not cover a scenario's period.

Analyses work on the intermediate form symbolically: finite fields
(category, place, unit, event, …) are enumerated, numeric and text
conditions are compared by implication.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .conditions import CHANNELS, DEADLINE_KINDS, EVENT_KINDS, FIELDS, REPLY_KINDS, Condition
from .errors import PolicyError, Problem, SourceError
from .policy import IRRule, Policy, Table
from .yamlsrc import load_yaml

__all__ = ["lint", "LintReport", "TABLE_EVENTS"]

#: which events each table is evaluated on (see engine.py)
TABLE_EVENTS: dict[str, tuple[str, ...]] = {
    "classification": ("post_received",),
    "routing": ("post_received",),
    "hot": ("post_received", "reposts_updated", "follow_up_posted"),
    "deadlines": ("post_received", "reposts_updated", "follow_up_posted"),
    "escalation": ("deadline_reached", "follow_up_posted"),
}

_MAX_POINTS = 50_000


@dataclass
class LintReport:
    problems: list[Problem] = field(default_factory=list)
    usable: bool = True
    policy: Policy | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def lint(rules_dir: str | Path, scenarios: Iterable[str | Path] = ()) -> LintReport:
    report = LintReport()
    try:
        policy = Policy.load(rules_dir)
    except PolicyError as exc:
        report.problems.extend(exc.problems)
        report.usable = not all(p.code == "io" for p in exc.problems)
        return report
    report.policy = policy
    checker = _Checker(policy)
    checker.run()
    for sc in scenarios:
        checker.scenario_coverage(Path(sc))
    report.problems.extend(sorted(checker.problems, key=lambda p: (p.file, p.line or 0, p.col or 0, p.code)))
    return report


class _Checker:
    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.problems: list[Problem] = []
        self.domains: dict[str, tuple[Any, ...]] = {
            "category": tuple(policy.categories),
            "place": tuple(policy.places),
            "unit": tuple(policy.units),
            "event": EVENT_KINDS,
            "channel": CHANNELS,
            "deadline": DEADLINE_KINDS,
            "reply_kind": REPLY_KINDS,
        }
        for name, spec in FIELDS.items():
            if spec.type is bool:
                self.domains[name] = (False, True)

    def add(self, file: str, line: int | None, message: str, code: str, *, rule_id: str | None = None,
            severity: str = "error", key: str = "") -> None:
        self.problems.append(Problem(file, line, 1 if line else None, message, key=key, rule_id=rule_id,
                                     code=code, severity=severity))

    # -- driver ----------------------------------------------------------------
    def run(self) -> None:
        for table in self.policy.tables.values():
            for rule in table.rules:
                self.contradictions(table, rule)
            self.shadowing(table)
            if table.hit_policy in ("unique", "collect") and table.kind in ("classification", "routing", "hot"):
                self.overlaps(table)
        self.routing_gaps()
        self.classification_default()

    # -- per-rule satisfiability -----------------------------------------------------
    def allowed(self, conds: Iterable[Condition], fld: str) -> tuple[Any, ...]:
        values = self.domains[fld]
        return tuple(v for v in values if all(c.holds({fld: v}) for c in conds if c.field == fld))

    def contradictions(self, table: Table, rule: IRRule) -> None:
        events = TABLE_EVENTS[table.kind]
        ev_conds = [c for c in rule.conditions if c.field == "event"]
        if ev_conds and not any(all(c.holds({"event": e}) for c in ev_conds) for e in events):
            self.add(rule.file, rule.line,
                     f"rule can never fire: {table.kind} rules are evaluated only on "
                     f"{', '.join(events)}, but it requires {'; '.join(c.describe() for c in ev_conds)}",
                     "never-fires", rule_id=rule.id)
            return
        for fld in {c.field for c in rule.conditions}:
            conds = [c for c in rule.conditions if c.field == fld]
            if fld in self.domains:
                if not self.allowed(conds, fld):
                    self.add(rule.file, rule.line, "rule can never fire: contradicting conditions "
                             + " and ".join(c.describe() for c in conds), "contradiction", rule_id=rule.id)
            elif FIELDS[fld].type is int:
                lo, hi = _interval(conds)
                excluded = {c.value for c in conds if c.op == "ne"}
                if lo > hi or (lo == hi and lo in excluded):
                    self.add(rule.file, rule.line, "rule can never fire: contradicting conditions "
                             + " and ".join(c.describe() for c in conds), "contradiction", rule_id=rule.id)

    # -- shadowing under first / priority ------------------------------------------------
    def shadowing(self, table: Table) -> None:
        if table.hit_policy not in ("first", "priority"):
            return
        ranked = table.ranked()
        for i, rule in enumerate(ranked):
            earlier = [e for e in ranked[:i]]
            if not earlier:
                continue
            covering = self.covered_by(rule, earlier)
            if covering:
                names = ", ".join(f"{e.id} (line {e.line})" for e in covering)
                self.add(rule.file, rule.line,
                         f"rule can never fire: under hit policy '{table.hit_policy}' every case it matches is "
                         f"taken first by {names}", "shadowed", rule_id=rule.id)

    def covered_by(self, rule: IRRule, earlier: list[IRRule]) -> list[IRRule] | None:
        """The earlier rules that together take every case ``rule`` matches, or None."""
        finite = sorted({c.field for r in [rule, *earlier] for c in r.conditions if c.field in self.domains})
        axes = [self.allowed(rule.conditions, f) for f in finite]
        size = 1
        for a in axes:
            size *= max(1, len(a))
        if any(not a for a in axes):
            return None  # the rule itself cannot fire; reported as a contradiction
        if size > _MAX_POINTS:
            return None
        # earlier rules whose non-finite conditions are implied by the rule's own
        usable = [e for e in earlier if all(_implied(c, rule.conditions) for c in e.conditions
                                            if c.field not in self.domains)]
        if not usable:
            return None
        used: dict[str, IRRule] = {}
        for point in itertools.product(*axes):
            fact = dict(zip(finite, point, strict=True))
            hit = next((e for e in usable if all(c.holds(fact) for c in e.conditions if c.field in self.domains)),
                       None)
            if hit is None:
                return None
            used.setdefault(hit.id, hit)
        return list(used.values())

    # -- overlaps a hit policy does not resolve ------------------------------------------------
    def overlaps(self, table: Table) -> None:
        rules = table.rules
        for a, b in itertools.combinations(rules, 2):
            if table.hit_policy == "collect" and _same_outcome(a, b):
                continue
            witness = self.common_case(a, b)
            if witness is not None:
                what = ", ".join(f"{k}={v}" for k, v in witness.items()) or "every case"
                self.add(b.file, b.line,
                         f"overlaps rule {a.id} (line {a.line}) under hit policy '{table.hit_policy}': both match "
                         f"{what}" + (" with different outcomes" if table.hit_policy == "collect" else ""),
                         "overlap", rule_id=b.id)

    def common_case(self, a: IRRule, b: IRRule) -> dict[str, Any] | None:
        finite = sorted({c.field for r in (a, b) for c in r.conditions if c.field in self.domains})
        conds = a.conditions + b.conditions
        axes = [self.allowed(conds, f) for f in finite]
        if any(not ax for ax in axes):
            return None
        for fld in {c.field for c in conds if c.field not in self.domains}:
            if FIELDS[fld].type is int:
                lo, hi = _interval([c for c in conds if c.field == fld])
                if lo > hi:
                    return None
        return {f: ax[0] for f, ax in zip(finite, axes, strict=True)}

    # -- coverage ---------------------------------------------------------------------------
    def routing_gaps(self) -> None:
        table = self.policy.tables.get("routing")
        if table is None:
            return
        unconditional = [r for r in table.rules
                         if all(c.field in ("category", "place", "event", "channel") for c in r.conditions)]
        gaps: dict[str, list[str]] = {}
        for cat in self.policy.categories:
            for place in self.policy.places:
                fact = {"category": cat, "place": place, "event": "post_received"}
                if not any(all(c.holds(fact) if c.field != "channel" else True for c in r.conditions)
                           and all(c.field != "channel" for c in r.conditions) for r in unconditional):
                    gaps.setdefault(cat, []).append(place)
        line = _key_line(table.file, "rules")
        for cat, places in gaps.items():
            where = "any place" if len(places) == len(self.policy.places) else ", ".join(places)
            self.add(table.file, line, f"routing gap: category '{cat}' has no responsible unit in {where}",
                     "routing-gap", key="rules")

    def classification_default(self) -> None:
        table = self.policy.tables.get("classification")
        if table is None:
            return
        if not any(not r.conditions for r in table.rules):
            self.add(table.file, _key_line(table.file, "rules"),
                     "no default classification rule (a rule without 'when'): a post no keyword matches "
                     "cannot be classified", "no-default", severity="warning", key="rules")

    def scenario_coverage(self, path: Path) -> None:
        try:
            doc, data = load_yaml(path, SourceError)
        except SourceError as exc:
            self.problems.extend(exc.problems)
            return
        cal = self.policy.calendar
        for key in ("start", "end"):
            value = data.get(key) if isinstance(data, dict) else None
            if value is None or not hasattr(value, "year"):
                continue
            if not cal.covers(value):
                line, col = doc.locate([key])
                self.problems.append(Problem(str(path), line, col,
                                             f"the policy's working-day calendar covers {cal.first_year}–"
                                             f"{cal.last_year}, not {key} {value}", key=key,
                                             code="calendar-coverage"))


def _interval(conds: Iterable[Condition]) -> tuple[float, float]:
    lo, hi = float("-inf"), float("inf")
    for c in conds:
        if c.op == "eq":
            lo, hi = max(lo, c.value), min(hi, c.value)
        elif c.op == "gt":
            lo = max(lo, c.value + 1)
        elif c.op == "gte":
            lo = max(lo, c.value)
        elif c.op == "lt":
            hi = min(hi, c.value - 1)
        elif c.op == "lte":
            hi = min(hi, c.value)
        elif c.op == "in":
            lo, hi = max(lo, min(c.value)), min(hi, max(c.value))
    return lo, hi


def _implied(c: Condition, given: tuple[Condition, ...]) -> bool:
    """Does every fact satisfying ``given`` satisfy ``c``? (sound, not complete)"""
    same = [g for g in given if g.field == c.field]
    if c.op in ("gt", "gte", "lt", "lte", "eq", "ne") and FIELDS[c.field].type is int:
        lo, hi = _interval(same)
        if c.op == "gt":
            return lo > c.value
        if c.op == "gte":
            return lo >= c.value
        if c.op == "lt":
            return hi < c.value
        if c.op == "lte":
            return hi <= c.value
        if c.op == "eq":
            return lo == hi == c.value
        return lo > c.value or hi < c.value
    if c.op == "contains_any":
        return any(g.op == "contains_any" and set(g.value) <= set(c.value) for g in same)
    return any(g == c for g in same)


def _same_outcome(a: IRRule, b: IRRule) -> bool:
    return bool(a.then == b.then)


def _key_line(file: str, key: str) -> int | None:
    try:
        doc, _ = load_yaml(file, SourceError)
    except SourceError:
        return None
    return doc.locate([key])[0]
