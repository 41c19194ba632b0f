"""The calendar file carries on past the chinesecalendar package's last year (``years``).

Oracles: due times counted by hand on a made-up 2027 arrangement (元旦 Friday 1 January; 春节 Saturday 6 to
Friday 12 February, Sunday 14 February worked) — not the State Council's, which is not published yet; every
mistake in ``years`` an error at its own line; the committed JSON Schema accepts the new key.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import jsonschema
import pytest

from engine import CalendarError, Policy, WorkCalendar, parse_duration
from engine.errors import PolicyError
from engine.lint import calendar_window_problems
from engine.yamlsrc import load_yaml
from wenzheng.cli import main

from .conftest import ROOT

HEAD = """\
# yaml-language-server: $schema=../docs/schema/calendar.schema.json
kind: calendar
timezone: Asia/Shanghai
close_of_business: "17:30"
"""
Y2027 = """\
years:
  - {year: 2027, source: "国务院办公厅 2026 年 11 月通知（测试用，虚构）"}
holidays:
  - {date: 2027-01-01, name: 元旦}
  - {date: 2027-02-06, name: 春节}
  - {date: 2027-02-07, name: 春节}
  - {date: 2027-02-08, name: 春节}
  - {date: 2027-02-09, name: 春节}
  - {date: 2027-02-10, name: 春节}
  - {date: 2027-02-11, name: 春节}
  - {date: 2027-02-12, name: 春节}
workdays:
  - {date: 2027-02-14, name: 春节调休上班}
"""


def at(s: str) -> datetime:
    return datetime.fromisoformat(s)


def write_calendar(rules: Path, body: str) -> Path:
    path = rules / "calendar.yaml"
    path.write_text(HEAD + body, encoding="utf-8")
    return path


def problems(rules: Path) -> list[str]:
    with pytest.raises(PolicyError) as info:
        Policy.load(rules)
    return [f"{Path(p.file).name}:{p.line}: {p.message}" for p in info.value.problems]


def test_the_package_ends_in_2026():
    """The premise: if a new chinesecalendar covers 2027, these tests' ``years: 2027`` must move on a year."""
    cal = WorkCalendar()
    assert (cal.first_year, cal.last_year) == (2004, 2026)
    with pytest.raises(CalendarError, match="2027"):
        cal.add(at("2026-12-30T16:00+08:00"), parse_duration("5 working days"))


def test_due_times_across_new_year_into_a_listed_2027(rules_copy):
    write_calendar(rules_copy, Y2027)
    cal = Policy.load(rules_copy).calendar
    assert (cal.last_year, cal.last_day, cal.statutory_last_year) == (2027, date(2027, 12, 31), 2026)
    wd = parse_duration("5 working days")
    # Wed 30 Dec 16:00: Thu 31 (1), Fri 1 Jan 元旦 off, 2–3 weekend, Mon 4 (2), 5 (3), 6 (4), Thu 7 (5)
    assert cal.add(at("2026-12-30T16:00+08:00"), wd) == at("2027-01-07T17:30+08:00")
    # Thu 4 Feb: Fri 5 (1), 6–12 春节 off, Sat 13 weekend, Sun 14 worked (2), Mon 15 (3)
    assert cal.add(at("2027-02-04T10:00+08:00"), parse_duration("3 working days")) == at("2027-02-15T17:30+08:00")
    # a day the file does not list is the weekday rule: Sat 20 Feb off, Mon 22 Feb worked
    assert not cal.is_workday(date(2027, 2, 20)) and cal.is_workday(date(2027, 2, 22))
    assert cal.day_info(date(2027, 2, 8)).reason == "春节" and cal.day_info(date(2027, 2, 14)).workday
    assert cal.working_days_between(at("2026-12-30T16:00+08:00"), at("2027-01-07T12:00+08:00")) == 5
    # 2028 is still refused, naming the year and the covered range
    with pytest.raises(CalendarError, match="2028.*2004–2027"):
        cal.add(at("2027-12-30T16:00+08:00"), wd)


