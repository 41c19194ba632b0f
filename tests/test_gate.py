"""wenzheng check: the CI gate on committed baselines."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET

from wenzheng.cli import main

from .conftest import ROOT
from .test_policy_errors import edit

ONLY = ["--only", "golden-week-2014"]  # three weeks, six replications: a fast, real gate


def gate(capsys, *args: str) -> tuple[int, str]:
    code = main(["check", "--baseline-dir", str(ROOT / "baselines"), *ONLY, *args])
    return code, capsys.readouterr().out


def test_shipped_rules_pass(capsys, tmp_path):
    junit, md = tmp_path / "gate.xml", tmp_path / "gate.md"
    code, out = gate(capsys, "--junit", str(junit), "--markdown", str(md))
    assert code == 0, out
    assert "7 of 7 checks hold" in out
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == "0" and suite.get("tests") == "7"
    assert md.read_text(encoding="utf-8").startswith("### wenzheng gate: ✅ no regressions")


def test_tightened_reply_deadline_regresses(capsys, rules_copy, tmp_path):
    edit(rules_copy / "deadlines.yaml", "within: 5 working days", "within: 4 working days")
    md = tmp_path / "gate.md"
    code, out = gate(capsys, "--rules", str(rules_copy), "--markdown", str(md))
    assert code == 1
    assert "golden-week-2014: on_time_rate:" in out and "REGRESSION" in out
    assert "golden-week-2014:deductions_total" in out
    assert "❌" in md.read_text(encoding="utf-8")


def test_loosened_reply_deadline_regresses(capsys, rules_copy):
    edit(rules_copy / "deadlines.yaml", "within: 5 working days", "within: 6 working days")
    code, out = gate(capsys, "--rules", str(rules_copy))
    assert code == 1
    assert "golden-week-2014:reply_deadline_calendar_days_mean" in out


def test_deleted_routing_rule_is_refused_before_running(capsys, rules_copy):
    # a routing gap is a lint error: the gate refuses the policy (exit 2) instead of simulating it
    edit(rules_copy / "routing.yaml", "  - id: route-water\n    when: {category: 供水}\n    then: {unit: 水务局}\n", "")
    assert main(["check", "--rules", str(rules_copy)]) == 2
    assert "routing gap: category '供水' has no responsible unit" in capsys.readouterr().err


def test_misrouting_rule_regresses(capsys, rules_copy):
    edit(rules_copy / "routing.yaml", "then: {unit: 水务局}", "then: {unit: 园林绿化局}")
    code, out = gate(capsys, "--rules", str(rules_copy), "--format", "json")
    assert code == 1
    doc = json.loads(out)
    failed = {c["metric"] for c in doc["checks"] if not c["passed"]}
    assert "misrouting_rate" in failed and doc["passed"] is False


def test_renaming_a_rule_passes(capsys, rules_copy):
    edit(rules_copy / "routing.yaml", "id: route-water", "id: route-water-supply")
    code, out = gate(capsys, "--rules", str(rules_copy))
    assert code == 0, out


def test_bad_baseline_file_is_exit_2(capsys, tmp_path):
    d = tmp_path / "b"
    d.mkdir()
    (d / "x.yaml").write_text("kind: baseline\nscenario: ../nope.yaml\nreplications: 2\n"
                              "checks:\n  reply_rat: {better: higher, max_drop: 0.01}\n", encoding="utf-8")
    assert main(["check", "--baseline-dir", str(d)]) == 2
    err = capsys.readouterr().err
    assert "x.yaml:5:" in err and "unknown metric 'reply_rat'" in err and "did you mean 'reply_rate'" in err


def test_wrong_margin_direction_is_rejected(capsys, tmp_path):
    d = tmp_path / "b"
    d.mkdir()
    (d / "x.yaml").write_text(f"kind: baseline\nscenario: {ROOT / 'scenarios/golden-week-2014.yaml'}\n"
                              "replications: 2\nchecks:\n  reply_rate: {better: higher, max_rise: 0.01}\n",
                              encoding="utf-8")
    assert main(["check", "--baseline-dir", str(d)]) == 2
    assert "needs exactly one of max_drop or max_drop_pct" in capsys.readouterr().err


def test_baseline_update_records_and_reports_changes(capsys, tmp_path, rules_copy):
    d = tmp_path / "b"
    shutil.copytree(ROOT / "baselines", d)
    for f in d.iterdir():
        if f.stem != "golden-week-2014":
            f.unlink()
    text = (d / "golden-week-2014.yaml").read_text(encoding="utf-8")
    (d / "golden-week-2014.yaml").write_text(text.replace("../scenarios/", f"{ROOT}/scenarios/"), encoding="utf-8")
    assert main(["baseline", "update", "--baseline-dir", str(d)]) == 0
    assert "0 of 7 metrics changed" in capsys.readouterr().out  # same rules, same seeds: same numbers
    edit(rules_copy / "deadlines.yaml", "within: 5 working days", "within: 4 working days")
    assert main(["baseline", "update", "--baseline-dir", str(d), "--rules", str(rules_copy)]) == 0
    out = capsys.readouterr().out
    assert "on_time_rate: 0.906" in out and "deductions_total: 10 → " in out
    assert main(["check", "--baseline-dir", str(d), "--rules", str(rules_copy)]) == 0
    new = (d / "golden-week-2014.yaml").read_text(encoding="utf-8")
    assert new.startswith("# yaml-language-server") and "checks:" in new  # comments and checks kept


