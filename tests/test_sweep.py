"""``wenzheng sweep``: the grid, resuming, the table's numbers against direct runs, errors, the report."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from reporting.quarterly import chromium
from sweeps.executors import SerialExecutor
from sweeps.grid import SweepFolder, plan_sweep, render_csv, run_sweep, table_rows
from wenzheng.cli import main

from .sweep_helpers import REPS, SETS, Counting, make_inputs

CHROMIUM = chromium()  # the one look-up the PDF report uses too


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    """The reference: the grid run serially through the library (2 × 3 values × 2 rule sets × 3 seeds)."""
    root = tmp_path_factory.mktemp("sweep")
    sc, a, b = make_inputs(root)
    plan = plan_sweep([sc], SETS, [a, b], REPS, seed=None)
    folder = SweepFolder(root / "serial")
    ex = Counting(SerialExecutor())
    results, computed = run_sweep(plan, ex, folder)
    return {"root": root, "sc": sc, "a": a, "b": b, "plan": plan, "results": results, "computed": computed,
            "csv": render_csv(plan, table_rows(plan, results)), "tasks": ex.tasks, "folder": folder}


def _args(s, out: Path, *extra: str) -> list[str]:
    args = ["sweep", str(s["sc"]), "--rules", str(s["a"]), "--rules", str(s["b"]), "--replications", str(REPS),
            "--out", str(out), "--quiet", *extra]
    for x in SETS:
        args += ["--set", x]
    return args


def test_grid_shape(serial):
    plan = serial["plan"]
    assert len(plan.cells) == 3 * 3 * 2 and serial["tasks"] == serial["computed"] == 18 * REPS
    rows = list(csv.DictReader(io.StringIO(serial["csv"])))
    from simulator.replications import SCALAR_METRICS

    assert len(rows) == 18 * len(SCALAR_METRICS)
    assert list(rows[0]) == ["scenario", "rules", "units.default.no_reply", "desk.handover_minutes", "metric",
                             "mean", "ci_low", "ci_high", "n"]


def test_local_pool_gives_the_serial_table(serial, tmp_path):
    out = tmp_path / "local"
    assert main(_args(serial, out, "--executor", "local", "--workers", "2")) == 0
    assert (out / "sweep.csv").read_text(encoding="utf-8") == serial["csv"]


def test_rerun_computes_nothing(serial, monkeypatch, capsys):
    """The second run on the same --out asks the executor for no task at all, and writes the same table."""
    import sweeps.executors

    made: list[Counting] = []
    real = sweeps.executors.get_executor

    def counting(*a, **k):
        made.append(Counting(real(*a, **k)))
        return made[-1]

    monkeypatch.setattr(sweeps.executors, "get_executor", counting)
    out = serial["root"] / "serial"
    assert main(_args(serial, out, "--executor", "serial")) == 0
    assert made[0].tasks == 0
    assert "0 runs computed" in capsys.readouterr().out
    assert (out / "sweep.csv").read_text(encoding="utf-8") == serial["csv"]


def test_changed_rules_invalidate_only_their_cells(serial, tmp_path):
    """Editing rules B gives its cells new fingerprints: exactly those 9 cells × REPS runs are computed again."""
    root = tmp_path
    shutil.copytree(serial["root"] / "serial", root / "out")
    b2 = root / "rules-b"
    shutil.copytree(serial["b"], b2)
    with (b2 / "deadlines.yaml").open("a", encoding="utf-8") as f:
        f.write("# an edit\n")
    plan = plan_sweep([serial["sc"]], SETS, [serial["a"], b2], REPS)
    ex = Counting(SerialExecutor())
    _, computed = run_sweep(plan, ex, SweepFolder(root / "out"))
    assert ex.tasks == computed == 9 * REPS
    # a scenario edit (even a comment) gives every cell a new fingerprint
    sc2 = serial["sc"].parent / "mini-edited.yaml"
    sc2.write_text(serial["sc"].read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    try:
        edited = plan_sweep([sc2], SETS, [serial["a"], b2], REPS)
    finally:
        sc2.unlink()
    assert not {c.fingerprint for c in edited.cells} & {c.fingerprint for c in plan.cells}


def _direct(sc_path, rules, overrides, seeds):
    """The cell's per-seed metrics computed without sweeps: load_run_inputs + with_overrides + stream_scenario."""
    from simulator.params import with_overrides
    from simulator.runner import load_run_inputs, stream_scenario

    sc, policy, rules_dir = load_run_inputs(sc_path, rules)
    varied = with_overrides(sc, overrides)
    return [stream_scenario(varied, policy, rules_dir, seed=s).metrics for s in seeds]


