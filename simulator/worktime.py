"""Working time of a unit: office hours on the working-day calendar.

A unit that takes "1.5 working days" to reply works through its office hours
on working days only; a form received on Friday evening before a holiday
waits until the next working morning.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo

from engine.calendar import WorkCalendar

__all__ = ["advance_working", "next_working_moment"]


def next_working_moment(cal: WorkCalendar, at: datetime, opens: time, closes: time) -> datetime:
    """``at`` if it is within office hours of a working day, else the next opening."""
    return advance_working(cal, at, 0.0, opens, closes)


_ONE_DAY = timedelta(days=1)
_MIDNIGHT = time(0)


def advance_working(cal: WorkCalendar, start: datetime, minutes: float, opens: time, closes: time) -> datetime:
    """The moment ``minutes`` of office time after ``start``."""
    # cal.local(start) is start.astimezone(cal.tz), which is start itself when it is in that zone already
    t = start if start.tzinfo is cal.tz else cal.local(start)
    remaining = minutes
    tz = t.tzinfo
    # each day's opening and closing (None on days off) and the next midnight, made once per calendar and hours
    days = cal.office_days.get((opens, closes))
    if days is None:
        days = cal.office_days[(opens, closes)] = {}
    for _ in range(3660):  # ten years of days: a guard against a calendar with no working days
        day = t.date()
        entry = days.get(day)
        if entry is None:
            entry = days[day] = _office_day(cal, day, opens, closes, tz)
        day_open, day_close, next_day = entry
        if day_open is not None:
            if t < day_open:
                t = day_open
            if t < day_close:
                available = (day_close - t).total_seconds() / 60.0
                if remaining <= available:
                    return t + timedelta(minutes=remaining)
                remaining -= available
        t = next_day
    raise ValueError("no working time found within ten years")


def _office_day(cal: WorkCalendar, day: date, opens: time, closes: time,
                tz: tzinfo | None) -> tuple[datetime | None, datetime, datetime]:
    """(opening or None on a day off, closing, the next midnight) of ``day`` in the calendar's zone."""
    work = cal.is_workday(day)
    return (datetime.combine(day, opens, tzinfo=tz) if work else None, datetime.combine(day, closes, tzinfo=tz),
            datetime.combine(day + _ONE_DAY, _MIDNIGHT, tzinfo=tz))
