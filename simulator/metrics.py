"""Outcome metrics of a run, and the files a run writes.

Every metric is defined here and in docs/metrics.md; rates are fractions of 1.
Forms issued near the end of a run are not miscounted: the run drains until
every deadline timer has fired, so each form's reply deadline has passed.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .model import RunResult

__all__ = ["compute_metrics", "write_run", "quantile", "quarter_of", "policy_fingerprint", "UNROUTED", "EVENT_COLUMNS"]

#: how a form that no routing rule matched is shown in per-unit tables
UNROUTED = "（未转办）"

#: events.csv: the six original columns first (readers select by name), then the additive ones
#: that let a run be checked from its log alone (docs/metrics.md, "Other files of a run")
EVENT_COLUMNS = ["case_id", "activity", "timestamp", "resource", "unit", "category",
                 "rule", "deadline", "due", "remind_at", "points", "reposts", "merged_post"]


def quantile(values: list[float], q: float) -> float | None:
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


def compute_metrics(run: RunResult) -> dict[str, Any]:
    cal = run.calendar
    forms = [c for c in run.cases if c.opened_at is not None]
    unrouted = [c for c in forms if not c.unit]
    replied = [c for c in forms if c.replied_at is not None]
    on_time = [c for c in replied if c.reply_due is not None and c.replied_at <= c.reply_due]  # type: ignore[operator]
    hot = [c for c in forms if c.hot_at is not None]
    hot_ok = [c for c in hot if c.statement_at is not None and c.statement_due is not None
              and c.statement_at <= c.statement_due]
    statement_minutes = [(c.statement_at - c.hot_at).total_seconds() / 60 for c in hot
                         if c.statement_at is not None and c.hot_at is not None]
    reply_wd = [float(cal.working_days_between(c.opened_at, c.replied_at)) for c in replied]
    misrouted = [c for c in forms if c.true_unit and c.unit != c.true_unit]
    misclassified = [c for c in forms if c.category != c.true_category]
    # the reply rate a report written at the period's end gives (the article's 98%): forms issued before
    # the end, replied before it; recent forms still inside their 5 working days count as not replied
    issued_by_end = [c for c in forms if c.opened_at is not None and c.opened_at < run.end]
    replied_by_end = [c for c in issued_by_end if c.replied_at is not None and c.replied_at < run.end]
    ded_by_unit: dict[str, float] = defaultdict(float)
    for _, unit, points, _reason in run.deductions:
        ded_by_unit[unit or UNROUTED] += points
    desk = run.desk
    metrics: dict[str, Any] = {
        "posts": run.posts,
        "forms": len(forms),
        "answered_by_desk": desk.answered_directly,
        "replied": len(replied),
        "reply_rate": _rate(len(replied), len(forms)),
        "on_time_rate": _rate(len(on_time), len(forms)),
        "reply_rate_as_of": _rate(len(replied_by_end), len(issued_by_end)),
        "hot_events": len(hot),
        "statement_2h_rate": _rate(len(hot_ok), len(hot)),
        "statement_minutes_median": quantile(statement_minutes, 0.5),
        "reply_working_days_median": quantile(reply_wd, 0.5),
        "reply_working_days_p90": quantile(reply_wd, 0.9),
        "reminders": sum(c.reminders for c in forms),
        "escalations": sum(c.escalations for c in forms),
        "follow_ups": sum(c.followups for c in forms),
        "deductions_total": float(sum(ded_by_unit.values())),
        "deductions_by_unit": dict(sorted(ded_by_unit.items())),
        "reply_rate_by_unit": _by_unit_rate(forms),
        "accountability_flags": sum(1 for c in forms if c.accountability),
        "misrouting_rate": _rate(len(misrouted), len(forms)),
        "unrouted_forms": len(unrouted),
        "misclassification_rate": _rate(len(misclassified), len(forms)),
        "desk_utilisation": (desk.busy_minutes / desk.staffed_minutes) if desk.staffed_minutes else None,
        "desk_utilisation_by_rota_line": {k: desk.busy_by_line.get(k, 0.0) / v
                                          for k, v in sorted(desk.staffed_by_line.items()) if v},
        "desk_wait_minutes_mean": statistics.fmean(desk.waits_minutes) if desk.waits_minutes else None,
        "desk_wait_minutes_p90": quantile(desk.waits_minutes, 0.9),
        "backlog_max": max((n for _, n in run.backlog), default=0),
        "merged_posts": desk.merged,
        "payloads_accepted": run.intake.get("accepted", 0),
        "payloads_rejected": sum(v for k, v in run.intake.items() if k not in ("accepted", "duplicate")),
        "payloads_duplicate": run.intake.get("duplicate", 0),
        "payloads_rejected_by_reason": {k: v for k, v in run.intake.items() if k not in ("accepted", "duplicate")},
        "promises": sum(1 for c in forms if c.promise_due is not None),
        "promises_kept": sum(1 for c in forms if c.promise_kept is True),
        "promises_broken": sum(1 for c in forms if c.promise_kept is False),
        "reply_deadline_calendar_days_mean": statistics.fmean(
            [(c.reply_due - c.opened_at).total_seconds() / 86400 for c in forms if c.reply_due and c.opened_at])
        if forms else None,
        "quarterly": quarterly_table(run),
        "run": {
            "scenario": run.scenario.name,
            "seed": run.seed,
            "start": run.start.isoformat(),
            "end": run.end.isoformat(),
            "drained_at": run.drained_at.isoformat(),
        },
    }
    return _round(metrics)


def _by_unit_rate(forms: list[Any]) -> dict[str, float]:
    total: dict[str, int] = defaultdict(int)
    replied: dict[str, int] = defaultdict(int)
    for c in forms:
        u = c.unit or UNROUTED
        total[u] += 1
        replied[u] += c.replied_at is not None
    return {u: replied[u] / total[u] for u in sorted(total)}


def quarterly_table(run: RunResult) -> list[dict[str, Any]]:
    """The statistics table per quarter and unit, as the district leadership receives it.

    收集 collected: forms issued to the unit in the quarter; 转办 forwarded: the
    same forms (every collected problem is forwarded with a form); 答复 replied;
    按时 on time; 逾期 overdue (late or never); 督办 supervised (escalated at
    least once); 扣分 deduction points booked in the quarter.
    """
    rows: dict[tuple[str, str], dict[str, Any]] = {}

    def row(q: str, unit: str) -> dict[str, Any]:
        key = (q, unit)
        if key not in rows:
            rows[key] = {"quarter": q, "unit": unit, "collected": 0, "forwarded": 0, "replied": 0,
                         "on_time": 0, "overdue": 0, "supervised": 0, "deductions": 0.0}
        return rows[key]

    for c in run.cases:
        if c.opened_at is None:
            continue
        r = row(quarter_of(c.opened_at), c.unit or UNROUTED)
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
    for at, unit, points, _ in run.deductions:
        row(quarter_of(at), unit or UNROUTED)["deductions"] += points
    return [rows[k] for k in sorted(rows)]


def _write_csv(path: Path, header: list[str], rows: Iterable[Iterable[Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def write_run(run: RunResult, metrics: dict[str, Any], out_dir: str | Path, extra: dict[str, Any] | None = None,
              report: bool = True) -> Path:
    """Write metrics.json, events.csv, cases.csv, backlog.csv and report.html into the folder ``out_dir``.

    The folder is created if missing (its parent must exist) and the files are
    written in place: making that safe (a staging folder renamed into place,
    nothing foreign overwritten) is the caller's job — ``wenzheng.outputs`` in
    the CLI.
    """
    out = Path(out_dir)
    out.mkdir(exist_ok=True)
    doc = dict(metrics)
    if extra:
        doc["run"] = {**doc.get("run", {}), **extra}
    (out / "metrics.json").write_text(
        json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    _write_csv(out / "events.csv", EVENT_COLUMNS,
               ((r.case_id, r.activity, r.at.isoformat(), r.resource, r.unit, r.category, r.rule, r.deadline,
                 _iso(r.due), _iso(r.remind_at), _num(r.points), _num(r.reposts), r.merged_post)
                for r in sorted(run.log, key=lambda r: (r.at, r.case_id))))
    _write_csv(out / "cases.csv",
               ["case_id", "channel", "place", "true_category", "category", "true_unit", "unit", "posted_at",
                "opened_at", "hot_at", "statement_at", "statement_due", "reply_due", "replied_at",
                "reply_kind", "escalations", "followups", "deductions", "merged_posts", "reposts_24h",
                "reminders", "accountability"],
               ((c.case_id, c.channel, c.place, c.true_category, c.category, c.true_unit, c.unit,
                 _iso(c.posted_at), _iso(c.opened_at), _iso(c.hot_at), _iso(c.statement_at),
                 _iso(c.statement_due), _iso(c.reply_due), _iso(c.replied_at), c.reply_kind, c.escalations,
                 c.followups, c.deductions, c.merged_posts, len(c.repost_times), c.reminders,
                 int(c.accountability))
                for c in run.cases if c.opened_at is not None))
    _write_csv(out / "backlog.csv", ["date", "open_forms"], run.backlog)
    if report:
        from .report import render_report, report_sections

        (out / "report.html").write_text(
            render_report(f"{doc['run']['scenario']} — seed {doc['run']['seed']}", doc,
                          report_sections(run, doc)), encoding="utf-8")
    return out


def _iso(v: Any) -> str:
    return v.isoformat() if v is not None else ""


def _num(v: float | int | None) -> str:
    return "" if v is None else str(v)
