"""Validation of the simulator against theory and a peer simulator.

(a) The desk, configured as an M/M/c queue (Poisson arrivals, exponential
    triage, c staff always on), gives the Erlang-C mean wait within the 95%
    confidence interval of replications.
(b) The same queue in Ciw gives statistically indistinguishable waits.
(c) Arrivals per hour follow the configured hour profile (chi-square).
(d) changping-2014 reproduces the reported figures (tests/test_simulation.py).
"""

from __future__ import annotations

import math
import random
import statistics
from pathlib import Path

import pytest
from scipy.stats import chisquare, ttest_ind

from simulator import load_run_inputs
from simulator.model import COLLECT, Simulation
from simulator.stats import mean_ci

from .conftest import SCENARIOS

LAM, MU, C = 0.24, 0.1, 3  # per minute: rho = 0.8, offered load a = 2.4
DAYS = 8
REPS = 8


def erlang_c_wait(lam: float, mu: float, c: int) -> float:
    a = lam / mu
    top = a**c / math.factorial(c) * c / (c - a)
    p_wait = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    return p_wait / (c * mu - lam)


def mmc_scenario(tmp_path: Path) -> Path:
    path = tmp_path / "mmc.yaml"
    path.write_text(f"""
kind: scenario
extends: {SCENARIOS / 'changping-2014.yaml'}
name: mmc
start: 2014-06-02
end: 2014-06-{1 + DAYS:02d}
arrivals:
  posts_per_day: {LAM * 1440}
  hour_profile: [{', '.join(['1'] * 24)}]
  weekend_factor: 1.0
  holiday_factor: 1.0
  channels: {{wechat: 1.0}}
  actionable_share: 0.0
platforms: {{duplicate_delivery: 0.0, malformed: 0.0}}
desk:
  staff: {C}
  shifts: {{A: {{start: "00:00", end: "00:00"}}}}
  rota: [{{name: desk, pattern: A, count: {C}}}]
  handover_minutes: 0
  triage_minutes: {{exponential_mean: {1 / MU}}}
""", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def our_waits(tmp_path_factory) -> list[float]:
    sc, policy, _ = load_run_inputs(mmc_scenario(tmp_path_factory.mktemp("mmc")))
    means = []
    for i in range(REPS):
        result = Simulation(sc, policy, seed=100 + i).run()
        means.append(statistics.fmean(result.desk.waits_minutes))
    return means


def test_desk_matches_erlang_c(our_waits):
    expected = erlang_c_wait(LAM, MU, C)
    assert expected == pytest.approx(10.79, abs=0.01)
    m, lo, hi = mean_ci(our_waits)
    assert lo is not None and hi is not None
    assert lo <= expected <= hi, f"Erlang C {expected:.2f} outside the 95% CI [{lo:.2f}, {hi:.2f}] (mean {m:.2f})"


def ciw_waits() -> list[float]:
    ciw = pytest.importorskip("ciw", reason="ciw is a test-only dependency (pip install -e '.[test]')")
    means = []
    horizon = DAYS * 1440
    for i in range(REPS):
        ciw.seed(1000 + i)  # Ciw seeds its module-level generators; test-only
        net = ciw.create_network(arrival_distributions=[ciw.dists.Exponential(rate=LAM)],
                                 service_distributions=[ciw.dists.Exponential(rate=MU)],
                                 number_of_servers=[C])
        sim = ciw.Simulation(net)
        sim.simulate_until_max_time(horizon)
        recs = sim.get_all_records()
        means.append(statistics.fmean(r.waiting_time for r in recs))
    return means


def test_desk_agrees_with_ciw(our_waits):
    theirs = ciw_waits()
    m1, m2 = statistics.fmean(our_waits), statistics.fmean(theirs)
    # Welch's two-sample t test (scipy): "not different at 5%"
    res = ttest_ind(our_waits, theirs, equal_var=False)
    assert res.pvalue > 0.05, f"wenzheng {m1:.2f} vs Ciw {m2:.2f} minutes (t = {res.statistic:.2f}, p = {res.pvalue:.3f})"


def test_arrivals_follow_the_hour_profile():
    sc, policy, _ = load_run_inputs(SCENARIOS / "changping-2014.yaml")
    sc = sc.model_copy(update={
        "end": sc.start.replace(month=5, day=31),
        "arrivals": sc.arrivals.model_copy(update={"posts_per_day": 150.0, "actionable_share": 0.0}),
    })
    result = Simulation(sc, policy, seed=7).run()
    counts = [0] * 24
    for row in result.log:
        if row.activity == COLLECT:
            counts[row.at.hour] += 1
    n = sum(counts)
    profile = sc.arrivals.hour_profile
    expected = [n * p / sum(profile) for p in profile]
    fit = chisquare(counts, expected)  # 23 degrees of freedom
    assert n > 8000
    assert fit.pvalue > 0.01, f"chi-square {fit.statistic:.1f} with 23 degrees of freedom (p = {fit.pvalue:.4f})"
    # and the test has power: a flat profile is rejected
    assert chisquare(counts, [n / 24] * 24).pvalue < 1e-100


def test_poisson_sampler_mean_and_variance():
    from simulator.cascade import poisson

    rng = random.Random(1)
    for mean in (0.5, 7.0, 80.0):
        xs = [poisson(rng, mean) for _ in range(20000)]
        assert statistics.fmean(xs) == pytest.approx(mean, rel=0.03)
        assert statistics.variance(xs) == pytest.approx(mean, rel=0.06)


def test_hawkes_cascade_mean_size():
    from simulator.cascade import hawkes_cascade

    rng = random.Random(2)
    sizes = [len(hawkes_cascade(rng, 20.0, 40.0, 0.5, 20.0, 1e9, 10**6)) for _ in range(4000)]
    assert statistics.fmean(sizes) == pytest.approx(20.0 / (1 - 0.5), rel=0.05)
