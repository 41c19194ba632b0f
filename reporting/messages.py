"""The reports' part of the message catalogue (engine/i18n.py): titles, headings, axes, notes."""

from __future__ import annotations

from engine.i18n import Catalogue

t = Catalogue("reporting", {
    "report.title": ("问政模拟报告", "wenzheng simulation report"),
    # reporting/folder.py
    "folder.not_a_folder": ("不是文件夹：应为 wenzheng run --out 写出的结果文件夹",
                            "not a folder: expected a results folder written by wenzheng run --out"),
    "folder.no_metrics": ("不是运行结果文件夹：缺少 metrics.json（应为 wenzheng run --out 写出的文件夹）",
                          "not a run folder: no metrics.json (expected a folder written by wenzheng run --out)"),
    "folder.bad_metrics": ("metrics.json 不可读", "metrics.json is not readable"),
    "folder.missing_files": ("运行结果不完整，缺少文件", "incomplete run folder, missing files"),
    # --- the leaders' views and the printable quarterly report (reporting/leaders.py, quarterly.py) ---


    # --- the run report page and its plots (reporting/page.py, plots.py) ---


})
