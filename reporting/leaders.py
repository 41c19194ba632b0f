"""The tables a district leader acts on, as report ``Section``s in the current language.

``leader_sections(folder)`` reads a run folder (one run, or N replications) through ``leaderdata.read_run``
and gives nine views: the quarterly statistics table grouped by unit type, the league table by deductions per
100 forms, the change against the previous quarter, overdue forms still open, hot events and their
statements, accountability flags, breakdowns by category and reply kind, 近期解决 promises, and the streets
and towns.  For replicated runs every figure is pooled: counts and rates are the mean of the per-replication
values with a 95% Student-t interval (``simulator.stats.mean_ci``), lists take every replication's entries
with a replication column.  Definitions: docs/results.md, "Leaders' views".
"""

from __future__ import annotations

import html
import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from engine.i18n import lang_scope
from simulator.metrics import UNROUTED
from simulator.stats import mean_ci

from .folder import RunFolder, Section
from .leaderdata import RunData, previous_quarter, quarter_bounds, read_run
from .messages import t

__all__ = ["leader_sections", "load_runs", "quarter_table", "quarter_period", "group_units", "group_label", "GROUPS",
           "SHOW"]

#: unit types in the order the tables group them; "other" collects unknown types and （未转办）
GROUPS = ("street", "town", "bureau", "office", "other")
#: entries a list shows (the rest are counted in a line under it)
SHOW = 50

Cols = dict[str, float | None]


def load_runs(folder: RunFolder) -> list[RunData]:
    """Each replication's (or the single run's) data, streamed from its files."""
    return [read_run(run, folder.run_metrics(run), run.name if folder.replicated else "") for run in folder.runs]


# -- pooling ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stat:
    """A figure over replications: the mean of the defined values, the 95% CI half-width (None below 2)."""

    mean: float | None
    half: float | None
    n: int


def pool(values: Sequence[float | None]) -> Stat:
    xs = [float(v) for v in values if v is not None]
    if not xs:
        return Stat(None, None, 0)
    m, lo, hi = mean_ci(xs)
    return Stat(m, None if lo is None or hi is None else (hi - lo) / 2, len(xs))


def pool_rows(per_run: Sequence[dict[Any, Cols]], counts: Iterable[str]) -> dict[Any, dict[str, Stat]]:
    """Pool per-replication tables: a row or count missing in a replication counts 0; a rate missing
    (no forms) is left out of that row's mean."""
    counts = set(counts)
    keys: list[Any] = []
    for table in per_run:
        keys.extend(k for k in table if k not in keys)
    out: dict[Any, dict[str, Stat]] = {}
    for k in keys:
        cols: list[str] = []
        for table in per_run:
            cols.extend(c for c in table.get(k, {}) if c not in cols)
        out[k] = {c: pool([table.get(k, {}).get(c, 0.0 if c in counts else None) for table in per_run])
                  for c in cols}
    return out


def _rate(num: float, den: float) -> float | None:
    return None if den == 0 else num / den


# -- formatting ------------------------------------------------------------------------------------------------


def _fmt(v: float | None, kind: str, pooled: bool) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    if kind == "pct":
        return f"{100 * v:.1f}%"
    if kind == "pp":  # a change of a rate, in percentage points
        return f"{100 * v:+.1f}"
    if kind == "delta":
        return f"{v:+.1f}" if pooled or v != int(v) else f"{int(v):+d}"
    if kind == "pts":
        return f"{v:.1f}" if pooled else f"{v:g}"
    return f"{v:.1f}" if pooled else f"{v:.0f}"


