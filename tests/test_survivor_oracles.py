"""Oracles for the bugs that survived the first thirty-bug exercise (issue 9): each test knows its answer
independently (a hand-computed case, a bound, a round trip), none compares against recorded numbers."""

from __future__ import annotations

import csv
import random
from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from simulator.cascade import hawkes_cascade
from simulator.metrics import quarterly_table
from simulator.replications import summarise

from .conftest import ROOT

SH = ZoneInfo("Asia/Shanghai")
SHORT = ROOT / "tests" / "data" / "short.yaml"


def test_cascade_never_exceeds_its_cap():
    """(survivor 19: cap off by one) a cascade far above its cap returns exactly ``cap`` sorted times."""
    for seed in range(20):
        times = hawkes_cascade(random.Random(seed), direct=500, decay_minutes=30, branching=0.5,
                               reaction_minutes=20, horizon_minutes=24 * 60, cap=10)
        assert len(times) == 10 and times == sorted(times) and all(0 <= t <= 24 * 60 for t in times)


def test_deduction_quarter_is_the_local_date():
    """(survivor 31: quarter in UTC) 00:30 on 1 April in Beijing is 2014Q2, though still 31 March in UTC."""
    run = SimpleNamespace(cases=[], deductions=[
        (datetime(2014, 4, 1, 0, 30, tzinfo=SH), "城北街道", 1.0, "reply-overdue"),
        (datetime(2014, 3, 31, 23, 30, tzinfo=SH), "城北街道", 2.0, "reply-overdue")])
    rows = {r["quarter"]: r["deductions"] for r in quarterly_table(run)}  # type: ignore[arg-type]
    assert rows == {"2014Q1": 2.0, "2014Q2": 1.0}


def _rep(seed: int, rates: dict[str, float]) -> dict:
    return {"run": {"seed": seed, "scenario": "x", "policy": "p", "start": "2014-04-01", "end": "2014-04-02"},
            "deductions_by_unit": {}, "reply_rate_by_unit": rates}


def test_unit_reply_rates_average_over_the_replications_where_the_unit_had_forms():
    """(survivor 38) a unit with forms only in one replication keeps that replication's rate."""
    out = summarise([_rep(1, {"A": 0.8, "B": 0.8}), _rep(2, {"B": 0.6})])
    assert out["reply_rate_by_unit"] == {"A": 0.8, "B": 0.7}


@pytest.mark.parametrize("kept, expect_kept, expect_broken", [(1.0, True, False), (0.0, False, True)])
def test_promise_kept_probability_is_obeyed_at_its_extremes(kept, expect_kept, expect_broken):
    """(survivor 25: kept/broken inverted) promise_kept 1 → no broken promise; 0 → none kept."""
    from simulator import load_run_inputs, run_scenario
    from simulator.params import with_overrides

    sc, policy, rules_dir = load_run_inputs(SHORT)
    paths = [("units.default.promise_kept", kept)] + [
        (f"units.by_type.{t}.promise_kept", kept) for t in ("street", "town", "bureau")]
    _, m = run_scenario(with_overrides(sc, paths), policy, rules_dir, seed=7)
    assert m["promises"] > 0
    assert (m["promises_kept"] > 0) is expect_kept and (m["promises_broken"] > 0) is expect_broken
    assert m["promises_kept"] + m["promises_broken"] == m["promises"]


@pytest.mark.parametrize("fmt", ["csv", "xes", "parquet"])
def test_every_export_keeps_the_instant_and_the_offset(tmp_path, fmt):
    """(survivor 35: export drops the timezone) each exported timestamp is aware and the same instant as in
    events.csv (process-mining formats keep milliseconds)."""
    from wenzheng.cli import main

    run = tmp_path / "run"
    assert main(["run", str(SHORT), "--out", str(run), "--quiet"]) == 0
    with (run / "events.csv").open(encoding="utf-8") as f:
        want = sorted(datetime.fromisoformat(r["timestamp"]) for r in csv.DictReader(f))
    want = [w.replace(microsecond=w.microsecond // 1000 * 1000) for w in want]
    out = tmp_path / f"events.{fmt}"
    assert main(["export", str(run), "--format", fmt, "--out", str(out)]) == 0
    if fmt == "csv":
        with out.open(encoding="utf-8") as f:
            got = [datetime.fromisoformat(r["time:timestamp"]) for r in csv.DictReader(f)]
    elif fmt == "xes":
        import xml.etree.ElementTree as ET

        got = [datetime.fromisoformat(d.get("value", "")) for ev in ET.parse(out).getroot().iter()
               if ev.tag.split("}")[-1] == "event" for d in ev
               if d.tag.split("}")[-1] == "date" and d.get("key") == "time:timestamp"]
    else:
        import pyarrow.parquet as pq

        got = list(pq.read_table(out).column("time:timestamp").to_pylist())
    assert all(g.tzinfo is not None for g in got)
    got = [g.replace(microsecond=g.microsecond // 1000 * 1000) for g in got]
    assert sorted(got) == want  # aware datetimes compare as instants


def test_report_quarterly_columns_carry_the_values_their_chinese_headers_name(tmp_path, zh):
    """(survivor 34: 按时/逾期 labels swapped) each column of the report's quarterly table, found by its Chinese
    header (the meaning docs/metrics.md gives it), holds that metric for every unit row of metrics.json."""
    import json
    import re

    from wenzheng.cli import main

    run = tmp_path / "run"
    assert main(["run", str(SHORT), "--out", str(run), "--quiet"]) == 0
    page = (run / "report.html").read_text(encoding="utf-8")
    section = page[page.index('id="leaders-quarterly"'):]
    section = section[:section.index("<h2")] if "<h2" in section else section
    meaning = {"收集": "collected", "转办": "forwarded", "答复": "replied", "按时": "on_time", "逾期": "overdue",
               "督办": "supervised", "扣分": "deductions"}
    quarterly = json.loads((run / "metrics.json").read_text(encoding="utf-8"))["quarterly"]
    want = {(r["quarter"], r["unit"]): r for r in quarterly}
    seen = set()
    for quarter, table in re.findall(r"<h3>(\d{4}Q[1-4]).*?(<table.*?</table>)", section, re.S):
        headers = [re.sub(r"<.*", "", h) for h in re.findall(r"<th>(.*?)</th>", table, re.S)]
        assert set(meaning) <= set(headers) and "单位" in headers
        for tr in re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1], re.S):  # unit rows (no class)
            cells = [re.sub(r"<.*?>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
            unit = cells[headers.index("单位")]
            row = want.get((quarter, unit))
            seen.add((quarter, unit))
            for zh, key in meaning.items():
                value = row[key] if row else 0
                assert float(cells[headers.index(zh)]) == value, (quarter, unit, zh, cells, row)
    assert set(want) <= seen, set(want) - seen
