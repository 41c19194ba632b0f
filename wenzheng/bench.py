"""Benchmarks: engine cost per decision, and the whole model's throughput.

Numbers, not pass/fail: speed targets are tracked by reading these, never by
timed unit tests that flake on a busy machine.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import durable_rules_engine as dre

from engine import Engine, Policy

__all__ = ["run_bench", "routing_table_of"]


def _facts(policy: Policy, n: int) -> list[dict[str, Any]]:
    cats, places = list(policy.categories), list(policy.places)
    return [{"event": "post_received", "channel": "weibo", "text": "小区门口垃圾没人清运", "place": places[i % len(places)],
             "category": cats[(i * 7) % len(cats)], "reposts": i % 50, "unit": "", "hot": False,
             "followups": 0, "replied": False, "statement_issued": False, "reply_kind": "",
             "escalations": 0, "deadline": "", "reminder": False, "met": False} for i in range(n)]


def routing_table_of(policy: Policy, n_rules: int) -> str:
    """A routing file of ``n_rules`` category × place rules plus a default (for scale measurements)."""
    lines = ["kind: routing", "hit_policy: first", "rules:"]
    cats, places = list(policy.categories), list(policy.places)
    bureaus = [u for u, s in policy.units.items() if s.type == "bureau"]
    for i in range(n_rules - 1):
        c, p = cats[i % len(cats)], places[(i // len(cats)) % len(places)]
        lines.append(f"  - {{id: r{i}, when: {{category: {c}, place: {p}}}, then: {{unit: {bureaus[i % len(bureaus)]}}}}}")
    lines.append("  - {id: r-default, then: {unit_of_place: true}}")
    return "\n".join(lines) + "\n"


def _time_routing(policy: Policy, facts: list[dict[str, Any]]) -> tuple[float, float, float]:
    engine = Engine(policy)
    table = engine._tables["routing"]
    n = len(facts)
    t = time.perf_counter()
    for f in facts:
        table.evaluate(f)
    ours = (time.perf_counter() - t) / n * 1e6
    # the C layer alone on the same facts: assert + drain actions + retract (a lower bound)
    handle = table._handle
    payloads = [json.dumps({**{k: f[k] for k in table.fields}, "sid": "0", "id": 1}, ensure_ascii=False)
                for f in facts]
    t = time.perf_counter()
    for p in payloads:
        r = dre.assert_fact(handle, p)
        if r[0] == 0:
            s = dre.start_action_for_state(handle, r[1])
            m = s[1] if s else None
            while m:
                m = dre.complete_and_start_action(handle, r[1])
        dre.retract_fact(handle, p)
    raw = (time.perf_counter() - t) / n * 1e6
    t = time.perf_counter()
    for f in facts:
        policy.tables["routing"].evaluate(f)
    ref = (time.perf_counter() - t) / n * 1e6
    engine.close()
    return ours, raw, ref


def run_bench(rules: Path, scenario: Path, n: int) -> dict[str, Any]:
    policy = Policy.load(rules)
    facts = _facts(policy, n)
    ours, raw, ref = _time_routing(policy, facts)
    tmp = Path(tempfile.mkdtemp(prefix="wenzheng-bench-"))
    try:
        shutil.copytree(rules, tmp / "rules", ignore=shutil.ignore_patterns("tests"))
        (tmp / "rules" / "routing.yaml").write_text(routing_table_of(policy, 60), encoding="utf-8")
        big = Policy.load(tmp / "rules")
        ours60, raw60, ref60 = _time_routing(big, facts)
    finally:
        shutil.rmtree(tmp)

    import resource

    from simulator import load_run_inputs, run_scenario

    sc, pol, rdir = load_run_inputs(scenario)
    t = time.perf_counter()
    _, metrics = run_scenario(sc, pol, rdir)
    wall = time.perf_counter() - t
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
    return {
        "routing rules (shipped)": len(policy.tables["routing"].rules),
        "routing µs/decision, engine": ours,
        "routing µs/decision, durable C layer only": raw,
        "routing µs/decision, reference evaluator": ref,
        "routing µs/decision, engine, 60-rule table": ours60,
        "routing µs/decision, C layer only, 60-rule table": raw60,
        "routing µs/decision, reference, 60-rule table": ref60,
        "scenario": sc.name,
        "scenario forms": metrics["forms"],
        "scenario wall seconds": wall,
        "scenario cases/second": metrics["forms"] / wall,
        "scenario posts/second": metrics["posts"] / wall,
        "peak memory (MB, whole process)": peak_mb,
    }
