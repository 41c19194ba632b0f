"""Case files (explain files, stdin, policy tests) are checked like rule files.

Events come in time order, none before the post; a ``deadline_reached`` only
at or after the due time the policy set for that deadline (on its calendar),
and at that time when the file omits ``at``.  Every refusal is exit 2 with
file:line and key.  The due times below are counted by hand from the
Chinese statutory calendar: a post on Wed 2014-05-14 10:05 is due on the 5th
working day (05-15, 05-16, 05-19, 05-20, 05-21) at 17:30, reminded on the
3rd (05-19) at 17:30.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from wenzheng.cli import main

from .conftest import RULES

POST = 'post: {text: 小区垃圾好几天没人清运了, place: 城北, at: "2014-05-14T10:05:00+08:00"}\n'
DUE = "2014-05-21T17:30:00+08:00"
REMIND = "2014-05-19T17:30:00+08:00"


def explain(capsys, path: Path | str, *args: str) -> tuple[int, str, str]:
    code = main(["explain", "--rules", str(RULES), str(path), *args])
    c = capsys.readouterr()
    return code, c.out, c.err


def case_file(tmp_path: Path, *events: str, post: str = POST) -> Path:
    f = tmp_path / "case.yaml"
    f.write_text(post + "events:\n" + "".join(f"  - {e}\n" for e in events), encoding="utf-8")
    return f


def test_deadline_reached_six_days_early_is_refused(tmp_path, capsys):
    # the reported defect: accepted, and it escalated and deducted
    f = case_file(tmp_path, '{type: deadline_reached, deadline: reply, at: "2014-05-15T17:30:00+08:00"}')
    code, out, err = explain(capsys, f, "--lang", "en")
    assert code == 2 and out == ""
    assert f"{f}:3:" in err and "(at key: events[0].at)" in err
    assert f"before the reply deadline's due time {DUE}" in err
    assert "rule reply (" in err and "deadlines.yaml:13" in err
    assert "Traceback" not in err


def test_deadline_reached_at_the_due_time_is_accepted_one_second_earlier_is_not(tmp_path, capsys):
    ok = case_file(tmp_path, f'{{type: deadline_reached, deadline: reply, at: "{DUE}"}}')
    code, out, _ = explain(capsys, ok, "--format", "json")
    assert code == 0
    assert [e["rule"] for e in json.loads(out)["steps"][1]["effects"]] == ["reply-overdue", "reply-overdue"]
    early = case_file(tmp_path, '{type: deadline_reached, deadline: reply, at: "2014-05-21T17:29:59+08:00"}')
    code, _, err = explain(capsys, early)
    assert code == 2 and "events[0].at" in err


def test_reminder_checked_against_the_reminder_time(tmp_path, capsys):
    early = case_file(tmp_path, '{type: deadline_reached, deadline: reply, reminder: true, '
                                'at: "2014-05-19T17:00:00+08:00"}')
    code, _, err = explain(capsys, early)
    assert code == 2 and f"reminder time {REMIND}" in err
    ok = case_file(tmp_path, f'{{type: deadline_reached, deadline: reply, reminder: true, at: "{REMIND}"}}')
    assert explain(capsys, ok)[0] == 0


def test_deadline_reached_on_the_policy_calendar(tmp_path, capsys):
    # 2014-09-30 16:00 + 5 working days skips the National Day holiday: due 10-13 17:30 (see test_explain);
    # 10-12 is 12 calendar days later, yet still before the due time
    post = 'post: {text: 小区垃圾好几天没人清运了, place: 回龙观, at: "2014-09-30T16:00:00+08:00"}\n'
    f = case_file(tmp_path, '{type: deadline_reached, deadline: reply, at: "2014-10-12T17:30:00+08:00"}', post=post)
    code, _, err = explain(capsys, f)
    assert code == 2 and "due time 2014-10-13T17:30:00+08:00" in err
    f = case_file(tmp_path, "{type: deadline_reached, deadline: reply}", post=post)
    code, out, _ = explain(capsys, f, "--format", "json")
    assert code == 0 and json.loads(out)["steps"][1]["at"] == "2014-10-13T17:30:00+08:00"


def test_omitted_time_is_the_computed_due_time(tmp_path, capsys):
    f = case_file(tmp_path, "{type: deadline_reached, deadline: reply, reminder: true}",
                  "{type: deadline_reached, deadline: reply}")
    code, out, _ = explain(capsys, f, "--format", "json")
    assert code == 0
    steps = json.loads(out)["steps"]
    assert [s["at"] for s in steps[1:]] == [REMIND, DUE]
    assert [e["rule"] for e in steps[1]["effects"]] == ["remind-reply"]
    assert {e["rule"] for e in steps[2]["effects"]} == {"reply-overdue"}


def test_omitted_time_of_a_deadline_set_later(tmp_path, capsys):
    # the third follow-up (05-20 20:00) makes the case hot: a 2-hour statement deadline, due 22:00
    events = ['{type: follow_up_posted, at: "2014-05-17T20:00:00+08:00"}',
              '{type: follow_up_posted, at: "2014-05-19T20:00:00+08:00"}',
              '{type: follow_up_posted, at: "2014-05-20T20:00:00+08:00"}']
    f = case_file(tmp_path, *events, "{type: deadline_reached, deadline: external_statement}")
    code, out, _ = explain(capsys, f, "--format", "json")
    assert code == 0 and json.loads(out)["steps"][4]["at"] == "2014-05-20T22:00:00+08:00"
    f = case_file(tmp_path, *events, '{type: deadline_reached, deadline: external_statement, '
                                     'at: "2014-05-20T21:00:00+08:00"}')
    code, _, err = explain(capsys, f)
    assert code == 2 and "due time 2014-05-20T22:00:00+08:00" in err and "events[3].at" in err


def test_reply_before_the_post_is_refused(tmp_path, capsys):
    # the reported defect: accepted, and it closed the case
    f = case_file(tmp_path, '{type: reply_filed, reply_kind: 立行立改, at: "2014-05-13T11:00:00+08:00"}')
    code, _, err = explain(capsys, f)
    assert code == 2
    assert f"{f}:3:" in err and "before the post (2014-05-14T10:05:00+08:00)" in err and "events[0].at" in err


def test_events_out_of_order_are_refused(tmp_path, capsys):
    f = case_file(tmp_path, '{type: follow_up_posted, at: "2014-05-17T20:00:00+08:00"}',
                  '{type: reply_filed, reply_kind: 立行立改, at: "2014-05-16T11:00:00+08:00"}')
    code, _, err = explain(capsys, f)
    assert code == 2 and f"{f}:4:" in err and "before events[0] (2014-05-17T20:00:00+08:00)" in err
    # a computed time counts too: the due time (05-21) is after the reply listed below it (05-16)
    f = case_file(tmp_path, "{type: deadline_reached, deadline: reply}",
                  '{type: reply_filed, reply_kind: 立行立改, at: "2014-05-16T11:00:00+08:00"}')
    code, _, err = explain(capsys, f)
    assert code == 2 and f"{f}:4:" in err and "events[1].at" in err


def test_simultaneous_events_keep_their_order(tmp_path, capsys):
    f = case_file(tmp_path, f'{{type: reply_filed, reply_kind: 立行立改, at: "{DUE}"}}',
                  "{type: deadline_reached, deadline: reply}")
    code, out, _ = explain(capsys, f, "--format", "json")
    assert code == 0 and json.loads(out)["steps"][2]["effects"] == []  # replied at the due time: met


@pytest.mark.parametrize(("event", "key", "message"), [
    ('{type: reply_filed, reply_kind: 立行立改}', "events[0]", "missing key 'at'"),
    ('{type: deadline_reached, deadline: external_statement}', "events[0].deadline",
     "no 'external_statement' deadline"),
    ('{type: deadline_reached, deadline: reply, reminder: true, at: "2014-06-01T10:00:00+08:00"}',
     "events[0].reminder", None),
    ('{type: reply_filed, at: "2014-05-16T11:00:00+08:00"}', "events[0].reply_kind", "reply_kind"),
    ('{type: reply_fild, at: "2014-05-16T11:00:00+08:00"}', "events[0].type", "reply_filed"),
])
def test_other_refusals_name_the_key(tmp_path, capsys, event, key, message):
    rules = RULES
    if key == "events[0].reminder":  # a policy whose reply deadline has no reminder
        import shutil

        rules = tmp_path / "rules"
        shutil.copytree(RULES, rules, ignore=shutil.ignore_patterns("tests"))
        text = (rules / "deadlines.yaml").read_text(encoding="utf-8")
        (rules / "deadlines.yaml").write_text(text.replace(", remind_after: 3 working days", ""), encoding="utf-8")
        message = "has no reminder"
    f = case_file(tmp_path, event)
    code = main(["explain", "--rules", str(rules), str(f)])
    err = capsys.readouterr().err
    assert code == 2 and f"{f}:3:" in err and f"(at key: {key})" in err and message in err, err


def test_a_second_reply_is_refused_with_its_location(tmp_path, capsys):
    f = case_file(tmp_path, '{type: reply_filed, reply_kind: 立行立改, at: "2014-05-16T11:00:00+08:00"}',
                  '{type: reply_filed, reply_kind: 近期解决, at: "2014-05-17T11:00:00+08:00"}')
    code, _, err = explain(capsys, f)
    assert code == 2 and f"{f}:4:" in err and "already has a reply" in err and "(at key: events[1])" in err


def test_stdin_is_checked_alike(monkeypatch, capsys):
    text = POST + 'events:\n  - {type: deadline_reached, deadline: reply, at: "2014-05-15T17:30:00+08:00"}\n'
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    code, _, err = explain(capsys, "-")
    assert code == 2 and "<stdin>:3:" in err and "events[0].at" in err and f"due time {DUE}" in err


def test_bare_post_file_unknown_place_is_located(tmp_path, capsys):
    f = tmp_path / "post.yaml"
    f.write_text('text: 垃圾\nplace: 海淀\nat: "2014-06-01T20:00:00+08:00"\n', encoding="utf-8")
    code, _, err = explain(capsys, f)
    assert code == 2 and f"{f}:2:" in err and "unknown place '海淀'" in err and "(at key: place)" in err


def test_policy_test_files_are_checked_alike(tmp_path, capsys):
    tests = tmp_path / "t"
    tests.mkdir()
    (tests / "cases.yaml").write_text(
        "kind: policy-tests\ncases:\n"
        "  - name: fine\n    " + POST + "    expect: {unit: 城北街道}\n"
        "  - name: early deadline\n    " + POST +
        '    events:\n      - {type: deadline_reached, deadline: reply, at: "2014-05-15T17:30:00+08:00"}\n'
        "    expect: {deductions: 1}\n"
        "  - name: reply before the post\n    " + POST +
        '    events:\n      - {type: reply_filed, reply_kind: 立行立改, at: "2014-05-13T11:00:00+08:00"}\n'
        "    expect: {closed: true}\n", encoding="utf-8")
    junit = tmp_path / "j.xml"
    assert main(["test", str(RULES), "--tests", str(tests), "--junit", str(junit)]) == 2
    err = capsys.readouterr().err
    # every refused case, each with its line and key
    assert f"{tests / 'cases.yaml'}:9:" in err and "(at key: cases[1].events[0].at)" in err
    assert f"{tests / 'cases.yaml'}:14:" in err and "(at key: cases[2].events[0].at)" in err
    assert "before the post" in err and f"due time {DUE}" in err
    assert not junit.exists()  # unusable input: no results to report


def test_policy_test_with_omitted_deadline_time(tmp_path, capsys):
    tests = tmp_path / "t"
    tests.mkdir()
    (tests / "cases.yaml").write_text(
        "kind: policy-tests\ncases:\n  - name: silence\n    " + POST +
        "    events:\n      - {type: deadline_reached, deadline: reply, reminder: true}\n"
        "      - {type: deadline_reached, deadline: reply}\n"
        "    expect: {reminders: 1, deductions: 1, escalations: [区政府办公室]}\n", encoding="utf-8")
    assert main(["test", str(RULES), "--tests", str(tests)]) == 0
    assert "1 passed, 0 failed" in capsys.readouterr().out