def cell(s: Stat | float | None, kind: str, pooled: bool) -> str:
    """A table cell: the value (one run) or ``mean ± half-width`` (replications)."""
    if not isinstance(s, Stat):
        return _fmt(s, kind, pooled)
    text = _fmt(s.mean, kind, pooled)
    if not pooled or s.half is None or s.mean is None or s.half == 0:
        return text
    if kind == "pct":  # a rate's interval, clipped to what a rate can be
        lo, hi = max(0.0, s.mean - s.half), min(1.0, s.mean + s.half)
        return text + f" <small>[{100 * lo:.0f}–{100 * hi:.0f}%]</small>"
    half = 100 * s.half if kind == "pp" else s.half
    return text + f" <small>± {half:.1f}</small>"


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], classes: Sequence[str] = (),
          row_classes: Sequence[str] | None = None) -> str:
    """An HTML table; cells are HTML already (escape text with ``esc``); ``classes`` per column."""
    head = "".join(f"<th>{h}</th>" for h in headers)
    body = []
    for i, r in enumerate(rows):
        rc = f' class="{row_classes[i]}"' if row_classes and row_classes[i] else ""
        tds = "".join(f'<td class="{classes[j]}">{c}</td>' if j < len(classes) and classes[j] else f"<td>{c}</td>"
                      for j, c in enumerate(r))
        body.append(f"<tr{rc}>{tds}</tr>")
    return f'<table class="leaders"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def esc(s: Any) -> str:
    return html.escape(str(s))


def _when(d: datetime | None) -> str:
    return "—" if d is None else d.strftime("%Y-%m-%d %H:%M")


def group_label(group: str) -> str:
    labels = {"street": t("ld.group.street"), "town": t("ld.group.town"), "bureau": t("ld.group.bureau"),
              "office": t("ld.group.office")}
    return labels.get(group, t("ld.group.other"))


def _group_of(d: RunData, unit: str) -> str:
    ty = d.unit_type(unit)
    return ty if ty in GROUPS else "other"


def _ci_note(runs: Sequence[RunData]) -> str:
    return f"<p class='note'>{esc(t('ld.note.pooled', n=len(runs)))}</p>" if len(runs) > 1 else ""


# -- 1. the quarterly statistics table, grouped by unit type ----------------------------------------------------

_Q_COUNTS = ("collected", "forwarded", "replied", "on_time", "overdue", "supervised", "deductions",
             "deductions_earlier")


def quarter_period(d: RunData, q: str) -> tuple[str, bool]:
    """The quarter's period in the run, and whether the run covers only part of it."""
    first, last = quarter_bounds(q)
    lo, hi = max(first, d.start), min(last, d.last_day)
    if lo > hi:
        return t("ld.period.drain"), True
    if (lo, hi) == (first, last):
        return t("ld.period.full", first=first.isoformat(), last=last.isoformat()), False
    return t("ld.period.full", first=lo.isoformat(), last=hi.isoformat()), True


def group_units(unit_types: Mapping[str, str], with_data: Iterable[str]) -> dict[str, list[str]]:
    """Units per group in the tables' order (``GROUPS``; （未转办） last): every street, town and bureau of the
    policy (``unit_types``: unit → type), and every unit in ``with_data`` (an unknown type under "other").
    The quarterly tables of the report and of the live service's /supervisor page group with this."""
    units: dict[str, set[str]] = {g: set() for g in GROUPS}
    for u, ty in unit_types.items():
        if ty in ("street", "town", "bureau"):
            units[ty].add(u)
    for u in with_data:
        ty = unit_types.get(u, "other")
        units[ty if ty in GROUPS else "other"].add(u)
    return {g: sorted(us, key=lambda u: (u == UNROUTED, u)) for g, us in units.items() if us}


def _units_of_quarter(runs: Sequence[RunData], q: str) -> dict[str, list[str]]:
    """Units per group: every street, town and bureau of the policy, and any unit with data in the quarter."""
    return group_units({u: ty for d in runs for u, ty in d.unit_types.items()},
                       [u for d in runs for qq, u in d.quarters if qq == q])


