"""Measure the CI gate's noise and signal: paired differences per seed under policy edits.

For every baseline in ``baselines/`` and every edit below, rerun the
baseline's seeds with the edited rules and record, per checked metric, the
paired differences (edited − observed) seed by seed.  The *no-op* edits
change the policy in ways that must not move deadlines or statements (a
category moved to a unit that behaves the same, a reminder moved, a
supervision threshold, deduction points): their differences are the noise a
margin must absorb.  The *regressions* are edits the gate must catch.

    .venv/bin/python scripts/gate_noise.py --out noise.json [--workers 2]   # ~25 min on 2 cores
    .venv/bin/python scripts/gate_noise.py --summarise noise.json            # the tables in the docs

The numbers in docs/results.md ("Why these margins") come from this script.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulator.gate import _run, load_baselines  # noqa: E402

_REPLIES = frozenset({"reply_rate", "on_time_rate", "deductions_total"})

#: name -> (kind, file, old text, new text, metrics the edit is meant to move)
EDITS: dict[str, tuple[str, str, str, str, frozenset[str]]] = {
    "heating-to-water-bureau": ("no-op", "routing.yaml", "then: {unit: 市政市容委}", "then: {unit: 水务局}",
                                frozenset({"misrouting_rate"})),
    "reminder-after-2-days": ("no-op", "deadlines.yaml", "remind_after: 3 working days",
                              "remind_after: 2 working days", _REPLIES),
    "supervise-after-3-follow-ups": ("no-op", "escalation.yaml",
                                     "when: {event: follow_up_posted, replied: false, followups: {gte: 2}}",
                                     "when: {event: follow_up_posted, replied: false, followups: {gte: 3}}",
                                     _REPLIES),
    "overdue-costs-2-points": ("no-op", "escalation.yaml", "deduct: {points: 1, reason: 未按时答复}",
                               "deduct: {points: 2, reason: 未按时答复}", frozenset({"deductions_total"})),
    "reply-within-4-days": ("regression", "deadlines.yaml", "within: 5 working days", "within: 4 working days",
                            _REPLIES | {"reply_deadline_calendar_days_mean"}),
    "reply-within-6-days": ("regression", "deadlines.yaml", "within: 5 working days", "within: 6 working days",
                            _REPLIES | {"reply_deadline_calendar_days_mean"}),
    "delete-route-parks": ("regression", "routing.yaml",
                           "  - id: route-parks\n    when: {category: 园林绿化}\n    then: {unit: 园林绿化局}\n", "",
                           _REPLIES | {"misrouting_rate", "unrouted_forms"}),
}


def edited_rules(base: Path, file: str, old: str, new: str) -> Path:
    tmp = Path(tempfile.mkdtemp(prefix="gate-noise-"))
    dst = tmp / "rules"
    shutil.copytree(base, dst, ignore=shutil.ignore_patterns("tests"))
    text = (dst / file).read_text(encoding="utf-8")
    if old not in text:
        raise SystemExit(f"edit not applicable: {old!r} not in {file}")
    (dst / file).write_text(text.replace(old, new), encoding="utf-8")
    return dst


def _worse(entry: dict[str, Any], margin: Any, base: float | None) -> float:
    """The one-sided 95% bound on the mean difference, signed so that positive is worse (in % for % margins)."""
    from simulator.stats import one_sided_bound

    d = [x for x in entry["diffs"] if x is not None]
    if not d:
        return 0.0
    m, b = one_sided_bound(d, "lower" if margin.better == "higher" else "upper")
    w = (-1 if margin.better == "higher" else 1) * (m if b is None else b)
    if margin.percent:
        w = 100.0 * w / abs(base) if base else 0.0
    return w


def summarise(path: Path) -> str:
    """Per metric: the noise under no-op edits and the effect of each regression, as the gate sees them.

    Noise counts every edit (no-op or regression) not meant to move the metric.  "worst bound" is the one-sided
    95% bound on the mean paired difference, signed so that positive is worse: the number the gate
    compares with the margin (for a % margin, in % of the baseline mean)."""
    from simulator.gate import DEFAULT_CHECKS

    data = json.loads(path.read_text(encoding="utf-8"))
    means = {b.name: {m: o.mean for m, o in (b.data.observed or {}).items()}
             for b in load_baselines(ROOT / "baselines")}
    regressions = [n for n, v in data.items() if v["kind"] == "regression"]
    lines = ["| metric | margin | untargeted edits: largest \\|Δ\\| of a seed | sd of Δ | worst bound | "
             + " | ".join(f"{n}: worst bound" for n in regressions) + " |",
             "|---|---:|---:|---:|---:|" + "---:|" * len(regressions)]
    for metric, margin in DEFAULT_CHECKS.items():
        noop = [(k, e) for n, v in data.items() if metric not in EDITS[n][4]
                for k, e in v.items() if k != "kind" and k.endswith(":" + metric)]
        biggest = max((e["max_abs"] or 0.0 for _, e in noop), default=0.0)
        sd = max((e["sd"] or 0.0 for _, e in noop), default=0.0)
        worst = max((_worse(e, margin, means[k.split(':')[0]][metric]) for k, e in noop), default=0.0)
        cells = []
        for n in regressions:
            w = max(_worse(e, margin, means[k.split(':')[0]][metric]) for k, e in data[n].items()
                    if k != "kind" and k.endswith(":" + metric))
            cells.append(f"{w:+.4g}{'%' if margin.percent else ''}" + (" ❌" if w > margin.amount + 1e-12 else ""))
        unit = "%" if margin.percent else ""
        lines.append(f"| `{metric}` | {margin.amount:g}{unit} | {biggest:.3g} | {sd:.3g} | {worst:+.3g}{unit} | "
                     + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=Path("noise.json"))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--only", nargs="*", default=[])
    ap.add_argument("--summarise", type=Path, default=None, help="Print the tables from a finished run.")
    args = ap.parse_args()
    if args.summarise is not None:
        print(summarise(args.summarise))
        return
    baselines = load_baselines(ROOT / "baselines")
    out: dict[str, dict[str, object]] = {}
    for name, (kind, file, old, new, _targets) in EDITS.items():
        if args.only and name not in args.only:
            continue
        rules = edited_rules(ROOT / "rules", file, old, new)
        for b in baselines:
            reps = _run(b, rules, args.workers)
            observed = b.data.observed or {}
            for metric, obs in observed.items():
                diffs = [None if o is None or r.get(metric) is None else float(r[metric]) - float(o)
                         for o, r in zip(obs.per_seed, reps, strict=True)]
                d = [x for x in diffs if x is not None]
                out.setdefault(name, {"kind": kind})[f"{b.name}:{metric}"] = {
                    "diffs": [None if x is None else round(x, 6) for x in diffs],
                    "mean": round(statistics.fmean(d), 6) if d else None,
                    "sd": round(statistics.stdev(d), 6) if len(d) > 1 else None,
                    "max_abs": round(max(abs(x) for x in d), 6) if d else None,
                }
            print(f"{name} {b.name} done", file=sys.stderr, flush=True)
        shutil.rmtree(rules.parent)
        args.out.write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
