"""The policy designer's commands in Chinese by default and English with --lang en, and six reported defects.

Oracles: the real commands (wenzheng.cli.main) on the shipped rules; Chinese output is recognised by its
catalogue wording and Chinese characters, English by the English wording existing tests already pin down.
Each defect has a regression test that knows the right answer independently: a suggested value fed back is
accepted; a close place name is suggested; the file, line, column and key are those of the hand-written file;
the bad value is quoted; the column is the one of the full-width colon or tab; a deleted street is not
"corrected" to a different real street.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from engine.errors import SourceError, suggest
from engine.i18n import lang_scope
from wenzheng.cli import main

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
CJK = re.compile(r"[\u4e00-\u9fff]")
AT = "2014-09-30T16:00+08:00"


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# -- the commands print Chinese by default, English with --lang en -------------------------------------------
def test_validate_zh_and_en(zh, capsys):
    code, out, _ = run(capsys, "validate", str(RULES))
    assert code == 0 and "策略有效" in out and "个单位" in out and "条规则" in out
    code, out, _ = run(capsys, "validate", str(RULES), "--lang", "en")
    assert code == 0 and "valid policy" in out and "units" in out and not CJK.search(out.replace(str(RULES), ""))


def test_lint_zh_and_en(zh, capsys, rules_copy):
    code, _, err = run(capsys, "lint", str(RULES))
    assert code == 0 and "未发现问题" in err
    code, _, err = run(capsys, "--lang", "en", "lint", str(RULES))
    assert code == 0 and "clean" in err
    # a problem: the message follows the language, the severity word and code stay English (editors parse them)
    f = rules_copy / "routing.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("then: {unit: 交通局}", "then: {unit: 交通委}"),
                 encoding="utf-8")
    code, out, err = run(capsys, "lint", str(rules_copy))
    assert code == 1 and ": error unknown-unit units.yaml 中没有单位「交通委」" in out and "是否想写「交通局」" in out
    assert "1 个错误，0 个警告" in err
    code, out, err = run(capsys, "lint", str(rules_copy), "--lang", "en")
    assert code == 1 and ": error unknown-unit unknown unit '交通委'" in out and "did you mean '交通局'" in out
    code, out, _ = run(capsys, "lint", str(rules_copy), "--format", "json")
    import json

    (p,) = json.loads(out)["problems"]
    assert p["code"] == "unknown-unit" and p["message"].startswith("units.yaml 中没有单位")


def test_policy_tests_zh_and_en(zh, capsys):
    code, out, _ = run(capsys, "test", str(RULES))
    assert code == 0 and re.search(r"^\d+ 个通过，0 个失败$", out, re.M) and "规则覆盖率：" in out
    code, out, _ = run(capsys, "test", str(RULES), "--lang", "en")
    assert code == 0 and re.search(r"^\d+ passed, 0 failed$", out, re.M) and "rule coverage:" in out


def test_explain_speaks_the_rule_language_in_chinese(zh, capsys):
    code, out, _ = run(capsys, "explain", "--rules", str(RULES), "--text", "公园垃圾", "--place", "回龙观", "--at", AT)
    assert code == 0
    assert "■ 收到帖子、发出反馈单 @ 2014-09-30 16:00" in out
    assert "（命中策略：首条命中）" in out and "（命中策略：全部命中）" in out
    assert "正文包含「公园」" in out and "事件为收到帖子" in out and "转发评论数不少于 500" in out
    assert "类别为「园林绿化」" in out and "hit policy" not in out and "contains any of" not in out
    code, out, _ = run(capsys, "explain", "--rules", str(RULES), "--text", "公园垃圾", "--place", "回龙观", "--at", AT,
                       "--lang", "en")
    assert code == 0 and "(hit policy: first)" in out and "text contains any of {" in out
    assert "event = post_received" in out and "命中策略" not in out


def test_every_condition_renders_in_both_languages():
    """Every field, and every operator that fits it, has a Chinese rendering without English field names."""
    from engine.conditions import FIELDS, OPERATORS, Condition

    for name, spec in FIELDS.items():
        values = {bool: [True], int: [5], str: list(spec.choices[:1]) or ["公园"]}[spec.type]
        for op in OPERATORS:
            if spec.type is bool and op not in ("eq", "ne"):
                continue
            if spec.type is not int and op in ("gt", "gte", "lt", "lte"):
                continue
            if spec.type is not str and op in ("contains_any", "matches"):
                continue
            value = tuple(values) if op in ("in", "not_in", "contains_any") else values[0]
            c = Condition(name, op, value)
            zh_text, en_text = c.describe("zh"), c.describe("en")
            assert CJK.search(zh_text) and name not in zh_text.replace("_", ""), (name, op, zh_text)
            assert name in en_text, (name, op, en_text)


def test_deadline_zh_and_en(zh, capsys):
    code, out, _ = run(capsys, "deadline", "--from", AT, "--within", "5 working days", "--rules", str(RULES))
    assert code == 0 and out.strip() == "2014-10-13T17:30:00+08:00"  # 10-01…10-07 off, 10-11 worked (调休)
    code, _, err = run(capsys, "deadline", "--from", "2014-09-30T16:00", "--within", "5 working days")
    assert code == 2 and "没有时区" in err
    code, _, err = run(capsys, "deadline", "--from", "2014-09-30T16:00", "--within", "5 working days", "--lang", "en")
    assert code == 2 and "has no UTC offset" in err


def test_schema_zh(zh, capsys, tmp_path):
    code, out, _ = run(capsys, "schema", "--out", str(tmp_path / "s"))
    assert code == 0 and out.count("已写入") == len(list((tmp_path / "s").glob("*.schema.json"))) > 0


# -- defect 1: the deadline error suggests a value the command accepts ----------------------------------------
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("value", ["2014-09-30+08:00", "2014-09-30", "2014-09-30T16:00", "2014-09-30 16:00",
                                   "2014-09-30T16:00:00"])
def test_deadline_suggestion_is_accepted(capsys, lang, value):
    code, _, err = run(capsys, "deadline", "--from", value, "--within", "5 working days", "--lang", lang)
    assert code == 2
    m = re.search(r"(?:应写如|write e\.g\.) (\S+)", err)
    assert m, err
    suggested = m.group(1)
    assert suggested != value + "+08:00" or "T" in value  # never "2014-09-30+08:00+08:00"
    code, out, err = run(capsys, "deadline", "--from", suggested, "--within", "5 working days")
    assert code == 0, err
    assert out.strip().startswith("2014-10-")


# -- defect 2: an unknown place in explain --place gets a "did you mean" ---------------------------------------
def test_unknown_place_suggests_a_known_one(zh, capsys):
    code, _, err = run(capsys, "explain", "--rules", str(RULES), "--text", "公园垃圾", "--place", "回龙关", "--at", AT)
    assert code == 2 and "未知地点「回龙关」" in err and "是否想写「回龙观」" in err
    code, _, err = run(capsys, "explain", "--rules", str(RULES), "--text", "x", "--place", "回龙关", "--at", AT,
                       "--lang", "en")
    assert code == 2 and "unknown place '回龙关'" in err and "did you mean '回龙观'" in err


# -- defect 3: an unknown event type names file:line:col, key and the valid types ------------------------------
EVENT_TYPES = ("reposts_updated", "follow_up_posted", "statement_issued", "reply_filed", "deadline_reached")


def test_unknown_event_type_in_a_case_file(zh, capsys, tmp_path):
    f = tmp_path / "case.yaml"
    f.write_text(f"post: {{text: 公园垃圾, place: 回龙观, at: '{AT}'}}\nevents:\n  - at: '2014-10-01T10:00+08:00'\n"
                 "    type: bogus\n", encoding="utf-8")
    code, _, err = run(capsys, "explain", "--rules", str(RULES), str(f))
    # located at the key 'type' (line 4, column 5), as every schema error is
    assert code == 2 and f"{f}:4:5:" in err and "「bogus」" in err and "events[0].type" in err
    assert all(t in err for t in EVENT_TYPES)
    code, _, err = run(capsys, "explain", "--rules", str(RULES), str(f), "--lang", "en")
    assert code == 2 and f"{f}:4:5:" in err and "'bogus' is not one of the allowed values" in err


def test_unknown_event_type_in_a_policy_test_file(zh, capsys, tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules, ignore=shutil.ignore_patterns("tests"))
    (rules / "tests").mkdir()
    f = rules / "tests" / "bad.yaml"
    f.write_text("kind: policy-tests\ncases:\n  - name: bogus event\n"
                 f"    post: {{text: 公园垃圾, place: 回龙观, at: '{AT}'}}\n"
                 "    events:\n      - {type: reply_filde, at: '2014-10-01T10:00+08:00'}\n"
                 "    expect: {unit: 园林绿化局}\n", encoding="utf-8")
    code, _, err = run(capsys, "test", str(rules))
    assert code == 2 and f"{f}:6:10:" in err and "cases[0].events[0].type" in err and "「reply_filde」" in err
    assert all(t in err for t in EVENT_TYPES) and "是否想写「reply_filed」" in err


# -- defect 4: schema errors quote the value and say what to write ---------------------------------------------
def test_scenario_number_error_quotes_the_value(zh, capsys, tmp_path):
    text = (ROOT / "tests" / "data" / "short.yaml").read_text(encoding="utf-8")
    text = text.replace("rules: ../../rules", f"rules: {RULES}").replace("posts_per_day: 20", "posts_per_day: 1分")
    f = tmp_path / "s.yaml"
    f.write_text(text, encoding="utf-8")
    line = next(i for i, s in enumerate(text.splitlines(), 1) if "1分" in s)
    from simulator.scenario import load_scenario

    with pytest.raises(SourceError) as info:
        load_scenario(f)
    (p,) = info.value.problems
    assert (p.line, p.key) == (line, "arrivals.posts_per_day")
    assert p.message == "「1分」不是数字；应写数字，如 7 或 0.5"
    with lang_scope("en"), pytest.raises(SourceError) as info:
        load_scenario(f)
    assert info.value.first.message == "'1分' is not a number; write a number, e.g. 7 or 0.5"


@pytest.mark.parametrize("old, new, zh_msg, en_msg", [
    ("deduct: {points: 1, reason: 未按时答复}", "deduct: {points: 一分, reason: 未按时答复}",
     "「一分」不是数字", "'一分' is not a number"),
    ("  - id: route-parks\n", "  - id: route-parks\n    priority: 十\n", "「十」不是整数；应写整数", "'十' is not a whole number; write an integer"),
    ("  - id: route-parks\n", "  - id: route-parks\n    priority: 5000\n", "「5000」太大；应小于或等于 1000", "'5000' is too large; it must be less than or equal to 1000"),
    ("hit_policy: first", "hit_policy: frist", "「frist」不是可用的取值；应为以下之一：collect、first、priority、unique",
     "'frist' is not one of the allowed values: collect, first, priority, unique"),
])
def test_rule_file_type_errors_in_our_words(zh, rules_copy, old, new, zh_msg, en_msg):
    from engine.policy import Policy

    for f in sorted(rules_copy.glob("*.yaml")):
        text = f.read_text(encoding="utf-8")
        if old in text:
            f.write_text(text.replace(old, new, 1), encoding="utf-8")
            break
    else:
        pytest.fail(f"{old!r} not in the shipped rules: the test needs it to make its error")
    with pytest.raises(SourceError) as info:
        Policy.load(rules_copy)
    assert any(zh_msg in p.message for p in info.value.problems), str(info.value)
    with lang_scope("en"), pytest.raises(SourceError) as info:
        Policy.load(rules_copy)
    assert any(en_msg in p.message for p in info.value.problems), str(info.value)


# -- defect 5: a full-width colon or a tab is named as such, at its line and column ---------------------------
@pytest.mark.parametrize("text, line, col, zh_msg, en_msg", [
    ("post:\n  text: 公园垃圾\n  place： 回龙观\n  at: '2014-09-30T16:00+08:00'\n", 3, 8,
     "「place」后面是全角冒号「：」，应为半角冒号「:」", "full-width colon '：'"),
    ("post: {text: 公园：垃圾, place： 回龙观, at: '2014-09-30T16:00+08:00'}\n", 1, 26,
     "「place」后面是全角冒号「：」", "full-width colon '：'"),
    ("post:\n  text: 公园垃圾\n\tplace: 回龙观\n", 3, 1, "制表符（Tab）；YAML 只能用空格缩进",
     "tab character: YAML indents with spaces"),
])
def test_fullwidth_colon_and_tab(zh, capsys, tmp_path, text, line, col, zh_msg, en_msg):
    f = tmp_path / "post.yaml"
    f.write_text(text, encoding="utf-8")
    assert text.splitlines()[line - 1][col - 1] in "：\t"  # the column is the colon's or the tab's
    code, _, err = run(capsys, "explain", "--rules", str(RULES), str(f))
    assert code == 2 and f"{f}:{line}:{col}:" in err and zh_msg in err, err
    code, _, err = run(capsys, "explain", "--rules", str(RULES), str(f), "--lang", "en")
    assert code == 2 and f"{f}:{line}:{col}:" in err and en_msg in err, err


def test_fullwidth_colon_in_a_rule_file_names_the_key_meant(zh, capsys, rules_copy):
    """Regression (trial): `when： {category: …}` in routing.yaml was reported at key "rules[0].when： {category"
    with the code schema; the key meant is rules[0].when and the slip is YAML's."""
    f = rules_copy / "routing.yaml"
    text = f.read_text(encoding="utf-8")
    f.write_text(text.replace("when:", "when：", 1), encoding="utf-8")
    line = next(i for i, ln in enumerate(f.read_text(encoding="utf-8").splitlines(), 1) if "when：" in ln)
    code, out, _ = run(capsys, "lint", str(rules_copy))
    assert code == 1, out
    hit = next(ln for ln in out.splitlines() if "全角冒号" in ln)
    assert f"routing.yaml:{line}:" in hit and " error yaml " in hit and "（键：rules[0].when）" in hit, hit


