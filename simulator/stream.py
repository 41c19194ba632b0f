"""Streaming results: the event log, cases and metrics of a run, written and counted as the run goes.

A run of a megacity's traffic cannot keep every case and every event-log row
to the end (about 10 KB a post).  The pieces here take them one at a time and
keep only what the outputs need:

- ``EventLogWriter`` writes events.csv in (time, case id, insertion) order
  while the run goes: a row waits in a heap only until the clock has passed
  its time;
- ``CasesWriter`` writes cases.csv sorted by case id from forms finished in
  any order, in bounded memory (sorted runs spilled next to the output and
  merged at the end);
- ``RunAccumulator`` counts every metric of docs/metrics.md and keeps what the
  report draws, in counters and compact arrays;
- ``RunSink`` bundles the three: it is what the model calls.

The in-memory path (``compute_metrics``, ``quarterly_table``, ``write_run`` on a
finished ``RunResult``) feeds the same classes with
``feed_run``, so each metric has one implementation and both paths give
byte-identical files.
"""

from __future__ import annotations

import contextlib
import csv
import heapq
import json
import math
import os
import statistics
import tempfile
from abc import ABC, abstractmethod
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from heapq import heappop, heappush
from operator import itemgetter
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Self

from .metrics import EVENT_COLUMNS, UNROUTED, _rate, _round, quantile, quarter_of

if TYPE_CHECKING:
    from .model import CaseRecord, DeskStats, LogRow, RunResult

__all__ = ["IsoMemo", "EventLogWriter", "CasesWriter", "RunAccumulator", "QuarterlyTable", "RunSink", "ReportData", "feed_run",
           "quantile_counts", "CASE_COLUMNS", "event_fields", "case_fields", "write_csv", "write_metrics_json",
           "REPORT_DATA", "HOURLY_MAX_DAYS"]

#: the file beside metrics.json with what the report's plots draw and the other files do not hold
REPORT_DATA = "report-data.json"
#: periods of at most this many days also keep posts and open forms per hour (the report draws them hourly)
HOURLY_MAX_DAYS = 7

#: cases.csv columns (one row per form)
CASE_COLUMNS = ["case_id", "channel", "place", "true_category", "category", "true_unit", "unit", "posted_at",
                "opened_at", "hot_at", "statement_at", "statement_due", "reply_due", "replied_at",
                "reply_kind", "escalations", "followups", "deductions", "merged_posts", "reposts_24h",
                "reminders", "accountability", "promise_due", "promise_kept"]


def _iso(v: Any) -> str:
    return v.isoformat() if v is not None else ""


def _num(v: float | int | None) -> str:
    return "" if v is None else str(v)


def _isoformat(v: datetime) -> str:
    return v.isoformat()


class IsoMemo:
    """``datetime.isoformat`` remembered for times that many rows share (deadlines end at close of business).

    A hit is taken only for the same wall time in the same ``tzinfo`` object with the same ``fold`` (two
    equal aware datetimes in different zones print differently), so the text is always ``v.isoformat()``.
    At most ``size`` times are kept: the memo is emptied when full (memory stays flat on long runs).
    """

    __slots__ = ("_memo", "size")

    def __init__(self, size: int = 4096) -> None:
        self._memo: dict[datetime, tuple[datetime, str]] = {}
        self.size = size

    def __call__(self, v: datetime) -> str:
        hit = self._memo.get(v)
        if hit is not None:
            w, text = hit
            if w.tzinfo is v.tzinfo and w.fold == v.fold:
                return text
            return v.isoformat()
        text = v.isoformat()
        if len(self._memo) >= self.size:
            self._memo.clear()
        self._memo[v] = (v, text)
        return text


def event_fields(r: LogRow, timestamp: str | None = None,
                 iso: Callable[[datetime], str] = _isoformat) -> tuple[Any, ...]:
    """One events.csv row (EVENT_COLUMNS); ``timestamp``: ``r.at.isoformat()`` when the caller has it;
    ``iso``: what formats the due and reminder times (an ``IsoMemo``: the same text, remembered)."""
    # written out rather than through _iso/_num: called for every row
    due, remind, points, reposts = r.due, r.remind_at, r.points, r.reposts
    return (r.case_id, r.activity, r.at.isoformat() if timestamp is None else timestamp, r.resource, r.unit,
            r.category, r.rule, r.deadline, "" if due is None else iso(due), "" if remind is None else iso(remind),
            "" if points is None else str(points), "" if reposts is None else str(reposts), r.merged_post)


