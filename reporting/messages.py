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
    "ld.group.street": ("街道", "streets (街道)"),
    "ld.group.town": ("镇", "towns (镇)"),
    "ld.group.bureau": ("委办局", "bureaus (委办局)"),
    "ld.group.office": ("督办单位", "supervising offices"),
    "ld.group.other": ("其他", "other"),
    "ld.row.subtotal": ("{group}小计", "subtotal {group}"),
    "ld.row.total": ("合计", "total"),
    "ld.col.group": ("类型", "type"),
    "ld.col.unit": ("单位", "unit"),
    "ld.col.collected": ("收集", "collected"),
    "ld.col.forwarded": ("转办", "forwarded"),
    "ld.col.replied": ("答复", "replied"),
    "ld.col.on_time": ("按时", "on time"),
    "ld.col.overdue": ("逾期", "overdue"),
    "ld.col.supervised": ("督办", "supervised"),
    "ld.col.deductions": ("扣分", "deductions"),
    "ld.col.deductions_earlier": ("其中：往季度反馈单扣分", "of which on forms of earlier quarters"),
    "ld.col.reply_rate": ("答复率", "reply rate"),
    "ld.col.on_time_rate": ("按时率", "on-time rate"),
    "ld.col.rank": ("名次", "rank"),
    "ld.col.per100": ("每百件扣分", "deductions per 100 forms"),
    "ld.col.forms": ("反馈单", "forms"),
    "ld.col.quarter": ("季度 / 上季度", "quarter / previous"),
    "ld.col.change": ("变化", "change"),
    "ld.col.change_pp": ("变化（百分点）", "change (points)"),
    "ld.col.replication": ("重复", "replication"),
    "ld.col.case": ("案件", "case"),
    "ld.col.category": ("类别", "category"),
    "ld.col.issued": ("上报时间", "issued"),
    "ld.col.due": ("答复时限", "reply due"),
    "ld.col.overdue_wd": ("逾期工作日", "working days overdue"),
    "ld.col.overdue_cd": ("逾期自然日", "calendar days overdue"),
    "ld.col.replied_later": ("期后答复", "replied after the period"),
    "ld.col.escalations": ("督办次数", "escalations"),
    "ld.col.hot_at": ("转为热点", "hot at"),
    "ld.col.statement_at": ("对外表态", "statement at"),
    "ld.col.minutes": ("用时（分钟）", "minutes"),
    "ld.col.within_2h": ("2小时内", "within 2 hours"),
    "ld.col.reposts": ("24小时转发", "reposts (24 h)"),
    "ld.col.flagged_at": ("问责时间", "flagged at"),
    "ld.col.why": ("原因", "why"),
    "ld.col.case_deductions": ("本案扣分", "case deductions"),
    "ld.col.share": ("占比", "share"),
    "ld.col.reply_kind": ("答复类型", "reply kind"),
    "ld.col.promises": ("承诺（近期解决）", "promises (近期解决)"),
    "ld.col.kept": ("已兑现", "kept"),
    "ld.col.broken": ("未兑现", "broken"),
    "ld.col.pending": ("待兑现", "pending"),
    "ld.col.kept_rate": ("兑现率", "kept rate"),
    "ld.col.top_categories": ("主要类别", "top categories"),
    "ld.period.full": ("{first} 至 {last}", "{first} to {last}"),
    "ld.period.partial": ("部分：{first} 至 {last}", "partial: {first} to {last}"),
    "ld.period.drain": ("运行期后：仅有排空期内的扣分", "after the period: deductions during the drain only"),
    "ld.title.quarterly": ("季度统计表（按单位类型分组）", "Quarterly statistics table (grouped by unit type)"),
    "ld.title.league": ("单位排名（按每百件扣分）", "Unit league table (by deductions per 100 forms)"),
    "ld.title.compare": ("与上季度比较", "Change against the previous quarter"),
    "ld.title.overdue": ("逾期未答复的反馈单", "Overdue forms still open"),
    "ld.title.hot": ("热点事件与对外表态", "Hot events and their statements"),
    "ld.title.flags": ("问责", "Accountability flags (问责)"),
    "ld.title.breakdown": ("按类别和答复类型", "By category and by reply kind"),
    "ld.title.promises": ("近期解决承诺的兑现情况", "近期解决 promises: kept, broken, pending"),
    "ld.title.places": ("街道和镇", "Streets and towns"),
    "ld.sub.by_category": ("按类别", "By category"),
    "ld.sub.by_kind": ("按答复类型", "By reply kind"),
    "ld.kind.none": ("未答复", "not replied"),
    "ld.fn.rates": ("答复率 = 答复 / 收集，按时率 = 按时 / 收集；反馈单计入其上报（上报通报）所在季度，答复统计至运行排空结束。",
                    "reply rate = replied / collected, on-time rate = on time / collected; a form counts in the "
                    "quarter it was issued (上报通报), replies up to the end of the drained run."),
    "ld.fn.deductions": ("扣分按规则（rules/escalation.yaml）在答复时限届满或网民追问发生时记入该时点所在季度，"
                         "因此上季度末上报、本季度到期的反馈单，其扣分记入本季度，而逾期和督办记入上报的季度；"
                         "「其中：往季度反馈单扣分」列出这部分。",
                         "deductions are booked as the rules (rules/escalation.yaml) book them: at the reply "
                         "deadline or the follow-up that causes them, in that moment's quarter; so a form issued "
                         "late in the previous quarter and overdue in this one has its points here while its "
                         "overdue and supervision count in the quarter of issue; the column \"of which on forms of "
                         "earlier quarters\" shows that part."),
    "ld.fn.earlier": ("{q} 扣分合计 {total} 分，其中 {points} 分来自往季度上报的反馈单。",
                      "of the {total} points booked in {q}, {points} are on forms issued in earlier quarters."),
    "ld.fn.partial": ("{q} 为不完整季度（{period}），与完整季度不可直接比较。",
                      "{q} is a partial quarter ({period}): not comparable with a full quarter as it stands."),
    "ld.fn.compare": ("变化 = 本季度 − 上季度；比率的变化以百分点计。标 * 的行涉及不完整季度。",
                      "change = this quarter − the previous one; rate changes in percentage points. Rows marked * "
                      "involve a partial quarter."),
    "ld.fn.promises": ("兑现率 = 已兑现 / （已兑现 + 未兑现）；待兑现：运行结束时承诺期限尚未届满。",
                       "kept rate = kept / (kept + broken); pending: the promised date had not come by the end "
                       "of the run."),
    "ld.note.pooled": ("{n} 次重复的平均值；± 后为 95% 置信区间半宽，比率后方括号内为 95% 置信区间（t 分布，截于 0–100%）。",
                       "mean of {n} replications; ± the half-width of the 95% confidence interval, [ ] a rate's "
                       "95% confidence interval (Student t, clipped to 0–100%)."),
    "ld.note.league": ("按每百件反馈单扣分由高到低排列（而不是按扣分总数），办件多的单位不因件多而靠前。",
                       "ranked by deductions per 100 forms, highest first (not by raw points), so a unit is not "
                       "ranked first for handling many forms."),
    "ld.note.overdue": ("截至运行期结束（{end} 00:00）已过答复时限、仍未答复的反馈单，逾期最久的在前；"
                        "逾期工作日 = 时限日之后至期末的工作日数。",
                        "forms past their reply deadline and still without a reply at the end of the period "
                        "({end} 00:00), longest overdue first; working days overdue = working days after the "
                        "deadline's day up to the period's last day."),
    "ld.note.no_calendar": ("（该运行未记录工作日历，按周一至周五计算工作日。）",
                            " (this run recorded no working-day calendar: Monday to Friday counted.)"),
    "ld.more": ("另有 {n} 条未列出（共 {total} 条）。", "{n} more not listed ({total} in all)."),
    "ld.count": ("{n} 次重复共 {total} 条。", "{total} in all over {n} replications."),
    "ld.never": ("始终未答复", "never"),
    "ld.yes": ("是", "yes"),
    "ld.no": ("否", "no"),
    "ld.why.rules": ("规则 {rules}", "rule {rules}"),
    "ld.why.no_statement": ("热点事件未对外表态，24小时转发 {reposts}", "no statement on the hot event, {reposts} reposts in 24 h"),
    "ld.why.late_statement": ("转为热点 {minutes} 分钟后才对外表态，24小时转发 {reposts}",
                              "statement {minutes} minutes after turning hot, {reposts} reposts in 24 h"),
    "ld.none.compare": ("运行只覆盖一个季度，无上季度可比。", "the run covers one quarter: no previous quarter to compare."),
    "ld.none.overdue": ("期末没有逾期未答复的反馈单。", "no form was overdue and open at the end of the period."),
    "ld.none.hot": ("没有热点事件。", "no hot events."),
    "ld.none.flags": ("没有问责。", "no accountability flags."),
    "ld.none.promises": ("没有「近期解决」类答复。", "no 近期解决 replies."),
    "ld.none.places": ("政策中没有街道或镇。", "the policy has no streets or towns."),


    "qr.title": ("网络舆情反馈单办理情况统计表（{year}年第{n}季度）",
                 "Feedback forms: statistics for the district leadership, {year} Q{n}"),
    "qr.period": ("统计期间：", "period: "),
    "qr.meta": ("情景 {scenario}；{n} 次重复的平均值；运行日期 {date}；由 wenzheng 模拟生成",
                "scenario {scenario}; mean of {n} replications; run on {date}; simulated by wenzheng"),
    "qr.meta_one": ("情景 {scenario}；运行日期 {date}；由 wenzheng 模拟生成",
                    "scenario {scenario}; run on {date}; simulated by wenzheng"),
    "qr.no_quarter": ("运行不包含季度「{quarter}」；可选：{quarters}",
                      "the run has no quarter '{quarter}'; it has: {quarters}"),
    "qr.no_chromium": ("找不到 chromium：生成 PDF 需要无头 Chromium（apt-get install chromium），或改用 --format html",
                       "chromium not found: the PDF needs headless Chromium (apt-get install chromium), "
                       "or use --format html"),
    "qr.pdf_failed": ("Chromium 未能生成 PDF：{why}", "Chromium did not print the PDF: {why}"),

    # --- the run report page and its plots (reporting/page.py, plots.py) ---


})
