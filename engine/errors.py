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
]


def suggest(name: str, known: Iterable[str]) -> str | None:
    """The known name closest to ``name``, if any is close enough."""
    matches = difflib.get_close_matches(str(name), sorted(set(known)), n=1, cutoff=0.6)
    return matches[0] if matches else None


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
        return "\n".join(str(p) for p in self.problems)


class PolicyError(SourceError):
    """A rule file (or the rules directory as a whole) is not a valid policy."""


class ScenarioError(SourceError):
    """A scenario file is not valid."""


class CalendarError(WenzhengError):
    """A date the working-day calendar has no data for (never guessed)."""


class DurationError(WenzhengError, ValueError):
    """A duration such as '5 working days' that cannot be parsed."""


class EventError(WenzhengError, ValueError):
    """An event that does not fit the case it refers to."""
