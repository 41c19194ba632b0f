"""Measure sweep throughput (runs/s) on 1 and 2 local workers and a 2-worker Dask LocalCluster, and the
per-task overhead of each executor (a no-op task).  Numbers go to docs/sweeps.md.

    .venv/bin/python scripts/sweep_scaling.py [SCENARIO] [RUNS]
"""

from __future__ import annotations

import logging
import sys
import time

from sweeps.executors import DaskExecutor, LocalExecutor, SerialExecutor
from sweeps.grid import plan_sweep, run_sweep
from sweeps.tasks import noop_task


def main() -> None:
    scenario = sys.argv[1] if len(sys.argv) > 1 else "scenarios/golden-week-2014.yaml"
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 16
    plan = plan_sweep([scenario], [], [], runs)
    rates = {}
    run_sweep(plan_sweep([scenario], [], [], 1), SerialExecutor(), None)  # warm: imports, first policy load
    for name, make in [("local-1", lambda: LocalExecutor(1)), ("local-2", lambda: LocalExecutor(2)), ("dask-2", lambda: DaskExecutor(2))]:
        ex = make()
        try:
            if name == "dask-2":  # workers warm: import the model once on each
                ex.map(noop_task, list(range(4)))
            t0 = time.perf_counter()
            run_sweep(plan, ex, None)
            dt = time.perf_counter() - t0
        finally:
            ex.close()
        rates[name] = runs / dt
        print(f"{name:8s} {runs} runs in {dt:6.1f} s: {runs / dt:.2f} runs/s", flush=True)
    print(f"local 2 workers: {rates['local-2'] / rates['local-1']:.2f}× one worker; "
          f"dask 2 workers: {rates['dask-2'] / rates['local-1']:.2f}×")
    n = 400
    for name, make in [("local-2", lambda: LocalExecutor(2)), ("dask-2", lambda: DaskExecutor(2))]:
        ex = make()
        try:
            ex.map(noop_task, list(range(4)))
            t0 = time.perf_counter()
            ex.map(noop_task, list(range(1000, 1000 + n)))
            dt = time.perf_counter() - t0
        finally:
            ex.close()
        print(f"{name:8s} no-op task overhead: {1000 * dt / n:.2f} ms per task ({n} tasks)", flush=True)


if __name__ == "__main__":
    logging.getLogger("distributed").setLevel(logging.ERROR)
    main()
