"""The CI gate: committed baselines, replications, non-inferiority tests.

A baseline file (``baselines/<scenario>.yaml`` or ``.json``) names a
scenario, the replications to run, the checks (per metric: which direction is
better and how much regression is allowed) and the observed values of the
policy it was recorded with, per seed.  ``check`` reruns the same seeds with
the current rules and, per metric, computes the paired differences (common
random numbers make them small and honest) and their 95% confidence
interval.  A metric passes when the interval shows it is not worse than the
allowed margin (non-inferiority): for higher-is-better metrics the lower
bound of the difference must be ≥ −margin; for lower-is-better the upper
bound ≤ +margin.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from engine.errors import Problem, SourceError, suggest
from engine.yamlsrc import load_yaml, validation_problems

from .metrics import policy_fingerprint
from .replications import SCALAR_METRICS, run_replications
from .stats import mean_ci

__all__ = ["Check", "BaselineFile", "CheckOutcome", "load_baselines", "run_gate", "record_baseline",
           "junit_report", "markdown_report"]


class Check(BaseModel):
    model_config = ConfigDict(extra="forbid")
    better: Literal["higher", "lower"]
    max_drop: float | None = Field(default=None, ge=0, description="Allowed fall (absolute), higher-is-better")
    max_drop_pct: float | None = Field(default=None, ge=0, description="Allowed fall in % of the baseline")
    max_rise: float | None = Field(default=None, ge=0, description="Allowed rise (absolute), lower-is-better")
    max_rise_pct: float | None = Field(default=None, ge=0, description="Allowed rise in % of the baseline")

    @model_validator(mode="after")
    def _one_margin(self) -> Check:
        margins = {k: getattr(self, k) for k in ("max_drop", "max_drop_pct", "max_rise", "max_rise_pct")
                   if getattr(self, k) is not None}
        allowed = ("max_drop", "max_drop_pct") if self.better == "higher" else ("max_rise", "max_rise_pct")
        if len(margins) != 1 or next(iter(margins)) not in allowed:
            raise ValueError(f"a '{self.better}-is-better' check needs exactly one of {' or '.join(allowed)}")
        return self

    def margin(self, baseline_mean: float) -> float:
        for key in ("max_drop", "max_rise"):
            v = getattr(self, key)
            if v is not None:
                return float(v)
        pct = self.max_drop_pct if self.max_drop_pct is not None else self.max_rise_pct
        return abs(baseline_mean) * float(pct or 0) / 100.0

    def describe(self) -> str:
        if self.max_drop is not None:
            return f"may fall by at most {self.max_drop:g}"
        if self.max_drop_pct is not None:
            return f"may fall by at most {self.max_drop_pct:g}%"
        if self.max_rise is not None:
            return f"may rise by at most {self.max_rise:g}"
        return f"may rise by at most {self.max_rise_pct:g}%"


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
    checks: dict[str, Check] = Field(min_length=1)
    policy: str | None = Field(default=None, description="Fingerprint of the rules recorded (informational)")
    observed: dict[str, Observed] | None = Field(default=None, description="Written by `wenzheng baseline update`")



@dataclass
class Loaded:
    path: Path
    doc: Any
    data: BaselineFile

    @property
    def name(self) -> str:
        return self.path.stem

    def scenario_path(self) -> Path:
        return (self.path.parent / self.data.scenario).resolve()


def load_baselines(directory: Path, only: tuple[str, ...] = ()) -> list[Loaded]:
    if not directory.is_dir():
        raise SourceError([Problem(str(directory), None, None, "baseline directory not found", code="io")])
    files = sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml", ".json"))
    if only:
        files = [f for f in files if f.stem in only]
        missing = set(only) - {f.stem for f in files}
        if missing:
            raise SourceError([Problem(str(directory), None, None, f"no baseline for {', '.join(sorted(missing))}",
                                       code="io")])
    if not files:
        raise SourceError([Problem(str(directory), None, None, "no baseline files (*.yaml, *.json)", code="io")])
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
        loaded = Loaded(f, doc, data)
        unknown = [m for m in data.checks if m not in SCALAR_METRICS]
        for m in unknown:
            line, col = doc.locate(["checks", m])
            problems.append(Problem(str(f), line, col, f"unknown metric '{m}'", key=f"checks.{m}",
                                    suggestion=suggest(m, SCALAR_METRICS)))
        if unknown:
            continue
        if not loaded.scenario_path().is_file():
            line, col = doc.locate(["scenario"])
            problems.append(Problem(str(f), line, col, f"scenario '{data.scenario}' not found", key="scenario"))
            continue
        out.append(loaded)
    if problems:
        raise SourceError(problems)
    return out


@dataclass
class CheckOutcome:
    baseline: str
    metric: str
    check: Check
    baseline_mean: float | None
    current_mean: float | None
    diff: float | None
    ci_low: float | None
    ci_high: float | None
    margin: float
    passed: bool
    note: str = ""

    def line(self) -> str:
        def f(v: float | None) -> str:
            return "—" if v is None else f"{v:.4g}"

        ci = "" if self.ci_low is None else f" [{self.ci_low:+.4g}, {self.ci_high:+.4g}]"
        verdict = "ok" if self.passed else "REGRESSION"
        diff = "—" if self.diff is None else f"{self.diff:+.4g}"
        return (f"{self.baseline}: {self.metric}: {f(self.baseline_mean)} → {f(self.current_mean)} "
                f"(Δ {diff}{ci}; {self.check.describe()}) {verdict}{' — ' + self.note if self.note else ''}")


def _seeds(b: Loaded, scenario_seed: int) -> list[int]:
    base = b.data.seed if b.data.seed is not None else scenario_seed
    return [base + i for i in range(b.data.replications)]


def _run(b: Loaded, rules: Path | None, workers: int) -> list[dict[str, Any]]:
    from .scenario import load_scenario

    sc = load_scenario(b.scenario_path())
    seeds = _seeds(b, sc.seed)
    return run_replications(str(b.scenario_path()), str(rules) if rules else None, seeds[0], len(seeds), workers,
                            None)


def evaluate(b: Loaded, reps: list[dict[str, Any]]) -> list[CheckOutcome]:
    observed = b.data.observed or {}
    outcomes = []
    for metric, check in b.data.checks.items():
        obs = observed.get(metric)
        now = [r.get(metric) for r in reps]
        now_vals = [float(v) for v in now if v is not None]
        current = sum(now_vals) / len(now_vals) if now_vals else None
        if obs is None:
            outcomes.append(CheckOutcome(b.name, metric, check, None, current, None, None, None, 0.0, False,
                                         "no observed values: run `wenzheng baseline update`"))
            continue
        pairs = [(o, n) for o, n in zip(obs.per_seed, now, strict=False) if o is not None and n is not None]
        if not pairs:
            outcomes.append(CheckOutcome(b.name, metric, check, obs.mean, current, None, None, None, 0.0, True,
                                         "not defined in these runs (e.g. no hot events)"))
            continue
        d = [float(n) - float(o) for o, n in pairs]
        m, lo, hi = mean_ci(d)
        lo = m if lo is None else lo
        hi = m if hi is None else hi
        margin = check.margin(obs.mean or 0.0)
        eps = 1e-12
        passed = lo >= -margin - eps if check.better == "higher" else hi <= margin + eps
        outcomes.append(CheckOutcome(b.name, metric, check, obs.mean, current, m, lo, hi, margin, passed))
    return outcomes


def run_gate(baselines: list[Loaded], rules: Path | None, workers: int,
             progress: Callable[[str], None] | None = None) -> list[CheckOutcome]:
    outcomes: list[CheckOutcome] = []
    for b in baselines:
        if progress:
            progress(b.name)
        outcomes.extend(evaluate(b, _run(b, rules, workers)))
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
    for metric in b.data.checks:
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
        raw = json.loads(b.path.read_text(encoding="utf-8"))
        raw["observed"] = {k: {"mean": v["mean"], "per_seed": list(v["per_seed"])} for k, v in observed.items()}
        raw["policy"] = fingerprint
        text = json.dumps(raw, ensure_ascii=False, indent=2) + "\n"
    else:
        yaml = YAML(typ="rt")
        yaml.width = 120
        data = yaml.load(b.path.read_text(encoding="utf-8"))
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


def junit_report(outcomes: list[CheckOutcome], seconds: float) -> str:
    from xml.sax.saxutils import escape, quoteattr

    failures = sum(not o.passed for o in outcomes)
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             f'<testsuites tests="{len(outcomes)}" failures="{failures}" time="{seconds:.3f}">',
             f'  <testsuite name="wenzheng-gate" tests="{len(outcomes)}" failures="{failures}" time="{seconds:.3f}">']
    for o in outcomes:
        attrs = f"classname={quoteattr(o.baseline)} name={quoteattr(o.metric)}"
        if o.passed:
            lines.append(f"    <testcase {attrs}/>")
        else:
            lines.append(f"    <testcase {attrs}><failure message={quoteattr(o.line())}>"
                         f"{escape(o.line())}</failure></testcase>")
    lines += ["  </testsuite>", "</testsuites>"]
    return "\n".join(lines) + "\n"


def markdown_report(outcomes: list[CheckOutcome], seconds: float) -> str:
    failures = [o for o in outcomes if not o.passed]
    head = "### wenzheng gate: " + ("✅ no regressions" if not failures else f"❌ {len(failures)} regression(s)")
    lines = [head, "", f"{len(outcomes)} checks, {seconds:.1f} s.", "",
             "| scenario | metric | baseline | now | Δ (95% CI) | allowed | result |",
             "|---|---|---:|---:|---:|---|---|"]
    for o in outcomes:
        def f(v: float | None) -> str:
            return "—" if v is None else f"{v:.4g}"
        ci = "" if o.ci_low is None else f" ({o.ci_low:+.4g} … {o.ci_high:+.4g})"
        diff = "—" if o.diff is None else f"{o.diff:+.4g}"
        lines.append(f"| {o.baseline} | `{o.metric}` | {f(o.baseline_mean)} | {f(o.current_mean)} | {diff}{ci} | "
                     f"{o.check.describe()} | {'✅' if o.passed else '❌ ' + (o.note or 'regression')} |")
    return "\n".join(lines) + "\n"
