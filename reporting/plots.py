"""The run report's plots: matplotlib figures as inline SVG, with Chinese text drawn as glyph outlines.

Text is rendered with a CJK font that Debian ships (fonts-wqy-zenhei or fonts-noto-cjk) and written into
the SVG as paths (``svg.fonttype: path``), so the page looks the same on a machine without that font, in
any browser, printed or mailed.  Where no CJK font is installed the plots are still drawn (Chinese
characters then show as empty boxes) and ``cjk_font()`` says so: the caller warns.

Every plot is pooled over all replications of a run: counts summed (histograms) or averaged per time bin
with the range across replications shown as a band.  The plots read only ``ReportData`` (report-data.json
and backlog.csv of each run), never the simulator's live objects.
"""

from __future__ import annotations

import contextlib
import io
import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from engine.i18n import get_lang
from simulator.stream import ReportData

from .messages import t

__all__ = ["Plot", "draw_plots", "prepare", "cjk_font", "CJK_FONTS", "CJK_FONT_FILES", "REPLY_OVERFLOW_AFTER", "STATEMENT_OVERFLOW_AFTER",
           "reply_bins", "time_bins"]

#: CJK fonts looked for, in order (Debian: fonts-wqy-zenhei, fonts-noto-cjk, fonts-wqy-microhei)
CJK_FONTS = ("WenQuanYi Zen Hei", "Noto Sans CJK SC", "Noto Sans CJK JP", "WenQuanYi Micro Hei", "Source Han Sans SC")
#: where Debian puts them (fonts-wqy-zenhei, fonts-noto-cjk, fonts-wqy-microhei): registered with matplotlib
#: when its font cache predates their installation
CJK_FONT_FILES = ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
                  "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
                  "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
#: reply times above this many working days share one overflow bar ("> 15")
REPLY_OVERFLOW_AFTER = 15
#: statement times above this many minutes share one overflow bar
STATEMENT_OVERFLOW_AFTER = 240
_STATEMENT_BIN = 10  # minutes


