"""The run report page (reporting/page.py, plots.py) and the files it is built from (issue 12).

Each test knows its answer independently of the code under test: counts from the run's own cases and
log, sums over replications, the files on disk.
"""

from __future__ import annotations

import csv
import json
import os
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from reporting import plots
from reporting.folder import RunFolder
from reporting.page import report_data_from_json, summary_rows, write_report
from reporting.plots import REPLY_OVERFLOW_AFTER, reply_bins, time_bins
from simulator import load_run_inputs, run_scenario, write_run
from simulator.model import COLLECT
from simulator.params import with_overrides
from simulator.stream import REPORT_DATA
from wenzheng.cli import main

from .conftest import DATA

SHORT = DATA / "short.yaml"


def _backlog(run: Path) -> list[tuple[str, int]]:
    with (run / "backlog.csv").open(encoding="utf-8", newline="") as f:
        return [(r["date"], int(r["open_forms"])) for r in csv.DictReader(f)]


@pytest.fixture(scope="module")
def short_run(tmp_path_factory) -> tuple[Any, Path]:
    sc, policy, rules = load_run_inputs(SHORT)
    result, metrics = run_scenario(sc, policy, rules)
    return result, write_run(result, metrics, tmp_path_factory.mktemp("short") / "run")


@pytest.fixture(scope="module")
def one_day(tmp_path_factory) -> tuple[Any, Path]:
    """short.yaml cut to its first day (2014-09-25, a Thursday)."""
    sc, policy, rules = load_run_inputs(SHORT)
    sc = with_overrides(sc, [("end", "2014-09-25")])
    result, metrics = run_scenario(sc, policy, rules)
    return result, write_run(result, metrics, tmp_path_factory.mktemp("day") / "run")


def _open_at_end_of(result: Any, day: date) -> int:
    """Forms issued minus forms replied by the end of ``day`` (local time), from the cases themselves."""
    cases = [c for c in result.cases if c.opened_at is not None]
    return (sum(1 for c in cases if c.opened_at.date() <= day)
            - sum(1 for c in cases if c.replied_at is not None and c.replied_at.date() <= day))


# -- backlog.csv -------------------------------------------------------------------------------------------------


def test_backlog_rows_are_dated_by_the_day_they_end(short_run):
    """Regression: the row dated 2014-04-02 was the end of 1 April (every row one day late)."""
    result, run = short_run
    rows = _backlog(run)
    assert rows[0][0] == result.start.date().isoformat()
    for d, n in rows:
        assert n == _open_at_end_of(result, date.fromisoformat(d)), d
    days = [date.fromisoformat(d) for d, _ in rows]
    assert days == [days[0] + timedelta(days=i) for i in range(len(days))], "one row per day, none missing"


def test_a_one_day_scenario_has_its_backlog_row(one_day):
    """Regression: a one-day scenario had no row for its day (the first row was dated the day after)."""
    result, run = one_day
    rows = dict(_backlog(run))
    assert "2014-09-25" in rows
    assert rows["2014-09-25"] == _open_at_end_of(result, date(2014, 9, 25))


# -- report-data.json --------------------------------------------------------------------------------------------


def test_report_data_holds_what_the_plots_need(short_run):
    result, run = short_run
    data = report_data_from_json((run / REPORT_DATA).read_text(encoding="utf-8"))
    posts = [r for r in result.log if r.activity == COLLECT]
    assert sum(data.posts_per_day.values()) == len(posts)
    assert sum(data.reply_working_days.values()) == sum(1 for c in result.cases if c.replied_at is not None)
    statements = sorted((c.statement_at - c.hot_at).total_seconds() / 60 for c in result.cases
                        if c.opened_at is not None and c.hot_at is not None and c.statement_at is not None)
    assert data.statement_minutes == pytest.approx(statements)
    assert data.posts_per_hour == {} and data.open_forms_per_hour == {}, "16 days: drawn per day"


