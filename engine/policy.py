"""Loading a rules directory into a validated policy and its intermediate form.

``Policy.load(dir)`` reads every ``*.yaml`` file directly in the directory,
validates each against the schema of its ``kind``, type-checks every rule's
conditions, and cross-checks names (units, categories, places) across files.
All problems found are reported together, each with file, line, key and rule
id; nothing is compiled unless the whole policy is valid.

The result's tables are the intermediate form (rules as lists of typed
conditions with a hit policy) that the compiler puts onto durable_rules and
the reference evaluator runs directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError

from .calendar import WorkCalendar
from .conditions import Condition, ConditionError, parse_when
from .durations import TimeUnit
from .errors import EventError, PolicyError, Problem, listing, suggest
from .messages import os_reason, t
from .schema import (
    DEFAULT_HIT_POLICY,
    FILE_KINDS,
    CalendarFile,
    ClassificationFile,
    HitPolicy,
    UnitsFile,
    UnitSpec,
)
from .yamlsrc import SourceDoc, load_yaml, validation_problems

__all__ = ["Policy", "PartialPolicy", "Table", "IRRule", "REQUIRED_KINDS", "TABLE_KINDS"]

#: The unit type a unit name's ending says (城北街道 a street, 沙河镇 a town, 交通局 a bureau).
_KIND_BY_SUFFIX: tuple[tuple[tuple[str, ...], str], ...] = (
    (("街道", "街道办事处"), "street"), (("镇", "地区", "乡"), "town"), (("局", "委", "办"), "bureau"))

TABLE_KINDS = ("classification", "routing", "hot", "deadlines", "escalation")
REQUIRED_KINDS = ("units", "classification", "routing", "deadlines")


@dataclass(frozen=True)
class IRRule:
    """One rule in the intermediate form."""

    id: str
    table: str
    file: str
    line: int
    index: int  # position in its file
    priority: int
    conditions: tuple[Condition, ...]
    then: Any  # the validated 'then' model of the table kind
    cond_lines: tuple[int, ...] = ()  # line of each condition, for explain

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"

    def holds(self, fact: dict[str, Any]) -> bool:
        return all(c.holds(fact) for c in self.conditions)

    def first_failure(self, fact: dict[str, Any]) -> tuple[Condition, int] | None:
        for c, ln in zip(self.conditions, self.cond_lines or (self.line,) * len(self.conditions), strict=True):
            if not c.holds(fact):
                return c, ln
        return None


@dataclass(frozen=True)
class Table:
    """A decision table: rules of one kind and the hit policy that combines them."""

    kind: str
    hit_policy: HitPolicy
    file: str
    rules: tuple[IRRule, ...]

    def ranked(self) -> tuple[IRRule, ...]:
        """Rules in evaluation order: file order, or by priority (higher first) then file order."""
        if self.hit_policy == "priority":
            return tuple(sorted(self.rules, key=lambda r: (-r.priority, r.index)))
        return self.rules

    def select(self, matched: Sequence[IRRule]) -> list[IRRule]:
        """Apply the hit policy to the matching rules (given in ranked order)."""
        if not matched:
            return []
        if self.hit_policy in ("first", "priority"):
            return [matched[0]]
        if self.hit_policy == "unique" and len(matched) > 1:
            ids = ", ".join(f"{r.id} ({r.where})" for r in matched)
            raise EventError(t("policy.unique_clash", file=self.file, ids=ids))
        return list(matched)

    def evaluate(self, fact: dict[str, Any]) -> list[IRRule]:
        """Reference evaluation in plain Python."""
        return self.select([r for r in self.ranked() if r.holds(fact)])


@dataclass
class Policy:
    """A validated policy: units, categories, calendar and decision tables."""

    directory: str
    units: dict[str, UnitSpec]
    categories: tuple[str, ...]
    place_owner: dict[str, str]
    calendar: WorkCalendar
    tables: dict[str, Table]
    calendar_file: CalendarFile | None = None
    files: dict[str, str] = field(default_factory=dict)  # kind -> file
    #: lint's warnings, set by ``engine.lint.load_checked`` (the load path of validate and run)
    lint_warnings: list[Problem] = field(default_factory=list)

    @property
    def places(self) -> tuple[str, ...]:
        return tuple(self.place_owner)

    def table(self, kind: str) -> Table | None:
        return self.tables.get(kind)

    def rules(self) -> list[IRRule]:
        return [r for t in self.tables.values() for r in t.rules]

    @classmethod
    def load(cls, path: str | Path) -> Policy:
        return _Loader(Path(path)).load()

    @classmethod
    def load_partial(cls, path: str | Path) -> PartialPolicy:
        """Every problem of a rules directory, and the policy of the files that did load.

        For lint: a bad file must not hide what the analyses would say about the others.
        """
        return _Loader(Path(path)).load_partial()


@dataclass
class PartialPolicy:
    """What ``Policy.load_partial`` found: the problems and what could still be analysed."""

    problems: list[Problem]
    #: None when units or classification did not load: names (places, units, categories) are unknown
    policy: Policy | None
    #: kind → file, for rule files that did not load (schema errors) or could not be parsed
    failed: dict[str, str] = field(default_factory=dict)
    #: files whose YAML could not be parsed (their kind is unknown)
    unparsed: list[str] = field(default_factory=list)
    #: table kind → ids of rules left out of it because their conditions did not parse
    dropped: dict[str, list[str]] = field(default_factory=dict)


class _Loader:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.problems: list[Problem] = []
        self.invalid_kinds: set[str] = set()
        self.unparsed = False  # a file we could not read might have been any kind
        self.calendar = WorkCalendar()
        self.partial = False  # load_partial: build what loaded instead of failing
        self.failed_files: dict[str, str] = {}
        self.unparsed_files: list[str] = []
        self.dropped: dict[str, list[str]] = {}

    def _fail(self) -> PolicyError:
        return PolicyError(sorted(self.problems, key=lambda p: (p.file, p.line or 0, p.col or 0)))

    def load(self) -> Policy:
        parsed = self._parse_all()
        if self.problems:
            if "units" in parsed and "classification" in parsed:
                self._build(parsed)  # cross-file checks of the valid files: report everything at once
            raise self._fail()
        return self._build(parsed)

    def load_partial(self) -> PartialPolicy:
        try:
            parsed = self._parse_all()
        except PolicyError as exc:
            return PartialPolicy(exc.problems, None)
        self.partial = True
        policy = self._build(parsed) if "units" in parsed and "classification" in parsed else None
        failed = {k: f for k, f in self.failed_files.items() if k not in parsed}
        return PartialPolicy(self._fail().problems, policy, failed, self.unparsed_files, self.dropped)

    def _parse_all(self) -> dict[str, tuple[SourceDoc, BaseModel]]:
        d = self.directory
        try:
            is_dir = d.is_dir()
        except OSError as exc:  # e.g. a name longer than the file system allows
            raise PolicyError([Problem(str(d)[:300], None, None, t("policy.cannot_read_dir", reason=os_reason(exc)),
                                       code="io")]) from None
        if not is_dir:
            key = "policy.dir_is_file" if d.exists() else "policy.dir_not_found"
            raise PolicyError([Problem(str(d), None, None, t(key), code="io")])
        files = sorted(d.glob("*.yaml")) + sorted(d.glob("*.yml"))
        if not files:
            raise PolicyError([Problem(str(d), None, None, t("policy.no_files"), code="io")])
        parsed: dict[str, tuple[SourceDoc, BaseModel]] = {}
        for f in files:
            self._parse_file(f, parsed)
        for kind in REQUIRED_KINDS:
            if kind not in parsed and kind not in self.invalid_kinds and not self.unparsed:
                self.problems.append(
                    Problem(str(d), None, None, t("policy.missing_kind", kind=kind), code="missing-kind")
                )
        return parsed

    def _parse_file(self, f: Path, parsed: dict[str, tuple[SourceDoc, BaseModel]]) -> None:
        try:
            doc, data = load_yaml(f, PolicyError)
        except PolicyError as exc:
            self.problems.extend(exc.problems)
            self.unparsed = True
            self.unparsed_files.append(str(f))
            return
        if not isinstance(data, dict):
            self.problems.append(Problem(str(f), 1, 1, t("policy.not_mapping")))
            return
        kind = data.get("kind")
        if not isinstance(kind, str) or kind not in FILE_KINDS:
            line, col = doc.locate(["kind"])
            msg = (t("key.missing", key="kind") if kind is None else
                   t("policy.unknown_kind", kind=kind) if isinstance(kind, str | int | float | bool) else
                   t("policy.kind_not_text_list") if isinstance(kind, list) else t("policy.kind_not_text_map"))

            kind = kind if isinstance(kind, str) else None
            self.problems.append(
                Problem(str(f), line, col, msg + t("policy.one_of", allowed=", ".join(FILE_KINDS)), key="kind",
                        suggestion=suggest(str(kind), FILE_KINDS) if kind else None)
            )
            return
        if kind in parsed:
            line, col = doc.locate(["kind"])
            self.problems.append(
                Problem(str(f), line, col, t("policy.second_kind", kind=kind, first=parsed[kind][0].path),
                        key="kind", code="duplicate-kind")
            )
            return
        model_cls = FILE_KINDS[kind]

        def rule_id_of(loc: list[str | int]) -> str | None:
            if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
                try:
                    rid = data["rules"][loc[1]].get("id")
                    return str(rid) if rid is not None else None
                except (IndexError, AttributeError, TypeError, KeyError):
                    return None
            return None

        try:
            model = model_cls.model_validate(data)
        except ValidationError as exc:
            for p in validation_problems(doc, exc, model_cls, rule_id_of):
                if p.key == "hit_policy" and p.message.startswith("missing"):
                    p = self._missing_hit_policy(doc, kind)
                self.problems.append(p)
            self.invalid_kinds.add(kind)
            self.failed_files.setdefault(kind, str(f))
            return
        parsed[kind] = (doc, model)

    @staticmethod
    def _missing_hit_policy(doc: SourceDoc, kind: str) -> Problem:
        line, col = doc.locate(["kind"])
        old = DEFAULT_HIT_POLICY[kind]
        return Problem(doc.path, line, col,
                       t("policy.missing_hit_policy", kind=kind, old=old),
                       key="hit_policy", code="missing-hit-policy")

    # -- cross-file checks and the intermediate form -------------------------
    def _build(self, parsed: dict[str, tuple[SourceDoc, BaseModel]]) -> Policy:
        udoc, umodel = parsed["units"]
        assert isinstance(umodel, UnitsFile)
        units: dict[str, UnitSpec] = {}
        place_owner: dict[str, str] = {}
        for i, u in enumerate(umodel.units):
            if u.id in units:
                self._at(udoc, ["units", i, "id"], t("policy.duplicate_unit", unit=u.id), code="duplicate-unit")
            units[u.id] = u
            for j, p in enumerate(u.places):
                if p in place_owner:
                    self._at(udoc, ["units", i, "places", j],
                             t("policy.duplicate_place", place=p, unit=place_owner[p]), code="duplicate-place")
                place_owner.setdefault(p, u.id)
        self._units = units
        cdoc, cmodel = parsed["classification"]
        assert isinstance(cmodel, ClassificationFile)
        categories = tuple(c.id for c in cmodel.categories)
        names = {"unit": set(units), "category": set(categories), "place": set(place_owner)}

        calendar_file = None
        if "calendar" in parsed:
            kdoc, kmodel = parsed["calendar"]
            assert isinstance(kmodel, CalendarFile)
            calendar_file = kmodel
            calendar = self._calendar(kdoc, kmodel)
        else:
            calendar = WorkCalendar()
        self.calendar = calendar

        tables: dict[str, Table] = {}
        seen_ids: dict[str, str] = {}
        for kind in TABLE_KINDS:
            if kind not in parsed:
                continue
            doc, model = parsed[kind]
            hit = model.hit_policy  # type: ignore[attr-defined]
            rules: list[IRRule] = []
            for i, rule in enumerate(model.rules):  # type: ignore[attr-defined]
                base: list[str | int] = ["rules", i]
                if rule.id in seen_ids:
                    self._at(doc, base + ["id"], t("policy.duplicate_id", id=rule.id, first=seen_ids[rule.id]),
                             rule_id=rule.id, code="duplicate-id")
                line, _ = doc.locate(base)
                seen_ids.setdefault(rule.id, f"{doc.path}:{line}")
                try:
                    conds = parse_when(rule.when, kind)
                except ConditionError as exc:
                    self._at(doc, base + ["when", *exc.path], str(exc), rule_id=rule.id,
                             suggestion=exc.suggestion, code="condition")
                    self.dropped.setdefault(kind, []).append(rule.id)
                    continue
                cond_lines = tuple(
                    doc.locate(base + ["when", c.field])[0] or line or 0 for c in conds
                )
                for c in conds:
                    self._check_names(doc, base + ["when", c.field], c, names, rule.id)
                self._check_then(doc, base + ["then"], kind, rule.then, names, units, rule.id)
                rules.append(IRRule(rule.id, kind, doc.path, line or 0, i, rule.priority, conds, rule.then, cond_lines))
            if len(rules) > 65000:
                self._at(doc, ["rules"], t("policy.too_many_rules"))

            tables[kind] = Table(kind, hit, doc.path, tuple(rules))
        if self.problems and not self.partial:
            raise self._fail()
        return Policy(
            directory=str(self.directory),
            units=units,
            categories=categories,
            place_owner=place_owner,
            calendar=calendar,
            tables=tables,
            calendar_file=calendar_file,
            files={k: v[0].path for k, v in parsed.items()},
        )

    def _calendar(self, doc: SourceDoc, model: CalendarFile) -> WorkCalendar:
        from .errors import CalendarError

        extra = self._calendar_years(doc, model)
        seen: dict[object, tuple[str, int]] = {}
        data = WorkCalendar(extra_years=extra)  # the years covered, to locate an override outside them
        outside = False
        for key in ("holidays", "workdays"):
            for i, d in enumerate(getattr(model, key)):
                if not data.covers(d.date):
                    outside = True
                    self._at(doc, [key, i], t("policy.calendar_year", date=d.date, year=d.date.year,
                                              first=data.first_year, last=data.last_year), code="calendar")
                if d.date in seen:
                    other_key, other_i = seen[d.date]
                    other_line, _ = doc.locate([other_key, other_i])
                    msg = (t("policy.calendar_both", date=d.date, line=other_line) if other_key != key else
                           t("policy.calendar_twice", date=d.date, key=key, line=other_line))
                    self._at(doc, [key, i], msg, code="calendar-conflict")
                seen.setdefault(d.date, (key, i))
        listed = {d.date.year for d in model.holidays}
        for i, y in enumerate(model.years):
            if y.year in extra and y.year not in listed:
                self._at(doc, ["years", i, "year"], t("policy.calendar_year_empty", year=y.year, source=y.source),
                         code="calendar")
        if outside:
            return WorkCalendar(extra_years=extra)
        try:
            return WorkCalendar(
                close_of_business=model.close_of_business,
                tz=ZoneInfo(model.timezone),
                holidays=[(d.date, d.name) for d in model.holidays],
                workdays=[(d.date, d.name) for d in model.workdays],
                extra_years=extra,
            )
        except CalendarError as exc:
            self._at(doc, ["holidays"], str(exc), code="calendar")
            return WorkCalendar()

    def _calendar_years(self, doc: SourceDoc, model: CalendarFile) -> list[int]:
        """The file's ``years`` past the package's data, each checked: not already covered, not listed twice,
        following the covered range without a gap.  Only the years that pass (a run of them from the package's
        last year on) extend the calendar; each one that does not is an error at its line."""
        statutory = WorkCalendar()
        first, last = statutory.first_year, statutory.last_year
        index: dict[int, int] = {}  # year → its first entry
        for i, y in enumerate(model.years):
            if y.year <= last:
                self._at(doc, ["years", i, "year"], t("policy.calendar_year_covered", year=y.year, first=first,
                                                      last=last), code="calendar")
            elif y.year in index:
                self._at(doc, ["years", i, "year"], t("policy.calendar_year_twice", year=y.year,
                                                      line=doc.locate(["years", index[y.year]])[0]),
                         code="calendar")
            else:
                index[y.year] = i
        extra: list[int] = []
        for i, y in enumerate(model.years):
            if index.get(y.year) != i:
                continue  # reported above
            missing = next((m for m in range(last + 1, y.year) if m not in index), None)
            if missing is not None:
                self._at(doc, ["years", i, "year"], t("policy.calendar_year_gap", year=y.year, missing=missing,
                                                      first=first, last=last), code="calendar")
            else:
                extra.append(y.year)
        return extra

    def _check_names(self, doc: SourceDoc, loc: list[str | int], c: Condition,
                     names: dict[str, set[str]], rule_id: str) -> None:
        known = names.get(c.field)
        if known is None:
            return
        values = c.value if isinstance(c.value, tuple) and c.op in ("in", "not_in") else (c.value,)
        if c.op not in ("eq", "ne", "in", "not_in"):
            return
        for v in values:
            if v not in known:
                what = {"unit": "unit", "category": "category", "place": "place"}[c.field]
                hint = suggest(v, known)
                msg = (self._unknown_unit(v, hint, self._units) if what == "unit" else
                       t("policy.unknown_category", value=v) if what == "category" else
                       t("policy.unknown_place", value=v))
                self._at(doc, loc, msg, rule_id=rule_id, suggestion=hint, code=f"unknown-{what}")

    _units: dict[str, UnitSpec] = {}

    @staticmethod
    def _unknown_unit(name: str, hint: str | None, units: dict[str, UnitSpec]) -> str:
        """'units.yaml has no unit X', with the known units of X's kind when no name is close (a deleted unit:
        routing to the deleted 城北街道 must not look like a typo of 城南街道)."""
        msg = t("policy.unknown_unit", unit=name)
        if hint is not None or not units:
            return msg
        kind = next((k for suffixes, k in _KIND_BY_SUFFIX if name.endswith(suffixes)), None)
        same = [u for u, spec in units.items() if kind is None or spec.type == kind] or list(units)
        label = {"street": t("unit.streets"), "town": t("unit.towns"), "bureau": t("unit.bureaus"),
                 "office": t("unit.offices")}.get(kind or "", t("unit.units"))
        return msg + t("policy.known_units", kind=label, units=listing(same))

    def _check_then(self, doc: SourceDoc, loc: list[str | int], kind: str, then: Any,
                    names: dict[str, set[str]], units: dict[str, UnitSpec], rule_id: str) -> None:
        if kind == "classification" and then.category not in names["category"]:
            self._at(doc, loc + ["category"], t("policy.unknown_category", value=then.category), rule_id=rule_id,

                     suggestion=suggest(then.category, names["category"]), code="unknown-category")
        if kind == "routing" and then.unit is not None and then.unit not in units:
            hint = suggest(then.unit, units)
            self._at(doc, loc + ["unit"], self._unknown_unit(then.unit, hint, units), rule_id=rule_id,
                     suggestion=hint, code="unknown-unit")
        if kind == "escalation" and then.escalate is not None:
            to = then.escalate.to
            if to not in units:
                hint = suggest(to, units)
                self._at(doc, loc + ["escalate", "to"], self._unknown_unit(to, hint, units), rule_id=rule_id,
                         suggestion=hint, code="unknown-unit")
            elif units[to].type != "office":
                self._at(doc, loc + ["escalate", "to"], t("policy.escalate_target", unit=to, type=units[to].type),
                         rule_id=rule_id, code="escalate-target")
        if kind == "deadlines" and then.deadline.remind_after is not None:
            self._check_reminder(doc, loc + ["deadline", "remind_after"], then.deadline, rule_id)

    def _check_reminder(self, doc: SourceDoc, loc: list[str | int], spec: Any, rule_id: str) -> None:
        """A reminder must come before its deadline, compared as instants on the policy's calendar."""
        remind, within = spec.remind_after, spec.within
        clash = self.calendar.reminder_clash(within, remind)
        if clash is None:
            return
        if (remind.unit is TimeUnit.WORKING_DAYS) == (within.unit is TimeUnit.WORKING_DAYS):
            msg = t("policy.reminder_not_before", remind=remind, within=within)
        else:
            when = t("policy.every_case") if clash.always else t("policy.some_cases")
            msg = t("policy.reminder_clash", remind=remind, within=within, when=when,
                    start=f"{clash.start:%Y-%m-%d %H:%M}", due=f"{clash.due:%Y-%m-%d %H:%M}",
                    remind_at=f"{clash.remind_at:%Y-%m-%d %H:%M}")

        self._at(doc, loc, msg, rule_id=rule_id, code="reminder-after-deadline")

    def _at(self, doc: SourceDoc, loc: list[str | int], message: str, *, rule_id: str | None = None,
            suggestion: str | None = None, code: str = "reference") -> None:
        from .yamlsrc import key_path

        line, col = doc.locate(loc)
        self.problems.append(Problem(doc.path, line, col, message, key=key_path(loc), rule_id=rule_id,
                                     suggestion=suggestion, code=code))
