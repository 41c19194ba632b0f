"""durable_rules' decisions, after the hit policy, against an evaluator written here.

The engine runs on durable_rules.  This test reads the rule files itself (raw
YAML, not the engine's loader), evaluates each rule's ``when`` with its own
code (plain ``in`` for keywords, its own ``re.fullmatch`` for patterns; never
``Condition.holds``) and applies the hit policy itself (first / priority /
unique / collect).  Any disagreement with ``Engine.evaluate`` is a bug in
the loader, the compiler, durable_rules or the hit policy.  (The differential
tests found durable_rules' wrong answers on Chinese regex alternations, which
is why text tests are computed as features.)

A second group of tests proves the decisions come from durable_rules' C
layer: its calls are counted per evaluation and per decision, and a C layer
that reports no match must leave the engine with no match, so a silent
fallback to the pure-Python reference evaluator fails.

Both were checked by planting the bugs: ``Table.ranked`` with the priority
order reversed, and ``DurableTable.matches`` answering from ``IRRule.holds``.
"""

from __future__ import annotations

import random
import re
import textwrap
from collections import Counter
from pathlib import Path
from typing import Any

import durable_rules_engine
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from engine import Engine, Policy
from engine.conditions import CHANNELS, DEADLINE_KINDS, EVENT_KINDS, REPLY_KINDS
from engine.errors import EventError
from engine.models import PostReceived

from .conftest import RULES

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


class Independent:
    """The decision tables of a rules directory, read and evaluated without the engine's code."""

    def __init__(self, rules_dir: Path) -> None:
        yaml = YAML(typ="safe")
        self.tables: dict[str, tuple[str, list[dict[str, Any]]]] = {}
        for f in sorted(rules_dir.glob("*.yaml")):
            doc = yaml.load(f.read_text(encoding="utf-8"))
            if doc.get("kind") in ("classification", "routing", "hot", "deadlines", "escalation"):
                self.tables[doc["kind"]] = (doc["hit_policy"], list(doc.get("rules") or []))

    @staticmethod
    def test(actual: Any, op: str, value: Any) -> bool:
        if op == "eq":
            return actual == value
        if op == "ne":
            return actual != value
        if op == "in":
            return actual in value
        if op == "not_in":
            return actual not in value
        if op in ("gt", "gte", "lt", "lte"):
            return {"gt": actual > value, "gte": actual >= value, "lt": actual < value, "lte": actual <= value}[op]
        if op == "contains_any":
            words = value if isinstance(value, list) else [value]
            return any(w in actual for w in words)
        if op == "matches":  # patterns match the whole text, newlines included
            return re.fullmatch(value, actual, re.DOTALL) is not None
        raise AssertionError(f"the test does not know operator {op}")

    def rule_holds(self, rule: dict[str, Any], fact: dict[str, Any]) -> bool:
        for fld, spec in (rule.get("when") or {}).items():
            if isinstance(spec, dict):
                if not all(self.test(fact[fld], op, v) for op, v in spec.items()):
                    return False
            elif isinstance(spec, list):
                if fact[fld] not in spec:
                    return False
            elif fact[fld] != spec:
                return False
        return True

    def decide(self, kind: str, fact: dict[str, Any]) -> list[str] | str:
        """Rule ids the hit policy selects, or "error" when a unique table has several matches."""
        hit, rules = self.tables[kind]
        matched = [(i, r) for i, r in enumerate(rules) if self.rule_holds(r, fact)]
        if not matched:
            return []
        if hit == "first":
            return [matched[0][1]["id"]]
        if hit == "priority":  # highest priority wins, ties go to the rule written first
            best = max(r.get("priority", 0) for _, r in matched)
            return [next(r["id"] for _, r in matched if r.get("priority", 0) == best)]
        if hit == "unique":
            return "error" if len(matched) > 1 else [matched[0][1]["id"]]
        assert hit == "collect", hit
        return [r["id"] for _, r in matched]


def engine_decides(engine: Engine, kind: str, fact: dict[str, Any]) -> list[str] | str:
    try:
        return [r.id for r in engine.evaluate(kind, fact)]
    except EventError as exc:
        assert "hit policy 'unique'" in str(exc)
        return "error"


def disagreements(engine: Engine, oracle: Independent, facts: list[dict]) -> list[tuple]:
    bad = []
    for fact in facts:
        for kind in engine._tables:
            ours, theirs = engine_decides(engine, kind, fact), oracle.decide(kind, fact)
            if ours != theirs:
                bad.append((kind, fact, ours, theirs))
    return bad


