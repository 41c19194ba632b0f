import re
from datetime import date, datetime

import pytest

from engine import CalendarError, WorkCalendar, parse_duration
from engine.errors import DurationError


def at(s: str) -> datetime:
    return datetime.fromisoformat(s)


@pytest.fixture(scope="module")
def statutory():
    return WorkCalendar()


def test_national_day_2014_with_make_up_saturday(policy):
    # 10-01..10-07 off; Saturday 10-11 is a make-up working day (调休) and counts.
    due = policy.calendar.add(at("2014-09-30T16:00+08:00"), parse_duration("5 working days"))
    assert due == at("2014-10-13T17:30+08:00")


def test_walk_explains_each_day(policy):
    walk = policy.calendar.working_day_walk(at("2014-09-30T16:00+08:00"), 5)
    assert [d.info.day for d in walk if d.counted] == [
        date(2014, 10, 8), date(2014, 10, 9), date(2014, 10, 10), date(2014, 10, 11), date(2014, 10, 13)]
    assert walk[0].info.reason == "国庆节" and not walk[0].counted
    sat = next(d for d in walk if d.info.day == date(2014, 10, 11))
    assert sat.counted and "调休" in sat.info.reason


def test_day_of_receipt_not_counted(statutory):
    # Monday 2014-06-09 09:00 + 1 working day = Tuesday close of business, not Monday.
    assert statutory.add(at("2014-06-09T09:00+08:00"), parse_duration("1 working day")) == at(
        "2014-06-10T17:30+08:00")


def test_sunday_make_up_day_before_national_day(statutory):
    # 2014-09-28 (Sunday) was a working day in lieu of the National Day holiday.
    assert statutory.is_workday(date(2014, 9, 28))
    assert statutory.add(at("2014-09-27T10:00+08:00"), parse_duration("1 working day")) == at(
        "2014-09-28T17:30+08:00")


def test_apec_days_off_and_make_up_days(policy, statutory):
    cal = policy.calendar
    for d in (7, 10, 11, 12):
        assert not cal.is_workday(date(2014, 11, d))
        assert statutory.is_workday(date(2014, 11, d)) == (date(2014, 11, d).weekday() < 5)
    assert cal.is_workday(date(2014, 11, 2)) and cal.is_workday(date(2014, 11, 15))
    assert not statutory.is_workday(date(2014, 11, 2))
    # Thursday 11-06 + 1 working day: 7 off, 8-9 weekend, 10-12 off → Thursday 11-13.
    assert cal.add(at("2014-11-06T10:00+08:00"), parse_duration("1 working day")) == at("2014-11-13T17:30+08:00")
    assert statutory.add(at("2014-11-06T10:00+08:00"), parse_duration("1 working day")) == at(
        "2014-11-07T17:30+08:00")
    # Friday 10-31 + 1 working day: Sunday 11-02 is worked.
    assert cal.add(at("2014-10-31T10:00+08:00"), parse_duration("1 working day")) == at("2014-11-02T17:30+08:00")
    assert cal.day_info(date(2014, 11, 15)).source == "override"


def test_hours_are_wall_clock_through_holidays(policy):
    assert policy.calendar.add(at("2014-10-01T23:30+08:00"), parse_duration("2 hours")) == at(
        "2014-10-02T01:30+08:00")


def test_other_timezones_are_converted(policy):
    # 08:00 UTC on 30 Sept is 16:00 in Beijing.
    assert policy.calendar.add(at("2014-09-30T08:00+00:00"), parse_duration("5 working days")) == at(
        "2014-10-13T17:30+08:00")


def test_close_of_business_is_configurable():
    from datetime import time

    cal = WorkCalendar(close_of_business=time(17, 0))
    assert cal.add(at("2014-06-09T09:00+08:00"), parse_duration("1 working day")).time() == time(17, 0)


def test_year_outside_data_is_an_error_naming_the_year(statutory):
    with pytest.raises(CalendarError, match="2027"):
        statutory.add(at("2027-01-04T10:00+08:00"), parse_duration("5 working days"))
    with pytest.raises(CalendarError, match="2027"):
        statutory.add(at("2026-12-29T10:00+08:00"), parse_duration("5 working days"))
    with pytest.raises(CalendarError, match="2003"):
        statutory.is_workday(date(2003, 5, 1))


def test_naive_datetimes_are_rejected(statutory):
    with pytest.raises(ValueError, match="naive"):
        statutory.add(datetime(2014, 6, 9, 9), parse_duration("1 working day"))


def test_working_days_between(policy):
    cal = policy.calendar
    start = at("2014-09-30T16:00+08:00")
    assert cal.working_days_between(start, at("2014-09-30T17:00+08:00")) == 0
    assert cal.working_days_between(start, at("2014-10-07T12:00+08:00")) == 0
    assert cal.working_days_between(start, at("2014-10-13T09:00+08:00")) == 5


@pytest.mark.parametrize("text,amount,unit", [
    ("5 working days", 5, "working days"), ("2 hours", 2, "hours"), ("1 working day", 1, "working days"),
    ("30 minutes", 30, "minutes"), ("3 days", 3, "days"), ("5个工作日", 5, "working days"), ("2小时", 2, "hours"),
])
def test_parse_duration(text, amount, unit):
    d = parse_duration(text)
    assert (d.amount, d.unit.value) == (amount, unit)


@pytest.mark.parametrize("text,message", [
    ("5 workin days", "unknown unit 'workin days' (use minutes, hours, days or working days); did you mean 'working days'?"),
    ("five days", "malformed duration 'five days'"),
    ("0 hours", "must be positive"),
    ("1.5 working days", "whole number"),
])
def test_parse_duration_errors(text, message):
    with pytest.raises(DurationError, match=re.escape(message)):
        parse_duration(text)
