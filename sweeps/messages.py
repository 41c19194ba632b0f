"""The sweeps' part of the message catalogue (engine/i18n.py): grids, plans, targets, executors."""

from __future__ import annotations

from engine.i18n import Catalogue

t = Catalogue("sweeps", {
    # targets (sweeps/targets.py)
    "target.syntax": ("「{text}」不是「指标 比较符 值」的形式（应写如 \"statement_2h_rate >= 0.95\"；比较符为 >=、<=、>、< 之一）",
                      "'{text}' is not METRIC OP VALUE (e.g. \"statement_2h_rate >= 0.95\"; OP is one of >=, <=, >, <)"),
    "target.unknown_metric": ("未知指标「{metric}」（指标见 docs/metrics.md；如 statement_2h_rate、reply_rate、on_time_rate、"
                              "desk_wait_minutes_mean）",
                              "unknown metric '{metric}' (the metrics: docs/metrics.md; e.g. statement_2h_rate, "
                              "reply_rate, on_time_rate, desk_wait_minutes_mean)"),
    "target.not_number": ("「{raw}」不是数字（在「{text}」中）", "'{raw}' is not a number (in '{text}')"),
    # grids (sweeps/grid.py)
    "grid.value_twice": ("「{raw}」中有重复的值", "'{raw}' lists a value twice"),
    "grid.swept_twice": ("「{path}」被扫描了两次（另见 {other}）", "'{path}' is swept twice (also by {other})"),
    "grid.other_kind": ("{option} {target}：存放的是另一种 wenzheng 结果（{kind}）；扫描只能续写自己的文件夹：请另给一个新文件夹",
                        "{option} {target}: holds a wenzheng result of another kind ({kind}); a sweep resumes only its "
                        "own folder: give a new one"),
    # executors (sweeps/executors.py)
    "exec.local": ("本机进程池，{n} 个进程", "local pool, {n} worker(s)"),
    "exec.local_cluster": ("本机 Dask 集群", "a local Dask cluster"),
    "exec.dask": ("dask（{where}，{n} 个 worker）", "dask ({where}, {n} worker(s))"),
    "exec.no_dask": ("--executor dask 需要 Dask distributed，但未安装：{hint}",
                     "--executor dask needs Dask distributed, which is not installed: {hint}"),
    "exec.unreachable": ("--scheduler {scheduler}：{timeout} 秒内连不上 Dask 调度器（{why}）；"
                         "可用 `dask scheduler` 启动调度器，用 `dask worker {scheduler}` 启动 worker",
                         "--scheduler {scheduler}: cannot reach the Dask scheduler within {timeout} s ({why}); start "
                         "one with `dask scheduler` and workers with `dask worker {scheduler}`"),
    "exec.unreachable_at": ("--scheduler {scheduler}：连不上 Dask 调度器：{reason}；"
                            "可用 `dask scheduler` 启动调度器，用 `dask worker {scheduler}` 启动 worker",
                            "--scheduler {scheduler}: cannot reach the Dask scheduler: {reason}; start one with "
                            "`dask scheduler` and workers with `dask worker {scheduler}`"),
    "exec.why_no_answer": ("连接后没有 Dask 调度器的应答", "no Dask scheduler answered"),
    "exec.why_address": ("不是 Dask 调度器的地址（应为 tcp://主机:端口，如 tcp://127.0.0.1:8786）",
                         "not a Dask scheduler address (write tcp://HOST:PORT, e.g. tcp://127.0.0.1:8786)"),
    "exec.scheduler_needs_dask": ("--scheduler 只用于 --executor dask", "--scheduler is for --executor dask"),
    "exec.unknown": ("未知的执行方式「{kind}」（应为 serial、local 或 dask）", "unknown executor '{kind}' (serial, local or dask)"),
    # plans (sweeps/plan.py)
    "plan.needs_step": ("{path} 可取任意数：请用 --step（如 --step 0.05）说明要试哪些值",
                        "{path} takes any number: give --step (e.g. --step 0.05) to say which values to try"),
    "plan.bad_step": ("--step 应为正数，而不是 {step}", "--step must be a positive number, got {step}"),
    "plan.too_many": ("从 {lo} 到 {hi}、步长 {step} 共 {count} 个值：最多 10000 个（每个值都在运行前检查）",
                      "{count} values from {lo} to {hi} by {step}: at most 10000 (each is checked before any run)"),
    "plan.whole_numbers": ("{path} 只取整数，但从 {lo} 起、步长 {step} 的值含有 {bad}",
                           "{path} takes whole numbers, but the values from {lo} by {step} include {bad}"),
    "plan.note_none": ("范围内没有满足全部目标的值：最有利的一端（{parameter}={value}）{verdict}",
                       "no value in the range meets every target: the most favourable end ({parameter}={value}) {verdict}"),
    "plan.note_lowest_valid": ("范围内最小的有效值已满足全部目标；{values}：不是有效情景（见下）",
                               "the lowest valid value of the range meets every target; {values}: not a valid scenario "
                               "(below)"),
    "plan.note_highest_valid": ("范围内最大的有效值已满足全部目标；{values}：不是有效情景（见下）",
                                "the highest valid value of the range meets every target; {values}: not a valid "
                                "scenario (below)"),
    "plan.note_lowest": ("范围内最小的值已满足全部目标：范围之外更小的值也可能满足",
                         "the lowest value of the range meets every target: a smaller value outside the range may too"),
    "plan.note_highest": ("范围内最大的值已满足全部目标：范围之外更大的值也可能满足",
                          "the highest value of the range meets every target: a larger value outside the range may too"),
    "plan.note_confirmed": ("已确认：{parameter}={value} 未达到某项目标", "confirmed: {parameter}={value} fails a target"),
    "plan.note_uncertain_min": ("{parameter}={value} 在 {n} 次重复后仍不确定（--max-replications）：答案可能更小",
                                "{parameter}={value} is uncertain after {n} replications (--max-replications): the "
                                "answer may be smaller"),
    "plan.note_uncertain_max": ("{parameter}={value} 在 {n} 次重复后仍不确定（--max-replications）：答案可能更大",
                                "{parameter}={value} is uncertain after {n} replications (--max-replications): the "
                                "answer may be larger"),
    "plan.and": ("且", " and "),
    "plan.head_min": ("plan：{scenario}，在 {range} 中求满足 {targets}（置信度 {pct}）的最小 {parameter}",
                      "plan: {scenario}, the smallest {parameter} in {range} meeting {targets} with {pct} confidence"),
    "plan.head_max": ("plan：{scenario}，在 {range} 中求满足 {targets}（置信度 {pct}）的最大 {parameter}",
                      "plan: {scenario}, the largest {parameter} in {range} meeting {targets} with {pct} confidence"),
    "plan.with": ("另设 {sets}", "with {sets}"),
    "plan.answer": ("答案：{parameter} = {value}", "answer: {parameter} = {value}"),
    "plan.no_answer": ("答案：无", "answer: none"),
    "plan.search": ("搜索方法：二分查找，假定每个目标的指标随参数单调变化；每个取值先做 {start} 次重复，不确定时加倍，"
                    "最多 {most} 次；每个取值都用从 {seed} 起的同一组种子",
                    "search: binary search, assuming every target's metric is monotone in the parameter; {start} "
                    "replications per value, doubled where uncertain up to {most}; the same seeds from {seed} at "
                    "every value"),
    "plan.invalid": ("{parameter}={value} 不是有效情景：{why}", "not a valid scenario at {parameter}={value}: {why}"),
    "plan.evidence": ("依据（各次重复的均值，{pct} 单侧界 [下界, 上界]）：",
                      "evidence (mean over replications, one-sided {pct} bounds [lower, upper]):"),
    "plan.col_value": ("取值", "value"),
    "plan.col_reps": ("重复", "reps"),
    "plan.col_verdict": ("结论", "verdict"),
    "plan.meets": ("达到", "meets"),
    "plan.fails": ("未达到", "fails"),
    "plan.uncertain": ("不确定", "uncertain"),
    "plan.total": ("运行总数：{n}", "total runs: {n}"),
    # the sweep's HTML report (sweeps/report.py): its text only
    "report.title": ("扫描：{scenarios}", "Sweep: {scenarios}"),
    "report.heatmap_caption": ("{metric}：{n} 次重复的均值", "{metric}: mean over {n} replications"),
    "report.line_caption": ("{metric} 随 {axis} 的变化{note}：均值与 95% 置信区间",
                            "{metric} against {axis}{note}: mean and 95% CI"),
    "report.the_rules_set": ("规则集", "the rules set"),
    "report.none": ("无", "none"),
    "report.not_plotted": ("未绘图（为空或各单元格相同）：{metrics}。", "Not plotted (empty or the same in every cell): {metrics}."),
    "report.intro": ("{cells} 个单元格 × {n} 次重复，共用随机数（每个单元格用同一组种子）。情景：{scenarios}。规则：{rules}。"
                     "扫描：{swept}。数据见 <code>sweep.csv</code> / <code>sweep.parquet</code>；指标定义见 docs/metrics.md。",
                     "{cells} cells × {n} replications on common random numbers (the same seeds in every cell). "
                     "Scenarios: {scenarios}. Rules: {rules}. Swept: {swept}. The numbers: <code>sweep.csv</code> / "
                     "<code>sweep.parquet</code>; metric definitions: docs/metrics.md."),
    "report.plots": ("图表", "Plots"),
})
