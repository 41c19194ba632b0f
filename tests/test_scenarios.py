"""The scenario library: each shipped scenario loads, runs, and shows the effect it is about."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from engine import ScenarioError
from simulator import load_run_inputs, run_scenario
from wenzheng.cli import main

from .conftest import SCENARIOS

LIBRARY = ["changping-2014", "golden-week-2014", "apec-2014", "hot-event-surge", "understaffed-desk",
           "silent-bureau", "megacity-day"]


def run(name: str, **changes):
    sc, policy, rules = load_run_inputs(SCENARIOS / f"{name}.yaml")
    if changes:
        sc = sc.model_copy(update=changes)
    return run_scenario(sc, policy, rules)


@pytest.mark.parametrize("name", LIBRARY)
def test_every_scenario_is_documented_and_valid(name):
    text = (SCENARIOS / f"{name}.yaml").read_text(encoding="utf-8")
    assert f"# {name} — " in text  # documented at the top
    sc, policy, _ = load_run_inputs(SCENARIOS / f"{name}.yaml")
    assert sc.name == name


@pytest.fixture(scope="module")
def baseline():
    return run("changping-2014")


def test_golden_week_moves_reply_deadlines_past_the_holiday(baseline):
    result, m = run("golden-week-2014")
    assert m["reply_deadline_calendar_days_mean"] > baseline[1]["reply_deadline_calendar_days_mean"] + 1.5
    for c in result.cases:
        if c.opened_at and c.opened_at.date().isoformat() in ("2014-09-30", "2014-10-03"):
            assert c.reply_due >= datetime.fromisoformat("2014-10-13T17:30:00+08:00")


def test_apec_days_push_deadlines(baseline):
    result, m = run("apec-2014")
    assert m["reply_deadline_calendar_days_mean"] > baseline[1]["reply_deadline_calendar_days_mean"] + 0.5
    on_6th = [c for c in result.cases if c.opened_at and c.opened_at.date().isoformat() == "2014-11-06"]
    assert on_6th and all(c.reply_due.date().isoformat() >= "2014-11-17" for c in on_6th)


def test_hot_event_surge_adds_hot_events():
    _, with_surge = run("hot-event-surge")
    sc, _, _ = load_run_inputs(SCENARIOS / "hot-event-surge.yaml")
    _, without = run("hot-event-surge", arrivals=sc.arrivals.model_copy(update={"scripted": []}))
    assert with_surge["hot_events"] >= without["hot_events"] + 4
    assert with_surge["posts"] == without["posts"] + 5


def test_understaffed_desk_waits_grow():
    _, small = run("understaffed-desk")
    sc, _, _ = load_run_inputs(SCENARIOS / "changping-2014.yaml")
    _, full = run("changping-2014", end=sc.start.replace(month=6, day=30))
    assert small["desk_wait_minutes_mean"] > 2 * full["desk_wait_minutes_mean"]
    assert small["desk_utilisation"] > 2 * full["desk_utilisation"]


def test_silent_bureau_changes_that_bureau_only(baseline):
    _, silent = run("silent-bureau")
    base = baseline[1]
    assert silent["reply_rate_by_unit"]["园林绿化局"] < 0.8 <= base["reply_rate_by_unit"]["园林绿化局"]
    assert silent["deductions_by_unit"]["园林绿化局"] > 3 * base["deductions_by_unit"].get("园林绿化局", 1)
    others = [u for u in base["reply_rate_by_unit"] if u != "园林绿化局"]
    mean = lambda m: sum(m["reply_rate_by_unit"].get(u, 0) for u in others) / len(others)  # noqa: E731
    assert abs(mean(silent) - mean(base)) < 0.015


def test_megacity_structure_runs_scaled_down(tmp_path):
    small = tmp_path / "mega.yaml"
    small.write_text(f"kind: scenario\nextends: {SCENARIOS / 'megacity-day.yaml'}\nname: mega-small\n"
                     "arrivals: {posts_per_day: 3000}\n", encoding="utf-8")
    _, m = run_scenario(*load_run_inputs(small))
    assert 2700 < m["posts"] < 3300 and m["forms"] > 1500


def test_scenario_errors_name_the_file_that_has_the_key(tmp_path, capsys):
    child = tmp_path / "child.yaml"
    child.write_text(f"kind: scenario\nextends: {SCENARIOS / 'changping-2014.yaml'}\nname: c\n"
                     "desk:\n  staff: 1\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_run_inputs(child)
    assert str(info.value) == f"{child}:4:1: the rota lists 7 staff but the desk has 1 (at key: desk)"
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"kind: scenario\nextends: {SCENARIOS / 'changping-2014.yaml'}\nname: c\n"
                   "desk: {triage_minutes: {median: 5, p91: 9}}\n", encoding="utf-8")
    assert main(["run", str(bad), "--quiet", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:4:" in err and "unknown key 'p91'" in err and "did you mean 'p90'" in err


def test_extends_cycle_is_an_error(tmp_path):
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text("kind: scenario\nextends: b.yaml\nname: a\n", encoding="utf-8")
    b.write_text("kind: scenario\nextends: a.yaml\nname: b\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="cycle"):
        load_run_inputs(a)




@pytest.mark.parametrize("desk,message", [
    ("{rota: [{name: a, pattern: DDDDDDD}], staff: 1}", "no staff on duty on day 0 of the rota cycle at 00:00"),
    ("{rota: [{name: a, pattern: DXD}], staff: 1}", "rota line 'a' uses undefined shift(s) X"),
    ("{rota: [{name: a, pattern: DEN}, {name: b, pattern: NE}], staff: 2}", "same cycle; lengths [2, 3]"),
    ("{rota: [{name: a, pattern: DEN, count: 2}], staff: 3}", "the rota lists 2 staff but the desk has 3"),
])
def test_rota_is_validated(tmp_path, desk, message):
    f = tmp_path / "r.yaml"
    f.write_text(f"kind: scenario\nextends: {SCENARIOS / 'changping-2014.yaml'}\nname: r\ndesk: {desk}\n",
                 encoding="utf-8")
    with pytest.raises(ScenarioError, match=re.escape(message)):
        load_run_inputs(f)


def test_rota_runs_named_staff_with_handover():
    sc, _, _ = load_run_inputs(SCENARIOS / "changping-2014.yaml")
    result, m = run("changping-2014", end=sc.start.replace(day=30))
    assert set(m["desk_utilisation_by_rota_line"]) == {"王芳", "李强", "张静", "刘洋", "陈磊", "杨帆", "赵敏"}
    resources = {r.resource for r in result.log if r.activity == "上报通报"}
    assert resources <= set(m["desk_utilisation_by_rota_line"]) and len(resources) >= 6
    # a long handover at every shift start keeps posts waiting
    long_handover = sc.desk.model_copy(update={"handover_minutes": 60})
    _, slow = run("changping-2014", end=sc.start.replace(day=30), desk=long_handover)
    assert slow["desk_wait_minutes_mean"] > 3 * m["desk_wait_minutes_mean"]
