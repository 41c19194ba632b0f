"""The leaders' views (reporting/leaders.py) checked against independent computations from the run's files.

Oracles: a hand-made run folder whose every figure is computed by hand; on simulated runs, figures recounted
from cases.csv / events.csv with plain csv code here, the invariants of the grouped table (subtotals sum to the
total, rates = replied / collected), deductions booked per quarter = metrics.json's quarterly table, and the
pooled figure of a replicated run = the mean of the per-replication figures.
"""

from __future__ import annotations

import csv
import json
import statistics
from collections import Counter, defaultdict
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reporting.folder import RunFolder
from reporting.leaderdata import RunCalendar, quarter_key
from reporting.leaders import leader_sections, load_runs, quarter_table
from simulator.metrics import UNROUTED, quarter_of
from wenzheng.cli import main

ROOT = Path(__file__).resolve().parent.parent
SHORT = ROOT / "tests" / "data" / "short.yaml"
SECTION_IDS = ["leaders-quarterly", "leaders-league", "leaders-compare", "leaders-overdue", "leaders-hot",
               "leaders-accountability", "leaders-breakdown", "leaders-promises", "leaders-places"]


class Tables(HTMLParser):
    """The text of every table cell, table by table, row by row (cells' <small> intervals dropped)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None
        self._small = 0
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag in ("small", "sup"):
            self._small += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag in ("small", "sup"):
            self._small -= 1

    def handle_data(self, data: str) -> None:
        if self._cell is not None and not self._small:
            self._cell.append(data)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("leaders")
    one, three = base / "one", base / "three"
    assert main(["run", str(SHORT), "--out", str(one), "--quiet"]) == 0
    assert main(["run", str(SHORT), "--out", str(three), "--quiet", "--replications", "3"]) == 0
    return one, three


def _cases(run: Path) -> list[dict[str, str]]:
    with (run / "cases.csv").open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _independent_quarters(run: Path) -> dict[tuple[str, str], Counter]:
    """(quarter, unit) → counts, recounted from cases.csv and events.csv."""
    out: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for r in _cases(run):
        opened = datetime.fromisoformat(r["opened_at"])
        c = out[(quarter_of(opened), r["unit"] or UNROUTED)]
        c["collected"] += 1
        c["replied"] += bool(r["replied_at"])
        on_time = bool(r["replied_at"]) and datetime.fromisoformat(r["replied_at"]) <= datetime.fromisoformat(
            r["reply_due"])
        c["on_time"] += on_time
        c["overdue"] += not on_time
        c["supervised"] += int(r["escalations"]) > 0
    with (run / "events.csv").open(newline="", encoding="utf-8") as f:
        for e in csv.DictReader(f):
            if e["activity"] == "扣分":
                out[(quarter_of(datetime.fromisoformat(e["timestamp"])), e["unit"] or UNROUTED)]["points_x10"] += \
                    round(10 * float(e["points"]))
    return out


def test_grouped_table_html_matches_cases_csv(runs, zh):
    one, _ = runs
    folder = RunFolder.load(one)
    data = load_runs(folder)
    mine = _independent_quarters(one)
    types = {u["id"]: u["type"] for u in yaml.safe_load((ROOT / "rules" / "units.yaml").read_text())["units"]}
    quarters = sorted({q for q, _ in mine}, key=quarter_key)
    assert quarters == ["2014Q3", "2014Q4"] or quarters[:2] == ["2014Q3", "2014Q4"]
    for q in quarters:
        body, _, _ = quarter_table(data, q)
        rows = Tables(body).tables[0]
        header, rows = rows[0], rows[1:]
        assert header[2:8] == ["收集", "转办", "答复", "按时", "逾期", "督办"]
        seen = set()
        for r in rows:
            unit = r[1]
            if unit in types or unit == UNROUTED:
                c = mine.get((q, unit), Counter())
                assert [int(x) for x in r[2:8]] == [c["collected"], c["collected"], c["replied"], c["on_time"],
                                                    c["overdue"], c["supervised"]], (q, unit)
                assert float(r[8]) == c["points_x10"] / 10, (q, unit)
                rate = "—" if not c["collected"] else f"{100 * c['replied'] / c['collected']:.1f}%"
                assert r[10] == rate
                seen.add(unit)
        # every street, town and bureau of units.yaml has its row; every unit with forms too
        assert {u for u, ty in types.items() if ty in ("street", "town", "bureau")} <= seen
        assert {u for qq, u in mine if qq == q and mine[(qq, u)]["collected"]} <= seen
        total = rows[-1]
        assert total[0] == "合计"
        assert int(total[2]) == sum(c["collected"] for (qq, _), c in mine.items() if qq == q)


def test_group_subtotals_sum_to_total_and_rates_are_replied_over_collected(runs):
    for folder_path in runs:
        data = load_runs(RunFolder.load(folder_path))
        for q in data[0].period_quarters():
            _, _, fig = quarter_table(data, q)
            groups = {g for g, u in fig if g and not u}
            for col in ("collected", "replied", "on_time", "overdue", "supervised", "deductions"):
                subtotal_sum = sum(fig[(g, "")][col].mean or 0.0 for g in groups)
                assert subtotal_sum == pytest.approx(fig[("", "")][col].mean)
                for g in groups:
                    units = [k for k in fig if k[0] == g and k[1]]
                    assert sum(fig[k][col].mean or 0.0 for k in units) == pytest.approx(fig[(g, "")][col].mean)
            if len(data) == 1:
                for f in fig.values():
                    c = f["collected"].mean
                    assert f["reply_rate"].mean == (None if not c else pytest.approx(f["replied"].mean / c))
                    assert f["on_time_rate"].mean == (None if not c else pytest.approx(f["on_time"].mean / c))


def test_deductions_booked_as_metrics_quarterly_and_earlier_part_explained(runs, zh):
    one, _ = runs
    metrics = json.loads((one / "metrics.json").read_text(encoding="utf-8"))
    data = load_runs(RunFolder.load(one))[0]
    for row in metrics["quarterly"]:
        assert data.quarters[(row["quarter"], row["unit"])].deductions == pytest.approx(row["deductions"])
    # the earlier-quarter part, recounted: points of 扣分 rows on forms issued in an earlier quarter
    issued = {r["case_id"]: quarter_of(datetime.fromisoformat(r["opened_at"])) for r in _cases(one)}
    earlier: Counter = Counter()
    with (one / "events.csv").open(newline="", encoding="utf-8") as f:
        for e in csv.DictReader(f):
            if e["activity"] == "扣分":
                q = quarter_of(datetime.fromisoformat(e["timestamp"]))
                if quarter_key(issued[e["case_id"]]) < quarter_key(q):
                    earlier[q] += float(e["points"])
    got: Counter = Counter()
    for (q, _), r in data.quarters.items():
        got[q] += r.deductions_earlier
    assert {q: round(v, 6) for q, v in got.items() if v} == {q: round(v, 6) for q, v in earlier.items()}
    assert earlier["2014Q4"] > 0  # the short run crosses 30 Sept: Q3 forms are deducted in Q4
    _, notes, _ = quarter_table([data], "2014Q4")
    assert any("往季度上报的反馈单" in n for n in notes)


def test_partial_quarters_are_marked(runs, zh):
    one, _ = runs
    data = load_runs(RunFolder.load(one))
    secs = leader_sections(RunFolder.load(one), runs=data)
    text = secs[0].html
    assert "2014-09-25 至 2014-09-30（不完整季度）" in text and "2014-10-01 至 2014-10-10（不完整季度）" in text
    en = leader_sections(RunFolder.load(one), "en", runs=data)[0].html
    assert "2014-10-01 to 2014-10-10 (partial quarter)" in en


def test_hand_made_run(tmp_path, zh):
    """A run folder written by hand: two streets, a bureau; Q3 and a partial Q4; every figure known."""
    run = tmp_path / "run"
    run.mkdir()
    cols = ["case_id", "channel", "place", "true_category", "category", "true_unit", "unit", "posted_at",
            "opened_at", "hot_at", "statement_at", "statement_due", "reply_due", "replied_at", "reply_kind",
            "escalations", "followups", "deductions", "merged_posts", "reposts_24h", "reminders", "accountability",
            "promise_due", "promise_kept"]
    tz = "+08:00"
    cases = [
        # A: replied on time in Q3
        ["C1", "weibo", "城北", "噪音", "噪音", "城北街道", "城北街道", f"2014-09-01T09:00:00{tz}",
         f"2014-09-01T10:00:00{tz}", "", "", "", f"2014-09-05T17:30:00{tz}", f"2014-09-02T10:00:00{tz}",
         "立行立改", 0, 0, 0.0, 0, 3, 0, 0, "", ""],
        # B: issued 29 Sept (Q3), never replied; deadline 10 Oct (after the National Day week): deducted in Q4
        ["C2", "weibo", "城北", "噪音", "噪音", "城北街道", "城北街道", f"2014-09-29T09:00:00{tz}",
         f"2014-09-29T10:00:00{tz}", "", "", "", f"2014-10-10T17:30:00{tz}", "", "", 1, 0, 1.0, 0, 0, 0, 0, "", ""],
        # C: bureau, Q4, hot, late statement, flagged, replied 近期解决 with a broken promise
        ["C3", "weibo", "城南", "供水", "供水", "水务局", "水务局", f"2014-10-13T09:00:00{tz}",
         f"2014-10-13T09:30:00{tz}", f"2014-10-13T10:00:00{tz}", f"2014-10-13T13:00:00{tz}",
         f"2014-10-13T12:00:00{tz}", f"2014-10-20T17:30:00{tz}", f"2014-10-14T09:00:00{tz}", "近期解决",
         1, 1, 5.5, 0, 2500, 0, 1, f"2014-10-24T17:30:00{tz}", 0],
        # D: town-less street 城南街道, Q4, on time, promise kept
        ["C4", "wechat", "城南", "物业管理", "物业管理", "城南街道", "城南街道", f"2014-10-14T09:00:00{tz}",
         f"2014-10-14T10:00:00{tz}", "", "", "", f"2014-10-21T17:30:00{tz}", f"2014-10-15T09:00:00{tz}",
         "近期解决", 0, 0, 0.0, 0, 1, 0, 0, f"2014-10-28T17:30:00{tz}", 1],
    ]
    with (run / "cases.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(cols)
        w.writerows(cases)
    ev_cols = ["case_id", "activity", "timestamp", "resource", "unit", "category", "rule", "deadline", "due",
               "remind_at", "points", "reposts", "merged_post"]
    events = [
        ["C2", "扣分", f"2014-10-10T17:30:00{tz}", "assessment", "城北街道", "噪音", "reply-overdue", "", "", "", "1",
         "", ""],
        ["C3", "扣分", f"2014-10-13T12:00:00{tz}", "assessment", "水务局", "供水", "statement-missed", "", "", "",
         "2", "", ""],
        ["C3", "扣分", f"2014-10-13T12:00:00{tz}", "assessment", "水务局", "供水", "statement-missed-spread", "", "",
         "", "3", "", ""],
        ["C3", "问责", f"2014-10-13T12:00:00{tz}", "assessment", "水务局", "供水", "statement-missed-spread", "", "",
         "", "", "", ""],
        ["C3", "扣分", f"2014-10-25T09:00:00{tz}", "assessment", "水务局", "供水", "promise-broken", "", "", "",
         "0.5", "", ""],
    ]
    with (run / "events.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(ev_cols)
        w.writerows(events)
    (run / "backlog.csv").write_text("date,open_forms\n", encoding="utf-8")
    metrics = {"run": {"scenario": "hand", "seed": 1, "start": f"2014-09-01T00:00:00{tz}",
                       "end": f"2014-11-01T00:00:00{tz}",
                       "unit_types": {"城北街道": "street", "城南街道": "street", "水务局": "bureau",
                                      "区政府办公室": "office"},
                       "calendar": {"holidays": ["2014-10-01", "2014-10-02", "2014-10-03", "2014-10-06",
                                                 "2014-10-07"], "workdays": ["2014-09-28", "2014-10-11"],
                                    "through": "2014-12-31"}}}
    (run / "metrics.json").write_text(json.dumps(metrics, ensure_ascii=False), encoding="utf-8")
    folder = RunFolder.load(run)
    data = load_runs(folder)
    q3 = data[0].quarters[("2014Q3", "城北街道")]
    assert (q3.collected, q3.replied, q3.on_time, q3.overdue, q3.supervised, q3.deductions) == (2, 1, 1, 1, 1, 0.0)
    q4 = data[0].quarters[("2014Q4", "城北街道")]
    # the row the issue found unexplained: nothing collected, overdue or supervised in Q4, 1 point booked
    assert (q4.collected, q4.overdue, q4.supervised, q4.deductions, q4.deductions_earlier) == (0, 0, 0, 1.0, 1.0)
    _, notes, fig = quarter_table(data, "2014Q4")
    assert fig[("street", "")]["deductions"].mean == 1.0 and fig[("bureau", "水务局")]["deductions"].mean == 5.5
    assert fig[("", "")]["collected"].mean == 2 and fig[("", "")]["reply_rate"].mean == 1.0
    assert any("6.5" in n and "1" in n for n in notes if "往季度" in n)
    assert "2014Q4 为不完整季度，运行期只覆盖 2014-10-01 至 2014-10-31" in "".join(notes)  # the run ends 31 Oct
    secs = {s.id: s for s in leader_sections(folder)}
    assert list(secs) == SECTION_IDS
    assert "2014-10-01 至 2014-10-31（不完整季度）" in secs["leaders-quarterly"].html  # marked partial in the heading too
    assert "2014-09-01 至 2014-09-30（不完整季度）" in secs["leaders-quarterly"].html  # Q3 starts 1 July: partial too
    # league: 水务局 5.5 points on 1 form = 550 per 100 forms; 城北街道 1 point on 2 forms = 50
    league = Tables(secs["leaders-league"].html).tables[0][1:]
    assert [(r[1], r[3]) for r in league] == [("水务局", "550.0"), ("城北街道", "50.0"), ("城南街道", "0.0")]
    # overdue and open at the period's end (1 Nov): C2, due 10 Oct 17:30; working days after 10 Oct up to
    # 31 Oct: 11 (Sat, worked) + 13–17 + 20–24 + 27–31 = 16; calendar days 21 d 6.5 h
    overdue = Tables(secs["leaders-overdue"].html).tables[0][1:]
    assert [(r[0], r[5], r[6]) for r in overdue] == [("C2", "16", "21.3")]
    hot = Tables(secs["leaders-hot"].html).tables[0][1:]
    assert [(r[0], r[5], r[6], r[7]) for r in hot] == [("C3", "180", "否", "2500")]
    flags = Tables(secs["leaders-accountability"].html).tables[0][1:]
    assert flags[0][0] == "C3" and "statement-missed-spread" in flags[0][4] and "180 分钟" in flags[0][4]
    promises = Tables(secs["leaders-promises"].html).tables[0][1:]
    assert promises[-1][1:] == ["2", "1", "1", "0", "50.0%"]
    kinds = Tables(secs["leaders-breakdown"].html).tables[1][1:]
    assert [(r[0], r[1]) for r in kinds] == [("立行立改", "1"), ("近期解决", "2"), ("未答复", "1")]
    compare = Tables(secs["leaders-compare"].html).tables[0][1:]
    total = [r for r in compare if r[1] == "合计"][0]
    assert total[2:4] == ["2", "+0"] and total[8:10] == ["6.5", "+6.5"]  # forms 2 vs 2; 6.5 points vs 0
    places = Tables(secs["leaders-places"].html).tables[0][1:]
    assert places[0][0] == "城北街道" and places[0][1] == "2" and places[0][6].startswith("噪音 100%")
    # regression (trial): points booked while the run drains, in a quarter after the period, got a page of zeros;
    # now they are a footnote on the period's last quarter and that quarter has no table
    with (run / "events.csv").open("a", newline="", encoding="utf-8") as f:
        csv.writer(f).writerow(["C3", "扣分", f"2015-01-05T09:00:00{tz}", "assessment", "水务局", "供水",
                                "promise-broken", "", "", "", "0.5", "", ""])
    data = load_runs(folder)
    assert "2015Q1" in data[0].period_quarters() and quarter_table(data, "2015Q1")[2][("", "")]["deductions"].mean == 0.5
    html = leader_sections(folder, runs=data)[0].html
    assert "<h3>2015Q1" not in html and "<h3>2014Q4" in html
    assert "运行期结束后，排空期内另有 0.5 分扣分记入 2015Q1" in "".join(quarter_table(data, "2014Q4")[1])
    assert "运行期结束后" not in "".join(quarter_table(data, "2014Q3")[1])


def test_calendar_working_days():
    cal = RunCalendar(frozenset({datetime(2014, 10, 1).date()}), frozenset({datetime(2014, 9, 28).date()}))
    d = datetime(2014, 9, 26).date()  # Friday
    # (Fri 26, Wed 1 Oct]: Sat 27 no, Sun 28 worked, Mon 29, Tue 30, Wed 1 holiday → 3
    assert cal.working_days_between(d, datetime(2014, 10, 1).date()) == 3
    assert cal.working_days_between(d, d) == 0


def test_pooled_figures_are_means_of_replications(runs, zh):
    _, three = runs
    folder = RunFolder.load(three)
    data = load_runs(folder)
    assert [d.label for d in data] == ["000", "001", "002"]
    for q in ("2014Q3", "2014Q4"):
        _, _, pooled = quarter_table(data, q)
        singles = [quarter_table([d], q)[2] for d in data]
        for key in (("", ""), ("town", ""), ("bureau", "交通局")):
            for col in ("collected", "deductions", "reply_rate", "on_time_rate"):
                values = [s[key][col].mean for s in singles if s[key][col].mean is not None]
                assert pooled[key][col].mean == pytest.approx(statistics.fmean(values))
                assert pooled[key][col].n == len(values)
    secs = leader_sections(folder)
    assert [s.id for s in secs] == SECTION_IDS
    overdue = Tables(secs[3].html).tables
    if overdue:  # lists carry a replication column
        assert overdue[0][0][0] == "重复"
    hot = Tables(secs[4].html).tables[0]
    assert hot[0][0] == "重复" and {r[0] for r in hot[1:]} <= {"000", "001", "002"}


def test_views_in_both_languages(runs, zh):
    one, _ = runs
    folder = RunFolder.load(one)
    data = load_runs(folder)
    zh = leader_sections(folder, runs=data)
    en = leader_sections(folder, "en", runs=data)
    assert [s.id for s in zh] == [s.id for s in en] == SECTION_IDS
    assert zh[0].title == "季度统计表（按单位类型分组）" and "答复率" in zh[0].html and "小计" in zh[0].html
    assert en[0].title.startswith("Quarterly statistics table") and "reply rate" in en[0].html
    assert en[1].title == "Unit league table (by deductions per 100 forms)"


def test_run_records_unit_types_calendar_and_promise_columns(runs):
    one, _ = runs
    m = json.loads((one / "metrics.json").read_text(encoding="utf-8"))
    types = {u["id"]: u["type"] for u in yaml.safe_load((ROOT / "rules" / "units.yaml").read_text())["units"]}
    assert m["run"]["unit_types"] == types
    # National Day 2014: 1–7 Oct off (1–3 and 6–7 are weekdays), Sun 28 Sept and Sat 11 Oct worked
    cal = m["run"]["calendar"]
    assert {"2014-10-01", "2014-10-02", "2014-10-03", "2014-10-06", "2014-10-07"} <= set(cal["holidays"])
    assert {"2014-09-28", "2014-10-11"} <= set(cal["workdays"])
    rows = _cases(one)
    kept = sum(r["promise_kept"] == "1" for r in rows)
    broken = sum(r["promise_kept"] == "0" for r in rows)
    promised = sum(bool(r["promise_due"]) for r in rows)
    assert (promised, kept, broken) == (m["promises"], m["promises_kept"], m["promises_broken"])
    assert promised and all(r["reply_kind"] == "近期解决" for r in rows if r["promise_due"])


def test_in_memory_run_records_the_same_run_record(runs, tmp_path):
    """Both paths (run_scenario + write_run, and the streamed run) record unit types and the calendar."""
    from simulator.metrics import write_run
    from simulator.runner import load_run_inputs, run_scenario

    one, _ = runs
    sc, policy, rules_dir = load_run_inputs(SHORT)
    result, metrics = run_scenario(sc, policy, rules_dir, seed=sc.seed)
    write_run(result, metrics, tmp_path / "mem", report=False)
    streamed = json.loads((one / "metrics.json").read_text(encoding="utf-8"))["run"]
    memory = json.loads((tmp_path / "mem" / "metrics.json").read_text(encoding="utf-8"))["run"]
    assert memory["unit_types"] == streamed["unit_types"] and memory["calendar"] == streamed["calendar"]
    assert (tmp_path / "mem" / "cases.csv").read_bytes() == (one / "cases.csv").read_bytes()


def test_league_ranks_units_with_few_forms_after_the_others(runs, zh):
    """Regression (trial): the league put first a unit with 9.6 forms whose rate's interval was wider than the
    rate. Units below LEAGUE_MIN_FORMS forms come after the others (marked †); each block by points per 100."""
    from reporting.leaders import LEAGUE_MIN_FORMS

    one, _ = runs
    html = leader_sections(RunFolder.load(one))[1].html
    marked = [("<sup>†</sup>" in tr) for tr in html.split("<tr>")[2:]]
    rows = Tables(html).tables[0][1:]
    assert len(marked) == len(rows) and any(marked) and not all(marked)
    assert marked == sorted(marked)  # every marked unit after every unmarked one
    for row, few in zip(rows, marked, strict=True):
        assert (float(row[5]) < LEAGUE_MIN_FORMS) == few, row
    for block in (False, True):
        rates = [float(r[3]) for r, few in zip(rows, marked, strict=True) if few == block]
        assert rates == sorted(rates, reverse=True)


def test_rows_where_gives_the_rows_dictreader_gives(tmp_path):
    """events.csv is split with ``csv.reader`` and only the deductions and flags made into dicts: the same rows
    as ``DictReader`` filtered, with quoted commas, quotes and newlines, a blank line and a short row."""
    from reporting.leaderdata import _rows_where

    path = tmp_path / "events.csv"
    rows = [["case_id", "activity", "rule", "points"], ["C1", "扣分", 'a "b", c', "1.5"], ["C2", "收集整理", "x", ""],
            ["C3", "问责", "line\nbreak", "0"], [], ["C4", "扣分"], ["C5", "扣分x", "", "2"]]
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    with path.open(encoding="utf-8", newline="") as f:
        expected = [r for r in csv.DictReader(f) if r["activity"] in ("扣分", "问责")]
    got = list(_rows_where(path, "activity", frozenset(("扣分", "问责"))))
    assert got == expected
    assert [r["case_id"] for r in got] == ["C1", "C3", "C4"] and got[2]["points"] is None


_FIELD = st.lists(st.sampled_from(["扣分", "问责", "扣", "分", "x", ",", '"', "\n", "\r", " "]), max_size=6).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(_FIELD, min_size=0, max_size=5), max_size=12),
       activity=st.lists(st.sampled_from(["扣分", "问责", "收集整理", "扣分x", ""]), min_size=12, max_size=12),
       scan=st.sampled_from([1, 3, 7, 64, 1 << 20]), crlf=st.booleans(), last_newline=st.booleans())
def test_rows_where_scanning_bytes_gives_the_rows_dictreader_gives(tmp_path_factory, monkeypatch, rows, activity,
                                                                     scan, crlf, last_newline):
    """The byte scan (values found as UTF-8 text, a few bytes at a time so that values, characters and lines
    straddle the chunks) against ``DictReader`` filtered, on files with and without quotes, CRs and newlines in
    fields, look-alike values in other fields, short and blank rows, CRLF endings and no final newline."""
    import reporting.leaderdata as leaderdata

    monkeypatch.setattr(leaderdata, "SCAN_BYTES", scan)
    path = tmp_path_factory.mktemp("rows") / "events.csv"
    records = [["case_id", "activity", "rule", "points"]]
    records += [[f"C{k}", activity[k], *r][: 2 + len(r)] if r or k % 3 else [] for k, r in enumerate(rows)]
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\r\n" if crlf else "\n").writerows(records)
    if not last_newline:
        data = path.read_bytes()
        path.write_bytes(data.rstrip(b"\r\n") if data.count(b"\n") > 1 else data)
    with path.open(encoding="utf-8", newline="") as f:
        expected = [r for r in csv.DictReader(f) if r["activity"] in ("扣分", "问责")]
    assert list(leaderdata._rows_where(path, "activity", frozenset(("扣分", "问责")))) == expected


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(_FIELD, min_size=0, max_size=6), max_size=10), crlf=st.booleans())
def test_rows_gives_the_rows_dictreader_gives(tmp_path_factory, rows, crlf):
    """cases.csv read with ``csv.reader`` and ``dict(zip(...))``: ``DictReader``'s rows, blank, short and long
    ones included."""
    from reporting.leaderdata import _rows

    path = tmp_path_factory.mktemp("rows") / "cases.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\r\n" if crlf else "\n").writerows([["case_id", "unit", "points"], *rows])
    with path.open(encoding="utf-8", newline="") as f:
        expected = list(csv.DictReader(f))
    assert list(_rows(path)) == expected
