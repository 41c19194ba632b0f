"""One table of metric labels (simulator/labels.py): every metric of docs/metrics.md has a Chinese and an English
label; Chinese text tables name a metric by its label (with the key), English ones and files by the key."""

from __future__ import annotations

import json
import re

from engine.i18n import lang_scope
from simulator.labels import METRIC_LABELS, metric_label, metric_name
from simulator.replications import SCALAR_METRICS

from .conftest import DATA, ROOT, RULES

CJK = re.compile(r"[\u3400-\u9fff]")
SHORT = str(DATA / "short.yaml")


def _documented_metrics() -> list[str]:
    """The keys of docs/metrics.md's first table; "`a_median`, `_p90`" names a_median and a_p90."""
    text = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    table = text.split("| key | definition |", 1)[1].split("\n\n", 1)[0]
    keys: list[str] = []
    for line in table.splitlines()[2:]:
        first = line.split("|")[1]
        names = re.findall(r"`([a-z0-9_]+)`", first)
        for name in names:
            if name.startswith("_"):  # a suffix of the previous key: replace its last part
                keys.append(keys[-1].rsplit("_", 1)[0] + name)
            else:
                keys.append(name)
    return keys


def test_the_documented_table_is_read():
    keys = _documented_metrics()
    assert {"posts", "reply_rate", "reply_working_days_p90", "desk_wait_minutes_p90", "promises_broken",
            "quarterly", "run"} <= set(keys)
    assert len(keys) == len(set(keys)) == 38


def test_every_documented_and_every_scalar_metric_has_both_labels():
    documented = set(_documented_metrics())
    assert documented - set(METRIC_LABELS) == set()
    assert set(SCALAR_METRICS) - set(METRIC_LABELS) == set()
    assert set(METRIC_LABELS) - documented == set()  # no label for a metric the docs do not define
    for key, (zh, en) in METRIC_LABELS.items():
        assert CJK.search(zh), key
        assert en.strip() and en == en.strip(), key


def test_labels_are_unique_in_each_language():
    zh = [z for z, _ in METRIC_LABELS.values()]
    en = [e for _, e in METRIC_LABELS.values()]
    assert len(set(zh)) == len(zh) and len(set(en)) == len(en)


def test_label_and_name_by_language():
    assert metric_label("reply_rate", "zh") == "答复率" and metric_label("reply_rate", "en") == "reply rate"
    assert metric_name("reply_rate", "zh") == "答复率（reply_rate）" and metric_name("reply_rate", "en") == "reply_rate"
    assert metric_name("not_a_metric", "zh") == "not_a_metric" == metric_label("not_a_metric", "zh")
    with lang_scope("en"):
        assert metric_name("forms") == "forms" and metric_label("forms") == "forms issued (反馈单)"
    with lang_scope("zh"):
        assert metric_name("forms") == "反馈单数（forms）"


def test_the_summaries_keep_their_english_wording():
    """The run summary's and the report page's English row labels, as they were before the one table."""
    from reporting.page import summary_rows

    before = ["posts", "forms issued (反馈单)", "reply rate", "on-time reply rate (5 working days)", "hot events",
              "2-hour statement compliance (hot)", "reply time, median (working days)",
              "reply time, p90 (working days)", "reply deadline, mean (calendar days)", "escalations",
              "deductions (points)", "misrouting rate", "desk utilisation", "desk wait, mean (minutes)",
              "payloads rejected / duplicates"]
    with lang_scope("en"):
        assert [label for label, _, _ in summary_rows({})] == before
    with lang_scope("zh"):
        labels = [label for label, _, _ in summary_rows({})]
    assert labels[2] == "答复率" and labels[5] == "2 小时表态率（热点）" and all(CJK.search(x) for x in labels)


