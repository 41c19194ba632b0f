"""The metrics' names for people: one Chinese and one English label per key of metrics.json (docs/metrics.md).

Keys are the metrics' names in files (metrics.json, comparison.json, the gate's baselines, CSV and JSON output)
and never change with the language; text for people shows a label instead, or beside the key in Chinese, so a
reader can still find the key to type (``compare --all-metrics``, ``plan --target``, a baseline's checks).
The run summary (``wenzheng run``) and the run report's summary table use these labels too; the English labels
are the ones they always showed.  ``tests/test_labels.py`` checks every metric of docs/metrics.md and every
key of ``SCALAR_METRICS`` has both labels here.
"""

from __future__ import annotations

from engine.i18n import get_lang, pick

__all__ = ["METRIC_LABELS", "metric_label", "metric_name"]

#: key → (Chinese label, English label)
METRIC_LABELS: dict[str, tuple[str, str]] = {
    "posts": ("帖子数", "posts"),
    "forms": ("反馈单数", "forms issued (反馈单)"),
    "answered_by_desk": ("值班台直接答复数", "answered by the desk"),
    "replied": ("已答复反馈单数", "forms replied"),
    "reply_rate": ("答复率", "reply rate"),
    "reply_rate_as_of": ("期末答复率", "reply rate as of the period's end"),
    "on_time_rate": ("按时答复率（5 个工作日）", "on-time reply rate (5 working days)"),
    "hot_events": ("热点事件", "hot events"),
    "statement_2h_rate": ("2 小时表态率（热点）", "2-hour statement compliance (hot)"),
    "statement_minutes_median": ("表态用时中位数（分钟）", "time to statement, median (minutes)"),
    "reply_working_days_median": ("答复用时中位数（工作日）", "reply time, median (working days)"),
    "reply_working_days_p90": ("答复用时 90 分位（工作日）", "reply time, p90 (working days)"),
    "reminders": ("提醒次数", "reminders"),
    "escalations": ("督办次数", "escalations"),
    "follow_ups": ("网民追问数", "follow-up posts"),
    "deductions_total": ("扣分（分）", "deductions (points)"),
    "deductions_by_unit": ("各单位扣分", "deductions by unit"),
    "accountability_flags": ("问责案件数", "cases flagged for accountability"),
    "misrouting_rate": ("错派率", "misrouting rate"),
    "unrouted_forms": ("未转办反馈单数", "unrouted forms"),
    "misclassification_rate": ("错分类率", "misclassification rate"),
    "desk_utilisation": ("值班台利用率", "desk utilisation"),
    "desk_utilisation_by_rota_line": ("值班台各班次利用率", "desk utilisation by rota line"),
    "desk_wait_minutes_mean": ("值班台平均等待（分钟）", "desk wait, mean (minutes)"),
    "desk_wait_minutes_p90": ("值班台等待 90 分位（分钟）", "desk wait, p90 (minutes)"),
    "backlog_max": ("最大积压反馈单数", "largest backlog of open forms"),
    "reply_rate_by_unit": ("各单位答复率", "reply rate by unit"),
    "reply_deadline_calendar_days_mean": ("答复时限均值（自然日）", "reply deadline, mean (calendar days)"),
    "merged_posts": ("合并帖子数", "merged posts"),
    "payloads_accepted": ("接收的推送", "payloads accepted"),
    "payloads_rejected": ("拒收的推送", "payloads rejected"),
    "payloads_rejected_by_reason": ("按原因拒收的推送", "payloads rejected by reason"),
    "payloads_duplicate": ("重复的推送", "duplicate payloads"),
    "promises": ("「近期解决」承诺数", "近期解决 promises"),
    "promises_kept": ("兑现的承诺", "promises kept"),
    "promises_broken": ("未兑现的承诺", "promises broken"),
    "quarterly": ("季度统计表", "quarterly statistics"),
    "run": ("运行信息", "run information"),
}


def metric_label(key: str, lang: str | None = None) -> str:
    """The metric's label in ``lang`` (default: the current language); an unknown key is its own label."""
    entry = METRIC_LABELS.get(key)
    return key if entry is None else pick(entry[0], entry[1], lang)


def metric_name(key: str, lang: str | None = None) -> str:
    """How text tables name a metric: in Chinese the label with the key after it, 「答复率（reply_rate）」, so the
    key can still be typed; in English the key alone, as these tables always showed it."""
    if (lang or get_lang()) == "en" or key not in METRIC_LABELS:
        return key
    return f"{METRIC_LABELS[key][0]}（{key}）"
