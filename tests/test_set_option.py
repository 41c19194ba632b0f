"""``--set PATH=V`` on every command that runs a scenario (run, compare, sensitivity, plan), and the even
rota ``desk.staff`` gets when it is set alone.

Oracles: a run with ``--set`` equals the run of a scenario file that writes the same value (an
independent way to set it); the override reaches the worker processes (replications on 2 workers,
compare, sensitivity each equal the direct run); the even rota is checked by counting who is on duty
in every shift of every day; errors are exit 2 with the schema's message and no traceback.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulator.params import ParameterError, even_rota, with_overrides
from simulator.runner import load_run_inputs, stream_scenario
from wenzheng.cli import main

from .conftest import DATA

SHORT = DATA / "short.yaml"


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    """Four days of short.yaml (fast runs)."""
    f = tmp_path_factory.mktemp("set") / "small.yaml"
    f.write_text(f"kind: scenario\nextends: {SHORT}\nname: small\nend: 2014-09-28\n", encoding="utf-8")
    return f


def _metrics(folder: Path) -> dict:
    return json.loads((folder / "metrics.json").read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- the even rota

def _on_duty(desk: dict, rota: list[dict]) -> dict[tuple[int, str], int]:
    """Members on each shift of each day of the cycle."""
    cycle = len(rota[0]["pattern"])
    return {(d, s): sum(line["count"] for line in rota if line["pattern"][d] == s)
            for d in range(cycle) for s in desk["shifts"]}


@pytest.mark.parametrize("staff", range(3, 23))
def test_even_rota_accounts_for_every_member_and_covers_every_shift(staff):
    sc, _, _ = load_run_inputs(SHORT)
    desk = sc.model_dump()["desk"]
    rota = even_rota(desk, staff)
    assert sum(line["count"] for line in rota) == staff
    cycle = min(staff, 7)
    assert len(rota) == cycle and {len(line["pattern"]) for line in rota} == {cycle}
    duty = _on_duty(desk, rota)
    assert min(duty.values()) >= 1  # staffed 24 hours
    # every member works round(5/7 of the cycle) days (at least one per shift), one shift a day
    worked = {sum(c != "-" for c in line["pattern"]) for line in rota}
    assert worked == {min(cycle, max(3, round(5 * cycle / 7)))}
    varied = with_overrides(sc, [("desk.staff", staff)])  # and the schema agrees
    assert varied.desk.staff == staff


def test_even_rota_of_seven_is_the_changping_desk():
    """7 members: 2 on day and evening shifts, 1 at night, every day — as Changping's own rota on weekdays."""
    sc, _, _ = load_run_inputs(SHORT)
    desk = sc.model_dump()["desk"]
    duty = _on_duty(desk, even_rota(desk, 7))
    assert {d: (duty[d, "D"], duty[d, "E"], duty[d, "N"]) for d in range(7)} == {d: (2, 2, 1) for d in range(7)}
    three = _on_duty(desk, even_rota(desk, 3))
    assert set(three.values()) == {1}  # one person per shift, as the understaffed-desk scenario


def test_too_few_staff_for_the_shifts():
    sc, _, _ = load_run_inputs(SHORT)
    with pytest.raises(ParameterError, match="a desk of 2 cannot be staffed 24 hours .* at least 3"):
        with_overrides(sc, [("desk.staff", 2)])


def test_staff_with_a_rota_keeps_the_rota():
    sc, _, _ = load_run_inputs(SHORT)
    rota = [{"name": "甲", "pattern": "DDDDDDD"}, {"name": "乙", "pattern": "EEEEEEE"},
            {"name": "丙", "pattern": "NNNNNNN"}, {"name": "丁", "pattern": "DDDDDDD"}]
    varied = with_overrides(sc, [("desk.staff", 4), ("desk.rota", rota)])
    assert [line.name for line in varied.desk.rota] == ["甲", "乙", "丙", "丁"]
    with pytest.raises(ParameterError, match="the rota lists 4 staff but the desk has 5"):
        with_overrides(sc, [("desk.staff", 5), ("desk.rota", rota)])


# --------------------------------------------------------------------------- run

def test_set_equals_the_value_written_in_the_file(small, tmp_path):
    """--set units.default.no_reply=0.5 gives the metrics of a scenario file that says no_reply: 0.5."""
    written = tmp_path / "written.yaml"
    written.write_text(f"kind: scenario\nextends: {small}\nname: small\nunits: {{default: {{no_reply: 0.5}}}}\n",
                       encoding="utf-8")
    assert main(["run", str(small), "--seed", "5", "--out", str(tmp_path / "a"), "--quiet",
                 "--set", "units.default.no_reply=0.5"]) == 0
    assert main(["run", str(written), "--seed", "5", "--out", str(tmp_path / "b"), "--quiet"]) == 0
    assert main(["run", str(small), "--seed", "5", "--out", str(tmp_path / "c"), "--quiet"]) == 0
    a, b, c = (_metrics(tmp_path / x) for x in "abc")
    assert a["run"].pop("overrides") == {"units.default.no_reply": 0.5}
    assert "overrides" not in b["run"] and "overrides" not in c["run"]
    assert a == b
    assert a["reply_rate"] < c["reply_rate"]  # half the units silent: fewer replies than the scenario's 6%