@pytest.mark.parametrize("k", [0, 13])
def test_cell_mean_and_ci_equal_direct_runs(serial, k):
    from simulator.stats import mean_ci

    plan = serial["plan"]
    cell = plan.cells[k]
    rules = serial["a"] if cell.rules == str(serial["a"]) else serial["b"]
    runs = _direct(serial["sc"], rules, list(cell.overrides), list(cell.seeds))
    rows = {r["metric"]: r for r in csv.DictReader(io.StringIO(serial["csv"]))
            if r["rules"] == cell.rules and r["units.default.no_reply"] == str(cell.values[0])
            and r["desk.handover_minutes"] == str(cell.values[1])}
    for metric in ("forms", "reply_rate", "on_time_rate", "statement_2h_rate", "escalations", "deductions_total"):
        values = [float(m[metric]) for m in runs if m[metric] is not None]
        mean, lo, hi = mean_ci(values)
        r = rows[metric]
        assert float(r["mean"]) == mean and int(r["n"]) == len(values)
        assert (r["ci_low"] == "" and lo is None) or float(r["ci_low"]) == lo
        assert (r["ci_high"] == "" and hi is None) or float(r["ci_high"]) == hi


def test_common_random_numbers(serial):
    """Every cell holds the same seeds; a cell whose swept value equals the scenario's own value gives, seed by
    seed, the run of the unmodified scenario (so neighbours differ only by the parameter)."""
    from simulator.runner import load_run_inputs, stream_scenario

    plan = serial["plan"]
    assert {c.seeds for c in plan.cells} == {tuple(range(2014, 2014 + REPS))}
    for c in plan.cells:
        stored = json.loads(serial["folder"].cell_path(c.fingerprint).read_text(encoding="utf-8"))
        assert sorted(stored["seeds"]) == [str(s) for s in c.seeds]
    sc, policy, rules_dir = load_run_inputs(serial["sc"], serial["a"])
    own = (sc.units.default.no_reply, sc.desk.handover_minutes)
    same = [c for c in plan.cells if c.rules == str(serial["a"]) and c.values == own]
    assert len(same) == 1, f"the grid must contain the scenario's own values {own}"
    per_seed = serial["results"][same[0].fingerprint]
    for s in same[0].seeds:
        direct = stream_scenario(sc, policy, rules_dir, seed=s).metrics
        assert per_seed[s]["forms"] == float(direct["forms"])
        assert per_seed[s]["reply_rate"] == float(direct["reply_rate"])


def test_parquet_holds_the_csv_table(serial, tmp_path):
    import pyarrow.parquet as pq

    out = tmp_path / "p"
    assert main(_args(serial, out, "--executor", "serial")) == 0
    table = pq.read_table(out / "sweep.parquet").to_pylist()
    rows = list(csv.DictReader(io.StringIO(serial["csv"])))
    assert len(table) == len(rows)
    for t, r in zip(table, rows, strict=True):
        assert t["metric"] == r["metric"] and t["rules"] == r["rules"]
        assert t["units.default.no_reply"] == float(r["units.default.no_reply"])
        assert (t["mean"] is None and r["mean"] == "") or t["mean"] == float(r["mean"])
        assert t["n"] == int(r["n"])


