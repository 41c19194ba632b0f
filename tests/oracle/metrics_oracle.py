"""An independent oracle for ``metrics.json``: every metric recomputed from a run's exported files.

Written from docs/metrics.md, docs/results.md and docs/scenarios.md alone, without reading the
simulator's metric code, so that a test comparing the two catches a metric that drifted from
its written definition.  It imports nothing from the simulator or the engine: plain ``csv``,
``datetime``, ``chinese_calendar`` (the working-day data source the docs name) and a YAML reader
for the scenario and the rules' calendar and deadlines.

Sources, in order of preference:

- ``events.csv`` (the event log): nearly everything.
- ``cases.csv``: only what the log does not carry — the *true* unit and category
  (misrouting, misclassification) and the points of each case's deductions.
- the scenario file (period, seed, rules directory) and the rules' ``calendar.yaml`` and
  ``deadlines.yaml`` (the reply and statement deadlines are recomputed from them, not read).

``recompute`` returns the metrics it can recompute and, separately, the metrics it cannot
(with the reason: the exported files lack the information).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar
from ruamel.yaml import YAML

TZ = ZoneInfo("Asia/Shanghai")
UNROUTED = "（未转办）"

# Metrics the exported files do not let anyone recompute, and why (see the report in the
# test module and docs/metrics.md, "What the oracle can check").
# (Every gap listed there before is closed now: 开始研判, 问责, 载荷拒收 / 重复投递 rows and the points
# of each 扣分 row are exported.)
NOT_IN_EXPORT: dict[str, str] = {}


# --------------------------------------------------------------------------- inputs


def _yaml_load(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """docs/scenarios.md: mappings merge key by key; lists, values and distributions are replaced."""
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict) and not _is_distribution(v):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def _is_distribution(v: dict[str, Any]) -> bool:
    return bool(set(v) & {"median", "p90", "exponential_mean"})


def load_scenario(path: Path) -> dict[str, Any]:
    """The scenario with ``extends`` resolved; ``rules`` made absolute (relative to its own file)."""
    data = dict(_yaml_load(path))
    if "rules" in data:
        data["rules"] = str((path.parent / data["rules"]).resolve())
    parent = data.pop("extends", None)
    if parent is not None:
        data = _merge(load_scenario(path.parent / parent), data)
    return data


@dataclass
class Calendar:
    """Working days: chinesecalendar's statutory calendar plus the rules' local exceptions."""

    close_of_business: dt.time
    holidays: set[dt.date] = field(default_factory=set)
    workdays: set[dt.date] = field(default_factory=set)

    @classmethod
    def load(cls, rules_dir: Path) -> Calendar:
        data = _yaml_load(rules_dir / "calendar.yaml")
        h, m = (int(x) for x in str(data.get("close_of_business", "17:30")).split(":"))
        return cls(
            close_of_business=dt.time(h, m),
            holidays={_date(e["date"]) for e in data.get("holidays") or []},
            workdays={_date(e["date"]) for e in data.get("workdays") or []},
        )

    def is_working_day(self, d: dt.date) -> bool:
        if d in self.workdays:
            return True
        if d in self.holidays:
            return False
        return bool(chinese_calendar.is_workday(d))

    def add_working_days(self, start: dt.datetime, n: int) -> dt.datetime:
        """Close of business of the n-th working day after the day of ``start`` (that day not counted)."""
        d = start.astimezone(TZ).date()
        count = 0
        while count < n:
            d += dt.timedelta(days=1)
            if self.is_working_day(d):
                count += 1
        return dt.datetime.combine(d, self.close_of_business, tzinfo=TZ)

    def working_days_between(self, a: dt.date, b: dt.date) -> int:
        """Working days in (a, b]."""
        n = 0
        d = a
        while d < b:
            d += dt.timedelta(days=1)
            if self.is_working_day(d):
                n += 1
        return n


def _date(v: Any) -> dt.date:
    return v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v))


_WITHIN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s+(working days?|hours?|minutes?|days?)\s*$")


@dataclass
class Deadline:
    amount: float
    unit: str  # "working day", "hour", "minute", "day"

    def due(self, start: dt.datetime, cal: Calendar) -> dt.datetime:
        if self.unit.startswith("working day"):
            return cal.add_working_days(start, int(self.amount))
        seconds = {"hour": 3600, "minute": 60, "day": 86400}[self.unit.rstrip("s")]
        return start + dt.timedelta(seconds=self.amount * seconds)


def load_deadlines(rules_dir: Path) -> dict[str, Deadline]:
    """Each deadline kind's ``within`` from deadlines.yaml (first rule setting a kind wins)."""
    data = _yaml_load(rules_dir / "deadlines.yaml")
    out: dict[str, Deadline] = {}
    for rule in data.get("rules") or []:
        spec = (rule.get("then") or {}).get("deadline")
        if not spec or spec["for"] in out:
            continue
        m = _WITHIN.match(str(spec["within"]))
        if m is None:
            raise ValueError(f"oracle cannot read deadline {spec['within']!r}")
        out[spec["for"]] = Deadline(float(m.group(1)), m.group(2))
    return out


