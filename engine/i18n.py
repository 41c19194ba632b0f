"""Languages of human-facing output: Chinese by default, English on request.

Every message a person reads (lint and validation problems, test results,
explanations, run summaries, reports, errors) comes from a message catalogue
that holds both languages side by side.  Each package keeps its own part of
the catalogue in a ``messages`` module::

    # simulator/messages.py
    from engine.i18n import Catalogue
    t = Catalogue("simulator", {
        "run.done": ("已写入 {path}", "wrote {path}"),
    })

and code renders a message with ``t("run.done", path=p)`` in the current
language.  Codes, JSON keys and file formats never depend on the language.

The language is, in order: the one set for this context (``set_lang`` /
``lang_scope``, which the CLI's ``--lang`` calls), the ``WENZHENG_LANG``
environment variable (``zh``/``en``, also ``zh_CN.UTF-8`` and the like), then
Chinese.  ``tests/test_i18n.py`` checks every catalogue entry has both
languages with the same placeholders and every key used in the code exists.
"""

from __future__ import annotations

import os
import string
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import Any

__all__ = ["display_width", "pad", "LANGS", "DEFAULT_LANG", "ENV_VAR", "Catalogue", "catalogues", "get_lang", "set_lang", "lang_scope",
           "normalise_lang", "pick", "reset_lang"]

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"
ENV_VAR = "WENZHENG_LANG"

_current: ContextVar[str | None] = ContextVar("wenzheng_lang", default=None)
_REGISTRY: dict[str, Catalogue] = {}


def normalise_lang(value: str | None) -> str | None:
    """``zh``/``en`` for a language tag such as ``zh``, ``zh-CN``, ``zh_CN.UTF-8``, ``en_US``, ``EN``; else None."""
    if not value:
        return None
    head = value.strip().lower().replace("-", "_").split(".")[0].split("_")[0]
    return head if head in LANGS else None


def get_lang() -> str:
    """The language of human-facing output now (see the module docstring for the order)."""
    lang = _current.get()
    if lang is not None:
        return lang
    return normalise_lang(os.environ.get(ENV_VAR)) or DEFAULT_LANG


def set_lang(lang: str | None) -> Token[str | None]:
    """Use ``lang`` for the rest of this context (None: back to the environment / default); ``reset_lang`` with
    the returned token undoes it."""
    if lang is not None and lang not in LANGS:
        raise ValueError(f"language must be one of {', '.join(LANGS)}, not {lang!r}")
    return _current.set(lang)


def reset_lang(token: Token[str | None]) -> None:
    """Undo one ``set_lang``."""
    _current.reset(token)


@contextmanager
def lang_scope(lang: str | None) -> Iterator[None]:
    """Render messages in ``lang`` inside the block (None: leave the language as it is)."""
    if lang is None:
        yield
        return
    if lang not in LANGS:
        raise ValueError(f"language must be one of {', '.join(LANGS)}, not {lang!r}")
    token = _current.set(lang)
    try:
        yield
    finally:
        _current.reset(token)


def pick(zh: str, en: str, lang: str | None = None) -> str:
    """One of two texts by language; for data that carries its own two names (units' and metrics' labels)."""
    return en if (lang or get_lang()) == "en" else zh


def placeholders(text: str) -> set[str]:
    """The ``{names}`` a message template formats."""
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(text) if name}


class Catalogue:
    """One package's messages: key → (Chinese, English) templates for ``str.format``."""

    def __init__(self, name: str, entries: Mapping[str, tuple[str, str]]) -> None:
        if name in _REGISTRY:
            raise ValueError(f"message catalogue {name!r} is defined twice")
        self.name = name
        self.entries: dict[str, tuple[str, str]] = dict(entries)
        _REGISTRY[name] = self

    def __call__(self, key: str, /, lang: str | None = None, **values: Any) -> str:
        """The message ``key`` in ``lang`` (default: the current language), formatted with ``values``."""
        zh, en = self.entries[key]
        text = en if (lang or get_lang()) == "en" else zh
        return text.format(**values) if values else text

    def both(self, key: str, /, **values: Any) -> dict[str, str]:
        """``{"zh": …, "en": …}`` of one message, for files that carry both languages."""
        return {lang: self(key, lang=lang, **values) for lang in LANGS}

    def __contains__(self, key: str) -> bool:
        return key in self.entries


def catalogues() -> dict[str, Catalogue]:
    """Every catalogue imported so far, by name."""
    return dict(_REGISTRY)


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: CJK (wide and full-width) characters take two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, width: int, right: bool = False) -> str:
    """``text`` filled with spaces to ``width`` terminal columns (on the left when ``right``)."""
    fill = " " * max(0, width - display_width(text))
    return fill + text if right else text + fill
