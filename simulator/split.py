"""The drain of a run in two processes: what passes between them, and how the units are shared out.

Once the last post has been read (the desk is idle), what is left of a run is the drain: the units' replies,
the reminders and deadlines, the citizens' follow-ups and promises of the forms already issued.  Each form's
drain depends only on that form (its own random streams, its own timers, the engine's state for that case)
and on its unit (a unit's capacity is shared by its forms).  So a run that has many forms open at that
moment forks (``Simulation._split_drain``): the child takes the forms of some units, the run keeps the
others, and both go on from the same state, each with its own part.  The files are the same as one
process would write (tested byte for byte on every shipped scenario):

- every row of the event log keeps its key (time, case, order of logging within the case): the child sends
  its rows, formatted, with the moment it has reached (``PeerSink.advance``), and the run's event log never
  writes past that moment (``DrainPeer.sync``), so the rows of both interleave as one process logs them;
- cases.csv is sorted by case id whatever order its rows come in;
- the metrics add up (``RunAccumulator.merge``: counts, histograms and exact sums), as do the counters the
  model keeps (polls read, open forms per day);
- the run ends when both parts have drained: the later of the two ends is the end one process reaches.

docs/performance.md ("The drain in two processes") gives the conditions and what it gains.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import struct
import traceback
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from .ahead import PIPE_BYTES, AheadFailed
from .stream import IsoMemo, RunAccumulator, case_fields, event_fields

__all__ = ["DrainPeer", "PeerSink", "share_units"]

_HEADER = struct.Struct("<Q")  # each message: its length, then one pickle


def share_units(load: Mapping[str, int], share: float) -> frozenset[str]:
    """The units the second process takes: about ``share`` of the total ``load`` (work per unit), heaviest unit
    first, each to the side further below its target.  Deterministic: ties go by unit name."""
    total = sum(load.values())
    theirs: set[str] = set()
    mine_load = their_load = 0
    for unit, n in sorted(load.items(), key=lambda kv: (-kv[1], kv[0])):
        # the side further below its target (as a share of the total) takes the unit
        if their_load - share * total <= mine_load - (1.0 - share) * total:
            theirs.add(unit)
            their_load += n
        else:
            mine_load += n
    return frozenset(theirs)


def _send(fd: int, message: Any) -> None:
    data = pickle.dumps(message, pickle.HIGHEST_PROTOCOL)
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


class PeerSink:
    """The child's sink (the ``RunSink`` calls the model makes): rows and forms formatted here and sent to the
    run with the moment reached; metrics counted in an accumulator of its own, sent at the end."""

    events = None  # no event-log writer here (the model asks for one only when it parks forms)

    def __init__(self, fd: int, calendar: Any, start: datetime, end: datetime) -> None:
        self._fd = fd
        self.acc = RunAccumulator(calendar, start, end)
        self._rows: list[tuple[datetime, str, tuple[Any, ...]]] = []
        self._cases: list[tuple[Any, ...]] = []
        self._iso = IsoMemo()

    def log(self, row: Any) -> None:
        self.acc.add_log(row)
        self._rows.append((row.at, row.case_id, event_fields(row, None, self._iso)))

    def deduction(self, at: datetime, unit: str, points: float, reason: str = "") -> None:
        self.acc.add_deduction(at, unit, points, reason)

    def case(self, rec: Any) -> None:
        self.acc.add_case(rec)
        if rec.opened_at is not None:
            self._cases.append(case_fields(rec, self._iso))

    def advance(self, now: datetime | None) -> None:
        """Send the rows and forms so far, and the promise that no row before ``now`` comes any more (None:
        none at all)."""
        rows, cases = self._rows, self._cases
        self._rows, self._cases = [], []
        _send(self._fd, ("rows", now, rows, cases))

    def end(self, result: dict[str, Any]) -> None:
        self.advance(None)
        _send(self._fd, ("end", result))


def run_child(fd: int, work: Callable[[], None]) -> None:
    """The child's body: ``work()``, its failure sent to the run (which raises it) instead of printed."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the run handles Ctrl-C and stops this process
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the run's handler (it would clean up the run's files)
    try:
        work()
    except BaseException:  # noqa: BLE001 - every failure goes to the run, which raises it
        try:
            _send(fd, ("error", traceback.format_exc()))
        except OSError:
            pass
        os._exit(1)
    os._exit(0)  # no clean-up of what the run owns (its open files are the run's, not this process's)


class DrainPeer:
    """The run's side: reads what the child sends, hands its rows to the event log and its forms to cases.csv,
    and tells how far the event log may be written (``sync``)."""

    def __init__(self, proc: Any, fd: int, start: datetime,
                 add_row: Callable[[datetime, str, tuple[Any, ...]], None],
                 add_case: Callable[[tuple[Any, ...]], None]) -> None:
        self._proc = proc
        self._start = start  # the moment of the fork: no row of the child comes before it
        self._fd = fd
        self._buf = bytearray()
        self._add_row = add_row
        self._add_case = add_case
        self.clock: datetime | None = None  # the moment the child has reached (None: not told yet)
        self.ended = False  # the child has sent every row (no more promises to wait for)
        self.result: dict[str, Any] | None = None

    def _read(self, block: bool) -> bool:
        """Read what the pipe holds (``block``: wait for something); False at its end."""
        if not block and not select.select([self._fd], [], [], 0)[0]:
            return True
        chunk = os.read(self._fd, PIPE_BYTES)
        if not chunk:
            return False
        self._buf += chunk
        return True

    def _messages(self) -> Iterable[Any]:
        buf = self._buf
        pos = 0
        while len(buf) - pos >= _HEADER.size:
            (n,) = _HEADER.unpack_from(buf, pos)
            if len(buf) - pos - _HEADER.size < n:
                break
            start = pos + _HEADER.size
            yield pickle.loads(memoryview(buf)[start:start + n])
            pos = start + n
        del buf[:pos]

    def _take(self, message: Any) -> None:
        kind = message[0]
        if kind == "rows":
            _, clock, rows, cases = message
            add_row, add_case = self._add_row, self._add_case
            for at, case_id, fields in rows:
                add_row(at, case_id, fields)
            for row in cases:
                add_case(row)
            if clock is None:
                self.ended = True
            else:
                self.clock = clock
        elif kind == "end":
            self.result = message[1]
        else:  # "error"
            raise AheadFailed(f"the drain's second process failed:\n{message[1]}")

    def _poll(self, block: bool) -> None:
        while True:
            alive = self._read(block)
            for message in self._messages():
                self._take(message)
            if not alive:
                if self.result is None:
                    raise AheadFailed(f"the drain's second process ended early (exit code {self._wait()})")
                return
            if not block or self.result is not None:
                return

    def sync(self, now: datetime) -> datetime:
        """Take in what the child has sent; the moment the event log may be written up to: ``now``, or the
        child's moment if that is earlier (rows before it may still come from the child)."""
        self._poll(block=False)
        if self.ended:
            return now
        if self.clock is None:
            return min(now, self._start)
        return min(now, self.clock)

    def finish(self) -> dict[str, Any]:
        """Wait for the child's end; everything it sent taken in; what it counted (``Simulation._join_peer``)."""
        while self.result is None:
            self._poll(block=True)
        self.close()
        return self.result

    def _wait(self) -> int | None:
        self._proc.join(5.0)
        return self._proc.exitcode  # type: ignore[no-any-return]

    def close(self) -> None:
        """Stop the child if it still runs (the run failed or was stopped) and reap it."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        if self._proc.is_alive() and self.result is None:
            self._proc.terminate()
        self._proc.join()
