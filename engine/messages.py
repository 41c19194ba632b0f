"""The engine's part of the message catalogue (engine/i18n.py): problems in rule files, explanations, tests."""

from __future__ import annotations

from .i18n import Catalogue

t = Catalogue("engine", {
    # how a located problem is printed (engine.errors.Problem)
    "problem.at_key": ("（键：{key}）", " (at key: {key})"),
    "problem.rule": ("［规则 {rule}］", " [rule {rule}]"),
    "problem.did_you_mean": ("；是否想写「{suggestion}」？", "; did you mean '{suggestion}'?"),
    "severity.error": ("错误", "error"),
    "severity.warning": ("警告", "warning"),
})
