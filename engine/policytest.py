"""Policy unit tests: cases written beside the rules, run like ``opa test``.

A test file (``rules/tests/*.yaml``, kind ``policy-tests``) lists cases: a
post, optionally later events on its case, and the expected outcome
(category, unit, hot, deadlines, reminders, escalations, deductions,
accountability, rules that must fire).  Only the keys a case names are
checked.  Each case runs through a real ``Engine``; the runner records which
rules fired so it can report rule coverage.  A case whose events cannot
happen (out of time order, before the post, a deadline reached before its
due time) is unusable input, as in ``wenzheng explain``: every such case is
reported as a ``SourceError`` naming file, line and key.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from xml.sax.saxutils import escape, quoteattr

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictBool, ValidationError

from .engine import Engine
from .errors import Problem, SourceError, WenzhengError, suggest
from .explain import CaseSource, ExplainEvent, ExplainInput, ExplainPost, replay_case
from .i18n import pick
from .messages import t
from .models import (
    Classify,
    Close,
    Deduct,
    Escalate,
    FlagAccountability,
    MarkHot,
    Remind,
    Route,
    SetDeadline,
)
from .policy import IRRule, Policy
from .yamlsrc import load_yaml, validation_problems

__all__ = ["PolicyTestFile", "TestCase", "Expect", "CaseResult", "TestRun", "run_policy_tests", "junit_xml",
           "coverage_shortfall"]


class Expect(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: str | None = None
    unit: str | None = None
    hot: StrictBool | None = None
    deadlines: dict[Literal["reply", "external_statement"], AwareDatetime | None] | None = Field(
        default=None, description="Due time per deadline kind; null = must not be set")
    reminders: int | None = None
    escalations: list[str] | None = Field(default=None, description="Offices escalated to, in order")
    deductions: float | None = Field(default=None, description="Total points deducted")
    accountability: StrictBool | None = None
    closed: StrictBool | None = None
    rules: list[str] | None = Field(default=None, description="Rule ids that must fire (at least these)")


class TestCase(BaseModel):
    __test__ = False  # not a pytest class
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    post: ExplainPost
    events: list[ExplainEvent] = Field(default_factory=list)
    expect: Expect


class PolicyTestFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["policy-tests"]
    description: str | None = None
    cases: list[TestCase] = Field(min_length=1)


@dataclass
class CaseResult:
    name: str
    file: str
    line: int | None
    passed: bool
    diffs: list[str] = field(default_factory=list)
    fired: list[str] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None


@dataclass
class TestRun:
    __test__ = False
    results: list[CaseResult]
    rules: list[IRRule]
    covered: set[str]

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.results)

    @property
    def failed(self) -> int:
        return len(self.results) - self.passed

    @property
    def coverage(self) -> float:
        return 100.0 * len(self.covered) / len(self.rules) if self.rules else 100.0

    def uncovered(self) -> list[IRRule]:
        return [r for r in self.rules if r.id not in self.covered]


def load_test_files(directory: Path) -> list[tuple[str, Any, PolicyTestFile]]:
    files = sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml"))
    if not files:
        raise SourceError([Problem(str(directory), None, None, t("test.no_files"), code="io")])
    out: list[tuple[str, Any, PolicyTestFile]] = []
    problems: list[Problem] = []
    for f in files:
        try:
            doc, data = load_yaml(f)
        except SourceError as exc:
            problems.extend(exc.problems)
            continue
        try:
            out.append((str(f), doc, PolicyTestFile.model_validate(data)))
        except ValidationError as exc:
            problems.extend(validation_problems(doc, exc, PolicyTestFile))
    if problems:
        raise SourceError(problems)
    return out


def _summarise(decisions: list[Any]) -> dict[str, Any]:
    s: dict[str, Any] = {"category": None, "unit": None, "hot": False, "deadlines": {}, "reminders": 0,
                         "escalations": [], "deductions": 0.0, "accountability": False, "closed": False,
                         "why": {}}
    for d in decisions:
        for e in d.effects:
            where = f"{e.trace.rule_id}, {e.trace.where}"
            if isinstance(e, Classify):
                s["category"], s["why"]["category"] = e.category, where
            elif isinstance(e, Route):
                s["unit"], s["why"]["unit"] = e.unit, where
            elif isinstance(e, MarkHot):
                s["hot"], s["why"]["hot"] = True, where
            elif isinstance(e, SetDeadline):
                s["deadlines"][e.deadline] = e.due
                s["why"][f"deadlines.{e.deadline}"] = where
            elif isinstance(e, Remind):
                s["reminders"] += 1
            elif isinstance(e, Escalate):
                s["escalations"].append(e.to)
                s["why"].setdefault("escalations", []).append(where)
            elif isinstance(e, Deduct):
                s["deductions"] += e.points
                s["why"].setdefault("deductions", []).append(where)
            elif isinstance(e, FlagAccountability):
                s["accountability"], s["why"]["accountability"] = True, where
            elif isinstance(e, Close):
                s["closed"] = True
    return s


def _show(v: Any) -> str:
    if isinstance(v, datetime):
        return v.isoformat()
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return t("test.none")
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def _compare(expect: Expect, got: dict[str, Any], fired: list[str]) -> list[str]:
    diffs: list[str] = []
    why = got["why"]

    def because(key: str) -> str:
        w = why.get(key)
        if not w:
            return ""
        text = "; ".join(w) if isinstance(w, list) else w
        return pick(f"（由 {text} 决定）", f" ({text})")  # the English form is the one CI logs have always had



    for key in ("category", "unit", "hot", "reminders", "accountability", "closed"):
        want = getattr(expect, key)
        if want is not None and got[key] != want:
            diffs.append(t("test.diff", key=key, want=_show(want), got=_show(got[key])) + because(key))
    if expect.escalations is not None and got["escalations"] != expect.escalations:
        diffs.append(t("test.diff", key="escalations", want=expect.escalations, got=got["escalations"])
                     + because("escalations"))
    if expect.deductions is not None and abs(got["deductions"] - expect.deductions) > 1e-9:
        diffs.append(t("test.diff", key="deductions", want=_show(expect.deductions), got=_show(got["deductions"]))
                     + because("deductions"))
    if expect.deadlines is not None:
        for kind, want in expect.deadlines.items():
            have = got["deadlines"].get(kind)
            if want != have:
                diffs.append(t("test.diff", key=f"deadlines.{kind}", want=_show(want), got=_show(have))
                             + because(f"deadlines.{kind}"))
    if expect.rules is not None:
        missing = [r for r in expect.rules if r not in fired]
        if missing:
            diffs.append(t("test.rules_missing", missing=", ".join(missing), fired=", ".join(fired) or t("test.none")))
    return diffs


def run_policy_tests(policy: Policy, tests_dir: Path) -> TestRun:
    files = load_test_files(tests_dir)
    known = {r.id for r in policy.rules()}
    fired_now: list[str] = []
    engine = Engine(policy, observer=lambda k, f, sel: fired_now.extend(r.id for r in sel))
    results: list[CaseResult] = []
    covered: set[str] = set()
    refused: list[Problem] = []
    try:
        n = 0
        for path, doc, tf in files:
            for i, case in enumerate(tf.cases):
                n += 1
                line, _ = doc.locate(["cases", i])
                fired_now.clear()
                t0 = time.perf_counter()
                result = CaseResult(case.name, path, line, passed=False)
                src = CaseSource(path, doc, ("cases", i))
                try:
                    data = ExplainInput(post=case.post, events=case.events)
                    decisions = [d for _, d in replay_case(engine, data, f"t{n}", src)]
                except SourceError as exc:  # the case file is wrong, not the policy
                    refused.extend(exc.problems)
                    continue
                except WenzhengError as exc:
                    result.error = str(exc)
                    result.diffs = [t("test.error", error=exc)]
                else:
                    fired = list(dict.fromkeys(fired_now))
                    result.fired = fired
                    result.diffs = _compare(case.expect, _summarise(decisions), fired)
                    for rid in case.expect.rules or []:
                        if rid not in known:  # e.g. the rule was deleted or renamed
                            hint = suggest(rid, known)
                            result.diffs.append(t("test.unknown_rule", rule=rid)
                                                + (t("problem.did_you_mean", suggestion=hint) if hint else ""))
                    result.passed = not result.diffs
                    covered.update(fired)
                result.seconds = time.perf_counter() - t0
                results.append(result)
    finally:
        engine.close()
    if refused:
        raise SourceError(refused)
    return TestRun(results, policy.rules(), covered)


def coverage_shortfall(run: TestRun, coverage_min: float | None) -> str | None:
    """Why coverage fails ``--coverage-min`` (None when it holds or no minimum is set)."""
    if coverage_min is None or run.coverage + 1e-9 >= coverage_min:
        return None
    missing = ", ".join(r.id for r in run.uncovered())
    return t("test.shortfall", pct=f"{run.coverage:.1f}", min=f"{coverage_min:g}", missing=missing)


def junit_xml(run: TestRun, coverage_min: float | None = None) -> str:
    """JUnit XML: one test case per policy test case, plus ``rule coverage`` when a minimum is set.

    The failure count always agrees with the exit code of ``wenzheng test``:
    coverage below the minimum is a failing test case, not just a property.
    """
    total = sum(r.seconds for r in run.results)
    shortfall = coverage_shortfall(run, coverage_min)
    tests = len(run.results) + (coverage_min is not None)
    failures = run.failed + (shortfall is not None)
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           f'<testsuites tests="{tests}" failures="{failures}" time="{total:.3f}">',
           f'  <testsuite name="wenzheng-policy" tests="{tests}" failures="{failures}" '
           f'time="{total:.3f}">',
           f'    <properties><property name="rule_coverage" value="{run.coverage:.1f}"/></properties>']
    for r in run.results:
        classname = quoteattr(Path(r.file).stem)
        attrs = f'classname={classname} name={quoteattr(r.name)} file={quoteattr(r.file)} ' \
                f'line="{r.line or 0}" time="{r.seconds:.4f}"'
        if r.passed:
            out.append(f"    <testcase {attrs}/>")
        else:
            msg = "; ".join(r.diffs)
            out.append(f"    <testcase {attrs}>")
            out.append(f"      <failure message={quoteattr(msg)}>{escape(chr(10).join(r.diffs))}</failure>")
            out.append("    </testcase>")
    if coverage_min is not None:
        attrs = f'classname="coverage" name={quoteattr(f"rule coverage ≥ {coverage_min:g}%")} time="0"'
        if shortfall is None:
            out.append(f"    <testcase {attrs}/>")
        else:
            out.append(f"    <testcase {attrs}><failure message={quoteattr(shortfall)}>{escape(shortfall)}"
                       "</failure></testcase>")
    out.append("  </testsuite>")
    out.append("</testsuites>")
    return "\n".join(out) + "\n"
