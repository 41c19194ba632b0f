"""Help wrapped for Chinese (``wenzheng.helpformat``): by terminal columns, with Chinese line breaks.

Oracles: the columns a line takes (``display_width``, independent of the wrapper), the characters of the text
(none lost, none moved), the line-breaking rules (no closing punctuation first on a line, no opening bracket
last), and the help of a real command at 80 columns.
"""

from __future__ import annotations

import re

from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from engine.i18n import display_width
from wenzheng.cli import app
from wenzheng.helpformat import _NO_BREAK_AFTER, _NO_BREAK_BEFORE, _units, wrap_cjk

_PIECES = st.sampled_from(["值班台", "利用率", "CPU", "desk.staff=3", "（默认", "36000）", "，", "。", "；", " ",
                           "  ", "约 180 MB", "1/14", "件", "--workers 1", "x" * 30, "很长的中文句子没有空格" * 3])


@given(st.lists(_PIECES, min_size=1, max_size=40), st.integers(min_value=8, max_value=80))
def test_wrapped_lines_fit_keep_every_character_and_follow_the_break_rules(pieces: list[str], width: int) -> None:
    text = "".join(pieces)
    lines = wrap_cjk(text, width, "  ", "    ")
    assert re.sub(r"\s+", "", "".join(lines)) == re.sub(r"\s+", "", text)
    for i, line in enumerate(lines):
        body = line[2:] if i == 0 else line[4:]
        assert body == body.strip()
        if display_width(line) > width:  # only a single unbreakable unit may stand out
            assert len(_units(body)) == 1, (line, width)
        if i > 0:
            assert body[:1] not in _NO_BREAK_BEFORE, lines
        assert body[-1:] not in _NO_BREAK_AFTER or i == len(lines) - 1, lines
    # a line ends only where the next unit, after the spaces between (at most two here), would not fit
    if not re.search(r"\s{3}", text):
        for a, b in zip(lines, lines[1:], strict=False):
            first = _units(b.strip())[0]
            assert display_width(a) + 2 + display_width(first) > width, (a, b, width)


def test_the_chinese_help_of_run_fits_80_columns() -> None:
    """Regression (a new user's trial): the Chinese help came out up to 117 columns wide, with ``CPU`` alone on a
    line; every line now fits and no Latin word stands alone."""
    out = CliRunner().invoke(app, ["run", "--help"], terminal_width=80, env={"WENZHENG_LANG": "zh"}).output
    lines = out.splitlines()
    assert "值班台" in out and len(lines) > 20
    assert max(display_width(line) for line in lines) <= 80, max(lines, key=display_width)
    assert not [line for line in lines if line.strip() in {"CPU", "MB）：", "件）"}]


def test_no_help_text_asks_for_click_s_unwrapped_paragraphs() -> None:
    """The wrapper rewraps every paragraph: it leaves out click's ``\\b`` marker, which no help text uses."""
    import click

    from wenzheng.helptext import HELP, iter_help_keys

    texts = [s for entry in HELP.values() for s in entry if isinstance(s, str)]
    for _key, cmd, param in iter_help_keys(app):
        texts.append((param.help if isinstance(param, click.Option) else None) or (cmd.help or ""))
    assert len(texts) > 100 and not [s for s in texts if "\b" in s]


def test_paragraphs_are_wrapped_apart() -> None:
    from wenzheng.helpformat import wrap_help

    assert wrap_help("第一段很长的文字。\n\n第二段。", 12, "  ", "  ") == "  第一段很长\n  的文字。\n\n  第二段。"