def case_fields(c: CaseRecord, iso: Callable[[datetime], str] = _isoformat) -> tuple[Any, ...]:
    """One cases.csv row (CASE_COLUMNS); ``iso``: what formats the due times (see ``event_fields``)."""
    hot, st, st_due, due, replied, p_due, kept = (c.hot_at, c.statement_at, c.statement_due, c.reply_due,
                                                  c.replied_at, c.promise_due, c.promise_kept)
    opened = c.opened_at
    return (c.case_id, c.channel, c.place, c.true_category, c.category, c.true_unit, c.unit,
            _iso(c.posted_at), "" if opened is None else opened.isoformat(), "" if hot is None else hot.isoformat(),
            "" if st is None else st.isoformat(), "" if st_due is None else iso(st_due),
            "" if due is None else iso(due), "" if replied is None else replied.isoformat(), c.reply_kind,
            c.escalations, c.followups, c.deductions, c.merged_posts, len(c.repost_times), c.reminders,
            int(c.accountability), "" if p_due is None else iso(p_due), "" if kept is None else int(kept))


def write_csv(path: Path, header: list[str], rows: Iterable[Iterable[Any]]) -> None:
    """A whole CSV file, through ``metrics._write_csv`` (looked up at call time: tests replace it)."""
    from . import metrics

    metrics._write_csv(path, header, rows)


def write_metrics_json(path: Path, doc: Mapping[str, Any]) -> None:
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")


# -- events.csv ------------------------------------------------------------------------------------------------


class _Writer(ABC):
    """A streaming file writer as a context manager: ``close()`` on success, ``abort()`` on an exception."""

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def abort(self) -> None: ...

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


class EventLogWriter(_Writer):
    """events.csv, written as the run goes, in (at, case_id, insertion order) order.

    Contract: ``advance(now)`` promises that no row with ``at < now`` will be
    added any more; it writes every buffered row with ``at < now``.  Rows for
    the future (a unit's 调查办理 at its next working moment) wait.
    ``close()`` writes the rest.  A row added before the last ``advance``
    value breaks the order of the file and raises ``ValueError`` (a bug in
    the caller, not bad input).  Rows the clock has passed are formatted and
    written ``batch`` at a time (a run advances hourly, a few rows each time):
    ``rows_written`` counts them from the moment they leave the waiting rows.

    Rows are appended as they come; when the clock moves, those added since
    the last move are sorted (``list.sort`` on their unique keys: most come
    in the clock's order, so it is nearly a pass in C), the ones it has passed
    are merged with the due rows of a heap, and the others go to that heap
    (rows for the future only, where every row used to pay a heap push and
    pop of ~15 tuple comparisons in Python calls).  The order is the one the
    keys give, as before.
    """

    #: rows released by ``advance`` that are formatted and written together
    BATCH = 1024

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._f: IO[str] | None = self.path.open("w", newline="", encoding="utf-8")
        self._w = csv.writer(self._f, lineterminator="\n")
        self._w.writerow(EVENT_COLUMNS)
        self._new: list[tuple[datetime, str, int, LogRow]] = []  # (at, case id, insertion order, row), unsorted
        self._later: list[tuple[datetime, str, int, LogRow]] = []  # a heap: rows the clock had not reached
        self._seq = 0
        self._floor: datetime | None = None
        self._last: tuple[datetime, str] = (datetime.min, "")  # the last timestamp formatted
        self._iso = IsoMemo()  # due and reminder times: many forms share one
        self._out: list[LogRow] = []  # released by advance, in file order, not yet written (< BATCH)
        self.rows_written = 0

    def add(self, row: LogRow) -> None:
        at = row.at
        floor = self._floor
        if floor is not None and at < floor:
            raise ValueError(f"event-log row at {at.isoformat()} ({row.case_id} {row.activity}) added after "
                             f"advance({floor.isoformat()}): rows must not be added for the past")
        seq = self._seq
        self._new.append((at, row.case_id, seq, row))
        self._seq = seq + 1

    def advance(self, now: datetime) -> None:
        if self._floor is not None and now < self._floor:
            return  # the clock never goes back; an earlier promise stays
        self._floor = now
        new, later = self._new, self._later
        if not new and (not later or later[0][0] >= now):
            return
        if self._f is None:
            raise ValueError(f"{self.path}: the event log is closed")
        self._new = []
        if new:
            new.sort()  # keys are unique (insertion order last): never compares two rows
            due = bisect_left(new, (now,))  # the first key at or after now: (now,) sorts before (now, ...)
            for item in new[due:]:
                heappush(later, item)
            del new[due:]
        if later and later[0][0] < now:
            n = len(new)
            while later and later[0][0] < now:
                new.append(heappop(later))
            if n:
                new.sort()  # two sorted runs: one merge
        out = self._out
        out.extend([item[3] for item in new])
        self.rows_written += len(new)
        if len(out) >= self.BATCH:
            self._out = []
            self._write(out)

    def add_formatted(self, at: datetime, case_id: str, fields: tuple[str, ...]) -> None:
        """A row already formatted as the file holds it (``_write``'s fields), at ``at`` for ``case_id``: in its
        place among the others, as ``add`` puts a row (``Simulation.desk_traffic``'s rows)."""
        floor = self._floor
        if floor is not None and at < floor:
            raise ValueError(f"event-log row at {at.isoformat()} ({case_id} {fields[1]}) added after "
                             f"advance({floor.isoformat()}): rows must not be added for the past")
        seq = self._seq
        self._new.append((at, case_id, seq, fields))  # type: ignore[arg-type]
        self._seq = seq + 1

    def pending(self) -> int:
        """Rows waiting for the clock."""
        return len(self._new) + len(self._later)

    def _write(self, rows: list[LogRow]) -> None:
        if self._f is None:
            raise ValueError(f"{self.path}: the event log is closed")
        # about half the rows share their time with the row before (a decision's effects): format it once
        last, text = self._last
        iso = self._iso
        out: list[tuple[Any, ...]] = []
        append = out.append
        for r in rows:  # event_fields(r, text, iso), inline (a call fewer a row)
            if r.__class__ is tuple:  # formatted already (add_formatted)
                append(r)  # type: ignore[arg-type]
                continue
            at = r.at
            if not (at == last and at.tzinfo is last.tzinfo and at.fold == last.fold):
                last, text = at, at.isoformat()
            due, remind, points, reposts = r.due, r.remind_at, r.points, r.reposts
            append((r.case_id, r.activity, text, r.resource, r.unit, r.category, r.rule, r.deadline,
                    "" if due is None else iso(due), "" if remind is None else iso(remind),
                    "" if points is None else str(points), "" if reposts is None else str(reposts),
                    r.merged_post))
        self._last = (last, text)
        self._w.writerows(out)

    def close(self) -> None:
        """Write every row still waiting and close the file."""
        if self._f is None:
            return
        waiting = self._new + self._later
        self._new, self._later = [], []
        waiting.sort()
        rows, self._out = self._out, []
        rows.extend(item[3] for item in waiting)
        self.rows_written += len(waiting)
        self._write(rows)
        self._f.close()
        self._f = None

    def abort(self) -> None:
        """Close without writing what waits (the caller discards the incomplete file)."""
        if self._f is not None:
            self._f.close()
            self._f = None
        self._new, self._later = [], []
        self._out = []