def _q_values(d: RunData, q: str, groups: dict[str, list[str]]) -> dict[tuple[str, str], Cols]:
    """One run's rows of a quarter: (group, unit) per unit, (group, "") per subtotal, ("", "") for the total."""
    out: dict[tuple[str, str], Cols] = {}
    total: Counter[str] = Counter()
    for g, units in groups.items():
        sub: Counter[str] = Counter()
        for u in units:
            r = d.quarters.get((q, u))
            c: Counter[str] = Counter()
            if r is not None:
                c.update({"collected": r.collected, "forwarded": r.collected, "replied": r.replied,
                          "on_time": r.on_time, "overdue": r.overdue, "supervised": r.supervised})
                c["deductions"] += r.deductions  # type: ignore[assignment]
                c["deductions_earlier"] += r.deductions_earlier  # type: ignore[assignment]
            out[(g, u)] = _with_rates(c)
            sub.update(c)
        out[(g, "")] = _with_rates(sub)
        total.update(sub)
    out[("", "")] = _with_rates(total)
    return out


def _with_rates(c: Counter[str]) -> Cols:
    row: Cols = {k: float(c.get(k, 0)) for k in _Q_COUNTS}
    row["reply_rate"] = _rate(c.get("replied", 0), c.get("collected", 0))
    row["on_time_rate"] = _rate(c.get("on_time", 0), c.get("collected", 0))
    return row


def quarter_table(runs: Sequence[RunData], q: str) -> tuple[str, list[str], dict[tuple[str, str], dict[str, Stat]]]:
    """The grouped statistics table of quarter ``q``: its HTML, its footnotes, and the pooled figures
    (keys: (group, unit) per unit, (group, "") per subtotal, ("", "") for the grand total)."""
    pooled = len(runs) > 1
    groups = _units_of_quarter(runs, q)
    figures = pool_rows([_q_values(d, q, groups) for d in runs], _Q_COUNTS)
    cols = [("collected", "n"), ("forwarded", "n"), ("replied", "n"), ("on_time", "n"), ("overdue", "n"),
            ("supervised", "n"), ("deductions", "pts"), ("deductions_earlier", "pts"), ("reply_rate", "pct"),
            ("on_time_rate", "pct")]
    headers = [t("ld.col.group"), t("ld.col.unit"), t("ld.col.collected"), t("ld.col.forwarded"),
               t("ld.col.replied"), t("ld.col.on_time"), t("ld.col.overdue"), t("ld.col.supervised"),
               t("ld.col.deductions") + "<sup>2</sup>", t("ld.col.deductions_earlier") + "<sup>2</sup>",
               t("ld.col.reply_rate") + "<sup>1</sup>", t("ld.col.on_time_rate") + "<sup>1</sup>"]
    rows, kinds = [], []
    for g, units in groups.items():
        for i, u in enumerate(units):
            f = figures[(g, u)]
            rows.append([esc(group_label(g)) if i == 0 else "", esc(u)] + [cell(f[c], k, pooled) for c, k in cols])
            kinds.append("")
        f = figures[(g, "")]
        rows.append(["", esc(t("ld.row.subtotal", group=group_label(g)))] + [cell(f[c], k, pooled) for c, k in cols])
        kinds.append("subtotal")
    f = figures[("", "")]
    rows.append([esc(t("ld.row.total")), ""] + [cell(f[c], k, pooled) for c, k in cols])
    kinds.append("total")
    body = table(headers, rows, ["", ""] + ["num"] * len(cols), kinds)
    notes = [t("ld.fn.rates"), t("ld.fn.deductions")]
    earlier = figures[("", "")]["deductions_earlier"].mean or 0.0
    if earlier:
        notes.append(t("ld.fn.earlier", q=q, points=f"{earlier:g}" if not pooled else f"{earlier:.1f}",
                       total=_fmt(figures[("", "")]["deductions"].mean, "pts", pooled)))
    period, partial = quarter_period(runs[0], q)
    if partial:
        notes.append(t("ld.fn.partial", q=q, period=period))
    drain = _drain_note(runs, q)
    if drain:
        notes.append(drain)
    if pooled:
        notes.append(t("ld.note.pooled", n=len(runs)))
    return body, notes, figures


def footnotes(notes: Sequence[str]) -> str:
    return "<ol class='footnotes'>" + "".join(f"<li>{esc(n)}</li>" for n in notes) + "</ol>"


