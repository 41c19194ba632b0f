"""The tester's and CI's commands speak Chinese by default and English with --lang en (issue 12).

Each test runs the real command twice, once without a language (the `zh` fixture removes WENZHENG_LANG, so the
default applies) and once with ``--lang en``, and checks words that only one language has.  The numbers in the
two outputs must be the same: only the words change.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from wenzheng.cli import _requested_lang, main

from .conftest import DATA, ROOT, RULES
from .test_policy_errors import edit

SHORT = str(DATA / "short.yaml")
CJK = re.compile(r"[\u4e00-\u9fff]")


def _run(capsys, argv: list[str]) -> tuple[int, str, str]:
    code = main(argv)
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def _numbers(text: str) -> list[str]:
    """The figures of a table (percentages and decimals), in order: the same in both languages."""
    return re.findall(r"\d+\.\d+%?", text)


# -- wenzheng run ------------------------------------------------------------------------------------------------

def test_run_summary_is_chinese_by_default_and_english_with_lang_en(zh, capsys, tmp_path):
    code, zh_out, _ = _run(capsys, ["run", SHORT, "--quiet", "--out", str(tmp_path / "zh")])
    assert code == 0
    for label in ("指标", "答复率", "按时答复率（5 个工作日）", "2 小时表态率（热点）", "扣分（分）", "各单位扣分",
                  "short-test — 种子 2014"):
        assert label in zh_out, label
    assert "reply rate" not in zh_out and "on-time" not in zh_out and "units by deductions" not in zh_out
    code, en_out, _ = _run(capsys, ["run", SHORT, "--quiet", "--out", str(tmp_path / "en"), "--lang", "en"])
    assert code == 0
    for label in ("metric", "reply rate", "on-time reply rate (5 working days)", "deductions (points)",
                  "units by deductions", "short-test — seed 2014"):
        assert label in en_out, label
    assert "答复率" not in en_out and "指标" not in en_out
    # the same run, the same seed: only the words differ
    assert _numbers(zh_out) == _numbers(en_out) and _numbers(zh_out)


def test_run_with_replications_titles_the_mean_and_the_interval(zh, capsys, tmp_path):
    argv = ["run", SHORT, "--quiet", "--replications", "2"]
    code, zh_out, _ = _run(capsys, [*argv, "--out", str(tmp_path / "zh")])
    assert code == 0
    assert "2 次重复的均值（种子 2014–2015）" in zh_out and "95% 置信区间" in zh_out
    assert "每次重复的均值" in zh_out
    code, en_out, _ = _run(capsys, [*argv, "--out", str(tmp_path / "en"), "--lang", "en"])
    assert code == 0
    assert "mean of 2 replications (seeds 2014–2015)" in en_out and "95% CI" in en_out
    assert "mean per replication" in en_out and "答复率" not in en_out


def test_the_environment_variable_chooses_the_language_and_lang_overrides_it(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("WENZHENG_LANG", "zh_CN.UTF-8")
    code, out, _ = _run(capsys, ["run", SHORT, "--quiet", "--out", str(tmp_path / "a")])
    assert code == 0 and "答复率" in out
    code, out, _ = _run(capsys, ["--lang", "en", "run", SHORT, "--quiet", "--out", str(tmp_path / "b")])
    assert code == 0 and "reply rate" in out and "答复率" not in out


# -- wenzheng compare --------------------------------------------------------------------------------------------

def test_compare_text_in_both_languages_and_json_keys_unchanged(zh, capsys, rules_copy):
    edit(rules_copy / "routing.yaml", "then: {unit: 园林绿化局}", "then: {unit: 城管监察局}")
    argv = ["compare", SHORT, "--baseline", str(RULES), "--candidate", str(rules_copy), "--replications", "2",
            "--quiet", "--limit", "1"]
    code, zh_out, _ = _run(capsys, argv)
    assert code == 0
    assert "规则变更：1 处" in zh_out and "修改 routing 规则 route-parks" in zh_out
    assert "候选 − 基线，按种子 2014–2015 配对" in zh_out and "受影响的案件：" in zh_out
    assert re.search(r"种子 \d+ 案件 \S+：", zh_out) and "基线：" in zh_out and "候选：" in zh_out
    assert "用 --out 可全部写出" in zh_out
    assert "rule changes" not in zh_out and "impacted cases" not in zh_out
    code, en_out, _ = _run(capsys, [*argv, "--lang", "en"])
    assert code == 0
    assert "rule changes: 1" in en_out and "modified routing rule route-parks" in en_out
    assert "candidate − baseline, paired over seeds 2014–2015" in en_out and "impacted cases:" in en_out
    assert "(use --out to write them all)" in en_out and "规则变更" not in en_out
    # the count of impacted cases is the same number in both
    n_zh = re.search(r"受影响的案件：(\d+) 件", zh_out)
    n_en = re.search(r"impacted cases: (\d+) ", en_out)
    assert n_zh and n_en and n_zh.group(1) == n_en.group(1) and int(n_zh.group(1)) > 0
    # JSON: keys and codes never depend on the language
    import json

    code, js, _ = _run(capsys, [*argv, "--format", "json"])
    doc = json.loads(js)
    assert code == 0 and {"scenario", "seeds", "metrics", "rule_changes", "impacted_cases", "impacts"} <= set(doc)
    assert doc["rule_changes"][0]["change"] == "modified"


def test_compare_shows_the_form_codes_in_words(zh):
    from engine.i18n import lang_scope
    from wenzheng.cli import _impact_value

    assert _impact_value("form") == "有反馈单" and _impact_value("no form") == "无反馈单"
    assert _impact_value(None) == "（无）" and _impact_value("园林绿化局") == "园林绿化局"
    with lang_scope("en"):
        assert (_impact_value("form"), _impact_value("no form"), _impact_value("")) == ("form", "no form", "(none)")


# -- wenzheng check and baseline update ----------------------------------------------------------------------------

@pytest.fixture()
def tiny_baselines(tmp_path) -> Path:
    """One baseline of tests/data/short.yaml, two replications, recorded by `baseline update`."""
    d = tmp_path / "b"
    d.mkdir()
    (d / "short.yaml").write_text(
        f"kind: baseline\nscenario: {DATA / 'short.yaml'}\nreplications: 2\n"
        "checks:\n  reply_rate:\n  on_time_rate:\n", encoding="utf-8")
    return d


def test_check_text_markdown_and_junit_follow_the_language(zh, capsys, tmp_path, tiny_baselines, rules_copy):
    d = tiny_baselines
    code, out, _ = _run(capsys, ["baseline", "update", "--baseline-dir", str(d), "--workers", "1"])
    assert code == 0 and re.search(r"short\.yaml：2 项指标中 2 项有变化", out), out  # nothing recorded before
    code, out, _ = _run(capsys, ["baseline", "update", "--baseline-dir", str(d), "--workers", "1", "--lang", "en"])
    assert code == 0 and "short.yaml: 0 of 2 metrics changed" in out  # same rules, same seeds: same numbers

    md, junit = tmp_path / "gate.md", tmp_path / "gate.xml"
    code, out, err = _run(capsys, ["check", "--baseline-dir", str(d), "--workers", "1", "--markdown", str(md),
                                   "--junit", str(junit)])
    assert code == 0
    assert "wenzheng 门禁 — " in out and "非劣效检验" in out and "2 项检查中 2 项通过" in out
    assert "正在检查 short" in err
    text = md.read_text(encoding="utf-8")
    assert text.startswith("### wenzheng gate（CI 门禁）：✅ 无退化")
    assert "**判定规则：**" in text and "| 情景 | 指标 | 基线 | 现在 |" in text and "共 2 项检查" in text
    assert '<testsuite name="wenzheng-gate"' in junit.read_text(encoding="utf-8")  # structure unchanged

    # English, and the files written in Chinese are still recognised as wenzheng's (replaced without --force)
    code, out, _ = _run(capsys, ["check", "--baseline-dir", str(d), "--workers", "1", "--markdown", str(md),
                                 "--junit", str(junit), "--lang", "en"])
    assert code == 0
    assert "wenzheng gate — a check fails when" in out and "2 of 2 checks hold" in out
    text = md.read_text(encoding="utf-8")
    assert text.startswith("### wenzheng gate: ✅ no regressions") and "**Decision rule:**" in text
    assert not CJK.search(text)

    # a regression: the on-time rate falls with a 4-working-day reply deadline
    edit(rules_copy / "deadlines.yaml", "within: 5 working days", "within: 4 working days")
    code, out, _ = _run(capsys, ["check", "--baseline-dir", str(d), "--workers", "1", "--rules", str(rules_copy),
                                 "--markdown", str(md), "--junit", str(junit)])
    assert code == 1
    assert re.search(r"short: 按时答复率（5 个工作日）（on_time_rate）: \S+ → \S+（Δ -\S+，95% 单侧下界 -\S+；最多可下降 0\.01）退化$", out, re.M), out
    assert "；退化：short:on_time_rate" in out
    text = md.read_text(encoding="utf-8")
    assert "❌" in text and "项退化" in text.splitlines()[0]
    xml = junit.read_text(encoding="utf-8")
    assert 'failures="1"' in xml and "退化" in xml  # the message follows the language, the structure does not


def test_gate_reports_in_both_languages_on_hand_computed_outcomes(zh):
    from engine.i18n import lang_scope
    from simulator.gate import CheckOutcome, Margin, markdown_report, text_report

    fail = CheckOutcome("b", "reply_rate", Margin("higher", 0.005), 0.98, 0.95, -0.03, -0.04, 0.005, False)
    ok = CheckOutcome("b", "deductions_total", Margin("lower", 10, percent=True), 10.0, 10.0, 0.0, 0.5, 1.0, True)
    text = text_report([fail, ok], 1.25)
    assert text.splitlines()[-1] == "2 项检查中 1 项通过；退化：b:reply_rate（1.2 秒）"
    assert "b: 答复率（reply_rate）: 0.98 → 0.95（Δ -0.03，95% 单侧下界 -0.04；最多可下降 0.005）退化" in text
    md = markdown_report([fail, ok], 1.25)
    assert md.splitlines()[0] == "### wenzheng gate（CI 门禁）：❌ 1 项退化"
    assert "| b | `deductions_total` | 10 | 10 | +0 | ≤ +0.5 (95%) | 最多可上升 10% | ✅ |" in md
    with lang_scope("en"):
        text = text_report([fail, ok], 1.25)
        assert text.splitlines()[-1] == "1 of 2 checks hold; regressions: b:reply_rate (1.2 s)"
        assert "b: reply_rate: 0.98 → 0.95 (Δ -0.03, 95% lower bound -0.04; may fall by at most 0.005) REGRESSION" \
            in text
        assert markdown_report([fail, ok], 1.25).splitlines()[0] == "### wenzheng gate: ❌ 1 regression(s)"


# -- sweep, plan, sensitivity -------------------------------------------------------------------------------------

def test_sweep_summary_in_both_languages(zh, capsys, tmp_path):
    argv = ["sweep", SHORT, "--set", "desk.handover_minutes=5,15", "--replications", "1", "--executor", "serial",
            "--quiet"]
    code, out, err = _run(capsys, [*argv, "--out", str(tmp_path / "zh")])
    assert code == 0
    assert "2 个单元格，新算 2 次运行；结果在" in out and "sweep：2 个单元格 × 1 次重复" in err
    code, out, err = _run(capsys, [*argv, "--out", str(tmp_path / "zh")])  # resumed: both cells reused
    assert code == 0 and "新算 0 次运行，2 次沿用" in out
    code, out, err = _run(capsys, [*argv, "--out", str(tmp_path / "en"), "--lang", "en"])
    assert code == 0 and "2 cells, 2 runs computed; results in" in out and "sweep: 2 cells × 1 replications" in err
    # the HTML report's text follows the language too (its structure and plot ids do not)
    zh_html = (tmp_path / "zh" / "sweep.html").read_text(encoding="utf-8")
    en_html = (tmp_path / "en" / "sweep.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in zh_html and "<title>扫描：short-test</title>" in zh_html
    assert "2 个单元格 × 1 次重复，共用随机数" in zh_html and "<h2>图表</h2>" in zh_html
    assert '<html lang="en">' in en_html and "<title>Sweep: short-test</title>" in en_html
    assert "2 cells × 1 replications on common random numbers" in en_html and "<h2>Plots</h2>" in en_html
    assert re.findall(r'<figure id="([^"]+)"', zh_html) == re.findall(r'<figure id="([^"]+)"', en_html)


@pytest.fixture()
def fake_cell(monkeypatch):
    """The plan's runs replaced by a known monotone answer (tests/test_plan.py): staff 5 is the smallest meeting 0.9."""
    import sweeps.plan as plan_mod

    def cell(job):
        return {"statement_2h_rate": min(1.0, 0.2 * job.value) + (0.01 if job.seed % 2 == 0 else -0.01)}
    monkeypatch.setattr(plan_mod, "run_cell", cell)


