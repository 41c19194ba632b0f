"""Working time of a unit: office hours on the working-day calendar.

A unit that takes "1.5 working days" to reply works through its office hours
on working days only; a form received on Friday evening before a holiday
waits until the next working morning.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

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
    is_workday = cal.is_workday
    for _ in range(3660):  # ten years of days: a guard against a calendar with no working days
        day = t.date()
        if is_workday(day):
            day_open = datetime.combine(day, opens, tzinfo=tz)
            day_close = datetime.combine(day, closes, tzinfo=tz)
            if t < day_open:
                t = day_open
            if t < day_close:
                available = (day_close - t).total_seconds() / 60.0
                if remaining <= available:
                    return t + timedelta(minutes=remaining)
                remaining -= available
        t = datetime.combine(day + _ONE_DAY, _MIDNIGHT, tzinfo=tz)
    raise ValueError("no working time found within ten years")