def _quarters(runs: Sequence[RunData], drain: bool = False) -> list[str]:
    """The quarters the run's period touches (``drain``: only the later ones that hold nothing but deductions
    booked while the run drained, which get a footnote rather than a table)."""
    from .leaderdata import quarter_key

    qs: list[str] = []
    for d in runs:
        qs.extend(q for q in d.period_quarters() if q not in qs)
    after = {q for q in qs if quarter_period(runs[0], q)[0] == t("ld.period.drain")}
    return sorted((q for q in qs if (q in after) == drain), key=quarter_key)


def _drain_note(runs: Sequence[RunData], q: str) -> str | None:
    """The footnote on the period's last quarter: the points booked in quarters after the period, if any."""
    drain = _quarters(runs, drain=True)
    if not drain or q != _quarters(runs)[-1]:
        return None
    points = sum(quarter_table(runs, dq)[2][("", "")]["deductions"].mean or 0.0 for dq in drain)
    return t("ld.fn.drain", points=f"{points:g}" if len(runs) == 1 else f"{points:.1f}", quarters="、".join(drain)) \
        if points else None


def _quarterly_section(runs: Sequence[RunData]) -> Section:
    parts = []
    for q in _quarters(runs):
        body, notes, _ = quarter_table(runs, q)
        period, partial = quarter_period(runs[0], q)
        mark = t("ld.period.partial_mark") if partial else ""
        parts.append(f"<h3>{esc(q)} <small class='{'partial' if partial else ''}'>{esc(period + mark)}</small></h3>"
                     + body + footnotes(notes))
    return Section("leaders-quarterly", t("ld.title.quarterly"), "".join(parts))


# -- 2. league table: deductions per 100 forms ----------------------------------------------------------------


def _unit_totals(d: RunData) -> dict[str, Cols]:
    out: dict[str, Counter[str]] = {}
    for (_, u), r in d.quarters.items():
        c = out.setdefault(u, Counter())
        c.update({"forms": r.collected, "replied": r.replied, "on_time": r.on_time})
        c["deductions"] += r.deductions  # type: ignore[assignment]
    res: dict[str, Cols] = {}
    for u, c in out.items():
        if not c["forms"]:
            continue
        res[u] = {"forms": float(c["forms"]), "deductions": float(c["deductions"]),
                  "per100": 100 * c["deductions"] / c["forms"], "reply_rate": c["replied"] / c["forms"],
                  "on_time_rate": c["on_time"] / c["forms"]}
    return res


#: below this many forms (per replication) a unit's deductions per 100 forms are too uncertain to rank it with
#: the others: it is listed after them, marked
LEAGUE_MIN_FORMS = 10


def _league_section(runs: Sequence[RunData]) -> Section:
    pooled = len(runs) > 1
    figures = pool_rows([_unit_totals(d) for d in runs], ("forms", "deductions"))
    # a rate on a handful of forms says little: such units are ranked after the others, marked
    few = {u for u in figures if (figures[u]["forms"].mean or 0) < LEAGUE_MIN_FORMS}
    order = sorted(figures, key=lambda u: (u in few, -(figures[u]["per100"].mean or 0.0),
                                           -(figures[u]["forms"].mean or 0), u))
    types = {u: ty for d in runs for u, ty in d.unit_types.items()}
    rows = [[str(i), esc(u) + ("<sup>†</sup>" if u in few else ""), esc(group_label(types.get(u, "other"))),
             cell(figures[u]["per100"], "pts", True),
             cell(figures[u]["deductions"], "pts", pooled), cell(figures[u]["forms"], "n", pooled),
             cell(figures[u]["reply_rate"], "pct", pooled), cell(figures[u]["on_time_rate"], "pct", pooled)]
            for i, u in enumerate(order, 1)]
    headers = [t("ld.col.rank"), t("ld.col.unit"), t("ld.col.group"), t("ld.col.per100"), t("ld.col.deductions"),
               t("ld.col.forms"), t("ld.col.reply_rate"), t("ld.col.on_time_rate")]
    html_ = table(headers, rows, ["num", "", "", "num", "num", "num", "num", "num"])
    few_note = f"<p class='note'>† {esc(t('ld.note.league_few', n=LEAGUE_MIN_FORMS))}</p>" if few else ""
    return Section("leaders-league", t("ld.title.league"),
                   f"<p class='note'>{esc(t('ld.note.league'))}</p>" + html_ + few_note + _ci_note(runs))