def test_plan_text_in_both_languages(zh, fake_cell, capsys):
    argv = ["plan", SHORT, "--vary", "desk.staff=1..7", "--target", "statement_2h_rate >= 0.9"]
    code, out, _ = _run(capsys, argv)
    assert code == 0
    assert "答案：desk.staff = 5" in out and "的最小 desk.staff" in out
    assert "已确认：desk.staff=4 未达到某项目标" in out and "运行总数：" in out
    assert "desk.staff=1 不是有效情景：1 人的值班台无法按本情景的 3 个班次" in out
    assert re.search(r"^\s+5\s+\d+\s+达到", out, re.M) and re.search(r"^\s+4\s+\d+\s+未达到", out, re.M)
    code, out, _ = _run(capsys, [*argv, "--lang", "en"])
    assert code == 0
    assert "answer: desk.staff = 5" in out and "confirmed: desk.staff=4 fails a target" in out
    assert "not a valid scenario at desk.staff=1: a desk of 1 cannot be staffed 24 hours" in out
    assert not CJK.search(out)


def test_plan_columns_line_up_with_chinese_text():
    from engine.i18n import display_width, pad

    assert display_width("达到") == 4 and display_width("meets") == 5 and display_width("值 a") == 4
    assert pad("达到", 6, right=False) == "达到  " and pad("7", 3, right=True) == "  7"
    assert pad("超过宽度", 3) == "超过宽度"  # never cut


