"""Small statistics helpers: means with Student-t confidence bounds.

Quantiles of the t distribution come from scipy (exact for every number of
degrees of freedom), not from a hand-written table: ``scipy.special.stdtrit``,
the function ``scipy.stats.t.ppf`` calls (the same numbers), without importing
``scipy.stats`` (about 0.4 s of every ``wenzheng run``'s start-up).
"""

from __future__ import annotations

import math
import statistics
from typing import Literal

__all__ = ["t_quantile", "mean_ci", "one_sided_bound", "welch_ci"]


def _stdtrit(df: float, p: float) -> float:
    from scipy.special import stdtrit  # on first use: a run without replications never needs scipy

    return float(stdtrit(df, p))


def t_quantile(p: float, df: int) -> float:
    """The ``p`` quantile of Student's t with ``df`` degrees of freedom (``t_quantile(0.975, 10)`` = 2.228…)."""
    if df < 1:
        raise ValueError("need at least 2 observations for a confidence bound")
    if not 0.0 < p < 1.0:
        raise ValueError(f"quantile level must be in (0, 1), got {p}")
    return float(_stdtrit(df, p))


def mean_ci(values: list[float], confidence: float = 0.95) -> tuple[float, float | None, float | None]:
    """Mean and two-sided ``confidence`` interval (None bounds with fewer than two values)."""
    m = statistics.fmean(values)
    if len(values) < 2:
        return m, None, None
    half = t_quantile(0.5 + confidence / 2, len(values) - 1) * statistics.stdev(values) / math.sqrt(len(values))
    return m, m - half, m + half


def one_sided_bound(values: list[float], side: Literal["lower", "upper"],
                    confidence: float = 0.95) -> tuple[float, float | None]:
    """Mean and the one-sided ``confidence`` bound on it: the mean is ≥ the lower (≤ the upper) bound
    with that confidence.  None with fewer than two values."""
    m = statistics.fmean(values)
    if len(values) < 2:
        return m, None
    half = t_quantile(confidence, len(values) - 1) * statistics.stdev(values) / math.sqrt(len(values))
    return m, (m - half if side == "lower" else m + half)


def welch_ci(a: list[float], b: list[float],
             confidence: float = 0.95) -> tuple[float, float | None, float | None]:
    """mean(b) − mean(a) and its two-sided ``confidence`` interval for *independent* samples (Welch).

    The interval ``compare`` would report without common random numbers; the Welch–Satterthwaite degrees
    of freedom are used, as in ``scipy.stats.ttest_ind(b, a, equal_var=False)``.  None bounds with fewer
    than two values on a side; a zero-width interval when both samples are constant.
    """
    d = statistics.fmean(b) - statistics.fmean(a)
    if len(a) < 2 or len(b) < 2:
        return d, None, None
    va, vb = statistics.variance(a) / len(a), statistics.variance(b) / len(b)
    se2 = va + vb
    if se2 == 0:
        return d, d, d
    df = se2 ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
    half = float(_stdtrit(df, 0.5 + confidence / 2)) * math.sqrt(se2)
    return d, d - half, d + half
