"""Benchmarks: engine cost per decision, and the whole model's throughput.

Numbers, not pass/fail: speed targets are tracked by reading these, never by
timed unit tests that flake on a busy machine.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import durable_rules_engine as dre

from engine import Engine, Policy

__all__ = ["run_bench"]


def _facts(policy: Policy, n: int) -> list[dict[str, Any]]:
    cats, places = list(policy.categories), list(policy.places)
    facts = []
    for i in range(n):
        facts.append({"event": "post_received", "channel": "weibo", "text": "", "place": places[i % len(places)],
                      "category": cats[(i * 7) % len(cats)], "reposts": i % 50, "unit": "", "hot": False,
                      "followups": 0, "replied": False, "statement_issued": False, "reply_kind": "",
                      "escalations": 0, "deadline": "", "reminder": False, "met": False})
    return facts


def run_bench(rules: Path, scenario: Path, n: int) -> dict[str, Any]:
    policy = Policy.load(rules)
    engine = Engine(policy)
    table = engine._tables["routing"]
    facts = _facts(policy, n)
    # our path: fact → durable_rules C layer → matches → hit policy
    t = time.perf_counter()
    for f in facts:
        table.evaluate(f)
    ours = (time.perf_counter() - t) / n * 1e6
    # the raw C layer alone: assert + drain actions + retract (lower bound)
    handle = table._handle
    payloads = [json.dumps({**f, "sid": "0", "id": 1}, ensure_ascii=False) for f in facts]
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
    # reference evaluator, for comparison
    t = time.perf_counter()
    for f in facts:
        policy.tables["routing"].evaluate(f)
    ref = (time.perf_counter() - t) / n * 1e6
    engine.close()

    from simulator import load_run_inputs, run_scenario

    sc, pol, rdir = load_run_inputs(scenario, rules)
    t = time.perf_counter()
    _, metrics = run_scenario(sc, pol, rdir)
    wall = time.perf_counter() - t
    return {
        "routing rules": len(policy.tables["routing"].rules),
        "routing µs/decision (engine)": ours,
        "routing µs/decision (durable C layer only)": raw,
        "routing µs/decision (reference evaluator)": ref,
        "scenario": sc.name,
        "scenario forms": metrics["forms"],
        "scenario wall seconds": wall,
        "scenario cases/second": metrics["forms"] / wall,
        "scenario posts/second": metrics["posts"] / wall,
    }
