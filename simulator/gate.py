"""The CI gate: committed baselines, replications, non-inferiority tests.

A baseline file (``baselines/<scenario>.yaml`` or ``.json``) names a
scenario, the replications to run, the metrics to check and the observed
values of the policy it was recorded with, per seed.  ``check`` reruns the
same seeds with the current rules and tests every metric for
**non-inferiority**, one-sided, at the baseline's confidence (95% unless it
says otherwise), paired by seed:

    d_i = now_i − observed_i  (seed i);  m = mean(d);  s = sd(d);  n seeds
    higher is better: pass when  m − t(conf, n−1)·s/√n  ≥ −margin
    lower is better:  pass when  m + t(conf, n−1)·s/√n  ≤ +margin

so a check fails only when the data show, with that confidence, that the
metric got worse by more than its margin.  Common random numbers make the
differences small and honest; a margin absorbs the noise that remains when
a policy change moves cases the metric does not target (measured in
docs/results.md).  Every metric in ``DEFAULT_CHECKS`` has a documented
direction and margin; a baseline may omit either to take the default.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from engine.errors import Problem, SourceError, suggest
from engine.yamlsrc import load_yaml, validation_problems

from .labels import metric_name
from .messages import t
from .metrics import policy_fingerprint
from .replications import SCALAR_METRICS, run_replications
from .stats import one_sided_bound

__all__ = ["Check", "Margin", "DEFAULT_CHECKS", "BaselineFile", "CheckOutcome", "load_baselines", "run_gate",
           "record_baseline", "decision_rule", "junit_report", "markdown_report", "text_report", "json_report"]

Better = Literal["higher", "lower"]
_MARGIN_KEYS = ("max_drop", "max_drop_pct", "max_rise", "max_rise_pct")


@dataclass(frozen=True)
class Margin:
    """A metric's direction and how much worse it may get: absolute, or in % of the baseline mean."""

    better: Better
    amount: float
    percent: bool = False
    why: str = ""

    @property
    def key(self) -> str:
        return ("max_drop" if self.better == "higher" else "max_rise") + ("_pct" if self.percent else "")

    def allowed(self, baseline_mean: float) -> float:
        return abs(baseline_mean) * self.amount / 100.0 if self.percent else self.amount

    def describe(self) -> str:
        amount = f"{self.amount:g}{'%' if self.percent else ''}"
        if self.better == "higher":
            return t("gate.may_not_fall") if self.amount == 0 else t("gate.may_fall", amount=amount)
        return t("gate.may_not_rise") if self.amount == 0 else t("gate.may_rise", amount=amount)


#: The documented default of every metric the gate knows how to judge (docs/results.md, "Margins").
#: The margins come from the noise measured under no-op policy edits (scripts/gate_noise.py).
DEFAULT_CHECKS: dict[str, Margin] = {
    "reply_rate": Margin("higher", 0.005, why="half a point of the reported 98%"),
    "on_time_rate": Margin("higher", 0.01, why="one point of the on-time target"),
    "statement_2h_rate": Margin("higher", 0.02, why="2 points; a run has ~20 hot events, one is 5 points"),
    "deductions_total": Margin("lower", 10, percent=True, why="10% of the points deducted"),
    "misrouting_rate": Margin("lower", 0.005, why="half a point of forms sent to the wrong unit"),
    "unrouted_forms": Margin("lower", 0, why="0 by construction under a policy without gaps: any is a defect"),
    "reply_deadline_calendar_days_mean": Margin("lower", 0.05, why="about an hour longer promised on average"),
}


