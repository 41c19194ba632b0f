"""The YAML parser's usual complaints in the policy designer's words, at the place to fix (session 7 trial: a
missing '}' was reported in English at a line past the end of the file)."""

from __future__ import annotations

import pytest

from engine.errors import SourceError
from engine.i18n import lang_scope
from engine.yamlsrc import load_yaml

# (file text, the line and column to fix — counted by hand, 1-based —, words of the Chinese message)
CASES = [
    ("units:\n  - {id: a, type: bureau\n", (2, 5), "花括号「{」没有闭合"),  # where the '{' is, not past the end
    ("a: [1, 2\n", (1, 4), "方括号「[」没有闭合"),
    ("a: {b: 1 c: 2}\n", (1, 11), "两项之间应有逗号"),
    ("a:\n  b: 1\n c: 2\n", (3, 2), "缩进不对"),
    ("a: b: c\n", (1, 5), "值里含冒号时请用引号"),
    ('a: "abc\n', (1, 4), "引号没有闭合"),  # where the quote opens
    ("a: 1\na: 2\n", (2, 1), "键「a」在同一层里写了两次"),
    ("a: *x\n", (1, 4), "「*x」是未定义的别名"),
    ("a: @x\n", (1, 4), "不能以字符「@」开头"),
    ("a:\n  - b\n  c\n  d: 1\n", (3, 3), "缺冒号"),
]


def _problem(tmp_path, text, lang):
    f = tmp_path / "units.yaml"
    f.write_text(text, encoding="utf-8")
    with lang_scope(lang), pytest.raises(SourceError) as info:
        load_yaml(f)
    (p,) = info.value.problems
    return p


@pytest.mark.parametrize("text, at, words", CASES)
def test_yaml_complaints_in_chinese_at_the_place_to_fix(tmp_path, text, at, words):
    p = _problem(tmp_path, text, "zh")
    assert (p.line, p.col) == at
    assert words in p.message and "expected" not in p.message and "found" not in p.message


@pytest.mark.parametrize("text, at, words", CASES)
def test_in_english_the_same_place_and_no_parser_jargon(tmp_path, text, at, words):
    p = _problem(tmp_path, text, "en")
    assert (p.line, p.col) == at and p.message.startswith("YAML syntax error: ")
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in p.message)
    assert "<stream end>" not in p.message and "block mapping" not in p.message


def test_an_unknown_complaint_keeps_the_parsers_text(tmp_path):
    f = tmp_path / "x.yaml"
    f.write_text("a: !!binary\n  not base64 %%%\n", encoding="utf-8")
    with lang_scope("zh"), pytest.raises(SourceError) as info:
        load_yaml(f)
    assert info.value.problems[0].message  # a message, whatever the parser said, and no crash