def test_ctrl_c_keeps_finished_cells(serial, tmp_path, monkeypatch):
    """Interrupted after 4 runs (REPS=3: one cell done, one half done): exit 130, the finished seeds kept, a
    rerun computes only the rest."""
    import sweeps.executors

    class Interrupting(SerialExecutor):
        def map(self, fn, tasks, on_result=None):
            def cb(i, r):
                on_result(i, r)
                if i == 3:
                    raise KeyboardInterrupt
            return super().map(fn, tasks, cb)

    monkeypatch.setattr(sweeps.executors, "get_executor", lambda *a, **k: Interrupting())
    out = tmp_path / "int"
    assert main(_args(serial, out)) == 130
    cells = sorted((out / "cells").glob("*.json"))
    seeds = sorted(len(json.loads(p.read_text(encoding="utf-8"))["seeds"]) for p in cells)
    assert seeds == [1, 3]
    monkeypatch.undo()
    plan = plan_sweep([serial["sc"]], SETS, [serial["a"], serial["b"]], REPS)
    ex = Counting(SerialExecutor())
    results, _ = run_sweep(plan, ex, SweepFolder(out))
    assert ex.tasks == 18 * REPS - 4
    assert render_csv(plan, table_rows(plan, results)) == serial["csv"]


@pytest.mark.parametrize("args, message", [
    (["--set", "desk.staf=2,3"], "did you mean 'desk.staff'"),
    (["--set", "units.default.no_reply=0.1,1.5"], "less than or equal to 1"),
    (["--set", "units.default.no_reply="], "no value"),
    (["--set", "desk.staff=3", "--set", "desk.staff=4"], "swept twice"),
    (["--executor", "dask", "--scheduler", "tcp://127.0.0.1:9"], "cannot reach the Dask scheduler"),
    (["--scheduler", "tcp://127.0.0.1:9"], "--scheduler is for --executor dask"),
])
def test_bad_input_is_exit_2_without_traceback(serial, tmp_path, capsys, args, message):
    argv = ["sweep", str(serial["sc"]), "--replications", "1", "--out", str(tmp_path / "o"), "--quiet", *args]
    assert main(argv) == 2
    errtext = capsys.readouterr().err
    assert message in errtext and "Traceback" not in errtext
    assert not (tmp_path / "o").exists()


def test_foreign_folder_refused(serial, tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    assert main(_args(serial, out)) == 2
    assert "did not write" in capsys.readouterr().err
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine" and not (out / "cells").exists()


def test_other_result_kind_refused(serial, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", str(serial["sc"]), "--out", str(out), "--quiet"]) == 0
    assert main(_args(serial, out)) == 2
    assert "another kind (run)" in capsys.readouterr().err


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (Debian package 'chromium'; .ci/run installs "
                                             "it): the browser rendering test needs it")
def test_sweep_report_renders_in_chromium(serial, tmp_path):
    from sweeps.report import render_html

    plan = serial["plan"]
    text = render_html(plan, table_rows(plan, serial["results"]), "test")
    page = tmp_path / "sweep.html"
    page.write_text(text, encoding="utf-8")
    expected = int(re.search(r'data-plots-expected="(\d+)"', text).group(1))
    assert expected >= 5 and 'id="plot-reply_rate"' in text and 'id="plot-forms"' not in text  # forms: CRN
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
           "--disable-background-networking", "--disable-component-update", f"--user-data-dir={tmp_path / 'p'}",
           "--virtual-time-budget=5000", "--dump-dom", page.as_uri()]
    dom = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True).stdout
    rendered = re.search(r'data-plots-rendered="(\d+)"', dom)
    assert rendered and int(rendered.group(1)) == expected


def test_one_parameter_report_has_a_line_plot_per_metric(serial):
    from sweeps.report import render_html

    plan = plan_sweep([serial["sc"]], SETS[:1], [serial["a"], serial["b"]], 1)
    results, _ = run_sweep(plan, SerialExecutor(), None)
    text = render_html(plan, table_rows(plan, results), "one")
    assert "reply_rate against units.default.no_reply" in text
