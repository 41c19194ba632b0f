"""``map_in_order(meanwhile=...)``: the parent's own work while the workers run (wenzheng run --replications
imports the summary's statistics then, not after the pool)."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time

from simulator.pool import map_in_order


def _square_slowly(x: int) -> tuple[int, int]:
    time.sleep(0.05)
    return x * x, os.getpid()


def test_meanwhile_runs_in_a_thread_while_the_forked_workers_compute() -> None:
    seen: dict[str, object] = {}

    def meanwhile() -> None:
        seen["thread"] = threading.get_ident()
        seen["children"] = len(multiprocessing.active_children())  # every worker forked before it starts
        seen["finished"] = time.monotonic()

    results = map_in_order(_square_slowly, list(range(8)), 2, meanwhile=meanwhile)
    returned = time.monotonic()
    assert [r for r, _ in results] == [x * x for x in range(8)]  # the same results, in job order
    assert len({pid for _, pid in results} - {os.getpid()}) >= 1  # computed by the workers
    assert seen["thread"] != threading.get_ident()
    assert seen["children"] == 2
    assert isinstance(seen["finished"], float) and seen["finished"] <= returned  # done before the results return


def test_meanwhile_errors_are_dropped_and_results_kept() -> None:
    def fails() -> None:
        raise ImportError("no such module")

    assert [r for r, _ in map_in_order(_square_slowly, [1, 2, 3], 2, meanwhile=fails)] == [1, 4, 9]