# -- 3. change against the previous quarter ---------------------------------------------------------------------


def _group_quarter(d: RunData, q: str) -> dict[str, Counter[str]]:
    out: dict[str, Counter[str]] = {}
    for (qq, u), r in d.quarters.items():
        if qq != q:
            continue
        for g in (_group_of(d, u), ""):
            c = out.setdefault(g, Counter())
            c.update({"forms": r.collected, "replied": r.replied, "on_time": r.on_time})
            c["deductions"] += r.deductions  # type: ignore[assignment]
    return out


def _compare_values(d: RunData, quarters: Sequence[str]) -> dict[tuple[str, str], Cols]:
    out: dict[tuple[str, str], Cols] = {}
    for q in quarters:
        now, before = _group_quarter(d, q), _group_quarter(d, previous_quarter(q))
        for g in (*GROUPS, ""):
            a, b = now.get(g, Counter()), before.get(g, Counter())
            if not a["forms"] and not b["forms"] and g:
                continue
            ra, rb = _rate(a["replied"], a["forms"]), _rate(b["replied"], b["forms"])
            oa, ob = _rate(a["on_time"], a["forms"]), _rate(b["on_time"], b["forms"])
            out[(q, g)] = {
                "forms": float(a["forms"]), "d_forms": float(a["forms"] - b["forms"]),
                "reply_rate": ra, "d_reply_rate": None if ra is None or rb is None else ra - rb,
                "on_time_rate": oa, "d_on_time_rate": None if oa is None or ob is None else oa - ob,
                "deductions": float(a["deductions"]), "d_deductions": float(a["deductions"] - b["deductions"])}
    return out


def _compare_section(runs: Sequence[RunData]) -> Section:
    pooled = len(runs) > 1
    qs = _quarters(runs)
    pairs = [q for q in qs if previous_quarter(q) in qs]
    if not pairs:
        return Section("leaders-compare", t("ld.title.compare"), f"<p>{esc(t('ld.none.compare'))}</p>")
    figures = pool_rows([_compare_values(d, pairs) for d in runs], ("forms", "d_forms", "deductions", "d_deductions"))
    rows, kinds = [], []
    for q in pairs:
        for g in (*GROUPS, ""):
            f = figures.get((q, g))
            if f is None:
                continue
            partial = quarter_period(runs[0], q)[1] or quarter_period(runs[0], previous_quarter(q))[1]
            label = f"{q} / {previous_quarter(q)}" + (" *" if partial else "")
            rows.append([esc(label), esc(group_label(g) if g else t("ld.row.total")),
                         cell(f["forms"], "n", pooled), cell(f["d_forms"], "delta", pooled),
                         cell(f["reply_rate"], "pct", pooled), cell(f["d_reply_rate"], "pp", pooled),
                         cell(f["on_time_rate"], "pct", pooled), cell(f["d_on_time_rate"], "pp", pooled),
                         cell(f["deductions"], "pts", pooled), cell(f["d_deductions"], "delta", pooled)])
            kinds.append("" if g else "total")
    headers = [t("ld.col.quarter"), t("ld.col.group"), t("ld.col.forms"), t("ld.col.change"),
               t("ld.col.reply_rate"), t("ld.col.change_pp"), t("ld.col.on_time_rate"), t("ld.col.change_pp"),
               t("ld.col.deductions"), t("ld.col.change")]
    return Section("leaders-compare", t("ld.title.compare"),
                   table(headers, rows, ["", ""] + ["num"] * 8, kinds)
                   + footnotes([t("ld.fn.compare")]) + _ci_note(runs))


