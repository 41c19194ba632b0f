"""Small random scenarios for the invariants (hypothesis strategies), written as files a run reads.

Each scenario is a few days around a statutory holiday with its 调休 make-up days (or the APEC
local days), with random arrival rates, a random desk (shifts, rota, handover, triage time), random
unit behaviour (working hours per unit type, silence and response to supervision at 0, 1 or in
between, capacity), scripted viral posts (hot events, the 2000-repost accountability rule) and
random local calendar overrides written into a copy of the rules' calendar.yaml.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import chinese_calendar
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]

#: period starts just before holidays with make-up working days (and APEC 2014's local days)
ANCHORS = [
    dt.date(2014, 4, 29),  # May Day 2014: 1-3 May off, Sun 4 May worked
    dt.date(2014, 9, 26),  # National Day 2014: Sun 28 Sep and Sat 11 Oct worked
    dt.date(2014, 11, 5),  # APEC (calendar.yaml): 7, 10-12 Nov off; Sat 15 Nov worked
    dt.date(2014, 12, 30),  # New Year 2015: 1-3 Jan off, Sun 4 Jan worked
    dt.date(2015, 2, 13),  # Spring Festival 2015: 18-24 Feb off, Sun 15 and Sat 28 Feb worked
    dt.date(2015, 9, 25),  # National Day 2015: Sat 10 Oct worked
]
PLACES = ["回龙观", "天通苑北", "城北", "南口", "沙河"]
CATEGORIES = ["环境卫生", "园林绿化", "群租房", "供暖", "噪音", "社保服务"]
PROFILE = [2.6, 1.5, 0.8, 0.5, 0.4, 0.6, 1.5, 3.1, 4.6, 5.7, 6.2, 6.0,
           5.2, 5.0, 5.2, 5.2, 5.0, 4.6, 4.6, 5.7, 6.7, 7.4, 7.2, 4.6]  # fmt: skip

probability = st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0.05, 0.95))


@st.composite
def delay(draw: Any, lo: float, hi: float) -> dict[str, float]:
    median = draw(st.floats(lo, hi))
    return {"median": round(median, 3), "p90": round(median * draw(st.floats(1.0, 3.0)), 3)}


@st.composite
def working_hours(draw: Any) -> list[str]:
    opens = draw(st.sampled_from(["07:00", "08:00", "08:30", "09:00", "10:00"]))
    closes = draw(st.sampled_from(["16:00", "17:00", "17:30", "18:00", "19:30"]))
    return [opens, closes]


@st.composite
def behaviour(draw: Any, full: bool) -> dict[str, Any]:
    b: dict[str, Any] = {}
    if full or draw(st.booleans()):
        b["working_hours"] = draw(working_hours())
    if full or draw(st.booleans()):
        b["no_reply"] = draw(probability)
        b["respond_to_reminder"] = draw(probability)
        b["respond_to_escalation"] = draw(probability)
    if full or draw(st.booleans()):
        b["reply_working_days"] = draw(delay(0.2, 3.0))
        b["capacity"] = draw(st.one_of(st.none(), st.integers(1, 3)))
    if full:
        b.update(supervised_reply_working_days=draw(delay(0.2, 2.0)), statement_minutes=draw(delay(20, 150)),
                 reply_kinds={"立行立改": 0.4, "近期解决": 0.4, "条件不具备": 0.1, "不符合法规": 0.1},
                 promise_working_days=draw(delay(0.5, 5.0)), promise_kept=draw(probability))
    return b


@st.composite
def desk(draw: Any) -> dict[str, Any]:
    k = draw(st.integers(1, 3))
    h0 = draw(st.integers(0, 23))
    if k == 1:
        bounds = [h0, h0]
    elif k == 2:
        bounds = [h0, (h0 + draw(st.integers(6, 18))) % 24]
    else:
        bounds = [h0, (h0 + 8) % 24, (h0 + 16) % 24]
    letters = "ABC"[:k]
    shifts = {letters[i]: {"start": f"{bounds[i]:02d}:00", "end": f"{bounds[(i + 1) % k]:02d}:00"} for i in range(k)}
    cycle = draw(st.integers(1, 7))
    n = draw(st.integers(k, k + 3))
    patterns = [["-"] * cycle for _ in range(n)]
    for day in range(cycle):
        order = draw(st.permutations(range(n)))
        for i, line in enumerate(order):
            patterns[line][day] = letters[i] if i < k else draw(st.sampled_from(["-", *letters]))
    counts = [draw(st.integers(1, 3)) for _ in range(n)]
    rota = [{"name": f"值班{i}", "pattern": "".join(p), "count": c} for i, (p, c) in enumerate(zip(patterns, counts, strict=True))]
    triage = draw(st.one_of(delay(2, 40), st.builds(lambda m: {"exponential_mean": m}, st.floats(2, 40))))
    return {"staff": sum(counts), "shifts": shifts, "rota": rota,
            "handover_minutes": draw(st.sampled_from([0, 5, 15, 30])), "triage_minutes": triage}


@st.composite
def scenarios(draw: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(scenario document, calendar overrides {holidays: [...], workdays: [...]})."""
    start = draw(st.sampled_from(ANCHORS)) + dt.timedelta(days=draw(st.integers(0, 5)))
    days = draw(st.integers(2, 9))
    end = start + dt.timedelta(days=days - 1)
    period = [start + dt.timedelta(days=i) for i in range(days + 10)]
    shipped = {dt.date(2014, 11, d) for d in (2, 7, 10, 11, 12, 15)}  # already in calendar.yaml
    workdays = [d for d in period if chinese_calendar.is_workday(d) and d not in shipped]
    restdays = [d for d in period if not chinese_calendar.is_workday(d) and d not in shipped]
    holidays = draw(st.lists(st.sampled_from(workdays), max_size=2, unique=True)) if workdays else []
    extra = draw(st.lists(st.sampled_from(restdays), max_size=1, unique=True)) if restdays else []
    scripted = []
    for _ in range(draw(st.integers(0, 2))):
        at = dt.datetime.combine(start, dt.time(0), tzinfo=dt.timezone(dt.timedelta(hours=8))) + dt.timedelta(
            minutes=draw(st.integers(0, days * 1440 - 1)))
        scripted.append({"at": at.isoformat(), "place": draw(st.sampled_from(PLACES)),
                         "category": draw(st.sampled_from(CATEGORIES)),
                         "direct_reposts": draw(st.sampled_from([600, 3000]))})
    by_type = {t: draw(behaviour(False)) for t in draw(st.lists(st.sampled_from(["street", "town", "bureau"]),
                                                                 unique=True))}
    by_type = {t: b for t, b in by_type.items() if b}
    doc = {
        "kind": "scenario",
        "name": "generated",
        "rules": "rules",
        "seed": draw(st.integers(0, 10_000)),
        "start": start.isoformat(),
        "end": end.isoformat(),
        "arrivals": {
            "posts_per_day": draw(st.floats(5, 40)),
            "hour_profile": PROFILE,
            "weekend_factor": draw(st.floats(0, 1.5)),
            "holiday_factor": draw(st.floats(0, 1.5)),
            "channels": {"weibo": 0.8, "wechat": 0.2},
            "actionable_share": draw(st.floats(0.3, 1.0)),
            "categories": {c: 1 for c in CATEGORIES},
            "places": {p: 1 for p in PLACES},
            "same_problem_share": draw(st.sampled_from([0.0, 0.1, 0.4])),
            "reposts": {"direct": {"median": 4, "p90": 60}, "decay_minutes": 40, "branching": 0.5,
                        "reaction_minutes": 20},
            "scripted": scripted,
        },
        "platforms": {"duplicate_delivery": draw(st.sampled_from([0.0, 0.1])),
                      "malformed": draw(st.sampled_from([0.0, 0.1]))},
        "desk": draw(desk()),
        "units": {"default": draw(behaviour(True)), "by_type": by_type},
        "citizens": {"follow_up_after_days": draw(delay(0.5, 4)), "follow_up_probability": draw(probability),
                     "max_follow_ups": draw(st.integers(0, 4))},
    }
    return doc, {"holidays": holidays, "workdays": extra}