def test_a_one_day_run_is_drawn_hourly_from_midnight(one_day):
    """Regression: the megacity-day plot was one bar over the whole day, starting at 12:00 of the day before."""
    result, run = one_day
    data = report_data_from_json((run / REPORT_DATA).read_text(encoding="utf-8"), _backlog(run))
    unit, starts, posts = time_bins(data)
    assert unit == "hour"
    assert starts == [datetime(2014, 9, 25, h) for h in range(24)]
    log = [r for r in result.log if r.activity == COLLECT]
    assert posts == [sum(1 for r in log if r.at.date() == date(2014, 9, 25) and r.at.hour == h) for h in range(24)]
    # the open forms at the end of the last hour are the backlog.csv row of that day
    ends, open_forms = plots.open_forms(data, "hour")
    assert ends[-1] == datetime(2014, 9, 26, 0, 0)
    assert open_forms[-1] == dict(_backlog(run))["2014-09-25"]
    noon = datetime(2014, 9, 25, 12, tzinfo=result.start.tzinfo)
    assert open_forms[11] == (sum(1 for c in result.cases if c.opened_at is not None and c.opened_at < noon)
                              - sum(1 for c in result.cases if c.replied_at is not None and c.replied_at < noon))


# -- the plots ---------------------------------------------------------------------------------------------------


def test_reply_times_beyond_15_working_days_share_one_overflow_bar():
    """Regression: one form replied after 139 working days stretched the axis to ~140 bars."""
    labels, counts = reply_bins({0: 2, 3: 5, 15: 1, 16: 2, 139: 1})
    assert len(labels) == len(counts) == REPLY_OVERFLOW_AFTER + 2
    assert labels[-1] == ">15" and labels[0] == "0" and labels[15] == "15"
    assert counts[0] == 2 and counts[3] == 5 and counts[15] == 1 and counts[-1] == 3
    assert sum(counts) == 11


@pytest.fixture()
def drawn(monkeypatch) -> list[Any]:
    """The matplotlib figures the page draws, kept instead of turned into SVG."""
    figures: list[Any] = []

    def keep(plt: Any, fig: Any) -> str:
        figures.append(fig)
        return "<svg></svg>"

    monkeypatch.setattr(plots, "_svg", keep)
    yield figures
    import matplotlib.pyplot as plt

    for fig in figures:
        plt.close(fig)


def test_count_axes_have_integer_ticks(one_day, drawn):
    """Regression: fractional y-ticks (0.5 forms) on plots of counts."""
    _, run = one_day
    data = report_data_from_json((run / REPORT_DATA).read_text(encoding="utf-8"), _backlog(run))
    plots.draw_plots([data])
    assert len(drawn) == 3
    for fig in drawn:
        for ax in fig.axes:
            ticks = ax.get_yticks()
            assert len(ticks) >= 2 and all(float(v).is_integer() for v in ticks), (fig.axes[0].get_title(), ticks)


def test_the_overflow_bars_are_named_in_the_legend(short_run, drawn):
    """Regression (trial): the last, purple bar of the pooled histograms (">240") was in no legend."""
    _, run = short_run
    data = report_data_from_json((run / REPORT_DATA).read_text(encoding="utf-8"), _backlog(run))
    plots.draw_plots([data])
    _, reply, statement = drawn
    for fig, text in ((reply, f"more than {REPLY_OVERFLOW_AFTER} working days"),
                      (statement, f"more than {plots.STATEMENT_OVERFLOW_AFTER} minutes")):
        ax = fig.axes[0]
        legend = ax.get_legend()
        entries = [x.get_text() for x in legend.get_texts()]
        assert any(text in e for e in entries), entries
        last_bar = ax.patches[-1].get_facecolor()
        handle = legend.legend_handles[entries.index(next(e for e in entries if text in e))]
        assert handle.get_facecolor() == last_bar  # the entry has the overflow bar's colour


def _bins(ax):
    """(posts per bin, bin edges as matplotlib date numbers) of the volume plot's one step patch."""
    (step,) = ax.patches
    data = step.get_data()
    return list(data.values), list(data.edges)