# -- 4.–6. lists: overdue forms, hot events, accountability flags ------------------------------------------------


def _list(runs: Sequence[RunData], get: Callable[[RunData], Any], key: Callable[[dict[str, Any]], Any],
          headers: list[str], render: Callable[[dict[str, Any]], list[str]], none: str) -> str:
    replicated = len(runs) > 1
    entries = [(d.label, r) for d in runs for r in get(d).rows()]
    total = sum(get(d).total for d in runs)
    entries.sort(key=lambda e: (key(e[1]), e[0]))
    shown = entries[:SHOW]
    if not shown:
        return f"<p>{esc(none)}</p>"
    rows = [([esc(label)] if replicated else []) + render(r) for label, r in shown]
    out = table(([t("ld.col.replication")] if replicated else []) + headers, rows)
    if total > len(shown):
        out += f"<p class='note'>{esc(t('ld.more', n=total - len(shown), total=total))}</p>"
    elif replicated:
        out += f"<p class='note'>{esc(t('ld.count', total=total, n=len(runs)))}</p>"
    return out


def _overdue_section(runs: Sequence[RunData]) -> Section:
    end = runs[0].end

    def render(r: dict[str, Any]) -> list[str]:
        later = t("ld.never") if r["replied_at"] is None else _when(r["replied_at"])
        return [esc(r["case_id"]), esc(r["unit"]), esc(r["category"]), _when(r["opened_at"]), _when(r["reply_due"]),
                f"{r['working_days']}", f"{r['calendar_days']:.1f}", esc(later), str(r["escalations"])]

    headers = [t("ld.col.case"), t("ld.col.unit"), t("ld.col.category"), t("ld.col.issued"), t("ld.col.due"),
               t("ld.col.overdue_wd"), t("ld.col.overdue_cd"), t("ld.col.replied_later"), t("ld.col.escalations")]
    body = _list(runs, lambda d: d.overdue, lambda r: (r["reply_due"], r["case_id"]), headers, render,
                 t("ld.none.overdue"))
    note = t("ld.note.overdue", end=(end.date()).isoformat())
    if not runs[0].calendar.recorded:
        note += t("ld.note.no_calendar")
    return Section("leaders-overdue", t("ld.title.overdue"), f"<p class='note'>{esc(note)}</p>" + body)


def _hot_section(runs: Sequence[RunData]) -> Section:
    def render(r: dict[str, Any]) -> list[str]:
        mins = "—" if r["minutes"] is None else f"{r['minutes']:.0f}"
        return [esc(r["case_id"]), esc(r["unit"]), esc(r["category"]), _when(r["hot_at"]), _when(r["statement_at"]),
                mins, esc(t("ld.yes") if r["within"] else t("ld.no")), str(r["reposts"])]

    headers = [t("ld.col.case"), t("ld.col.unit"), t("ld.col.category"), t("ld.col.hot_at"),
               t("ld.col.statement_at"), t("ld.col.minutes"), t("ld.col.within_2h"), t("ld.col.reposts")]
    return Section("leaders-hot", t("ld.title.hot"),
                   _list(runs, lambda d: d.hot, lambda r: (r["hot_at"], r["case_id"]), headers, render,
                         t("ld.none.hot")))


def _flags_section(runs: Sequence[RunData]) -> Section:
    def why(r: dict[str, Any]) -> str:
        if r["hot_at"] is not None and r["statement_at"] is None:
            fact = t("ld.why.no_statement", reposts=r["reposts"])
        elif r["hot_at"] is not None:
            fact = t("ld.why.late_statement", minutes=f"{(r['statement_at'] - r['hot_at']).total_seconds() / 60:.0f}",
                     reposts=r["reposts"])
        else:
            fact = ""
        rules = "、".join(r["rules"]) or "—"
        return esc(t("ld.why.rules", rules=rules) + ("；" if fact else "") + fact)

    def render(r: dict[str, Any]) -> list[str]:
        return [esc(r["case_id"]), esc(r["unit"]), esc(r["category"]), _when(r["flagged_at"]), why(r),
                f"{r['deductions']:g}"]

    headers = [t("ld.col.case"), t("ld.col.unit"), t("ld.col.category"), t("ld.col.flagged_at"), t("ld.col.why"),
               t("ld.col.case_deductions")]
    return Section("leaders-accountability", t("ld.title.flags"),
                   _list(runs, lambda d: d.flags, lambda r: (r["flagged_at"] or r["hot_at"], r["case_id"]),
                         headers, render, t("ld.none.flags")))


