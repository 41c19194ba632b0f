"""The simulator's part of the message catalogue (engine/i18n.py): scenario problems, summaries, the gate."""

from __future__ import annotations

from engine.i18n import Catalogue

t = Catalogue("simulator", {
    "common.none": ("无", "none"),
    # --- scenarios, runs, compare, gate, sensitivity ---


    # --- results files and export ---


})