def test_a_one_day_plot_spans_that_day_and_shows_the_backlog_line(one_day, drawn):
    import matplotlib.dates as mdates

    _, run = one_day
    data = report_data_from_json((run / REPORT_DATA).read_text(encoding="utf-8"), _backlog(run))
    plots.draw_plots([data])
    ax = drawn[0].axes[0]
    lo, hi = (mdates.num2date(x).replace(tzinfo=None) for x in ax.get_xlim())
    assert (lo, hi) == (datetime(2014, 9, 25), datetime(2014, 9, 26))
    values, edges = _bins(ax)
    assert len(values) == 24 and mdates.num2date(edges[0]).replace(tzinfo=None) == datetime(2014, 9, 25)
    assert mdates.num2date(edges[-1]).replace(tzinfo=None) == datetime(2014, 9, 26)
    line = drawn[0].axes[1].get_lines()[0]
    assert len(line.get_ydata()) == 24 and line.get_ydata()[-1] == dict(_backlog(run))["2014-09-25"]


@pytest.fixture(scope="module")
def replicated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("reps") / "r"
    assert main(["run", str(SHORT), "--replications", "3", "--quiet", "--out", str(out)]) == 0
    return out


def test_every_plot_pools_all_replications(replicated, drawn):
    """Regression: the replicated report drew the first replication only."""
    from reporting.page import load_report_data

    folder = RunFolder.load(replicated)
    plots.draw_plots([load_report_data(r) for r in folder.runs])
    reps = [json.loads((r / "metrics.json").read_text(encoding="utf-8")) for r in folder.runs]
    volume, reply, statement = drawn
    assert sum(p.get_height() for p in reply.axes[0].patches) == sum(r["replied"] for r in reps)
    assert sum(p.get_height() for p in statement.axes[0].patches) == sum(
        len(report_data_from_json((r / REPORT_DATA).read_text(encoding="utf-8")).statement_minutes)
        for r in folder.runs)
    # posts: the mean over replications, per day
    per_day = [report_data_from_json((r / REPORT_DATA).read_text(encoding="utf-8")).posts_per_day for r in folder.runs]
    assert sum(_bins(volume.axes[0])[0]) == pytest.approx(
        sum(sum(d.values()) for d in per_day) / 3)
    assert len(volume.axes[1].collections) == 1, "the band of the open forms over replications"


def test_each_replication_has_its_report_linked_from_the_summary(replicated):
    top = (replicated / "report.html").read_text(encoding="utf-8")
    links = re.findall(r'<a href="(\d{3}/report\.html)">', top)
    assert links == ["000/report.html", "001/report.html", "002/report.html"]
    # regression (trial): links read 第 1 次 … while folders are 000 … and export --replication takes 0 …
    texts = re.findall(r'<a href="\d{3}/report\.html">(.*?)</a>', top)
    assert [x.split(" ")[1] if " " in x else x for x in texts] == ["000", "001", "002"], texts
    for link in links:
        page = (replicated / link).read_text(encoding="utf-8")
        assert '<a href="../report.html">' in page and page.count("<svg") == 3


def test_the_summary_shows_every_row_of_the_cli_summary(replicated):
    """Regression: the report's summary left out the reply deadline and the rejected/duplicate payloads."""
    m = json.loads((replicated / "metrics.json").read_text(encoding="utf-8"))
    rows = dict((label, (value, ci)) for label, value, ci in summary_rows(m))
    assert len(rows) == 15  # print_summary's rows (wenzheng/cli.py)
    value, ci = rows["reply deadline, mean (calendar days)"]
    assert value == f"{m['reply_deadline_calendar_days_mean']:.1f}" and ci.startswith("[")
    value, _ = rows["payloads rejected / duplicates"]
    assert value == f"{m['payloads_rejected']:.1f} / {m['payloads_duplicate']:.1f}"
    page = (replicated / "report.html").read_text(encoding="utf-8")
    assert "reply deadline, mean (calendar days)" in page and "payloads rejected / duplicates" in page


def test_a_report_rebuilt_from_the_folder_is_the_page_the_run_wrote(replicated, tmp_path):
    before = {p: p.read_bytes() for p in replicated.rglob("report.html")}
    written = write_report(RunFolder.load(replicated), "en")
    assert sorted(written.pages) == sorted(before)
    assert all(p.read_bytes() == b for p, b in before.items())


# -- languages and fonts -----------------------------------------------------------------------------------------