def test_sensitivity_text_in_both_languages_and_its_file_is_recognised(zh, capsys, tmp_path):
    out_file = tmp_path / "s.md"
    argv = ["sensitivity", SHORT, "--vary", "desk.handover_minutes=5..15", "--points", "2", "--replications", "2",
            "--quiet", "--out", str(out_file)]
    code, _, err = _run(capsys, argv)
    assert code == 0 and f"已写入 {out_file}" in err
    text = out_file.read_text(encoding="utf-8")
    assert text.startswith("逐一敏感性分析：short-test，每个取值 2 次重复") and "| 参数 | 取值 | 答复率 |" in text
    assert "变幅（情景值：" in text
    # the file it wrote in Chinese is its own: replaced without --force, here in English
    code, _, err = _run(capsys, [*argv, "--lang", "en"])
    assert code == 0 and f"wrote {out_file}" in err
    assert out_file.read_text(encoding="utf-8").startswith("One-at-a-time sensitivity: short-test")


# -- bench -------------------------------------------------------------------------------------------------------

def test_bench_tables_in_both_languages(zh, capsys):
    argv = ["bench", "--scenario", SHORT, "--repeat", "1", "--events", "100"]
    code, out, err = _run(capsys, argv)
    assert code == 0
    assert "路由决策 µs/次" in out and "峰值内存 MB" in out and "命令行启动 秒" in out and "基准测试：" in err
    code, out, err = _run(capsys, [*argv, "--lang", "en"])
    assert code == 0
    assert "routing µs/decision" in out and "peak RSS MB" in out and "CLI start-up s" in out
    assert not CJK.search(out) and "bench: routing" in err


