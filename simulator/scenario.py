"""Scenario files: the model inputs of one simulated period.

A scenario names its rules directory, its period and seed, and the behaviour
of the platforms, the citizens, the duty desk and the units.  Every number is
a model input (an arrival rate, a delay distribution, a probability), never a
target output.  Files are validated like rule files: errors name the file,
line and key.
"""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from engine.adapters import MAX_TEXT
from engine.errors import Problem, ScenarioError
from engine.schema import parse_clock
from engine.yamlsrc import SourceDoc, load_yaml, validation_problems

from .dists import Delay, MedianP90
from .messages import t

__all__ = [
    "Scenario",
    "ArrivalSpec",
    "DeskSpec",
    "ShiftTimes",
    "RotaLine",
    "UnitBehaviour",
    "CitizenSpec",
    "load_scenario",
]


class _Strict(BaseModel):
    # NaN or infinity in a rate or weight would hang or poison the model (fuzzing found .nan in hour_profile)
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


HHMM = WithJsonSchema({"type": "string", "pattern": r"^([01]?\d|2[0-3]):[0-5]\d$", "examples": ["08:00"]})
Clock = Annotated[time, HHMM]

# Domain bounds (docs/limits.md): generous for any district or city, small
# enough that no input overflows a date or asks for unbounded work.
MAX_POSTS_PER_DAY = 200_000  # Beijing's 12345 hotline takes ~60,000 on a busy day
MAX_PERIOD_DAYS = 731  # two years of arrivals
MAX_STAFF = 10_000
MAX_WEIGHT = 1_000_000
MAX_ITEMS = 10_000  # places, categories, scripted posts
MAX_NAME = 200
MAX_MINUTES = 43_200  # 30 days: repost cascades and their checks
MAX_SEED = 2**63 - 1


def _positive_total(weights: Any) -> Any:
    """Relative weights must not all be zero: something has to be drawn."""
    if weights is not None:
        values = weights.values() if isinstance(weights, dict) else weights
        if not sum(values) > 0:
            raise ValueError(t("scenario.weights_zero"))
    return weights


Weight = Annotated[float, Field(ge=0, le=MAX_WEIGHT)]
Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME)]


class ShiftTimes(_Strict):
    start: Clock = Field(description="Shift start, HH:MM")
    end: Clock = Field(description="Shift end, HH:MM, 00:00–23:59 (00:00 = midnight at the end of the shift; an end at or before the start runs overnight into the next day)")

    _norm_start = field_validator("start", mode="before")(parse_clock)
    _norm_end = field_validator("end", mode="before")(parse_clock)

    def window(self) -> tuple[int, int]:
        """Minutes from the day's midnight: (start, end), end > start (overnight shifts run past 1440)."""
        a = self.start.hour * 60 + self.start.minute
        b = self.end.hour * 60 + self.end.minute
        return a, b + 1440 if b <= a else b


class RotaLine(_Strict):
    name: str = Field(min_length=1, description="A staff member (or a team of identical members, see count)")
    pattern: str = Field(min_length=1, max_length=366, description="One shift letter per day of the cycle, '-' = day off, "
                                                   "e.g. 'DDDDD--'; day 0 is the scenario's start date")
    count: int = Field(default=1, ge=1, le=MAX_STAFF, description="Members working this pattern")


class DeskSpec(_Strict):
    staff: int = Field(ge=1, le=MAX_STAFF, description="Size of the duty desk team: the rota must account for every member")
    shifts: dict[str, ShiftTimes] = Field(min_length=1, description="Shift letter → times, e.g. D: 08:00-16:00")
    rota: list[RotaLine] = Field(min_length=1, max_length=1_000, description="Who works which shift on each day of the cycle")
    handover_minutes: float = Field(default=0, ge=0, le=120,
                                    description="At the start of each shift, minutes spent on handover before "
                                                "taking posts")
    triage_minutes: Delay = Field(description="Time to read a post and forward it (or answer it directly)")

    @model_validator(mode="after")
    def _rota(self) -> DeskSpec:
        for letter in self.shifts:
            if len(letter) != 1 or letter == "-":
                raise ValueError(t("scenario.shift_name", letter=letter))
        lengths = {len(line.pattern) for line in self.rota}
        if len(lengths) != 1:
            raise ValueError(t("scenario.rota_lengths", lengths=sorted(lengths)))
        for line in self.rota:
            unknown = sorted(set(line.pattern) - set(self.shifts) - {"-"})
            if unknown:
                raise ValueError(t("scenario.rota_undefined", line=line.name, unknown=", ".join(unknown),
                                   defined=", ".join(self.shifts)))
        members = sum(line.count for line in self.rota)
        if members != self.staff:
            raise ValueError(t("scenario.rota_staff", members=members, staff=self.staff))
        cycle = lengths.pop()
        covered = [0] * (cycle * 1440)
        for line in self.rota:
            for day, letter in enumerate(line.pattern):
                if letter == "-":
                    continue
                a, b = self.shifts[letter].window()
                for m in range(day * 1440 + a, day * 1440 + b):
                    covered[m % len(covered)] += line.count
        gap = next((m for m, n in enumerate(covered) if n == 0), None)
        if gap is not None:
            day, minute = divmod(gap, 1440)
            raise ValueError(t("scenario.rota_gap", day=day, clock=f"{minute // 60:02d}:{minute % 60:02d}"))
        return self

    @property
    def cycle_days(self) -> int:
        return len(self.rota[0].pattern)


