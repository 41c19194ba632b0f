"""Where the runs of a sweep execute: in this process, on a local process pool, or on a Dask cluster.

Every executor has one method, ``map(fn, tasks, on_result=None) -> list``:
``[fn(t) for t in tasks]`` in task order, whatever the order in which the
runs finish; ``on_result(i, result)`` is called as each one finishes (in
finishing order), so that the caller can keep finished work when the map is
interrupted.  ``fn`` must be a pure function of its task (same task, same
result, on any machine): then the serial, pool and cluster results are
identical, and a task that a cluster reruns after losing a worker gives the
same result as the first attempt would have.

Dask is an optional dependency (``pip install -e '.[dask]'``); it is imported
only when ``--executor dask`` is asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any, Protocol, TypeVar

from engine.errors import WenzhengError

from .messages import t

__all__ = ["Executor", "ExecutorError", "SerialExecutor", "LocalExecutor", "DaskExecutor", "get_executor",
           "DASK_INSTALL_HINT", "CONNECT_TIMEOUT_S"]

T = TypeVar("T")
R = TypeVar("R")
OnResult = Callable[[int, Any], None]

DASK_INSTALL_HINT = "pip install -e '.[dask]'"
#: how long to wait for a Dask scheduler before giving up (seconds)
CONNECT_TIMEOUT_S = 5.0


class ExecutorError(WenzhengError):
    """An executor that cannot be used: Dask not installed, a scheduler that cannot be reached (exit code 2)."""


def _why(exc: BaseException) -> str:
    """Why Dask could not connect, in the current language: the OS's reason behind it (Dask keeps retrying until
    its timeout, so often there is none), an address Dask cannot read, else "no answer"; never Dask's English
    ("OSError: Timed out trying to connect to tcp://… after 5 s")."""
    from engine.messages import os_reason

    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, OSError) and cause.errno is not None:
            return os_reason(cause)
        cause = cause.__cause__ or cause.__context__
    if isinstance(exc, ValueError):
        return t("exec.why_address")
    return t("exec.why_no_answer")


#: the address schemes distributed knows (``distributed.comm.registry``)
_DASK_SCHEMES = ("tcp", "tls", "ws", "wss", "ucx", "inproc")


def _probe(scheduler: str, timeout: float) -> None:
    """One TCP connection to a ``tcp://HOST:PORT`` scheduler before Dask tries: a refused connection or a host
    that does not resolve is an ExecutorError at once, naming the address and the OS's reason (Dask would
    retry for ``timeout`` seconds and then say only that it timed out).  Other schemes are left to Dask."""
    import socket
    from urllib.parse import urlsplit

    from engine.messages import os_reason

    parts = urlsplit(scheduler if "://" in scheduler else "tcp://" + scheduler)
    if parts.scheme not in _DASK_SCHEMES:  # Dask's own refusal leaves a half-made Client whose finalizer prints
        raise ExecutorError(t("exec.unreachable_at", scheduler=scheduler, reason=t("exec.why_address")))
    if parts.scheme != "tcp":
        return
    try:
        host, port = parts.hostname, parts.port
    except ValueError:  # a port that is not a number or out of range
        raise ExecutorError(t("exec.unreachable_at", scheduler=scheduler, reason=t("exec.why_address"))) from None
    if not host or port is None:
        return
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as exc:
        reason = os_reason(exc) if exc.errno is not None or not isinstance(exc, TimeoutError) else t(
            "exec.why_no_answer")
        raise ExecutorError(t("exec.unreachable_at", scheduler=scheduler, reason=reason)) from None


class Executor(Protocol):
    name: str
    workers: int

    def map(self, fn: Callable[[T], R], tasks: Sequence[T], on_result: OnResult | None = None) -> list[R]: ...

    def close(self) -> None: ...

    def describe(self) -> str: ...


class _Base:
    name = "base"
    workers = 1

    def close(self) -> None:
        pass

    def describe(self) -> str:
        return self.name

    def __enter__(self) -> _Base:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SerialExecutor(_Base):
    """In this process, one run after the other (the reference the others must equal)."""

    name = "serial"

    def map(self, fn: Callable[[T], R], tasks: Sequence[T], on_result: OnResult | None = None) -> list[R]:
        results: list[R] = []
        for i, task in enumerate(tasks):
            r = fn(task)
            results.append(r)
            if on_result:
                on_result(i, r)
        return results


class LocalExecutor(_Base):
    """A process pool on this machine (``--workers`` processes)."""

    name = "local"

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)

    def describe(self) -> str:
        return t("exec.local", n=self.workers)

    def map(self, fn: Callable[[T], R], tasks: Sequence[T], on_result: OnResult | None = None) -> list[R]:
        if self.workers == 1 or len(tasks) <= 1:
            return SerialExecutor().map(fn, tasks, on_result)
        results: list[Any] = [None] * len(tasks)
        pool = ProcessPoolExecutor(max_workers=self.workers)
        try:
            index: dict[Future[R], int] = {pool.submit(fn, t): i for i, t in enumerate(tasks)}
            pending = set(index)
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in sorted(done, key=index.__getitem__):
                    r = fut.result()
                    results[index[fut]] = r
                    if on_result:
                        on_result(index[fut], r)
        except BaseException:
            # Ctrl-C, SIGTERM or a failed run: drop the queued runs and wait only for those running, so that
            # nothing is still computing (or writing) after the caller has handled the interruption
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown()
        return results


class DaskExecutor(_Base):
    """A Dask distributed cluster: ``scheduler`` (tcp://HOST:PORT), or a LocalCluster of ``workers`` processes.

    Tasks are submitted as pure functions of their data with keys derived from the data (``pure=True``):
    when a worker dies the scheduler reruns its tasks on another worker, and each result is taken once,
    by task position, so nothing is lost or counted twice.
    """

    name = "dask"

    def __init__(self, workers: int = 2, scheduler: str | None = None,
                 timeout: float = CONNECT_TIMEOUT_S, retries: int = 2) -> None:
        try:
            import logging

            from distributed import Client, LocalCluster
        except ImportError:
            raise ExecutorError(t("exec.no_dask", hint=DASK_INSTALL_HINT)) from None
        self.scheduler = scheduler
        self.retries = retries
        self._cluster: Any = None
        if scheduler is None:
            self._cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True,
                                         dashboard_address=None, silence_logs=logging.ERROR)
            self.client: Any = Client(self._cluster, set_as_default=False)
        else:
            _probe(scheduler, timeout)  # nothing listening, no such host: said at once, with the OS's reason
            try:
                self.client = Client(scheduler, timeout=f"{timeout}s", set_as_default=False)
            except (OSError, TimeoutError, ValueError) as exc:
                raise ExecutorError(t("exec.unreachable", scheduler=scheduler, timeout=f"{timeout:g}",
                                      why=_why(exc))) from None
        self.workers = len(self.client.scheduler_info().get("workers", {})) or workers

    def describe(self) -> str:
        where = self.scheduler or t("exec.local_cluster")
        return t("exec.dask", where=where, n=self.workers)

    def map(self, fn: Callable[[T], R], tasks: Sequence[T], on_result: OnResult | None = None) -> list[R]:
        from distributed import as_completed

        if not tasks:
            return []
        futures = self.client.map(fn, list(tasks), pure=True, retries=self.retries)
        positions: dict[str, list[int]] = {}
        for i, fut in enumerate(futures):
            positions.setdefault(fut.key, []).append(i)
        results: list[Any] = [None] * len(tasks)
        try:
            for fut in as_completed(futures, loop=self.client.loop):
                r = fut.result()
                # equal tasks share one key (one run); each position is filled once
                for i in positions.pop(fut.key, []):
                    results[i] = r
                    if on_result:
                        on_result(i, r)
        except BaseException:
            self.client.cancel(futures)
            raise
        return results

    def close(self) -> None:
        try:
            self.client.close()
        finally:
            if self._cluster is not None:
                self._cluster.close()


def get_executor(kind: str, workers: int = 1, scheduler: str | None = None,
                 timeout: float = CONNECT_TIMEOUT_S) -> SerialExecutor | LocalExecutor | DaskExecutor:
    """``serial`` | ``local`` (process pool of ``workers``) | ``dask`` (``scheduler`` URL, or a LocalCluster)."""
    if kind == "serial":
        return SerialExecutor()
    if kind == "local":
        if scheduler is not None:
            raise ExecutorError(t("exec.scheduler_needs_dask"))
        return LocalExecutor(workers)
    if kind == "dask":
        return DaskExecutor(workers, scheduler, timeout)
    raise ExecutorError(t("exec.unknown", kind=kind))