def policy_fingerprint(rules_dir: Path) -> str:
    """docs/metrics.md: SHA-256 over *.yaml and *.yml sorted together: name, NUL, bytes; 16 hex digits."""
    h = hashlib.sha256()
    for f in sorted([*rules_dir.glob("*.yaml"), *rules_dir.glob("*.yml")]):
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:16]


# --------------------------------------------------------------------------- the log


@dataclass
class Event:
    case_id: str
    activity: str
    at: dt.datetime
    resource: str
    unit: str
    category: str
    points: float | None = None  # 扣分 rows
    merged_post: str = ""  # 合并同类问题 rows


def read_events(path: Path) -> list[Event]:
    with path.open(encoding="utf-8", newline="") as f:
        return [
            Event(
                r["case_id"],
                r["activity"],
                dt.datetime.fromisoformat(r["timestamp"]),
                r["resource"],
                r["unit"],
                r["category"],
                float(r["points"]) if r.get("points") else None,
                r.get("merged_post", ""),
            )
            for r in csv.DictReader(f)
        ]


def read_cases(path: Path) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return {r["case_id"]: r for r in csv.DictReader(f)}


# --------------------------------------------------------------------------- statistics


def quantile(values: list[float], p: float) -> float | None:
    """Linear interpolation between order statistics (h = (n - 1) p)."""
    if not values:
        return None
    xs = sorted(values)
    h = (len(xs) - 1) * p
    lo = math.floor(h)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (h - lo) * (xs[hi] - xs[lo])


def _ratio(a: float, b: float) -> float | None:
    return None if b == 0 else a / b


