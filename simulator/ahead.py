"""An iterator computed ahead, in a second process, while this one consumes it.

A run's traffic (arrival times, what each post says, its repost cascade, what the platform does to its
payload, what the intake adapter makes of it, the citizen's follow-up plan) does not depend on the policy:
``Simulation.traffic`` draws it from streams nothing else reads (docs/performance.md, "A second core for a
single run").
On a machine with a second core it is drawn in a forked child, which sends it over a pipe in batches while
the run goes on, instead of in the run between its events.  Where nothing observes the payloads as they are
sent, the child simulates the duty desk too (``Simulation.desk_traffic``): the run then gets each actionable
post at the moment the desk has read it.  The child is a copy of the run at the moment
of the fork (same streams, same state), so the items are the ones the run would have drawn itself: a test
holds the files of both ways byte for byte.

The pipe is the bound on how far ahead the child runs: once its buffer is full, the child waits.  The
child ignores Ctrl-C (the run handles it and stops the child) and ends when the run closes the pipe.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import traceback
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .pool import frozen_for_fork, usable_cpus

__all__ = ["Ahead", "AheadFailed", "second_core"]

#: items per message: large enough that pickling and the pipe cost little per item, small enough that
#: the run starts at once
BATCH = 256


class AheadFailed(RuntimeError):
    """The child process failed or vanished: a bug (its traceback is in the message), or it was killed."""


def second_core() -> bool:
    """Whether this process may use a second core (its CPU affinity allows two), and can fork."""
    return hasattr(os, "fork") and usable_cpus() >= 2


def _child(produce: Callable[[], Iterable[Any]], read_fd: int, write_fd: int, batch: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the run handles Ctrl-C and stops this process
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the run's handler (it raises to clean up the run's files)
    os.close(read_fd)  # so that a vanished run makes the next write fail (EPIPE) instead of blocking forever
    out = open(write_fd, "wb", buffering=PIPE_BYTES)  # noqa: SIM115 - closed below, also on failure

    def dump(obj: Any) -> None:  # a new pickler each time: a pickler's memo would keep every item sent alive
        pickle.dump(obj, out, pickle.HIGHEST_PROTOCOL)

    try:
        items: list[Any] = []
        for item in produce():
            items.append(item)
            if len(items) >= batch:
                dump(items)
                out.flush()
                items = []
        dump(items)  # possibly empty
        dump(None)  # the end
        out.flush()
    except (BrokenPipeError, ConnectionResetError):  # the run ended or stopped first
        pass
    except BaseException:  # noqa: BLE001 - reported to the run, which raises it
        try:
            dump(traceback.format_exc())
            out.flush()
        except OSError:
            pass
    finally:
        try:
            out.close()
        except OSError:  # the run is gone: what was buffered has nowhere to go
            pass


#: the pipe's buffer: how far the child may run ahead (Linux: 64 KiB by default, a third of a batch of posts with
#: their repost cascades; up to /proc/sys/fs/pipe-max-size, 1 MiB by default, without privileges)
PIPE_BYTES = 1 << 20


def _widen(fd: int) -> None:
    try:
        import fcntl

        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_BYTES)
    except (ImportError, OSError):  # not Linux, or a lower limit: the default buffer works, a little slower
        pass


class Ahead:
    """``iter(produce())``, produced by a forked child process: fork before anything ``produce`` reads
    changes in this process.  Iterate once; ``close()`` (also on leaving a ``with``) stops the child."""

    def __init__(self, produce: Callable[[], Iterable[Any]], batch: int = BATCH) -> None:
        ctx = multiprocessing.get_context("fork")
        read_fd, write_fd = os.pipe()
        _widen(write_fd)
        try:
            self._proc = ctx.Process(target=_child, args=(produce, read_fd, write_fd, batch),
                                     name="wenzheng-traffic", daemon=True)
            with frozen_for_fork():  # the child's collections leave this process's objects (and shared pages) alone
                self._proc.start()
        finally:
            os.close(write_fd)  # the child's copy is the only writer: its exit ends the pipe
        # each batch is one pickle, read by the C unpickler straight from the buffered pipe
        self._reader = open(read_fd, "rb", buffering=PIPE_BYTES)  # noqa: SIM115 - closed by close()

    def __iter__(self) -> Iterator[Any]:
        reader = self._reader
        while True:
            try:
                items = pickle.load(reader)  # a new unpickler each time, like the pickler (see _child)
            except (EOFError, pickle.UnpicklingError):  # nothing more, or a batch cut off: the child died writing it
                raise AheadFailed(f"the traffic process ended early (exit code {self._wait()})") from None
            if items is None:
                return
            if isinstance(items, str):
                raise AheadFailed(f"the traffic process failed:\n{items}")
            yield from items

    def _wait(self) -> int | None:
        self._proc.join(5.0)
        return self._proc.exitcode

    def close(self) -> None:
        """Stop the child (if it is still drawing) and reap it."""
        if not self._reader.closed:
            self._reader.close()
        if self._proc.is_alive():
            self._proc.terminate()
        self._proc.join()

    def __enter__(self) -> Ahead:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
