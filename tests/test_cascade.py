"""The fast repost cascade and its Poisson sampler (simulator/cascade.py), against closed forms and
against the original repost-by-repost simulation (copied here as a peer).

Every statistical check uses fixed seeds, so the suite is deterministic; ALPHA is the false-alarm
rate each check would have over random seeds.  (tests/test_known_answers.py checks the size
distribution and the counts by check time for the scenario's own parameters as well.)
"""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from scipy import stats

from simulator.cascade import (
    GENERATION_MIN,
    _poisson_repeated,
    hawkes_cascade,
    poisson,
)

from .test_known_answers import cascade_size_pmf, expected_count_by

ALPHA = 0.001


def reference_poisson(rng: random.Random, mean: float) -> int:
    """The original sampler: Knuth's product of uniforms, or counting unit-rate arrivals."""
    if mean <= 0:
        return 0
    if mean < 30:
        limit, k, p = math.exp(-mean), 0, 1.0
        while True:
            p *= rng.random()
            if p <= limit:
                return k
            k += 1
    k, t = 0, rng.expovariate(1.0)
    while t <= mean:
        k += 1
        t += rng.expovariate(1.0)
    return k


def reference_cascade(rng: random.Random, direct: float, decay: float, branching: float, reaction: float,
                      horizon: float) -> list[float]:
    """The original simulation, repost by repost, without a cap."""
    times: list[float] = []
    queue: list[float] = []
    for _ in range(reference_poisson(rng, direct)):
        t = rng.expovariate(1.0 / decay)
        if t <= horizon:
            queue.append(t)
    while queue:
        t = queue.pop()
        times.append(t)
        for _ in range(reference_poisson(rng, branching)):
            child = t + rng.expovariate(1.0 / reaction)
            if child <= horizon:
                queue.append(child)
    times.sort()
    return times


def chisquare_pmf(xs: list[int], pmf, runs: int) -> float:
    """p-value of a chi-square of counts against a pmf (bins with expected count >= 5, tails lumped)."""
    top = max(max(xs), 1)
    p = pmf(np.arange(top + 1))
    keep = [k for k in range(top + 1) if p[k] * runs >= 5]
    lo, hi = keep[0], keep[-1]
    counts = np.bincount(xs, minlength=top + 1)
    obs = [counts[: lo + 1].sum(), *counts[lo + 1: hi], counts[hi:].sum()]
    exp = [p[: lo + 1].sum(), *p[lo + 1: hi], 1 - p[:hi].sum()]
    return float(stats.chisquare(obs, np.array(exp) * runs).pvalue)


# -- Poisson ------------------------------------------------------------------------------------

POISSON_MEANS = [0.05, 0.5, 3.0, 9.99, 10.0, 25.0, 300.0, 1e5]


@pytest.mark.parametrize("mean", POISSON_MEANS)
def test_poisson_matches_its_pmf(mean):
    """Inversion below 10, PTRS from 10: chi-square against scipy's pmf, Bonferroni over the means."""
    rng = random.Random(int(mean * 1000))
    runs = 20_000
    xs = [poisson(rng, mean) for _ in range(runs)]
    assert min(xs) >= 0
    assert chisquare_pmf(xs, lambda k: stats.poisson.pmf(k, mean), runs) > ALPHA / len(POISSON_MEANS)


def test_cached_inversion_is_the_same_inversion():
    """The cascade's cached partial sums walk the same inversion as ``poisson``: the same draws."""
    for mean in (0.01, 0.5, 1.0, 4.5, 9.5, 12.0, 80.0):
        a, b = random.Random(5), random.Random(5)
        assert [poisson(a, mean) for _ in range(3000)] == [_poisson_repeated(b, mean) for _ in range(3000)]


def test_poisson_edge_cases():
    rng = random.Random(0)
    assert poisson(rng, 0.0) == 0 and poisson(rng, -1.0) == 0

    class Extreme(random.Random):
        """Uniforms at the ends of [0, 1): the largest u inverts to a finite tail value."""

        def __init__(self, u: float) -> None:
            super().__init__(0)
            self.u = u

        def random(self) -> float:
            return self.u

    assert poisson(Extreme(0.0), 3.0) == 0
    assert 10 < poisson(Extreme(1 - 2**-53), 3.0) < 40
    # PTRS with u = 0 (so u - 0.5 = -0.5, outside the hat) must not divide by zero: it loops to the
    # next pair, here the same value again, so stop it by switching to a middle value
    values = iter([0.0, 0.0] + [0.5] * 100)

    class Scripted(random.Random):
        def random(self) -> float:
            return next(values)

    assert poisson(Scripted(0), 50.0) in range(40, 61)


# -- the cascade: closed forms --------------------------------------------------------------------

