"""Regression tests for time bugs that used to pass silently (issue 8, part 3).

Each test reproduces one defect and knows the right answer independently:
hand-counted calendars, the boundary of the worst start, the line of a key.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, time, timedelta

import pytest

from engine import Engine, Policy
from engine.durations import parse_duration
from engine.errors import EventError, PolicyError, ScenarioError
from engine.lint import lint
from engine.schema import parse_clock
from simulator import load_run_inputs
from simulator.scenario import load_scenario
from wenzheng.cli import main

from .conftest import DATA
from .test_policy_errors import edit


def line_of(path, text: str) -> int:
    return 1 + next(i for i, ln in enumerate(path.read_text(encoding="utf-8").splitlines()) if text in ln)


def load_problems(rules) -> list:
    with pytest.raises(PolicyError) as info:
        Policy.load(rules)
    return info.value.problems


def at(s: str) -> datetime:
    return datetime.fromisoformat(s)


# -- impossible calendar dates -------------------------------------------------
def test_impossible_date_in_calendar_is_located(rules_copy, capsys):
    edit(rules_copy / "calendar.yaml", "2014-11-07", "2014-09-31")
    (p,) = load_problems(rules_copy)
    assert (p.file, p.line, p.key) == (str(rules_copy / "calendar.yaml"),
                                       line_of(rules_copy / "calendar.yaml", "2014-09-31"), "holidays[0].date")
    assert "day value is outside expected range" in p.message
    assert main(["validate", str(rules_copy)]) == 2
    assert "Traceback" not in capsys.readouterr().err


# -- clock times 00:00-23:59 ---------------------------------------------------------
@pytest.mark.parametrize("text,expected", [("00:00", time(0, 0)), ("23:59", time(23, 59)), ("7:05", time(7, 5)),
                                           (1050, time(17, 30)), (0, time(0, 0))])
def test_clock_times_in_range(text, expected):
    assert parse_clock(text) == expected


@pytest.mark.parametrize("text,hint", [("24:00", "write 00:00 for midnight"), (1440, "write 00:00 for midnight"),
                                       ("25:00", "hours run 00–23"), ("12:60", "minutes run 00–59")])
def test_clock_times_out_of_range_are_rejected(text, hint):
    with pytest.raises(ValueError, match=hint):
        parse_clock(text)


@pytest.mark.parametrize("cob", ['"24:00"', '"25:00"', "24:00"])
def test_close_of_business_past_midnight_is_an_error_not_a_wrap(rules_copy, cob):
    # it used to be read as 00:00 (or 01:00) of the due day: every deadline 17.5 hours early
    edit(rules_copy / "calendar.yaml", 'close_of_business: "17:30"', f"close_of_business: {cob}")
    (p,) = load_problems(rules_copy)
    assert p.line == line_of(rules_copy / "calendar.yaml", "close_of_business") and p.key == "close_of_business"
    assert "is not a clock time" in p.message


def test_end_of_day_close_of_business_counts_on_the_due_day(rules_copy):
    edit(rules_copy / "calendar.yaml", 'close_of_business: "17:30"', 'close_of_business: "23:59"')
    # 2014-09-30 + 5 working days: 10-01..07 off, 08, 09, 10, Sat 11 (调休), 13 → 10-13, at 23:59 that day
    due = Policy.load(rules_copy).calendar.add(at("2014-09-30T16:00+08:00"), parse_duration("5 working days"))
    assert due == at("2014-10-13T23:59+08:00")


def test_scenario_shift_ending_24_00_is_rejected_with_a_hint(tmp_path):
    text = (DATA / "short.yaml").read_text(encoding="utf-8").replace("rules: ../../rules", f"rules: {DATA.parent.parent / 'rules'}")
    sc = tmp_path / "s.yaml"
    sc.write_text(text.replace('end: "00:00"}', 'end: "24:00"}'), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(sc)
    (p,) = info.value.problems
    # the shift letter 'E' is a key of the data, not a pydantic tag: the error sits at the shift's own line
    assert p.file == str(sc) and p.line == line_of(sc, 'end: "24:00"}') and "write 00:00 for midnight" in p.message
    assert p.key == "desk.shifts.E.end"


def test_shift_ending_at_midnight_runs_to_the_end_of_the_day():
    shift = load_scenario(DATA / "short.yaml").desk.shifts["E"]
    assert (shift.start, shift.end) == (time(16, 0), time(0, 0))
    assert shift.window() == (16 * 60, 24 * 60)  # eight hours, 16:00 to midnight


# -- reminders compared with their deadline as instants -------------------------------------
def test_reminder_in_working_days_after_a_two_hour_deadline_is_an_error(rules_copy, capsys):
    edit(rules_copy / "deadlines.yaml", "within: 2 hours}", "within: 2 hours, remind_after: 1 working days}")
    (p,) = load_problems(rules_copy)
    assert (p.line, p.code, p.rule_id) == (line_of(rules_copy / "deadlines.yaml", "remind_after: 1 working days"),
                                           "reminder-after-deadline", "hot-statement")
    assert "for every case" in p.message
    assert main(["lint", str(rules_copy)]) == 1


@pytest.mark.parametrize("remind,late", [("1050 minutes", False), ("1051 minutes", True), ("20 hours", True),
                                         ("17 hours", False)])
def test_wall_clock_reminder_against_a_working_day_deadline(rules_copy, remind, late):
    # Worst start: 23:59 the evening before a working day; 1 working day is then due at 17:30 the next day,
    # 17 h 31 min (1051 minutes) later.  A reminder that long or longer is at or after the deadline.
    edit(rules_copy / "deadlines.yaml", "within: 5 working days, remind_after: 3 working days",
         f"within: 1 working days, remind_after: {remind}")
    if not late:
        Policy.load(rules_copy)
        return
    (p,) = load_problems(rules_copy)
    assert p.code == "reminder-after-deadline" and "for some cases" in p.message
    opened = datetime.strptime(p.message.split("a case opened ")[1][:16], "%Y-%m-%d %H:%M")
    assert opened.time() == time(23, 59)


def test_calendar_day_reminder_before_a_working_day_deadline_is_kept(rules_copy):
    edit(rules_copy / "deadlines.yaml", "remind_after: 3 working days", "remind_after: 2 days")
    engine = Engine(Policy.load(rules_copy))
    try:
        d = engine.handle({"type": "post_received", "case_id": "c", "at": "2014-09-30T16:00:00+08:00",
                           "post": {"post_id": "p", "channel": "weibo", "author": "a", "text": "垃圾没人清运",
                                    "place": "城北", "posted_at": "2014-09-30T15:00:00+08:00"}})
    finally:
        engine.close()
    (reply,) = [e for e in d.effects if getattr(e, "deadline", None) == "reply"]
    assert reply.remind_at == at("2014-10-02T16:00+08:00") and reply.due == at("2014-10-13T17:30+08:00")


def test_engine_refuses_to_drop_a_late_reminder(policy):
    # a policy assembled without the loader's check: the engine says so instead of dropping the reminder
    table = policy.tables["deadlines"]
    reply = next(r for r in table.rules if r.id == "reply")
    spec = reply.then.deadline.model_copy(update={"remind_after": parse_duration("6 working days")})
    bad = dataclasses.replace(reply, then=reply.then.model_copy(update={"deadline": spec}))
    tables = {**policy.tables, "deadlines": dataclasses.replace(
        table, rules=tuple(bad if r is reply else r for r in table.rules))}
    engine = Engine(dataclasses.replace(policy, tables=tables))
    try:
        with pytest.raises(EventError, match="reminder .6 working days. .* is not before the deadline"):
            engine.handle({"type": "post_received", "case_id": "c", "at": "2014-06-03T10:00:00+08:00",
                           "post": {"post_id": "p", "channel": "weibo", "author": "a", "text": "垃圾",
                                    "place": "城北", "posted_at": "2014-06-03T09:00:00+08:00"}})
    finally:
        engine.close()


# -- calendar coverage over the whole run ---------------------------------------------------
def _scenario(tmp_path, start: str, end: str):
    text = (DATA / "short.yaml").read_text(encoding="utf-8").replace("rules: ../../rules", f"rules: {DATA.parent.parent / 'rules'}")
    sc = tmp_path / "late.yaml"
    sc.write_text(text.replace("start: 2014-09-25", f"start: {start}").replace("end: 2014-10-10", f"end: {end}"),
                  encoding="utf-8")
    return sc


def test_period_ending_on_the_last_covered_day_is_refused_before_running(tmp_path, capsys):
    # the period is covered, but a form issued on 2026-12-31 is due 5 working days later, in 2027
    sc = _scenario(tmp_path, "2026-12-01", "2026-12-31")
    end_line = line_of(sc, "end: 2026-12-31")
    with pytest.raises(ScenarioError) as info:
        load_run_inputs(sc)
    (p,) = info.value.problems
    assert (p.file, p.line, p.key, p.code) == (str(sc), end_line, "end", "calendar-coverage")
    assert "rule reply" in p.message and "5 working days" in p.message
    assert main(["run", str(sc), "--quiet", "--out", str(tmp_path / "out")]) == 2
    assert f"{sc}:{end_line}:" in capsys.readouterr().err and not (tmp_path / "out").exists()
    (q,) = lint(DATA.parent.parent / "rules", [sc]).problems
    assert (q.file, q.line, q.code) == (str(sc), end_line, "calendar-coverage")


def test_period_whose_deadlines_stay_in_the_calendar_is_accepted(tmp_path):
    # 2026-12-24 (Thu) + 5 working days: 25, 28, 29, 30, 31 → due 2026-12-31, still covered
    sc = _scenario(tmp_path, "2026-12-01", "2026-12-24")
    load_run_inputs(sc)
    assert lint(DATA.parent.parent / "rules", [sc]).problems == []


def test_end_set_in_an_extending_file_is_named(tmp_path):
    base = _scenario(tmp_path, "2026-12-01", "2026-12-20")
    child = tmp_path / "child.yaml"
    child.write_text("extends: late.yaml\nname: child\nend: 2026-12-30\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_run_inputs(child)
    (p,) = info.value.problems
    assert (p.file, p.line) == (str(child), 3)
    (q,) = lint(DATA.parent.parent / "rules", [child]).problems
    assert (q.file, q.line) == (str(child), 3)
    assert base.exists()


# -- hit policies stated, not defaulted -------------------------------------------------------
def test_missing_hit_policy_is_an_error_with_the_old_default(rules_copy, capsys):
    edit(rules_copy / "routing.yaml", "hit_policy: first\n", "")
    (p,) = load_problems(rules_copy)
    assert (p.line, p.key, p.code) == (line_of(rules_copy / "routing.yaml", "kind: routing"), "hit_policy",
                                       "missing-hit-policy")
    assert "one of: first, priority, unique, collect" in p.message and "add 'hit_policy: first'" in p.message
    assert main(["validate", str(rules_copy)]) == 2


def test_every_shipped_table_states_its_hit_policy():
    from .conftest import RULES

    for kind in ("classification", "routing", "hot", "deadlines", "escalation"):
        assert "\nhit_policy: " in (RULES / f"{kind}.yaml").read_text(encoding="utf-8"), kind


# -- calendar days can land on a day off ------------------------------------------------------
def test_calendar_days_deadline_landing_on_a_holiday_is_a_warning(rules_copy):
    edit(rules_copy / "deadlines.yaml", "within: 5 working days, remind_after: 3 working days", "within: 5天")
    (p,) = lint(rules_copy).problems
    assert (p.severity, p.code, p.rule_id) == ("warning", "calendar-days", "reply")
    assert p.line == line_of(rules_copy / "deadlines.yaml", "within: 5天")
    opened, due = (datetime.strptime(p.message.split(k)[1][:16], "%Y-%m-%d %H:%M")
                   for k in ("a case opened ", "is due "))
    cal = Policy.load(rules_copy).calendar
    assert due - opened == timedelta(days=5) and not cal.is_workday(due.date())
    assert cal.day_info(due.date()).reason in p.message


def test_working_days_and_hours_get_no_calendar_days_warning(policy):
    assert policy.calendar.non_working_due(parse_duration("5 working days")) is None
    assert policy.calendar.non_working_due(parse_duration("2 hours")) is None
    assert not policy.calendar.is_workday(date(2014, 10, 1))


def test_calendar_override_outside_the_data_years_is_located_at_its_entry(rules_copy):
    """It was reported at the 'holidays:' key, not at the entry that lies in 2027."""
    edit(rules_copy / "calendar.yaml", "2014-11-07", "2027-01-04")
    (p,) = load_problems(rules_copy)
    assert (p.line, p.key) == (line_of(rules_copy / "calendar.yaml", "2027-01-04"), "holidays[0]")
    assert "no data for the year 2027" in p.message
