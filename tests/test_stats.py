"""The confidence intervals: known answers, agreement with scipy's own tests, and empirical coverage.

Coverage is the property that matters: for a known distribution, about 95% of
95% intervals must contain the true mean.  Each coverage test draws a few
thousand seeded samples and accepts the number of covering intervals if it
lies in the central 99.9% of Binomial(n, 0.95) (scipy), so a correct
implementation fails with probability 0.001 per test and seed (the seeds are
fixed, so the outcome is deterministic), while a t quantile one degree of
freedom off (coverage ~93% or ~97.7% at n = 4) is far outside the band.
Cost: well under a second.
"""

from __future__ import annotations

import math
import random
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from simulator.compare import pairing_gain
from simulator.stats import mean_ci, one_sided_bound, stdev, t_quantile, welch_ci

TRIALS = 4000
LEVEL = 0.95


def accepted(trials: int = TRIALS, level: float = LEVEL) -> tuple[float, float]:
    """The central 99.9% of the number of covering intervals if the true coverage is ``level``."""
    lo, hi = sps.binom.interval(0.999, trials, level)
    return float(lo), float(hi)


def test_t_quantiles_match_printed_tables():
    # two-sided 95% (0.975) and one-sided 95% (0.95) values from any statistics textbook's t table
    assert t_quantile(0.975, 1) == pytest.approx(12.706, abs=1e-3)
    assert t_quantile(0.975, 3) == pytest.approx(3.182, abs=1e-3)
    assert t_quantile(0.975, 10) == pytest.approx(2.228, abs=1e-3)
    assert t_quantile(0.95, 4) == pytest.approx(2.132, abs=1e-3)
    assert t_quantile(0.975, 1000) == pytest.approx(1.962, abs=1e-3)
    with pytest.raises(ValueError):
        t_quantile(0.975, 0)


def test_mean_ci_hand_computed():
    # 1..5: mean 3, sd sqrt(2.5), se sqrt(0.5); t(0.975, 4) = 2.776445
    m, lo, hi = mean_ci([1, 2, 3, 4, 5])
    half = 2.776445 * math.sqrt(0.5)
    assert m == 3 and lo == pytest.approx(3 - half, abs=1e-5) and hi == pytest.approx(3 + half, abs=1e-5)
    assert mean_ci([4.0]) == (4.0, None, None)
    m, lo, hi = mean_ci([1, 2, 3, 4, 5], confidence=0.9)  # t(0.95, 4) = 2.131847
    assert hi - m == pytest.approx(2.131847 * math.sqrt(0.5), abs=1e-5)


def test_intervals_agree_with_scipys_tests():
    rng = random.Random(3)
    a = [rng.gauss(10, 2) for _ in range(7)]
    b = [rng.gauss(11, 5) for _ in range(9)]
    _, lo, hi = mean_ci(a)
    ci = sps.ttest_1samp(a, 0.0).confidence_interval(0.95)
    assert (lo, hi) == pytest.approx((ci.low, ci.high), rel=1e-12)
    d, lo, hi = welch_ci(a, b)
    ci = sps.ttest_ind(b, a, equal_var=False).confidence_interval(0.95)
    assert d == pytest.approx(statistics.fmean(b) - statistics.fmean(a))
    assert (lo, hi) == pytest.approx((ci.low, ci.high), rel=1e-12)
    _, bound = one_sided_bound(a, "lower")
    res = sps.ttest_1samp(a, 0.0, alternative="greater").confidence_interval(0.95)
    assert bound == pytest.approx(res.low, rel=1e-12)
    _, bound = one_sided_bound(a, "upper", confidence=0.9)
    res = sps.ttest_1samp(a, 0.0, alternative="less").confidence_interval(0.9)
    assert bound == pytest.approx(res.high, rel=1e-12)


def test_two_sided_95_percent_intervals_cover_the_mean_95_percent_of_the_time():
    rng = random.Random(20140401)
    mu, sigma, n = 3.0, 2.0, 4  # small n: a t quantile one degree of freedom off moves coverage by ~2-3 points
    covered = 0
    for _ in range(TRIALS):
        _, lo, hi = mean_ci([rng.gauss(mu, sigma) for _ in range(n)], LEVEL)
        assert lo is not None and hi is not None
        covered += lo <= mu <= hi
    lo_ok, hi_ok = accepted()
    assert lo_ok <= covered <= hi_ok, f"{covered}/{TRIALS} intervals covered the mean; expected {lo_ok:.0f}–{hi_ok:.0f}"


@pytest.mark.parametrize("side", ["lower", "upper"])
def test_one_sided_bounds_hold_95_percent_of_the_time(side):
    rng = random.Random(20141001 if side == "lower" else 20141002)
    mu, n = 5.0, 5
    held = 0
    for _ in range(TRIALS):
        _, bound = one_sided_bound([rng.gauss(mu, 1.5) for _ in range(n)], side, LEVEL)  # type: ignore[arg-type]
        assert bound is not None
        held += bound <= mu if side == "lower" else bound >= mu
    lo_ok, hi_ok = accepted()
    assert lo_ok <= held <= hi_ok, f"{held}/{TRIALS}; expected {lo_ok:.0f}–{hi_ok:.0f}"


