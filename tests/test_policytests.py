"""wenzheng test: the shipped suite passes with full coverage; failures are diffs."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from wenzheng.cli import main

from .conftest import RULES
from .test_policy_errors import edit


def test_shipped_suite_passes_with_full_rule_coverage(capsys, tmp_path):
    junit = tmp_path / "junit.xml"
    assert main(["test", str(RULES), "--coverage-min", "100", "--junit", str(junit)]) == 0
    out = capsys.readouterr().out
    assert "0 failed" in out and "(100.0%)" in out
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == "0" and int(suite.get("tests", "0")) >= 25


def test_deleting_a_routing_rule_fails_a_named_case(rules_copy, capsys, tmp_path):
    import shutil

    shutil.copytree(RULES / "tests", rules_copy / "tests")
    edit(rules_copy / "routing.yaml", "  - id: route-parks\n    when: {category: 园林绿化}\n    then: {unit: 园林绿化局}\n",
         "")
    junit = tmp_path / "j.xml"
    assert main(["test", str(rules_copy), "--junit", str(junit)]) == 1
    out = capsys.readouterr().out
    assert "FAIL 公园停车场 goes to the parks bureau (the 2014-05-14 case)" in out
    assert "  unit: expected 园林绿化局, got (none)" in out
    assert "  rules: 'route-parks' is not a rule of this policy" in out
    assert "30 passed, 1 failed" in out
    failures = [tc for tc in ET.parse(junit).getroot().iter("testcase") if tc.find("failure") is not None]
    assert [tc.get("name") for tc in failures] == ["公园停车场 goes to the parks bureau (the 2014-05-14 case)"]


def test_changed_deadline_shows_expected_and_actual_with_the_rule(rules_copy, capsys):
    import shutil

    shutil.copytree(RULES / "tests", rules_copy / "tests")
    edit(rules_copy / "deadlines.yaml", "within: 5 working days", "within: 6 working days")
    assert main(["test", str(rules_copy)]) == 1
    out = capsys.readouterr().out.replace(str(rules_copy) + "/", "")
    assert ("  deadlines.reply: expected 2014-10-13T17:30:00+08:00, got 2014-10-14T17:30:00+08:00 "
            "(reply, deadlines.yaml:13)") in out


def test_coverage_minimum(rules_copy, capsys, tmp_path):
    tests = tmp_path / "t"
    tests.mkdir()
    (tests / "one.yaml").write_text(
        "kind: policy-tests\ncases:\n  - name: one\n    post: {text: 公园树木被砍, place: 城北, at: '2014-05-14T10:00:00+08:00'}\n"
        "    expect: {unit: 园林绿化局}\n", encoding="utf-8")
    assert main(["test", str(rules_copy), "--tests", str(tests)]) == 0
    assert main(["test", str(rules_copy), "--tests", str(tests), "--coverage-min", "50"]) == 1
    out = capsys.readouterr().out
    assert "below the minimum 50%" in out and "not covered: route-water" in out


def test_bad_test_file_is_exit_2_with_location(rules_copy, capsys, tmp_path):
    tests = tmp_path / "t"
    tests.mkdir()
    (tests / "bad.yaml").write_text(
        "kind: policy-tests\ncases:\n  - name: one\n    post: {text: x, place: 城北, at: '2014-05-14T10:00:00+08:00'}\n"
        "    expect: {untit: 园林绿化局}\n", encoding="utf-8")
    assert main(["test", str(rules_copy), "--tests", str(tests)]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml:5:14: unknown key 'untit'" in err and "did you mean 'unit'" in err


def _junit_failures(path) -> tuple[int, list[str]]:
    root = ET.parse(path).getroot()
    suite = root.find("testsuite")
    assert suite is not None and root.get("failures") == suite.get("failures")
    failing = [tc.get("name", "") for tc in suite.iter("testcase") if tc.find("failure") is not None]
    assert int(suite.get("failures", "-1")) == len(failing)
    assert int(suite.get("tests", "-1")) == len(list(suite.iter("testcase")))
    return len(failing), failing


def test_coverage_below_the_minimum_is_a_junit_failure(rules_copy, tmp_path, capsys):
    # regression: exit 1 but JUnit said failures="0" (a green dashboard)
    tests = tmp_path / "t"
    tests.mkdir()
    (tests / "one.yaml").write_text(
        "kind: policy-tests\ncases:\n  - name: one\n    post: {text: 公园树木被砍, place: 城北, at: '2014-05-14T10:00:00+08:00'}\n"
        "    expect: {unit: 园林绿化局}\n", encoding="utf-8")
    junit = tmp_path / "j.xml"
    assert main(["test", str(rules_copy), "--tests", str(tests), "--coverage-min", "50", "--junit", str(junit)]) == 1
    n, names = _junit_failures(junit)
    assert n == 1 and names == ["rule coverage ≥ 50%"]
    failure = next(tc for tc in ET.parse(junit).getroot().iter("testcase") if tc.find("failure") is not None)
    message = failure.find("failure").get("message")  # type: ignore[union-attr]
    assert "below the minimum 50%" in message and "route-water" in message
    # the same run with a minimum it meets: the coverage test case passes, exit 0
    assert main(["test", str(rules_copy), "--tests", str(tests), "--coverage-min", "1", "--junit", str(junit)]) == 0
    assert _junit_failures(junit) == (0, [])
    capsys.readouterr()


def test_junit_failures_agree_with_the_exit_code(rules_copy, tmp_path, capsys):
    import shutil

    shutil.copytree(RULES / "tests", rules_copy / "tests")
    junit = tmp_path / "j.xml"
    runs = [([], 0), (["--coverage-min", "100"], 0)]
    for args, want in runs:
        assert main(["test", str(rules_copy), "--junit", str(junit), *args]) == want
        assert _junit_failures(junit)[0] == 0
    edit(rules_copy / "routing.yaml", "  - id: route-parks\n    when: {category: 园林绿化}\n    then: {unit: 园林绿化局}\n",
         "")
    # a failing case: exit 1, and its failure in the JUnit
    assert main(["test", str(rules_copy), "--junit", str(junit), "--coverage-min", "100"]) == 1
    n, names = _junit_failures(junit)
    assert "公园停车场 goes to the parks bureau (the 2014-05-14 case)" in names and n == len(names) >= 1
    capsys.readouterr()
