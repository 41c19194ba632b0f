"""Fuzz: mutated rule files (structure and text). Oracle in tests/fuzz/harness.py; docs/fuzzing.md."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from engine import Policy
from engine.lint import lint
from tests.fuzz.harness import RULES, bounded, fuzz_settings, scratch
from tests.fuzz.targets import (
    RULE_FILES,
    check_policy_invariants,
    shipped,
    shipped_text,
    write_rules,
)
from tests.fuzz.yamlmut import dump, mutated_text, mutated_tree


@st.composite
def tree_mutant(draw):
    name = draw(st.sampled_from(RULE_FILES))
    return name, dump(draw(mutated_tree(shipped(RULES / name)))).encode("utf-8")


@st.composite
def text_mutant(draw):
    name = draw(st.sampled_from(RULE_FILES))
    return name, draw(mutated_text(shipped_text(RULES / name)))


def _load_and_check(tmp_path, name, content, also_lint):
    with scratch(tmp_path) as d:
        rules = write_rules(d, name, content)
        policy, err = bounded(lambda: Policy.load(rules))
        if policy is not None:
            check_policy_invariants(policy)
        if also_lint:
            report, _ = bounded(lambda: lint(rules, ()))
            if report is not None and err is not None:
                # everything the loader rejects, lint reports as an error (lint also finds more:
                # shadowed rules, gaps, which the loader accepts)
                assert report.errors, f"the loader rejects the policy, lint reports no error: {err}"


@fuzz_settings("rules")
@given(mutant=tree_mutant(), also_lint=st.integers(0, 3).map(lambda n: n == 0))
def test_fuzz_rule_files_structure(tmp_path, mutant, also_lint):
    _load_and_check(tmp_path, *mutant, also_lint)


@fuzz_settings("rules_text")
@given(mutant=text_mutant(), also_lint=st.integers(0, 3).map(lambda n: n == 0))
def test_fuzz_rule_files_text(tmp_path, mutant, also_lint):
    _load_and_check(tmp_path, *mutant, also_lint)