# -- cases.csv -------------------------------------------------------------------------------------------------


class CasesWriter(_Writer):
    """cases.csv sorted by case id, from forms added in any order, in bounded memory.

    Each added form (a case without ``opened_at`` is not a form and is
    skipped) is formatted at once; every ``run_size`` rows are sorted and
    spilled to a temporary file next to the output, and ``close()`` merges the
    runs (``heapq.merge``: stable, so equal ids keep the order they came in).
    At most ``run_size`` rows wait in memory (about 1 KB each), and at most
    ``fan_in`` runs of one size are kept: ``fan_in`` runs of the same level are
    merged into one run of the next level (a year of megacity forms is a few
    dozen files, not hundreds open at once in the final merge).
    Temporary files are removed by ``close()`` and ``abort()``, also when the
    merge fails; used as a context manager, an exception aborts and removes
    the incomplete output too.
    """

    def __init__(self, path: str | Path, run_size: int = 10_000, fan_in: int = 32) -> None:
        if run_size < 1:
            raise ValueError("run_size must be at least 1")
        if fan_in < 2:
            raise ValueError("fan_in must be at least 2")
        self.path = Path(path)
        self.run_size = run_size
        self.fan_in = fan_in
        self._buf: list[tuple[Any, ...]] = []
        self._runs: list[Path] = []
        self._levels: list[int] = []  # per run: 0 spilled from memory, k + 1 merged from fan_in runs of level k
        self._closed = False
        self._iso = IsoMemo()  # due times: many forms share one
        self.rows = 0

    def add(self, rec: CaseRecord) -> None:
        if rec.opened_at is None:
            return
        if self._closed:
            raise ValueError(f"{self.path}: the cases writer is closed")
        self._buf.append(case_fields(rec, self._iso))
        self.rows += 1
        if len(self._buf) >= self.run_size:
            self._spill()

    def add_fields(self, row: tuple[Any, ...]) -> None:
        """A form's row already made by ``case_fields`` (in another process: ``simulator.split``)."""
        if self._closed:
            raise ValueError(f"{self.path}: the cases writer is closed")
        self._buf.append(row)
        self.rows += 1
        if len(self._buf) >= self.run_size:
            self._spill()

    def temp_files(self) -> list[Path]:
        return list(self._runs)

    def _spill(self) -> None:
        # a run is CSV like the output (no pickle: nothing but text is read back); csv round-trips every field
        # as the same text, so the merged file has the bytes a single sort would write
        self._buf.sort(key=itemgetter(0))
        self._write_run(self._buf, 0)
        self._buf = []
        # levels never grow along the list (a counter in base fan_in): merge the last fan_in runs while
        # they share a level
        n, levels = self.fan_in, self._levels
        while len(levels) >= n and levels[-n] == levels[-1]:
            tail = self._runs[-n:]
            merged = heapq.merge(*(self._read_run(p) for p in tail), key=itemgetter(0))
            self._write_run(merged, levels[-1] + 1)  # listed before it is written: abort() removes it too
            del self._runs[-n - 1:-1], levels[-n - 1:-1]
            for p in tail:
                with contextlib.suppress(FileNotFoundError):
                    p.unlink()

    def _write_run(self, rows: Iterable[Sequence[Any]], level: int) -> None:
        fd, name = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".run", dir=self.path.parent)
        self._runs.append(Path(name))
        self._levels.append(level)
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
            csv.writer(f, lineterminator="\n").writerows(rows)

    @staticmethod
    def _read_run(path: Path) -> Iterator[list[str]]:
        with path.open(newline="", encoding="utf-8") as f:
            yield from csv.reader(f)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._buf.sort(key=itemgetter(0))
            rows: Iterable[Sequence[Any]] = self._buf
            if self._runs:
                rows = heapq.merge(*(self._read_run(p) for p in self._runs), self._buf, key=itemgetter(0))
            write_csv(self.path, CASE_COLUMNS, rows)
        finally:
            self._buf = []
            self._remove_runs()

    def abort(self) -> None:
        """Remove the temporary runs and any incomplete output."""
        self._closed = True
        self._buf = []
        self._remove_runs()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def _remove_runs(self) -> None:
        for p in self._runs:
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
        self._runs = []
        self._levels = []