def test_fullwidth_colon_inside_a_value_is_not_an_error(capsys, tmp_path):
    f = tmp_path / "post.yaml"
    f.write_text("text: 问题：公园垃圾没人管\nplace: 回龙观\nat: '2014-09-30T16:00+08:00'\n", encoding="utf-8")
    code, _, err = run(capsys, "explain", "--rules", str(RULES), str(f))
    assert code == 0, err


# -- defect 6: a deleted street is not "corrected" to another real street ------------------------------------
STREETS = ["城南街道", "天通苑北街道", "天通苑南街道", "霍营街道"]


def test_suggestions_compare_the_distinctive_part():
    units = STREETS + ["回龙观镇", "园林绿化局", "交通局", "住建委"]
    assert suggest("城北街道", units) is None  # shares only 城 and the ending 街道 with 城南街道
    assert suggest("天通苑中街道", units) is None  # differs from a real one only by a direction word
    assert suggest("交通委", units) == "交通局"  # the same body, another ending: a slip
    assert suggest("霍营街", units) == "霍营街道"
    assert suggest("园林绿化", units) == "园林绿化局"
    assert suggest("回龙关", ["回龙观", "城北", "城南"]) == "回龙观"
    assert suggest("城东", ["城北", "城南"]) is None


def test_routing_to_a_deleted_street(zh, capsys, rules_copy):
    units = rules_copy / "units.yaml"
    text = units.read_text(encoding="utf-8")
    text = text.replace("  - {id: 城北街道, type: street, places: [城北]}\n", "")
    text = text.replace("{id: 城南街道, type: street, places: [城南]}", "{id: 城南街道, type: street, places: [城南, 城北]}")
    units.write_text(text, encoding="utf-8")
    routing = rules_copy / "routing.yaml"
    routing.write_text(routing.read_text(encoding="utf-8").replace("then: {unit: 交通局}", "then: {unit: 城北街道}"),
                       encoding="utf-8")
    code, _, err = run(capsys, "validate", str(rules_copy))
    assert code == 2 and "units.yaml 中没有单位「城北街道」；已知街道：" + "、".join(sorted(STREETS)) in err
    assert "是否想写" not in err
    code, _, err = run(capsys, "validate", str(rules_copy), "--lang", "en")
    assert code == 2 and "unknown unit '城北街道': units.yaml has no such unit; known streets: " in err
    assert "did you mean" not in err


