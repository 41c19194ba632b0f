"""The message catalogue (engine/i18n.py): Chinese by default, English on request, nothing missing.

Oracles: every entry has both languages with the same placeholders, the Chinese one in Chinese; every key the
code renders exists (a static scan of the sources, so a key used only on a rare error path is checked too);
the language follows --lang (before or after the command), then WENZHENG_LANG, then Chinese.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.i18n import Catalogue, catalogues, get_lang, lang_scope, normalise_lang, placeholders

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = sorted(p.parent.name for p in ROOT.glob("*/messages.py") if (p.parent / "__init__.py").exists())
CJK = re.compile(r"[\u3400-\u9fff]")


def _all() -> dict[str, Catalogue]:
    for pkg in PACKAGES:
        importlib.import_module(f"{pkg}.messages")
    return catalogues()


def test_every_package_catalogue_is_found():
    assert "engine" in PACKAGES
    assert set(PACKAGES) <= set(_all())


@pytest.mark.parametrize("pkg", PACKAGES)
def test_every_entry_has_both_languages_with_the_same_placeholders(pkg):
    cat = _all()[pkg]
    assert cat.entries, f"{pkg}/messages.py is empty"
    for key, pair in cat.entries.items():
        assert isinstance(pair, tuple) and len(pair) == 2, f"{pkg}:{key} must be (Chinese, English)"
        zh, en = pair
        assert zh.strip() and en.strip(), f"{pkg}:{key} lacks a language"
        assert placeholders(zh) == placeholders(en), f"{pkg}:{key}: placeholders differ: {zh!r} / {en!r}"
        zh_text, en_text = (re.sub(r"\{[^}]*\}", "", x) for x in (zh, en))
        if re.search(r"[A-Za-z]", zh_text):  # has words: they must be Chinese (codes and key names may appear)
            assert CJK.search(zh_text), f"{pkg}:{key}: the Chinese text is not Chinese: {zh!r}"
        if CJK.search(zh_text):
            assert re.search(r"[A-Za-z]{2,}", en_text), f"{pkg}:{key}: the English text is not English: {en!r}"


_USE = re.compile(r"""\bt(?:\.both)?\(\s*["']([A-Za-z0-9_.\-]+)["']""")


@pytest.mark.parametrize("pkg", PACKAGES)
def test_every_key_the_code_renders_exists(pkg):
    cat = _all()[pkg]
    used: dict[str, str] = {}
    for path in (ROOT / pkg).rglob("*.py"):
        if path.name == "messages.py":
            continue
        text = path.read_text(encoding="utf-8")
        if not re.search(rf"from (\.|{pkg}\.)messages import[^\n]*\bt\b", text):
            continue
        for m in _USE.finditer(text):
            used.setdefault(m.group(1), f"{path.relative_to(ROOT)}:{text[:m.start()].count(chr(10)) + 1}")
    missing = {k: where for k, where in used.items() if k not in cat}
    assert not missing, f"keys used but not in {pkg}/messages.py: {missing}"


def test_language_order_context_then_environment_then_chinese(monkeypatch):
    monkeypatch.delenv("WENZHENG_LANG", raising=False)
    assert get_lang() == "zh"
    monkeypatch.setenv("WENZHENG_LANG", "en_US.UTF-8")
    assert get_lang() == "en"
    with lang_scope("zh"):
        assert get_lang() == "zh"
    assert get_lang() == "en"
    monkeypatch.setenv("WENZHENG_LANG", "fr")
    assert get_lang() == "zh"
    assert [normalise_lang(v) for v in ("zh-CN", "ZH", "en", "C", "", None)] == ["zh", "zh", "en", None, None, None]


def test_problem_wrapping_follows_the_language(monkeypatch):
    from engine.errors import Problem

    p = Problem("rules/routing.yaml", 3, 5, "x", key="rules[0].unit", suggestion="住建委")
    with lang_scope("zh"):
        assert p.detail() == "x（键：rules[0].unit）；是否想写「住建委」？"
    with lang_scope("en"):
        assert p.detail() == "x (at key: rules[0].unit); did you mean '住建委'?"


def _explain(*args: str) -> str:
    from wenzheng.cli import app

    r = CliRunner().invoke(app, [*args], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return r.output


POST = ["--text", "公园里垃圾没人清理", "--place", "回龙观", "--at", "2014-04-01T10:00+08:00"]


def test_lang_option_before_or_after_the_command_and_environment(monkeypatch):
    monkeypatch.delenv("WENZHENG_LANG", raising=False)
    assert CJK.search(_explain("explain", *POST).splitlines()[0])
    assert "post received" in _explain("--lang", "en", "explain", *POST)
    assert "post received" in _explain("explain", *POST, "--lang", "en")
    monkeypatch.setenv("WENZHENG_LANG", "en")
    assert "post received" in _explain("explain", *POST)
    assert CJK.search(_explain("explain", *POST, "--lang", "zh").splitlines()[0])
    assert get_lang() == "en"  # --lang lasts for one invocation


def test_bad_language_in_the_environment_is_a_usage_error(monkeypatch):
    from wenzheng.cli import app

    monkeypatch.setenv("WENZHENG_LANG", "fr")
    r = CliRunner().invoke(app, ["validate", str(ROOT / "rules")])
    assert r.exit_code == 2 and "WENZHENG_LANG" in r.output and "fr" in r.output
