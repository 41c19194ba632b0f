"""The schema of every rule-file kind, as pydantic models.

These models are the single source of truth for what a rule file may say:
the loader validates against them (unknown keys are errors, with a
suggestion), ``wenzheng schema`` exports them as JSON Schema for editors, and
the docs' rule-file reference describes them.
"""

from __future__ import annotations

import re
from datetime import date, time
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from .durations import Duration, parse_duration
from .messages import t

__all__ = [
    "HitPolicy",
    "UnitSpec",
    "UnitsFile",
    "CategorySpec",
    "ClassificationRule",
    "ClassificationFile",
    "RoutingThen",
    "RoutingRule",
    "RoutingFile",
    "HotRule",
    "HotFile",
    "DeadlineSpec",
    "DeadlineRule",
    "DeadlinesFile",
    "EscalationThen",
    "EscalationRule",
    "EscalationFile",
    "CalendarDay",
    "CalendarFile",
    "FILE_KINDS",
    "parse_clock",
    "DEFAULT_HIT_POLICY",
]

HitPolicy = Literal["first", "priority", "unique", "collect"]
#: Most rules in one table: durable_rules' priorities are 16-bit, and no real policy comes near.
MAX_RULES = 10_000
#: Most entries in any other list of a rule file (units, places, categories, calendar days).
MAX_ITEMS = 10_000
MAX_NAME = 200  # characters of an id or name
RULE_ID = r"^[A-Za-z0-9\u4e00-\u9fff][A-Za-z0-9_.\-\u4e00-\u9fff]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False)


def _duration(v: Any) -> Duration:
    if isinstance(v, Duration):
        return v
    return parse_duration(v)


DurationField = Annotated[
    Duration,
    BeforeValidator(_duration),
    WithJsonSchema({
        "type": "string",
        "pattern": r"^\s*\d+(\.\d+)?\s*(minutes?|mins?|hours?|h|days?|calendar days?|working days?|workdays?|分钟|小时|个小时|天|日|工作日|个工作日)\s*$",
        "examples": ["2 hours", "5 working days", "30 minutes"],
    }),
]
HHMM = WithJsonSchema({"type": "string", "pattern": r"^([01]?\d|2[0-3]):[0-5]\d$", "examples": ["17:30"]})


# -- units -------------------------------------------------------------------
class UnitSpec(_Strict):
    id: str = Field(max_length=MAX_NAME, description="Unit name as used everywhere else, e.g. 园林绿化局 or 城北街道")
    type: Literal["street", "town", "bureau", "office"] = Field(
        description="street (街道), town (镇/地区), bureau (委办局) or office (supervising office)"
    )
    places: list[Annotated[str, Field(max_length=MAX_NAME)]] = Field(
        default_factory=list, max_length=MAX_ITEMS, description="Areas this street/town is responsible for")
    description: str | None = None
    by_hand: StrictBool = Field(
        default=False,
        description="No routing rule sends forms to this unit on purpose: the duty desk forwards them by hand "
                    "(re-route). Lint does not warn that the unit is unreachable")


class UnitsFile(_Strict):
    kind: Literal["units"]
    units: list[UnitSpec] = Field(min_length=1, max_length=MAX_ITEMS)


# -- shared rule shape ---------------------------------------------------------
class _Rule(_Strict):
    id: str = Field(pattern=RULE_ID, max_length=MAX_NAME, description="Unique rule id within the policy")
    description: str | None = None
    priority: int = Field(default=0, ge=0, le=1000, description="Used by hit_policy: priority (higher wins)")
    when: dict[str, Any] | None = Field(
        default=None, description="Conditions on fact fields; all must hold. Omit for a default rule."
    )


class _Table(_Strict):
    description: str | None = None
    hit_policy: HitPolicy = Field(
        description="How matching rules combine, stated in every table file: first (file order, first match "
                    "wins) | priority (highest priority wins, then file order) | unique (at most one may "
                    "match) | collect (every match applies)")


# -- classification ------------------------------------------------------------
class CategorySpec(_Strict):
    id: str = Field(max_length=MAX_NAME)
    description: str | None = None


class ClassificationThen(_Strict):
    category: str


class ClassificationRule(_Rule):
    then: ClassificationThen


class ClassificationFile(_Table):
    kind: Literal["classification"]
    categories: list[CategorySpec] = Field(min_length=1, max_length=MAX_ITEMS)
    rules: list[ClassificationRule] = Field(min_length=1, max_length=MAX_RULES)


