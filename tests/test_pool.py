"""simulator.pool: ``map_in_order(meanwhile=...)`` (the parent's own work while the workers run: wenzheng run
--replications imports the summary's statistics then, not after the pool) and ``both`` (the summary page's
plots drawn in a second process while the parent builds its tables)."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time

import pytest

from simulator.pool import Warm, WarmFailed, both, map_in_order


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


def _pid_and(x: int) -> tuple[int, int]:
    return os.getpid(), x + 1


def _fails() -> None:
    raise ValueError("drawing failed")


def test_both_runs_the_first_in_another_process_with_workers_and_here_without() -> None:
    import functools

    (pid, value), mine = both(functools.partial(_pid_and, 41), lambda: (os.getpid(), "tables"), 2)
    assert value == 42 and mine == (os.getpid(), "tables") and pid != os.getpid()
    (pid, value), mine = both(functools.partial(_pid_and, 1), lambda: "tables", 1)
    assert (pid, value, mine) == (os.getpid(), 2, "tables")


def test_both_raises_the_other_processes_error_here() -> None:
    with pytest.raises(ValueError, match="drawing failed"):
        both(_fails, lambda: "tables", 2)


def test_both_forks_its_worker_with_the_parent_s_objects_frozen():
    """The worker is forked inside ``gc.freeze()`` (its collections leave the parent's objects, and their shared
    pages, alone), and this process gets its objects back after the fork."""
    import gc

    from simulator.pool import both

    before = gc.get_freeze_count()
    in_child, here = both(gc.get_freeze_count, gc.get_freeze_count, 2)
    assert in_child > 1000 and here == before == gc.get_freeze_count()


def _freeze_count(_job: int) -> int:
    import gc

    return gc.get_freeze_count()


def test_map_in_order_forks_its_workers_with_the_parent_s_objects_frozen():
    import gc

    before = gc.get_freeze_count()
    assert all(n > 1000 for n in map_in_order(_freeze_count, [1, 2, 3], 2))
    assert gc.get_freeze_count() == before


def test_frozen_for_fork_inside_a_freeze_leaves_the_caller_s_freeze_alone():
    """``gc.unfreeze`` is not nested: inside the run's own freeze, leaving the block must not thaw the run."""
    import gc

    from simulator.pool import frozen_for_fork

    assert gc.get_freeze_count() == 0
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with frozen_for_fork():
            pass
        assert gc.get_freeze_count() >= frozen > 0
    finally:
        gc.unfreeze()
    with frozen_for_fork():
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0


_READY: list[int] = []  # set by _get_ready in the process that runs it


def _get_ready() -> None:
    _READY.append(os.getpid())


def _ready_pid_and_niceness() -> tuple[list[int], int]:
    return list(_READY), os.nice(0)


def test_a_warm_process_is_prepared_before_its_job_and_runs_it_for_both() -> None:
    """``Warm(prepare)`` runs ``prepare`` in its own process at once (at the lowest priority: it takes only time
    the caller's processes leave), then ``both``'s first job there: the same answer as ``both`` without it."""
    with Warm(_get_ready) as warm:
        (ready, niceness), mine = both(_ready_pid_and_niceness, lambda: "tables", 2, warm)
        assert ready == [warm._proc.pid] != [os.getpid()] and mine == "tables"
        assert niceness == 19 or os.nice(0) == 19
        with pytest.raises(RuntimeError, match="one job"):
            warm.both(_ready_pid_and_niceness, lambda: "tables")
    assert _READY == [] and not warm._proc.is_alive()
    # one worker: serial, the warm process left alone
    with Warm(_get_ready) as warm:
        assert both(_ready_pid_and_niceness, lambda: "tables", 1, warm) == (([], os.nice(0)), "tables")
        assert not warm._used


def test_a_warm_process_s_error_is_raised_here_with_its_traceback() -> None:
    with Warm(_get_ready) as warm, pytest.raises(WarmFailed, match="(?s)drawing failed.*ValueError"):
        warm.both(_fails, lambda: "tables")


def test_a_warm_process_that_vanishes_is_an_error_and_one_never_used_is_stopped() -> None:
    import signal

    with Warm(_get_ready) as warm:
        os.kill(warm._proc.pid, signal.SIGKILL)
        warm._proc.join()
        with pytest.raises((WarmFailed, OSError)):
            warm.both(_ready_pid_and_niceness, lambda: "tables")
    with Warm(lambda: time.sleep(60)) as warm:  # still preparing when closed
        pass
    assert not warm._proc.is_alive()


def _prepare_fails() -> None:
    raise ImportError("no plotting library here")


def test_a_warm_process_that_failed_to_get_ready_raises_that_with_its_job() -> None:
    """A failure while getting ready (matplotlib missing) reaches the caller with the job, with its traceback,
    as doing the job there would have raised it, not as a vanished process."""
    with Warm(_prepare_fails) as warm, pytest.raises(WarmFailed, match="(?s)ImportError: no plotting library"):
        warm.both(_ready_pid_and_niceness, lambda: "tables")