@pytest.mark.parametrize("a, n", [(3.0, 0.5), (20.0, 0.8), (200.0, 0.6)])  # the last: generation at a time
def test_mean_size_is_direct_over_one_minus_branching(a, n):
    runs = 3000
    rng = random.Random(31)
    sizes = [len(hawkes_cascade(rng, a, 40.0, n, 20.0, 1e12, 10**8)) for _ in range(runs)]
    mean, var = a / (1 - n), a / (1 - n) ** 3
    z = (np.mean(sizes) - mean) / math.sqrt(var / runs)
    assert abs(z) < stats.norm.ppf(1 - ALPHA / 2), f"mean {np.mean(sizes):.2f} vs {mean} (z = {z:.2f})"


@pytest.mark.parametrize("a", [0.1, 1.0, 2.5])
def test_empty_cascades_have_probability_exp_minus_direct(a):
    runs = 10_000
    rng = random.Random(32)
    empty = sum(not hawkes_cascade(rng, a, 40.0, 0.5, 20.0, 1440.0, 1000) for _ in range(runs))
    assert stats.binomtest(empty, runs, math.exp(-a)).pvalue > ALPHA


def test_size_distribution_drawn_a_generation_at_a_time():
    """Poisson(a) immigrants with Borel(n) progeny each, a = 100: drawn a generation at a time."""
    a, n, runs = 100.0, 0.5, 2000
    assert a > GENERATION_MIN
    rng = random.Random(33)
    sizes = [len(hawkes_cascade(rng, a, 40.0, n, 20.0, 1e12, 10**8)) for _ in range(runs)]
    pmf = cascade_size_pmf(a, n, 800)
    assert chisquare_pmf(sizes, lambda k: pmf[np.minimum(k, 800)] * (k <= 800), runs) > ALPHA


@pytest.mark.parametrize("a", [10.0, 150.0])
def test_counts_by_check_time(a):
    """E[N(t)] by the closed form (inverse Laplace transform), at 5 check times, Bonferroni."""
    tau, n, r, runs = 40.0, 0.6, 20.0, 2000
    rng = random.Random(34)
    cascades = [hawkes_cascade(rng, a, tau, n, r, 720.0, 10**8) for _ in range(runs)]
    for t in (10, 40, 120, 360, 720):
        xs = [np.searchsorted(c, t, side="right") for c in cascades]
        want = expected_count_by(t, a, tau, n, r)
        z = (np.mean(xs) - want) / (np.std(xs, ddof=1) / math.sqrt(runs))
        assert abs(z) < stats.norm.ppf(1 - ALPHA / 2 / 5), f"by {t}: {np.mean(xs):.2f} vs {want:.2f}"


# -- the cascade against the original simulation --------------------------------------------------

CHANGPING = dict(decay=40.0, branching=0.5, reaction=20.0, horizon=1440.0)  # scenarios/changping-2014.yaml


def _compare(direct, runs: int, seed: int) -> None:
    """Two-sample tests, new vs original, on independent samples (one value per cascade): size, first,
    last and a randomly chosen repost time, the share of the cascade by 30 and 120 minutes, each at
    ALPHA / 6."""
    p = CHANGPING
    pick = random.Random(seed + 1)
    rng_old, rng_new = random.Random(seed), random.Random(seed + 2)
    old = [reference_cascade(rng_old, direct(rng_old), p["decay"], p["branching"], p["reaction"], p["horizon"])
           for _ in range(runs)]
    new = [hawkes_cascade(rng_new, direct(rng_new), p["decay"], p["branching"], p["reaction"], p["horizon"], 10**8)
           for _ in range(runs)]
    for c in new:
        assert c == sorted(c) and all(0 <= t <= p["horizon"] for t in c)
    # sizes: chi-square on a contingency table of size classes
    edges = [0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, math.inf]
    table = [np.histogram([len(c) for c in cs], bins=edges)[0] for cs in (old, new)]
    table = np.array(table)[:, np.array(table).sum(axis=0) > 0]
    assert stats.chi2_contingency(table).pvalue > ALPHA / 6, table
    for name, f in [("first", lambda c: c[0]), ("last", lambda c: c[-1]), ("any", lambda c: pick.choice(c))]:
        xs = [f(c) for c in old if c]
        ys = [f(c) for c in new if c]
        assert stats.ks_2samp(xs, ys).pvalue > ALPHA / 6, name
    # the clustering of reposts (who triggered whom) shows in the spread of counts by a check time
    for t in (30.0, 120.0):
        xs = [float(np.searchsorted(c, t, side="right")) / max(len(c), 1) for c in old]
        ys = [float(np.searchsorted(c, t, side="right")) / max(len(c), 1) for c in new]
        assert stats.ks_2samp(xs, ys).pvalue > ALPHA / 6, f"share by {t}"


def test_same_distribution_as_the_original_for_changping_posts():
    """Direct reposts vary by post as in the scenario (lognormal, median 4, p90 60)."""
    from simulator.dists import MedianP90

    d = MedianP90(median=4, p90=60)
    _compare(d.sample, 3000, 41)


def test_same_distribution_as_the_original_for_large_cascades():
    _compare(lambda rng: 120.0, 600, 42)