# -- metrics ---------------------------------------------------------------------------------------------------


def quantile_counts(counts: Mapping[int, int], q: float) -> float | None:
    """``quantile`` of the multiset ``{value: count}``: the same linear interpolation, without the list."""
    n = sum(counts.values())
    if n == 0:
        return None
    keys = sorted(k for k, c in counts.items() if c > 0)

    def kth(i: int) -> float:  # the i-th smallest value (0-based)
        for k in keys:
            i -= counts[k]
            if i < 0:
                return float(k)
        raise IndexError(i)

    if n == 1:
        return kth(0)
    pos = (n - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, n - 1)
    x_lo, x_hi = kth(lo), kth(hi)
    return float(x_lo + (x_hi - x_lo) * (pos - lo))


class _ExactSum:
    """A running sum without rounding error (Shewchuk's partials, as ``math.fsum`` keeps them).

    ``value()`` equals ``math.fsum`` of every value added, in any order, so a
    mean over forms streamed in any order equals ``statistics.fmean`` of the list.
    """

    __slots__ = ("partials", "n")

    def __init__(self) -> None:
        self.partials: list[float] = []
        self.n = 0

    def add(self, x: float) -> None:
        self.n += 1
        partials = self.partials
        i = 0
        for y in partials:
            if abs(x) < abs(y):
                x, y = y, x
            hi = x + y
            lo = y - (hi - x)
            if lo:
                partials[i] = lo
                i += 1
            x = hi
        partials[i:] = [x]

    def value(self) -> float:
        return math.fsum(self.partials)

    def merge(self, other: _ExactSum) -> None:
        """Add everything ``other`` holds: its partials are exact, so the sum stays exact (and ``n`` adds up)."""
        n = self.n
        for x in other.partials:
            self.add(x)
        self.n = n + other.n


class QuarterlyTable:
    """The statistics table per quarter and unit, as the district leadership receives it.

    收集 collected: forms issued to the unit in the quarter; 转办 forwarded: the
    same forms (every collected problem is forwarded with a form); 答复 replied;
    按时 on time; 逾期 overdue (late or never); 督办 supervised (escalated at
    least once); 扣分 deduction points booked in the quarter.  The per-unit
    figures (reply rate by unit, the report's league table) are its quarters summed.
    """

    #: the counted columns (``merge`` adds them up)
    COUNTS = ("collected", "forwarded", "replied", "on_time", "overdue", "supervised")

    def __init__(self) -> None:
        self._rows: dict[tuple[str, str], dict[str, Any]] = {}
        # deduction points per row, summed exactly: the same total in whatever order they are booked (a run whose
        # drain is split between two processes books each unit's points in its own order)
        self._points: dict[tuple[str, str], _ExactSum] = {}

    def _row(self, q: str, unit: str) -> dict[str, Any]:
        key = (q, unit)
        r = self._rows.get(key)
        if r is None:
            r = self._rows[key] = {"quarter": q, "unit": unit, "collected": 0, "forwarded": 0, "replied": 0,
                                   "on_time": 0, "overdue": 0, "supervised": 0, "deductions": 0.0}
        return r

    def add_case(self, c: CaseRecord) -> None:
        if c.opened_at is None:
            return
        r = self._row(quarter_of(c.opened_at), c.unit or UNROUTED)
        r["collected"] += 1
        r["forwarded"] += 1
        if c.replied_at is not None:
            r["replied"] += 1
        if c.replied_at is not None and c.reply_due is not None and c.replied_at <= c.reply_due:
            r["on_time"] += 1
        else:
            r["overdue"] += 1
        if c.escalations:
            r["supervised"] += 1

    def add_deduction(self, at: datetime, unit: str, points: float) -> None:
        key = (quarter_of(at), unit or UNROUTED)
        r = self._row(*key)
        total = self._points.get(key)
        if total is None:
            total = self._points[key] = _ExactSum()
        total.add(points)
        r["deductions"] = total.value()

    def merge(self, other: QuarterlyTable) -> None:
        """Add ``other``'s rows (forms and deductions counted elsewhere) to these."""
        for key, o in other._rows.items():
            r = self._row(*key)
            for k in self.COUNTS:
                r[k] += o[k]
        for key, points in other._points.items():
            total = self._points.get(key)
            if total is None:
                total = self._points[key] = _ExactSum()
            total.merge(points)
            self._rows[key]["deductions"] = total.value()

    def rows(self) -> list[dict[str, Any]]:
        return [dict(self._rows[k]) for k in sorted(self._rows)]

    def by_unit(self) -> dict[str, dict[str, int]]:
        """Per unit with forms: forms, replied, on_time, supervised (its quarters summed), by unit name."""
        out: dict[str, dict[str, int]] = {}
        for (_, unit), r in sorted(self._rows.items(), key=lambda kv: (kv[0][1], kv[0][0])):
            if not r["collected"]:
                continue
            u = out.setdefault(unit, {"forms": 0, "replied": 0, "on_time": 0, "supervised": 0})
            u["forms"] += r["collected"]
            u["replied"] += r["replied"]
            u["on_time"] += r["on_time"]
            u["supervised"] += r["supervised"]
        return out