class RepostSpec(_Strict):
    """Repost cascades of Weibo posts as a Hawkes process (see simulator/cascade.py)."""

    direct: MedianP90 = Field(description="Expected direct reposts+comments of a post (varies by post)")
    decay_minutes: float = Field(gt=0, le=MAX_MINUTES, description="How fast a post stops being seen (most activity in ~2 h)")
    branching: float = Field(ge=0, lt=1, description="Reposts each repost triggers, on average (< 1)")
    reaction_minutes: float = Field(gt=0, le=MAX_MINUTES, description="Mean delay between a repost and the reposts it triggers")
    horizon_minutes: float = Field(default=1440, gt=0, le=MAX_MINUTES, description="Cascades are followed this long")
    cap: int = Field(default=200_000, ge=1, le=1_000_000, description="Largest cascade simulated")
    checks_minutes: list[Annotated[float, Field(ge=0, le=MAX_MINUTES)]] = Field(
        default=[10, 20, 40, 60, 90, 120, 180, 240, 360, 720], max_length=100,
        description="When (after posting) the platform reports repost counts to the engine",
    )


class PlatformSpec(_Strict):
    duplicate_delivery: float = Field(default=0.0, ge=0, le=1,
                                      description="Chance a payload is delivered twice (platform retry)")
    malformed: float = Field(default=0.0, ge=0, le=1,
                             description="Chance a delivery is corrupted (then delivered again intact)")
    geo_share: float = Field(default=0.1, ge=0, le=1,
                             description="Share of Weibo posts that carry a geotag (a point near the place)")
    payload_sample: float = Field(default=1.0, ge=0, le=1,
                                  description="Share of posts (and of their count polls) sent through the full "
                                              "JSON/XML payload path and the adapters; the others reach the desk "
                                              "exactly as the adapter would parse them, without building and "
                                              "parsing the text (for speed at scale). Corrupted and redelivered "
                                              "payloads always take the full path. Results do not depend on it.")


class ScriptedPost(_Strict):
    """A post placed by hand in a scenario (a viral post, an incident)."""

    at: datetime = Field(description="When it is posted (ISO 8601 with offset)")
    place: Name
    category: Name
    channel: Literal["weibo", "wechat"] = "weibo"
    text: str | None = Field(default=None, min_length=1, max_length=MAX_TEXT,
                             description="Default: a template of the category")
    direct_reposts: float = Field(default=0, ge=0, le=MAX_WEIGHT, description="Expected direct reposts (cascade on top)")

    @field_validator("at")
    @classmethod
    def _aware(cls, v: datetime) -> datetime:
        if v.tzinfo is None:
            raise ValueError(t("scenario.needs_offset"))
        return v


class ArrivalSpec(_Strict):
    posts_per_day: float = Field(gt=0, le=MAX_POSTS_PER_DAY, description="Mean citizen posts per day (before day factors)")
    hour_profile: Annotated[list[Weight], AfterValidator(_positive_total)] = Field(
        min_length=24, max_length=24, description="Relative share per hour, 00:00 first")
    weekend_factor: float = Field(default=1.0, ge=0, le=100)
    holiday_factor: float = Field(default=1.0, ge=0, le=100)
    channels: Annotated[dict[Literal["weibo", "wechat"], Weight], AfterValidator(_positive_total)]
    actionable_share: float = Field(ge=0, le=1, description="Share of posts that are problems needing a form")
    categories: Annotated[dict[Name, Weight], AfterValidator(_positive_total)] = Field(
        min_length=1, max_length=MAX_ITEMS, description="True-category weights of actionable posts")
    places: Annotated[dict[Name, Weight], AfterValidator(_positive_total)] = Field(
        min_length=1, max_length=MAX_ITEMS, description="Place weights")
    same_problem_share: float = Field(default=0.0, ge=0, le=1, description=(
        "Chance an actionable post is about a problem already open at the same place and category; "
        "the desk merges it into that case (it reaches the engine as a follow-up)"))
    mixed_share: float = Field(default=0.25, ge=0, le=1, description=(
        "Share of complaints whose text also names a second subject (rubbish at a market, noise from a "
        "building site); the keyword rules then decide which subject wins (a model assumption)"))
    reposts: RepostSpec
    scripted: list[ScriptedPost] = Field(default_factory=list, max_length=MAX_ITEMS, description="Posts placed by hand")


