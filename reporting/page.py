"""The run report: one self-contained HTML page per run folder, built from the folder's files.

``wenzheng run`` calls ``write_report`` once the run's files are written; it can be called again later on
the same folder (nothing but the files is read: metrics.json, backlog.csv and report-data.json of each
run).  A replicated run gets a summary page at its top (means with 95% CIs, plots pooled over every
replication, links to each replication) and one page per replication (``000/report.html`` …) linking back.

Plots are inline SVG with text as outlines (reporting/plots.py); tables are HTML, so the browser's fonts
render them.  The page loads nothing from the network.  A small inline script marks the body with the
number of plots the browser really drew, which the headless-Chromium test reads.

The tables below the plots are the leaders' views (reporting/leaders.py).  A replicated run's pages are
drawn on worker processes, each reading its replication's files once; the summary page pools what they read.
``wenzheng run`` draws each replication's page in the worker that ran the replication, right after it
(``replication_page``, passed to ``simulator.replications.run_replications_then``), and hands the results to
``write_report(drawn=…)``, which then draws only the summary page: the same bytes as a rebuild.
"""

from __future__ import annotations

import csv
import functools
import html
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from engine.errors import Problem, SourceError
from engine.i18n import get_lang, lang_scope
from simulator.labels import metric_label
from simulator.pool import Warm, both, map_in_order
from simulator.stream import REPORT_DATA, ReportData

from .folder import RunFolder, Section
from .leaderdata import RunData, read_run
from .leaders import leader_sections
from .messages import t
from .plots import CJK_FONTS, Plot, cjk_font, draw_plots, prepare

__all__ = ["write_report", "replication_page", "DrawnPage", "render_page", "load_report_data", "report_data_from_json", "summary_rows", "WrittenReport",
           "PLOTS_RENDERED_SCRIPT", "REPORT_FILE"]

REPORT_FILE = "report.html"

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

@dataclass
class WrittenReport:
    """The pages written, and warnings for the user (e.g. no CJK font)."""

    pages: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


# -- reading a run's files -------------------------------------------------------------------------------------


def _backlog(run: Path) -> list[tuple[str, int]]:
    with (run / "backlog.csv").open(encoding="utf-8", newline="") as f:
        return [(r["date"], int(r["open_forms"])) for r in csv.DictReader(f)]


def report_data_from_json(text: str, backlog: Sequence[tuple[str, int]] = ()) -> ReportData:
    """``ReportData`` from the text of report-data.json (``ReportData.to_json``); ``backlog``: backlog.csv's rows."""
    doc = json.loads(text)
    return ReportData(start=date.fromisoformat(doc["start"]), last_day=date.fromisoformat(doc["last_day"]),
                      posts_per_day={date.fromisoformat(d): int(n) for d, n in doc["posts_per_day"].items()},
                      backlog=list(backlog),
                      reply_working_days={int(k): int(v) for k, v in doc["reply_working_days"].items()},
                      statement_minutes=[float(x) for x in doc["statement_minutes"]],
                      posts_per_hour={k: int(v) for k, v in doc.get("posts_per_hour", {}).items()},
                      open_forms_per_hour={k: int(v) for k, v in doc.get("open_forms_per_hour", {}).items()})


def load_report_data(run: Path) -> ReportData:
    """What the plots draw for one run: its report-data.json and backlog.csv."""
    path = run / REPORT_DATA
    if not path.is_file():
        raise SourceError([Problem(str(path), None, None, t("page.no_report_data"), code="run-folder")])
    return report_data_from_json(path.read_text(encoding="utf-8"), _backlog(run))


# -- the summary table -----------------------------------------------------------------------------------------


def _pct(v: Any) -> str:
    return "—" if v is None else f"{100 * v:.1f}%"


def _num(fmt: str) -> Callable[[Any], str]:
    return lambda v: "—" if v is None else fmt.format(v)


