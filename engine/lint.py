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
* a declared unit no case can reach (no routing rule, no place, no escalation names it);
* a calendar that does not cover a scenario's period.

Analyses work on the intermediate form symbolically: finite fields
(category, place, unit, event, …) are enumerated, numeric and text
conditions are compared by implication.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from .conditions import CHANNELS, DEADLINE_KINDS, EVENT_KINDS, FIELDS, REPLY_KINDS, Condition
from .durations import Duration, TimeUnit
from .errors import CalendarError, PolicyError, Problem, SourceError
from .messages import t
from .policy import IRRule, PartialPolicy, Policy, Table
from .yamlsrc import load_yaml

__all__ = ["lint", "load_checked", "LintReport", "TABLE_EVENTS", "calendar_window_problems"]

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
    #: analyses lint could not run, each with the reason (a file that did not load)
    skipped: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity != "error"]


def lint(rules_dir: str | Path, scenarios: Iterable[str | Path] = ()) -> LintReport:
    """Every problem of a rules directory: load errors, then the analyses of whatever loaded."""
    report = LintReport()
    loaded = Policy.load_partial(rules_dir)
    report.problems.extend(loaded.problems)
    if loaded.problems and all(p.code == "io" for p in loaded.problems):
        report.usable = False
        return report
    policy = loaded.policy
    if policy is None:
        names = ", ".join(sorted(set(loaded.failed.values()) | set(loaded.unparsed))) or t("lint.units_and_cls")
        report.skipped.append(t("lint.skip_all", names=names))
        return report
    if not loaded.problems:
        report.policy = policy
    checker = _Checker(policy, skip=_skips(loaded))
    checker.run()
    for sc in scenarios:
        checker.scenario_coverage(Path(sc))
    report.skipped = checker.skipped
    report.problems.extend(sorted(checker.problems, key=lambda p: (p.file, p.line or 0, p.col or 0, p.code)))
    return report


def _skips(loaded: PartialPolicy) -> dict[str, str]:
    """Table kind (or 'calendar') → why its analyses cannot be trusted."""
    why: dict[str, str] = {}
    for kind, file in loaded.failed.items():
        why[kind] = t("lint.file_not_loaded", file=file)
    for kind, ids in loaded.dropped.items():
        why.setdefault(kind, t("lint.rules_not_loaded", ids=", ".join(ids)))
    if loaded.unparsed:
        files = ", ".join(loaded.unparsed)
        for kind in ("routing", "deadlines", "calendar"):
            if loaded.policy is not None and kind not in loaded.policy.files:
                why.setdefault(kind, t("lint.not_parsed", files=files))
    return why


def load_checked(rules_dir: str | Path, allow_lint_errors: bool = False) -> tuple[Policy, list[Problem]]:
    """The policy, refused (``PolicyError``) when lint finds errors; its lint warnings otherwise.

    The load path of ``validate``, ``run``, ``compare`` and ``check``: the rules
    that are simulated are the rules lint accepts.  ``allow_lint_errors`` (the
    CI gate only) still refuses rules that do not load, but returns a policy
    whose analysis found errors (a routing gap, a rule that never fires), with
    those errors among the returned problems, so the gate can measure what they
    do to the metrics and report them as failures.
    """
    report = lint(rules_dir)
    if allow_lint_errors and report.policy is not None:
        report.policy.lint_warnings = report.warnings
        return report.policy, report.problems
    if report.errors or report.policy is None:
        raise PolicyError(report.errors or report.problems)
    report.policy.lint_warnings = report.warnings
    return report.policy, report.warnings