Hour = tuple[date, int]  # (local date, hour 0-23)


def _hour_key(h: Hour) -> str:
    return f"{h[0].isoformat()}T{h[1]:02d}"


@dataclass
class ReportData:
    """What the report draws and the other files of a run do not hold, in compact form.

    Written as ``report-data.json`` beside metrics.json (``to_json``), read back by the report
    (``reporting.page.load_report_data``), so that a report can be rebuilt from a finished run's folder.  Only totals, counts and
    the statement times of hot events: its size grows with days and hot events, not with forms.
    """

    start: date
    last_day: date
    posts_per_day: dict[date, int]
    backlog: list[tuple[str, int]]  # (day, forms open at the end of that day), as backlog.csv
    reply_working_days: dict[int, int]  # working day N after receipt → replied forms
    statement_minutes: list[float]  # minutes from turning hot to the statement, per statement (sorted)
    league: dict[str, dict[str, int]] = field(default_factory=dict)  # unit → forms, replied, on_time, supervised
    #: per hour of the period (periods of at most HOURLY_MAX_DAYS days, else empty): "YYYY-MM-DDTHH" → posts
    posts_per_hour: dict[str, int] = field(default_factory=dict)
    #: per hour of the period, as ``posts_per_hour``: forms open at the end of that hour
    open_forms_per_hour: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> str:
        doc = {
            "start": self.start.isoformat(),
            "last_day": self.last_day.isoformat(),
            "posts_per_day": {d.isoformat(): n for d, n in sorted(self.posts_per_day.items())},
            "posts_per_hour": dict(sorted(self.posts_per_hour.items())),
            "open_forms_per_hour": dict(sorted(self.open_forms_per_hour.items())),
            "reply_working_days": {str(k): v for k, v in sorted(self.reply_working_days.items())},
            "statement_minutes": sorted(self.statement_minutes),
        }
        return json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


@dataclass
class _Counts:
    forms: int = 0
    replied: int = 0
    on_time: int = 0
    hot: int = 0
    hot_ok: int = 0
    misrouted: int = 0
    misclassified: int = 0
    unrouted: int = 0
    issued_by_end: int = 0
    replied_by_end: int = 0
    reminders: int = 0
    escalations: int = 0
    follow_ups: int = 0
    accountability: int = 0
    promises: int = 0
    promises_kept: int = 0
    promises_broken: int = 0
    deadline_days: _ExactSum = field(default_factory=_ExactSum)


def count_post(per_day: Counter[date], per_hour: Counter[Hour], at: datetime) -> None:
    """A post collected at ``at``, counted by day and by hour (``RunAccumulator.add_log``)."""
    per_day[at.date()] += 1
    per_hour[(at.date(), at.hour)] += 1


