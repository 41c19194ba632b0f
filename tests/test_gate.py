"""wenzheng check: the CI gate on committed baselines."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET

import pytest

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
    assert out.startswith("wenzheng gate — a check fails when the one-sided 95% confidence bound")
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == "0" and suite.get("tests") == "7"
    text = md.read_text(encoding="utf-8")
    assert text.startswith("### wenzheng gate: ✅ no regressions")
    assert "**Decision rule:** a check fails when the one-sided 95% confidence bound" in text
    assert "paired difference (now − baseline, same seeds" in text


def test_tightened_reply_deadline_regresses(capsys, rules_copy, tmp_path):
    edit(rules_copy / "deadlines.yaml", "within: 5 working days", "within: 4 working days")
    md, junit = tmp_path / "gate.md", tmp_path / "gate.xml"
    code, out = gate(capsys, "--rules", str(rules_copy), "--markdown", str(md), "--junit", str(junit))
    assert code == 1 and _junit_failures(junit) >= 2
    assert "golden-week-2014: on_time_rate:" in out and "REGRESSION" in out
    assert "golden-week-2014:deductions_total" in out
    assert "❌" in md.read_text(encoding="utf-8")


def test_loosened_reply_deadline_regresses(capsys, rules_copy):
    edit(rules_copy / "deadlines.yaml", "within: 5 working days", "within: 6 working days")
    code, out = gate(capsys, "--rules", str(rules_copy))
    assert code == 1
    assert "golden-week-2014:reply_deadline_calendar_days_mean" in out


def test_deleted_routing_rule_fails_naming_the_metrics_and_the_lint_error(capsys, rules_copy, tmp_path):
    """A routing gap is a lint error (validate and run refuse it); the gate measures it anyway and fails on
    both: the lint error and every metric it moves, in the text, JSON and JUnit output alike."""
    edit(rules_copy / "routing.yaml", "  - id: route-water\n    when: {category: 供水}\n    then: {unit: 水务局}\n", "")
    junit = tmp_path / "gate.xml"
    code, out = gate(capsys, "--rules", str(rules_copy), "--junit", str(junit))
    assert code == 1
    assert f"{rules_copy / 'routing.yaml'}:7:1: error routing-gap routing gap: category '供水'" in out
    assert "golden-week-2014:unrouted_forms" in out and "golden-week-2014:misrouting_rate" in out
    root = ET.parse(junit).getroot().find("testsuite")
    assert root is not None
    lint_cases = [c for c in root.iter("testcase") if c.get("classname") == "lint"]
    assert len(lint_cases) == 1 and lint_cases[0].find("failure") is not None
    code, out = gate(capsys, "--rules", str(rules_copy), "--format", "json")
    doc = json.loads(out)
    assert code == 1 and doc["passed"] is False and doc["lint_errors"][0]["code"] == "routing-gap"
    assert main(["run", str(ROOT / "scenarios" / "changping-2014.yaml"), "--rules", str(rules_copy),
                 "--out", str(tmp_path / "r"), "--quiet"]) == 2  # run still refuses it
    assert "routing gap" in capsys.readouterr().err and not (tmp_path / "r").exists()


def test_rules_that_do_not_load_are_exit_2_in_the_gate(capsys, rules_copy):
    edit(rules_copy / "routing.yaml", "then: {unit: 水务局}", "then: {unit: 水务}")
    assert main(["check", "--rules", str(rules_copy), *ONLY]) == 2
    assert "unknown unit '水务'" in capsys.readouterr().err


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
    for metric in ("on_time_rate", "deductions_total"):  # each reported from its recorded mean, not a pinned value
        recorded = float(re.search(rf"  {metric}: {{mean: ([0-9.]+)", text).group(1))  # type: ignore[union-attr]
        assert f"{metric}: {recorded:g} → " in out
    assert main(["check", "--baseline-dir", str(d), "--rules", str(rules_copy)]) == 0
    new = (d / "golden-week-2014.yaml").read_text(encoding="utf-8")
    assert new.startswith("# yaml-language-server") and "checks:" in new  # comments and checks kept




# -- the decision rule, on hand-computed numbers --------------------------------------------------------------

def test_t_quantiles_come_from_the_t_distribution():
    from simulator.stats import t_quantile

    # printed tables (e.g. NIST/SEMATECH e-Handbook 1.3.6.7.2), to their 3 decimals
    for p, df, want in [(0.975, 1, 12.706), (0.975, 10, 2.228), (0.975, 30, 2.042), (0.95, 7, 1.895),
                        (0.95, 3, 2.353), (0.975, 40, 2.021), (0.975, 100, 1.984)]:
        assert abs(t_quantile(p, df) - want) < 5e-4, (p, df)
    # regression: the old table interpolated linearly between 30 and 60 df and gave 2.028 at 40
    assert t_quantile(0.975, 10_000) == pytest.approx(1.960, abs=1e-3)


def _baseline(tmp_path, checks: str, per_seed: dict[str, list[float]], confidence: str = ""):
    from simulator.gate import load_baselines

    d = tmp_path / "b"
    d.mkdir(exist_ok=True)
    observed = "".join(f"  {m}: {{mean: {sum(v) / len(v)}, per_seed: {v}}}\n" for m, v in per_seed.items())
    (d / "x.yaml").write_text(
        f"kind: baseline\nscenario: {ROOT / 'scenarios/golden-week-2014.yaml'}\nreplications: 4\n{confidence}"
        f"checks:\n{checks}observed:\n{observed}", encoding="utf-8")
    return load_baselines(d)[0]


def test_one_sided_bound_decides_hand_computed(tmp_path):
    from simulator.gate import evaluate

    # d = 1, 2, 3, 4: mean 2.5, sd 1.290994, n 4; t(0.95, 3) = 2.353363 → upper bound 2.5 + 1.519090 = 4.019090.
    # (The two-sided 95% interval, t(0.975, 3) = 3.182446, would reach 4.554.)
    base = [10.0, 10.0, 10.0, 10.0]
    reps = [{"backlog_max": 11.0}, {"backlog_max": 12.0}, {"backlog_max": 13.0}, {"backlog_max": 14.0}]
    for margin, passed in [(4.0, False), (4.05, True), (4.2, True)]:
        b = _baseline(tmp_path, f"  backlog_max: {{better: lower, max_rise: {margin}}}\n", {"backlog_max": base})
        [o] = evaluate(b, reps)
        assert o.diff == pytest.approx(2.5) and o.bound == pytest.approx(4.01909, abs=1e-5)
        assert o.passed is passed, margin
    # a stricter confidence widens the bound: t(0.99, 3) = 4.540703 → 2.5 + 2.931011 = 5.431011
    b = _baseline(tmp_path, "  backlog_max: {better: lower, max_rise: 5}\n", {"backlog_max": base},
                  confidence="confidence: 0.99\n")
    [o] = evaluate(b, reps)
    assert o.bound == pytest.approx(5.431011, abs=1e-5) and not o.passed


def test_noise_within_the_margin_passes(tmp_path):
    # regressions reported in issue 8: "7.149 → 7.149 (Δ −0.0007) REGRESSION" and statement_2h_rate +0.003 flagged
    from simulator.gate import evaluate

    days = [7.158829, 7.052337, 7.232322, 7.209808]
    rate = [0.944444, 0.888889, 0.954545, 1.0]
    b = _baseline(tmp_path, "  reply_deadline_calendar_days_mean:\n  statement_2h_rate: {}\n",
                  {"reply_deadline_calendar_days_mean": days, "statement_2h_rate": rate})
    reps = [{"reply_deadline_calendar_days_mean": d - 0.0007 + 0.002 * (-1) ** i,
             "statement_2h_rate": r + [0.012, -0.009, 0.011, -0.002][i]} for i, (d, r) in enumerate(zip(days, rate, strict=True))]
    outcomes = {o.metric: o for o in evaluate(b, reps)}
    assert all(o.passed for o in outcomes.values()), [o.line() for o in outcomes.values()]
    assert outcomes["statement_2h_rate"].diff == pytest.approx(0.003)
    # the same data against the old zero margins: both fail (the bound crosses zero)
    b0 = _baseline(tmp_path, "  reply_deadline_calendar_days_mean: {max_rise: 0}\n"
                             "  statement_2h_rate: {max_drop: 0}\n",
                   {"reply_deadline_calendar_days_mean": days, "statement_2h_rate": rate})
    assert not any(o.passed for o in evaluate(b0, reps))


def test_defaults_are_taken_when_the_baseline_omits_the_margin(tmp_path):
    from simulator.gate import DEFAULT_CHECKS

    b = _baseline(tmp_path, "  reply_rate:\n  on_time_rate: {}\n  deductions_total: {better: lower}\n"
                            "  misrouting_rate: {max_rise: 0.01}\n", {})
    assert b.margins["reply_rate"] == DEFAULT_CHECKS["reply_rate"]
    assert b.margins["on_time_rate"] == DEFAULT_CHECKS["on_time_rate"]
    assert b.margins["deductions_total"] == DEFAULT_CHECKS["deductions_total"]
    assert b.margins["misrouting_rate"].amount == 0.01 and b.margins["misrouting_rate"].better == "lower"
    assert b.margins["deductions_total"].allowed(120.0) == pytest.approx(12.0)  # 10% of the baseline mean


@pytest.mark.parametrize(("check", "message"), [
    ("  backlog_max: {}\n", "'backlog_max' has no default check: give better"),
    ("  backlog_max: {better: lower}\n", "'backlog_max' has no default margin: give one of max_rise"),
    ("  reply_rate: {better: lower}\n", "'reply_rate': higher is better, not lower"),
    ("  reply_rate: {max_rise: 0.01}\n", "'reply_rate': higher is better, not lower"),
    ("  reply_rate: {max_drop: 0.01, max_drop_pct: 1}\n", "give at most one margin"),
])
def test_unresolvable_checks_are_exit_2_with_location(tmp_path, capsys, check, message):
    d = tmp_path / "b"
    d.mkdir()
    (d / "x.yaml").write_text(f"kind: baseline\nscenario: {ROOT / 'scenarios/golden-week-2014.yaml'}\n"
                              f"replications: 2\nchecks:\n{check}", encoding="utf-8")
    assert main(["check", "--baseline-dir", str(d)]) == 2
    err = capsys.readouterr().err
    assert "x.yaml:5:" in err and message in err, err


def test_every_default_margin_is_documented():
    """docs/results.md's margin table lists exactly DEFAULT_CHECKS, with the same direction and margin."""
    import re

    from simulator.gate import DEFAULT_CHECKS

    text = (ROOT / "docs" / "results.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(\w+)` \| (higher|lower) \| ([^|]+) \|", text, flags=re.M)
    documented = {m: (better, amount.strip()) for m, better, amount in rows}
    assert documented == {m: (c.better, f"{c.amount:g}{'%' if c.percent else ''}") for m, c in
                          DEFAULT_CHECKS.items()}
    zero = [m for m, c in DEFAULT_CHECKS.items() if c.amount == 0]
    assert zero == ["unrouted_forms"]  # a zero margin only where the metric is identical by construction


