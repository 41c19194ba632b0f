"""Shared target bodies: load a (mutated) rules directory and check what a valid one must satisfy."""

from __future__ import annotations

import shutil
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from engine.yamlsrc import load_yaml

from .harness import RULES, bounded

RULE_FILES = tuple(sorted(p.name for p in RULES.glob("*.yaml")))


@cache
def shipped(path: Path) -> Any:
    """The plain data of a shipped YAML file (parsed once)."""
    return load_yaml(path)[1]


@cache
def shipped_text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def write_rules(dst: Path, name: str | None = None, content: bytes | None = None) -> Path:
    """A copy of the shipped rules in ``dst/rules`` with ``name`` replaced by ``content``."""
    d = dst / "rules"
    d.mkdir()
    for f in RULE_FILES:
        shutil.copyfile(RULES / f, d / f)
    if name is not None and content is not None:
        (d / name).write_bytes(content)
    return d


#: posts the invariants are checked on: one per routing case of the shipped policy tests, plus
#: texts that stress regexes and normalisation
PROBE_TEXTS = ("十三陵水库旁边公园停车场收费不合理，请园林部门解释", "龙泽苑有二房东打隔断出租，住了二十多人",
               "工地夜间施工噪音太大", "天通西苑有住户私自加盖二层", "暖气一直不热", "a" * 60 + "!",
               "小区垃圾  好几天\n没人清运了\t", "x")


def check_policy_invariants(policy: Any, at: datetime | None = None) -> None:
    """For a policy that loaded: each post gets at most one route under a single-hit policy, the
    unit routed to exists, and durable_rules selects exactly the rules the reference evaluator does."""
    from engine import Engine
    from engine.models import Post, PostReceived, Route

    at = at or datetime.fromisoformat("2014-05-14T10:05:00+08:00")
    seen: list[tuple[str, dict[str, Any], list[Any]]] = []
    engine = Engine(policy, observer=lambda k, f, s: seen.append((k, dict(f), list(s))))
    try:
        places = list(policy.places)[:3] or ["nowhere"]
        for n, text in enumerate(PROBE_TEXTS):
            place = places[n % len(places)]
            post = Post(post_id=f"p{n}", channel="weibo", author="网民", text=text, place=place, posted_at=at,
                        reposts=600 * (n % 3))
            seen.clear()
            decision, err = bounded(lambda post=post, n=n: engine.handle(
                PostReceived(case_id=f"c{n}", at=at, post=post)))
            if err is not None:
                continue
            routes = decision.of_type(Route)
            routing = policy.table("routing")
            if routing is not None and routing.hit_policy != "collect":
                assert len(routes) <= 1, f"{len(routes)} routes for one post: {routes}"
            for r in routes:
                assert r.unit in policy.units, f"routed to unknown unit {r.unit!r}"
            for kind, fact, selected in seen:
                want = [r.id for r in policy.table(kind).evaluate(fact)]
                assert [r.id for r in selected] == want, f"{kind}: durable_rules {selected} != reference {want}"
    finally:
        engine.close()


@cache
def shipped_policy() -> Any:
    """The shipped policy, loaded once (not a fixture: hypothesis would print it with every failure)."""
    from engine import Policy

    return Policy.load(RULES)
