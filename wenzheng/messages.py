"""The command line's part of the message catalogue (engine/i18n.py): summaries, closing lines, errors."""

from __future__ import annotations

from engine.i18n import Catalogue

t = Catalogue("wenzheng", {
    "cli.interrupted": ("已中断", "interrupted"),
    # --- validate, lint, test, explain, deadline, schema ---
    "validate.ok": ("{rules}：策略有效 — {units} 个单位，{categories} 个类别，{places} 个地点，{tables} 张规则表共 {n} 条规则",
                    "{rules}: valid policy — {units} units, {categories} categories, {places} places, {n} rules in "
                    "{tables} tables"),
    "validate.warnings": ("{rules}：有 {n} 条检查警告；运行「wenzheng lint {rules}」查看",
                          "{rules}: {n} lint warning(s); 'wenzheng lint {rules}' lists them"),
    "lint.skipped": ("已跳过：{why}", "skipped: {why}"),
    "lint.summary": ("{rules}：{errors} 个错误，{warnings} 个警告", "{rules}: {errors} error(s), {warnings} warning(s)"),
    "lint.clean": ("{rules}：未发现问题", "{rules}: clean"),
    "test.pass": ("通过", "PASS"),
    "test.fail": ("失败", "FAIL"),
    "test.summary": ("{passed} 个通过，{failed} 个失败", "{passed} passed, {failed} failed"),
    "test.coverage": ("规则覆盖率：{covered}/{total} 条规则（{pct}%）", "rule coverage: {covered}/{total} rules ({pct}%)"),
    "test.not_covered": ("  未覆盖：{rule}（{where}）", "  not covered: {rule} ({where})"),
    "test.below": ("覆盖率 {pct}% 低于下限 {min}%", "coverage {pct}% is below the minimum {min}%"),
    "schema.out_is_file": ("--out {path}：这是文件，不是文件夹", "--out {path}: is a file, not a folder"),
    "schema.wrote": ("已写入 {path}", "wrote {path}"),
    "explain.no_input": ("请给出帖子文件、用 - 表示标准输入，或使用 --text/--place/--at",
                         "give a post file, '-' for standard input, or --text/--place/--at"),
    "explain.both_inputs": ("帖子文件和 --text 只能二选一", "give either a post file or --text, not both"),
    "explain.not_mapping": ("帖子或案件文件必须是映射：帖子的键（text、place、at 等），或 {{post: …, events: […]}}",
                            "a post or case file must be a mapping: the post's keys (text, place, at, …) or "
                            "{{post: …, events: […]}}"),
    "deadline.not_iso": ("--from：「{value}」不是 ISO 8601 日期时间（如 2014-09-30T16:00+08:00）",
                         "--from: '{value}' is not an ISO 8601 date-time (e.g. 2014-09-30T16:00+08:00)"),
    "deadline.no_offset": ("--from：「{value}」没有时区（UTC 偏移）；应写如 {suggestion}",
                           "--from: '{value}' has no UTC offset; write e.g. {suggestion}"),
    "deadline.no_time": ("--from：「{value}」没有时刻；应写如 {suggestion}",
                         "--from: '{value}' has no time of day; write e.g. {suggestion}"),
    "deadline.out_of_range": ("--from：「{value}」超出日历能计算的日期范围",
                              "--from: '{value}' is outside the range of dates the calendar can compute"),



    # --- run, compare, check, baseline, sensitivity, sweep, plan, bench ---


    # --- export and the run's closing line ---


    # --- report ---


})