def _round(v: Any) -> Any:
    """The documented rounding: floats to 6 places (recursively)."""
    if isinstance(v, float):
        return round(v, 6)
    if isinstance(v, dict):
        return {k: _round(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_round(x) for x in v]
    return v


def quarter_of(t: dt.datetime) -> str:
    local = t.astimezone(TZ)
    return f"{local.year}Q{(local.month - 1) // 3 + 1}"


# --------------------------------------------------------------------------- the oracle


@dataclass
class Form:
    case_id: str
    issued: dt.datetime
    unit: str
    category: str
    reply_due: dt.datetime
    replied: dt.datetime | None = None
    escalated: bool = False


@dataclass
class Oracle:
    metrics: dict[str, Any]
    unverifiable: dict[str, str]
    # cross-checks of exported files against each other (name → list of problems)
    problems: list[str] = field(default_factory=list)


def recompute(run_dir: Path, scenario_path: Path, seed: int, rules_dir: Path | None = None) -> Oracle:
    scenario = load_scenario(scenario_path)
    rules = rules_dir or Path(scenario["rules"])
    cal = Calendar.load(rules)
    deadlines = load_deadlines(rules)
    events = read_events(run_dir / "events.csv")
    cases = read_cases(run_dir / "cases.csv")
    unverifiable = dict(NOT_IN_EXPORT)
    problems: list[str] = []

    by_activity: Counter[str] = Counter(e.activity for e in events)
    m: dict[str, Any] = {}

    # Forms: one 上报通报 per case.
    forms: dict[str, Form] = {}
    for e in events:
        if e.activity == "上报通报":
            assert e.case_id not in forms, f"two forms for {e.case_id}"
            forms[e.case_id] = Form(
                e.case_id,
                e.at,
                e.unit or UNROUTED,
                e.category,
                deadlines["reply"].due(e.at, cal),
            )
    for e in events:
        f = forms.get(e.case_id)
        if f is None:
            continue
        if e.activity == "反馈回复" and f.replied is None:
            f.replied = e.at
        elif e.activity == "督办落实" and e.resource != "desk":
            f.escalated = True

    m["posts"] = by_activity["收集整理"]
    m["forms"] = len(forms)
    m["answered_by_desk"] = by_activity["直接答复"]
    m["merged_posts"] = by_activity["合并同类问题"]
    m["payloads_accepted"] = m["posts"]  # "one per post"
    replied = [f for f in forms.values() if f.replied is not None]
    on_time = [f for f in replied if f.replied is not None and f.replied <= f.reply_due]
    m["replied"] = len(replied)
    m["reply_rate"] = _ratio(len(replied), len(forms))
    m["on_time_rate"] = _ratio(len(on_time), len(forms))
    m["unrouted_forms"] = sum(1 for f in forms.values() if f.unit == UNROUTED)

    # Reply time in working days, counted from the day the form was issued.
    wd = [
        float(cal.working_days_between(f.issued.astimezone(TZ).date(), f.replied.astimezone(TZ).date()))
        for f in replied
        if f.replied is not None
    ]
    m["reply_working_days_median"] = quantile(wd, 0.5)
    m["reply_working_days_p90"] = quantile(wd, 0.9)
    cal_days = [(f.reply_due - f.issued).total_seconds() / 86400 for f in forms.values()]
    m["reply_deadline_calendar_days_mean"] = sum(cal_days) / len(cal_days) if cal_days else None

    # Hot events and statements.
    hot: dict[str, dt.datetime] = {}
    statement: dict[str, dt.datetime] = {}
    for e in events:
        if e.activity == "转为热点" and e.case_id in forms:
            hot.setdefault(e.case_id, e.at)
        elif e.activity == "对外表态":
            statement.setdefault(e.case_id, e.at)
    m["hot_events"] = len(hot)
    in_time = 0
    minutes: list[float] = []
    for cid, t_hot in hot.items():
        t_st = statement.get(cid)
        if t_st is None:
            continue
        minutes.append((t_st - t_hot).total_seconds() / 60)
        if t_st <= deadlines["external_statement"].due(t_hot, cal):
            in_time += 1
    m["statement_2h_rate"] = _ratio(in_time, len(hot))
    m["statement_minutes_median"] = quantile(minutes, 0.5)

    # Supervision: 督办落实 by the desk is a reminder, by a supervising office an escalation.
    supervision = [e for e in events if e.activity == "督办落实"]
    m["reminders"] = sum(1 for e in supervision if e.resource == "desk")
    m["escalations"] = sum(1 for e in supervision if e.resource != "desk")

    # Follow-ups: every 网民追问 row: citizens without a reply, and citizens whose promise was broken.
    m["follow_ups"] = by_activity["网民追问"]

    # Promises (近期解决): each ends kept or broken, the run drains.
    m["promises_kept"] = by_activity["承诺兑现"]
    m["promises_broken"] = by_activity["承诺未兑现"]
    m["promises"] = m["promises_kept"] + m["promises_broken"]

    # Deductions: each 扣分 row carries its points, its unit and when it was booked.
    by_unit: dict[str, float] = defaultdict(float)
    ded_quarter: dict[tuple[str, str], float] = defaultdict(float)
    per_case: dict[str, float] = defaultdict(float)
    for e in events:
        if e.activity == "扣分":
            points = e.points if e.points is not None else float("nan")
            by_unit[e.unit or UNROUTED] += points
            ded_quarter[(quarter_of(e.at), e.unit or UNROUTED)] += points
            per_case[e.case_id] += points
    for cid, row in cases.items():
        if abs(float(row.get("deductions") or 0) - per_case.get(cid, 0.0)) > 1e-9:
            problems.append(f"{cid}: cases.csv deductions {row.get('deductions')} but the log's 扣分 rows "
                            f"add up to {per_case.get(cid, 0.0)}")
    m["deductions_total"] = sum(by_unit.values())
    m["deductions_by_unit"] = dict(by_unit)

    # Accountability: cases with a 问责 row.
    m["accountability_flags"] = len({e.case_id for e in events if e.activity == "问责"})

    # Payloads: one accepted per post; each 载荷拒收 row a rejection (resource: the reason),
    # each 重复投递 row a redelivery dropped.
    reasons = Counter(e.resource for e in events if e.activity == "载荷拒收")
    m["payloads_rejected"] = sum(reasons.values())
    m["payloads_rejected_by_reason"] = dict(reasons)
    m["payloads_duplicate"] = by_activity["重复投递"]

    # The desk: a post waits from 收集整理 to 开始研判 (a staff member takes it); the triage ends with
    # the form (上报通报), the desk's answer (直接答复) or the merge (合并同类问题, naming the post).
    m.update(_desk(events, scenario))

    # Misrouting and misclassification against cases.csv's true unit and category.
    wrong_unit = wrong_cat = 0
    for f in forms.values():
        row = cases.get(f.case_id)
        if row is None:
            problems.append(f"{f.case_id}: form missing from cases.csv")
            continue
        if (row["true_unit"] or UNROUTED) != f.unit:
            wrong_unit += 1
        if row["true_category"] != f.category:
            wrong_cat += 1
    m["misrouting_rate"] = _ratio(wrong_unit, len(forms))
    m["misclassification_rate"] = _ratio(wrong_cat, len(forms))

    # Reply rate by unit.
    per_unit_forms: Counter[str] = Counter(f.unit for f in forms.values())
    per_unit_replied: Counter[str] = Counter(f.unit for f in replied)
    m["reply_rate_by_unit"] = {u: per_unit_replied[u] / n for u, n in per_unit_forms.items()}

    # Backlog: open forms at the end of each day, from the first day of the period to the drain.
    start = _date(scenario["start"])
    last = max(e.at for e in events).astimezone(TZ).date() if events else start
    issued_days = sorted(f.issued.astimezone(TZ).date() for f in forms.values())
    replied_days = sorted(f.replied.astimezone(TZ).date() for f in replied if f.replied is not None)
    backlog: dict[dt.date, int] = {}
    d = start
    i = j = 0
    while d <= last:
        while i < len(issued_days) and issued_days[i] <= d:
            i += 1
        while j < len(replied_days) and replied_days[j] <= d:
            j += 1
        backlog[d] = i - j
        d += dt.timedelta(days=1)
    m["backlog_max"] = max(backlog.values(), default=0)

    # The quarterly table.
    rows: dict[tuple[str, str], dict[str, Any]] = {}

    def row_for(q: str, u: str) -> dict[str, Any]:
        return rows.setdefault(
            (q, u),
            {
                "quarter": q,
                "unit": u,
                "collected": 0,
                "forwarded": 0,
                "replied": 0,
                "on_time": 0,
                "overdue": 0,
                "supervised": 0,
                "deductions": 0.0,
            },
        )

    for f in forms.values():
        r = row_for(quarter_of(f.issued), f.unit)
        r["collected"] += 1
        r["forwarded"] += 1
        if f.replied is not None:
            r["replied"] += 1
        if f.replied is not None and f.replied <= f.reply_due:
            r["on_time"] += 1
        else:
            r["overdue"] += 1
        if f.escalated:
            r["supervised"] += 1
    for (q, u), points in ded_quarter.items():
        row_for(q, u)["deductions"] += points
    m["quarterly"] = sorted(rows.values(), key=lambda r: (r["quarter"], r["unit"]))

    end = _date(scenario["end"])
    m["run"] = {
        "scenario": scenario["name"],
        "seed": seed,
        "start": dt.datetime.combine(start, dt.time(), tzinfo=TZ).isoformat(),
        "end": dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=TZ).isoformat(),
        "last_event": max(e.at for e in events).isoformat() if events else None,
    }
    m["run"]["policy"] = policy_fingerprint(rules)
    unverifiable["run.drained_at"] = "timers that fire without an effect are not logged: only drained_at >= last event"

    # Cross-check the exported tables against the log.
    for cid, f in forms.items():
        row = cases.get(cid)
        if row is None:
            continue
        if row["reply_due"] and dt.datetime.fromisoformat(row["reply_due"]) != f.reply_due:
            problems.append(f"{cid}: cases.csv reply_due {row['reply_due']} != {f.reply_due.isoformat()}")
    m["_backlog_by_day"] = {d.isoformat(): n for d, n in backlog.items()}
    return Oracle(_round(m), unverifiable, problems)