def test_failing_policy_test_is_reported_in_both_languages(zh, capsys, tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    f = rules / "tests" / "routing.yaml"
    text = f.read_text(encoding="utf-8")
    f.write_text(text.replace("expect: {category: 园林绿化, unit: 园林绿化局", "expect: {category: 园林绿化, unit: 交通局", 1),
                 encoding="utf-8")
    code, out, _ = run(capsys, "test", str(rules))
    assert code == 1 and "失败 公园停车场" in out and "unit：应为 交通局，实际 园林绿化局（由 route-parks" in out
    assert re.search(r"^\d+ 个通过，1 个失败$", out, re.M)
    code, out, _ = run(capsys, "test", str(rules), "--lang", "en")
    assert code == 1 and "FAIL 公园停车场" in out and "unit: expected 交通局, got 园林绿化局 (route-parks" in out


def test_command_line_post_errors_quote_the_value(zh, capsys):
    code, _, err = run(capsys, "explain", "--rules", str(RULES), "--text", "x", "--place", "回龙观",
                       "--at", "2014-09-30T16:00")
    assert code == 2 and "--at: 「2014-09-30T16:00」没有时区" in err and "2014-09-30T16:00+08:00" in err
    code, _, err = run(capsys, "explain", "--rules", str(RULES), "--text", "x", "--place", "回龙观",
                       "--at", "2014-09-30T16:00", "--lang", "en")
    assert code == 2 and "--at: '2014-09-30T16:00' has no timezone" in err