# -- errors: usage, unusable input, the CLI's own lines ------------------------------------------------------------

@pytest.mark.parametrize(("argv", "zh_text", "en_text"), [
    (["run", "--sede", "3", SHORT], "错误：没有选项 --sede。是否想写 --seed、--set？", "No such option '--sede'"),
    (["run"], "错误：缺少参数 'SCENARIO'。", "Missing argument 'SCENARIO'."),
    (["run", SHORT, "--replications", "abc"], "错误：--replications 的值无效：「abc」不是整数。",
     "Invalid value for '--replications': 'abc' is not a valid integer range."),
    (["run", SHORT, "--replications", "0"], "错误：--replications 的值无效：0 不在 1<=x<=10000 范围内。",
     "Invalid value for '--replications': 0 is not in the range 1<=x<=10000."),
    (["check", "--format", "xml"], "错误：--format 的值无效：「xml」不是可用的取值；应为以下之一：text、json",
     "Invalid value for '--format': 'xml' is not one of 'text', 'json'."),
    (["run", SHORT, "--seed"], "错误：选项 '--seed' 需要一个值。", "Option '--seed' requires an argument."),
    (["runn"], "错误：没有命令「runn」。是否想写 run？", "No such command 'runn'."),
    (["run", SHORT, "extra"], "错误：多余的参数（extra）", "Got unexpected extra argument (extra)"),
])
def test_click_usage_errors_in_both_languages(zh, capsys, argv, zh_text, en_text):
    code, _, en_err = _run(capsys, ["--lang", "en", *argv])
    assert code == 2
    assert en_text in en_err and "Error: " in en_err and not CJK.search(en_err)
    code, _, err = _run(capsys, argv)
    assert code == 2
    assert zh_text in err and "Error:" not in err and "Usage:" not in err
    # the usage line and the help hint exactly where click gives them in English
    assert ("用法：wenzheng" in err) == ("Usage: wenzheng" in en_err)
    assert ("查看帮助" in err) == ("for help" in en_err)


