"""Run independent jobs in order, serially or on a local process pool.

Replications, policy comparisons and sensitivity runs are all "the same pure
function over a list of seeded jobs"; results come back in job order, so a
run on N workers is identical to a serial one.  One place for it, so that
interruption is handled the same way everywhere (and a later executor, such
as a Dask cluster, slots in here).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

__all__ = ["map_in_order"]

J = TypeVar("J")
R = TypeVar("R")


def map_in_order(fn: Callable[[J], R], jobs: Sequence[J], workers: int,
                 progress: Callable[[int], None] | None = None) -> list[R]:
    """``[fn(j) for j in jobs]``, on ``workers`` processes when more than one; ``progress(done)`` after each."""
    results: list[R] = []
    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            results.append(fn(job))
            if progress:
                progress(len(results))
        return results
    pool = ProcessPoolExecutor(max_workers=workers)
    try:
        for r in pool.map(fn, jobs):
            results.append(r)
            if progress:
                progress(len(results))
    except BaseException:
        # Ctrl-C, SIGTERM or a failed job: drop the queued ones and wait only for those running, so that no
        # worker writes into an output folder after the caller has removed it
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown()
    return results