class Check(BaseModel):
    """One metric's check; every key is optional for metrics with a documented default."""

    model_config = ConfigDict(extra="forbid")
    better: Better | None = Field(default=None, description="Which direction is better (default: the metric's)")
    max_drop: float | None = Field(default=None, ge=0, description="Allowed fall (absolute), higher-is-better")
    max_drop_pct: float | None = Field(default=None, ge=0, description="Allowed fall in % of the baseline")
    max_rise: float | None = Field(default=None, ge=0, description="Allowed rise (absolute), lower-is-better")
    max_rise_pct: float | None = Field(default=None, ge=0, description="Allowed rise in % of the baseline")

    @model_validator(mode="after")
    def _at_most_one_margin(self) -> Check:
        given = [k for k in _MARGIN_KEYS if getattr(self, k) is not None]
        if len(given) > 1:
            raise ValueError(t("gate.one_margin", given=" and ".join(given)))
        if given and self.better is not None:
            allowed = ("max_drop", "max_drop_pct") if self.better == "higher" else ("max_rise", "max_rise_pct")
            if given[0] not in allowed:
                raise ValueError(t("gate.margin_for_direction", better=self.better, allowed=" or ".join(allowed)))
        return self

    def resolve(self, metric: str) -> Margin:
        """The margin this check means for ``metric``: its own keys over the metric's default.

        Raises ValueError when it cannot be resolved (no default and an incomplete check, or a
        direction that contradicts the metric's)."""
        default = DEFAULT_CHECKS.get(metric)
        given = next((k for k in _MARGIN_KEYS if getattr(self, k) is not None), None)
        better = self.better or (("higher" if given.startswith("max_drop") else "lower") if given else None) \
            or (default.better if default else None)
        if better is None:
            raise ValueError(t("gate.no_default_check", metric=metric, keys=" or ".join(_MARGIN_KEYS)))
        if default is not None and better != default.better:
            raise ValueError(t("gate.wrong_direction", metric=metric, right=default.better, wrong=better))
        if given is None:
            if default is None:
                raise ValueError(t("gate.no_default_margin", metric=metric,
                                   keys="max_drop or max_drop_pct" if better == "higher" else "max_rise or max_rise_pct"))
            return default
        return Margin(better, float(getattr(self, given)), percent=given.endswith("_pct"), why="set in the baseline")


