"""Common random numbers, verified.

Two policies that differ only in where one category (园林绿化) goes, between
two units that behave very differently (tests/data/crn.yaml).  With one random
stream per case and purpose, every case outside that category must live
exactly the same life under both policies (same events at the same times,
same outcomes), and ``compare`` must name exactly the moved cases.

If the per-case streams were one shared stream, the moved cases would draw a
different number of values at different moments (supervision, promises),
which shifts every later draw of every other case: this test fails then (it
was checked by planting that bug in ``Simulation.case_rng``).

Cost: four runs of a 16-day scenario (~300 posts), a few seconds.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from simulator import load_run_inputs, run_scenario
from simulator.compare import compare_policies
from simulator.model import CaseRecord, RunResult

from .conftest import DATA, RULES
from .test_policy_errors import edit

CRN = DATA / "crn.yaml"
SEED = 11
MOVED_CATEGORY = "园林绿化"
FROM_UNIT, TO_UNIT = "园林绿化局", "城管监察局"

OUTCOME_FIELDS = ("channel", "place", "true_category", "posted_at", "opened_at", "category", "unit", "hot_at",
                  "statement_at", "statement_due", "reply_due", "replied_at", "reply_kind", "escalations",
                  "reminders", "followups", "deductions", "accountability", "merged_posts", "promise_due",
                  "promise_kept", "decisions", "triaged_by")


def _run(rules: Path | None) -> RunResult:
    sc, policy, rules_dir = load_run_inputs(str(CRN), str(rules) if rules else None)
    return run_scenario(sc, policy, rules_dir, seed=SEED)[0]


def _timelines(run: RunResult) -> dict[str, list[tuple[Any, ...]]]:
    out: dict[str, list[tuple[Any, ...]]] = {}
    for row in run.log:
        out.setdefault(row.case_id, []).append((row.activity, row.at, row.resource, row.unit, row.category))
    return out


def _outcome(rec: CaseRecord) -> dict[str, Any]:
    out = {f: getattr(rec, f) for f in OUTCOME_FIELDS}
    # the same rule in the two rules directories: compare 'id (file name:line)', not the directory
    out["decisions"] = [(what, value, re.sub(r"\(.*/", "(", rule)) for what, value, rule in rec.decisions]
    return out


@pytest.fixture(scope="module")
def moved_rules(tmp_path_factory) -> Path:
    import shutil

    dst = tmp_path_factory.mktemp("crn") / "rules"
    shutil.copytree(RULES, dst, ignore=shutil.ignore_patterns("tests"))
    edit(dst / "routing.yaml", f"then: {{unit: {FROM_UNIT}}}", f"then: {{unit: {TO_UNIT}}}")
    return dst


@pytest.fixture(scope="module")
def runs(moved_rules) -> tuple[RunResult, RunResult]:
    return _run(None), _run(moved_rules)


def test_the_scenario_gives_the_two_units_different_behaviour():
    sc, policy, _ = load_run_inputs(str(CRN))
    a = sc.units.behaviour(FROM_UNIT, policy.units[FROM_UNIT].type)
    b = sc.units.behaviour(TO_UNIT, policy.units[TO_UNIT].type)
    assert (a.no_reply, b.no_reply) == (0.0, 0.5)
    assert a.reply_working_days != b.reply_working_days and a.reply_kinds != b.reply_kinds


def test_cases_outside_the_moved_category_live_identical_lives(runs):
    a, b = runs
    assert a.posts == b.posts
    cases_a = {c.case_id: c for c in a.cases}
    cases_b = {c.case_id: c for c in b.cases}
    assert set(cases_a) == set(cases_b)
    moved = {cid for cid, c in cases_a.items() if c.category == MOVED_CATEGORY}
    assert len(moved) >= 5, "the scenario must route enough cases through the moved category"
    assert moved == {cid for cid, c in cases_b.items() if c.category == MOVED_CATEGORY}
    assert {cases_a[c].unit for c in moved} == {FROM_UNIT} and {cases_b[c].unit for c in moved} == {TO_UNIT}

    tl_a, tl_b = _timelines(a), _timelines(b)
    assert set(tl_a) == set(tl_b)  # every post, forms and desk answers alike
    others = sorted(set(tl_a) - moved)
    assert len(others) > 5 * len(moved)
    for cid in others:
        assert tl_a[cid] == tl_b[cid], f"case {cid} outside {MOVED_CATEGORY} changed its timeline"
        if cid in cases_a:
            assert _outcome(cases_a[cid]) == _outcome(cases_b[cid]), f"case {cid} changed its outcome"
    # the oracle is not vacuous: the moved cases do live different lives
    changed = [cid for cid in moved if tl_a[cid] != tl_b[cid]]
    assert len(changed) >= len(moved) // 2
    later = [cid for cid in moved if (cases_b[cid].replied_at or b.drained_at) > (cases_a[cid].replied_at
                                                                                   or a.drained_at)]
    assert len(later) >= len(moved) // 2, "城管监察局 replies later than 园林绿化局 in this scenario"


def test_compare_names_exactly_the_moved_cases_and_the_edited_rule(runs, moved_rules):
    a, _ = runs
    res = compare_policies(str(CRN), str(RULES), str(moved_rules), SEED, 1, 1)
    moved = {c.case_id for c in a.cases if c.category == MOVED_CATEGORY}
    assert {i["case_id"] for i in res.impacts} == moved
    for item in res.impacts:
        fields = {ch["field"]: ch for ch in item["changes"]}
        assert (fields["unit"]["baseline"], fields["unit"]["candidate"]) == (FROM_UNIT, TO_UNIT)
    # the edited rule itself, with its location, not only the downstream rules it affects
    assert len(res.rule_changes) == 1
    rc = res.rule_changes[0]
    assert (rc["change"], rc["table"], rc["rule"], rc["what"]) == ("modified", "routing", "route-parks", ["then"])
    line = next(i for i, text in enumerate((moved_rules / "routing.yaml").read_text(encoding="utf-8")
                                           .splitlines(), start=1) if "id: route-parks" in text)
    assert rc["baseline"].endswith(f"routing.yaml:{line}") and rc["candidate"].endswith(f"routing.yaml:{line}")
