"""The run report: one self-contained HTML file with plots and tables.

Plots are drawn with matplotlib as inline SVG (no network, no external
files).  Tables with Chinese unit names are HTML, so the browser's own fonts
render them.  A small inline script marks the body with the number of plots
that rendered, which the browser test reads.
"""

from __future__ import annotations

import html
import io
import warnings
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .model import RunResult
    from .stream import ReportData

__all__ = ["report_sections", "sections_from", "render_report", "PLOTS_RENDERED_SCRIPT"]

#: counts the plots a browser really drew (SVG boxes of real size with real marks) into
#: ``data-plots-rendered``: the headless-Chromium tests compare it with ``data-plots-expected``
PLOTS_RENDERED_SCRIPT = """<script>
(function () {
  var n = 0;
  document.querySelectorAll("figure svg").forEach(function (s) {
    var b = s.getBoundingClientRect();
    if (b.width > 50 && b.height > 50 && s.querySelectorAll("path, rect, use").length > 10) n += 1;
  });
  document.body.setAttribute("data-plots-rendered", String(n));
})();
</script>
"""


def _svg(fig: Any) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})  # reproducible bytes
    import matplotlib.pyplot as plt

    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]


def _plots(data: ReportData) -> list[tuple[str, str, str]]:
    """(id, title, svg) for each plot."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.fonttype": "none", "font.size": 9, "figure.dpi": 100,
                         "svg.hashsalt": "wenzheng"})  # deterministic element ids
    out: list[tuple[str, str, str]] = []

    # 1. posts and open cases over time
    per_day = data.posts_per_day
    start, end = data.start, data.last_day
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    backlog = {date.fromisoformat(d): n for d, n in data.backlog}
    fig, ax = plt.subplots(figsize=(9, 3))
    ax.bar(days, [per_day.get(d, 0) for d in days], width=1.0, color="#9ecae1", label="posts per day")  # type: ignore[arg-type]
    ax2 = ax.twinx()
    ax2.plot(days, [backlog.get(d, 0) for d in days], color="#d62728", lw=1.5,  # type: ignore[arg-type]
             label="open forms (end of day)")
    ax.set_ylabel("posts")
    ax2.set_ylabel("open forms")
    ax.legend(loc="upper left")
    ax2.legend(loc="upper right")
    fig.autofmt_xdate()
    out.append(("plot-volume", "Posts and open cases over time", _svg(fig)))

    # 2. reply time against the 5-working-day deadline
    wd = sorted(data.reply_working_days.items())  # (working day N, forms): a histogram already
    fig, ax = plt.subplots(figsize=(6, 3))
    if wd:
        top = max(wd[-1][0], 6)
        ax.hist([d for d, _ in wd], weights=[n for _, n in wd], bins=[x - 0.5 for x in range(top + 2)],
                color="#6baed6", edgecolor="white")
    ax.axvline(5.5, color="#d62728", ls="--", label="deadline: 5 working days")
    ax.set_xlabel("reply on working day N after receipt (0 = same day)")
    ax.set_ylabel("forms")
    ax.legend()
    out.append(("plot-reply", "Reply time against the 5-working-day deadline", _svg(fig)))

    # 3. statement times on hot events
    mins = data.statement_minutes
    fig, ax = plt.subplots(figsize=(6, 3))
    if mins:
        ax.hist(mins, bins=20, color="#fd8d3c", edgecolor="white")
    ax.axvline(120, color="#d62728", ls="--", label="2 hours")
    ax.set_xlabel("minutes from turning hot to the external statement")
    ax.set_ylabel("hot events")
    ax.legend()
    out.append(("plot-statement", f"2-hour statements on hot events ({len(mins)} statements)", _svg(fig)))
    return out


def _league(rows: dict[str, dict[str, int]], metrics: dict[str, Any]) -> str:
    ded = metrics.get("deductions_by_unit", {})
    top = max([*ded.values(), 1.0])
    order = sorted(rows, key=lambda u: (-ded.get(u, 0.0), -rows[u]["forms"], u))
    body = []
    for rank, u in enumerate(order, 1):
        r = rows[u]
        d = ded.get(u, 0.0)
        bar = f'<div class="bar" style="width:{100 * d / top:.1f}%"></div>'
        body.append(f"<tr><td>{rank}</td><td>{html.escape(u)}</td><td>{r['forms']:.0f}</td>"
                    f"<td>{100 * r['replied'] / r['forms']:.1f}%</td><td>{100 * r['on_time'] / r['forms']:.1f}%</td>"
                    f"<td>{r['supervised']:.0f}</td><td class='num'>{d:g}</td><td class='barcell'>{bar}</td></tr>")
    return ("<table><thead><tr><th>#</th><th>unit 单位</th><th>forms</th><th>replied</th><th>on time</th>"
            "<th>supervised</th><th>deductions 扣分</th><th></th></tr></thead><tbody>" + "".join(body)
            + "</tbody></table>")


def _quarterly(metrics: dict[str, Any]) -> str:
    cols = [("quarter", "季度"), ("unit", "单位"), ("collected", "收集"), ("forwarded", "转办"), ("replied", "答复"),
            ("on_time", "按时"), ("overdue", "逾期"), ("supervised", "督办"), ("deductions", "扣分")]
    head = "".join(f"<th>{zh}<br><small>{en}</small></th>" for en, zh in cols)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(r[k]) if not isinstance(r[k], float) else f'{r[k]:g}')}"
                                   "</td>" for k, _ in cols) + "</tr>" for r in metrics.get("quarterly", []))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def report_sections(run: RunResult, metrics: dict[str, Any]) -> dict[str, str]:
    """HTML fragments of one run's report (picklable, so a worker can build them)."""
    from .stream import RunAccumulator, feed_run

    acc = RunAccumulator(run.calendar, run.start, run.end)
    feed_run(run, acc)
    return sections_from(acc.report_data(), metrics)


