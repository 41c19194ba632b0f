"""Durations as policy designers write them: '5 working days', '2 hours'.

Working days and wall-clock time are different kinds of time: a reply is due
at close of business of the N-th working day, a hot-event statement two
hours after notification whatever the day.  Keeping the unit explicit stops
the two from being mixed up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from .errors import DurationError
from .messages import t

__all__ = ["Duration", "TimeUnit", "parse_duration", "MAX_AMOUNT"]


class TimeUnit(StrEnum):
    MINUTES = "minutes"
    HOURS = "hours"
    DAYS = "days"
    WORKING_DAYS = "working days"


_UNITS = {
    "minute": TimeUnit.MINUTES, "minutes": TimeUnit.MINUTES, "min": TimeUnit.MINUTES, "mins": TimeUnit.MINUTES,
    "分钟": TimeUnit.MINUTES,
    "hour": TimeUnit.HOURS, "hours": TimeUnit.HOURS, "h": TimeUnit.HOURS, "小时": TimeUnit.HOURS,
    "个小时": TimeUnit.HOURS,
    "day": TimeUnit.DAYS, "days": TimeUnit.DAYS, "calendar day": TimeUnit.DAYS,
    "calendar days": TimeUnit.DAYS, "天": TimeUnit.DAYS, "日": TimeUnit.DAYS,
    "working day": TimeUnit.WORKING_DAYS, "working days": TimeUnit.WORKING_DAYS,
    "workday": TimeUnit.WORKING_DAYS, "workdays": TimeUnit.WORKING_DAYS,
    "工作日": TimeUnit.WORKING_DAYS, "个工作日": TimeUnit.WORKING_DAYS,
}

_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z\u4e00-\u9fff ]+?)\s*$")

#: The longest duration a policy may state, per unit: one year.  No deadline in
#: complaint handling runs longer, and the bound keeps every due-time
#: computation far from datetime's range (docs/limits.md).
MAX_AMOUNT: dict[TimeUnit, float] = {
    TimeUnit.MINUTES: 366 * 24 * 60,
    TimeUnit.HOURS: 366 * 24,
    TimeUnit.DAYS: 366,
    TimeUnit.WORKING_DAYS: 250,
}
_MAX_TEXT = 64  # characters of a duration as written


@dataclass(frozen=True)
class Duration:
    amount: float
    unit: TimeUnit

    def __str__(self) -> str:
        amount = int(self.amount) if float(self.amount).is_integer() else self.amount
        return f"{amount} {self.unit.value}"

    @property
    def is_wall_clock(self) -> bool:
        return self.unit is not TimeUnit.WORKING_DAYS

    def as_timedelta(self) -> timedelta:
        """Wall-clock length; working days have none (they need a calendar)."""
        if self.unit is TimeUnit.MINUTES:
            return timedelta(minutes=self.amount)
        if self.unit is TimeUnit.HOURS:
            return timedelta(hours=self.amount)
        if self.unit is TimeUnit.DAYS:
            return timedelta(days=self.amount)
        raise DurationError(t("duration.not_wall_clock", duration=self))


def parse_duration(text: str) -> Duration:
    """Parse '5 working days', '2 hours', '30 minutes', '3 days', '5个工作日'."""
    if not isinstance(text, str):
        raise DurationError(t("duration.not_text", value=repr(text)))
    if len(text) > _MAX_TEXT:
        raise DurationError(t("duration.too_long", text=text[:_MAX_TEXT], n=_MAX_TEXT))
    m = _PATTERN.match(text)
    if not m:
        raise DurationError(t("duration.malformed", text=text))
    amount = float(m.group(1))
    unit_text = " ".join(m.group(2).lower().split())
    unit = _UNITS.get(unit_text)
    if unit is None:
        from .errors import suggest

        hint = suggest(unit_text, ["minutes", "hours", "days", "working days"])
        raise DurationError(t("duration.unknown_unit", text=text, unit=unit_text), suggestion=hint)
    if amount <= 0:
        raise DurationError(t("duration.not_positive", text=text))
    if amount > MAX_AMOUNT[unit]:
        limit = MAX_AMOUNT[unit]
        raise DurationError(t("duration.too_large", text=text, limit=f"{limit:g}", unit=unit.value))
    if unit is TimeUnit.WORKING_DAYS and not amount.is_integer():
        raise DurationError(t("duration.fraction", text=text))
    return Duration(amount, unit)
