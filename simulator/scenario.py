"""Scenario files: the model inputs of one simulated period.

A scenario names its rules directory, its period and seed, and the behaviour
of the platforms, the citizens, the duty desk and the units.  Every number is
a model input (an arrival rate, a delay distribution, a probability), never a
target output.  Files are validated like rule files: errors name the file,
line and key.
"""

from __future__ import annotations

from datetime import date, time
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from engine.errors import Problem, ScenarioError
from engine.yamlsrc import load_yaml, validation_problems

from .dists import MedianP90

__all__ = [
    "Scenario",
    "ArrivalSpec",
    "DeskSpec",
    "Shift",
    "UnitBehaviour",
    "CitizenSpec",
    "load_scenario",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _hhmm(v: object) -> object:
    if isinstance(v, int) and not isinstance(v, bool):  # YAML 1.1 sexagesimal 08:00 → 480
        return time(v // 60 % 24, v % 60) if 0 <= v <= 24 * 60 else v
    if isinstance(v, str) and ":" in v:
        h, m = v.strip().split(":", 1)
        if h.isdigit() and m.isdigit():
            return time(int(h) % 24, int(m))
    return v


HHMM = WithJsonSchema({"type": "string", "pattern": r"^\d{1,2}:\d{2}$", "examples": ["08:00"]})
Clock = Annotated[time, HHMM]


class Shift(_Strict):
    start: Clock = Field(description="Shift start, HH:MM")
    end: Clock = Field(description="Shift end, HH:MM (24:00 or 00:00 = midnight)")
    staff: int = Field(ge=0, le=1000)

    _norm_start = field_validator("start", mode="before")(_hhmm)
    _norm_end = field_validator("end", mode="before")(_hhmm)


class DeskSpec(_Strict):
    staff: int = Field(ge=1, description="Size of the duty desk team (all shifts)")
    roster: list[Shift] = Field(min_length=1, description="Staff on duty per shift, repeated every day")
    triage_minutes: MedianP90 = Field(description="Time to read a post and forward it (or answer it directly)")

    @model_validator(mode="after")
    def _roster(self) -> DeskSpec:
        peak = max(s.staff for s in self.roster)
        if peak > self.staff:
            raise ValueError(f"a shift needs {peak} staff but the desk has only {self.staff}")
        covered = [0] * (24 * 60)
        for s in self.roster:
            a = s.start.hour * 60 + s.start.minute
            b = s.end.hour * 60 + s.end.minute or 24 * 60
            for m in range(a, b) if b > a else list(range(a, 24 * 60)) + list(range(0, b)):
                covered[m] += s.staff
        gap = next((m for m, n in enumerate(covered) if n == 0), None)
        if gap is not None:
            raise ValueError(f"no staff on duty at {gap // 60:02d}:{gap % 60:02d}; the desk is staffed 24 hours")
        return self


class HotSpec(_Strict):
    final_reposts: MedianP90 = Field(description="Reposts+comments a post eventually collects")
    growth_minutes: float = Field(gt=0, description="Time constant of repost growth (most within ~2 hours)")
    checks_minutes: list[float] = Field(
        default=[10, 20, 40, 60, 90, 120, 180, 240],
        description="When (after posting) the platform reports repost counts to the engine",
    )


class ArrivalSpec(_Strict):
    posts_per_day: float = Field(gt=0, description="Mean citizen posts per day (before day factors)")
    hour_profile: list[float] = Field(min_length=24, max_length=24, description="Relative share per hour, 00:00 first")
    weekend_factor: float = Field(default=1.0, ge=0)
    holiday_factor: float = Field(default=1.0, ge=0)
    channels: dict[Literal["weibo", "wechat"], float]
    actionable_share: float = Field(ge=0, le=1, description="Share of posts that are problems needing a form")
    categories: dict[str, float] = Field(min_length=1, description="True-category weights of actionable posts")
    places: dict[str, float] = Field(min_length=1, description="Place weights")
    hot: HotSpec


class UnitBehaviour(_Strict):
    working_hours: tuple[Clock, Clock] = Field(default=(time(9, 0), time(17, 30)))
    reply_working_days: MedianP90 = Field(description="Working days from receiving a form to replying")
    no_reply: float = Field(ge=0, le=1, description="Chance the unit does not reply unless supervised")
    respond_to_reminder: float = Field(ge=0, le=1, description="Chance a silent unit replies after a reminder")
    respond_to_escalation: float = Field(ge=0, le=1, description="Chance a silent unit replies after escalation")
    supervised_reply_working_days: MedianP90 = Field(description="Reply delay once reminded or escalated")
    statement_minutes: MedianP90 = Field(description="Wall-clock minutes to an external statement on a hot event")
    reply_kinds: dict[Literal["立行立改", "近期解决", "条件不具备", "不符合法规"], float]

    @field_validator("working_hours", mode="before")
    @classmethod
    def _wh(cls, v: object) -> object:
        if isinstance(v, list | tuple):
            return tuple(_hhmm(x) for x in v)
        return v


class UnitBehaviourPatch(_Strict):
    """Overrides for a unit type or one unit; unset fields keep the default."""

    working_hours: tuple[Clock, Clock] | None = None
    reply_working_days: MedianP90 | None = None
    no_reply: float | None = Field(default=None, ge=0, le=1)
    respond_to_reminder: float | None = Field(default=None, ge=0, le=1)
    respond_to_escalation: float | None = Field(default=None, ge=0, le=1)
    supervised_reply_working_days: MedianP90 | None = None
    statement_minutes: MedianP90 | None = None
    reply_kinds: dict[Literal["立行立改", "近期解决", "条件不具备", "不符合法规"], float] | None = None

    @field_validator("working_hours", mode="before")
    @classmethod
    def _wh(cls, v: object) -> object:
        if isinstance(v, list | tuple):
            return tuple(_hhmm(x) for x in v)
        return v


class UnitsSpec(_Strict):
    default: UnitBehaviour
    by_type: dict[Literal["street", "town", "bureau", "office"], UnitBehaviourPatch] = Field(default_factory=dict)
    by_unit: dict[str, UnitBehaviourPatch] = Field(default_factory=dict)

    def behaviour(self, unit: str, unit_type: str) -> UnitBehaviour:
        data = self.default.model_dump()
        for patch in (self.by_type.get(unit_type), self.by_unit.get(unit)):  # type: ignore[call-overload]
            if patch is not None:
                data.update(patch.model_dump(exclude_none=True))
        return UnitBehaviour.model_validate(data)


class CitizenSpec(_Strict):
    follow_up_after_days: MedianP90 = Field(description="Calendar days without a reply before a citizen posts again")
    follow_up_probability: float = Field(ge=0, le=1, description="Chance of each follow-up, while unanswered")
    max_follow_ups: int = Field(default=3, ge=0, le=20)


class Scenario(_Strict):
    kind: Literal["scenario"]
    name: str
    description: str | None = None
    rules: str = Field(description="Rules directory, relative to this file")
    seed: int = Field(ge=0)
    start: date
    end: date = Field(description="Last day posts arrive (inclusive); the run then drains")
    arrivals: ArrivalSpec
    desk: DeskSpec
    units: UnitsSpec
    citizens: CitizenSpec

    path: str | None = Field(default=None, exclude=True, description="(set by the loader)")

    @model_validator(mode="after")
    def _period(self) -> Scenario:
        if self.end < self.start:
            raise ValueError(f"end ({self.end}) is before start ({self.start})")
        return self

    def rules_dir(self) -> Path:
        base = Path(self.path).parent if self.path else Path(".")
        return (base / self.rules).resolve() if not Path(self.rules).is_absolute() else Path(self.rules)


def scenario_schema() -> dict[str, object]:
    """JSON Schema of scenario files, for editors."""
    schema = Scenario.model_json_schema()
    schema["properties"].pop("path", None)  # type: ignore[attr-defined]
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "wenzheng scenario file"
    return schema


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario file; problems raise ScenarioError with file:line."""
    doc, data = load_yaml(path, ScenarioError)
    if not isinstance(data, dict):
        raise ScenarioError([Problem(str(path), 1, 1, "a scenario file must be a mapping with 'kind: scenario'")])
    data.pop("path", None)
    try:
        sc = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(validation_problems(doc, exc, Scenario)) from None
    return sc.model_copy(update={"path": str(path)})


def check_against_policy(path: str | Path, scenario: Scenario, places: set[str], categories: set[str],
                         units: dict[str, str]) -> None:
    """Every place, category and unit a scenario names must exist in its policy."""
    from engine.errors import suggest
    from engine.yamlsrc import key_path

    doc, _ = load_yaml(path, ScenarioError)
    problems: list[Problem] = []

    def bad(loc: list[str | int], what: str, name: str, known: set[str]) -> None:
        line, col = doc.locate(loc)
        problems.append(Problem(str(path), line, col, f"unknown {what} '{name}' (not in the policy's rules)",
                                key=key_path(loc), suggestion=suggest(name, known), code=f"unknown-{what}"))

    for p in scenario.arrivals.places:
        if p not in places:
            bad(["arrivals", "places", p], "place", p, places)
    for c in scenario.arrivals.categories:
        if c not in categories:
            bad(["arrivals", "categories", c], "category", c, categories)
    for u in scenario.units.by_unit:
        if u not in units:
            bad(["units", "by_unit", u], "unit", u, set(units))
    if problems:
        raise ScenarioError(problems)