def test_shipped_baselines_take_the_documented_defaults():
    from simulator.gate import DEFAULT_CHECKS, load_baselines

    for b in load_baselines(ROOT / "baselines"):
        assert b.margins == {m: DEFAULT_CHECKS[m] for m in b.data.checks}, b.name
        assert set(b.margins) == set(DEFAULT_CHECKS)


# -- acceptance: a change with no effect on deadlines or statements; JUnit agrees with the exit code ----------

def _junit_failures(path) -> int:
    suite = ET.parse(path).getroot().find("testsuite")
    assert suite is not None
    failing = [tc for tc in suite.iter("testcase") if tc.find("failure") is not None]
    assert int(suite.get("failures", "-1")) == len(failing)
    return len(failing)


def test_category_moved_to_a_unit_that_behaves_the_same_passes_deadline_and_statement_checks(
        capsys, rules_copy, tmp_path):
    # 供暖 from 市政市容委 to 水务局: both bureaus, neither with per-unit behaviour in any scenario, so every
    # case is handled alike; only misrouting (judged against the scenario's own rules) can move, and does
    edit(rules_copy / "routing.yaml", "then: {unit: 市政市容委}", "then: {unit: 水务局}")
    junit = tmp_path / "j.xml"
    code, out = gate(capsys, "--rules", str(rules_copy), "--format", "json", "--junit", str(junit))
    doc = json.loads(out)
    verdict = {c["metric"]: c["passed"] for c in doc["checks"]}
    for m in ("reply_rate", "on_time_rate", "statement_2h_rate", "deductions_total", "unrouted_forms",
              "reply_deadline_calendar_days_mean"):
        assert verdict[m], m
    assert {c["metric"]: c["diff"] for c in doc["checks"]}["reply_deadline_calendar_days_mean"] == 0
    assert verdict["misrouting_rate"] is False and code == 1
    assert _junit_failures(junit) == 1