def test_set_desk_staff_moves_the_wait(small, tmp_path):
    waits = {}
    for staff in (3, 7):
        out = tmp_path / str(staff)
        assert main(["run", str(small), "--seed", "5", "--out", str(out), "--quiet", "--set",
                     f"desk.staff={staff}", "--set", "arrivals.posts_per_day=150"]) == 0
        m = _metrics(out)
        assert m["run"]["overrides"] == {"desk.staff": staff, "arrivals.posts_per_day": 150}
        waits[staff] = m["desk_wait_minutes_mean"]
    assert waits[3] > waits[7]  # one person per shift against two on day and evening shifts


def test_set_reaches_replication_workers(small, tmp_path):
    out = tmp_path / "reps"
    assert main(["run", str(small), "--seed", "5", "--replications", "2", "--workers", "2", "--out", str(out),
                 "--quiet", "--set", "arrivals.posts_per_day=60"]) == 0
    summary = _metrics(out)
    assert summary["run"]["overrides"] == {"arrivals.posts_per_day": 60}
    sc, policy, rules_dir = load_run_inputs(small)
    varied = with_overrides(sc, [("arrivals.posts_per_day", 60)])
    direct = [stream_scenario(varied, policy, rules_dir, seed=s).metrics["posts"] for s in (5, 6)]
    for i, posts in enumerate(direct):
        rep = _metrics(out / f"{i:03d}")
        assert rep["posts"] == posts and rep["run"]["overrides"] == {"arrivals.posts_per_day": 60}
    assert summary["posts"] == pytest.approx(sum(direct) / 2)


@pytest.mark.parametrize("setting,message,suggestion", [
    ("desk.staf=3", "unknown parameter 'desk.staf'", "desk.staff"),
    ("units.default.no_reply=1.5", "less than or equal to 1", None),
    ("desk.staff=abc", "'abc' is not a whole number; write an integer", None),
    ("desk.staff", "is not PATH=VALUE", None),
    ("arrivals.categories.环境=3", "unknown parameter", "arrivals.categories.环境卫生"),
])
def test_bad_set_is_exit_2(small, tmp_path, capsys, setting, message, suggestion):
    assert main(["run", str(small), "--out", str(tmp_path / "x"), "--quiet", "--set", setting]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    if suggestion:
        assert suggestion in err
    assert not (tmp_path / "x").exists()  # refused before any run


# --------------------------------------------------------------------------- compare, sensitivity

def test_compare_with_set(small, capsys):
    rules = str(DATA.parent.parent / "rules")
    assert main(["compare", str(small), "--baseline", rules, "--candidate", rules, "--replications", "1",
                 "--seed", "5", "--format", "json", "--quiet", "--set", "arrivals.posts_per_day=60"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["overrides"] == {"arrivals.posts_per_day": 60}
    sc, policy, rules_dir = load_run_inputs(small)
    direct = stream_scenario(with_overrides(sc, [("arrivals.posts_per_day", 60)]), policy, rules_dir, seed=5)
    assert doc["metrics"]["posts"]["baseline"] == direct.metrics["posts"]
    assert doc["metrics"]["posts"]["candidate"] == direct.metrics["posts"]


def test_sensitivity_with_set(small, capsys):
    assert main(["sensitivity", str(small), "--vary", "units.default.no_reply=0.2..0.2", "--points", "1",
                 "--replications", "2", "--seed", "5", "--format", "json", "--quiet",
                 "--set", "arrivals.posts_per_day=60"]) == 0
    doc = json.loads(capsys.readouterr().out)
    sc, policy, rules_dir = load_run_inputs(small)
    varied = with_overrides(sc, [("arrivals.posts_per_day", 60), ("units.default.no_reply", 0.2)])
    direct = [stream_scenario(varied, policy, rules_dir, seed=s).metrics["reply_rate"] for s in (5, 6)]
    (param,) = doc["parameters"]
    (point,) = param["points"]
    assert point["reply_rate"]["replications"] == direct
    without = [stream_scenario(with_overrides(sc, [("units.default.no_reply", 0.2)]), policy, rules_dir,
                               seed=s).metrics["posts"] for s in (5, 6)]
    with_set = [stream_scenario(varied, policy, rules_dir, seed=s).metrics["posts"] for s in (5, 6)]
    assert with_set != without  # the --set changed the runs (three times the posts)


def test_sensitivity_set_and_vary_the_same_path(small, capsys):
    assert main(["sensitivity", str(small), "--vary", "desk.staff=3..7", "--set", "desk.staff=4", "--quiet"]) == 2
    assert "both set (--set) and varied (--vary)" in capsys.readouterr().err


def test_overrides_record_is_json_data():
    """Dates, times and nested values from --set are recorded as JSON data (dates as ISO text)."""
    from datetime import date

    from simulator.params import overrides_record, parse_assignment

    pairs = [parse_assignment("end=2014-10-05"), parse_assignment("units.default.working_hours=[08:30, 17:30]"),
             parse_assignment("desk.triage_minutes={median: 2, p90: 5}")]
    assert pairs[0] == ("end", date(2014, 10, 5))
    record = overrides_record(pairs)
    assert json.loads(json.dumps(record)) == record == {
        "end": "2014-10-05", "units.default.working_hours": ["08:30", "17:30"],
        "desk.triage_minutes": {"median": 2, "p90": 5}}
