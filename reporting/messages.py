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
    "plot.volume.title_day": ("每日帖子数与未办结反馈单", "Posts per day and open forms"),
    "plot.volume.title_hour": ("每小时帖子数与未办结反馈单", "Posts per hour and open forms"),
    "plot.volume.posts_day": ("每日帖子数", "posts per day"),
    "plot.volume.posts_hour": ("每小时帖子数", "posts per hour"),
    "plot.volume.open_day": ("未办结反馈单（日末）", "open forms (end of day)"),
    "plot.volume.open_hour": ("未办结反馈单（整点）", "open forms (end of hour)"),
    "plot.volume.y_posts": ("帖子数", "posts"),
    "plot.volume.y_posts_mean": ("帖子数（{n} 次重复平均）", "posts (mean of {n} replications)"),
    "plot.volume.y_open": ("未办结反馈单", "open forms"),
    "plot.volume.x_hours": ("{day} 各小时", "hours of {day}"),
    "plot.band": ("{n} 次重复的范围（最小至最大）", "range over {n} replications (min to max)"),
    "plot.reply.title": ("答复用时与 5 个工作日时限（超过 {over} 个工作日合为一栏）",
                         "Reply time against the 5-working-day deadline (over {over} working days in one bar)"),
    "plot.reply.deadline": ("时限：5 个工作日", "deadline: 5 working days"),
    "plot.reply.x": ("受理后第 N 个工作日答复（0 = 当天）", "reply on working day N after receipt (0 = same day)"),
    "plot.reply.y": ("反馈单", "forms"),
    "plot.reply.y_pooled": ("反馈单（{n} 次重复合计）", "forms (all {n} replications)"),
    "plot.statement.title": ("热点事件 2 小时内对外发声（{n} 次发声）",
                             "2-hour statements on hot events ({n} statements)"),
    "plot.statement.limit": ("2 小时", "2 hours"),
    "plot.statement.none": ("本次运行没有对外发声", "no statements in this run"),
    "plot.statement.x": ("从成为热点到对外发声（分钟）", "minutes from turning hot to the external statement"),
    "plot.statement.y": ("热点事件", "hot events"),
    "plot.statement.y_pooled": ("热点事件（{n} 次重复合计）", "hot events (all {n} replications)"),
    "page.title_run": ("{scenario}：问政模拟报告（种子 {seed}）", "{scenario}: wenzheng simulation report (seed {seed})"),
    "page.title_reps": ("{scenario}：问政模拟报告（{n} 次重复）",
                        "{scenario}: wenzheng simulation report ({n} replications)"),
    "page.title_rep": ("{scenario}：第 {i} 次重复（种子 {seed}）", "{scenario}: replication {i} (seed {seed})"),
    "page.intro": ("情景 {scenario}，时段 {start} 至 {end}（不含），政策 {policy}。指标定义见 docs/metrics.md。",
                   "scenario {scenario}, period {start} – {end} (exclusive), policy {policy}. "
                   "Metric definitions: docs/metrics.md."),
    "page.pooled": ("以下为 {n} 次独立重复（种子 {first}–{last}）的平均值及 95% 置信区间；图表汇总全部重复的数据。",
                    "Means of {n} independent replications (seeds {first}–{last}) with 95% confidence intervals; "
                    "the plots pool the data of every replication."),
    "page.replications": ("各次重复的报告", "Each replication's report"),
    "page.rep_link": ("第 {i} 次（种子 {seed}）", "replication {i} (seed {seed})"),
    "page.back": ("返回汇总报告", "back to the summary report"),
    "page.summary": ("汇总", "Summary"),
    "page.plots": ("图表", "Plots"),
    "page.metric": ("指标", "metric"),
    "page.value": ("数值", "value"),
    "page.ci": ("95% 置信区间", "95% CI"),
    "page.no_font": ("未找到中文字体（{fonts}）：报告照常生成，但图中汉字显示为方框；"
                     "请安装 fonts-wqy-zenhei 或 fonts-noto-cjk",
                     "no CJK font found ({fonts}): the report is written, but Chinese text in the plots shows "
                     "as boxes; install fonts-wqy-zenhei or fonts-noto-cjk"),
    "page.no_report_data": ("缺少 report-data.json（报告图表所需的数据）；请用当前版本重新运行 wenzheng run",
                            "no report-data.json (the data the report's plots draw); run wenzheng run again "
                            "with this version"),
    "sum.posts": ("帖子", "posts"),
    "sum.forms": ("反馈单", "forms issued (反馈单)"),
    "sum.reply_rate": ("答复率", "reply rate"),
    "sum.on_time_rate": ("按时答复率（5 个工作日）", "on-time reply rate (5 working days)"),
    "sum.hot_events": ("热点事件", "hot events"),
    "sum.statement_2h_rate": ("热点 2 小时发声率", "2-hour statement compliance (hot)"),
    "sum.reply_wd_median": ("答复用时中位数（工作日）", "reply time, median (working days)"),
    "sum.reply_wd_p90": ("答复用时 90 分位（工作日）", "reply time, p90 (working days)"),
    "sum.deadline_mean": ("答复时限平均（自然日）", "reply deadline, mean (calendar days)"),
    "sum.escalations": ("督办", "escalations"),
    "sum.deductions": ("扣分", "deductions (points)"),
    "sum.misrouting": ("错派率", "misrouting rate"),
    "sum.desk_util": ("值班台利用率", "desk utilisation"),
    "sum.desk_wait": ("值班台平均等待（分钟）", "desk wait, mean (minutes)"),
    "sum.payloads": ("被拒数据包 / 重复数据包", "payloads rejected / duplicates"),
    "fallback.league": ("单位排名（按扣分）", "Unit league table (by deductions)"),
    "fallback.league_mean": ("单位排名（按扣分，每次重复平均）", "Unit league table (by deductions, mean per replication)"),
    "fallback.quarterly": ("季度统计表", "Quarterly statistics table"),
    "fallback.quarterly_mean": ("季度统计表（每次重复平均）", "Quarterly statistics table (mean per replication)"),
    "fallback.unit": ("单位", "unit"),
    "fallback.forms": ("反馈单", "forms"),
    "fallback.replied": ("答复率", "replied"),
    "fallback.on_time": ("按时率", "on time"),
    "fallback.supervised": ("督办", "supervised"),
    "fallback.deductions": ("扣分", "deductions"),


})