def summary_rows(m: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(label, value, 95% CI or "") for every row the CLI summary (``print_summary``) shows."""
    reps = bool(m.get("replications"))
    count = _num("{:.1f}") if reps else _num("{:.0f}")
    rows: list[tuple[str, str, Callable[[Any], str]]] = [
        (metric_label("posts"), "posts", count),
        (metric_label("forms"), "forms", count),
        (metric_label("reply_rate"), "reply_rate", _pct),
        (metric_label("on_time_rate"), "on_time_rate", _pct),
        (metric_label("hot_events"), "hot_events", count),
        (metric_label("statement_2h_rate"), "statement_2h_rate", _pct),
        (metric_label("reply_working_days_median"), "reply_working_days_median", _num("{:.1f}")),
        (metric_label("reply_working_days_p90"), "reply_working_days_p90", _num("{:.1f}")),
        (metric_label("reply_deadline_calendar_days_mean"), "reply_deadline_calendar_days_mean", _num("{:.1f}")),
        (metric_label("escalations"), "escalations", count),
        (metric_label("deductions_total"), "deductions_total", _num("{:.1f}")),
        (metric_label("misrouting_rate"), "misrouting_rate", _pct),
        (metric_label("desk_utilisation"), "desk_utilisation", _pct),
        (metric_label("desk_wait_minutes_mean"), "desk_wait_minutes_mean", _num("{:.2f}")),
    ]
    out = []
    ci = m.get("ci95", {})
    for label, key, fmt in rows:
        c = ci.get(key)
        interval = f"[{fmt(c[0])} – {fmt(c[1])}]" if c and c[0] is not None else ""
        out.append((label, fmt(m.get(key)), interval))
    c_rej, c_dup = ci.get("payloads_rejected"), ci.get("payloads_duplicate")
    out.append((t("sum.payloads"), f"{count(m.get('payloads_rejected'))} / {count(m.get('payloads_duplicate'))}",
                f"[{count(c_rej[0])} – {count(c_rej[1])}] / [{count(c_dup[0])} – {count(c_dup[1])}]"
                if c_rej and c_dup and c_rej[0] is not None and c_dup[0] is not None else ""))
    return out


# -- the page --------------------------------------------------------------------------------------------------

_STYLE = """
body { font-family: system-ui, "Noto Sans CJK SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", sans-serif;
       margin: 2em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 2em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; font-size: 0.9em; } td, th { padding: 3px 8px; border-bottom: 1px solid #eee; }
th { background: #f5f5f5; text-align: left; } td.num { text-align: right; }
td.barcell { width: 200px; } .bar { background: #d62728; height: 10px; }
figure { display: inline-block; margin: 0 1em 1em 0; vertical-align: top; } figcaption { font-weight: 600; }
svg { max-width: 100%; height: auto; }
ul.reps { columns: 4; }
"""


def render_page(title: str, metrics: dict[str, Any], plots: Sequence[Plot], sections: Sequence[Section], *,
                note: str = "", links: Sequence[tuple[str, str]] = (), back: str | None = None) -> str:
    """The HTML page in the current language: summary, plots, ``sections``, links to other pages."""
    lang = get_lang()
    run = metrics.get("run", {})
    intro = t("page.intro", scenario=html.escape(str(run.get("scenario", ""))),
              start=html.escape(str(run.get("start", ""))[:10]), end=html.escape(str(run.get("end", ""))[:10]),
              policy=html.escape(str(run.get("policy", ""))))
    reps = bool(metrics.get("replications"))
    head = (f"<tr><th>{t('page.metric')}</th><th>{t('page.value')}</th>"
            + (f"<th>{t('page.ci')}</th>" if reps else "") + "</tr>")
    body = "".join(f"<tr><td>{html.escape(label)}</td><td class='num'>{html.escape(value)}</td>"
                   + (f"<td class='num'><small>{html.escape(ci)}</small></td>" if reps else "") + "</tr>"
                   for label, value, ci in summary_rows(metrics))
    figures = "".join(f'<figure id="{p.id}"><figcaption>{html.escape(p.title)}</figcaption>{p.svg}</figure>'
                      for p in plots)
    parts = "".join(f'<h2 id="{html.escape(s.id)}">{html.escape(s.title)}</h2>\n{s.html}\n' for s in sections)
    link_list = ""
    if links:
        items = "".join(f'<li><a href="{html.escape(href)}">{html.escape(text)}</a></li>' for href, text in links)
        link_list = f'<h2 id="replications">{t("page.replications")}</h2><ul class="reps">{items}</ul>'
    back_link = f'<p><a href="{html.escape(back)}">{t("page.back")}</a></p>' if back else ""
    return f"""<!DOCTYPE html>
<html lang="{'zh-CN' if lang == 'zh' else 'en'}"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{_STYLE}</style></head>
<body data-plots-expected="{len(plots)}">
{back_link}<h1>{html.escape(title)}</h1>
<p>{intro}</p>
{f'<p>{html.escape(note)}</p>' if note else ''}
<h2 id="summary">{t('page.summary')}</h2><table><thead>{head}</thead><tbody>{body}</tbody></table>
<h2 id="plots">{t('page.plots')}</h2>{figures}
{parts}{link_list}
{PLOTS_RENDERED_SCRIPT}
</body></html>
"""


#: one replication's page as written: its path, the replication's seed, and what the summary page pools
DrawnPage = tuple[str, Any, ReportData, RunData]


def write_report(folder: RunFolder, lang: str | None = None, workers: int = 1,
                 drawn: Sequence[DrawnPage] | None = None, warm: Warm | None = None) -> WrittenReport:
    """Write ``report.html`` into the run folder (and into each replication's folder) in ``lang``
    (default: the current language); the replications' pages are drawn on ``workers`` processes (a single
    run's plots, with more than one worker, in a second process while this one builds its tables).

    ``drawn``: the replications' pages already written by ``replication_page`` (``wenzheng run`` draws each
    in the worker that ran the replication, right after it), one per replication folder in order: only the
    summary page is drawn, from what they read.  ``warm``: a single run's plots are drawn by that process, made
    ready (matplotlib imported, the font found) while the run simulated (``plotter``)."""
    written = WrittenReport()
    with lang_scope(lang):
        lang = get_lang()
        m = folder.metrics
        scenario = m.get("run", {}).get("scenario", "")
        if not folder.replicated:
            title = t("page.title_run", scenario=scenario, seed=m.get("run", {}).get("seed", ""))
            # the plots drawn in a second process while this one builds the tables (``workers`` > 1), as below;
            # the font looked for there too (finding it imports matplotlib: this process then never does)
            (plots, no_font), sections = both(functools.partial(_plots_and_font, load_report_data(folder.root), lang),
                                              functools.partial(leader_sections, folder, lang), workers, warm)
            if no_font:
                written.warnings.append(_no_font())
            page = render_page(title, m, plots, sections)
            written.pages.append(_write(folder.root, page))
            return written
        if lang == "zh" and cjk_font() is None:
            written.warnings.append(_no_font())
        links: list[tuple[str, str]] = []
        plot_data: list[ReportData] = []
        table_data: list[RunData] = []
        if drawn is None:
            prepare()  # matplotlib imported before the pool forks: not once more in every worker
            jobs = [(str(rep), lang, scenario) for rep in folder.runs]
            drawn = map_in_order(_replication_page, jobs, workers)
        elif [Path(d[0]).parent for d in drawn] != list(folder.runs):
            raise ValueError("the pages drawn are not those of the folder's replications")
        for path, seed, plotted, tabled in drawn:
            written.pages.append(Path(path))
            name = Path(path).parent.name
            links.append((f"{name}/{REPORT_FILE}", t("page.rep_link", i=name, seed=seed)))
            plot_data.append(plotted)
            table_data.append(tabled)
        seeds = m.get("seeds") or [""]
        title = t("page.title_reps", scenario=scenario, n=len(folder.runs))
        note = t("page.pooled", n=len(folder.runs), first=seeds[0], last=seeds[-1])
        # the pooled plots drawn in a second process while this one builds the tables (a process: matplotlib
        # holds the GIL); the same SVG either way
        plots, sections = both(functools.partial(draw_plots, plot_data),
                               functools.partial(leader_sections, folder, lang, runs=table_data), workers)
        page = render_page(title, m, plots, sections, note=note, links=links)
        written.pages.insert(0, _write(folder.root, page))
    return written


def _no_font() -> str:
    return t("page.no_font", fonts=", ".join(CJK_FONTS))


def plotter() -> Warm:
    """A process that imports matplotlib and finds the font now, then draws a single run's plots for
    ``write_report`` (start it before the run: the work is done beside the simulation)."""
    return Warm(prepare)


def _plots_and_font(data: ReportData, lang: str) -> tuple[list[Plot], bool]:
    """A single run's plots, and whether a Chinese page lacks its font (the page's warning), in ``lang``: the
    process that draws them may have been made ready before the page's language was chosen (``plotter``)."""
    with lang_scope(lang):
        return draw_plots([data]), lang == "zh" and cjk_font() is None


def _replication_page(job: tuple[str, str, str]) -> DrawnPage:
    rep, lang, scenario = job
    return replication_page(Path(rep), lang, scenario)


def replication_page(rep: Path, lang: str, scenario: str | None = None) -> DrawnPage:
    """Draw and write one replication's page (in a worker process too): its path and seed, and the data it
    read, which the summary page pools (so each replication's files are read once).  ``scenario``: the
    name in the title (default: the replication's metrics.json's, which the summary's copies)."""
    with lang_scope(lang):
        folder = RunFolder.load(Path(rep))
        m = folder.metrics
        seed = m.get("run", {}).get("seed", "")
        if scenario is None:
            scenario = str(m.get("run", {}).get("scenario", ""))
        title = t("page.title_rep", scenario=scenario, i=folder.root.name, seed=seed)
        plotted = load_report_data(folder.root)
        tabled = read_run(folder.root, m, folder.root.name)  # labelled: the summary's lists name the replication
        page = render_page(title, m, draw_plots([plotted]), leader_sections(folder, lang, runs=[tabled]),
                           back=f"../{REPORT_FILE}")
        return str(_write(folder.root, page)), seed, plotted, tabled


def _write(folder: Path, page: str) -> Path:
    path = folder / REPORT_FILE
    path.write_text(page, encoding="utf-8")
    return path