def write(folder: Path, doc: dict[str, Any], overrides: dict[str, list[dt.date]]) -> Path:
    """The scenario file and a copy of the shipped rules with the calendar overrides added."""
    rules = folder / "rules"
    shutil.copytree(ROOT / "rules", rules, ignore=shutil.ignore_patterns("tests"))
    cal = (rules / "calendar.yaml").read_text(encoding="utf-8")
    for key in ("holidays", "workdays"):
        lines = "".join(f"  - {{date: {d.isoformat()}, name: 生成的{key}}}\n" for d in overrides[key])
        cal = cal.replace(f"{key}:\n", f"{key}:\n{lines}", 1)
    (rules / "calendar.yaml").write_text(cal, encoding="utf-8")
    path = folder / "scenario.yaml"
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def fixed_scenario(**units: Any) -> dict[str, Any]:
    """A small fixed scenario (ten days over National Day 2014 and its 调休 Sunday), for regression
    and planted-bug tests; ``units`` overrides fields of the default unit behaviour."""
    doc: dict[str, Any] = {
        "kind": "scenario", "name": "fixed", "rules": "rules", "seed": 7, "start": "2014-09-26", "end": "2014-10-05",
        "arrivals": {
            "posts_per_day": 30, "hour_profile": PROFILE, "weekend_factor": 0.9, "holiday_factor": 0.8,
            "channels": {"weibo": 0.8, "wechat": 0.2}, "actionable_share": 0.8,
            "categories": {c: 1 for c in CATEGORIES}, "places": {p: 1 for p in PLACES}, "same_problem_share": 0.2,
            "reposts": {"direct": {"median": 30, "p90": 400}, "decay_minutes": 40, "branching": 0.5,
                        "reaction_minutes": 20},
            # viral posts (one of them past midnight, when statements are slow): some miss the 2-hour
            # statement while spreading past 2,000 reposts, for the accountability rule
            "scripted": [{"at": "2014-09-27T21:00:00+08:00", "place": "城北", "category": "噪音",
                          "direct_reposts": 3000},
                         {"at": "2014-09-30T23:40:00+08:00", "place": "城北", "category": "噪音",
                          "direct_reposts": 3000},
                         {"at": "2014-10-03T16:10:00+08:00", "place": "城北", "category": "噪音",
                          "direct_reposts": 3000}],
        },
        "platforms": {"duplicate_delivery": 0.05, "malformed": 0.05},
        "desk": {"staff": 3, "shifts": {"D": {"start": "08:00", "end": "20:00"}, "N": {"start": "20:00", "end": "08:00"}},
                 "rota": [{"name": "甲", "pattern": "DN"}, {"name": "乙", "pattern": "ND"}, {"name": "丙", "pattern": "D-"}],
                 "handover_minutes": 15, "triage_minutes": {"median": 8, "p90": 20}},
        "units": {"default": {
            "working_hours": ["08:30", "17:30"], "reply_working_days": {"median": 1.5, "p90": 6},
            "no_reply": 0.2, "respond_to_reminder": 0.5, "respond_to_escalation": 0.5,
            "supervised_reply_working_days": {"median": 0.5, "p90": 1.5}, "statement_minutes": {"median": 60, "p90": 180},
            "reply_kinds": {"立行立改": 0.4, "近期解决": 0.4, "条件不具备": 0.1, "不符合法规": 0.1},
            "promise_working_days": {"median": 1, "p90": 3}, "promise_kept": 0.5, **units}},
        "citizens": {"follow_up_after_days": {"median": 1.5, "p90": 4}, "follow_up_probability": 0.6, "max_follow_ups": 3},
    }  # fmt: skip
    return doc