@dataclass(frozen=True)
class Plot:
    """One figure of the page: HTML id, caption (in the page's language), the SVG."""

    id: str
    title: str
    svg: str


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The name of the first installed font of ``CJK_FONTS``, or None."""
    from matplotlib import font_manager

    def known() -> str | None:
        names = {f.name for f in font_manager.fontManager.ttflist}
        return next((name for name in CJK_FONTS if name in names), None)

    found = known()
    if found is None:  # matplotlib's font cache may be older than the font packages: register the files
        for path in CJK_FONT_FILES:
            if Path(path).is_file():
                with contextlib.suppress(Exception):  # an unreadable font file: try the next
                    font_manager.fontManager.addfont(path)
        found = known()
    return found


def prepare() -> None:
    """Import and set up matplotlib and find the CJK font now (e.g. before a process pool forks)."""
    _setup()


def _setup() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # WenQuanYi Zen Hei has one weight (medium): matplotlib would log a warning for every plot
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    font = cjk_font()
    plt.rcParams.update({
        "svg.fonttype": "path",  # glyphs as outlines: the same picture without the font
        "svg.hashsalt": "wenzheng",  # deterministic element ids
        "font.family": [font, "DejaVu Sans"] if font else ["DejaVu Sans"],
        "font.size": 9, "figure.dpi": 100, "axes.unicode_minus": False,
    })
    return plt


#: the plots' layouts in inches: (axes width, axes height, left, bottom, right, top margin).  The axes
#: sizes and margins are those ``bbox_inches="tight"`` gave for changping's plots, with room on the sides
#: for six-digit tick labels: a fixed layout saves savefig a second, measuring pass over every artist
#: (about a third of the drawing time)
_WIDE = (6.975, 2.176, 0.85, 0.68, 0.85, 0.1)  # posts and open forms over time: two y axes, slanted dates
_NARROW = (4.65, 2.464, 0.8, 0.52, 0.12, 0.1)  # the histograms


#: figures kept for the next plot of the same kind (``_figure``); False: a new figure for every plot
REUSE_FIGURES = True
_FIGURES: dict[tuple[Any, ...], tuple[Any, list[Any]]] = {}


def _figure(layout: tuple[float, float, float, float, float, float], key: tuple[Any, ...],
            twin: bool = False) -> tuple[Any, list[Any]]:
    """A figure with one axes placed by ``layout`` (inches), and its twin (``twin``: a second y axis).

    The figure of the last plot drawn with the same ``key`` in this process is reused with its data, legend
    and limits removed: its axes and their ticks (about a third of a plot's drawing time) are not built
    again.  The plot code then adds everything as on a new figure, so the picture and the SVG's bytes are
    those of a new figure (``test_a_reused_figure_draws_the_bytes_of_a_new_one``)."""
    from matplotlib.figure import Figure
    from matplotlib.transforms import Bbox

    kept = _FIGURES.get(key) if REUSE_FIGURES else None
    if kept is not None:
        fig, axes = kept
        for ax in axes:
            for artist in [*ax.patches, *ax.lines, *ax.collections, *ax.texts]:
                artist.remove()
            if ax.legend_ is not None:
                ax.legend_.remove()
            ax.set_autoscale_on(True)
            ax.relim()  # no data
            ax.viewLim.set_points(Bbox.unit().get_points())  # the limits of a new axes: (0, 1), not changed
        return fig, axes
    w, h, left, bottom, right, top = layout
    width, height = left + w + right, bottom + h + top
    fig = Figure(figsize=(width, height))
    ax = fig.add_axes((left / width, bottom / height, w / width, h / height))
    axes = [ax, ax.twinx()] if twin else [ax]
    if REUSE_FIGURES:
        _FIGURES[key] = (fig, axes)
    return fig, axes


def _svg(plt: Any, fig: Any) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})  # reproducible bytes
    text = buf.getvalue()
    return text[text.index("<svg"):]


def _integer_y(ax: Any) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(0, max(ax.get_ylim()[1], 1))  # counts start at 0; an empty plot still has 0 and 1


_OVERFLOW_COLOUR = "#756bb1"


def _legend_with_overflow(ax: Any, label: str) -> None:
    """The plot's legend with an entry for the overflow bar (its own colour), so the last bar is explained."""
    from matplotlib.patches import Patch

    handles, labels = ax.get_legend_handles_labels()
    ax.legend([*handles, Patch(color=_OVERFLOW_COLOUR)], [*labels, label], fontsize=8)


# -- data for each plot (pure functions: tested without drawing) --------------------------------------------------


def time_bins(data: ReportData) -> tuple[str, list[datetime], list[int]]:
    """("hour"|"day", the start of each bin as a naive local time, posts per bin) over the run's period."""
    start = datetime.combine(data.start, datetime.min.time())
    if data.posts_per_hour:
        keys = sorted(data.posts_per_hour)
        return "hour", [datetime.fromisoformat(k + ":00") for k in keys], [data.posts_per_hour[k] for k in keys]
    n = (data.last_day - data.start).days + 1
    days = [data.start + timedelta(days=i) for i in range(n)]
    return "day", [start + timedelta(days=i) for i in range(n)], [data.posts_per_day.get(d, 0) for d in days]


def open_forms(data: ReportData, unit: str) -> tuple[list[datetime], list[int]]:
    """(the end of each bin, forms open then): hourly from report-data.json, daily from backlog.csv."""
    if unit == "hour":
        keys = sorted(data.open_forms_per_hour)
        return ([datetime.fromisoformat(k + ":00") + timedelta(hours=1) for k in keys],
                [data.open_forms_per_hour[k] for k in keys])
    rows = [(date.fromisoformat(d), n) for d, n in data.backlog]
    rows = [(d, n) for d, n in rows if data.start <= d <= data.last_day]
    return [datetime.combine(d + timedelta(days=1), datetime.min.time()) for d, _ in rows], [n for _, n in rows]


def reply_bins(pooled: dict[int, int]) -> tuple[list[str], list[int]]:
    """Labels "0" … "15" and "> 15", and the forms replied on each working day (the last bar: all later)."""
    labels = [str(i) for i in range(REPLY_OVERFLOW_AFTER + 1)] + [f">{REPLY_OVERFLOW_AFTER}"]
    counts = [pooled.get(i, 0) for i in range(REPLY_OVERFLOW_AFTER + 1)]
    counts.append(sum(n for d, n in pooled.items() if d > REPLY_OVERFLOW_AFTER))
    return labels, counts


def _statement_bins(minutes: Sequence[float]) -> tuple[list[float], list[int]]:
    """Left edges of 10-minute bins up to STATEMENT_OVERFLOW_AFTER, then one overflow bin (all later)."""
    normal = STATEMENT_OVERFLOW_AFTER // _STATEMENT_BIN
    counts = [0] * (normal + 1)
    for m in minutes:
        counts[min(int(m // _STATEMENT_BIN), normal - 1) if m <= STATEMENT_OVERFLOW_AFTER else normal] += 1
    return [float(i * _STATEMENT_BIN) for i in range(normal + 1)], counts


def _mean_band(series: list[list[int]]) -> tuple[list[float], list[int], list[int]]:
    cols = list(zip(*series, strict=True))
    return [sum(c) / len(c) for c in cols], [min(c) for c in cols], [max(c) for c in cols]


# -- the figures ---------------------------------------------------------------------------------------------------


def _volume(plt: Any, runs: Sequence[ReportData]) -> Plot:
    import matplotlib.dates as mdates

    unit, starts, _ = time_bins(runs[0])
    posts = [time_bins(r)[2] for r in runs]
    mean_posts, _, _ = _mean_band(posts)
    width = timedelta(hours=1) if unit == "hour" else timedelta(days=1)
    one_day = runs[0].start == runs[0].last_day
    fig, (ax, ax2) = _figure(_WIDE, ("volume", get_lang(), unit, one_day), twin=True)
    n = len(runs)
    # one step patch over the bins, not a rectangle per bin: a 7-month run has 214 days, and 214 patches cost
    # more to lay out and write than the rest of the page (the same picture)
    ax.stairs(mean_posts, [*starts, starts[-1] + width], fill=True, color="#9ecae1",
              label=t("plot.volume.posts_hour" if unit == "hour" else "plot.volume.posts_day"))
    ends, _ = open_forms(runs[0], unit)
    series = [open_forms(r, unit)[1] for r in runs]
    if ends and all(len(s) == len(ends) for s in series):
        mean_open, lo, hi = _mean_band(series)
        if n > 1:
            ax2.fill_between(ends, lo, hi, color="#d62728", alpha=0.15, lw=0, label=t("plot.band", n=n))
        ax2.plot(ends, mean_open, color="#d62728", lw=1.5, marker="o" if len(ends) < 3 else None,
                 label=t("plot.volume.open_hour" if unit == "hour" else "plot.volume.open_day"))
    period_start = starts[0]
    period_end = datetime.combine(runs[0].last_day + timedelta(days=1), datetime.min.time())
    ax.set_xlim(period_start, period_end)
    ax.set_ylabel(t("plot.volume.y_posts") if n == 1 else t("plot.volume.y_posts_mean", n=n))
    ax2.set_ylabel(t("plot.volume.y_open"))
    ax2.set_ylim(bottom=0)
    _integer_y(ax)
    _integer_y(ax2)
    if unit == "hour" and one_day:  # 00:00, 03:00, … 24:00 of that day
        ax.xaxis.set_major_locator(mdates.HourLocator(byhour=range(0, 24, 3)))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M"))
        ax.set_xlabel(t("plot.volume.x_hours", day=runs[0].start.isoformat()))
    else:  # numeric dates (no month names: the same in both languages)
        ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=4, maxticks=10))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d %H:%M" if unit == "hour" else "%Y-%m-%d"))
        for label in ax.get_xticklabels():  # what fig.autofmt_xdate() does, without moving the axes
            label.set_rotation(30)
            label.set_horizontalalignment("right")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, loc="upper left", fontsize=8)
    title = t("plot.volume.title_hour" if unit == "hour" else "plot.volume.title_day")
    return Plot("plot-volume", title, _svg(plt, fig))


def _reply(plt: Any, runs: Sequence[ReportData]) -> Plot:
    pooled: dict[int, int] = {}
    for r in runs:
        for d, k in r.reply_working_days.items():
            pooled[d] = pooled.get(d, 0) + k
    labels, counts = reply_bins(pooled)
    fig, (ax,) = _figure(_NARROW, ("reply", get_lang()))
    x = list(range(len(labels)))
    colors = ["#6baed6"] * (len(labels) - 1) + [_OVERFLOW_COLOUR]
    ax.bar(x, counts, width=0.9, color=colors)
    ax.set_xticks(x, labels)
    ax.axvline(5.5, color="#d62728", ls="--", label=t("plot.reply.deadline"))
    ax.set_xlabel(t("plot.reply.x"))
    ax.set_ylabel(t("plot.reply.y") if len(runs) == 1 else t("plot.reply.y_pooled", n=len(runs)))
    _integer_y(ax)
    _legend_with_overflow(ax, t("plot.reply.overflow", n=REPLY_OVERFLOW_AFTER))
    return Plot("plot-reply", t("plot.reply.title", over=REPLY_OVERFLOW_AFTER), _svg(plt, fig))


def _statement(plt: Any, runs: Sequence[ReportData]) -> Plot:
    minutes = [m for r in runs for m in r.statement_minutes]
    edges, counts = _statement_bins(minutes)
    fig, (ax,) = _figure(_NARROW, ("statement", get_lang()))
    ax.bar(edges, counts, width=_STATEMENT_BIN, align="edge",
           color=["#fd8d3c"] * (len(edges) - 1) + [_OVERFLOW_COLOUR], edgecolor="white")
    ticks = edges[:-1:3]
    ax.set_xticks([*ticks, edges[-1] + _STATEMENT_BIN / 2],
                  [f"{e:.0f}" for e in ticks] + [f">{STATEMENT_OVERFLOW_AFTER}"])
    ax.axvline(120, color="#d62728", ls="--", label=t("plot.statement.limit"))
    if not minutes:
        ax.text(0.5, 0.5, t("plot.statement.none"), transform=ax.transAxes, ha="center", va="center")
    ax.set_xlabel(t("plot.statement.x"))
    ax.set_ylabel(t("plot.statement.y") if len(runs) == 1 else t("plot.statement.y_pooled", n=len(runs)))
    _integer_y(ax)
    _legend_with_overflow(ax, t("plot.statement.overflow", n=STATEMENT_OVERFLOW_AFTER))
    return Plot("plot-statement", t("plot.statement.title", n=len(minutes)), _svg(plt, fig))


def draw_plots(runs: Sequence[ReportData]) -> list[Plot]:
    """The page's plots, pooled over ``runs`` (one per replication; all of the same period)."""
    if not runs:
        return []
    plt = _setup()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # missing glyphs without a CJK font: the caller has warned once
        return [_volume(plt, runs), _reply(plt, runs), _statement(plt, runs)]