def _desk(events: list[Event], scenario: dict[str, Any]) -> dict[str, Any]:
    """docs/metrics.md: waits over every post taken; utilisation = busy minutes of triage taken while
    posts arrive (a triage running past the period's end counts in full) / staffed minutes of the rota
    within the period (handovers included), overall and per rota line."""
    start = dt.datetime.combine(_date(scenario["start"]), dt.time(), tzinfo=TZ)
    end = dt.datetime.combine(_date(scenario["end"]) + dt.timedelta(days=1), dt.time(), tzinfo=TZ)
    collected = {e.case_id: e.at for e in events if e.activity == "收集整理"}
    taken = {e.case_id: e for e in events if e.activity == "开始研判"}
    finished: dict[str, dt.datetime] = {}
    for e in events:
        if e.activity in ("上报通报", "直接答复"):
            finished.setdefault(e.case_id, e.at)
        elif e.activity == "合并同类问题" and e.merged_post:
            finished.setdefault(e.merged_post, e.at)
    waits = [(t.at - collected[cid]).total_seconds() / 60 for cid, t in taken.items() if cid in collected]
    desk = scenario["desk"]
    line_of: dict[str, str] = {}
    staffed: dict[str, float] = defaultdict(float)
    days = (end - start).days
    for line in desk["rota"]:
        count = int(line.get("count", 1))
        for i in range(count):
            line_of[line["name"] if count == 1 else f"{line['name']}#{i + 1}"] = line["name"]
        pattern = str(line["pattern"])
        for d in range(days):
            letter = pattern[d % len(pattern)]
            if letter == "-":
                continue
            shift = desk["shifts"][letter]
            a, b = _minutes(shift["start"]), _minutes(shift["end"])
            b = b + 1440 if b <= a else b
            s0 = d * 1440 + a
            staffed[line["name"]] += count * max(0.0, min(d * 1440 + b, days * 1440) - s0)
    busy: dict[str, float] = defaultdict(float)
    for cid, t in taken.items():
        if t.at < end and cid in finished:
            busy[line_of.get(t.resource, t.resource)] += (finished[cid] - t.at).total_seconds() / 60
    total = sum(staffed.values())
    return {
        "desk_wait_minutes_mean": sum(waits) / len(waits) if waits else None,
        "desk_wait_minutes_p90": quantile(waits, 0.9),
        "desk_utilisation": sum(busy.values()) / total if total else None,
        "desk_utilisation_by_rota_line": {k: busy.get(k, 0.0) / v for k, v in staffed.items() if v},
    }