class _WorkingHoursParsing(_Strict):
    @field_validator("working_hours", mode="before", check_fields=False)
    @classmethod
    def _wh(cls, v: object) -> object:
        if isinstance(v, list | tuple):
            return tuple(parse_clock(x) for x in v)
        return v


class UnitBehaviour(_WorkingHoursParsing):
    working_hours: tuple[Clock, Clock] = Field(default=(time(9, 0), time(17, 30)))
    reply_working_days: MedianP90 = Field(description="Working days from receiving a form to replying")
    no_reply: float = Field(ge=0, le=1, description="Chance the unit does not reply unless supervised")
    respond_to_reminder: float = Field(ge=0, le=1, description="Chance a silent unit replies after a reminder")
    respond_to_escalation: float = Field(ge=0, le=1, description="Chance a silent unit replies after escalation")
    supervised_reply_working_days: MedianP90 = Field(description="Reply delay once reminded or escalated")
    statement_minutes: MedianP90 = Field(description="Wall-clock minutes to an external statement on a hot event")
    reply_kinds: Annotated[dict[Literal["立行立改", "近期解决", "条件不具备", "不符合法规"], Weight],
                           AfterValidator(_positive_total)]
    capacity: int | None = Field(default=None, ge=1, le=100_000, description="Cases a unit works on at once (none: unlimited)")
    promise_working_days: MedianP90 = Field(default=MedianP90(median=10, p90=30),
                                            description="Under 近期解决: working days promised to solve it")
    promise_kept: float = Field(default=0.9, ge=0, le=1, description="Chance a 近期解决 promise is kept")


def _patch_model(model: type[BaseModel], name: str) -> Any:
    """The same fields as ``model``, all optional: overrides where unset means "keep the default"."""
    from pydantic import create_model
    from pydantic.fields import FieldInfo

    fields: dict[str, Any] = {}
    for fname, info in model.model_fields.items():
        optional = FieldInfo.merge_field_infos(info, default=None, default_factory=None)
        fields[fname] = (info.annotation | None, optional)  # type: ignore[operator]
    return create_model(name, __base__=_WorkingHoursParsing,
                        __doc__="Overrides for a unit type or one unit; unset fields keep the default.", **fields)


UnitBehaviourPatch = _patch_model(UnitBehaviour, "UnitBehaviourPatch")


class UnitsSpec(_Strict):
    default: UnitBehaviour
    by_type: dict[Literal["street", "town", "bureau", "office"], UnitBehaviourPatch] = Field(  # type: ignore[valid-type]
        default_factory=dict)
    by_unit: dict[str, UnitBehaviourPatch] = Field(default_factory=dict)  # type: ignore[valid-type]

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
    name: Name
    description: str | None = None
    extends: str | None = Field(default=None, description="Base scenario file (relative path); this file "
                                "overrides its keys (mappings merge, lists and values replace)")
    rules: str = Field(description="Rules directory, relative to this file")
    seed: int = Field(ge=0, le=MAX_SEED)
    start: date
    end: date = Field(description="Last day posts arrive (inclusive); the run then drains")
    arrivals: ArrivalSpec
    platforms: PlatformSpec = Field(default_factory=PlatformSpec)
    desk: DeskSpec
    units: UnitsSpec
    citizens: CitizenSpec

    path: str | None = Field(default=None, exclude=True, description="(set by the loader)")
    #: set when the scenario runs under other rules (--rules, compare, check): the scenario's own
    #: rules stay the reference for which unit is truly responsible (misrouting)
    _reference_rules: Path | None = PrivateAttr(default=None)
    #: the parsed file and the files it extends, for locating later cross-checks
    _docs: list[SourceDoc] = PrivateAttr(default_factory=list)

    @property
    def reference_rules(self) -> Path | None:
        return self._reference_rules

    @model_validator(mode="after")
    def _period(self) -> Scenario:
        if self.end < self.start:
            raise ValueError(t("scenario.end_before_start", end=self.end, start=self.start))
        if (self.end - self.start).days + 1 > MAX_PERIOD_DAYS:
            raise ValueError(t("scenario.period_too_long", start=self.start, end=self.end,
                               days=(self.end - self.start).days + 1, most=MAX_PERIOD_DAYS))
        return self

    def rules_dir(self) -> Path:
        base = Path(self.path).parent if self.path else Path(".")
        return (base / self.rules).resolve() if not Path(self.rules).is_absolute() else Path(self.rules)