def test_an_unrecognised_click_message_keeps_its_words_in_the_chinese_frame(zh):
    import click

    from wenzheng.clickmsg import usage_message

    assert usage_message(click.UsageError("Something new.")) == "Something new."
    assert usage_message(click.BadParameter("odd", param_hint="'--x'")) == "--x 的值无效：odd"


def test_the_error_line_and_the_problem_follow_lang_given_anywhere():
    assert _requested_lang(["run", "x", "--lang", "en"]) == "en"
    assert _requested_lang(["--lang=zh", "run"]) == "zh"
    assert _requested_lang(["run", "--", "--lang", "en"]) is None
    assert _requested_lang(["run", "--lang", "fr"]) is None and _requested_lang([]) is None


def test_a_bad_scenario_value_in_both_languages(zh, capsys, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"kind: scenario\nname: bad\nextends: {DATA / 'short.yaml'}\nstart: 2014-10-05\n"
                   "end: 2014-10-01\n", encoding="utf-8")
    code, _, err = _run(capsys, ["run", str(bad), "--quiet"])
    assert code == 2 and err.startswith("错误：") and "结束日期（2014-10-01）早于开始日期（2014-10-05）" in err
    code, _, err = _run(capsys, ["run", str(bad), "--quiet", "--lang", "en"])
    assert code == 2 and err.startswith("error: ") and "end (2014-10-01) is before start (2014-10-05)" in err


def test_a_bad_set_in_both_languages(zh, capsys, tmp_path):
    argv = ["run", SHORT, "--quiet", "--out", str(tmp_path / "o"), "--set", "desk.stafff=3"]
    code, _, err = _run(capsys, argv)
    assert code == 2 and "未知参数「desk.stafff」：desk 没有键「stafff」" in err and "是否想写「desk.staff」" in err
    code, _, err = _run(capsys, [*argv, "--lang", "en"])
    assert code == 2 and "unknown parameter 'desk.stafff': desk has no key 'stafff'" in err


# -- the defect: another wenzheng file given where a scenario is expected -------------------------------------------

def _error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.strip()]