# -- 7. breakdowns by category and reply kind -----------------------------------------------------------------


def _category_values(d: RunData) -> dict[str, Cols]:
    total = sum(c["forms"] for c in d.categories.values())
    return {cat: {"forms": float(c["forms"]), "share": _rate(c["forms"], total),
                  "reply_rate": _rate(c["replied"], c["forms"]), "on_time_rate": _rate(c["on_time"], c["forms"]),
                  "deductions": c["deductions_x1000"] / 1000}
            for cat, c in d.categories.items()}


def _kind_values(d: RunData) -> dict[str, Cols]:
    total = sum(d.reply_kinds.values())
    return {k: {"forms": float(n), "share": _rate(n, total)} for k, n in d.reply_kinds.items()}


#: reply kinds in the order of rules/units.yaml's behaviour (the four 答复类型), then any other
REPLY_KINDS = ("立行立改", "近期解决", "条件不具备", "不符合法规")


def _breakdown_section(runs: Sequence[RunData]) -> Section:
    pooled = len(runs) > 1
    cats = pool_rows([_category_values(d) for d in runs], ("forms", "deductions"))
    order = sorted(cats, key=lambda c: (-(cats[c]["forms"].mean or 0), c))
    rows = [[esc(c or "—"), cell(cats[c]["forms"], "n", pooled), cell(cats[c]["share"], "pct", pooled),
             cell(cats[c]["reply_rate"], "pct", pooled), cell(cats[c]["on_time_rate"], "pct", pooled),
             cell(cats[c]["deductions"], "pts", pooled)] for c in order]
    a = table([t("ld.col.category"), t("ld.col.forms"), t("ld.col.share"), t("ld.col.reply_rate"),
               t("ld.col.on_time_rate"), t("ld.col.deductions")], rows, ["", "num", "num", "num", "num", "num"])
    kinds = pool_rows([_kind_values(d) for d in runs], ("forms",))
    korder = [k for k in REPLY_KINDS if k in kinds] + sorted(k for k in kinds if k not in REPLY_KINDS)
    krows = [[esc(k or t("ld.kind.none")), cell(kinds[k]["forms"], "n", pooled), cell(kinds[k]["share"], "pct", pooled)]
             for k in korder]
    b = table([t("ld.col.reply_kind"), t("ld.col.forms"), t("ld.col.share")], krows, ["", "num", "num"])
    return Section("leaders-breakdown", t("ld.title.breakdown"),
                   f"<h3>{esc(t('ld.sub.by_category'))}</h3>{a}<h3>{esc(t('ld.sub.by_kind'))}</h3>{b}"
                   + _ci_note(runs))


# -- 8. promises (近期解决) ---------------------------------------------------------------------------------------


def _promise_values(d: RunData) -> dict[str, Cols]:
    out: dict[str, Cols] = {}
    total: Counter[str] = Counter()
    for u, c in d.promises.items():
        total.update(c)
        out[u] = _promise_row(c)
    out[""] = _promise_row(total)
    return out


def _promise_row(c: Counter[str]) -> Cols:
    return {"promises": float(c["promises"]), "kept": float(c["kept"]), "broken": float(c["broken"]),
            "pending": float(c["pending"]), "kept_rate": _rate(c["kept"], c["kept"] + c["broken"])}


