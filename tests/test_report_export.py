"""The HTML report in a real browser, and the event-log export in a process-mining tool."""

from __future__ import annotations

import os
import re
import subprocess
import warnings
from pathlib import Path

import pytest

from reporting.folder import RunFolder
from reporting.page import write_report
from reporting.quarterly import chromium
from simulator import load_run_inputs, run_scenario, write_run
from simulator.export import COLUMNS, FIVE_STEPS, export_log
from wenzheng.cli import main

from .conftest import DATA

CHROMIUM = chromium()  # the one look-up the PDF report uses too


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    sc, policy, rules = load_run_inputs(DATA / "short.yaml")
    result, metrics = run_scenario(sc, policy, rules)
    out = write_run(result, metrics, tmp_path_factory.mktemp("run") / "short")
    write_report(RunFolder.load(out), "zh")
    return out


def test_report_is_self_contained(run_dir):
    text = (run_dir / "report.html").read_text(encoding="utf-8")
    assert text.count("<svg") == 3
    assert not re.search(r"""(src|href)=["']https?://""", text), "the report must not load anything from the network"
    for heading in ("收集", "转办", "答复", "按时", "逾期", "督办", "扣分", "单位排名", "答复率", "图表"):
        assert heading in text
    assert '<html lang="zh-CN">' in text


def _chromium(*args: str, profile: Path) -> str:
    cmd = [CHROMIUM or "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True).stdout


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (Debian package 'chromium'; .ci/run installs "
                                             "it): the browser rendering test needs it")
def test_report_renders_every_plot_in_chromium(run_dir, tmp_path):
    url = (run_dir / "report.html").resolve().as_uri()
    dom = _chromium("--virtual-time-budget=5000", "--dump-dom", url, profile=tmp_path / "p1")
    expected = re.search(r'data-plots-expected="(\d+)"', dom)
    rendered = re.search(r'data-plots-rendered="(\d+)"', dom)
    assert expected and rendered, "the report's check script did not run"
    assert int(rendered.group(1)) == int(expected.group(1)) == 3
    shot_dir = Path(os.environ.get("WENZHENG_TEST_OUTPUT", tmp_path))
    shot_dir.mkdir(parents=True, exist_ok=True)
    shot = shot_dir / "report.png"
    _chromium("--window-size=1200,2400", f"--screenshot={shot}", url, profile=tmp_path / "p2")
    assert shot.stat().st_size > 20_000


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (Debian package 'chromium'; .ci/run installs "
                                             "it): the browser rendering test needs it")
def test_replicated_report_renders_in_chromium(tmp_path):
    """The summary page of a replicated run (Chinese, the default) and one replication's page draw every plot;
    a screenshot of the summary goes to $WENZHENG_TEST_OUTPUT/report-replications.png."""
    out = tmp_path / "reps"
    assert main(["--lang", "zh", "run", str(DATA / "short.yaml"), "--replications", "3", "--quiet",
                 "--out", str(out)]) == 0
    for page in (out / "report.html", out / "001" / "report.html"):
        dom = _chromium("--virtual-time-budget=5000", "--dump-dom", page.resolve().as_uri(),
                        profile=tmp_path / f"d{page.parent.name}")
        rendered = re.search(r'data-plots-rendered="(\d+)"', dom)
        assert rendered and int(rendered.group(1)) == 3, page
    shot_dir = Path(os.environ.get("WENZHENG_TEST_OUTPUT", tmp_path))
    shot_dir.mkdir(parents=True, exist_ok=True)
    shot = shot_dir / "report-replications.png"
    _chromium("--window-size=1200,2400", f"--screenshot={shot}", (out / "report.html").resolve().as_uri(),
              profile=tmp_path / "shot")
    assert shot.stat().st_size > 20_000


def test_replications_report(tmp_path):
    """Regression: the summary report drew the first replication only and linked none of them."""
    out = tmp_path / "reps"
    assert main(["run", str(DATA / "short.yaml"), "--replications", "2", "--quiet", "--out", str(out)]) == 0
    text = (out / "report.html").read_text(encoding="utf-8")
    assert "Means of 2 independent replications" in text and text.count("<svg") == 3
    assert "the plots pool the data of every replication" in text
    for rep in ("000", "001"):
        page = (out / rep / "report.html").read_text(encoding="utf-8")
        assert f'href="{rep}/report.html"' in text and page.count("<svg") == 3
        assert 'href="../report.html"' in page


def test_csv_export_columns(run_dir, tmp_path):
    out = export_log(run_dir, "csv", tmp_path / "log.csv")
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == ",".join(COLUMNS)
    assert len(lines) - 1 == len((run_dir / "events.csv").read_text(encoding="utf-8").splitlines()) - 1


def test_export_errors(tmp_path, capsys):
    assert main(["export", str(tmp_path)]) == 2
    assert "no events.csv" in capsys.readouterr().err
    assert main(["--lang", "zh", "export", str(tmp_path)]) == 2
    assert "没有 events.csv" in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["xes", "parquet", "csv"])
def test_pm4py_discovers_the_five_steps(run_dir, tmp_path, fmt):
    pm4py = pytest.importorskip("pm4py", reason="pm4py is a test-only dependency (pip install -e '.[test]')")
    path = export_log(run_dir, fmt, tmp_path / f"log.{fmt}", steps_only=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if fmt == "xes":
            log = pm4py.read_xes(str(path))
        else:
            import pandas as pd

            df = pd.read_parquet(path) if fmt == "parquet" else pd.read_csv(path)
            df["time:timestamp"] = pd.to_datetime(df["time:timestamp"], utc=True)
            log = pm4py.format_dataframe(df, case_id="case:concept:name", activity_key="concept:name",
                                         timestamp_key="time:timestamp")
        net, _, _ = pm4py.discover_petri_net_inductive(log)
    labels = {t.label for t in net.transitions if t.label}
    assert labels == set(FIVE_STEPS)
