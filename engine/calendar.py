"""The working-day calendar deadlines are counted on.

Data source: the ``chinesecalendar`` package (statutory holidays and the
weekend make-up working days, 调休, for 2004–2026), precomputed once into a
per-day table so counting is a few array reads, plus local overrides from a
rule file (e.g. the Beijing APEC arrangement of November 2014 for government
bodies).  A date outside the covered years is an error naming the year: a
deadline engine must never guess.

Counting rule: "N working days" does not count the day of receipt; the
deadline is close of business of the N-th working day after it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .durations import Duration, TimeUnit
from .errors import CalendarError

__all__ = ["WorkCalendar", "DayInfo", "CountedDay", "SHANGHAI", "HOLIDAY_NAMES_ZH"]

SHANGHAI = ZoneInfo("Asia/Shanghai")

HOLIDAY_NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}


@dataclass(frozen=True)
class DayInfo:
    day: date
    workday: bool
    #: why the day is what it is: 'weekday', 'weekend', a holiday name, '调休', or an override name
    reason: str
    source: str  # 'statutory', 'override' or 'weekday rule'


@dataclass(frozen=True)
class CountedDay:
    """One day walked over while counting a working-day deadline."""

    info: DayInfo
    counted: bool
    index: int  # working-day number when counted, else 0


@functools.lru_cache(maxsize=1)
def _statutory_table() -> tuple[date, date, bytes, dict[date, str]]:
    """Workday flags for every day chinesecalendar covers, and holiday names.

    Cached because it is a pure function of the installed package's data.
    """
    import chinese_calendar as cc

    first = date(min(cc.holidays).year, 1, 1)
    last = date(max(cc.holidays).year, 12, 31)
    flags = bytearray((last - first).days + 1)
    names: dict[date, str] = {}
    for i in range(len(flags)):
        d = first + timedelta(days=i)
        flags[i] = 1 if d.weekday() < 5 else 0
    for d, name in cc.holidays.items():
        flags[(d - first).days] = 0
        names[d] = HOLIDAY_NAMES_ZH.get(str(name), str(name))
    for d, name in cc.workdays.items():
        flags[(d - first).days] = 1
        names[d] = f"{HOLIDAY_NAMES_ZH.get(str(name), str(name))}调休上班"
    return first, last, bytes(flags), names


class WorkCalendar:
    """Working days and close of business, with local overrides.

    Each policy owns its calendar; nothing here is shared mutable state.
    """

    def __init__(
        self,
        *,
        close_of_business: time = time(17, 30),
        tz: ZoneInfo = SHANGHAI,
        holidays: Iterable[tuple[date, str]] = (),
        workdays: Iterable[tuple[date, str]] = (),
    ) -> None:
        self.close_of_business = close_of_business
        self.tz = tz
        self._first, self._last, base, self._names = _statutory_table()
        self._flags = bytearray(base)
        self._override_names: dict[date, str] = {}
        for d, name in holidays:
            self._set(d, False, name)
        for d, name in workdays:
            self._set(d, True, name)

    def _set(self, d: date, workday: bool, name: str) -> None:
        self._index(d)  # an override outside the data's years is an error too
        self._flags[(d - self._first).days] = 1 if workday else 0
        self._override_names[d] = name

    @property
    def first_year(self) -> int:
        return self._first.year

    @property
    def last_year(self) -> int:
        return self._last.year

    def covers(self, d: date) -> bool:
        return self._first <= d <= self._last

    def _index(self, d: date) -> int:
        if not (self._first <= d <= self._last):
            raise CalendarError(
                f"the working-day calendar has no data for the year {d.year} "
                f"(covered: {self._first.year}–{self._last.year}); "
                f"a deadline there cannot be computed (update the chinesecalendar package when new years are published)"
            )
        return (d - self._first).days

    def is_workday(self, d: date) -> bool:
        return self._flags[self._index(d)] == 1

    def day_info(self, d: date) -> DayInfo:
        work = self.is_workday(d)
        if d in self._override_names:
            return DayInfo(d, work, self._override_names[d], "override")
        if d in self._names:
            return DayInfo(d, work, self._names[d], "statutory")
        return DayInfo(d, work, "工作日" if work else "周末", "weekday rule")

    def local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            raise ValueError(f"naive datetime {moment.isoformat()}: every timestamp must carry its timezone")
        return moment.astimezone(self.tz)

    def working_day_walk(self, start: datetime, n: int) -> list[CountedDay]:
        """The days from the day after ``start`` up to the N-th working day."""
        day = self.local(start).date()
        walked: list[CountedDay] = []
        counted = 0
        while counted < n:
            day += timedelta(days=1)
            info = self.day_info(day)
            if info.workday:
                counted += 1
            walked.append(CountedDay(info, info.workday, counted if info.workday else 0))
        return walked

    def add_working_days(self, start: datetime, n: int) -> datetime:
        """Close of business of the N-th working day after the day of ``start``."""
        day = self.local(start).date()
        i = self._index(day)
        flags = self._flags
        counted = 0
        while counted < n:
            i += 1
            if i >= len(flags):
                self._index(self._first + timedelta(days=i))  # raises naming the year
            counted += flags[i]
        due_day = self._first + timedelta(days=i)
        return datetime.combine(due_day, self.close_of_business, tzinfo=self.tz)

    def add(self, start: datetime, duration: Duration) -> datetime:
        """``start`` plus ``duration``: working days on the calendar, the rest on the wall clock."""
        if duration.unit is TimeUnit.WORKING_DAYS:
            return self.add_working_days(start, int(duration.amount))
        self._index(self.local(start).date())
        due = self.local(start) + duration.as_timedelta()
        self._index(due.date())
        return due

    def working_days_between(self, start: datetime, end: datetime) -> int:
        """Working-day number of ``end`` counted from ``start``.

        0 when ``end`` is on the day of receipt; otherwise the number of working
        days in (day of start, day of end].  A reply on the N-th working day
        counts as N, so "replied within 5 working days" is ``<= 5`` (and before
        close of business).
        """
        a = self._index(self.local(start).date())
        b = self._index(self.local(end).date())
        if b <= a:
            return 0
        return sum(self._flags[a + 1 : b + 1])
