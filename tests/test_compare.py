"""Policy A/B on common random numbers."""

from __future__ import annotations

import json

from simulator import load_run_inputs, run_scenario
from simulator.compare import compare_policies
from wenzheng.cli import main

from .conftest import DATA, RULES
from .test_policy_errors import edit

SHORT = str(DATA / "short.yaml")


def test_identical_rules_have_no_differences():
    res = compare_policies(SHORT, str(RULES), str(RULES), 7, 2, 1)
    assert res.impacted_cases == 0
    assert all(d["diff"] == 0 for d in res.diffs.values())


def test_one_rule_change_lists_exactly_the_affected_cases(rules_copy):
    edit(rules_copy / "routing.yaml", "then: {unit: 园林绿化局}", "then: {unit: 城管监察局}")
    res = compare_policies(SHORT, str(RULES), str(rules_copy), 7, 1, 1)
    sc, policy, rules_dir = load_run_inputs(SHORT)
    result, _ = run_scenario(sc, policy, rules_dir, seed=7)
    parks = {c.case_id for c in result.cases if c.opened_at and c.unit == "园林绿化局"}
    assert parks
    assert {i["case_id"] for i in res.impacts} == parks
    for item in res.impacts:
        unit = next(ch for ch in item["changes"] if ch["field"] == "unit")
        assert (unit["baseline"], unit["candidate"]) == ("园林绿化局", "城管监察局")
        assert unit["baseline_rules"][0].startswith("route-parks (") and unit["candidate_rules"][0].startswith(
            "route-parks (")
    # routing to the wrong body is measured against the scenario's own rules
    assert res.diffs["misrouting_rate"]["diff"] > 0


def test_compare_cli_writes_the_impact_list(rules_copy, tmp_path, capsys):
    edit(rules_copy / "deadlines.yaml", "within: 5 working days", "within: 4 working days")
    out = tmp_path / "cmp"
    assert main(["compare", SHORT, "--baseline", str(RULES), "--candidate", str(rules_copy), "--replications", "2",
                 "--quiet", "--out", str(out), "--limit", "2"]) == 0
    printed = capsys.readouterr().out
    assert "deadline.reply:" in printed and "reply (" in printed
    doc = json.loads((out / "comparison.json").read_text(encoding="utf-8"))
    assert doc["impacted_cases"] > 0 and doc["metrics"]["on_time_rate"]["diff"] < 0
    rows = (out / "impact.csv").read_text(encoding="utf-8").splitlines()
    assert rows[0] == "seed,case_id,field,baseline,candidate,baseline_rules,candidate_rules"
    assert len({tuple(r.split(",")[:2]) for r in rows[1:]}) == doc["impacted_cases"]


def test_parallel_compare_equals_serial(rules_copy):
    edit(rules_copy / "hot.yaml", "{reposts: {gte: 500}}", "{reposts: {gte: 300}}")
    a = compare_policies(SHORT, str(RULES), str(rules_copy), 3, 2, 1)
    b = compare_policies(SHORT, str(RULES), str(rules_copy), 3, 2, 2)
    assert a.diffs == b.diffs and a.impacts == b.impacts