def _minutes(v: Any) -> int:
    if isinstance(v, int):  # YAML 1.1 sexagesimal
        return v
    h, m = (int(x) for x in str(v).split(":"))
    return h * 60 + m


# --------------------------------------------------------------------------- comparison

SCALARS = [
    "posts", "forms", "answered_by_desk", "replied", "reply_rate", "on_time_rate", "hot_events",
    "statement_2h_rate", "statement_minutes_median", "reply_working_days_median",
    "reply_working_days_p90", "reminders", "escalations", "follow_ups", "deductions_total",
    "misrouting_rate", "unrouted_forms", "misclassification_rate", "backlog_max",
    "reply_deadline_calendar_days_mean", "merged_posts", "payloads_accepted", "promises",
    "promises_kept", "promises_broken", "accountability_flags", "payloads_rejected", "payloads_duplicate",
]  # fmt: skip
#: compared to the rounding of metrics.json (sums of float minutes in a different order)
APPROX = ["desk_wait_minutes_mean", "desk_wait_minutes_p90", "desk_utilisation"]
MAPS = ["deductions_by_unit", "reply_rate_by_unit", "payloads_rejected_by_reason"]
APPROX_MAPS = ["desk_utilisation_by_rota_line"]
QUARTERLY_COLUMNS = ["collected", "forwarded", "replied", "on_time", "overdue", "supervised", "deductions"]


