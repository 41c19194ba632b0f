"""Event-log export for process-mining tools (pm4py, ProM, Disco, Celonis).

Columns follow the XES standard extensions that process-mining tools read
by default: ``case:concept:name`` (case id), ``concept:name`` (activity),
``time:timestamp``, ``org:resource``, plus ``unit`` and ``category``.
Formats: CSV, XES (IEEE 1849 XML) and Parquet (needs pyarrow: the ``parquet`` extra,
``pip install -e '.[parquet]'`` in a source checkout).

A replicated run's top folder holds no events.csv of its own: exporting it
writes every replication's events with a ``replication`` column (the
folder name, ``000`` …) and case ids prefixed with it (``000/C000001``), so
that cases of different replications stay apart in a process-mining tool;
``replication=N`` exports one replication as it is.
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from engine.errors import WenzhengError

from .messages import t
from .model import COLLECT, HANDLE, REPLY, REPORT, SUPERVISE

__all__ = ["export_log", "default_path", "FIVE_STEPS", "COLUMNS", "REPLICATION_COLUMN", "read_events",
           "replication_folders", "XES_SIGNATURE", "SIGNATURE_KEY"]

FIVE_STEPS = (COLLECT, REPORT, HANDLE, SUPERVISE, REPLY)
COLUMNS = ("case:concept:name", "concept:name", "time:timestamp", "org:resource", "unit", "category")
#: the extra last column when a replicated run's top folder is exported
REPLICATION_COLUMN = "replication"

Row = tuple[str, str, datetime, str, str, str, str]  # the COLUMNS, then the replication ("" for one run)


# how wenzheng recognises a file it exported (so that it replaces it without --force)
XES_SIGNATURE = "<!-- written by wenzheng -->"
SIGNATURE_KEY = "written_by"


class ExportError(WenzhengError):
    pass


def replication_folders(run_dir: Path) -> list[Path]:
    """The replications' folders (``000`` …) of a replicated run's top folder, in order; [] otherwise."""
    if not run_dir.is_dir():
        return []
    return sorted(p for p in run_dir.iterdir() if p.is_dir() and p.name.isdigit() and (p / "events.csv").is_file())


def read_events(run_dir: Path, steps_only: bool, replication: int | None = None) -> list[Row]:
    """The rows to export from one run's folder, a replicated run's top folder (every replication), or one
    replication of it (``replication``)."""
    reps = [] if (run_dir / "events.csv").is_file() else replication_folders(run_dir)
    if replication is not None:
        if not reps:
            raise ExportError(t("export.not_replicated", folder=run_dir))
        chosen = [p for p in reps if int(p.name) == replication]
        if not chosen:
            raise ExportError(t("export.no_such_replication", folder=run_dir, n=replication, first=int(reps[0].name),
                                last=int(reps[-1].name)))
        return _read_one(chosen[0], steps_only, "")
    if reps:
        return [row for rep in reps for row in _read_one(rep, steps_only, rep.name)]
    return _read_one(run_dir, steps_only, "")


def _read_one(run_dir: Path, steps_only: bool, rep: str) -> list[Row]:
    path = run_dir / "events.csv"
    if not path.is_file():
        raise ExportError(t("export.no_events", folder=run_dir))
    prefix = f"{rep}/" if rep else ""
    rows = []
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        expected = ["case_id", "activity", "timestamp", "resource", "unit", "category"]
        if (reader.fieldnames or [])[:len(expected)] != expected:  # later columns are additive
            raise ExportError(t("export.bad_columns", path=path, got=reader.fieldnames, expected=expected))
        for n, r in enumerate(reader, start=2):
            if steps_only and r["activity"] not in FIVE_STEPS:
                continue
            try:
                at = datetime.fromisoformat(r["timestamp"])
            except ValueError:
                raise ExportError(t("export.bad_timestamp", path=path, line=n, value=r["timestamp"])) from None
            rows.append((prefix + r["case_id"], r["activity"], at, r["resource"], r["unit"], r["category"], rep))
    rows.sort(key=lambda r: (r[0], r[2], FIVE_STEPS.index(r[1]) if r[1] in FIVE_STEPS else 9))
    return rows


def _csv(rows: list[Row], out: Path) -> None:
    replicated = any(r[6] for r in rows)
    with out.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(COLUMNS + ((REPLICATION_COLUMN,) if replicated else ()))
        for case, act, at, res, unit, cat, rep in rows:
            w.writerow([case, act, at.isoformat(timespec="milliseconds"), res, unit, cat]
                       + ([rep] if replicated else []))


def _xes(rows: list[Row], out: Path) -> None:
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
        for case, act, at, res, unit, cat, rep in rows:
            if case != current:
                if current is not None:
                    f.write(" </trace>\n")
                f.write(f" <trace>{s('concept:name', case)}{s(REPLICATION_COLUMN, rep) if rep else ''}\n")
                current = case
            stamp = at.isoformat(timespec="milliseconds")
            f.write(f"  <event>{s('concept:name', act)}<date key=\"time:timestamp\" value={quoteattr(stamp)}/>"
                    f"{s('org:resource', res)}{s('unit', unit)}{s('category', cat)}</event>\n")
        if current is not None:
            f.write(" </trace>\n")
        f.write("</log>\n")


def _parquet(rows: list[Row], out: Path) -> None:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ExportError(t("export.no_pyarrow")) from None
    offset = rows[0][2].strftime("%z") if rows else "+0000"  # e.g. +0800, the run's timezone
    tz = f"{offset[:3]}:{offset[3:]}"
    cols: list[Any] = list(zip(*rows, strict=True)) if rows else [() for _ in range(len(COLUMNS) + 1)]
    columns = {
        COLUMNS[0]: pa.array(cols[0], pa.string()),
        COLUMNS[1]: pa.array(cols[1], pa.string()),
        COLUMNS[2]: pa.array(cols[2], pa.timestamp("ms", tz=tz)),
        COLUMNS[3]: pa.array(cols[3], pa.string()),
        COLUMNS[4]: pa.array(cols[4], pa.string()),
        COLUMNS[5]: pa.array(cols[5], pa.string()),
    }
    if any(cols[6]):
        columns[REPLICATION_COLUMN] = pa.array(cols[6], pa.string())
    table = pa.table(columns)
    pq.write_table(table.replace_schema_metadata({SIGNATURE_KEY: "wenzheng"}), out)


def default_path(run_dir: Path, fmt: str) -> Path:
    """Where ``wenzheng export`` writes by default: beside the run's events.csv."""
    return run_dir / f"events.{fmt if fmt != 'csv' else 'pm.csv'}"


def export_log(run_dir: Path, fmt: str, out: Path | None = None, steps_only: bool = False,
               replication: int | None = None) -> Path:
    """Write the run's event log in ``fmt`` to the file ``out`` (default: :func:`default_path`).

    ``run_dir``: one run's folder, or a replicated run's top folder (every replication, or the one numbered
    ``replication``).  The file is written in place; the CLI hands in a temporary file and moves it into
    place safely.
    """
    rows = read_events(run_dir, steps_only, replication)
    target = out or default_path(run_dir, fmt)
    {"csv": _csv, "xes": _xes, "parquet": _parquet}[fmt](rows, target)
    return target