def test_welch_intervals_cover_the_difference_95_percent_of_the_time():
    rng = random.Random(20141111)
    covered = 0
    for _ in range(TRIALS):
        a = [rng.gauss(1.0, 1.0) for _ in range(8)]
        b = [rng.gauss(1.5, 3.0) for _ in range(12)]
        _, lo, hi = welch_ci(a, b, LEVEL)
        assert lo is not None and hi is not None
        covered += lo <= 0.5 <= hi
    lo_ok, hi_ok = accepted()
    assert lo_ok <= covered <= hi_ok, f"{covered}/{TRIALS}; expected {lo_ok:.0f}–{hi_ok:.0f}"


def test_pairing_gain_on_correlated_and_independent_pairs():
    rng = random.Random(9)
    base = [rng.gauss(100, 10) for _ in range(10)]
    # common random numbers: the candidate is the baseline plus a small effect and a little noise
    cand = [x + 2 + rng.gauss(0, 1) for x in base]
    g = pairing_gain(base, cand)
    d = [y - x for x, y in zip(base, cand, strict=True)]
    paired = 2 * sps.t.ppf(0.975, 9) * statistics.stdev(d) / math.sqrt(10)
    unpaired = sps.ttest_ind(cand, base, equal_var=False).confidence_interval(0.95)
    assert g["paired_ci_width"] == pytest.approx(paired, rel=1e-9)
    assert g["unpaired_ci_width"] == pytest.approx(unpaired.high - unpaired.low, rel=1e-9)
    assert g["ci_width_reduction"] == pytest.approx(1 - paired / (unpaired.high - unpaired.low), rel=1e-9)
    assert g["ci_width_reduction"] > 0.8
    # identical runs: the paired interval has width 0, the unpaired one does not (Welch, df = 4)
    g = pairing_gain([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    assert g["paired_ci_width"] == 0.0 and g["ci_width_reduction"] == 1.0
    assert g["unpaired_ci_width"] == pytest.approx(2 * 2.776445 * math.sqrt(2 / 3), rel=1e-6)
    assert pairing_gain([1.0], [2.0]) == {"paired_ci_width": None, "unpaired_ci_width": None,
                                          "ci_width_reduction": None}


def test_the_lognormal_shape_constant_is_the_normal_90th_percentile():
    from simulator.dists import Z90

    assert Z90 == pytest.approx(float(sps.norm.ppf(0.9)), rel=1e-15)


def test_replicated_intervals_stay_in_each_metrics_domain():
    """Regression (trial): 3 replications printed a 2-hour compliance of [81.9% – 102.7%] and a negative count of
    rejected payloads. The t interval is cut at the metric's bounds; inside them it is the plain t interval."""
    from simulator.replications import SCALAR_METRICS, metric_domain, summarise
    from simulator.stats import mean_ci

    def rep(seed, rate, rejected, wait):
        m = dict.fromkeys(SCALAR_METRICS, 0.5)
        m.update(statement_2h_rate=rate, payloads_rejected=rejected, desk_wait_minutes_mean=wait)
        return {**m, "deductions_by_unit": {}, "reply_rate_by_unit": {}, "run": {"seed": seed, "scenario": "x"}}

    out = summarise([rep(1, 1.0, 0, 3.0), rep(2, 1.0, 0, 4.0), rep(3, 0.8, 4, 5.0)])
    lo, hi = out["ci95"]["statement_2h_rate"]
    assert hi == 1.0 and lo == round(mean_ci([1.0, 1.0, 0.8])[1], 6) < 0.9333
    lo, hi = out["ci95"]["payloads_rejected"]
    assert lo == 0.0 and hi == round(mean_ci([0.0, 0.0, 4.0])[2], 6) > 4
    assert out["ci95"]["desk_wait_minutes_mean"] == [round(x, 6) for x in mean_ci([3.0, 4.0, 5.0])[1:]]  # uncut
    assert metric_domain("on_time_rate") == (0.0, 1.0) and metric_domain("desk_utilisation") == (0.0, 1.0)
    assert metric_domain("forms")[0] == 0.0 and metric_domain("forms")[1] == float("inf")


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.one_of(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12),
                          st.floats(min_value=0, max_value=1, allow_nan=False),
                          st.integers(min_value=0, max_value=10_000).map(float),
                          st.floats(allow_nan=False, allow_infinity=False)),
                min_size=2, max_size=40))
def test_fast_stdev_is_statistics_stdev_bit_for_bit(values):
    """The summaries' standard deviation (integers over a common power-of-two denominator) against the standard
    library's (exact fractions): the same float, bit for bit, for any finite values."""
    assert math.isinf(statistics.stdev(values)) or stdev(values) == statistics.stdev(values)


def test_fast_stdev_known_values_and_edges():
    assert stdev([2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]) == pytest.approx(2.138089935299395, abs=0)
    assert stdev([1.0, 1.0, 1.0]) == 0.0
    assert stdev([0.1, 0.2, 0.3]) == statistics.stdev([0.1, 0.2, 0.3])
    assert stdev([1e-300, 3e-300]) == statistics.stdev([1e-300, 3e-300])
    assert math.isnan(stdev([1.0, float("nan")])) and math.isnan(stdev([1.0, float("inf")]))
    with pytest.raises(statistics.StatisticsError):
        stdev([1.0])
