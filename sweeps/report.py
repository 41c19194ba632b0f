"""``sweep.html``: a plot per metric against the swept parameters, one self-contained file.

- no parameter swept (scenarios × rule sets only): the mean and 95% CI of each cell, one series per scenario;
- one parameter: the metric against its values, one line per scenario × rules set, 95% CI as error bars;
- two parameters: a heatmap of the mean per scenario × rules set (panels side by side);
- more: one plot per parameter, the other parameters at their first value (said in the caption).

Metrics that are empty or constant over the whole grid are not plotted (listed under the plots).  Plots are
matplotlib SVG inline with deterministic bytes; a small script marks the body with the number of plots that
rendered, which the headless-browser test reads (as for the run report).
"""

from __future__ import annotations

import html
from typing import Any

from engine.i18n import get_lang
from reporting.page import PLOTS_RENDERED_SCRIPT
from simulator.labels import metric_name

from .grid import Sweep
from .messages import t

__all__ = ["render_html", "SIGNATURE"]

SIGNATURE = "wenzheng-sweep-report"


def _svg(fig: Any) -> str:
    import io

    import matplotlib.pyplot as plt

    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]


def _positions(values: tuple[Any, ...]) -> tuple[list[float], list[str] | None]:
    """x positions of an axis's values: the numbers themselves, or 0, 1, … with the values as labels."""
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return [float(v) for v in values], None
    return [float(i) for i in range(len(values))], [str(v) for v in values]


