"""What the supervisors see, computed from the store: totals, escalations, deductions and the quarterly table.

One function, ``supervision``, feeds both ``GET /api/supervision`` and the ``/supervisor`` page.  The
definitions follow docs/metrics.md so that a live run and a simulated one compare like with like:

* a form is a case opened; replied: a reply (``ReplyFiled``) stored; on time: replied at or before the reply
  deadline's due time; ``reply_rate`` and ``on_time_rate`` are over forms (None when there are none);
* ``statements_on_time``: cases with a statement at or before their ``external_statement`` deadline (the
  simulator's ``statement_2h_rate`` divides it by ``hot``);
* reminders, escalations, deductions and accountability flags are the engine's effects in the stored decisions;
  ``accountability_flags`` counts cases flagged;
* a form's quarter is that of its opening time in the policy's time zone; a deduction is booked in the quarter
  of its own event (the deadline or follow-up that caused it), under the unit the effect names.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from reporting.leaders import group_units
from simulator.metrics import quarter_of

from . import store
from .service import LiveService

__all__ = ["supervision", "quarterly_by_group"]

_COUNTS = ("forms", "replied", "on_time", "deductions")


def _rate(n: int, d: int) -> float | None:
    return n / d if d else None


def supervision(service: LiveService) -> dict[str, Any]:
    tz = service.engine.calendar.tz
    forms = replied = on_time = hot = statements = statements_on_time = 0
    reminders = 0
    flagged: set[str] = set()
    escalations: list[dict[str, Any]] = []
    deductions: list[dict[str, Any]] = []
    quarterly: dict[tuple[str, str], dict[str, Any]] = {}

    def row(quarter: str, unit: str) -> dict[str, Any]:
        return quarterly.setdefault((quarter, unit), {"quarter": quarter, "unit": unit, "forms": 0, "replied": 0,
                                                      "on_time": 0, "deductions": 0.0})

    with service.db.connect() as conn:
        for (state,) in conn.execute(select(store.cases.c.state).order_by(store.cases.c.opened_at)):
            case = store.load_case(state)
            r = row(quarter_of(case.opened_at.astimezone(tz)), case.unit)
            forms += 1
            r["forms"] += 1
            reply = case.deadlines.get("reply")
            if case.replied_at is not None:
                replied += 1
                r["replied"] += 1
                if reply is not None and case.replied_at <= reply.due:
                    on_time += 1
                    r["on_time"] += 1
            hot += case.hot
            if case.statement_at is not None:
                statements += 1
                stmt = case.deadlines.get("external_statement")
                statements_on_time += stmt is not None and case.statement_at <= stmt.due
        events = conn.execute(select(store.events.c.case_id, store.events.c.at, store.events.c.decision)
                              .where(store.events.c.decision.is_not(None)).order_by(store.events.c.seq))
        for case_id, at, decision in events:
            when = store.unstamp(at).astimezone(tz)
            for eff in json.loads(decision)["effects"]:
                kind = eff["type"]
                if kind == "remind":
                    reminders += 1
                elif kind == "escalate":
                    escalations.append({"case_id": case_id, "unit": eff["unit"], "to": eff["to"],
                                        "level": eff["level"], "at": when.isoformat()})
                elif kind == "deduct":
                    deductions.append({"case_id": case_id, "unit": eff["unit"], "points": eff["points"],
                                       "reason": eff["reason"], "at": when.isoformat()})
                    row(quarter_of(when), eff["unit"])["deductions"] += eff["points"]
                elif kind == "flag_accountability":
                    flagged.add(case_id)
    return {
        "now": service.clock.now().astimezone(tz).isoformat(),
        "totals": {"forms": forms, "replied": replied, "reply_rate": _rate(replied, forms), "on_time": on_time,
                   "on_time_rate": _rate(on_time, forms), "hot": hot, "statements": statements,
                   "statements_on_time": statements_on_time, "reminders": reminders,
                   "escalations": len(escalations),
                   "deductions_total": float(sum(d["points"] for d in deductions)),
                   "accountability_flags": len(flagged)},
        "escalations": escalations,
        "deductions": deductions,
        "quarterly": [quarterly[k] for k in sorted(quarterly)],
    }


def _with_rates(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "reply_rate": _rate(row["replied"], row["forms"]), "on_time_rate": _rate(row["on_time"], row["forms"])}


def quarterly_by_group(service: LiveService, quarterly: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``supervision(...)["quarterly"]`` as the leaders' statistics table shows it (reporting/leaders.py): per
    quarter, the units grouped by type (街道, 镇, 委办局, …, in ``group_units``' order: every street, town and bureau
    of the policy, with or without forms), each group with its subtotal, then the quarter's total; every row with
    its reply rate and on-time rate over its forms (None without forms).

    ``[{"quarter", "groups": [{"group", "rows": [row…], "subtotal": row}], "total": row}]``, quarters in order."""
    types = {name: spec.type for name, spec in service.engine.policy.units.items()}
    by_quarter: dict[str, dict[str, dict[str, Any]]] = {}
    for r in quarterly:
        by_quarter.setdefault(r["quarter"], {})[r["unit"]] = r
    out = []
    for q in sorted(by_quarter):
        rows = by_quarter[q]
        total = dict.fromkeys(_COUNTS, 0)
        groups = []
        for group, units in group_units(types, rows).items():
            sub = dict.fromkeys(_COUNTS, 0)
            shown = []
            for u in units:
                r = rows.get(u) or {"quarter": q, "unit": u, "forms": 0, "replied": 0, "on_time": 0, "deductions": 0.0}
                shown.append(_with_rates(r))
                for k in _COUNTS:
                    sub[k] += r[k]
            for k in _COUNTS:
                total[k] += sub[k]
            groups.append({"group": group, "rows": shown, "subtotal": _with_rates(sub)})
        out.append({"quarter": q, "groups": groups, "total": _with_rates(total)})
    return out
