"""The simulator's part of the message catalogue (engine/i18n.py): scenario problems, summaries, the gate."""

from __future__ import annotations

from engine.i18n import Catalogue

t = Catalogue("simulator", {
    "common.none": ("无", "none"),
    # --- scenarios, runs, compare, gate, sensitivity ---


    # --- results files and export ---
    "export.no_events": ("{folder}：没有 events.csv（应为 wenzheng run --out 写出的结果文件夹）",
                         "{folder}: no events.csv (expected a results folder written by wenzheng run --out)"),
    "export.not_replicated": ("{folder}：不是多次重复的运行结果，--replication 只用于多次重复的结果文件夹",
                              "{folder}: not a replicated run; --replication applies only to a replicated "
                              "run's folder"),
    "export.no_such_replication": ("{folder}：没有第 {n} 次重复；可选 {first} 至 {last}",
                                   "{folder}: no replication {n}; choose {first} to {last}"),
    "export.bad_columns": ("{path}：列名为 {got}，应以 {expected} 开头",
                           "{path}: unexpected columns {got} (expected {expected})"),
    "export.bad_timestamp": ("{path}:{line}：时间「{value}」无法识别；应为 ISO 8601，如 2014-04-01T09:30:00+08:00",
                             "{path}:{line}: bad timestamp {value!r}; expected ISO 8601, e.g. "
                             "2014-04-01T09:30:00+08:00"),
    "export.no_pyarrow": ("导出 parquet 需要 pyarrow：在源码目录中运行 pip install -e '.[parquet]'"
                          "（或 pip install 'wenzheng[parquet]'）",
                          "parquet export needs pyarrow: pip install -e '.[parquet]' in a source checkout "
                          "(or pip install 'wenzheng[parquet]')"),


})
