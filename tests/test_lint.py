"""wenzheng lint: every kind of mistake at the right file and line; texts pinned."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.lint import lint
from wenzheng.cli import main

from .conftest import RULES, SCENARIOS
from .test_policy_errors import edit


def lines(rules: Path, scenarios=()) -> list[str]:
    report = lint(rules, scenarios)
    return [p.lint_line().replace(str(rules) + "/", "") for p in report.problems]


def test_shipped_rules_lint_clean(capsys):
    assert lint(RULES, [SCENARIOS / "changping-2014.yaml"]).problems == []
    assert main(["lint", str(RULES)]) == 0


# Ten seeded mistakes, one of each kind lint reports.
MISTAKES = [
    ("unknown key", "escalation.yaml", "    then: {remind: true}\n  - id: reply-overdue",
     "    then: {remind: true}\n    priorty: 3\n  - id: reply-overdue",
     ["escalation.yaml:12:5: error schema unknown key 'priorty' (allowed: description, id, priority, then, when) "
      "(at key: rules[0].priorty) [rule remind-reply]; did you mean 'priority'?"]),
    ("wrong type", "escalation.yaml", "deduct: {points: 1, reason: 未按时答复}", "deduct: {points: one, reason: 未按时答复}",
     ["escalation.yaml:16:16: error schema 'one' is not a number; write a number, e.g. 7 or 0.5 "
      "(at key: rules[1].then.deduct.points) [rule reply-overdue]"]),
    ("bad duration", "deadlines.yaml", "within: 5 working days", "within: 5 working dayz",
     ["deadlines.yaml:16:35: error schema malformed duration '5 working dayz': unknown unit 'working dayz' (use "
      "minutes, hours, days or working days) (at key: rules[1].then.deadline.within) [rule reply]; "
      "did you mean 'working days'?"]),
    ("bad regex", "hot.yaml", "when: {followups: {gte: 3}}", "when: {followups: {gte: 3}, text: {matches: '.*(投诉'}}",
     ["hot.yaml:12:40: error condition regex '.*(投诉' is invalid: missing ), unterminated subpattern at position 2 "
      "(at key: rules[1].when.text.matches) [rule hot-followups]"]),
    ("unknown unit", "routing.yaml", "then: {unit: 交通局}", "then: {unit: 交通委}",
     ["routing.yaml:37:12: error unknown-unit unknown unit '交通委' (at key: rules[9].then.unit) [rule route-traffic]; "
      "did you mean '交通局'?"]),
    ("duplicate id", "hot.yaml", "id: hot-followups", "id: hot-reposts",
     ["hot.yaml:11:5: error duplicate-id duplicate rule id 'hot-reposts' (first at hot.yaml:8) (at key: rules[1].id) "
      "[rule hot-reposts]"]),
    ("routing gap", "routing.yaml", "  - id: route-water\n    when: {category: 供水}\n    then: {unit: 水务局}\n", "",
     ["routing.yaml:7:1: error routing-gap routing gap: category '供水' has no responsible unit in any place "
      "(at key: rules)",
      # the unit the deleted rule routed to now receives nothing (units.yaml line 45: 水务局's declaration)
      "units.yaml:45:6: warning unreachable-unit unit '水务局' can receive no case: no routing rule names it, it "
      "owns no place a rule routes by place, and no escalation rule escalates to it. Add a routing rule to "
      "routing.yaml (then: {unit: 水务局}), or, if the duty desk forwards to it only by hand, write by_hand: true "
      "in its declaration (at key: units[32].id)"]),
    ("overlap under unique", "hot.yaml", "hit_policy: first", "hit_policy: unique",
     ["hot.yaml:11:1: error overlap overlaps rule hot-reposts (line 8) under hit policy 'unique': both match "
      "every case [rule hot-followups]"]),
    ("shadowed rule", "routing.yaml", "  - id: route-social-security",
     "  - id: route-parks-hlg\n    when: {category: 园林绿化, place: 回龙观}\n    then: {unit: 回龙观镇}\n"
     "  - id: route-social-security",
     ["routing.yaml:11:1: error shadowed rule can never fire: under hit policy 'first' every case it matches is "
      "taken first by route-parks (line 8) [rule route-parks-hlg]"]),
    ("contradicting conditions", "hot.yaml", "when: {reposts: {gte: 500}}", "when: {reposts: {gte: 500, lt: 100}}",
     ["hot.yaml:8:1: error contradiction rule can never fire: contradicting conditions reposts ≥ 500 and "
      "reposts < 100 [rule hot-reposts]"]),
    ("event the table never sees", "deadlines.yaml", "when: {event: post_received}", "when: {event: reply_filed}",
     ["deadlines.yaml:13:1: error never-fires rule can never fire: deadlines rules are evaluated only on "
      "post_received, reposts_updated, follow_up_posted, but it requires event = reply_filed [rule reply]"]),
    ("reminder after deadline", "deadlines.yaml", "remind_after: 3 working days", "remind_after: 6 working days",
     ["deadlines.yaml:16:59: error reminder-after-deadline reminder (6 working days) is not before the deadline "
      "(5 working days) (at key: rules[1].then.deadline.remind_after) [rule reply]"]),
    ("holiday and workday", "calendar.yaml", "  - {date: 2014-11-15, name: APEC调休上班}",
     "  - {date: 2014-11-15, name: APEC调休上班}\n  - {date: 2014-11-10, name: 补班}",
     ["calendar.yaml:17:5: error calendar-conflict 2014-11-10 is listed both a holiday and a workday (also at "
      "line 11) (at key: workdays[2])"]),
]


@pytest.mark.parametrize("name,file,old,new,expected", MISTAKES, ids=[m[0] for m in MISTAKES])
def test_seeded_mistake(rules_copy, name, file, old, new, expected, capsys):
    edit(rules_copy / file, old, new)
    assert lines(rules_copy) == expected
    assert main(["lint", str(rules_copy)]) == 1
    captured = capsys.readouterr()
    assert expected[0].split(": error")[0] in captured.out
    assert "Traceback" not in captured.out + captured.err


def test_calendar_must_cover_the_scenario(rules_copy, tmp_path):
    text = (SCENARIOS / "changping-2014.yaml").read_text(encoding="utf-8")
    sc = tmp_path / "future.yaml"
    sc.write_text(text.replace("start: 2014-04-01", "start: 2027-01-04").replace("end: 2014-10-31",
                                                                                   "end: 2027-03-01"), encoding="utf-8")
    got = [p.lint_line().replace(str(tmp_path) + "/", "") for p in lint(rules_copy, [sc]).problems]
    lines_of = {k: 1 + sc.read_text(encoding="utf-8").splitlines().index(f"{k}: {v}")
                for k, v in (("start", "2027-01-04"), ("end", "2027-03-01"))}
    assert got == [
        f"future.yaml:{lines_of['start']}:1: error calendar-coverage the policy's working-day calendar covers "
        "2004–2026, not start 2027-01-04 (at key: start)",
        f"future.yaml:{lines_of['end']}:1: error calendar-coverage the policy's working-day calendar covers "
        "2004–2026, not end 2027-03-01 (at key: end)",
    ]


def test_all_problems_in_one_report(rules_copy):
    for _name, file, old, new, _ in (MISTAKES[4], MISTAKES[2]):
        edit(rules_copy / file, old, new)
    got = lines(rules_copy)
    assert [g.split(":")[0] for g in got] == ["deadlines.yaml", "routing.yaml"]


def test_json_format_for_ci(rules_copy, capsys):
    edit(rules_copy / "routing.yaml", "then: {unit: 交通局}", "then: {unit: 交通委}")
    assert main(["lint", str(rules_copy), "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    (p,) = doc["problems"]
    assert (p["line"], p["col"], p["code"], p["rule_id"], p["suggestion"]) == (37, 12, "unknown-unit", "route-traffic",
                                                                               "交通局")
    assert doc["errors"] == 1


def test_unusable_input_exits_2(tmp_path, capsys):
    assert main(["lint", str(tmp_path / "missing")]) == 2
    (tmp_path / "empty").mkdir()
    assert main(["lint", str(tmp_path / "empty")]) == 2


def test_no_default_classification_is_a_warning(rules_copy):
    edit(rules_copy / "classification.yaml",
         "  - id: cls-default\n    description: anything no keyword recognises goes to the local street or town\n"
         "    then: {category: 其他}\n", "")
    assert lines(rules_copy) == [
        "classification.yaml:25:1: warning no-default no default classification rule (a rule without 'when'): a "
        "post no keyword matches cannot be classified (at key: rules)"]


# -- lint sees everything (issue 8, part 4) ---------------------------------------------------
def test_a_bad_file_does_not_hide_the_analyses_of_the_others(rules_copy):
    # before: the schema error in hot.yaml was the only line; the routing gap went unreported
    edit(rules_copy / "hot.yaml", "    then: {hot: true}\n  - id: hot-followups", "    then: {hot: yes please}\n"
         "  - id: hot-followups")
    edit(rules_copy / "routing.yaml", "  - id: route-water\n    when: {category: 供水}\n    then: {unit: 水务局}\n", "")
    report = lint(rules_copy)
    assert [(Path(p.file).name, p.code) for p in report.problems] == [("hot.yaml", "schema"),
                                                                       ("routing.yaml", "routing-gap"),
                                                                       ("units.yaml", "unreachable-unit")]
    assert report.skipped == [f"hot rules: every analysis ({rules_copy / 'hot.yaml'} did not load)"]


def test_lint_says_which_checks_it_skipped(rules_copy, capsys):
    edit(rules_copy / "units.yaml", "kind: units", "kind: units\nbogus: 1")
    report = lint(rules_copy)
    assert [p.code for p in report.problems] == ["schema"]
    (why,) = report.skipped
    assert why.startswith("every analysis") and "units.yaml did not load" in why
    assert main(["lint", str(rules_copy)]) == 1
    assert "skipped: every analysis" in capsys.readouterr().err


def test_rule_dropped_from_routing_skips_the_gap_check_and_says_so(rules_copy):
    edit(rules_copy / "routing.yaml", "when: {category: 供水}", "when: {categry: 供水}")
    report = lint(rules_copy)
    assert [p.code for p in report.problems] == ["condition"]  # no false routing gap for 供水
    assert report.skipped == ["routing rules: routing gaps (rule(s) route-water did not load)",
                              # nor a false 'unreachable' for 水务局, which the dropped rule routes to
                              "units: did not check that every unit can receive a case (rule(s) route-water did "
                              "not load)"]


PARK_PARKING = "  - id: cls-park-parking\n    when: {text: {contains_any: [公园停车场%s]}}\n    then: {category: 停车/交通}\n"


def test_keyword_contained_in_an_earlier_keyword_is_shadowed(rules_copy):
    edit(rules_copy / "classification.yaml", "  - id: cls-traffic\n", PARK_PARKING % "" + "  - id: cls-traffic\n")
    line = 1 + (rules_copy / "classification.yaml").read_text(encoding="utf-8").splitlines().index(
        "  - id: cls-park-parking")
    parks = 1 + (rules_copy / "classification.yaml").read_text(encoding="utf-8").splitlines().index(
        "  - id: cls-parks")
    assert lines(rules_copy) == [
        f"classification.yaml:{line}:1: error shadowed rule can never fire: under hit policy 'first' each of its "
        f"keywords contains a keyword of an earlier rule with the same other conditions, which takes the case "
        f"first: '公园停车场' contains '公园' of cls-parks (line {parks}) [rule cls-park-parking]"]


def test_some_keywords_shadowed_is_a_warning(rules_copy):
    edit(rules_copy / "classification.yaml", "  - id: cls-traffic\n", PARK_PARKING % ", 地库" + "  - id: cls-traffic\n")
    (p,) = lint(rules_copy).problems
    assert (p.severity, p.code, p.rule_id) == ("warning", "keyword-shadowed", "cls-park-parking")
    assert p.message.startswith("keyword(s) 公园停车场 can never decide")


def test_containment_needs_the_same_other_conditions(rules_copy):
    # the earlier rule only fires on weibo: on wechat the later keyword still decides
    edit(rules_copy / "classification.yaml", "when: {text: {contains_any: [公园, 绿地, 树木, 砍树, 绿化带, 草坪]}}",
         "when: {channel: weibo, text: {contains_any: [公园, 绿地, 树木, 砍树, 绿化带, 草坪]}}")
    edit(rules_copy / "classification.yaml", "  - id: cls-traffic\n", PARK_PARKING % "" + "  - id: cls-traffic\n")
    assert lines(rules_copy) == []


def test_later_deadline_of_the_same_kind_never_takes_effect(rules_copy):
    edit(rules_copy / "deadlines.yaml", "  - id: reply\n", "  - id: reply\n")
    (rules_copy / "deadlines.yaml").write_text((rules_copy / "deadlines.yaml").read_text(encoding="utf-8")
                                               + "  - id: reply-hot\n    when: {hot: true}\n"
                                                 "    then: {deadline: {for: reply, within: 2 working days}}\n",
                                               encoding="utf-8")
    (p,) = lint(rules_copy).problems
    assert (p.code, p.rule_id, p.line) == ("no-effect", "reply-hot", 17)
    assert "already has it from reply (line 13)" in p.message


def test_earlier_narrower_deadline_does_take_effect(rules_copy):
    # the hot rule comes first and can match at intake: it sets the reply deadline of hot posts
    edit(rules_copy / "deadlines.yaml", "  - id: reply\n", "  - id: reply-hot\n    when: {hot: true}\n"
         "    then: {deadline: {for: reply, within: 2 working days}}\n  - id: reply\n")
    assert lines(rules_copy) == []


DOUBLE = ("  - id: reply-overdue-again\n    when: {event: deadline_reached, deadline: reply, met: false}\n"
          "    then:\n      deduct: {points: 2%s}\n")


def test_two_deductions_on_one_event_are_a_warning(rules_copy):
    text = (rules_copy / "escalation.yaml").read_text(encoding="utf-8")
    (rules_copy / "escalation.yaml").write_text(text + DOUBLE % ", reason: 未按时答复", encoding="utf-8")
    (p,) = lint(rules_copy).problems
    assert (p.severity, p.code, p.rule_id) == ("warning", "duplicate-deduction", "reply-overdue-again")
    assert "charged 1 + 2 points for the same reason '未按时答复'" in p.message
    assert "reply-overdue (line 12)" in p.message


def test_deduction_without_a_reason_is_reported_too(rules_copy):
    text = (rules_copy / "escalation.yaml").read_text(encoding="utf-8")
    (rules_copy / "escalation.yaml").write_text(text + DOUBLE % "", encoding="utf-8")
    assert [p.code for p in lint(rules_copy).problems] == ["duplicate-deduction"]


def test_deductions_on_different_events_or_stated_offences_are_not_reported(rules_copy):
    # the shipped statement-missed (2 points) and statement-missed-spread (3 more, 负面舆情扩散) add up on
    # purpose: each states its own offence.  A second deduction on follow-ups is another event.
    text = (rules_copy / "escalation.yaml").read_text(encoding="utf-8")
    (rules_copy / "escalation.yaml").write_text(
        text + "  - id: follow-up-deduct\n    when: {event: follow_up_posted, replied: false}\n"
               "    then: {deduct: {points: 1}}\n", encoding="utf-8")
    assert lines(rules_copy) == []


def test_validate_and_run_refuse_a_policy_lint_rejects(rules_copy, capsys, tmp_path):
    edit(rules_copy / "routing.yaml", "  - id: route-water\n    when: {category: 供水}\n    then: {unit: 水务局}\n", "")
    assert main(["validate", str(rules_copy)]) == 2
    assert f"{rules_copy / 'routing.yaml'}:7:1: routing gap: category '供水'" in capsys.readouterr().err
    assert main(["run", str(SCENARIOS / "changping-2014.yaml"), "--rules", str(rules_copy), "--quiet",
                 "--out", str(tmp_path / "out")]) == 2
    assert "routing gap" in capsys.readouterr().err and not (tmp_path / "out").exists()


def test_validate_counts_warnings(rules_copy, capsys):
    text = (rules_copy / "escalation.yaml").read_text(encoding="utf-8")
    (rules_copy / "escalation.yaml").write_text(text + DOUBLE % "", encoding="utf-8")
    assert main(["validate", str(rules_copy)]) == 0
    captured = capsys.readouterr()
    assert "valid policy" in captured.out and "1 lint warning(s)" in captured.err


def test_lint_finds_scenarios_that_inherit_the_rules_through_extends(tmp_path, capsys):
    """Default discovery read only a scenario's own 'rules:' key; one that extends a base was never checked."""
    import shutil

    from wenzheng.cli import main

    shutil.copytree(RULES, tmp_path / "rules")
    (tmp_path / "scenarios").mkdir()
    shutil.copy(SCENARIOS / "changping-2014.yaml", tmp_path / "scenarios" / "base.yaml")
    (tmp_path / "scenarios" / "late.yaml").write_text(
        "kind: scenario\nextends: base.yaml\nname: late\nstart: 2026-12-01\nend: 2026-12-31\n", encoding="utf-8")
    assert main(["lint", str(tmp_path / "rules")]) == 1
    out = capsys.readouterr().out
    assert f"{tmp_path / 'scenarios' / 'late.yaml'}:5:1: error calendar-coverage" in out