class Observed(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mean: float | None
    per_seed: list[float | None]


class BaselineFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["baseline"]
    description: str | None = None
    scenario: str = Field(description="Scenario file, relative to this file")
    replications: int = Field(ge=1, le=1000)
    seed: int | None = Field(default=None, ge=0, description="First seed (default: the scenario's)")
    confidence: float = Field(default=0.95, ge=0.5, lt=1.0,
                              description="One-sided confidence of the non-inferiority test (default 0.95)")
    checks: dict[str, Check | None] = Field(
        min_length=1, description="Metric → check; an empty or null check takes the metric's documented default")
    policy: str | None = Field(default=None, description="Fingerprint of the rules recorded (informational)")
    observed: dict[str, Observed] | None = Field(default=None, description="Written by `wenzheng baseline update`")



@dataclass
class Loaded:
    path: Path
    doc: Any
    data: BaselineFile
    margins: dict[str, Margin]

    @property
    def name(self) -> str:
        return self.path.stem

    def scenario_path(self) -> Path:
        return (self.path.parent / self.data.scenario).resolve()


def load_baselines(directory: Path, only: tuple[str, ...] = ()) -> list[Loaded]:
    if not directory.is_dir():
        raise SourceError([Problem(str(directory), None, None, t("gate.no_dir"), code="io")])
    files = sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml", ".json"))
    if only:
        files = [f for f in files if f.stem in only]
        missing = set(only) - {f.stem for f in files}
        if missing:
            raise SourceError([Problem(str(directory), None, None, t("gate.no_baseline_for", names=", ".join(sorted(missing))),
                                       code="io")])
    if not files:
        raise SourceError([Problem(str(directory), None, None, t("gate.no_files"), code="io")])
    out, problems = [], []
    for f in files:
        try:
            doc, raw = load_yaml(f)  # JSON is YAML too
            data = BaselineFile.model_validate(raw)
        except SourceError as exc:
            problems.extend(exc.problems)
            continue
        except ValidationError as exc:
            problems.extend(validation_problems(doc, exc, BaselineFile))
            continue
        unknown = [m for m in data.checks if m not in SCALAR_METRICS]
        for m in unknown:
            line, col = doc.locate(["checks", m])
            problems.append(Problem(str(f), line, col, t("gate.unknown_metric", metric=m), key=f"checks.{m}",
                                    suggestion=suggest(m, SCALAR_METRICS)))
        margins: dict[str, Margin] = {}
        for m, check in data.checks.items():
            if m in unknown:
                continue
            try:
                margins[m] = (check or Check()).resolve(m)
            except ValueError as exc:
                line, col = doc.locate(["checks", m])
                problems.append(Problem(str(f), line, col, str(exc), key=f"checks.{m}"))
        if len(margins) != len(data.checks):
            continue
        loaded = Loaded(f, doc, data, margins)
        if not loaded.scenario_path().is_file():
            line, col = doc.locate(["scenario"])
            problems.append(Problem(str(f), line, col, t("gate.scenario_missing", scenario=data.scenario), key="scenario"))
            continue
        out.append(loaded)
    if problems:
        raise SourceError(problems)
    return out


@dataclass
class CheckOutcome:
    baseline: str
    metric: str
    check: Margin
    baseline_mean: float | None
    current_mean: float | None
    diff: float | None
    bound: float | None
    margin: float
    passed: bool
    confidence: float = 0.95
    seeds: int = 0
    note: str = ""

    def line(self) -> str:
        def f(v: float | None) -> str:
            return "—" if v is None else f"{v:.4g}"

        diff = "—" if self.diff is None else f"{self.diff:+.4g}"
        conf = f"{self.confidence:.0%}"
        bound = "" if self.bound is None else (
            t("gate.lower_bound", conf=conf, bound=f"{self.bound:+.4g}") if self.check.better == "higher"
            else t("gate.upper_bound", conf=conf, bound=f"{self.bound:+.4g}"))
        verdict = t("gate.ok") if self.passed else t("gate.regression")
        return (f"{self.baseline}: {metric_name(self.metric)}: {f(self.baseline_mean)} → {f(self.current_mean)}"
                + t("gate.line_detail", diff=diff, bound=bound, rule=self.check.describe(), verdict=verdict)
                + (" — " + self.note if self.note else ""))


def decision_rule(confidence: float = 0.95) -> str:
    """The gate's decision rule in one sentence (printed in every report)."""
    return t("gate.decision_rule", conf=f"{confidence:.0%}")


def _seeds(b: Loaded, scenario_seed: int) -> list[int]:
    base = b.data.seed if b.data.seed is not None else scenario_seed
    return [base + i for i in range(b.data.replications)]


def _run(b: Loaded, rules: Path | None, workers: int, allow_lint_errors: bool = False) -> list[dict[str, Any]]:
    from .scenario import load_scenario

    sc = load_scenario(b.scenario_path())
    seeds = _seeds(b, sc.seed)
    return run_replications(str(b.scenario_path()), str(rules) if rules else None, seeds[0], len(seeds), workers,
                            None, allow_lint_errors=allow_lint_errors)


def evaluate(b: Loaded, reps: list[dict[str, Any]]) -> list[CheckOutcome]:
    observed = b.data.observed or {}
    conf = b.data.confidence
    outcomes = []
    for metric, check in b.margins.items():
        obs = observed.get(metric)
        now = [r.get(metric) for r in reps]
        now_vals = [float(v) for v in now if v is not None]
        current = sum(now_vals) / len(now_vals) if now_vals else None
        if obs is None:
            outcomes.append(CheckOutcome(b.name, metric, check, None, current, None, None, 0.0, False, conf,
                                         note=t("gate.note_no_observed")))
            continue
        pairs = [(o, n) for o, n in zip(obs.per_seed, now, strict=False) if o is not None and n is not None]
        if not pairs:
            outcomes.append(CheckOutcome(b.name, metric, check, obs.mean, current, None, None, 0.0, True, conf,
                                         note=t("gate.note_undefined")))
            continue
        d = [float(n) - float(o) for o, n in pairs]
        m, bound = one_sided_bound(d, "lower" if check.better == "higher" else "upper", conf)
        decisive = m if bound is None else bound  # one seed: the difference itself decides
        margin = check.allowed(obs.mean or 0.0)
        eps = 1e-12  # float noise in recorded values (6 decimals) must not fail a zero margin
        passed = decisive >= -margin - eps if check.better == "higher" else decisive <= margin + eps
        outcomes.append(CheckOutcome(b.name, metric, check, obs.mean, current, m, bound, margin, passed, conf,
                                     seeds=len(d)))
    return outcomes


def run_gate(baselines: list[Loaded], rules: Path | None, workers: int,
             progress: Callable[[str], None] | None = None, allow_lint_errors: bool = False) -> list[CheckOutcome]:
    """Every check of every baseline.  ``allow_lint_errors``: measure a policy lint rejects (the caller
    reports its lint errors as failures too), so a deleted routing rule fails naming the metrics it moves."""
    outcomes: list[CheckOutcome] = []
    for b in baselines:
        if progress:
            progress(b.name)
        outcomes.extend(evaluate(b, _run(b, rules, workers, allow_lint_errors)))
    return outcomes


def record_baseline(b: Loaded, rules: Path | None, workers: int,
                    write: Callable[[Path, str], None] | None = None) -> list[tuple[str, float | None, float | None]]:
    """Rerun and rewrite the observed values; returns (metric, old mean, new mean) for every check.

    ``write(path, text)`` writes the file (the CLI passes its safe atomic writer).
    """
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    reps = _run(b, rules, workers)
    old = b.data.observed or {}
    changes = []
    observed = CommentedMap()
    for metric in b.margins:
        values = [r.get(metric) for r in reps]
        defined = [float(v) for v in values if v is not None]
        mean = round(sum(defined) / len(defined), 6) if defined else None
        seq = CommentedSeq([None if v is None else round(float(v), 6) for v in values])
        seq.fa.set_flow_style()
        entry = CommentedMap([("mean", mean), ("per_seed", seq)])
        entry.fa.set_flow_style()
        observed[metric] = entry
        changes.append((metric, old[metric].mean if metric in old else None, mean))
    from .scenario import load_scenario

    rules_dir = rules if rules is not None else load_scenario(b.scenario_path()).rules_dir()
    fingerprint = policy_fingerprint(rules_dir)
    if b.path.suffix == ".json":
        _, raw = load_yaml(b.path)  # JSON is YAML too; read within the loader's limits
        raw["observed"] = {k: {"mean": v["mean"], "per_seed": list(v["per_seed"])} for k, v in observed.items()}
        raw["policy"] = fingerprint
        text = json.dumps(raw, ensure_ascii=False, indent=2) + "\n"
    else:
        yaml = YAML(typ="rt")
        yaml.width = 120
        data = load_yaml(b.path)[0].data  # the round-trip tree, comments kept
        data["policy"] = fingerprint
        data["observed"] = observed
        import io

        buf = io.StringIO()
        yaml.dump(data, buf)
        text = buf.getvalue()
    if write is not None:
        write(b.path, text)
        return changes
    tmp = b.path.with_suffix(b.path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(b.path)
    return changes


def junit_report(outcomes: list[CheckOutcome], seconds: float, lint: Sequence[Problem] = ()) -> str:
    """JUnit XML: one test case per scenario and metric, and one per lint error of the rules checked; a
    failure for every check that fails the gate and every lint error, so the failure count is positive
    exactly when ``wenzheng check`` exits 1."""
    from xml.sax.saxutils import escape, quoteattr

    failures = sum(not o.passed for o in outcomes) + len(lint)
    tests = len(outcomes) + len(lint)
    rule = decision_rule(outcomes[0].confidence if outcomes else 0.95)
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             f'<testsuites tests="{tests}" failures="{failures}" time="{seconds:.3f}">',
             f'  <testsuite name="wenzheng-gate" tests="{tests}" failures="{failures}" time="{seconds:.3f}">',
             f'    <properties><property name="decision_rule" value={quoteattr(rule)}/></properties>']
    for p in lint:
        lines.append(f"    <testcase classname=\"lint\" name={quoteattr(p.location())}><failure "
                     f"message={quoteattr(p.lint_line())}>{escape(p.lint_line())}</failure></testcase>")
    for o in outcomes:
        attrs = f"classname={quoteattr(o.baseline)} name={quoteattr(o.metric)}"
        if o.passed:
            lines.append(f"    <testcase {attrs}/>")
        else:
            lines.append(f"    <testcase {attrs}><failure message={quoteattr(o.line())}>"
                         f"{escape(o.line())}</failure></testcase>")
    lines += ["  </testsuite>", "</testsuites>"]
    return "\n".join(lines) + "\n"


def markdown_report(outcomes: list[CheckOutcome], seconds: float, lint: Sequence[Problem] = ()) -> str:
    failures = [o for o in outcomes if not o.passed]
    confs = sorted({o.confidence for o in outcomes}) or [0.95]
    # the head keeps "### wenzheng gate" in every language: wenzheng recognises its own file by it (cli.py)
    head = "### wenzheng gate" + (
        t("gate.md_no_regressions") if not failures else t("gate.md_regressions", n=len(failures)))
    if lint:
        head += t("gate.md_lint_errors", n=len(lint))
    lines = [head, ""]
    if lint:
        lines += [t("gate.md_lint_title"), ""]
        lines += [f"- `{p.lint_line()}`" for p in lint]
        lines.append("")
    lines += [
             t("gate.md_rule", rule=decision_rule(confs[0]))
             + ("" if len(confs) == 1 else t("gate.md_confidences", confs=", ".join(f"{c:.0%}" for c in confs))),
             "", t("gate.md_count", n=len(outcomes), seconds=f"{seconds:.1f}"), "",
             t("gate.md_table_head"),
             "|---|---|---:|---:|---:|---:|---|---|"]
    for o in outcomes:
        def f(v: float | None) -> str:
            return "—" if v is None else f"{v:.4g}"
        diff = "—" if o.diff is None else f"{o.diff:+.4g}"
        side = "≥" if o.check.better == "higher" else "≤"
        bound = "—" if o.bound is None else f"{side} {o.bound:+.4g} ({o.confidence:.0%})"
        lines.append(f"| {o.baseline} | `{o.metric}` | {f(o.baseline_mean)} | {f(o.current_mean)} | {diff} | "
                     f"{bound} | {o.check.describe()} | {'✅' if o.passed else '❌ ' + (o.note or t('gate.md_regression'))} |")
    return "\n".join(lines) + "\n"


def text_report(outcomes: list[CheckOutcome], seconds: float, lint: Sequence[Problem] = ()) -> str:
    """The terminal report: the decision rule, lint errors, every failing check, a one-line summary."""
    failed = [o for o in outcomes if not o.passed]
    confs = sorted({o.confidence for o in outcomes}) or [0.95]
    lines = [t("gate.text_head", rule=decision_rule(confs[0]))]
    lines += [p.lint_line() for p in lint]
    if lint:
        lines.append(t("gate.text_lint", n=len(lint)))
    lines += [o.line() for o in failed]
    regressions = t("gate.text_regressions", names=", ".join(sorted({f"{o.baseline}:{o.metric}" for o in failed}))) \
        if failed else ""
    lines.append(t("gate.text_hold", ok=len(outcomes) - len(failed), n=len(outcomes), regressions=regressions,
                   seconds=f"{seconds:.1f}"))
    return "\n".join(lines)


def json_report(outcomes: list[CheckOutcome], seconds: float, lint: Sequence[Problem] = ()) -> str:
    confs = sorted({o.confidence for o in outcomes}) or [0.95]
    return json.dumps({
        "passed": all(o.passed for o in outcomes) and not lint, "seconds": round(seconds, 2),
        "decision_rule": decision_rule(confs[0]),
        "lint_errors": [p.as_dict() for p in lint],
        "checks": [{"baseline": o.baseline, "metric": o.metric, "better": o.check.better,
                    "baseline_mean": o.baseline_mean, "current_mean": o.current_mean, "diff": o.diff,
                    "bound": o.bound, "confidence": o.confidence, "seeds": o.seeds, "margin": o.margin,
                    "margin_rule": o.check.describe(), "passed": o.passed, "note": o.note} for o in outcomes]},
        ensure_ascii=False, indent=2)
