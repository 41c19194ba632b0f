"""What the leaders' views count, read from one run's files (cases.csv, events.csv, metrics.json).

The files are streamed row by row: what is kept grows with the number of units, categories, quarters and
deducted cases, and the lists (overdue forms, hot events, accountability flags) are capped at ``list_cap``
entries each (worst first) with the number left off counted.  So a megacity run is read in bounded memory.

Definitions (docs/results.md, "Leaders' views"):

- a form belongs to the quarter of its issue (``opened_at``), as in metrics.json's ``quarterly`` table;
- a deduction is booked in the quarter of its 扣分 row (the deadline or follow-up event that caused it),
  as the rules book it; ``deductions_earlier`` is the part of those points on forms issued in an earlier quarter;
- overdue and still open: issued before the end of the period, reply deadline before it, no reply filed
  before it; days overdue are counted from the deadline to the end of the period.
"""

from __future__ import annotations

import csv
import heapq
import io
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from simulator.metrics import UNROUTED, quarter_of

__all__ = ["RunData", "UnitQuarter", "RunCalendar", "read_run", "quarter_bounds", "quarter_key", "LIST_CAP"]

#: how many entries each list keeps (worst first); the rest are counted
LIST_CAP = 100

DEDUCT = "扣分"
ACCOUNTABILITY = "问责"


def quarter_key(q: str) -> tuple[int, int]:
    """"2014Q3" → (2014, 3), for ordering quarters."""
    year, _, n = q.partition("Q")
    return int(year), int(n)


def quarter_bounds(q: str) -> tuple[date, date]:
    """First and last day of a quarter."""
    year, n = quarter_key(q)
    first = date(year, 3 * (n - 1) + 1, 1)
    nxt = date(year + 1, 1, 1) if n == 4 else date(year, 3 * n + 1, 1)
    return first, nxt - timedelta(days=1)


def previous_quarter(q: str) -> str:
    year, n = quarter_key(q)
    return f"{year - 1}Q4" if n == 1 else f"{year}Q{n - 1}"


@dataclass(frozen=True)
class RunCalendar:
    """Working days as the run recorded them (metrics.json ``run.calendar``); the weekday rule past ``through``
    or when the run recorded no calendar (runs written before it was recorded)."""

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    through: date | None = None
    recorded: bool = False

    @classmethod
    def from_metrics(cls, run: dict[str, Any]) -> RunCalendar:
        cal = run.get("calendar")
        if not isinstance(cal, dict):
            return cls()
        return cls(frozenset(date.fromisoformat(d) for d in cal.get("holidays", [])),
                   frozenset(date.fromisoformat(d) for d in cal.get("workdays", [])),
                   date.fromisoformat(cal["through"]) if cal.get("through") else None, True)

    def is_workday(self, d: date) -> bool:
        if d in self.holidays:
            return False
        return d in self.workdays or d.weekday() < 5

    def working_days_between(self, a: date, b: date) -> int:
        """Working days in (a, b]: 0 when b <= a."""
        n = 0
        d = a + timedelta(days=1)
        while d <= b:
            n += self.is_workday(d)
            d += timedelta(days=1)
        return n


@dataclass
class UnitQuarter:
    """One unit's counts in one quarter (the columns of the quarterly statistics table)."""

    collected: int = 0
    replied: int = 0
    on_time: int = 0
    overdue: int = 0
    supervised: int = 0
    deductions: float = 0.0
    deductions_earlier: float = 0.0  # of ``deductions``: points on forms issued in an earlier quarter


@dataclass
class Capped:
    """A list kept to its ``cap`` smallest entries by sort key (worst first); ``total`` counts every entry."""

    cap: int
    total: int = 0
    _heap: list[tuple[Any, int, dict[str, Any]]] = field(default_factory=list)

    def add(self, key: Any, row: dict[str, Any]) -> None:
        self.total += 1
        item = (_Neg(key), self.total, row)  # a max-heap on key: the largest key leaves first
        if len(self._heap) < self.cap:
            heapq.heappush(self._heap, item)
        elif key < self._heap[0][0].v:
            heapq.heapreplace(self._heap, item)

    def rows(self) -> list[dict[str, Any]]:
        return [r for _, _, r in sorted(self._heap, key=lambda i: (i[0].v, i[1]))]


class _Neg:
    __slots__ = ("v",)

    def __init__(self, v: Any) -> None:
        self.v = v

    def __lt__(self, other: _Neg) -> bool:
        return bool(other.v < self.v)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Neg) and bool(self.v == other.v)