class RunAccumulator:
    """Every metric of a run, counted one form, deduction and log row at a time.

    ``add_case`` once per case when nothing can change it any more (cases that
    never became forms are ignored); ``add_deduction`` for every deduction in
    the order booked; ``add_log`` for every event-log row (only 收集整理 rows
    are counted, per day, for the report); then ``finish`` with the run-level
    values gives the metrics dict of docs/metrics.md.  What it keeps grows
    with the number of units, quarters, days and hot events, not with forms:
    reply times in working days are integers held as a histogram; statement
    minutes (hot events only) as 8-byte doubles.
    """

    def __init__(self, calendar: Any, start: datetime, end: datetime) -> None:
        from .model import COLLECT  # at run time: the model imports this module

        self._collect = COLLECT
        self.calendar = calendar
        self.start = start
        self.end = end
        self.c = _Counts()
        self.reply_wd: Counter[int] = Counter()
        self.statement_minutes = array("d")
        self.table = QuarterlyTable()
        self._points_by_unit: dict[str, _ExactSum] = {}  # exact: the same totals in any order of booking
        self.posts_per_day: Counter[date] = Counter()
        self.posts_per_hour: Counter[Hour] = Counter()
        self.opened_per_hour: Counter[Hour] = Counter()  # forms issued in each hour
        self.replied_per_hour: Counter[Hour] = Counter()  # forms replied in each hour
        self.backlog: list[tuple[str, int]] = []

    def add_case(self, c: CaseRecord) -> None:
        opened = c.opened_at
        if opened is None:
            return
        n = self.c
        n.forms += 1
        replied = c.replied_at
        self.table.add_case(c)
        self.opened_per_hour[(opened.date(), opened.hour)] += 1
        if replied is not None:
            n.replied += 1
            self.replied_per_hour[(replied.date(), replied.hour)] += 1
            self.reply_wd[self.calendar.working_days_between(opened, replied)] += 1
        if replied is not None and c.reply_due is not None and replied <= c.reply_due:
            n.on_time += 1
        if not c.unit:
            n.unrouted += 1
        if c.hot_at is not None:
            n.hot += 1
            if c.statement_at is not None and c.statement_due is not None and c.statement_at <= c.statement_due:
                n.hot_ok += 1
            if c.statement_at is not None:
                self.statement_minutes.append((c.statement_at - c.hot_at).total_seconds() / 60)
        if c.true_unit and c.unit != c.true_unit:
            n.misrouted += 1
        if c.category != c.true_category:
            n.misclassified += 1
        if opened < self.end:
            n.issued_by_end += 1
            if replied is not None and replied < self.end:
                n.replied_by_end += 1
        n.reminders += c.reminders
        n.escalations += c.escalations
        n.follow_ups += c.followups
        n.accountability += bool(c.accountability)
        n.promises += c.promise_due is not None
        n.promises_kept += c.promise_kept is True
        n.promises_broken += c.promise_kept is False
        if c.reply_due:
            n.deadline_days.add((c.reply_due - opened).total_seconds() / 86400)

    def add_deduction(self, at: datetime, unit: str, points: float, reason: str = "") -> None:
        key = unit or UNROUTED
        total = self._points_by_unit.get(key)
        if total is None:
            total = self._points_by_unit[key] = _ExactSum()
        total.add(points)
        self.table.add_deduction(at, unit, points)

    @property
    def deductions_by_unit(self) -> dict[str, float]:
        """Deduction points booked per unit (exact sums), by unit name."""
        return {u: s.value() for u, s in sorted(self._points_by_unit.items())}

    def merge(self, other: RunAccumulator) -> None:
        """Add what ``other`` counted (forms, deductions and rows of the same run counted in another process: a
        drain split between two, ``simulator.split``) to this accumulator: the metrics are then those of one
        accumulator that had seen everything, in any order (counts, histograms and exact sums add up; the
        statement minutes are sorted where they are used)."""
        n, o = self.c, other.c
        for f in fields(_Counts):
            if f.name != "deadline_days":
                setattr(n, f.name, getattr(n, f.name) + getattr(o, f.name))
        n.deadline_days.merge(o.deadline_days)
        self.reply_wd.update(other.reply_wd)
        self.statement_minutes.extend(other.statement_minutes)
        self.table.merge(other.table)
        for u, points in other._points_by_unit.items():
            total = self._points_by_unit.get(u)
            if total is None:
                total = self._points_by_unit[u] = _ExactSum()
            total.merge(points)
        self.posts_per_day.update(other.posts_per_day)
        self.posts_per_hour.update(other.posts_per_hour)
        self.opened_per_hour.update(other.opened_per_hour)
        self.replied_per_hour.update(other.replied_per_hour)

    def __getstate__(self) -> dict[str, Any]:
        # sent between processes without the calendar (the receiver has its own; ``merge`` does not use it)
        return {k: v for k, v in self.__dict__.items() if k != "calendar"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.calendar = None

    def add_log(self, row: LogRow) -> None:
        if row.activity == self._collect:
            count_post(self.posts_per_day, self.posts_per_hour, row.at)

    def add_posts(self, per_day: Mapping[date, int], per_hour: Mapping[Hour, int]) -> None:
        """Posts counted elsewhere (``count_post``) from the 收集整理 rows of a log this accumulator did not see."""
        self.posts_per_day.update(per_day)
        self.posts_per_hour.update(per_hour)

    # -- results ----------------------------------------------------------------------------------------------

    def finish(self, *, scenario_name: str, seed: int, drained_at: datetime, posts: int, desk: DeskStats,
               backlog: list[tuple[str, int]], intake: Mapping[str, int]) -> dict[str, Any]:
        """The metrics dict (rounded as metrics.json holds it).

        ``backlog``: the model's snapshots of open forms, taken at 00:00 of each day while the run goes;
        the snapshot at 00:00 of day d is the end of day d - 1, and backlog.csv dates each row by the day
        it ends.  A day of the period that ended after the run had drained (no snapshot) gets its row from
        the forms issued and replied by then, so every day of the period has one.
        """
        self.backlog = backlog = self._backlog_rows(backlog)
        n = self.c
        units = self.table.by_unit()
        stmt = self.statement_minutes
        metrics: dict[str, Any] = {
            "posts": posts,
            "forms": n.forms,
            "answered_by_desk": desk.answered_directly,
            "replied": n.replied,
            "reply_rate": _rate(n.replied, n.forms),
            "on_time_rate": _rate(n.on_time, n.forms),
            "reply_rate_as_of": _rate(n.replied_by_end, n.issued_by_end),
            "hot_events": n.hot,
            "statement_2h_rate": _rate(n.hot_ok, n.hot),
            "statement_minutes_median": quantile(stmt, 0.5),
            "reply_working_days_median": quantile_counts(self.reply_wd, 0.5),
            "reply_working_days_p90": quantile_counts(self.reply_wd, 0.9),
            "reminders": n.reminders,
            "escalations": n.escalations,
            "follow_ups": n.follow_ups,
            "deductions_total": math.fsum(p for s in self._points_by_unit.values() for p in s.partials),
            "deductions_by_unit": self.deductions_by_unit,
            "reply_rate_by_unit": {u: units[u]["replied"] / units[u]["forms"] for u in sorted(units)},
            "accountability_flags": n.accountability,
            "misrouting_rate": _rate(n.misrouted, n.forms),
            "unrouted_forms": n.unrouted,
            "misclassification_rate": _rate(n.misclassified, n.forms),
            "desk_utilisation": (desk.busy_minutes / desk.staffed_minutes) if desk.staffed_minutes else None,
            "desk_utilisation_by_rota_line": {k: desk.busy_by_line.get(k, 0.0) / v
                                              for k, v in sorted(desk.staffed_by_line.items()) if v},
            "desk_wait_minutes_mean": statistics.fmean(desk.waits_minutes) if desk.waits_minutes else None,
            "desk_wait_minutes_p90": quantile(desk.waits_minutes, 0.9),
            "backlog_max": max((b for _, b in backlog), default=0),
            "merged_posts": desk.merged,
            "payloads_accepted": intake.get("accepted", 0),
            "payloads_rejected": sum(v for k, v in intake.items() if k not in ("accepted", "duplicate")),
            "payloads_duplicate": intake.get("duplicate", 0),
            "payloads_rejected_by_reason": {k: v for k, v in intake.items() if k not in ("accepted", "duplicate")},
            "promises": n.promises,
            "promises_kept": n.promises_kept,
            "promises_broken": n.promises_broken,
            # statistics.fmean is math.fsum / n: the exact running sum gives the same float in any order
            "reply_deadline_calendar_days_mean": (n.deadline_days.value() / n.deadline_days.n) if n.forms else None,
            "quarterly": self.table.rows(),
            "run": {
                "scenario": scenario_name,
                "seed": seed,
                "start": self.start.isoformat(),
                "end": self.end.isoformat(),
                "drained_at": drained_at.isoformat(),
            },
        }
        return _round(metrics)  # type: ignore[no-any-return]

    def _last_day(self) -> date:
        return (self.end - timedelta(microseconds=1)).date()  # ``end`` is exclusive

    def _open_at_end_of(self, day: date) -> int:
        """Forms issued minus forms replied up to the end of ``day``."""
        return (sum(n for (d, _), n in self.opened_per_hour.items() if d <= day)
                - sum(n for (d, _), n in self.replied_per_hour.items() if d <= day))

    def _backlog_rows(self, snapshots: Sequence[tuple[str, int]]) -> list[tuple[str, int]]:
        rows = {(date.fromisoformat(d) - timedelta(days=1)).isoformat(): n for d, n in snapshots}
        day, last = self.start.date(), self._last_day()
        while day <= last:
            if day.isoformat() not in rows:
                rows[day.isoformat()] = self._open_at_end_of(day)
            day += timedelta(days=1)
        return sorted(rows.items())

    def report_data(self) -> ReportData:
        start, last = self.start.date(), self._last_day()
        per_hour: dict[str, int] = {}
        open_per_hour: dict[str, int] = {}
        if (last - start).days < HOURLY_MAX_DAYS:
            opened = self.opened_per_hour
            replied = self.replied_per_hour
            open_forms = (sum(n for h, n in opened.items() if h[0] < start)
                          - sum(n for h, n in replied.items() if h[0] < start))
            day = start
            while day <= last:
                for hour in range(24):
                    h = (day, hour)
                    key = _hour_key(h)
                    per_hour[key] = self.posts_per_hour.get(h, 0)
                    open_forms += opened.get(h, 0) - replied.get(h, 0)
                    open_per_hour[key] = open_forms
                day += timedelta(days=1)
        return ReportData(start=start, last_day=last,
                          posts_per_day=dict(self.posts_per_day), backlog=list(self.backlog),
                          reply_working_days=dict(self.reply_wd),
                          statement_minutes=sorted(self.statement_minutes),
                          league=self.table.by_unit(), posts_per_hour=per_hour, open_forms_per_hour=open_per_hour)


# -- the sink the model calls ------------------------------------------------------------------------------------


class RunSink:
    """What a run streams its results into: the event log, cases and metrics (optionally files in ``out_dir``).

    The model calls, as the run goes:

    - ``log(row)`` for every event-log row, in the order the rows happen
      (rows for a later time, such as 调查办理 at the unit's next working
      moment, may be logged early);
    - ``deduction(at, unit, points, reason)`` for every deduction, in the order booked;
    - ``case(rec)`` once per case, when nothing can change the record any more
      (at the latest, for every case still held, before ``finish``);
    - ``advance(now)`` whenever the clock moves on: a promise that no row with
      ``at < now`` will be logged any more (lets the event log write out);
    - ``finish(...)`` once, at the end: the metrics dict;
    - ``close(metrics, extra, report)``: writes metrics.json, backlog.csv and
      report-data.json (what the report draws; ``report=False``: not written) and completes events.csv and
      cases.csv (``abort()`` on error).  The report page itself is built from these files afterwards
      (``reporting.page.write_report``: the simulator does not draw).
    """

    def __init__(self, calendar: Any, start: datetime, end: datetime, out_dir: str | Path | None = None,
                 cases_run_size: int = 10_000) -> None:
        self.acc = RunAccumulator(calendar, start, end)
        self.out = Path(out_dir) if out_dir is not None else None
        self.events: EventLogWriter | None = None
        self.cases: CasesWriter | None = None
        if self.out is not None:
            self.out.mkdir(exist_ok=True)
            self.events = EventLogWriter(self.out / "events.csv")
            self.cases = CasesWriter(self.out / "cases.csv", cases_run_size)
        self.metrics: dict[str, Any] | None = None
        #: a second process draining part of the run (``simulator.split.DrainPeer``): its rows and forms come in
        #: through ``advance``, and the event log never passes the moment that process has reached
        self.peer: Any = None

    def log(self, row: LogRow) -> None:
        self.acc.add_log(row)
        if self.events is not None:
            self.events.add(row)

    def log_targets(self) -> tuple[Callable[[LogRow], None], ...]:
        """What ``log(row)`` calls with the row, in order: a caller logging many rows may call them itself."""
        return (self.acc.add_log,) if self.events is None else (self.acc.add_log, self.events.add)

    def deduction(self, at: datetime, unit: str, points: float, reason: str = "") -> None:
        self.acc.add_deduction(at, unit, points, reason)

    def case(self, rec: CaseRecord) -> None:
        self.acc.add_case(rec)
        if self.cases is not None:
            self.cases.add(rec)

    def advance(self, now: datetime) -> None:
        if self.peer is not None:
            now = self.peer.sync(now)
        if self.events is not None:
            self.events.advance(now)

    def finish(self, *, scenario_name: str, seed: int, drained_at: datetime, posts: int, desk: DeskStats,
               backlog: list[tuple[str, int]], intake: Mapping[str, int]) -> dict[str, Any]:
        self.metrics = self.acc.finish(scenario_name=scenario_name, seed=seed, drained_at=drained_at, posts=posts,
                                       desk=desk, backlog=backlog, intake=intake)
        return self.metrics

    def close(self, metrics: dict[str, Any] | None = None, extra: dict[str, Any] | None = None,
              report: bool = True) -> None:
        """Write the files (needs ``out_dir``); ``metrics`` defaults to what ``finish`` gave."""
        if self.out is None or self.events is None or self.cases is None:
            raise ValueError("this sink writes no files (no out_dir)")
        doc = dict(metrics if metrics is not None else self.metrics or {})
        if extra:
            doc["run"] = {**doc.get("run", {}), **extra}
        try:
            write_metrics_json(self.out / "metrics.json", doc)
            self.events.close()
            self.cases.close()
            write_csv(self.out / "backlog.csv", ["date", "open_forms"], self.acc.backlog)
            if report:
                (self.out / REPORT_DATA).write_text(self.acc.report_data().to_json(), encoding="utf-8")
        except BaseException:
            self.abort()
            raise

    def abort(self) -> None:
        if self.events is not None:
            self.events.abort()
        if self.cases is not None:
            self.cases.abort()


def feed_run(run: RunResult, sink: RunSink | RunAccumulator) -> dict[str, Any]:
    """Stream a finished in-memory run into ``sink``: the in-memory path of every metric and file."""
    log: Callable[[LogRow], None]
    deduction: Callable[[datetime, str, float, str], None]
    case: Callable[[CaseRecord], None]
    if isinstance(sink, RunSink):
        log, deduction, case = sink.log, sink.deduction, sink.case
    else:
        log, deduction, case = sink.add_log, sink.add_deduction, sink.add_case
    for r in run.log:
        log(r)
    for at, unit, points, reason in run.deductions:
        deduction(at, unit, points, reason)
    for c in run.cases:
        case(c)
    return sink.finish(scenario_name=run.scenario.name, seed=run.seed, drained_at=run.drained_at, posts=run.posts,
                       desk=run.desk, backlog=run.backlog, intake=run.intake)
