"""Fuzz: mutated scenario files (loading and cross-checks; short simulations of the valid ones)."""

from __future__ import annotations

import math
from datetime import timedelta
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from simulator import load_run_inputs, run_scenario
from tests.fuzz.harness import RULES, SCENARIOS, bounded, fuzz_settings, scratch
from tests.fuzz.targets import shipped, shipped_text
from tests.fuzz.yamlmut import dump, mutated_text, mutated_tree

SCENARIO_FILES = tuple(sorted(p.name for p in SCENARIOS.glob("*.yaml")))
BASE = "changping-2014.yaml"  # the others extend it


def _write_scenarios(d: Path) -> Path:
    """The shipped scenarios in ``d``, the base pointing at the shipped rules (absolute path)."""
    for name in SCENARIO_FILES:
        text = shipped_text(SCENARIOS / name)
        if name == BASE:
            text = text.replace("rules: ../rules", f"rules: {RULES}")
        (d / name).write_text(text, encoding="utf-8")
    return d


def _base_data() -> dict:
    data = dict(shipped(SCENARIOS / BASE))
    data["rules"] = str(RULES)
    return data


@st.composite
def scenario_mutant(draw):
    name = draw(st.sampled_from(SCENARIO_FILES))
    data = _base_data() if name == BASE else shipped(SCENARIOS / name)
    if draw(st.integers(0, 3)) == 0:
        text = dump(data) if name == BASE else shipped_text(SCENARIOS / name)
        return name, draw(mutated_text(text))
    return name, dump(draw(mutated_tree(data))).encode("utf-8")


@fuzz_settings("scenarios")
@given(mutant=scenario_mutant())
def test_fuzz_scenario_files(tmp_path, mutant):
    name, content = mutant
    with scratch(tmp_path) as d:
        _write_scenarios(d)
        (d / name).write_bytes(content)
        loaded, _ = bounded(lambda: load_run_inputs(d / name))
        if loaded is not None:
            sc, policy, _ = loaded
            assert sc.start <= sc.end


RATES = ("reply_rate", "on_time_rate", "statement_2h_rate", "misrouting_rate", "desk_utilisation")


@fuzz_settings("scenario_sim")
@given(data=mutated_tree(_base_data(), max_ops=2))
def test_fuzz_scenario_short_runs(tmp_path, data):
    """A valid mutant, cut to its first two days, runs to the end and gives sane metrics."""
    with scratch(tmp_path) as d:
        (d / "s.yaml").write_text(dump(data), encoding="utf-8")
        loaded, _ = bounded(lambda: load_run_inputs(d / "s.yaml"))
        if loaded is None:
            return
        sc, policy, rules_dir = loaded
        if sc.end - sc.start > timedelta(days=1):
            docs = sc._docs
            sc = sc.model_copy(update={"end": sc.start + timedelta(days=1)})
            sc._docs = docs
        result, _ = bounded(lambda: run_scenario(sc, policy, rules_dir), seconds=20)
        if result is None:
            return
        metrics = result[1]
        assert 0 <= metrics["forms"] <= metrics["posts"]
        for key in RATES:
            v = metrics.get(key)
            assert v is None or (math.isfinite(v) and 0 <= v <= 1), (key, v)
