"""The command line's part of the message catalogue (engine/i18n.py): summaries, closing lines, errors."""

from __future__ import annotations

from engine.i18n import Catalogue

t = Catalogue("wenzheng", {
    "cli.interrupted": ("已中断", "interrupted"),
    # --- validate, lint, test, explain, deadline, schema ---


    # --- run, compare, check, baseline, sensitivity, sweep, plan, bench ---


    # --- export and the run's closing line ---
    "run.warning": ("警告：", "warning: "),
    "run.results": ("结果在 {target}/（{files}）", "results in {target}/ ({files})"),
    "run.results_reps": ("结果在 {target}/（{files}）；每次重复一个文件夹 {first}/ 至 {last}/（共 {n} 个，各含 {inner}）",
                         "results in {target}/ ({files}); one folder per replication, {first}/ to {last}/ "
                         "({n}, each with {inner})"),
    "export.wrote": ("已写出 {path}", "wrote {path}"),
    "export.wrote_reps": ("已写出 {path}（{n} 次重复，replication 列标明每行所属的重复）",
                          "wrote {path} ({n} replications; the replication column says which one each row is from)"),


    # --- report ---


})
