"""The executors: task order, Dask identical to serial, a Dask worker killed mid-sweep, missing Dask."""

from __future__ import annotations

import os
import signal
import sys
import time

import distributed  # a test dependency (the test extra): if missing these tests fail, not skip
import pytest

from sweeps.executors import (
    DASK_INSTALL_HINT,
    ExecutorError,
    LocalExecutor,
    SerialExecutor,
    get_executor,
)
from sweeps.grid import SweepFolder, plan_sweep, render_csv, run_sweep, table_rows
from sweeps.tasks import noop_task
from wenzheng.cli import main

from .sweep_helpers import REPS, SETS, Counting, make_inputs


def _square(x: int) -> int:
    time.sleep(0.01 * (x % 3))  # finish out of order
    return x * x


@pytest.fixture(scope="module")
def cluster():
    import logging

    c = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None,
                                 silence_logs=logging.ERROR)
    yield c
    c.close()


@pytest.mark.parametrize("kind", ["serial", "local", "dask"])
def test_map_keeps_task_order_and_reports_each_result_once(kind, cluster):
    ex = get_executor(kind, workers=2, scheduler=cluster.scheduler_address if kind == "dask" else None)
    seen: list[int] = []
    with ex:
        out = ex.map(_square, list(range(12)) + [5], lambda i, r: seen.append(i))
    assert out == [x * x for x in range(12)] + [25]
    assert sorted(seen) == list(range(13))


def test_missing_dask_is_exit_2_naming_the_extra(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed → ImportError
    with pytest.raises(ExecutorError, match=r"pip install -e '\.\[dask\]'"):
        get_executor("dask")
    sc, _, _ = make_inputs(tmp_path)
    assert main(["sweep", str(sc), "--executor", "dask", "--replications", "1", "--out", str(tmp_path / "o"),
                 "--quiet"]) == 2
    errtext = capsys.readouterr().err
    assert DASK_INSTALL_HINT in errtext and "Traceback" not in errtext


def test_unreachable_scheduler_fails_fast():
    t0 = time.monotonic()
    with pytest.raises(ExecutorError, match="cannot reach the Dask scheduler"):
        get_executor("dask", scheduler="tcp://127.0.0.1:9", timeout=2)
    assert time.monotonic() - t0 < 15


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    root = tmp_path_factory.mktemp("exec")
    sc, a, b = make_inputs(root)
    plan = plan_sweep([sc], SETS, [a, b], REPS)
    results, _ = run_sweep(plan, SerialExecutor(), None)
    return plan, render_csv(plan, table_rows(plan, results)), root


def test_dask_gives_the_serial_table(cluster, reference):
    plan, expected, root = reference
    ex = Counting(get_executor("dask", scheduler=cluster.scheduler_address))
    with ex:
        results, computed = run_sweep(plan, ex, SweepFolder(root / "dask"))
    assert render_csv(plan, table_rows(plan, results)) == expected
    assert computed == ex.tasks == len(plan.cells) * REPS


def test_killed_dask_worker_still_gives_the_serial_table(cluster, reference):
    """A worker process is killed (SIGKILL) after the first result: the scheduler reruns its tasks on the
    other worker; each run is taken once (runs == tasks) and the table is the serial one."""
    plan, expected, root = reference
    pids = [w.process.process.pid for w in cluster.workers.values()]
    killed: list[int] = []

    def progress(runs: int, total: int, cells: int, cells_total: int) -> None:
        if runs == 1 and not killed:
            os.kill(pids[0], signal.SIGKILL)
            killed.append(pids[0])

    ex = get_executor("dask", scheduler=cluster.scheduler_address)
    with ex:
        results, computed = run_sweep(plan, ex, SweepFolder(root / "killed"), progress)
    assert killed
    assert computed == len(plan.cells) * REPS
    assert render_csv(plan, table_rows(plan, results)) == expected


def test_local_pool_is_serial_for_one_worker():
    assert LocalExecutor(1).map(noop_task, [3, 1, 2]) == [3, 1, 2]
