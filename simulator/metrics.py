"""Outcome metrics of a run, and the files a run writes.

Every metric is defined in docs/metrics.md and counted in one place,
``stream.RunAccumulator`` (one form, deduction and log row at a time); the
functions here apply it to a finished in-memory ``RunResult``.  Rates are
fractions of 1.  Forms issued near the end of a run are not miscounted: the
run drains until every deadline timer has fired, so each form's reply
deadline has passed.
"""

from __future__ import annotations

import csv
import hashlib
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .model import RunResult

__all__ = ["compute_metrics", "quarterly_table", "write_run", "quantile", "quarter_of", "policy_fingerprint", "UNROUTED",
           "EVENT_COLUMNS"]

#: how a form that no routing rule matched is shown in per-unit tables
UNROUTED = "（未转办）"

#: events.csv: the six original columns first (readers select by name), then the additive ones
#: that let a run be checked from its log alone (docs/metrics.md, "Other files of a run")
EVENT_COLUMNS = ["case_id", "activity", "timestamp", "resource", "unit", "category",
                 "rule", "deadline", "due", "remind_at", "points", "reposts", "merged_post"]


def quantile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated quantile (the 'inclusive' method); None when empty."""
    if not values:
        return None
    xs = sorted(values)
    if len(xs) == 1:
        return float(xs[0])
    pos = (len(xs) - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return float(xs[lo] + (xs[hi] - xs[lo]) * (pos - lo))


def _rate(num: int, den: int) -> float | None:
    return None if den == 0 else num / den


def _round(v: Any) -> Any:
    if isinstance(v, float):
        return round(v, 6)
    if isinstance(v, dict):
        return {k: _round(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_round(x) for x in v]
    return v


def quarter_of(d: Any) -> str:
    return f"{d.year}Q{(d.month - 1) // 3 + 1}"


def policy_fingerprint(rules_dir: str | Path) -> str:
    """sha256 over the rule files' names and contents (not their absolute paths)."""
    h = hashlib.sha256()
    base = Path(rules_dir)
    for f in sorted(list(base.glob("*.yaml")) + list(base.glob("*.yml"))):
        h.update(f.name.encode())
        h.update(b"\0")
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def _write_csv(path: Path, header: list[str], rows: Iterable[Iterable[Any]]) -> None:
    """Write one whole CSV file (cases.csv, backlog.csv; events.csv streams through the same csv dialect)."""
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def compute_metrics(run: RunResult) -> dict[str, Any]:
    """The metrics of a finished in-memory run: fed through the streaming ``RunAccumulator`` (one implementation)."""
    from .stream import RunAccumulator, feed_run

    return feed_run(run, RunAccumulator(run.calendar, run.start, run.end))


def quarterly_table(run: RunResult) -> list[dict[str, Any]]:
    """The statistics table per quarter and unit (``stream.QuarterlyTable``) of a run's forms and deductions."""
    from .stream import QuarterlyTable

    table = QuarterlyTable()
    for c in run.cases:
        table.add_case(c)
    for at, unit, points, _ in run.deductions:
        table.add_deduction(at, unit, points)
    return table.rows()


def write_run(run: RunResult, metrics: dict[str, Any], out_dir: str | Path, extra: dict[str, Any] | None = None,
              report: bool = True) -> Path:
    """Write metrics.json, events.csv, cases.csv, backlog.csv and report-data.json into the folder ``out_dir``
    (the report page is drawn from them by ``reporting.page.write_report``).

    The folder is created if missing (its parent must exist) and the files are
    written in place: making that safe (a staging folder renamed into place,
    nothing foreign overwritten) is the caller's job — ``wenzheng.outputs`` in
    the CLI.  The run is fed through the same ``stream.RunSink`` a streaming
    run writes with; ``metrics`` (as given) is what metrics.json and the report show.
    """
    from .stream import RunSink, feed_run

    out = Path(out_dir)
    sink = RunSink(run.calendar, run.start, run.end, out)
    try:
        feed_run(run, sink)
    except BaseException:
        sink.abort()
        raise
    sink.close(metrics, extra, report)
    return out
