"""durable_rules and the reference evaluator must agree on every decision.

The engine runs on durable_rules; ``Condition.holds`` is a small pure-Python
evaluator of the same intermediate form.  Any disagreement is a bug in one of
them (this test found durable_rules' wrong answers on Chinese regex
alternations, which is why text tests are computed as features).
"""

from __future__ import annotations

import random
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Engine, Policy
from engine.conditions import CHANNELS, DEADLINE_KINDS, EVENT_KINDS, REPLY_KINDS

FILLER = "的了在是我有和就不人都一个上也很到说要去你会着没看好自己这小区门口附近已经"


def vocabulary(policy: Policy) -> list[str]:
    words: set[str] = set()
    for rule in policy.rules():
        for c in rule.conditions:
            if c.op == "contains_any":
                words.update(c.value)
    return sorted(words)


def random_fact(rng: random.Random, policy: Policy, words: list[str]) -> dict:
    parts = [rng.choice(FILLER) for _ in range(rng.randrange(0, 12))]
    for _ in range(rng.randrange(0, 4)):
        parts.insert(rng.randrange(len(parts) + 1), rng.choice(words))
    return {
        "event": rng.choice(EVENT_KINDS),
        "channel": rng.choice(CHANNELS),
        "text": "".join(parts),
        "place": rng.choice(policy.places),
        "category": rng.choice(list(policy.categories) + [""]),
        "unit": rng.choice(list(policy.units) + [""]),
        "hot": rng.random() < 0.5,
        "reposts": rng.choice([0, 1, 499, 500, 501, 1999, 2000, 2001, rng.randrange(0, 5000)]),
        "followups": rng.randrange(0, 5),
        "replied": rng.random() < 0.5,
        "statement_issued": rng.random() < 0.5,
        "reply_kind": rng.choice(REPLY_KINDS + ("",)),
        "escalations": rng.randrange(0, 4),
        "deadline": rng.choice(DEADLINE_KINDS + ("",)),
        "reminder": rng.random() < 0.5,
        "met": rng.random() < 0.5,
    }


def disagreements(engine: Engine, policy: Policy, facts: list[dict]) -> list[tuple]:
    bad = []
    for fact in facts:
        for kind, table in engine._tables.items():
            ours = [r.id for r in table.matches(fact)]
            ref = [r.id for r in policy.tables[kind].ranked() if r.holds(fact)]
            if ours != ref:
                bad.append((kind, fact, ours, ref))
    return bad


def test_ten_thousand_generated_events_agree(policy):
    engine = Engine(policy)
    rng = random.Random(20140514)
    words = vocabulary(policy)
    facts = [random_fact(rng, policy, words) for _ in range(10_000)]
    assert disagreements(engine, policy, facts) == []
    engine.close()


STRESS = {
    "units.yaml": """
        kind: units
        units:
          - {id: 甲街道, type: street, places: [甲]}
          - {id: 乙镇, type: town, places: [乙]}
          - {id: 丙局, type: bureau}
          - {id: 督办室, type: office}
    """,
    "classification.yaml": """
        kind: classification
        hit_policy: collect
        categories: [{id: 一类}, {id: 二类}, {id: 三类}]
        rules:
          - {id: c1, when: {text: {contains_any: [停车, 车位, 违停, 公交, 红绿灯, 堵车]}}, then: {category: 一类}}
          - {id: c2, when: {text: {matches: '.*(垃圾|清运|臭).*'}, channel: {ne: wechat}}, then: {category: 二类}}
          - {id: c3, when: {reposts: {gt: 10, lte: 100}, place: {not_in: [甲]}}, then: {category: 三类}}
          - {id: c4, when: {text: {matches: '.*[甲乙丙]+.*'}}, then: {category: 一类}}
          - {id: c5, then: {category: 三类}}
    """,
    "routing.yaml": """
        kind: routing
        hit_policy: priority
        rules:
          - {id: r1, priority: 1, when: {category: [一类, 二类]}, then: {unit_of_place: true}}
          - {id: r2, priority: 5, when: {category: 三类, reposts: {lt: 50}}, then: {unit: 丙局}}
          - {id: r3, priority: 3, when: {place: 乙, category: {ne: 一类}}, then: {unit: 乙镇}}
          - {id: r4, when: {reposts: {gte: 0}}, then: {unit: 甲街道}}
    """,
    "deadlines.yaml": """
        kind: deadlines
        hit_policy: collect
        rules:
          - {id: d1, when: {hot: true, followups: {gte: 1}}, then: {deadline: {for: external_statement, within: 1 hours}}}
          - {id: d2, when: {event: {in: [post_received, reposts_updated]}}, then: {deadline: {for: reply, within: 3 working days}}}
    """,
    "escalation.yaml": """
        kind: escalation
        hit_policy: collect
        rules:
          - {id: e1, when: {met: false, deadline: reply, escalations: {lt: 2}}, then: {escalate: {to: 督办室}}}
          - {id: e2, when: {replied: false, reply_kind: {not_in: [立行立改]}, statement_issued: false}, then: {remind: true}}
          - {id: e3, when: {unit: {in: [丙局, 乙镇]}, reminder: true}, then: {deduct: {points: 0.5}}}
    """,
}


@pytest.fixture(scope="module")
def stress(tmp_path_factory) -> Policy:
    d: Path = tmp_path_factory.mktemp("stress")
    for name, text in STRESS.items():
        (d / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return Policy.load(d)


def test_every_operator_agrees_on_a_stress_policy(stress):
    engine = Engine(stress)
    rng = random.Random(7)
    words = vocabulary(stress) + ["垃圾", "清运", "臭", "甲", "乙", "丙"]
    facts = [random_fact(rng, stress, words) for _ in range(5_000)]
    assert disagreements(engine, stress, facts) == []
    engine.close()


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_hypothesis_facts_agree(policy, data):
    engine = _shared_engine(policy)
    words = vocabulary(policy)
    seed = data.draw(st.integers(min_value=0, max_value=2**32 - 1))
    fact = random_fact(random.Random(seed), policy, words)
    pieces = data.draw(st.lists(st.sampled_from(list(FILLER) + words) | st.text(max_size=3), max_size=10))
    fact["text"] = "".join(pieces)
    fact["reposts"] = data.draw(st.integers(min_value=0, max_value=10**6))
    assert disagreements(engine, policy, [fact]) == []


_ENGINES: dict[int, Engine] = {}


def _shared_engine(policy: Policy) -> Engine:
    return _ENGINES.setdefault(id(policy), Engine(policy))