def test_the_report_is_chinese_by_default_and_english_on_request(zh, tmp_path):
    assert main(["run", str(SHORT), "--quiet", "--out", str(tmp_path / "zh")]) == 0
    assert main(["run", str(SHORT), "--quiet", "--out", str(tmp_path / "en"), "--lang", "en"]) == 0
    zh_page = (tmp_path / "zh" / "report.html").read_text(encoding="utf-8")
    en_page = (tmp_path / "en" / "report.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in zh_page and "问政模拟报告" in zh_page and "按时答复率" in zh_page
    assert "每日帖子数与未办结反馈单" in zh_page and "答复用时与 5 个工作日时限" in zh_page
    assert '<html lang="en">' in en_page and "wenzheng simulation report" in en_page
    assert "Posts per day and open forms" in en_page and "按时答复率" not in en_page


def test_plot_text_is_drawn_as_outlines_with_a_cjk_font(short_run):
    """The page renders the same without the font: no <text> in the SVGs, glyphs as paths; the font is found."""
    _, run = short_run
    write_report(RunFolder.load(run), "zh")
    page = (run / "report.html").read_text(encoding="utf-8")
    svgs = re.findall(r"<svg.*?</svg>", page, re.S)
    assert len(svgs) == 3 and not any("<text" in s for s in svgs)
    assert plots.cjk_font() is not None, "a CJK font is installed here (.ci/run installs fonts-wqy-zenhei)"


def test_without_a_cjk_font_the_report_is_written_with_a_warning(short_run, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(plots, "cjk_font", lambda: None)
    monkeypatch.setattr("reporting.page.cjk_font", lambda: None)
    _, run = short_run
    written = write_report(RunFolder.load(run), "zh")
    assert written.pages == [run / "report.html"] and "fonts-wqy-zenhei" in written.warnings[0]
    assert write_report(RunFolder.load(run), "en").warnings == [], "no Chinese in English plots"
    assert main(["run", str(SHORT), "--quiet", "--out", str(tmp_path / "r"), "--lang", "zh"]) == 0
    assert "未找到中文字体" in capsys.readouterr().err
    assert (tmp_path / "r" / "report.html").is_file()


# -- the run's closing line, export, folder modes ---------------------------------------------------------------


def test_the_closing_line_lists_only_files_that_exist_where_it_says(replicated, tmp_path, capsys):
    """Regression: a replicated run's closing line listed events.csv, cases.csv, backlog.csv at the top."""
    out = tmp_path / "r"
    assert main(["run", str(SHORT), "--replications", "2", "--quiet", "--out", str(out)]) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    m = re.fullmatch(r"results in (.+)/ \((.+)\); one folder per replication, 000/ to 001/ \(2, each with (.+)\)",
                     line)
    assert m, line
    top = m.group(2).split(", ")
    assert "events.csv" not in top and all((out / f).is_file() for f in top)
    assert set(top) == {"metrics.json", "replications.json", "report.html"}
    for rep in ("000", "001"):
        assert all((out / rep / f).is_file() for f in m.group(3).split(", "))
    assert main(["run", str(SHORT), "--quiet", "--out", str(tmp_path / "one")]) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    files = re.fullmatch(r"results in .+/ \((.+)\)", line).group(1).split(", ")  # type: ignore[union-attr]
    assert set(files) == {"metrics.json", "events.csv", "cases.csv", "backlog.csv", "report-data.json",
                          "report.html"}


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_export_understands_a_replicated_runs_top_folder(replicated, tmp_path, capsys):
    """Regression: ``wenzheng export RUN_DIR`` failed on a replicated run's top folder."""
    out = tmp_path / "all.csv"
    assert main(["export", str(replicated), "--out", str(out)]) == 0
    assert "3 replications" in capsys.readouterr().out
    rows = _csv_rows(out)
    per_rep = {rep: _csv_rows(replicated / rep / "events.csv") for rep in ("000", "001", "002")}
    assert len(rows) == sum(len(v) for v in per_rep.values())
    for rep, events in per_rep.items():
        mine = [r for r in rows if r["replication"] == rep]
        assert len(mine) == len(events)
        assert {r["case:concept:name"] for r in mine} == {f"{rep}/{e['case_id']}" for e in events}
    # one replication: the same file as exporting its own folder
    capsys.readouterr()
    assert main(["export", str(replicated), "--replication", "1", "--out", str(tmp_path / "one.csv")]) == 0
    assert "(replication 001 only)" in capsys.readouterr().out  # (trial: the message did not say which)
    assert main(["export", str(replicated / "001"), "--out", str(tmp_path / "direct.csv")]) == 0
    assert (tmp_path / "one.csv").read_bytes() == (tmp_path / "direct.csv").read_bytes()
    # and again over its own earlier output: recognised as ours, replaced without --force
    assert main(["export", str(replicated), "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["export", str(replicated), "--replication", "7", "--out", str(tmp_path / "x.csv")]) == 2
    assert "no replication 7; choose 0 to 2" in capsys.readouterr().err


def test_parquet_hint_fits_a_source_checkout(short_run, tmp_path, monkeypatch):
    import sys

    from simulator.export import ExportError, export_log

    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow raises ImportError
    _, run = short_run
    with pytest.raises(ExportError, match=re.escape("pip install -e '.[parquet]'")):
        export_log(run, "parquet", tmp_path / "x.parquet")
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert "pip install -e '.[parquet]'" in readme


def test_report_files_are_readable_by_the_group(tmp_path):
    """Result folders and files follow the umask (regression: 0700 folders), the report pages included."""
    old = os.umask(0o027)
    try:
        assert main(["run", str(SHORT), "--replications", "2", "--quiet", "--out", str(tmp_path / "r")]) == 0
    finally:
        os.umask(old)
    for p in (tmp_path / "r", tmp_path / "r" / "001"):
        assert p.stat().st_mode & 0o777 == 0o750, p
    for p in (tmp_path / "r" / "report.html", tmp_path / "r" / "001" / "report.html",
              tmp_path / "r" / "001" / REPORT_DATA):
        assert p.stat().st_mode & 0o777 == 0o640, p


def test_a_multi_day_plot_spans_the_period_with_daily_bars_from_midnight(short_run, drawn):
    import matplotlib.dates as mdates

    result, run = short_run
    data = report_data_from_json((run / REPORT_DATA).read_text(encoding="utf-8"), _backlog(run))
    plots.draw_plots([data])
    ax = drawn[0].axes[0]
    first, last = result.start.date(), (result.end - timedelta(days=1)).date()
    lo, hi = (mdates.num2date(x).replace(tzinfo=None) for x in ax.get_xlim())
    assert (lo, hi) == (datetime.combine(first, datetime.min.time()),
                        datetime.combine(last + timedelta(days=1), datetime.min.time()))
    values, edges = _bins(ax)
    assert len(values) == (last - first).days + 1 == len(edges) - 1
    assert mdates.num2date(edges[0]).replace(tzinfo=None) == datetime.combine(first, datetime.min.time())
    assert all(b - a == pytest.approx(1.0) for a, b in zip(edges, edges[1:], strict=False))  # one bin a day
    # the open-forms line: backlog.csv's rows of the period, each drawn at the end of its day
    line = drawn[0].axes[1].get_lines()[0]
    rows = [(d, n) for d, n in _backlog(run) if first.isoformat() <= d <= last.isoformat()]
    assert list(line.get_ydata()) == [n for _, n in rows]


def test_xes_export_of_a_replicated_run_keeps_replications_apart(replicated, tmp_path):
    from defusedxml import ElementTree

    from simulator.export import export_log

    path = export_log(replicated, "xes", tmp_path / "all.xes")
    ns = {"x": "http://www.xes-standard.org/"}
    traces = ElementTree.parse(path).getroot().findall("x:trace", ns)
    names = [t.find("x:string[@key='concept:name']", ns).get("value") for t in traces]
    reps = [t.find("x:string[@key='replication']", ns).get("value") for t in traces]
    assert len(names) == len(set(names)), "no case id shared between replications"
    assert all(n.startswith(r + "/") for n, r in zip(names, reps, strict=True))
    assert set(reps) == {"000", "001", "002"}


def test_the_summary_pages_tables_are_the_leaders_views_of_the_folder(replicated):
    """The summary page pools the data its replication pages read (each replication's files read once); its
    tables equal the leaders' views computed afresh from the folder's files, replication labels included."""
    from reporting.leaders import leader_sections

    top = (replicated / "report.html").read_text(encoding="utf-8")
    sections = leader_sections(RunFolder.load(replicated), "en")
    assert len(sections) == 9 and "<td>001</td>" in "".join(s.html for s in sections)
    for section in sections:
        assert section.html in top, section.id


# -- the pages drawn cheaply: pipelined in the replications' workers, figures reused (issue 10) -----------------


def test_pages_drawn_in_the_replications_workers_are_the_pages_a_rebuild_writes(tmp_path, monkeypatch):
    """``wenzheng run --replications`` draws each replication's page in the worker that ran it, right after it
    (``run_replications_then``), and only the summary page at the end: byte for byte the pages a rebuild from
    the folder's files writes.  Serial here, so the rebuild's own page drawing can be forbidden during the run
    (the parallel run is ``test_a_report_rebuilt_from_the_folder_is_the_page_the_run_wrote``)."""
    import reporting.page as page

    def not_during_the_run(job):
        raise AssertionError(f"a replication's page drawn again after the run: {job}")

    monkeypatch.setattr(page, "_replication_page", not_during_the_run)
    out = tmp_path / "r"
    assert main(["run", str(SHORT), "--replications", "3", "--workers", "1", "--quiet", "--out", str(out)]) == 0
    monkeypatch.undo()
    before = {p: p.read_bytes() for p in out.rglob("report.html")}
    assert len(before) == 4
    written = write_report(RunFolder.load(out), workers=2)
    assert sorted(written.pages) == sorted(before)
    for p, b in before.items():
        assert p.read_bytes() == b, p


def test_run_replications_then_calls_then_on_each_folder_in_its_worker(tmp_path):
    """``then`` runs once per replication on its written folder, in a worker process when there are several;
    its results come back in replication order with each replication's metrics."""
    import functools

    from simulator.replications import run_replications, run_replications_then

    done = run_replications_then(str(SHORT), None, 7, 3, 2, tmp_path, functools.partial(_folder_seed_pid))
    assert [m["run"]["seed"] for m, _ in done] == [7, 8, 9]
    assert [(folder, seed) for _, (folder, seed, _) in done] == [(f"{i:03d}", 7 + i) for i in range(3)]
    assert all(pid != os.getpid() for _, (_, _, pid) in done), "drawn in the workers"
    assert [m for m, _ in done] == run_replications(str(SHORT), None, 7, 3, 1, None)


def _folder_seed_pid(folder: Path) -> tuple[str, int, int]:
    return folder.name, json.loads((folder / "metrics.json").read_text(encoding="utf-8"))["run"]["seed"], os.getpid()


def test_a_reused_figure_draws_the_bytes_of_a_new_one(short_run, one_day, replicated):
    """The plots reuse one figure per kind in a process (axes and ticks kept, everything else drawn anew): after
    any sequence of other plots, each plot's SVG is byte for byte that of a new figure.  The sequence mixes daily
    and hourly periods, one run and pooled runs, no statements, no replies and no backlog, in both languages."""
    from dataclasses import replace

    from engine.i18n import lang_scope
    from reporting.page import load_report_data

    daily, hourly = load_report_data(short_run[1]), load_report_data(one_day[1])
    reps = [load_report_data(r) for r in RunFolder.load(replicated).runs]
    bare = replace(daily, statement_minutes=[], reply_working_days={}, backlog=[])
    sequence = [[daily], reps, [hourly], [bare], [reps[1]], [hourly, hourly], [bare, daily], [daily]]

    def draw(reuse: bool) -> list[list[Any]]:
        plots.REUSE_FIGURES = reuse
        plots._FIGURES.clear()
        try:
            out = []
            for lang in ("zh", "en"):
                with lang_scope(lang):
                    out.extend(plots.draw_plots(runs) for runs in sequence)
            return out
        finally:
            plots.REUSE_FIGURES = True
            plots._FIGURES.clear()

    new, reused = draw(False), draw(True)
    assert len(new) == 2 * len(sequence)
    for i, (a, b) in enumerate(zip(new, reused, strict=True)):
        assert [p.id for p in a] == [p.id for p in b]
        for p, q in zip(a, b, strict=True):
            assert p == q, (i, p.id)


def test_plots_reuse_their_figures():
    """The figure of a kind is drawn again, not rebuilt (what makes the pages cheaper)."""
    plots._setup()
    first = plots._figure(plots._NARROW, ("test",))
    assert plots._figure(plots._NARROW, ("test",))[0] is first[0]
    assert plots._figure(plots._NARROW, ("other",))[0] is not first[0]
    plots._FIGURES.clear()


def _plots_with_pid(record: Path, real, runs):
    record.write_text(str(os.getpid()), encoding="utf-8")
    return real(runs)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_single_run_s_plots_drawn_beside_its_tables_are_the_serial_page(short_run, monkeypatch, tmp_path, lang):
    """With two workers a single run's plots are drawn in a second process while the tables are built: the
    same page, byte for byte, as drawing both in turn."""
    import functools

    import reporting.page as page

    _, run = short_run
    write_report(RunFolder.load(run), lang, workers=1)
    serial = (run / "report.html").read_bytes()
    (run / "report.html").unlink()
    record = tmp_path / "pid"
    monkeypatch.setattr(page, "draw_plots", functools.partial(_plots_with_pid, record, page.draw_plots))
    write_report(RunFolder.load(run), lang, workers=2)
    assert (run / "report.html").read_bytes() == serial
    assert int(record.read_text(encoding="utf-8")) != os.getpid(), "drawn in a second process"
    # drawn by the process made ready ahead (wenzheng run starts it before simulating)
    (run / "report.html").unlink()
    record.unlink()
    with page.plotter() as warm:
        write_report(RunFolder.load(run), lang, workers=2, warm=warm)
        drawn_by = int(record.read_text(encoding="utf-8"))
        assert drawn_by == warm._proc.pid != os.getpid()
    assert (run / "report.html").read_bytes() == serial


@pytest.mark.parametrize("workers, imported", [("2", False), ("1", True)])
def test_a_single_run_s_process_leaves_matplotlib_to_its_plotting_process(tmp_path, workers, imported):
    """With a second process the run's own never imports matplotlib (the plots and the font check are drawn
    there): its report costs it only the tables."""
    import subprocess
    import sys

    code = ("import sys\nfrom wenzheng.cli import main\n"
            f"assert main(['run', {str(SHORT)!r}, '--out', {str(tmp_path / 'r')!r}, '--quiet', '--workers', {workers!r}]) == 0\n"
            "print('matplotlib' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert proc.stdout.strip().splitlines()[-1] == str(imported)
    assert (tmp_path / "r" / "report.html").is_file()


def test_a_single_run_draws_its_plots_in_the_process_made_ready_while_it_simulated(tmp_path, monkeypatch):
    """``wenzheng run`` (one run, a second CPU) starts the plotting process before simulating and the report
    uses it; with --workers 1 or replications it does not."""
    import reporting.page as page
    from simulator.ahead import second_core
    from wenzheng.cli import main

    if not second_core():
        pytest.skip("needs a second core and fork")
    made: list[object] = []
    used: list[object] = []
    real_plotter, real_write = page.plotter, page.write_report

    def plotter():
        made.append(real_plotter())
        return made[-1]

    def write_report(*args, **kwargs):
        used.append(kwargs.get("warm"))
        return real_write(*args, **kwargs)

    monkeypatch.setattr(page, "plotter", plotter)
    monkeypatch.setattr(page, "write_report", write_report)
    assert main(["run", str(SHORT), "--out", str(tmp_path / "a"), "--quiet"]) == 0
    assert len(made) == 1 and used == made
    assert not made[0]._proc.is_alive()  # stopped with the run
    assert main(["run", str(SHORT), "--out", str(tmp_path / "b"), "--quiet", "--workers", "1"]) == 0
    assert main(["run", str(SHORT), "--out", str(tmp_path / "c"), "--quiet", "--replications", "2"]) == 0
    assert len(made) == 1 and used[1:] == [None, None]