# -- routing -------------------------------------------------------------------
class RoutingThen(_Strict):
    unit: str | None = Field(default=None, description="Unit id from units.yaml")
    unit_of_place: StrictBool | None = Field(
        default=None, description="true: route to the street/town whose places include the post's place"
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> RoutingThen:
        if (self.unit is None) == (not self.unit_of_place):
            raise ValueError(t("schema.routing_then"))
        return self


class RoutingRule(_Rule):
    then: RoutingThen


class RoutingFile(_Table):
    kind: Literal["routing"]
    rules: list[RoutingRule] = Field(min_length=1, max_length=MAX_RULES)


# -- hot events ----------------------------------------------------------------
class HotThen(_Strict):
    hot: Literal[True] = Field(description="mark the case as a hot event")


class HotRule(_Rule):
    then: HotThen


class HotFile(_Table):
    kind: Literal["hot"]
    rules: list[HotRule] = Field(min_length=1, max_length=MAX_RULES)


# -- deadlines -----------------------------------------------------------------
class DeadlineSpec(_Strict):
    for_: Literal["external_statement", "reply"] = Field(alias="for", description="Deadline kind")
    within: DurationField = Field(description="e.g. '2 hours' (wall clock) or '5 working days'")
    remind_after: DurationField | None = Field(
        default=None, description="Send the unit a reminder this long after the start, if not yet met"
    )


class DeadlineThen(_Strict):
    deadline: DeadlineSpec


class DeadlineRule(_Rule):
    then: DeadlineThen


class DeadlinesFile(_Table):
    kind: Literal["deadlines"]
    rules: list[DeadlineRule] = Field(min_length=1, max_length=MAX_RULES)


# -- escalation and deductions -------------------------------------------------
class EscalateSpec(_Strict):
    to: str = Field(description="Supervising unit (type office) in units.yaml")
    level: int = Field(default=1, ge=1, le=5)


class DeductSpec(_Strict):
    points: float = Field(gt=0, le=100, description="Performance points deducted from the case's unit")
    reason: str | None = None


class EscalationThen(_Strict):
    remind: StrictBool | None = Field(default=None, description="Remind the responsible unit")
    escalate: EscalateSpec | None = None
    deduct: DeductSpec | None = None
    accountability: StrictBool | None = Field(
        default=None, description="Flag the unit and the person responsible for accountability (问责)"
    )

    @model_validator(mode="after")
    def _something(self) -> EscalationThen:
        if not (self.remind or self.escalate or self.deduct or self.accountability):
            raise ValueError(t("schema.escalation_then"))
        return self


class EscalationRule(_Rule):
    then: EscalationThen


class EscalationFile(_Table):
    kind: Literal["escalation"]
    rules: list[EscalationRule] = Field(min_length=1, max_length=MAX_RULES)


# -- calendar ------------------------------------------------------------------
class CalendarDay(_Strict):
    date: date
    name: str = Field(description="Why, e.g. 'APEC 会议放假'")


class CalendarYear(_Strict):
    year: int = Field(ge=1900, le=2200, description="A year past the chinesecalendar package's last, e.g. 2027")
    source: str = Field(min_length=1, max_length=500,
                        description="The notice that sets its holidays, e.g. '国务院办公厅 2026 年 11 月通知'")


def parse_clock(v: Any) -> Any:
    """'17:30' (or YAML 1.1's sexagesimal 1050 for an unquoted 17:30) → time, 00:00–23:59 only.

    Shared by rule and scenario files.  '24:00' and '25:00' are rejected, not
    wrapped round: a close of business of 24:00 read as 00:00 would move every
    deadline to the start of its day.  Anything not shaped like a clock time
    is passed on for pydantic to reject with its own message.
    """
    if isinstance(v, int) and not isinstance(v, bool):
        if v < 0:
            return v
        h, m = divmod(v, 60)  # YAML 1.1 reads an unquoted 24:00 as the integer 1440
    elif isinstance(v, str) and re.fullmatch(r"\d{1,2}:\d{2}", v.strip()):
        h, m = (int(x) for x in v.strip().split(":"))
    else:
        return v
    if m > 59:
        raise ValueError(t("schema.clock_minutes", value=f"{h}:{m:02d}"))
    if h == 24 and m == 0:
        raise ValueError(t("schema.clock_24"))
    if h > 23:
        raise ValueError(t("schema.clock_hours", value=f"{h}:{m:02d}"))
    return time(h, m)


class CalendarFile(_Strict):
    kind: Literal["calendar"]
    description: str | None = None
    timezone: str = Field(default="Asia/Shanghai")
    close_of_business: Annotated[time, BeforeValidator(parse_clock), HHMM] = Field(
        default=time(17, 30), description="Working-day deadlines end at this time, e.g. '17:30'"
    )
    holidays: list[CalendarDay] = Field(default_factory=list, max_length=MAX_ITEMS,
                                        description="Extra days off (local decisions)")
    workdays: list[CalendarDay] = Field(default_factory=list, max_length=MAX_ITEMS,
                                        description="Extra working days (local 调休)")
    years: list[CalendarYear] = Field(
        default_factory=list, max_length=50,
        description="Years past the chinesecalendar package's last, each with its source: their statutory "
                    "holidays and make-up working days are exactly those listed in holidays and workdays")

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(t("schema.timezone", value=v)) from None

        return v


FILE_KINDS: dict[str, type[BaseModel]] = {
    "units": UnitsFile,
    "classification": ClassificationFile,
    "routing": RoutingFile,
    "hot": HotFile,
    "deadlines": DeadlinesFile,
    "escalation": EscalationFile,
    "calendar": CalendarFile,
}

#: what a missing ``hit_policy`` used to mean, before it became required; quoted in the error message
DEFAULT_HIT_POLICY: dict[str, HitPolicy] = {
    "classification": "first",
    "routing": "first",
    "hot": "first",
    "deadlines": "collect",
    "escalation": "collect",
}
