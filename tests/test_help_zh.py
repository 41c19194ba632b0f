"""``wenzheng --help`` and every command's help: Chinese by default, English with --lang en (issue 12).

The completeness test walks the real command line, so a command or option added without a Chinese help text in
wenzheng/helptext.py fails here.
"""

from __future__ import annotations

import re

import click
import pytest
from click.testing import CliRunner

from wenzheng.cli import app, main
from wenzheng.helptext import HELP, help_entry, iter_help_keys, param_key

CJK = re.compile(r"[\u3400-\u9fff]")
ASCII_PUNCT_AFTER_CJK = re.compile(r"[\u3400-\u9fff][,:;?!]")


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    for name, cmd in sorted(group.commands.items()):
        if isinstance(cmd, click.Group):
            found += _commands(cmd, (*prefix, name))
        else:
            found.append((*prefix, name))
    return found


COMMANDS = _commands(app)


def _help(capsys, argv: list[str]) -> str:
    assert main(argv) == 0
    return capsys.readouterr().out


# -- completeness ------------------------------------------------------------------------------------------------


def test_every_command_option_and_argument_has_a_chinese_help_text():
    missing = []
    for key, _cmd, param in iter_help_keys(app):
        if param is not None and getattr(param, "hidden", False):
            continue
        entry = help_entry(key, param)
        if entry is None or not CJK.search(entry[0]):
            missing.append(f"{key}.{param_key(param)}" if param is not None else key or "wenzheng")
    assert not missing, f"no Chinese help in wenzheng/helptext.py for: {', '.join(missing)}"


def test_the_walk_sees_the_commands_and_the_options_it_must():
    """The completeness test is only as good as its walk: it reaches sub-commands, arguments and --lang."""
    seen = {(key, param_key(p) if p is not None else None) for key, _, p in iter_help_keys(app)}
    for item in [("", None), ("run", None), ("run", "--seed"), ("run", "SCENARIO"), ("baseline.update", "--rules"),
                 ("explain", "--lang"), ("lint", "--lang"), ("", "--version")]:
        assert item in seen, item


def test_every_catalogue_entry_belongs_to_the_command_line():
    """No dead entries: each key names a command or one of its parameters (or is a shared option)."""
    live = {key for key, _, p in iter_help_keys(app) if p is None}
    live |= {f"{key}.{param_key(p)}" for key, _, p in iter_help_keys(app) if p is not None}
    shared = {"--help", "--lang", "--version"}
    assert set(HELP) - live - shared == set()


def test_chinese_help_uses_full_width_punctuation():
    bad = [k for k, (zh, _) in HELP.items() if ASCII_PUNCT_AFTER_CJK.search(zh)]
    assert not bad, bad


# -- rendering ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "wenzheng")
def test_help_is_chinese_by_default_and_english_with_lang_en(zh, capsys, path):
    zh_text = _help(capsys, [*path, "--help"])
    assert zh_text.startswith("用法：wenzheng")
    assert "选项：" in zh_text and "显示本帮助并退出。" in zh_text
    assert "Usage:" not in zh_text and "Options:" not in zh_text and "Show this message" not in zh_text
    assert "[default:" not in zh_text and "[required" not in zh_text
    en_text = _help(capsys, [*path, "--help", "--lang", "en"])
    assert en_text.startswith("Usage: wenzheng") and "Options:" in en_text and "Show this message and exit." in en_text
    assert "用法" not in en_text and "选项" not in en_text


def test_the_commands_help_texts_come_from_the_catalogue(zh, capsys):
    text = _help(capsys, ["run", "--help"])
    assert HELP["run"][0] in text
    assert "情景文件（YAML）。" in text and "位置参数：" in text  # the argument
    assert "种子（默认：情景文件中的）。" in text
    assert "[默认：1；1<=x<=10000]" in text  # click's extras, translated; the range stays
    en = _help(capsys, ["run", "--help", "--lang", "en"])
    assert "Seed (default: the scenario's)." in en and "[default: 1; 1<=x<=10000]" in en


def test_required_and_default_in_chinese(zh, capsys):
    text = _help(capsys, ["compare", "--help"])
    assert "规则文件夹 A（现行政策）。  [必填]" in text
    assert "[默认：text]" in text


def test_the_group_lists_its_commands_in_chinese(zh, capsys):
    text = _help(capsys, ["--help"])
    assert "命令：" in text and "Commands:" not in text
    lines = {line.split()[0]: line for line in text.splitlines() if line.startswith("  ") and line.split()}
    assert "管理 CI 门禁的基线文件" in lines["baseline"]
    assert "按政策的工作日历打印一个时限的截止时间" in lines["deadline"]
    en = _help(capsys, ["--help", "--lang", "en"])
    assert "Commands:" in en and "Manage the CI gate's baseline files." in en


@pytest.mark.parametrize("argv", [
    ["run", "--lang", "en", "--help"],
    ["run", "--help", "--lang", "en"],
    ["run", "--help", "--lang=en"],
    ["--lang", "en", "run", "--help"],
    ["--help", "--lang", "en"],
    ["baseline", "update", "-h", "--lang", "en"],
])
def test_lang_en_wins_on_either_side_of_help(zh, argv):
    """Through click's own test runner (not main(), which reads --lang from the whole line itself)."""
    result = CliRunner().invoke(app, argv, prog_name="wenzheng")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Usage: wenzheng") and "Options:" in result.output
    assert "用法" not in result.output and "选项" not in result.output and "显示本帮助" not in result.output


@pytest.mark.parametrize("argv", [["run", "--help"], ["run", "--lang", "zh", "--help"],
                                  ["run", "--help", "--lang", "zh"]])
def test_chinese_through_the_test_runner(argv, monkeypatch):
    monkeypatch.setenv("WENZHENG_LANG", "zh" if "--lang" not in argv else "en")
    result = CliRunner().invoke(app, argv, prog_name="wenzheng")
    assert result.exit_code == 0
    assert result.output.startswith("用法：wenzheng run")


def test_environment_variable_chooses_english(monkeypatch, capsys):
    monkeypatch.setenv("WENZHENG_LANG", "en")
    assert _help(capsys, ["lint", "--help"]).startswith("Usage: wenzheng lint")


def test_a_value_that_looks_like_lang_is_not_read_as_lang(zh):
    """``--text --lang`` gives --text the value "--lang": the help stays Chinese (the real parse decides)."""
    result = CliRunner().invoke(app, ["explain", "--text", "--lang", "--help"], prog_name="wenzheng")
    assert result.exit_code == 0
    assert result.output.startswith("用法：wenzheng explain")


def test_english_help_text_is_click_s_own_for_options_with_help(capsys):
    """The English is the decorators' text, unchanged (the suite runs in English)."""
    text = _help(capsys, ["sweep", "--help"])
    assert "Replications per cell, the same seeds in every cell (common random numbers)." in " ".join(text.split())
    assert "[default: local]" in text
