"""Run independent jobs in order, serially or on a local process pool.

Replications, policy comparisons and sensitivity runs are all "the same pure
function over a list of seeded jobs"; results come back in job order, so a
run on N workers is identical to a serial one.  One place for it, so that
interruption is handled the same way everywhere (and a later executor, such
as a Dask cluster, slots in here).
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import signal
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

__all__ = ["map_in_order", "both", "frozen_for_fork", "usable_cpus", "Warm"]

J = TypeVar("J")
R = TypeVar("R")
A = TypeVar("A")


def map_in_order(fn: Callable[[J], R], jobs: Sequence[J], workers: int,
                 progress: Callable[[int], None] | None = None,
                 meanwhile: Callable[[], object] | None = None) -> list[R]:
    """``[fn(j) for j in jobs]``, on ``workers`` processes when more than one; ``progress(done)`` after each.

    ``meanwhile``: work of this process that does not depend on the results (e.g. importing what their
    summary needs), run in a thread while the workers compute, once every worker has been forked (nothing it
    imports or holds reaches them); finished before the results are returned.  It may not run at all (one
    worker, one job, or an interruption) and its errors are dropped: whoever needs what it prepares does the
    work again and meets the error there.
    """
    results: list[R] = []
    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            results.append(fn(job))
            if progress:
                progress(len(results))
        return results
    pool = ProcessPoolExecutor(max_workers=workers)
    helper: threading.Thread | None = None
    try:
        # map() submits every job at once, and a fork-based pool forks all its workers at the first
        # submission: after this line no process is forked, so a thread is safe
        with frozen_for_fork():
            ordered = pool.map(fn, jobs)
        if meanwhile is not None:
            helper = threading.Thread(target=_quietly, args=(meanwhile,), name="wenzheng-meanwhile", daemon=True)
            helper.start()
        for r in ordered:
            results.append(r)
            if progress:
                progress(len(results))
        if helper is not None:
            helper.join()
    except BaseException:
        # Ctrl-C, SIGTERM or a failed job: drop the queued ones and wait only for those running, so that no
        # worker writes into an output folder after the caller has removed it
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown()
    return results


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity where the system says, else the machine's)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


@contextlib.contextmanager
def frozen_for_fork() -> Iterator[None]:
    """Fork inside: what exists is moved out of the collector's reach first (``gc.freeze``, as the ``gc``
    documentation advises before a fork), so that a collection in the child does not write into every object's
    header and copy the parent's whole heap page by page (a run's report worker, forked from a megacity day,
    made 124 MB of the parent's pages its own that way); this process takes them back after the fork, unless
    a caller had frozen them already (``gc.unfreeze`` is not nested: it would thaw the caller's objects too;
    they are thawed with the caller's)."""
    was_frozen = gc.get_freeze_count() > 0
    gc.freeze()
    try:
        yield
    finally:
        if not was_frozen:
            gc.unfreeze()


def _quietly(work: Callable[[], object]) -> None:
    try:
        work()
    except Exception:  # noqa: BLE001 - see map_in_order: the caller meets the error when it does the work itself
        pass


def both(elsewhere: Callable[[], A], here: Callable[[], R], workers: int, warm: Warm | None = None) -> tuple[A, R]:
    """``(elsewhere(), here())``: with more than one worker, ``elsewhere`` runs in a forked process while
    ``here`` runs in this one (both on the machine's cores); serially otherwise.  ``elsewhere`` and what it
    returns must be picklable; an error in either is raised here, the other finished or cancelled first.
    ``warm``: a process made ready ahead runs ``elsewhere`` (instead of one forked now)."""
    if workers <= 1:
        return elsewhere(), here()
    if warm is not None:
        return warm.both(elsewhere, here)
    pool = ProcessPoolExecutor(max_workers=1)
    try:
        with frozen_for_fork():
            future = pool.submit(elsewhere)  # the fork-based pool forks its worker here
        mine = here()
        return future.result(), mine
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        pool.shutdown()


class WarmFailed(RuntimeError):
    """The job failed in the process made ready ahead (its traceback in the message), or the process is gone."""


def _serve(prepare: Callable[[], object], conn: Any, theirs: Any) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the caller handles Ctrl-C and stops this process
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the caller's handler (it cleans up the caller's files)
    theirs.close()
    with contextlib.suppress(OSError):  # only the time the caller's processes leave: it must not slow them
        os.nice(19)
    failed = None
    try:
        prepare()
    except BaseException:  # noqa: BLE001 - the caller meets it with its job, as it would without this process
        failed = traceback.format_exc()
    try:
        job = conn.recv()
    except EOFError:  # closed without a job
        return
    if failed is None:
        try:
            answer = (True, job())
        except BaseException:  # noqa: BLE001 - sent to the caller, which raises it
            answer = (False, traceback.format_exc())
    else:
        answer = (False, failed)
    with contextlib.suppress(OSError):  # the caller is gone: nobody to tell
        conn.send(answer)


class Warm:
    """A process forked now that runs ``prepare()`` at once (matplotlib's import and its font: about half a
    second), then waits for one job of ``both``: that work is done on the second core while this process is
    busy with something else (a single run's simulation), instead of after it.  Closed (``close``, or leaving
    a ``with``) it is stopped whether or not it served."""

    def __init__(self, prepare: Callable[[], object]) -> None:
        ctx = multiprocessing.get_context("fork")
        self._conn, theirs = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, args=(prepare, theirs, self._conn), name="wenzheng-warm",
                                 daemon=True)
        with frozen_for_fork():
            self._proc.start()
        theirs.close()
        self._used = False

    def both(self, elsewhere: Callable[[], A], here: Callable[[], R]) -> tuple[A, R]:
        """``(elsewhere(), here())``, ``elsewhere`` in the ready process (once)."""
        if self._used:
            raise RuntimeError("a Warm process serves one job")
        self._used = True
        self._conn.send(elsewhere)
        mine = here()
        try:
            ok, result = self._conn.recv()
        except EOFError:
            self._proc.join(5.0)
            raise WarmFailed(f"the helper process ended early (exit code {self._proc.exitcode})") from None
        if not ok:
            raise WarmFailed(f"the helper process failed:\n{result}")
        return result, mine

    def close(self) -> None:
        self._conn.close()
        if self._proc.is_alive():
            self._proc.terminate()
        self._proc.join()

    def __enter__(self) -> Warm:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