# -- truncation -------------------------------------------------------------------------------------

def test_horizon_and_cap_respected_and_output_sorted():
    rng = random.Random(51)
    for _ in range(300):
        direct, cap = rng.choice([0.5, 5.0, 60.0, 2000.0]), rng.choice([1, 7, 100, 5000, 10**6])
        horizon = rng.choice([20.0, 300.0])  # 20: a large share of the reposts fall near the horizon
        times = hawkes_cascade(rng, direct, 30.0, rng.choice([0.0, 0.5, 0.9]), 20.0, horizon, cap)
        assert len(times) <= cap and times == sorted(times) and all(0 <= t <= horizon for t in times)
        assert all(isinstance(t, float) for t in times)


@pytest.mark.parametrize("a", [3.0, 20.0, 150.0])  # repost by repost; mixed; generations
def test_mean_total_of_repost_times(a):
    """E[sum of repost times] = a (τ/(1-n) + r n/(1-n)²): generation g has a n^g reposts at mean
    time τ + g r.  With τ = 1 the reaction delays make most of it."""
    tau, n, r, runs = 1.0, 0.5, 20.0, 4000
    rng = random.Random(35)
    sums = [sum(hawkes_cascade(rng, a, tau, n, r, 1e12, 10**8)) for _ in range(runs)]
    want = a * (tau / (1 - n) + r * n / (1 - n) ** 2)
    z = (np.mean(sums) - want) / (np.std(sums, ddof=1) / math.sqrt(runs))
    assert abs(z) < stats.norm.ppf(1 - ALPHA / 2), f"{np.mean(sums):.1f} vs {want:.1f} (z = {z:.2f})"


def test_a_cap_that_does_not_bind_changes_nothing():
    """The cap only prunes once it is exceeded: below it, the same draws give the same cascade."""
    binding = 0
    for seed in range(200):
        free = hawkes_cascade(random.Random(seed), 30.0, 40.0, 0.7, 20.0, 1440.0, 10**8)
        capped = hawkes_cascade(random.Random(seed), 30.0, 40.0, 0.7, 20.0, 1440.0, 100)
        if len(free) <= 100:
            assert capped == free
        else:
            binding += 1
            assert len(capped) == 100
    assert 20 < binding < 180  # both cases were exercised


@pytest.mark.parametrize("direct, branching, cap", [(30.0, 0.7, 40), (500.0, 0.0, 10), (500.0, 0.5, 60)])
def test_the_cap_keeps_the_earliest_reposts(direct, branching, cap):
    """Capped at ``cap``, the count by any time t is min(N(t), cap): the cap-th and the middle repost
    times of capped cascades have the distribution of those of uncapped ones (two-sample KS).  The
    second case draws more immigrants than the cap (order statistics by spacings)."""
    runs = 1500
    rng_free, rng_cap = random.Random(61), random.Random(62)
    free = [hawkes_cascade(rng_free, direct, 40.0, branching, 20.0, 1440.0, 10**8) for _ in range(runs)]
    capped = [hawkes_cascade(rng_cap, direct, 40.0, branching, 20.0, 1440.0, cap) for _ in range(runs)]
    for i in (cap - 1, cap // 2):
        xs = [c[i] for c in free if len(c) >= cap]
        ys = [c[i] for c in capped if len(c) == cap]
        assert len(xs) > runs / 4 and len(ys) > runs / 4
        assert stats.ks_2samp(xs, ys).pvalue > ALPHA / 2, i
    # the size is min(size, cap)
    table = [[sum(len(c) >= cap for c in cs), sum(len(c) < cap for c in cs)] for cs in (free, capped)]
    assert stats.fisher_exact(table).pvalue > ALPHA


def test_huge_cascades_are_cheap_under_a_small_cap():
    """A million expected reposts, cap 1000: the work is bounded by the cap, not the cascade."""
    import time

    t0 = time.perf_counter()
    times = hawkes_cascade(random.Random(7), 100_000.0, 40.0, 0.9, 20.0, 1440.0, 1000)
    assert len(times) == 1000 and times == sorted(times)
    assert time.perf_counter() - t0 < 2.0


def test_parent_index_stays_in_range():
    """int(m * u) < m for the largest uniform below 1, the claim the parent choice relies on."""
    u = 1 - 2**-53
    ms = list(range(1, 5000)) + [2**j for j in range(1, 40)] + [2**j - 1 for j in range(2, 40)]
    assert all(int(m * u) < m for m in ms)


def test_deterministic_for_a_seed():
    a = [hawkes_cascade(random.Random(9), d, 40.0, 0.5, 20.0, 1440.0, 10**6) for d in (0.5, 5.0, 80.0, 500.0)]
    b = [hawkes_cascade(random.Random(9), d, 40.0, 0.5, 20.0, 1440.0, 10**6) for d in (0.5, 5.0, 80.0, 500.0)]
    assert a == b