def comparisons(oracle: Oracle, metrics: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Every comparison the oracle can make: name → (oracle's value, run's value)."""
    out: dict[str, tuple[Any, Any]] = {}
    om = oracle.metrics
    for k in SCALARS:
        out[k] = (om[k], metrics.get(k))
    for k in MAPS:
        out[k] = (om[k], metrics.get(k))
    for k in APPROX:
        out[k] = (_near(om[k], metrics.get(k)), metrics.get(k))
    for k in APPROX_MAPS:
        mine_map, theirs_map = om[k], metrics.get(k) or {}
        out[k] = ({u: _near(v, theirs_map.get(u)) for u, v in mine_map.items()}, theirs_map)
    mine = {(r["quarter"], r["unit"]): r for r in om["quarterly"]}
    theirs = {(r["quarter"], r["unit"]): r for r in metrics.get("quarterly", [])}
    out["quarterly.rows"] = (sorted(mine), sorted(theirs))
    for col in QUARTERLY_COLUMNS:
        if col == "deductions" and "quarterly.deductions" in oracle.unverifiable:
            continue
        out[f"quarterly.{col}"] = (
            {k: r[col] for k, r in sorted(mine.items())},
            {k: r.get(col) for k, r in sorted(theirs.items())},
        )
    run = metrics.get("run", {})
    orun = om["run"]
    out["run.period"] = (
        (orun["scenario"], orun["seed"], orun["start"], orun["end"]),
        (run.get("scenario"), run.get("seed"), run.get("start"), run.get("end")),
    )
    out["run.policy"] = (orun["policy"], run.get("policy"))
    out["run.drained_at>=last_event"] = (
        True,
        dt.datetime.fromisoformat(run["drained_at"]) >= dt.datetime.fromisoformat(orun["last_event"]),
    )
    return out


def _near(mine: Any, theirs: Any, tol: float = 2e-6) -> Any:
    """The run's value when it is within ``tol`` of the oracle's (both rounded to 6 places), else the oracle's."""
    if isinstance(mine, float) and isinstance(theirs, (int, float)) and abs(mine - theirs) <= tol:
        return theirs
    return mine


def diff(a: Any, b: Any) -> str:
    """A readable description of how two compared values differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        keys = sorted(set(a) | set(b), key=str)
        parts = [f"{k}: oracle {a.get(k)!r} run {b.get(k)!r}" for k in keys if a.get(k) != b.get(k)]
        return f"{len(parts)} differ: " + "; ".join(parts[:8])
    return f"oracle {a!r} run {b!r}"


def summary(replications: list[dict[str, Any]]) -> dict[str, Any]:
    """docs/metrics.md + docs/results.md: each scalar's mean over replications and its 95% CI
    (Student t with n - 1 degrees of freedom: mean ± t(0.975, n - 1) · s / √n, cut to the metric's range)."""
    from scipy.stats import t as student_t

    out: dict[str, Any] = {"ci95": {}}
    keys = {k for r in replications for k, v in r.items() if isinstance(v, (int, float))}
    for k in sorted(keys):
        # a metric undefined (null) in some replications: over the replications where it is defined
        xs = [r[k] for r in replications if r.get(k) is not None]
        if not xs:
            continue
        n = len(xs)
        mean = sum(xs) / n
        out[k] = mean
        if n > 1:
            sd = math.sqrt(sum((x - mean) ** 2 for x in xs) / (n - 1))
            half = float(student_t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
            # cut to the metric's range (docs/metrics.md): a rate (a fraction of 1) to [0, 1], the rest at 0
            rate = k.endswith("_rate") or k in ("reply_rate_as_of", "desk_utilisation")
            out["ci95"][k] = [max(mean - half, 0.0), min(mean + half, 1.0) if rate else mean + half]
    return _round(out)