def _plots(sweep: Sweep, rows: list[dict[str, Any]]) -> tuple[list[tuple[str, str, str]], list[str]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.fonttype": "none", "font.size": 9, "figure.dpi": 100, "svg.hashsalt": "wenzheng"})
    by_metric: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_metric.setdefault(r["metric"], []).append(r)
    pairs = [(s, ru) for s in sweep.scenario_labels for ru in sweep.rules_labels]
    out: list[tuple[str, str, str]] = []
    skipped: list[str] = []
    axes = sweep.axes
    for metric, mrows in by_metric.items():
        means = {r["mean"] for r in mrows if r["mean"] is not None}
        if len(means) <= 1:
            skipped.append(metric)
            continue

        def key(r: dict[str, Any]) -> tuple[Any, ...]:
            return (r["scenario"], r["rules"], *(repr(r[a.path]) for a in axes))

        index = {key(r): r for r in mrows}
        if len(axes) == 2:
            a, b = axes
            n = len(pairs)
            ncols = min(n, 3)
            nrows = (n + ncols - 1) // ncols
            fig, axs = plt.subplots(nrows, ncols, figsize=(3.6 * ncols, 3.0 * nrows), squeeze=False)
            lo, hi = min(means), max(means)
            image = None
            for k, (s, ru) in enumerate(pairs):
                ax = axs[k // ncols][k % ncols]
                grid = [[(index[(s, ru, repr(va), repr(vb))]["mean"]) for va in a.values] for vb in b.values]
                data = [[float("nan") if v is None else v for v in row] for row in grid]
                image = ax.imshow(data, origin="lower", aspect="auto", vmin=lo, vmax=hi, cmap="viridis")
                ax.set_xticks(range(len(a.values)), [str(v) for v in a.values])
                ax.set_yticks(range(len(b.values)), [str(v) for v in b.values])
                ax.set_xlabel(a.path)
                ax.set_ylabel(b.path)
                ax.set_title(f"{s} · {ru}", fontsize=8)
                for i, row in enumerate(grid):
                    for j, v in enumerate(row):
                        if v is not None:
                            ax.text(j, i, f"{v:.3g}", ha="center", va="center", fontsize=7, color="white")
            for k in range(n, nrows * ncols):
                axs[k // ncols][k % ncols].axis("off")
            if image is not None:
                fig.colorbar(image, ax=axs, shrink=0.8, label=metric)
            out.append((f"plot-{metric}", t("report.heatmap_caption", metric=metric_name(metric), n=sweep.replications), _svg(fig)))
            continue
        plot_axes = axes if axes else [None]
        for ax_i, axis in enumerate(plot_axes):
            fig, ax = plt.subplots(figsize=(6, 3.2))
            for s, ru in pairs:
                labels: list[str] | None
                if axis is None:
                    xs, labels = [float(i) for i in range(len(sweep.rules_labels))], list(sweep.rules_labels)
                    sel = [index.get((s, r2)) for r2 in sweep.rules_labels] if ru == sweep.rules_labels[0] else []
                    if not sel:
                        continue
                    name = s
                else:
                    xs, labels = _positions(axis.values)
                    sel = []
                    for v in axis.values:
                        combo = [repr(v) if a is axis else repr(a.values[0]) for a in axes]
                        sel.append(index.get((s, ru, *combo)))
                    name = f"{s} · {ru}"
                ys = [r["mean"] if r and r["mean"] is not None else float("nan") for r in sel]
                err = [[(y - r["ci_low"]) if r and r["ci_low"] is not None else 0.0 for y, r in zip(ys, sel, strict=True)],
                       [(r["ci_high"] - y) if r and r["ci_high"] is not None else 0.0 for y, r in zip(ys, sel, strict=True)]]
                ax.errorbar(xs, ys, yerr=err, marker="o", capsize=3, label=name,
                            ls="-" if axis is not None else "none")
                if labels is not None:
                    ax.set_xticks(xs, labels)
            ax.set_xlabel(axis.path if axis is not None else "rules")
            ax.set_ylabel(metric)
            ax.legend(fontsize=7)
            others = [a for a in axes if a is not axis]
            note = (" (" + ", ".join(f"{a.path}={a.values[0]}" for a in others) + ")") if others else ""
            pid = f"plot-{metric}" + (f"-{ax_i}" if len(plot_axes) > 1 else "")
            out.append((pid, t("report.line_caption", metric=metric_name(metric), note=note,
                               axis=axis.path if axis else t("report.the_rules_set")), _svg(fig)))
    return out, skipped


def render_html(sweep: Sweep, rows: list[dict[str, Any]], title: str) -> str:
    plots, skipped = _plots(sweep, rows)
    figures = "".join(f'<figure id="{html.escape(pid)}"><figcaption>{html.escape(cap)}</figcaption>{svg}</figure>'
                      for pid, cap, svg in plots)
    swept = ", ".join(f"<code>{html.escape(a.path)}</code> ∈ {{{html.escape(', '.join(map(str, a.values)))}}}"
                      for a in sweep.axes) or html.escape(t("report.none"))
    skip = f"<p>{html.escape(t('report.not_plotted', metrics=', '.join(skipped)))}</p>" if skipped else ""
    intro = t("report.intro", cells=len(sweep.cells), n=sweep.replications,
              scenarios=html.escape(", ".join(sweep.scenario_labels)), rules=html.escape(", ".join(sweep.rules_labels)),
              swept=swept)
    return f"""<!DOCTYPE html>
<html lang="{'en' if get_lang() == 'en' else 'zh-CN'}"><head><meta charset="utf-8"><meta name="generator" content="{SIGNATURE}">
<title>{html.escape(title)}</title>
<style>
body {{ font-family: system-ui, "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif; margin: 2em auto; max-width: 1200px;
       color: #222; }}
h1 {{ font-size: 1.5em; }} h2 {{ font-size: 1.15em; margin-top: 2em; border-bottom: 1px solid #ddd; }}
figure {{ display: inline-block; margin: 0 1em 1em 0; vertical-align: top; }} figcaption {{ font-weight: 600; }}
svg {{ max-width: 100%; height: auto; }}
</style></head>
<body data-plots-expected="{len(plots)}">
<h1>{html.escape(title)}</h1>
<p>{intro}</p>
<h2>{html.escape(t("report.plots"))}</h2>{figures}
{skip}
{PLOTS_RENDERED_SCRIPT}
</body></html>
"""