def test_the_deadline_command_follows_the_file(rules_copy, capsys):
    argv = ["deadline", "--from", "2026-12-30T16:00+08:00", "--within", "5 working days", "--rules", str(rules_copy)]
    assert main(argv) == 2
    assert "2027" in capsys.readouterr().err
    write_calendar(rules_copy, Y2027)
    assert main(argv) == 0
    assert capsys.readouterr().out.strip() == "2027-01-07T17:30:00+08:00"


def test_the_run_window_check_follows_the_file(rules_copy):
    where = ("s.yaml", 3, 1)
    assert calendar_window_problems(Policy.load(rules_copy), date(2026, 12, 1), date(2026, 12, 31), where, where)
    write_calendar(rules_copy, Y2027)
    policy = Policy.load(rules_copy)
    assert calendar_window_problems(policy, date(2026, 12, 1), date(2026, 12, 31), where, where) == []
    late = calendar_window_problems(policy, date(2027, 12, 1), date(2027, 12, 31), where, where)
    assert [p.code for p in late] == ["calendar-coverage"] and "2004–2027" in late[0].message


def test_a_skipped_year_is_an_error_at_its_line(rules_copy):
    write_calendar(rules_copy, Y2027.replace("year: 2027", "year: 2028"))
    got = problems(rules_copy)
    # line 6: the years entry; every 2027 day is then outside the calendar, each at its own line
    assert got[0] == ("calendar.yaml:6: 2027 is missing before 2028: years must follow the chinesecalendar "
                      "package's 2004–2026 one by one, without a gap")
    assert "calendar.yaml:8: 2027-01-01: the working-day calendar has no data for the year 2027 (covered: " \
           "2004–2026)" in got[1]
    assert len(got) == 1 + 9  # the gap, then 8 holidays and a workday of 2027


def test_a_gap_after_a_good_year_and_other_mistakes(rules_copy):
    body = Y2027.replace("years:\n", "years:\n  - {year: 2026, source: 重复}\n  - {year: 2029, source: 跳过}\n"
                                     "  - {year: 2027, source: 第二次}\n")
    write_calendar(rules_copy, body)
    got = problems(rules_copy)
    assert got == [
        "calendar.yaml:6: the year 2026 is already covered by the chinesecalendar package (2004–2026): remove "
        "this entry; the package's arrangement applies",
        "calendar.yaml:7: 2028 is missing before 2029: years must follow the chinesecalendar package's 2004–2026 "
        "one by one, without a gap",
        "calendar.yaml:9: the year 2027 is listed twice under years (see also line 8)",
    ]


def test_a_day_past_the_listed_years_stays_an_error_at_its_line(rules_copy):
    write_calendar(rules_copy, Y2027 + "  - {date: 2028-01-08, name: 太早}\n")
    assert problems(rules_copy) == [
        "calendar.yaml:18: 2028-01-08: the working-day calendar has no data for the year 2028 (covered: 2004–2027); "
        "a new year must first be listed under years (with the notice it follows)"]


def test_a_year_without_its_holidays_is_refused(rules_copy):
    write_calendar(rules_copy, "years:\n  - {year: 2027, source: 某通知}\n")
    got = problems(rules_copy)
    assert len(got) == 1 and got[0].startswith("calendar.yaml:6: the year 2027 is listed under years but holidays "
                                               "has no day of it")
    write_calendar(rules_copy, "years:\n  - {year: 2027}\n")
    assert any("source" in p for p in problems(rules_copy))


def test_the_committed_schema_takes_years(rules_copy):
    schema = json.loads((ROOT / "docs" / "schema" / "calendar.schema.json").read_text(encoding="utf-8"))
    path = write_calendar(rules_copy, Y2027)
    data = json.loads(json.dumps(load_yaml(path)[1], default=str))
    validator = jsonschema.Draft202012Validator(schema)
    assert list(validator.iter_errors(data)) == []
    data["years"][0].pop("source")
    assert list(validator.iter_errors(data))
    data["years"][0].update(source="x", sourse="typo")
    assert list(validator.iter_errors(data))


def test_the_calendar_itself_refuses_a_gap():
    with pytest.raises(CalendarError, match="2028"):
        WorkCalendar(extra_years=[2028])
    assert WorkCalendar(extra_years=[2028, 2027]).last_year == 2028
