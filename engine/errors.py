"""Structured errors for everything a user can get wrong.

Every error a policy designer or tester can cause carries where it happened
(file, line, column, key path, rule id) and, where a name is close to a known
one, a "did you mean" suggestion.  The CLI maps these to exit code 2 without a
traceback; anything else is a bug.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = [
    "WenzhengError",
    "Problem",
    "SourceError",
    "PolicyError",
    "ScenarioError",
    "CalendarError",
    "DurationError",
    "EventError",
    "suggest",
    "UNIT_SUFFIXES",
    "listing",
]


#: Endings that say what kind of unit a name is (街道 street, 镇/地区 town, 局/委/办 bureau or office): two
#: names that share only these are different units, not a typo of each other.
UNIT_SUFFIXES = ("街道办事处", "街道", "地区", "分局", "政府", "镇", "乡", "局", "委", "办", "室")
#: Characters that set two otherwise equal place or unit names apart on purpose (城北/城南, 天通苑北/天通苑南).
_DIRECTIONS = set("东南西北中上下前后内外新老")


def _core(name: str) -> tuple[str, str]:
    """``name`` split into its distinctive part and its unit-type ending (``城北街道`` → ``城北``, ``街道``)."""
    for suffix in UNIT_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)], suffix
    return name, ""


def _only_direction_differs(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` differ only where one has a direction word (东南西北…) and the other another."""
    ops = [op for op in difflib.SequenceMatcher(None, a, b).get_opcodes() if op[0] != "equal"]
    return bool(ops) and all(op[0] == "replace" and set(a[op[1]:op[2]]) | set(b[op[3]:op[4]]) <= _DIRECTIONS
                             for op in ops)


def suggest(name: str, known: Iterable[str]) -> str | None:
    """The known name closest to ``name``, if any is close enough.

    Names are compared by their distinctive part: ``城北街道`` is not close to ``城南街道`` (they share only the
    unit-type ending 街道 and one character), and names that differ only by a direction word (北/南) are
    different places, never a typo of each other.
    """
    name = str(name)
    names = sorted({str(k) for k in known})
    core, suffix = _core(name)
    if suffix:  # compare the distinctive parts of names with a unit-type ending
        cores: dict[str, list[str]] = {}
        for k in names:
            cores.setdefault(_core(k)[0], []).append(k)
        matches = difflib.get_close_matches(core, sorted(cores), n=3, cutoff=0.6)
        for m in matches:
            if not _only_direction_differs(core, m):
                same_type = [k for k in cores[m] if _core(k)[1] == suffix]
                return (same_type or cores[m])[0]
        return None
    for m in difflib.get_close_matches(name, names, n=3, cutoff=0.6):
        if not _only_direction_differs(name, m):
            return m
    return None


def listing(names: Iterable[object], limit: int = 40) -> str:
    """Names for a message, in the current language's list style (「、」 in Chinese, ", " in English), sorted;
    past ``limit`` the rest is counted, not listed."""
    from .i18n import get_lang
    from .messages import t

    items = sorted({str(n) for n in names})
    sep = "、" if get_lang() == "zh" else ", "
    text = sep.join(items[:limit])
    if len(items) > limit:
        text += t("list.more", n=len(items) - limit)
    return text


class WenzhengError(Exception):

    """Base class of every expected error: bad input, not a bug."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file, located as precisely as we can."""

    file: str
    line: int | None
    col: int | None
    message: str
    key: str = ""
    rule_id: str | None = None
    suggestion: str | None = None
    code: str = "schema"
    severity: str = "error"

    def location(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.col is not None:
                where += f":{self.col}"
        return where

    def detail(self) -> str:
        """The message with its key, rule and suggestion, without the location."""
        from .messages import t

        text = self.message
        if self.key:
            text += t("problem.at_key", key=self.key)
        if self.rule_id:
            text += t("problem.rule", rule=self.rule_id)
        if self.suggestion:
            text += t("problem.did_you_mean", suggestion=self.suggestion)
        return text

    def lint_line(self) -> str:
        """``file:line:col: severity code message``, the format editors and CI parse (the severity word and the
        code stay English whatever the language, so that editors' problem matchers keep working)."""
        return f"{self.location()}: {self.severity} {self.code} {self.detail()}"

    def as_dict(self) -> dict[str, object]:
        return {"file": self.file, "line": self.line, "col": self.col, "severity": self.severity,
                "code": self.code, "message": self.message, "key": self.key or None, "rule_id": self.rule_id,
                "suggestion": self.suggestion}

    def __str__(self) -> str:
        return f"{self.location()}: {self.detail()}"


@dataclass(eq=False)
class SourceError(WenzhengError):
    """One or more problems in an input file; ``problems`` lists them all."""

    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        from .i18n import get_lang

        # printed in the language of the command that raised it, even after that command's --lang scope ended
        self._lang = get_lang()
        super().__init__(str(self))

    @property
    def first(self) -> Problem:
        return self.problems[0]

    @property
    def file(self) -> str:
        return self.first.file

    @property
    def line(self) -> int | None:
        return self.first.line

    @property
    def key(self) -> str:
        return self.first.key

    @property
    def rule_id(self) -> str | None:
        return self.first.rule_id

    @property
    def suggestion(self) -> str | None:
        return self.first.suggestion

    def __str__(self) -> str:
        from .i18n import lang_scope

        with lang_scope(getattr(self, "_lang", None)):
            return "\n".join(str(p) for p in self.problems)



class PolicyError(SourceError):
    """A rule file (or the rules directory as a whole) is not a valid policy."""


class ScenarioError(SourceError):
    """A scenario file is not valid."""


class CalendarError(WenzhengError):
    """A date the working-day calendar has no data for (never guessed)."""


class DurationError(WenzhengError, ValueError):
    """A duration such as '5 working days' that cannot be parsed; ``suggestion`` the unit meant, if one is close
    (its text says "did you mean"; a rule file's Problem carries it apart, as ``lint --format json`` shows it)."""

    def __init__(self, message: str, suggestion: str | None = None) -> None:
        from .messages import t

        super().__init__(message + (t("problem.did_you_mean", suggestion=suggestion) if suggestion else ""))
        self.message = message
        self.suggestion = suggestion


class EventError(WenzhengError, ValueError):
    """An event that does not fit the case it refers to; ``suggestion`` a close known name, if any."""

    def __init__(self, message: str, suggestion: str | None = None) -> None:
        super().__init__(message)
        self.suggestion = suggestion
