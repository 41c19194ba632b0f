"""The working-day calendar deadlines are counted on.

Data source: the ``chinesecalendar`` package (statutory holidays and the
weekend make-up working days, 调休, for 2004–2026), precomputed once into a
per-day table so counting is a few array reads, plus local overrides from a
rule file (e.g. the Beijing APEC arrangement of November 2014 for government
bodies).  The rule file can also carry on past the package's last year
(``extra_years``): each such year counts Monday–Friday as working days and
the weekend as rest, except for exactly the holidays and make-up working
days the file lists (the State Council publishes them each November or
December).  A date outside the covered years is an error naming the year: a
deadline engine must never guess.

Counting rule: "N working days" does not count the day of receipt; the
deadline is close of business of the N-th working day after it.
"""

from __future__ import annotations

import bisect
import functools
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .durations import Duration, TimeUnit
from .errors import CalendarError

__all__ = ["WorkCalendar", "DayInfo", "CountedDay", "ReminderClash", "SHANGHAI", "HOLIDAY_NAMES_ZH"]

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


@dataclass(frozen=True)
class ReminderClash:
    """A start for which a deadline's reminder does not come before the deadline itself."""

    start: datetime
    remind_at: datetime
    due: datetime
    always: bool  # true when it happens whatever the start


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
        extra_years: Iterable[int] = (),
    ) -> None:
        self.close_of_business = close_of_business
        self.tz = tz
        self._first, self._last, base, self._names = _statutory_table()
        self.statutory_last_year = self._last.year
        self._flags = bytearray(base)
        for year in sorted(extra_years):
            if year != self._last.year + 1:  # the loader says where; here only the rule itself
                from .messages import t

                raise CalendarError(t("calendar.year_gap", year=year, first=self._first.year,
                                      last=self._last.year))
            day, self._last = date(year, 1, 1), date(year, 12, 31)
            while day <= self._last:  # the weekday rule; the file's holidays and workdays are set below
                self._flags.append(1 if day.weekday() < 5 else 0)
                day += timedelta(days=1)
        self._override_names: dict[date, str] = {}
        #: add_working_days per (day of start, n, close of business): a pure function of the flags, which do not
        #: change after __init__
        self._due_memo: dict[tuple[date, int, time], datetime] = {}
        #: simulator.worktime's office days per (opens, closes): day -> (opening or None, closing, next midnight)
        self.office_days: dict[tuple[time, time], dict[date, tuple[datetime | None, datetime, datetime]]] = {}
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

    @property
    def last_day(self) -> date:
        """The last day the calendar has data for (the package's last year, or the file's last extra year)."""
        return self._last

    def covers(self, d: date) -> bool:
        return self._first <= d <= self._last

    def _index(self, d: date) -> int:
        if not (self._first <= d <= self._last):
            from .messages import t

            raise CalendarError(t("calendar.no_data", year=d.year, first=self._first.year, last=self._last.year))
        return (d - self._first).days

    def is_workday(self, d: date) -> bool:
        if self._first <= d <= self._last:  # _index inline (the simulator asks this for every working-time step)
            return self._flags[(d - self._first).days] == 1
        return self._flags[self._index(d)] == 1  # raises naming the year

    def day_info(self, d: date) -> DayInfo:
        work = self.is_workday(d)
        if d in self._override_names:
            return DayInfo(d, work, self._override_names[d], "override")
        if d in self._names:
            return DayInfo(d, work, self._names[d], "statutory")
        return DayInfo(d, work, "工作日" if work else "周末", "weekday rule")

    def local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            from .messages import t

            raise ValueError(t("calendar.naive", value=moment.isoformat()))

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
        key = (day, n, self.close_of_business)
        due = self._due_memo.get(key)
        if due is None:
            due = self._due_memo[key] = self._add_working_days(day, n)
        return due

    def _add_working_days(self, day: date, n: int) -> datetime:
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

    # -- static analysis on the calendar (loader and lint) -----------------------------------
    def _day(self, i: int) -> date:
        return self._first + timedelta(days=i)

    def _at(self, i: int, minute: int) -> datetime:
        return datetime.combine(self._day(i), time(minute // 60, minute % 60), tzinfo=self.tz)

    def reminder_clash(self, within: Duration, remind: Duration) -> ReminderClash | None:
        """A start at which ``remind`` after it is at or after the deadline ``within``, or None.

        Durations of one kind compare by length.  A mix of working days and
        wall-clock time is compared as instants for every day the calendar
        covers, from that day's worst start: 23:59 when the deadline is in
        working days (least time left before close of business), 00:00 when
        the reminder is.  Aware-datetime arithmetic in one zone is wall-clock
        arithmetic, as in ``add``, so minutes of the local day are exact.
        """
        wd = TimeUnit.WORKING_DAYS
        if (within.unit is wd) == (remind.unit is wd):
            same_kind_late = (remind.amount >= within.amount if within.unit is wd
                              else remind.as_timedelta() >= within.as_timedelta())
            if not same_kind_late:
                return None
            start = self._at(self._monday_index(), 9 * 60)
            return ReminderClash(start, self.add(start, remind), self.add(start, within), always=True)
        cum = list(itertools.accumulate(self._flags))
        cob = self.close_of_business.hour * 60 + self.close_of_business.minute
        n = int((within if within.unit is wd else remind).amount)
        wall = (remind if within.unit is wd else within).as_timedelta()
        wall_min = wall.total_seconds() / 60
        clashes = 0
        first: int | None = None
        days = 0
        for i in range(len(cum)):
            j = bisect.bisect_left(cum, cum[i] + n, lo=i + 1)
            if j >= len(cum):
                break  # the N-th working day is past the calendar's data
            days += 1
            if within.unit is wd:  # reminder on the wall clock: worst start 23:59
                late = i * 1440 + 1439 + wall_min >= j * 1440 + cob
            else:  # reminder in working days: worst start 00:00
                late = j * 1440 + cob >= i * 1440 + wall_min
            if late:
                clashes += 1
                if first is None:
                    first = i
        if first is None:
            return None
        start = self._at(first, 1439 if within.unit is wd else 0)
        return ReminderClash(start, self.add(start, remind), self.add(start, within), always=clashes == days)

    def _monday_index(self) -> int:
        return (7 - self._first.weekday()) % 7

    def non_working_due(self, duration: Duration, year: int | None = None) -> tuple[datetime, datetime] | None:
        """(start, due) of a calendar-day duration whose due date is not a working day, or None.

        Looks in ``year`` (default: the last year with data) for the first start,
        at 00:00 or 23:59, whose due date is a holiday, else a weekend day.
        """
        if duration.unit is not TimeUnit.DAYS:
            return None
        year = self._last.year if year is None or not (self._first.year <= year <= self._last.year) else year
        lo = (date(year, 1, 1) - self._first).days
        hi = min((date(year, 12, 31) - self._first).days, len(self._flags) - 1 - int(duration.amount) - 1)
        weekend: tuple[datetime, datetime] | None = None
        for i in range(lo, hi + 1):
            for minute in (0, 1439):
                start = self._at(i, minute)
                due = start + duration.as_timedelta()
                if self.covers(due.date()) and not self.is_workday(due.date()):
                    if due.date() in self._names or due.date() in self._override_names:
                        return start, due
                    weekend = weekend or (start, due)
        return weekend
