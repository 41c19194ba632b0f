"""Help laid out for Chinese: click wraps help at spaces and counts characters, but a Chinese sentence has no
spaces and each of its characters takes two terminal columns, so its lines came out twice as wide as the
terminal and broke only at the odd Latin word ("CPU" alone on a line).  ``HelpFormatter`` counts columns
(``engine.i18n.display_width``) and may break between any two CJK characters, never before closing punctuation
nor after an opening bracket (the usual line-breaking rules).  Imported at start-up: small, and click only."""

from __future__ import annotations

import re
from typing import Any

import click

from engine.i18n import display_width

__all__ = ["HelpContext", "HelpFormatter", "wrap_cjk", "wrap_help"]

_NO_BREAK_BEFORE = set("，。、；：？！）》」』】〕…’”,.;:?!)]}%")
_NO_BREAK_AFTER = set("（《「『【〔‘“([{")
_TOKEN = re.compile(r"\s+|[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]|[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]+")


def _units(text: str) -> list[str]:
    """``text`` cut where a line may break: single CJK characters, Latin words, runs of space; punctuation that
    may not start a line joined to the unit before it (with the spaces between), an opening bracket to the unit
    after it."""
    units: list[str] = []
    glue = False  # the last unit ends with an opening bracket: the next one joins it
    for tok in _TOKEN.findall(text):
        if units and not tok.isspace() and (glue or tok[0] in _NO_BREAK_BEFORE):
            if not units[-1].isspace():
                units[-1] += tok
            elif len(units) > 1:
                space = units.pop()
                units[-1] += space + tok
            else:
                units.append(tok)
        else:
            units.append(tok)
        glue = not tok.isspace() and units[-1][-1] in _NO_BREAK_AFTER
    return units


def wrap_cjk(text: str, width: int, initial_indent: str = "", subsequent_indent: str = "") -> list[str]:
    """One paragraph's lines, each at most ``width`` terminal columns with its indent (a unit wider than that
    stands alone); the paragraph's lines joined with a space, spaces inside a line kept as written (click puts
    two before ``[default: …]``), none at a line's ends."""
    lines: list[str] = []
    line, indent = "", initial_indent
    for unit in _units(" ".join(part.strip() for part in text.strip().splitlines())):
        if unit.isspace():
            if line:
                line += unit
            continue
        if line and display_width(indent) + display_width(line) + display_width(unit) > width:
            lines.append(indent + line.rstrip())
            line, indent = "", subsequent_indent
        line += unit
    if line or not lines:
        lines.append(indent + line.rstrip())
    return lines


def wrap_help(text: str, width: int, initial_indent: str = "", subsequent_indent: str = "") -> str:
    """``click.formatting.wrap_text(..., preserve_paragraphs=True)`` counting columns: paragraphs (blank lines
    between) wrapped apart.  (No help text of wenzheng uses click's ``\\b`` marker for unwrapped paragraphs.)"""
    return "\n\n".join("\n".join(wrap_cjk(para, width, initial_indent if i == 0 else subsequent_indent,
                                             subsequent_indent))
                       for i, para in enumerate(re.split(r"\n\s*\n", text.strip("\n"))))


class HelpFormatter(click.HelpFormatter):
    """click's formatter wrapping by terminal columns with Chinese line breaks (``wrap_help``)."""

    def write_text(self, text: str) -> None:
        indent = " " * self.current_indent
        self.write(wrap_help(text, self.width, indent, indent))
        self.write("\n")

    def write_dl(self, rows: Any, col_max: int = 30, col_spacing: int = 2) -> None:
        rows = list(rows)
        first_col = min(max((display_width(r[0]) for r in rows), default=0), col_max) + col_spacing
        for first, second in rows:
            self.write(f"{'':>{self.current_indent}}{first}")
            if not second:
                self.write("\n")
                continue
            if display_width(first) <= first_col - col_spacing:
                self.write(" " * (first_col - display_width(first)))
            else:
                self.write("\n" + " " * (first_col + self.current_indent))
            lines = wrap_help(second, max(self.width - first_col - 2, 10)).splitlines()
            self.write(f"{lines[0] if lines else ''}\n")
            for line in lines[1:]:
                self.write(f"{'':>{first_col + self.current_indent}}{line}\n" if line else "\n")


class HelpContext(click.Context):
    """A context whose help uses ``HelpFormatter``."""

    formatter_class = HelpFormatter
