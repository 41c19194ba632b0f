"""The command line's part of the message catalogue (engine/i18n.py): summaries, closing lines, errors."""

from __future__ import annotations

from engine.i18n import Catalogue

t = Catalogue("wenzheng", {
    "cli.interrupted": ("已中断", "interrupted"),
    # --- validate, lint, test, explain, deadline, schema ---


    # --- run, compare, check, baseline, sensitivity, sweep, plan, bench ---


    # --- export and the run's closing line ---


    # --- report ---
    "report.bad_quarter": ("--quarter 的值「{value}」不是季度；应写 年份Q季度，如 2014Q3",
                           "--quarter '{value}' is not a quarter: write YEARQn, e.g. 2014Q3"),
    "report.wrote": ("已写出 {path}（{pages} 页）", "wrote {path} ({pages} pages)"),


})
