"""Targets a plan must meet: ``"statement_2h_rate >= 0.95"``.

A target names one scalar metric of a run (``simulator.replications.SCALAR_METRICS``), a comparison and a
number.  It is decided on replications with a one-sided Student-t bound on the mean (common random numbers:
the same seeds at every value tried): a value *meets* ``m >= x`` when the lower bound of the mean is ≥ x,
*fails* it when the upper bound is < x, and is *uncertain* otherwise (more replications may decide it).
For ``<=``/``<`` the roles of the bounds swap.  "With 95% confidence" means each bound is one-sided 95%.

An unknown metric is a :class:`TargetError` (exit 2) with a "did you mean".
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from engine.errors import Problem, ScenarioError, suggest
from simulator.replications import SCALAR_METRICS
from simulator.stats import one_sided_bound

from .messages import t

__all__ = ["Target", "TargetError", "Verdict", "parse_target", "judge"]

Verdict = Literal["meets", "fails", "uncertain"]

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt}
_TARGET = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(>=|<=|>|<)\s*(\S+)\s*$")


class TargetError(ScenarioError):
    """A --target that cannot be read or names an unknown metric (exit code 2)."""


@dataclass(frozen=True)
class Target:
    metric: str
    op: str
    value: float

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.value:g}"

    @property
    def wants_high(self) -> bool:
        """True for ``>=``/``>``: the mean must be above the value."""
        return self.op in (">=", ">")

    def holds(self, x: float) -> bool:
        return _OPS[self.op](x, self.value)


def parse_target(text: str, origin: str = "--target") -> Target:
    """``"statement_2h_rate >= 0.95"`` → Target; metric from SCALAR_METRICS, op ``>= <= > <``, a finite number."""
    m = _TARGET.match(text)
    if m is None:
        raise _fail(origin, t("target.syntax", text=text))
    metric, op, raw = m.groups()
    if metric not in SCALAR_METRICS:
        close = suggest(metric, SCALAR_METRICS)
        raise _fail(origin, t("target.unknown_metric", metric=metric), metric, close)
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise _fail(origin, t("target.not_number", raw=raw, text=text), metric)
    return Target(metric, op, value)


def _fail(origin: str, message: str, key: str = "", suggestion: str | None = None) -> TargetError:
    return TargetError([Problem(origin, None, None, message, key=key, suggestion=suggestion, code="target")])


def judge(target: Target, values: Sequence[float], confidence: float) -> tuple[Verdict, float | None, float | None]:
    """The verdict on ``values`` (one per replication) and the one-sided (lower, upper) bounds of the mean.

    With fewer than two values there is no bound: uncertain.  Equal values (no spread) give bounds equal to
    the mean, so the verdict is the target applied to the mean.
    """
    vals = [float(v) for v in values]
    if len(vals) < 2:
        return "uncertain", None, None
    _, lo = one_sided_bound(vals, "lower", confidence)
    _, hi = one_sided_bound(vals, "upper", confidence)
    assert lo is not None and hi is not None
    good, bad = (lo, hi) if target.wants_high else (hi, lo)
    if target.holds(good):
        return "meets", lo, hi
    if not target.holds(bad):
        return "fails", lo, hi
    return "uncertain", lo, hi