def test_run_summary_labels_come_from_the_table(zh, capsys, tmp_path):
    from wenzheng.cli import main

    assert main(["run", SHORT, "--quiet", "--out", str(tmp_path / "zh")]) == 0
    out = capsys.readouterr().out
    for key in ("posts", "reply_working_days_p90", "desk_wait_minutes_mean", "misrouting_rate"):
        assert METRIC_LABELS[key][0] in out, key
    assert main(["run", SHORT, "--quiet", "--out", str(tmp_path / "en"), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    for key in ("posts", "reply_working_days_p90", "desk_wait_minutes_mean", "misrouting_rate"):
        assert METRIC_LABELS[key][1] in out, key


def test_compare_names_metrics_by_label_in_chinese_and_by_key_in_english(zh, capsys, tmp_path):
    from wenzheng.cli import main

    argv = ["compare", SHORT, "--baseline", str(RULES), "--candidate", str(RULES), "--replications", "2",
            "--quiet", "--all-metrics"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "答复率（reply_rate）" in out and "按时答复率（5 个工作日）（on_time_rate）" in out
    assert main([*argv, "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^\S*\s*reply_rate\s", out, re.M) and "答复率" not in out
    assert main([*argv, "--format", "json", "--out", str(tmp_path / "c")]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert set(doc["metrics"]) == set(SCALAR_METRICS)  # keys in the machine output, whatever the language
    saved = json.loads((tmp_path / "c" / "comparison.json").read_text(encoding="utf-8"))
    assert set(saved["metrics"]) == set(SCALAR_METRICS)


def test_gate_text_names_the_metric_by_label_but_markdown_keeps_the_key():
    from simulator.gate import CheckOutcome, Margin, markdown_report, text_report

    fail = CheckOutcome("b", "on_time_rate", Margin("higher", 0.005), 0.98, 0.95, -0.03, -0.04, 0.005, False)
    with lang_scope("zh"):
        text = text_report([fail], 1.0)
        assert "b: 按时答复率（5 个工作日）（on_time_rate）: 0.98 → 0.95" in text
        assert text.splitlines()[-1].startswith("1 项检查中 0 项通过；退化：b:on_time_rate")
        assert "`on_time_rate`" in markdown_report([fail], 1.0)
    with lang_scope("en"):
        assert "b: on_time_rate: 0.98 → 0.95" in text_report([fail], 1.0)


def test_plan_columns_name_the_target_metric(zh, capsys, monkeypatch):
    import sweeps.plan as plan_mod
    from wenzheng.cli import main

    monkeypatch.setattr(plan_mod, "run_cell", lambda job: {"statement_2h_rate": min(1.0, 0.2 * job.value)})
    argv = ["plan", SHORT, "--vary", "desk.staff=3..7", "--target", "statement_2h_rate >= 0.9"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "2 小时表态率（热点）：statement_2h_rate >= 0.9" in out
    assert main([*argv, "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "statement_2h_rate >= 0.9" in out and not CJK.search(out)


def test_cli_summary_and_report_summary_show_the_same_rows(capsys):
    """Regression (trial): the CLI showed the rejected/duplicate payloads rounded, with one interval ("3 / 15
    [2 / 15 – 4 / 15]") while the report showed "2.8 / 14.8 [1.7 – 3.9] / [12.5 – 17.1]"; one list now."""
    from reporting.page import summary_rows
    from wenzheng.cli import print_summary

    m = {"replications": 3, "seeds": [1, 2, 3], "posts": 1366.1, "forms": 848.7, "reply_rate": 0.981,
         "payloads_rejected": 2.8, "payloads_duplicate": 14.8,
         "ci95": {"payloads_rejected": [1.7, 3.9], "payloads_duplicate": [12.5, 17.1], "reply_rate": [0.978, 0.984]}}
    with lang_scope("en"):
        print_summary(m, "t")
        rows = summary_rows(m)
    out = capsys.readouterr().out
    assert rows[-1][1:] == ("2.8 / 14.8", "[1.7 – 3.9] / [12.5 – 17.1]")
    for label, value, interval in rows:
        line = next(x for x in out.splitlines() if label in x)
        assert value in line and interval in line, (label, line)