def test_ten_thousand_generated_events_agree(policy):
    engine = Engine(policy)
    rng = random.Random(20140514)
    words = vocabulary(policy)
    facts = [random_fact(rng, policy, words) for _ in range(10_000)]
    assert disagreements(engine, Independent(RULES), facts) == []
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
        hit_policy: first
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
          - {id: r5, priority: 3, when: {channel: weibo, category: {in: [二类, 三类]}}, then: {unit: 丙局}}
    """,
    "hot.yaml": """
        kind: hot
        hit_policy: unique
        rules:
          - {id: h1, when: {reposts: {gte: 500}}, then: {hot: true}}
          - {id: h2, when: {followups: {gte: 3}, replied: false}, then: {hot: true}}
          - {id: h3, when: {text: {contains_any: [垃圾, 臭]}, channel: wechat}, then: {hot: true}}
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
def stress_dir(tmp_path_factory) -> Path:
    d: Path = tmp_path_factory.mktemp("stress")
    for name, text in STRESS.items():
        (d / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return d


@pytest.fixture(scope="module")
def stress(stress_dir) -> Policy:
    return Policy.load(stress_dir)


def test_every_operator_and_hit_policy_agrees_on_a_stress_policy(stress, stress_dir):
    engine = Engine(stress)
    rng = random.Random(7)
    words = vocabulary(stress) + ["垃圾", "清运", "臭", "甲", "乙", "丙"]
    facts = [random_fact(rng, stress, words) for _ in range(5_000)]
    oracle = Independent(stress_dir)
    assert disagreements(engine, oracle, facts) == []
    # the facts exercise what the hit policies decide: priority ties and overrides, unique's conflicts
    outcomes = Counter()
    for fact in facts:
        routing, hot = oracle.decide("routing", fact), oracle.decide("hot", fact)
        matched = {r["id"] for r in oracle.tables["routing"][1] if oracle.rule_holds(r, fact)}
        outcomes["priority beats file order"] += routing == ["r3"] and "r1" in matched
        outcomes["tie goes to file order"] += routing == ["r3"] and "r5" in matched
        outcomes["default priority loses"] += routing != ["r4"] and "r4" in matched
        outcomes["unique conflict"] += hot == "error"
        outcomes["unique single"] += isinstance(hot, list) and len(hot) == 1
    assert min(outcomes.values()) >= 20, outcomes
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
    assert disagreements(engine, _INDEPENDENT, [fact]) == []


_ENGINES: dict[int, Engine] = {}
_INDEPENDENT = Independent(RULES)


def _shared_engine(policy: Policy) -> Engine:
    return _ENGINES.setdefault(id(policy), Engine(policy))


# -- the decisions come from durable_rules ------------------------------------------------------------------


class CLayer:
    """Counts the calls the compiled tables make into durable_rules' C extension."""

    NAMES = ("assert_fact", "retract_fact", "start_action_for_state", "complete_and_start_action")

    def __init__(self, monkeypatch: pytest.MonkeyPatch, silence: bool = False) -> None:
        self.calls: Counter[str] = Counter()
        self.actions = 0  # rule activations the C layer handed back
        for name in self.NAMES:
            real = getattr(durable_rules_engine, name)
            monkeypatch.setattr(durable_rules_engine, name, self._wrap(name, real, silence))

    def _wrap(self, name: str, real: Any, silence: bool) -> Any:
        def call(*args: Any) -> Any:
            self.calls[name] += 1
            result = real(*args)
            if name == "start_action_for_state":
                if silence:  # the C layer says: no rule matched (the action is still consumed)
                    return None
                self.actions += bool(result and result[1])
            elif name == "complete_and_start_action":
                self.actions += bool(result)
            return result
        return call


def test_every_evaluation_is_one_assert_into_durable_rules(policy, monkeypatch):
    engine = Engine(policy)
    c = CLayer(monkeypatch)
    rng = random.Random(5)
    words = vocabulary(policy)
    evaluations = matched = 0
    for _ in range(300):
        fact = random_fact(rng, policy, words)
        for kind in engine._tables:
            before = c.actions
            selected = engine.evaluate(kind, fact)
            evaluations += 1
            matched += len(selected)
            # every rule the engine selected was handed back by the C layer for this fact
            assert c.actions - before >= len(selected)
            assert c.calls["assert_fact"] == c.calls["retract_fact"] == evaluations
    assert matched > 300 and c.actions >= matched
    engine.close()


def test_each_decision_goes_through_durable_rules(policy, monkeypatch):
    """engine.handle(post_received): one assert per table the decision consults (4 tables here)."""
    from .test_engine import T0, post

    engine = Engine(policy)
    seen: list[str] = []
    engine.observer = lambda kind, fact, selected: seen.append(kind)
    c = CLayer(monkeypatch)
    decision = engine.handle(PostReceived(case_id="C1", at=T0, post=post("十三陵水库旁边公园停车场收费不合理", "十三陵")))
    assert {type(e).__name__ for e in decision.effects} >= {"Classify", "Route", "SetDeadline"}
    assert seen == ["classification", "routing", "hot", "deadlines"]
    assert c.calls["assert_fact"] == c.calls["retract_fact"] == len(seen)
    assert c.actions >= 3  # the classification, routing and deadline rules came from the C layer
    engine.close()


def test_a_silent_c_layer_means_no_decision(policy, monkeypatch):
    """If durable_rules reports no match, the engine has none: no Python evaluator answers in its place."""
    engine = Engine(policy)
    CLayer(monkeypatch, silence=True)
    rng = random.Random(6)
    words = vocabulary(policy)
    for _ in range(50):
        fact = random_fact(rng, policy, words)
        for kind in engine._tables:
            assert engine.evaluate(kind, fact) == []
    engine.close()
