"""Small statistics helpers: means with Student-t confidence bounds.

Quantiles of the t distribution come from scipy (exact for every number of
degrees of freedom), not from a hand-written table: ``scipy.special.stdtrit``,
the function ``scipy.stats.t.ppf`` calls (the same numbers), without importing
``scipy.stats`` (about 0.4 s of every ``wenzheng run``'s start-up).
"""

from __future__ import annotations

import math
import statistics
import sys
from collections.abc import Sequence
from typing import Literal

__all__ = ["t_quantile", "mean_ci", "one_sided_bound", "welch_ci", "prepare", "stdev"]


def prepare() -> None:
    """Import what the t quantiles need (``scipy.special``, ~0.15 s) ahead of their first use: ``wenzheng run
    --replications`` does it while the workers simulate, instead of after them (``pool.map_in_order``)."""
    import scipy.special  # noqa: F401


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


def stdev(values: Sequence[float]) -> float:
    """``statistics.stdev(values)``, bit for bit, in a fraction of its time (at least two values).

    Both are the correctly rounded square root of the exact sample variance.  ``statistics`` reaches the
    exact variance through ``Fraction`` objects (~60 us for ten values: a summary page pools thousands of
    cells); here the values, binary fractions with power-of-two denominators, are put over a common
    denominator as integers.  With an infinite or NaN value it is NaN (``statistics`` of Python 3.11 fails
    there with an AttributeError; later versions answer NaN).
    """
    n = len(values)
    if n < 2:
        raise statistics.StatisticsError("stdev requires at least two data points")
    try:
        ratios = [float(x).as_integer_ratio() for x in values]
    except (OverflowError, ValueError):  # inf, nan
        return math.nan
    shift = max(d.bit_length() for _, d in ratios) - 1  # the common denominator 2**shift
    sx = sxx = 0
    for a, d in ratios:
        v = a << (shift - d.bit_length() + 1)
        sx += v
        sxx += v * v
    # sample variance = (n·Σv² − (Σv)²) / (n·(n−1)·4**shift), exactly
    return _sqrt_of_fraction(n * sxx - sx * sx, n * (n - 1) << (2 * shift))


_SQRT_BITS = 2 * sys.float_info.mant_dig + 3  # working precision of the square root (as in ``statistics``)


def _sqrt_of_fraction(num: int, den: int) -> float:
    """sqrt(num/den) correctly rounded to a float: the integer square root at twice the float's precision,
    rounded to odd (the last bit records any remainder), then one rounding to the float."""
    q = (num.bit_length() - den.bit_length() - _SQRT_BITS) // 2
    if q >= 0:
        return float(_isqrt_frac_rto(num, den << 2 * q) << q)
    return _isqrt_frac_rto(num << -2 * q, den) / (1 << -q)


def _isqrt_frac_rto(num: int, den: int) -> int:
    a = math.isqrt(num // den)
    return a | (a * a * den != num)


def mean_ci(values: list[float], confidence: float = 0.95) -> tuple[float, float | None, float | None]:
    """Mean and two-sided ``confidence`` interval (None bounds with fewer than two values)."""
    m = statistics.fmean(values)
    if len(values) < 2:
        return m, None, None
    half = t_quantile(0.5 + confidence / 2, len(values) - 1) * stdev(values) / math.sqrt(len(values))
    return m, m - half, m + half


def one_sided_bound(values: list[float], side: Literal["lower", "upper"],
                    confidence: float = 0.95) -> tuple[float, float | None]:
    """Mean and the one-sided ``confidence`` bound on it: the mean is ≥ the lower (≤ the upper) bound
    with that confidence.  None with fewer than two values."""
    m = statistics.fmean(values)
    if len(values) < 2:
        return m, None
    half = t_quantile(confidence, len(values) - 1) * stdev(values) / math.sqrt(len(values))
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