def sections_from(data: ReportData, metrics: dict[str, Any]) -> dict[str, str]:
    """HTML fragments of one run's report from what a ``RunAccumulator`` kept for it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plots = _plots(data)
    figures = "".join(f'<figure id="{pid}"><figcaption>{html.escape(title)}</figcaption>{svg}</figure>'
                      for pid, title, svg in plots)
    return {"plots": figures, "league": _league(data.league, metrics), "quarterly": _quarterly(metrics),
            "n_plots": str(len(plots))}


_KEYS = [("posts", "posts", "{:.0f}"), ("forms", "forms issued 反馈单", "{:.0f}"), ("reply_rate", "reply rate", "pct"),
         ("on_time_rate", "on-time reply rate", "pct"), ("hot_events", "hot events", "{:.0f}"),
         ("statement_2h_rate", "2-hour statement compliance", "pct"),
         ("reply_working_days_median", "reply time, median (working days)", "{:.1f}"),
         ("reply_working_days_p90", "reply time, p90 (working days)", "{:.1f}"),
         ("escalations", "escalations 督办", "{:.0f}"), ("deductions_total", "deductions 扣分", "{:g}"),
         ("misrouting_rate", "misrouting rate", "pct"), ("desk_utilisation", "desk utilisation", "pct"),
         ("desk_wait_minutes_mean", "desk wait, mean (minutes)", "{:.2f}")]


def _fmt(v: Any, f: str) -> str:
    if v is None:
        return "—"
    return f"{100 * v:.1f}%" if f == "pct" else f.format(v)


def render_report(title: str, metrics: dict[str, Any], sections: dict[str, str]) -> str:
    ci = metrics.get("ci95", {})
    rows = []
    for key, label, f in _KEYS:
        v = metrics.get(key)
        c = ci.get(key)
        interval = f" <small>[{_fmt(c[0], f)} – {_fmt(c[1], f)}]</small>" if c and c[0] is not None else ""
        rows.append(f"<tr><td>{html.escape(label)}</td><td class='num'>{_fmt(v, f)}{interval}</td></tr>")
    reps = metrics.get("replications")
    note = (f"<p>Mean of {reps} replications (seeds {metrics['seeds'][0]}–{metrics['seeds'][-1]}) with 95% confidence "
            f"intervals; plots and tables from the first replication.</p>") if reps else ""
    run = metrics.get("run", {})
    expected = int(sections.get("n_plots", "0"))
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: system-ui, "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif; margin: 2em auto; max-width: 1100px;
       color: #222; }}
h1 {{ font-size: 1.5em; }} h2 {{ font-size: 1.15em; margin-top: 2em; border-bottom: 1px solid #ddd; }}
table {{ border-collapse: collapse; font-size: 0.9em; }} td, th {{ padding: 3px 8px; border-bottom: 1px solid #eee; }}
th {{ background: #f5f5f5; text-align: left; }} td.num {{ text-align: right; }}
td.barcell {{ width: 200px; }} .bar {{ background: #d62728; height: 10px; }}
figure {{ display: inline-block; margin: 0 1em 1em 0; vertical-align: top; }} figcaption {{ font-weight: 600; }}
svg {{ max-width: 100%; height: auto; }}
</style></head>
<body data-plots-expected="{expected}">
<h1>{html.escape(title)}</h1>
<p>scenario <b>{html.escape(str(run.get('scenario', '')))}</b>, period {html.escape(str(run.get('start', ''))[:10])} –
{html.escape(str(run.get('end', ''))[:10])} (exclusive), policy {html.escape(str(run.get('policy', '')))}.
Metric definitions: docs/metrics.md.</p>
{note}
<h2>Summary</h2><table>{''.join(rows)}</table>
<h2>Plots</h2>{sections['plots']}
<h2>Unit league table 单位排名（按扣分）</h2>{sections['league']}
<h2>Quarterly statistics table 季度统计表</h2>{sections['quarterly']}
{PLOTS_RENDERED_SCRIPT}
</body></html>
"""