def test_a_rules_file_given_as_a_scenario_is_one_clear_message(zh, capsys):
    # regression: `wenzheng run rules/routing.yaml` printed 11 validation lines (every scenario key missing)
    code, _, err = _run(capsys, ["run", "rules/routing.yaml"])
    assert code == 2
    lines = _error_lines(err)
    assert len(lines) == 1, lines
    assert lines[0] == ("错误：rules/routing.yaml:5:1: 是路由规则文件（kind: routing），不是情景文件；"
                        "情景文件见 scenarios/，如 scenarios/changping-2014.yaml")
    code, _, err = _run(capsys, ["run", "rules/routing.yaml", "--lang", "en"])
    assert code == 2 and _error_lines(err) == [
        "error: rules/routing.yaml:5:1: is a routing rules file (kind: routing), not a scenario; scenarios are in "
        "scenarios/, e.g. scenarios/changping-2014.yaml"]


@pytest.mark.parametrize("kind", ["units", "classification", "routing", "hot", "deadlines", "escalation", "calendar"])
def test_every_rules_file_kind_given_as_a_scenario_is_named(zh, capsys, kind):
    from engine.schema import FILE_KINDS

    assert kind in FILE_KINDS  # every kind of rules file the engine knows is covered here
    path = RULES / f"{kind}.yaml"
    code, _, err = _run(capsys, ["run", str(path)])
    assert code == 2
    [line] = _error_lines(err)
    assert line.startswith(f"错误：{path}:") and f"（kind: {kind}），不是情景文件；情景文件见 scenarios/" in line
    assert any(word in line for word in ("规则文件", "名录文件", "日历文件"))


def test_the_kinds_named_cover_every_rules_file_kind():
    from engine.schema import FILE_KINDS
    from simulator.scenario import _OTHER_KINDS

    assert set(FILE_KINDS) | {"policy-tests", "baseline"} == set(_OTHER_KINDS)


@pytest.mark.parametrize(("where", "zh_text", "en_text"), [
    ("rules/tests/routing.yaml", "是规则测试文件（kind: policy-tests），不是情景文件",
     "is a policy test file (kind: policy-tests), not a scenario"),
    ("baselines/apec-2014.yaml", "是门禁基线文件（kind: baseline），不是情景文件",
     "is a CI gate baseline file (kind: baseline), not a scenario"),
])
def test_policy_tests_and_baselines_given_as_a_scenario(zh, capsys, where, zh_text, en_text):
    code, _, err = _run(capsys, ["run", where])
    assert code == 2 and len(_error_lines(err)) == 1 and zh_text in err
    code, _, err = _run(capsys, ["compare", where, "--baseline", "rules", "--candidate", "rules", "--lang", "en"])
    assert code == 2 and len(_error_lines(err)) == 1 and en_text in err


def test_a_run_folder_or_its_metrics_given_as_a_scenario(zh, capsys, tmp_path):
    run_dir = tmp_path / "r"
    assert main(["run", SHORT, "--quiet", "--out", str(run_dir)]) == 0
    capsys.readouterr()
    code, _, err = _run(capsys, ["run", str(run_dir)])
    assert code == 2 and _error_lines(err) == [
        f"错误：{run_dir}: 是一次运行的结果文件夹（含 metrics.json），不是情景文件；情景文件见 scenarios/，"
        "如 scenarios/changping-2014.yaml"]
    code, _, err = _run(capsys, ["run", str(run_dir / "metrics.json"), "--lang", "en"])
    assert code == 2 and _error_lines(err) == [
        f"error: {run_dir / 'metrics.json'}: is the metrics of a run (metrics.json), not a scenario; scenarios are "
        "in scenarios/, e.g. scenarios/changping-2014.yaml"]
    other = tmp_path / "empty"
    other.mkdir()
    code, _, err = _run(capsys, ["run", str(other)])
    assert code == 2 and "是文件夹，不是情景文件" in err


def test_a_real_scenario_is_not_mistaken_for_another_file(tmp_path):
    from simulator.scenario import load_scenario

    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        assert load_scenario(path).name  # every shipped scenario still loads
    copy = tmp_path / "kindless.yaml"
    shutil.copy(DATA / "short.yaml", copy)
    text = copy.read_text(encoding="utf-8").replace("kind: scenario\n", "")
    copy.write_text(text, encoding="utf-8")
    from engine.errors import ScenarioError

    with pytest.raises(ScenarioError) as exc:  # no kind: the schema's own message, not "another file"
        load_scenario(copy)
    assert all(p.code != "not-a-scenario" for p in exc.value.problems)