@dataclass
class RunData:
    """Everything the leaders' views show of one run (one replication)."""

    label: str  # the replication folder's name ("000"), "" for a single run
    scenario: str
    start: date  # first day of the period
    last_day: date  # last day of the period
    end: datetime  # 00:00 after the last day
    unit_types: dict[str, str]
    calendar: RunCalendar
    quarters: dict[tuple[str, str], UnitQuarter] = field(default_factory=dict)
    categories: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    reply_kinds: Counter[str] = field(default_factory=Counter)
    unit_categories: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    promises: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    overdue: Capped = field(default_factory=lambda: Capped(LIST_CAP))
    hot: Capped = field(default_factory=lambda: Capped(LIST_CAP))
    flags: Capped = field(default_factory=lambda: Capped(LIST_CAP))

    def unit_type(self, unit: str) -> str:
        return self.unit_types.get(unit, "other")

    def uq(self, q: str, unit: str) -> UnitQuarter:
        r = self.quarters.get((q, unit))
        if r is None:
            r = self.quarters[(q, unit)] = UnitQuarter()
        return r

    def period_quarters(self) -> list[str]:
        """The quarters the period touches, then any later quarter with data (deductions during the drain)."""
        qs = []
        d = date(self.start.year, 3 * ((self.start.month - 1) // 3) + 1, 1)
        while d <= self.last_day:
            qs.append(quarter_of(d))
            d = quarter_bounds(qs[-1])[1] + timedelta(days=1)
        extra = {q for q, _ in self.quarters} - set(qs)
        return qs + sorted(extra, key=quarter_key)


def _dt(s: str) -> datetime | None:
    return datetime.fromisoformat(s) if s else None


def _rows(path: Path) -> Iterator[dict[str, str]]:
    """The rows as ``csv.DictReader`` gives them (blank lines skipped, None for the fields of a short row and
    under the key None the rest of a long one), each made by one ``dict(zip(...))`` in C."""
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None:
            return
        width = len(header)
        for row in reader:
            if len(row) == width:
                yield dict(zip(header, row, strict=True))
            elif row:
                yield _odd_row(header, row)  # type: ignore[misc]


def _odd_row(header: list[str], row: list[str]) -> dict[str | None, Any]:
    """``DictReader``'s dict of a row shorter or longer than the header (restval None, restkey None)."""
    d: dict[str | None, Any] = dict(zip(header, row, strict=False))
    d.update((k, None) for k in header[len(row):])
    if len(row) > len(header):
        d[None] = row[len(header):]
    return d


#: how much of events.csv ``_rows_where`` scans at a time
SCAN_BYTES = 1 << 20


def _rows_where(path: Path, column: str, values: frozenset[str]) -> Iterator[dict[str, str]]:
    """The rows whose ``column`` is one of ``values``, as ``DictReader`` gives them: the other rows are only
    looked at (most of events.csv is neither a deduction nor a flag).

    The file is scanned as bytes, a megabyte at a time, for the values' UTF-8 text; only the lines holding one
    are decoded and split (``csv.reader``).  A line is a whole record until the first quote or carriage return
    (a record spans lines only inside a quoted field; a bare CR may end a line): from the line holding it on,
    every record is read by ``csv.reader``.  The same rows either way (a test compares them with
    ``DictReader`` on files with quoted, multi-line, CR and look-alike fields)."""
    with path.open("rb") as f:
        head = f.readline()
        header = next(csv.reader(io.StringIO(head.decode("utf-8"), newline="")), [])
        if column not in header:
            raise KeyError(column)  # as DictReader's row[column] would
        i = header.index(column)
        for row in _records_with(f, values):
            if len(row) > i and row[i] in values:
                yield _odd_row(header, row)  # type: ignore[misc]  # any row: DictReader's dict


def _records_with(f: Any, values: frozenset[str]) -> Iterator[list[str]]:
    """The records of the rest of binary file ``f`` that may hold one of ``values`` (see ``_rows_where``)."""
    wanted = [v.encode("utf-8") for v in sorted(values) if v]
    rest = b""
    offset = f.tell()  # of ``rest`` in the file
    while True:
        chunk = f.read(SCAN_BYTES)
        data = rest + chunk
        stops = [p for p in (data.find(b'"'), data.find(b"\r")) if p >= 0]
        if stops:
            start = data.rfind(b"\n", 0, min(stops)) + 1
            yield from _lines_holding(data[:start], wanted)
            f.seek(offset + start)
            yield from csv.reader(io.TextIOWrapper(f, encoding="utf-8", newline=""))
            return
        if not chunk:
            yield from _lines_holding(data, wanted)
            return
        end = data.rfind(b"\n") + 1
        yield from _lines_holding(data[:end], wanted)
        rest = data[end:]
        offset += end


def _lines_holding(data: bytes, wanted: list[bytes]) -> Iterator[list[str]]:
    """The records of the plain lines of ``data`` (no quote, no CR) holding one of ``wanted``, in file order."""
    starts: set[int] = set()
    for v in wanted:
        at = data.find(v)
        while at >= 0:
            start = data.rfind(b"\n", 0, at) + 1
            starts.add(start)
            end = data.find(b"\n", at)
            if end < 0:
                break
            at = data.find(v, end)
    for start in sorted(starts):
        end = data.find(b"\n", start)
        line = data[start:] if end < 0 else data[start:end + 1]
        yield next(csv.reader((line.decode("utf-8"),)))


def read_run(run: Path, metrics: dict[str, Any], label: str = "", list_cap: int = LIST_CAP) -> RunData:
    """Stream one run's cases.csv and events.csv into a ``RunData``."""
    info = metrics.get("run", {})
    start_dt = datetime.fromisoformat(info["start"])
    end_dt = datetime.fromisoformat(info["end"])
    data = RunData(label=label, scenario=str(info.get("scenario", "")), start=start_dt.date(),
                   last_day=(end_dt - timedelta(days=1)).date(), end=end_dt,
                   unit_types=dict(info.get("unit_types", {})), calendar=RunCalendar.from_metrics(info),
                   overdue=Capped(list_cap), hot=Capped(list_cap), flags=Capped(list_cap))
    issued_quarter: dict[str, str] = {}  # case id → quarter of issue, for cases with deductions only
    flagged: dict[str, dict[str, Any]] = {}
    end_date = data.last_day
    for r in _rows(run / "cases.csv"):
        opened = _dt(r["opened_at"])
        if opened is None:
            continue
        unit = r["unit"] or UNROUTED
        q = quarter_of(opened)
        replied, due = _dt(r["replied_at"]), _dt(r["reply_due"])
        on_time = replied is not None and due is not None and replied <= due
        row = data.uq(q, unit)
        row.collected += 1
        row.replied += replied is not None
        row.on_time += on_time
        row.overdue += not on_time
        escalations = int(r["escalations"] or 0)
        row.supervised += escalations > 0
        points = float(r["deductions"] or 0)
        if points:
            issued_quarter[r["case_id"]] = q
        cat = data.categories[r["category"]]
        cat["forms"] += 1
        cat["replied"] += replied is not None
        cat["on_time"] += on_time
        cat["deductions_x1000"] += round(points * 1000)
        data.reply_kinds[r["reply_kind"]] += 1
        data.unit_categories[unit][r["category"]] += 1
        if r.get("promise_due"):
            kept = r.get("promise_kept", "")
            p = data.promises[unit]
            p["promises"] += 1
            p["kept" if kept == "1" else "broken" if kept == "0" else "pending"] += 1
        if opened < end_dt and due is not None and due < end_dt and (replied is None or replied >= end_dt):
            due_day = due.date()
            data.overdue.add(due, {
                "case_id": r["case_id"], "unit": unit, "category": r["category"], "place": r["place"],
                "opened_at": opened, "reply_due": due, "replied_at": replied,
                "calendar_days": (end_dt - due).total_seconds() / 86400,
                "working_days": data.calendar.working_days_between(due_day, end_date),
                "escalations": escalations})
        hot_at = _dt(r["hot_at"])
        if hot_at is not None:
            st, st_due = _dt(r["statement_at"]), _dt(r["statement_due"])
            data.hot.add(hot_at, {
                "case_id": r["case_id"], "unit": unit, "category": r["category"], "place": r["place"],
                "hot_at": hot_at, "statement_at": st,
                "minutes": (st - hot_at).total_seconds() / 60 if st is not None else None,
                "within": st is not None and st_due is not None and st <= st_due,
                "reposts": int(r["reposts_24h"] or 0)})
        if r["accountability"] == "1":
            flagged[r["case_id"]] = {
                "case_id": r["case_id"], "unit": unit, "category": r["category"], "place": r["place"],
                "hot_at": hot_at, "statement_at": _dt(r["statement_at"]), "reposts": int(r["reposts_24h"] or 0),
                "deductions": points, "rules": []}
    for e in _rows_where(run / "events.csv", "activity", frozenset((DEDUCT, ACCOUNTABILITY))):
        act = e["activity"]
        if act == DEDUCT:
            at = datetime.fromisoformat(e["timestamp"])
            q = quarter_of(at)
            points = float(e["points"] or 0)
            row = data.uq(q, e["unit"] or UNROUTED)
            row.deductions += points
            issued = issued_quarter.get(e["case_id"])
            if issued is not None and quarter_key(issued) < quarter_key(q):
                row.deductions_earlier += points
        elif act == ACCOUNTABILITY and e["case_id"] in flagged:
            flagged[e["case_id"]]["rules"].append(e["rule"])
            flagged[e["case_id"]].setdefault("flagged_at", datetime.fromisoformat(e["timestamp"]))
    for f in flagged.values():
        f.setdefault("flagged_at", None)
        data.flags.add((f["flagged_at"] or data.end, f["case_id"]), f)
    return data