def _promises_section(runs: Sequence[RunData]) -> Section:
    pooled = len(runs) > 1
    figures = pool_rows([_promise_values(d) for d in runs], ("promises", "kept", "broken", "pending"))
    if (figures.get("", {}).get("promises", Stat(0, None, 0)).mean or 0) == 0:
        return Section("leaders-promises", t("ld.title.promises"), f"<p>{esc(t('ld.none.promises'))}</p>")
    units = sorted((u for u in figures if u), key=lambda u: (-(figures[u]["broken"].mean or 0), u))
    cols = [("promises", "n"), ("kept", "n"), ("broken", "n"), ("pending", "n"), ("kept_rate", "pct")]
    rows = [[esc(u)] + [cell(figures[u][c], k, pooled) for c, k in cols] for u in units]
    rows.append([esc(t("ld.row.total"))] + [cell(figures[""][c], k, pooled) for c, k in cols])
    headers = [t("ld.col.unit"), t("ld.col.promises"), t("ld.col.kept"), t("ld.col.broken"), t("ld.col.pending"),
               t("ld.col.kept_rate")]
    return Section("leaders-promises", t("ld.title.promises"),
                   table(headers, rows, ["", "num", "num", "num", "num", "num"], [""] * len(units) + ["total"])
                   + footnotes([t("ld.fn.promises")]) + _ci_note(runs))


# -- 9. streets and towns ---------------------------------------------------------------------------------------


def _places_section(runs: Sequence[RunData]) -> Section:
    pooled = len(runs) > 1
    figures = pool_rows([_unit_totals(d) for d in runs], ("forms", "deductions"))
    types = {u: ty for d in runs for u, ty in d.unit_types.items()}
    cats: dict[str, Counter[str]] = {}
    for d in runs:
        for u, c in d.unit_categories.items():
            cats.setdefault(u, Counter()).update(c)
    parts = []
    headers = [t("ld.col.unit"), t("ld.col.forms"), t("ld.col.reply_rate"), t("ld.col.on_time_rate"),
               t("ld.col.deductions"), t("ld.col.per100"), t("ld.col.top_categories")]
    for g in ("street", "town"):
        units = sorted(u for u, ty in types.items() if ty == g)
        if not units:
            continue
        rows = []
        for u in units:
            f = figures.get(u)
            c = cats.get(u, Counter())
            n = sum(c.values())
            top = "、".join(f"{esc(k)} {100 * v / n:.0f}%" for k, v in c.most_common(3)) if n else "—"
            if f is None:
                rows.append([esc(u), "0", "—", "—", "0", "—", top])
                continue
            rows.append([esc(u), cell(f["forms"], "n", pooled), cell(f["reply_rate"], "pct", pooled),
                         cell(f["on_time_rate"], "pct", pooled), cell(f["deductions"], "pts", pooled),
                         cell(f["per100"], "pts", pooled), top])
        parts.append(f"<h3>{esc(group_label(g))}</h3>" + table(headers, rows, ["", "num", "num", "num", "num", "num", ""]))
    if not parts:
        return Section("leaders-places", t("ld.title.places"), f"<p>{esc(t('ld.none.places'))}</p>")
    return Section("leaders-places", t("ld.title.places"), "".join(parts) + _ci_note(runs))


# -- all nine -----------------------------------------------------------------------------------------------------


def leader_sections(folder: RunFolder, lang: str | None = None, runs: Sequence[RunData] | None = None) -> list[Section]:
    """The nine leaders' views of a run folder, titles and text in ``lang`` (default: the current language).

    ``runs``: the folder's data already read by ``load_runs`` (so a caller that renders more than once reads the
    files once)."""
    data = list(runs) if runs is not None else load_runs(folder)
    with lang_scope(lang):
        return [_quarterly_section(data), _league_section(data), _compare_section(data), _overdue_section(data),
                _hot_section(data), _flags_section(data), _breakdown_section(data), _promises_section(data),
                _places_section(data)]


def run_date(folder: RunFolder) -> date:
    """The day the run's results were written (metrics.json's modification time, local time)."""
    return datetime.fromtimestamp((folder.root / "metrics.json").stat().st_mtime).date()
