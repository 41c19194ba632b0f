"""A run as its exported files show it: events.csv, cases.csv, backlog.csv, metrics.json, plus the
scenario and the rules it ran under.

Written from docs/metrics.md (the log format) and docs/scenarios.md; it imports nothing from the
simulator or the engine, so that the invariants built on it judge the simulator from outside.
The working-day calendar is the oracle's (chinese_calendar plus the rules' calendar.yaml).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.oracle.metrics_oracle import TZ, Calendar, load_scenario
from tests.oracle.metrics_oracle import _yaml_load as yaml_load

__all__ = ["Row", "RunFiles", "read_run", "Behaviour"]


def _time(v: str) -> dt.datetime | None:
    return dt.datetime.fromisoformat(v) if v else None


@dataclass(frozen=True)
class Row:
    """One row of events.csv (the six original columns, then the additive ones)."""

    n: int  # position in the file (rows of one time keep the order they were logged in)
    case_id: str
    activity: str
    at: dt.datetime
    resource: str
    unit: str
    category: str
    rule: str
    deadline: str
    due: dt.datetime | None
    remind_at: dt.datetime | None
    points: float | None
    reposts: int | None
    merged_post: str


def read_events(path: Path) -> list[Row]:
    with path.open(encoding="utf-8", newline="") as f:
        return [
            Row(
                n, r["case_id"], r["activity"], dt.datetime.fromisoformat(r["timestamp"]), r["resource"],
                r["unit"], r["category"], r["rule"], r["deadline"], _time(r["due"]), _time(r["remind_at"]),
                float(r["points"]) if r["points"] else None, int(r["reposts"]) if r["reposts"] else None,
                r["merged_post"],
            )  # fmt: skip
            for n, r in enumerate(csv.DictReader(f))
        ]


def _clock(v: Any) -> dt.time:
    if isinstance(v, int):  # YAML 1.1 reads 08:30 as a sexagesimal integer
        return dt.time(v // 60, v % 60)
    h, m = (int(x) for x in str(v).split(":"))
    return dt.time(h, m)


@dataclass(frozen=True)
class Behaviour:
    """The behaviour fields of one unit the invariants need (docs/scenarios.md, ``units``)."""

    opens: dt.time
    closes: dt.time
    no_reply: float
    respond_to_reminder: float
    respond_to_escalation: float
    capacity: int | None


@dataclass
class RunFiles:
    folder: Path
    scenario: dict[str, Any]
    rules_dir: Path
    calendar: Calendar
    events: list[Row]
    cases: dict[str, dict[str, str]]
    backlog: list[tuple[str, int]]
    metrics: dict[str, Any]
    unit_types: dict[str, str]
    start: dt.datetime = field(init=False)
    end: dt.datetime = field(init=False)

    def __post_init__(self) -> None:
        s = _date(self.scenario["start"])
        e = _date(self.scenario["end"])
        self.start = dt.datetime.combine(s, dt.time(0), tzinfo=TZ)
        self.end = dt.datetime.combine(e + dt.timedelta(days=1), dt.time(0), tzinfo=TZ)

    def by_case(self) -> dict[str, list[Row]]:
        out: dict[str, list[Row]] = {}
        for r in self.events:
            out.setdefault(r.case_id, []).append(r)
        return out

    def behaviour(self, unit: str) -> Behaviour:
        """docs/scenarios.md: ``default``, then the unit type's ``by_type`` fields, then ``by_unit``."""
        units = self.scenario["units"]
        data = dict(units["default"])
        for patch in ((units.get("by_type") or {}).get(self.unit_types.get(unit, "office")),
                      (units.get("by_unit") or {}).get(unit)):
            data.update({k: v for k, v in (patch or {}).items() if v is not None})
        opens, closes = data.get("working_hours", ["09:00", "17:30"])  # the documented default
        return Behaviour(_clock(opens), _clock(closes), float(data["no_reply"]),
                         float(data["respond_to_reminder"]), float(data["respond_to_escalation"]),
                         data.get("capacity"))


def _date(v: Any) -> dt.date:
    return v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v))


def read_run(folder: Path, scenario_path: Path, rules_dir: Path | None = None) -> RunFiles:
    scenario = load_scenario(scenario_path)
    rules = rules_dir or Path(scenario["rules"])
    with (folder / "cases.csv").open(encoding="utf-8", newline="") as f:
        cases = {r["case_id"]: r for r in csv.DictReader(f)}
    with (folder / "backlog.csv").open(encoding="utf-8", newline="") as f:
        backlog = [(r["date"], int(r["open_forms"])) for r in csv.DictReader(f)]
    units = yaml_load(rules / "units.yaml")
    return RunFiles(
        folder=folder,
        scenario=scenario,
        rules_dir=rules,
        calendar=Calendar.load(rules),
        events=read_events(folder / "events.csv"),
        cases=cases,
        backlog=backlog,
        metrics=json.loads((folder / "metrics.json").read_text(encoding="utf-8")),
        unit_types={u["id"]: u.get("type", "office") for u in units["units"]},
    )