class _Checker:
    def __init__(self, policy: Policy, skip: dict[str, str] | None = None) -> None:
        self.policy = policy
        self.problems: list[Problem] = []
        self.skip = skip or {}
        self.skipped: list[str] = []
        self._docs: dict[str, Any] = {}
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
        for kind in ("classification", "routing", "hot", "deadlines", "escalation"):
            if kind not in self.policy.tables and kind in self.skip:
                self.skipped.append(t("lint.skip_kind", kind=kind, why=self.skip[kind]))
        for table in self.policy.tables.values():
            for rule in table.rules:
                self.contradictions(table, rule)
            shadowed = self.shadowing(table)
            self.keyword_shadowing(table, shadowed)
            if table.hit_policy in ("unique", "collect") and table.kind in ("classification", "routing", "hot"):
                self.overlaps(table)
        self.deadlines_without_effect()
        self.duplicate_deductions()
        self.calendar_days()
        for kind, check in (("routing", self.routing_gaps), ("classification", self.classification_default)):
            if kind in self.skip and kind in self.policy.tables:
                self.skipped.append(t("lint.skip_check", kind=kind, check=check.__name__.replace("_", " "),
                                      why=self.skip[kind]))
            else:
                check()
        why_not = self.skip.get("routing") or self.skip.get("escalation")
        if why_not is not None:  # a rule that did not load may be the one reaching a unit
            self.skipped.append(t("lint.skip_units", why=why_not))
        else:
            self.unreachable_units()
        if "calendar" in self.skip:
            self.skipped.append(t("lint.skip_calendar", why=self.skip["calendar"]))

    def locate(self, file: str, loc: list[str | int]) -> tuple[int | None, int | None]:
        if file not in self._docs:
            try:
                self._docs[file] = load_yaml(file, SourceError)[0]
            except SourceError:
                self._docs[file] = None
        doc = self._docs[file]
        return doc.locate(loc) if doc is not None else (None, None)

    # -- per-rule satisfiability -----------------------------------------------------
    def allowed(self, conds: Iterable[Condition], fld: str) -> tuple[Any, ...]:
        values = self.domains[fld]
        return tuple(v for v in values if all(c.holds({fld: v}) for c in conds if c.field == fld))

    def contradictions(self, table: Table, rule: IRRule) -> None:
        events = TABLE_EVENTS[table.kind]
        ev_conds = [c for c in rule.conditions if c.field == "event"]
        if ev_conds and not any(all(c.holds({"event": e}) for c in ev_conds) for e in events):
            self.add(rule.file, rule.line,
                     t("lint.wrong_event", kind=table.kind, events=", ".join(events),
                       requires="; ".join(c.describe() for c in ev_conds)),
                     "never-fires", rule_id=rule.id)
            return
        for fld in {c.field for c in rule.conditions}:
            conds = [c for c in rule.conditions if c.field == fld]
            if fld in self.domains:
                if not self.allowed(conds, fld):
                    self.add(rule.file, rule.line, t("lint.contradiction", conds=t("lint.and").join(
                        c.describe() for c in conds)), "contradiction", rule_id=rule.id)
            elif FIELDS[fld].type is int:
                lo, hi = _interval(conds)
                excluded = {c.value for c in conds if c.op == "ne"}
                if lo > hi or (lo == hi and lo in excluded):
                    self.add(rule.file, rule.line, t("lint.contradiction", conds=t("lint.and").join(
                        c.describe() for c in conds)), "contradiction", rule_id=rule.id)

    # -- shadowing under first / priority ------------------------------------------------
    def shadowing(self, table: Table) -> set[str]:
        """Report rules every case of which an earlier rule takes; return their ids."""
        found: set[str] = set()
        if table.hit_policy not in ("first", "priority"):
            return found
        ranked = table.ranked()
        for i, rule in enumerate(ranked):
            earlier = [e for e in ranked[:i]]
            if not earlier:
                continue
            covering = self.covered_by(rule, earlier)
            if covering:
                names = ", ".join(t("lint.rule_at", id=e.id, line=e.line) for e in covering)
                self.add(rule.file, rule.line, t("lint.shadowed", hp=table.hit_policy, names=names), "shadowed",
                         rule_id=rule.id)
                found.add(rule.id)
        return found

    def implies_all(self, rule: IRRule, conds: Iterable[Condition]) -> bool:
        """Does every case ``rule`` matches satisfy every one of ``conds``? (sound, not complete)"""
        for c in conds:
            if c.field in self.domains:
                if not all(c.holds({c.field: v}) for v in self.allowed(rule.conditions, c.field)):
                    return False
            elif not _implied(c, rule.conditions):
                return False
        return True

    # -- keyword shadowing by containment ---------------------------------------------------
    def keyword_shadowing(self, table: Table, shadowed: set[str]) -> None:
        """A later keyword that contains an earlier rule's keyword can never decide under first/priority.

        Any text containing '公园停车场' contains '公园': the earlier rule, whose other
        conditions hold too, takes the case first.
        """
        if table.hit_policy not in ("first", "priority"):
            return
        ranked = table.ranked()
        for i, rule in enumerate(ranked):
            if rule.id in shadowed:
                continue
            for cond in (c for c in rule.conditions if c.op == "contains_any"):
                dead: dict[str, tuple[str, IRRule]] = {}
                for e in ranked[:i]:
                    kws = [c for c in e.conditions if c.op == "contains_any" and c.field == cond.field]
                    if len(kws) != 1 or not self.implies_all(rule, [c for c in e.conditions if c is not kws[0]]):
                        continue
                    for k in cond.value:
                        hit = next((k1 for k1 in kws[0].value if k1 in k), None)
                        if hit is not None and k not in dead:
                            dead[k] = (hit, e)
                if not dead:
                    continue
                why = "; ".join(t("lint.keyword_in", k=k, k1=k1, id=e.id, line=e.line) for k, (k1, e) in dead.items())
                if len(dead) == len(cond.value):
                    self.add(rule.file, rule.line, t("lint.keywords_shadowed", hp=table.hit_policy, why=why),
                             "shadowed", rule_id=rule.id)
                    break
                self.add(rule.file, rule.line,
                         t("lint.keyword_shadowed", words=", ".join(dead), hp=table.hit_policy, why=why),
                         "keyword-shadowed", rule_id=rule.id, severity="warning")

    # -- collect tables: rules without effect, charges that add up ---------------------------------
    def deadlines_without_effect(self) -> None:
        """A case has one deadline of each kind, set by the first rule that matches: later ones are ignored."""
        table = self.policy.tables.get("deadlines")
        if table is None or table.hit_policy != "collect":
            return
        for kind in DEADLINE_KINDS:
            rules = [r for r in table.ranked() if r.then.deadline.for_ == kind]
            # a rule whose only conditions are on the event and allow post_received sets it on every case
            intake = next((r for r in rules if all(c.field == "event" and c.holds({"event": "post_received"})
                                                   for c in r.conditions)), None)
            for i, rule in enumerate(rules):
                if rule is intake:
                    continue
                at_intake = all(c.holds({"event": "post_received"}) for c in rule.conditions if c.field == "event")
                if intake is not None and (rules.index(intake) < i or not at_intake):
                    by: list[IRRule] | None = [intake]
                else:
                    by = self.covered_by(rule, rules[:i])
                if by:
                    names = ", ".join(t("lint.rule_at", id=e.id, line=e.line) for e in by)
                    self.add(rule.file, rule.line, t("lint.no_effect", kind=kind, names=names), "no-effect",
                             rule_id=rule.id)

    def duplicate_deductions(self) -> None:
        """Two deductions on one event add up; say so unless each names its own offence (reason)."""
        table = self.policy.tables.get("escalation")
        if table is None or table.hit_policy not in ("collect", "unique"):
            return
        events = TABLE_EVENTS["escalation"]
        deducting = [r for r in table.ranked() if r.then.deduct is not None]
        for a, b in itertools.combinations(deducting, 2):
            witness = self.common_case(a, b)
            if witness is None:
                continue
            ev = next((e for e in events
                       if all(c.holds({"event": e}) for c in a.conditions + b.conditions if c.field == "event")), None)
            if ev is None:
                continue
            ra, rb = a.then.deduct.reason, b.then.deduct.reason
            if ra and rb and ra != rb:
                continue  # two stated offences: the charges are meant to add up
            what = ", ".join(f"{k}={v}" for k, v in {**witness, "event": ev}.items())
            same = t("lint.same_reason", reason=ra) if ra and ra == rb else t("lint.no_reason")
            self.add(b.file, b.line,
                     t("lint.duplicate_deduction", id=a.id, line=a.line, hp=table.hit_policy, what=what,
                       a=f"{a.then.deduct.points:g}", b=f"{b.then.deduct.points:g}", same=same),
                     "duplicate-deduction", rule_id=b.id, severity="warning")

    def calendar_days(self) -> None:
        """'5 天' counts calendar days: its due date can be a holiday or a weekend."""
        table = self.policy.tables.get("deadlines")
        if table is None:
            return
        cal = self.policy.calendar
        for rule in table.rules:
            spec = rule.then.deadline
            found = cal.non_working_due(spec.within)
            if found is None:
                continue
            start, due = found
            reason = cal.day_info(due.date()).reason
            n = int(spec.within.amount) if float(spec.within.amount).is_integer() else spec.within.amount
            line, col = self.locate(rule.file, ["rules", rule.index, "then", "deadline", "within"])
            self.problems.append(Problem(
                rule.file, line or rule.line, col,
                t("lint.calendar_days", within=spec.within, start=f"{start:%Y-%m-%d %H:%M}",
                  due=f"{due:%Y-%m-%d %H:%M}", reason=reason, n=n),
                key=f"rules[{rule.index}].then.deadline.within", rule_id=rule.id,
                code="calendar-days", severity="warning"))

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
                what = ", ".join(f"{k}={v}" for k, v in witness.items()) or t("lint.every_case")
                self.add(b.file, b.line,
                         t("lint.overlap", id=a.id, line=a.line, hp=table.hit_policy, what=what)
                         + (t("lint.different_outcomes") if table.hit_policy == "collect" else ""),
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
            where = t("lint.any_place") if len(places) == len(self.policy.places) else ", ".join(places)
            self.add(table.file, line, t("lint.routing_gap", cat=cat, where=where), "routing-gap", key="rules")

    def unreachable_units(self) -> None:
        """A declared unit no case can reach: no routing rule names it, it owns no place a rule routes by
        place, and no escalation rule escalates to it (engine.py ``_post_received``: ``then.unit`` or the
        place's owner).  ``by_hand: true`` on the unit says the desk forwards to it by hand, on purpose."""
        routing = self.policy.tables.get("routing")
        routed: dict[str, IRRule] = {}  # unit -> the first rule that sends forms to it
        for rule in routing.ranked() if routing is not None else ():
            if rule.then.unit is not None:
                routed.setdefault(rule.then.unit, rule)
            elif rule.then.unit_of_place:
                for place in self.allowed(rule.conditions, "place"):
                    routed.setdefault(self.policy.place_owner[place], rule)
        escalation = self.policy.tables.get("escalation")
        escalated = {r.then.escalate.to for r in (escalation.rules if escalation is not None else ())
                     if r.then.escalate is not None}
        unknown = sorted((set(routed) | escalated) - set(self.policy.units))
        if unknown:  # a misspelt unit, already an error: the unit meant would be reported unreachable too
            self.skipped.append(t("lint.skip_units", why=t("lint.undeclared_units", names=", ".join(unknown))))
            return
        file = self.policy.files.get("units", "")
        for i, (unit, spec) in enumerate(self.policy.units.items()):
            if unit in routed or unit in escalated:
                if spec.by_hand and unit in routed:
                    rule = routed[unit]
                    line, col = self.locate(file, ["units", i, "by_hand"])
                    self.problems.append(Problem(file, line, col, t("lint.by_hand_routed", unit=unit, id=rule.id,
                                                                    where=rule.where),
                                                 key=f"units[{i}].by_hand", code="by-hand-routed",
                                                 severity="warning"))
                continue
            if spec.by_hand:
                continue
            line, col = self.locate(file, ["units", i, "id"])
            self.problems.append(Problem(file, line, col, t("lint.unreachable_unit", unit=unit,
                                                            routing=routing.file if routing is not None else
                                                            "routing.yaml"),
                                         key=f"units[{i}].id", code="unreachable-unit", severity="warning"))

    def classification_default(self) -> None:
        table = self.policy.tables.get("classification")
        if table is None:
            return
        if not any(not r.conditions for r in table.rules):
            self.add(table.file, _key_line(table.file, "rules"),
                     t("lint.no_default"), "no-default", severity="warning", key="rules")

    def scenario_coverage(self, path: Path) -> None:
        try:
            period = _scenario_period(path)
        except SourceError as exc:
            self.problems.extend(exc.problems)
            return
        if "start" not in period or "end" not in period:
            return  # not a scenario lint can read; loading it reports why
        (start, s_where), (end, e_where) = period["start"], period["end"]
        self.problems.extend(calendar_window_problems(self.policy, start, end, s_where, e_where))
        if "deadlines" in self.skip:
            self.skipped.append(t("lint.skip_window", path=path, why=self.skip["deadlines"]))


Where = tuple[str, int | None, int | None]


def _scenario_period(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, tuple[date, Where]]:
    """The scenario's start and end dates, each with the file, line and column that set it (follows extends)."""
    doc, data = load_yaml(path, SourceError)
    found: dict[str, tuple[date, Where]] = {}
    if not isinstance(data, dict):
        return found
    base = data.get("extends")
    if isinstance(base, str):
        base_path = (path.parent / base).resolve()
        if base_path.is_file() and base_path not in seen:
            found.update(_scenario_period(base_path, seen + (path.resolve(),)))
    for key in ("start", "end"):
        value = data.get(key)
        if isinstance(value, date) and not isinstance(value, datetime):
            line, col = doc.locate([key])
            found[key] = (value, (str(path), line, col))
    return found


def calendar_window_problems(policy: Policy, start: date, end: date, start_at: Where, end_at: Where) -> list[Problem]:
    """The calendar must cover every day a run of ``start``–``end`` can reach.

    That is the period, and past its end every deadline a case opened in its
    last minute can get (reminders come before their deadlines): for each
    deadline rule, its duration counted from ``end`` 23:59 on the calendar.
    """
    cal = policy.calendar
    problems: list[Problem] = []
    span = f"{cal.first_year}–{cal.last_year}"
    for key, day, (file, line, col) in (("start", start, start_at), ("end", end, end_at)):
        if not cal.covers(day):
            problems.append(Problem(file, line, col, t("lint.calendar_covers", span=span, key=key, day=day), key=key,
                                    code="calendar-coverage"))
    if problems:
        return problems
    table = policy.tables.get("deadlines")
    last = datetime.combine(end, time(23, 59), tzinfo=cal.tz)
    file, line, col = end_at
    beyond: list[str] = []
    for rule in table.rules if table is not None else ():
        within: Duration = rule.then.deadline.within
        try:
            cal.add(last, within)
        except CalendarError:
            reach = t("lint.past_data")
            if within.unit is not TimeUnit.WORKING_DAYS:
                reach = t("lint.reach_to", day=(last + within.as_timedelta()).date())
            beyond.append(t("lint.beyond_rule", within=within, id=rule.id, where=rule.where, reach=reach))
    if beyond:
        problems.append(Problem(file, line, col, t("lint.beyond", span=span, end=end, beyond="; ".join(beyond)),
                                key="end", code="calendar-coverage"))
    return problems


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
