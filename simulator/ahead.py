"""An iterator computed ahead, in a second process, while this one consumes it.

A run's traffic (arrival times, what each post says, its repost cascade, what the platform does to its
payload) does not depend on the policy: ``Simulation.traffic`` draws it from streams nothing else reads.
On a machine with a second core it is drawn in a forked child, which sends it over a pipe in batches while
the run goes on, instead of in the run between its events.  The child is a copy of the run at the moment
of the fork (same streams, same state), so the items are the ones the run would have drawn itself: a test
holds the files of both ways byte for byte.

The pipe is the bound on how far ahead the child runs: once its buffer is full, the child waits.  The
child ignores Ctrl-C (the run handles it and stops the child) and ends when the run closes the pipe.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import traceback
from collections.abc import Callable, Iterable, Iterator
from typing import Any

__all__ = ["Ahead", "AheadFailed", "second_core"]

#: items per message: large enough that pickling and the pipe cost little per item, small enough that
#: the run starts at once
BATCH = 256


class AheadFailed(RuntimeError):
    """The child process failed or vanished: a bug (its traceback is in the message), or it was killed."""


def second_core() -> bool:
    """Whether this process may use a second core (its CPU affinity allows two), and can fork."""
    if not hasattr(os, "fork"):
        return False
    try:
        return len(os.sched_getaffinity(0)) >= 2
    except AttributeError:  # not Linux
        return (os.cpu_count() or 1) >= 2


def _child(produce: Callable[[], Iterable[Any]], reader: Any, writer: Any, batch: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the run handles Ctrl-C and stops this process
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the run's handler (it raises to clean up the run's files)
    reader.close()  # so that a vanished run makes the next send fail (EPIPE) instead of blocking forever
    try:
        items: list[Any] = []
        for item in produce():
            items.append(item)
            if len(items) >= batch:
                writer.send(items)
                items = []
        if items:
            writer.send(items)
        writer.send(None)  # the end
    except (BrokenPipeError, ConnectionResetError):  # the run ended or stopped first
        pass
    except BaseException:  # noqa: BLE001 - reported to the run, which raises it
        try:
            writer.send(traceback.format_exc())
        except OSError:
            pass
    finally:
        writer.close()


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
        self._reader, writer = ctx.Pipe(duplex=False)
        _widen(writer.fileno())
        self._proc = ctx.Process(target=_child, args=(produce, self._reader, writer, batch),
                                 name="wenzheng-traffic", daemon=True)
        self._proc.start()
        writer.close()  # the child's copy is the only writer: its exit ends the pipe

    def __iter__(self) -> Iterator[Any]:
        recv = self._reader.recv
        while True:
            try:
                items = recv()
            except EOFError:
                raise AheadFailed(f"the traffic process ended early (exit code {self._proc.exitcode})") from None
            if items is None:
                return
            if isinstance(items, str):
                raise AheadFailed(f"the traffic process failed:\n{items}")
            yield from items

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
