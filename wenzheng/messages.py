"""The command line's part of the message catalogue (engine/i18n.py): summaries, closing lines, errors."""

from __future__ import annotations

from engine.i18n import Catalogue

t = Catalogue("wenzheng", {
    "cli.interrupted": ("已中断", "interrupted"),
    # --- validate, lint, test, explain, deadline, schema ---


    # --- run, compare, check, baseline, sensitivity, sweep, plan, bench ---


    # --- export and the run's closing line ---


    # --- report ---


})