def scenario_schema() -> dict[str, Any]:
    """JSON Schema of scenario files, for editors.

    A file with ``extends`` only overrides keys of its base, so it is checked
    against a variant of the schema in which nothing is required.
    """
    import copy
    import json

    full = Scenario.model_json_schema()
    full["properties"].pop("path", None)
    defs = full.pop("$defs", {})

    def partial(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: partial(v) for k, v in node.items() if k != "required"}
        if isinstance(node, list):
            return [partial(v) for v in node]
        if isinstance(node, str) and node.startswith("#/$defs/"):
            return "#/$defs/Partial" + node[len("#/$defs/"):]
        return node

    all_defs = dict(defs)
    all_defs.update({f"Partial{k}": partial(copy.deepcopy(v)) for k, v in defs.items()})
    all_defs["Scenario"] = full
    all_defs["PartialScenario"] = partial(copy.deepcopy(full))
    doc = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "wenzheng scenario file",
        "$defs": json.loads(json.dumps(all_defs)),
        "if": {"required": ["extends"]},
        "then": {"$ref": "#/$defs/PartialScenario"},
        "else": {"$ref": "#/$defs/Scenario"},
    }
    return doc


_DISTRIBUTION_KEYS = {"median", "p90", "exponential_mean"}


def _merge(base: Any, override: Any) -> Any:
    """Deep merge for ``extends``: mappings merge key by key; anything else is replaced.

    A distribution (``{median, p90}`` or ``{exponential_mean}``) is a value and is replaced whole.
    """
    if isinstance(override, dict) and override and set(override) <= _DISTRIBUTION_KEYS:
        return override
    if isinstance(base, dict) and isinstance(override, dict):
        out = dict(base)
        for k, v in override.items():
            out[k] = _merge(base[k], v) if k in base else v
        return out
    return override


#: the files people mistake for a scenario: rule files by kind, policy tests (message keys of simulator/messages.py)
_OTHER_KINDS = {
    "routing": "scenario.kind.routing", "classification": "scenario.kind.classification",
    "units": "scenario.kind.units", "hot": "scenario.kind.hot", "deadlines": "scenario.kind.deadlines",
    "escalation": "scenario.kind.escalation", "calendar": "scenario.kind.calendar",
    "policy-tests": "scenario.kind.policy-tests", "baseline": "scenario.kind.baseline",
}


def _not_a_scenario(path: Path, doc: SourceDoc | None, data: Any) -> Problem | None:
    """One clear problem when ``path`` is plainly another wenzheng file (a rule file, policy tests, a baseline, a
    run's results) rather than a scenario, instead of a validation line for every key it lacks; else None."""
    hint = t("scenario.where_scenarios")
    if path.is_dir():
        if (path / "metrics.json").is_file():
            return Problem(str(path), None, None, t("scenario.is_run_dir") + hint, code="not-a-scenario")
        return Problem(str(path), None, None, t("scenario.is_dir") + hint, code="not-a-scenario")
    if isinstance(data, dict):
        kind = data.get("kind")
        if isinstance(kind, str) and kind in _OTHER_KINDS and doc is not None:
            line, col = doc.locate(["kind"])
            # the labels are message keys: tests/test_i18n.py checks that each one exists
            label = t(_OTHER_KINDS[kind])
            return Problem(str(path), line, col, t("scenario.is_other_kind", what=label, kind=kind) + hint,
                           code="not-a-scenario")
        if kind is None and isinstance(data.get("run"), dict) and "posts" in data:
            return Problem(str(path), None, None, t("scenario.is_metrics") + hint, code="not-a-scenario")
    elif isinstance(data, list) and path.suffix.lower() == ".json":
        return Problem(str(path), None, None, t("scenario.is_json_results") + hint, code="not-a-scenario")
    return None


