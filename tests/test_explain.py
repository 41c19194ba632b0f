"""wenzheng explain: decisions with rules cited, calendar reasoning, and why-nots."""

from __future__ import annotations

import io
import json

from engine.explain import deadline_reasoning
from wenzheng.cli import main

from .conftest import RULES


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["explain", "--rules", str(RULES), *args])
    c = capsys.readouterr()
    return code, c.out, c.err


def test_national_day_reasoning_in_chinese(capsys, zh):
    code, out, _ = run(capsys, "--text", "小区垃圾好几天没人清运", "--place", "回龙观", "--at", "2014-09-30T16:00+08:00")
    assert code == 0
    assert ("答复时限：5 个工作日，自 2014-09-30 16:00 次日起算：10-01…10-07 国庆节假期不计，"
            "10-11（周六）国庆节调休上班计入，10-12（周日）周末不计 → 2014-10-13 17:30") in out
    assert "reply (rules/deadlines.yaml:13)" in out.replace(str(RULES) + "/", "rules/")


def test_national_day_reasoning_in_english(policy):
    from datetime import datetime

    text = deadline_reasoning(policy.calendar, datetime.fromisoformat("2014-09-30T16:00+08:00"), "5 working days", "en")
    assert text == ("5 working days from 2014-09-30 16:00, counting from the next day: 10-01…10-07 National Day "
                    "holiday not counted, 10-11 (Sat) National Day make-up working day counted, 10-12 (Sun) weekend "
                    "not counted → 2014-10-13 17:30 (close of business of working day 5)")


def test_apec_reasoning(policy):
    from datetime import datetime

    text = deadline_reasoning(policy.calendar, datetime.fromisoformat("2014-11-06T10:00+08:00"), "2 working days")
    assert text == ("2 个工作日，自 2014-11-06 10:00 次日起算：11-07 APEC会议放假不计，11-08…11-09 周末不计，"
                    "11-10…11-12 APEC会议放假不计 → 2014-11-14 17:30")


def test_park_car_park_goes_to_parks_bureau_with_rule_cited(capsys):
    code, out, _ = run(capsys, "--text", "十三陵水库旁边公园停车场收费不合理", "--place", "十三陵", "--at",
                       "2014-05-14T10:05+08:00", "--lang", "en")
    assert code == 0
    out = out.replace(str(RULES) + "/", "rules/")
    assert "routed to 园林绿化局 — route-parks (rules/routing.yaml:8)" in out
    assert "category 园林绿化 (keywords: 公园) — cls-parks (rules/classification.yaml:47)" in out
    # why not: the rules before the winner, with the first failing condition and its line
    assert ("did not fire hot-reposts (rules/hot.yaml:8): first failing condition reposts ≥ 500 (line 9), "
            "actual 0") in out


def test_later_event_escalation_and_deduction(tmp_path, capsys):
    case = tmp_path / "case.yaml"
    case.write_text(
        "post: {text: 小区垃圾没人清运, place: 天通苑北, reposts: 2600, at: '2014-05-14T10:05:00+08:00'}\n"
        "events:\n  - {type: deadline_reached, deadline: external_statement, at: '2014-05-14T12:05:00+08:00'}\n",
        encoding="utf-8")
    code, out, _ = run(capsys, str(case), "--format", "json")
    assert code == 0
    doc = json.loads(out)
    missed = doc["steps"][1]
    assert missed["event"] == "deadline_reached"
    assert [(e["type"], e["rule"]) for e in missed["effects"]] == [
        ("escalate", "statement-missed"), ("deduct", "statement-missed"), ("deduct", "statement-missed-spread"),
        ("flag_accountability", "statement-missed-spread")]
    esc = missed["tables"][0]
    not_fired = {x["rule"]: x["failed"] for x in esc["not_fired"]}
    assert not_fired["reply-overdue"] == "deadline = reply"


def test_post_from_stdin(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO('{"text": "楼下广场舞太吵", "place": "城北", "at": "2014-06-01T20:00:00+08:00"}'))
    code, out, _ = run(capsys, "-", "--lang", "en")
    assert code == 0 and "category 噪音" in out and "routed to 城北街道" in out


def test_bad_input_names_file_and_key(tmp_path, capsys):
    bad = tmp_path / "post.yaml"
    bad.write_text("text: 垃圾\nplace: 城北\nat: '2014-06-01T20:00:00'\nrepost: 3\n", encoding="utf-8")
    code, _, err = run(capsys, str(bad))
    assert code == 2
    assert "post.yaml:4:1: unknown key 'repost'" in err and "did you mean 'reposts'" in err
    assert "post.yaml:3:1:" in err and "timezone" in err
    assert "Traceback" not in err


def test_unknown_place(capsys):
    code, _, err = run(capsys, "--text", "垃圾", "--place", "海淀", "--at", "2014-06-01T20:00+08:00")
    assert code == 2 and "unknown place '海淀'" in err


def test_needs_a_post(capsys):
    code, _, err = run(capsys)
    assert code == 2 and "give a post file" in err


def test_post_fields_are_checked_as_strictly_as_the_engine_does(tmp_path, capsys):
    """Regression (fuzzing): channel 'sms' or an empty place passed the file check, then crashed (exit 3)."""
    f = tmp_path / "post.yaml"
    f.write_text("text: 垃圾没人清运\nplace: 回龙观\nat: 2014-05-14T10:00+08:00\nchannel: sms\n", encoding="utf-8")
    code, _, err = run(capsys, str(f))
    assert code == 2 and f"{f}:4:" in err and "channel" in err and "Traceback" not in err
    f.write_text("text: 垃圾没人清运\nplace: ''\nat: 2014-05-14T10:00+08:00\n", encoding="utf-8")
    code, _, err = run(capsys, str(f))
    assert code == 2 and f"{f}:2:" in err and "place" in err


def test_a_case_file_that_is_not_a_mapping_is_exit_2(tmp_path, capsys):
    """Fuzzing (tox -e fuzz): a file holding only `-1` crashed with TypeError (exit 3)."""
    for text in ("-1\n", "[a, b]\n", "just text\n", ""):
        f = tmp_path / "case.yaml"
        f.write_text(text, encoding="utf-8")
        code, _, err = run(capsys, str(f))
        assert code == 2 and f"{f}:1:1: a post or case file must be a mapping" in err, text
