"""Event-log export for process-mining tools (pm4py, ProM, Disco, Celonis).

Columns follow the XES standard extensions that process-mining tools read
by default: ``case:concept:name`` (case id), ``concept:name`` (activity),
``time:timestamp``, ``org:resource``, plus ``unit`` and ``category``.
Formats: CSV, XES (IEEE 1849 XML) and Parquet (needs pyarrow:
``pip install 'wenzheng[parquet]'``).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from engine.errors import WenzhengError

from .model import COLLECT, HANDLE, REPLY, REPORT, SUPERVISE

__all__ = ["export_log", "default_path", "FIVE_STEPS", "COLUMNS", "read_events", "XES_SIGNATURE", "SIGNATURE_KEY"]

FIVE_STEPS = (COLLECT, REPORT, HANDLE, SUPERVISE, REPLY)
COLUMNS = ("case:concept:name", "concept:name", "time:timestamp", "org:resource", "unit", "category")


# how wenzheng recognises a file it exported (so that it replaces it without --force)
XES_SIGNATURE = "<!-- written by wenzheng -->"
SIGNATURE_KEY = "written_by"


class ExportError(WenzhengError):
    pass


def read_events(run_dir: Path, steps_only: bool) -> list[tuple[str, str, datetime, str, str, str]]:
    path = run_dir / "events.csv"
    if not path.is_file():
        hint = " (for replications, export one replication's folder, e.g. RUN_DIR/000)" if (run_dir / "000").is_dir() \
            else ""
        raise ExportError(f"{run_dir}: no events.csv{hint}")
    rows = []
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        expected = ["case_id", "activity", "timestamp", "resource", "unit", "category"]
        if (reader.fieldnames or [])[:len(expected)] != expected:  # later columns are additive
            raise ExportError(f"{path}: unexpected columns {reader.fieldnames} (expected {expected})")
        for n, r in enumerate(reader, start=2):
            if steps_only and r["activity"] not in FIVE_STEPS:
                continue
            try:
                at = datetime.fromisoformat(r["timestamp"])
            except ValueError:
                raise ExportError(f"{path}:{n}: bad timestamp {r['timestamp']!r}") from None
            rows.append((r["case_id"], r["activity"], at, r["resource"], r["unit"], r["category"]))
    rows.sort(key=lambda r: (r[0], r[2], FIVE_STEPS.index(r[1]) if r[1] in FIVE_STEPS else 9))
    return rows


def _csv(rows: Iterable[tuple[str, str, datetime, str, str, str]], out: Path) -> None:
    with out.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(COLUMNS)
        for case, act, at, res, unit, cat in rows:
            w.writerow([case, act, at.isoformat(timespec="milliseconds"), res, unit, cat])


def _xes(rows: list[tuple[str, str, datetime, str, str, str]], out: Path) -> None:
    def s(key: str, value: str) -> str:
        return f"<string key={quoteattr(key)} value={quoteattr(value)}/>"

    with out.open("w", encoding="utf-8") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n'
                f'{XES_SIGNATURE}\n'
                '<log xes.version="1.0" xes.features="nested-attributes" xmlns="http://www.xes-standard.org/">\n'
                ' <extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>\n'
                ' <extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>\n'
                ' <extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>\n'
                ' <global scope="trace"><string key="concept:name" value="__INVALID__"/></global>\n'
                ' <global scope="event"><string key="concept:name" value="__INVALID__"/>'
                '<date key="time:timestamp" value="1970-01-01T00:00:00.000+00:00"/></global>\n'
                ' <classifier name="Activity" keys="concept:name"/>\n')
        current = None
        for case, act, at, res, unit, cat in rows:
            if case != current:
                if current is not None:
                    f.write(" </trace>\n")
                f.write(f" <trace>{s('concept:name', case)}\n")
                current = case
            stamp = at.isoformat(timespec="milliseconds")
            f.write(f"  <event>{s('concept:name', act)}<date key=\"time:timestamp\" value={quoteattr(stamp)}/>"
                    f"{s('org:resource', res)}{s('unit', unit)}{s('category', cat)}</event>\n")
        if current is not None:
            f.write(" </trace>\n")
        f.write("</log>\n")


def _parquet(rows: list[tuple[str, str, datetime, str, str, str]], out: Path) -> None:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ExportError("parquet export needs pyarrow: pip install 'wenzheng[parquet]'") from None
    offset = rows[0][2].strftime("%z") if rows else "+0000"  # e.g. +0800, the run's timezone
    tz = f"{offset[:3]}:{offset[3:]}"
    cols: list[Any] = list(zip(*rows, strict=True)) if rows else [() for _ in COLUMNS]
    table = pa.table({
        COLUMNS[0]: pa.array(cols[0], pa.string()),
        COLUMNS[1]: pa.array(cols[1], pa.string()),
        COLUMNS[2]: pa.array(cols[2], pa.timestamp("ms", tz=tz)),
        COLUMNS[3]: pa.array(cols[3], pa.string()),
        COLUMNS[4]: pa.array(cols[4], pa.string()),
        COLUMNS[5]: pa.array(cols[5], pa.string()),
    })
    pq.write_table(table.replace_schema_metadata({SIGNATURE_KEY: "wenzheng"}), out)


def default_path(run_dir: Path, fmt: str) -> Path:
    """Where ``wenzheng export`` writes by default: beside the run's events.csv."""
    return run_dir / f"events.{fmt if fmt != 'csv' else 'pm.csv'}"


def export_log(run_dir: Path, fmt: str, out: Path | None = None, steps_only: bool = False) -> Path:
    """Write the run's event log in ``fmt`` to the file ``out`` (default: :func:`default_path`).

    The file is written in place; the CLI hands in a temporary file and moves it into place safely.
    """
    rows = read_events(run_dir, steps_only)
    target = out or default_path(run_dir, fmt)
    {"csv": _csv, "xes": _xes, "parquet": _parquet}[fmt](rows, target)
    return target