def _load_merged(path: Path, seen: tuple[Path, ...] = ()) -> tuple[list[SourceDoc], dict[str, Any]]:
    if path.is_dir():
        raise ScenarioError([_not_a_scenario(path, None, None)])  # type: ignore[list-item]
    doc, data = load_yaml(path, ScenarioError)
    other = _not_a_scenario(path, doc, data)
    if other is not None:
        raise ScenarioError([other])
    if not isinstance(data, dict):
        raise ScenarioError([Problem(str(path), 1, 1, t("scenario.not_mapping"))])
    base_name = data.get("extends")
    if base_name is None:
        return [doc], data
    if not isinstance(base_name, str):
        line, col = doc.locate(["extends"])
        raise ScenarioError([Problem(str(path), line, col, t("scenario.extends_not_path"), key="extends")])
    base_path = (path.parent / base_name).resolve()
    if base_path in seen or base_path == path.resolve():
        line, col = doc.locate(["extends"])
        raise ScenarioError([Problem(str(path), line, col, t("scenario.extends_cycle", name=base_name),
                                     key="extends")])
    if not base_path.is_file():
        line, col = doc.locate(["extends"])
        raise ScenarioError([Problem(str(path), line, col, t("scenario.extends_missing", name=base_name),
                                     key="extends")])
    docs, base = _load_merged(base_path, seen + (path.resolve(),))
    merged = _merge(base, {k: v for k, v in data.items() if k != "extends"})
    # the base's relative rules path is relative to the base file
    if "rules" not in data and isinstance(base.get("rules"), str) and not Path(base["rules"]).is_absolute():
        merged["rules"] = str((base_path.parent / base["rules"]).resolve())
    return [doc, *docs], merged


def declared_rules_dir(path: str | Path) -> Path | None:
    """The rules directory a scenario file names, itself or through the files it extends (not validated)."""
    _, data = _load_merged(Path(path))
    rules = data.get("rules")
    return (Path(path).parent / rules).resolve() if isinstance(rules, str) else None


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario file (and the files it extends); errors name file, line and key."""
    docs, data = _load_merged(Path(path))
    data.pop("path", None)
    try:
        sc = Scenario.model_validate(data)
    except ValidationError as exc:
        # locate each error in the first file (the extending one first) that has its key; the lists may differ
        # in length (each is deduplicated by location), so match them by key and message, not by position
        chosen: dict[tuple[str, str], Problem] = {}
        for doc in docs:
            for p in validation_problems(doc, exc, Scenario, validated=data):
                q = chosen.get((p.key, p.message))
                if q is None or (p.line is not None and (q.line is None or q.line == 1)):
                    chosen[(p.key, p.message)] = p
        raise ScenarioError(list(chosen.values())) from None
    sc = sc.model_copy(update={"path": str(path)})
    sc._docs = docs
    return sc


def _has(data: Any, loc: list[str | int]) -> bool:
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return False
    return True


def check_against_policy(scenario: Scenario, places: set[str], categories: set[str],
                         units: dict[str, str]) -> None:
    """Every place, category and unit a scenario names must exist in its policy."""
    from engine.errors import suggest
    from engine.yamlsrc import key_path

    docs = scenario._docs or _load_merged(Path(scenario.path or ""))[0]
    problems: list[Problem] = []

    def bad(loc: list[str | int], what: str, name: str, known: set[str]) -> None:
        doc = next((d for d in docs if d.locate(loc)[0] is not None and _has(d.data, loc)), docs[0])
        line, col = doc.locate(loc)
        problems.append(Problem(doc.path, line, col, t("scenario.unknown_name", what={"place": t("scenario.what.place"), "category": t("scenario.what.category"),
                                                            "unit": t("scenario.what.unit")}[what], name=name),
                                key=key_path(loc), suggestion=suggest(name, known), code=f"unknown-{what}"))

    for p in scenario.arrivals.places:
        if p not in places:
            bad(["arrivals", "places", p], "place", p, places)
    for c in scenario.arrivals.categories:
        if c not in categories:
            bad(["arrivals", "categories", c], "category", c, categories)
    for i, sp in enumerate(scenario.arrivals.scripted):
        if sp.place not in places:
            bad(["arrivals", "scripted", i, "place"], "place", sp.place, places)
        if sp.category not in categories:
            bad(["arrivals", "scripted", i, "category"], "category", sp.category, categories)
    for u in scenario.units.by_unit:
        if u not in units:
            bad(["units", "by_unit", u], "unit", u, set(units))
    if problems:
        raise ScenarioError(problems)
