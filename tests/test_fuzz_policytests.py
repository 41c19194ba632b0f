"""Fuzz: mutated policy test files (rules/tests/*.yaml) run against the shipped policy."""

from __future__ import annotations

import shutil

from hypothesis import given
from hypothesis import strategies as st

from engine.policytest import run_policy_tests
from tests.fuzz.harness import RULES, bounded, fuzz_settings, scratch
from tests.fuzz.targets import shipped, shipped_policy, shipped_text
from tests.fuzz.yamlmut import dump, mutated_text, mutated_tree

TESTS = RULES / "tests"
TEST_FILES = tuple(sorted(p.name for p in TESTS.glob("*.yaml")))


@st.composite
def policy_test_file_mutant(draw):
    name = draw(st.sampled_from(TEST_FILES))
    if draw(st.integers(0, 3)) == 0:
        return name, draw(mutated_text(shipped_text(TESTS / name)))
    return name, dump(draw(mutated_tree(shipped(TESTS / name)))).encode("utf-8")


@fuzz_settings("policy_tests")
@given(mutant=policy_test_file_mutant())
def test_fuzz_policy_test_files(tmp_path, mutant):
    policy = shipped_policy()
    name, content = mutant
    with scratch(tmp_path) as d:
        for f in TEST_FILES:
            shutil.copyfile(TESTS / f, d / f)
        (d / name).write_bytes(content)
        run, _ = bounded(lambda: run_policy_tests(policy, d))
        if run is not None:
            # every case has a result, and a result passes exactly when it has no differences
            assert run.passed + run.failed == len(run.results) > 0
            assert all(r.passed == (not r.diffs) for r in run.results)
            assert 0 <= run.coverage <= 100
