"""Known-answer tests: each part of the SimPy model against an answer known independently.

Not snapshots: every expected value here comes from a formula, a published table or an
independent simulation written in this file, never from a previous run of the model.

- arrivals: hour-of-day counts against the hour profile (chi-square); weekday / weekend /
  statutory-holiday / make-up-day factors against the State Council's 2014 holiday notice
  (国办发明电〔2013〕28号, typed in below, not read from the calendar package); totals against
  posts_per_day x days x factor (Poisson intervals); Poisson dispersion;
- the Hawkes repost cascade: size distribution against the Poisson mixture of Borel-Tanner laws
  (mean a/(1-n), variance a/(1-n)^3); expected count by each check time against the closed form;
  the threshold-crossing share against the closed form (infinite horizon) and against an
  independent Ogata-thinning simulation of the same intensity (finite check time);
- unit reply delays: Kolmogorov-Smirnov against the configured lognormal, both as drawn and as
  measured in office time on a hand-typed 2014 calendar after a full run;
- the desk as M/M/c against Erlang C (99% t-intervals over replications, with a bound on their
  width so the test has power);
- the rota and handover: work starts only inside a member's shift, after the handover; staffed
  and busy minutes per rota line equal what the rota and the services imply.

All tests are seeded and deterministic; run time is about 15 s on one core in total
(the slowest: the desk replications, ~6 s, and the end-to-end reply delays, ~3 s).
Each was seen to fail against a planted bug (docs/validation.md, "Known-answer tests").
"""

from __future__ import annotations

import math
import random
import statistics
from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta
from functools import cache

import numpy as np
import pytest
from scipy import special, stats

from simulator import load_run_inputs
from simulator.cascade import hawkes_cascade
from simulator.dists import MedianP90
from simulator.metrics import compute_metrics
from simulator.model import (
    COLLECT,
    DESK_ANSWER,
    HANDLE,
    TAKE,
    CaseRecord,
    LogRow,
    RunResult,
    Simulation,
    arrival_minutes,
    day_factor,
    unit_response,
)
from simulator.scenario import DeskSpec, RotaLine, Scenario

from .conftest import SCENARIOS

# -- the 2014 calendar, typed from the State Council notice (not from chinesecalendar) --------------

# The notice's own words: 清明 4月5日放假，4月7日补休; 劳动节 5月1日至3日放假调休; 端午 6月2日放假，与周末连休;
# 中秋 9月8日放假，与周末连休; 国庆 10月1日至7日放假调休.  Days it names as days off are holidays; the weekends
# it joins ("与周末连休") stay weekends.  One day is ambiguous: Sunday 6 April lies between the Qingming day
# off and its 补休, and chinesecalendar names it a holiday; the tests below leave it out.
HOLIDAYS_2014 = {
    date(2014, 4, 5), date(2014, 4, 7), *(date(2014, 5, d) for d in (1, 2, 3)), date(2014, 6, 2),
    date(2014, 9, 8), *(date(2014, 10, d) for d in range(1, 8)),
}
AMBIGUOUS_2014 = {date(2014, 4, 6)}
MAKEUP_WORKDAYS_2014 = {date(2014, 5, 4), date(2014, 9, 28), date(2014, 10, 11)}  # 调休上班


def day_kind(d: date) -> str:
    if d in HOLIDAYS_2014:
        return "holiday"
    if d in MAKEUP_WORKDAYS_2014:
        return "makeup"
    return "weekend" if d.weekday() >= 5 else "workday"


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


@cache
def _inputs() -> tuple[Scenario, object]:
    sc, policy, _ = load_run_inputs(SCENARIOS / "changping-2014.yaml")
    return sc, policy


def scenario(**updates: object) -> Scenario:
    """changping-2014 with top-level fields replaced; ``arrivals`` / ``units.default`` given as dicts patch."""
    sc, _ = _inputs()
    arrivals = updates.pop("arrivals", None)
    if isinstance(arrivals, dict):
        updates["arrivals"] = sc.arrivals.model_copy(update=arrivals)
    return sc.model_copy(update=updates)


def policy():  # type: ignore[no-untyped-def]
    return _inputs()[1]


WEEKEND, HOLIDAY = 0.5, 1.5  # far apart, so swapping them is visible


# -- arrivals -------------------------------------------------------------------------------------

def _arrivals_over_season(seed: int = 11, **arrivals: object) -> tuple[Simulation, list[float]]:
    sc = scenario(start=date(2014, 5, 1), end=date(2014, 10, 31),
                  arrivals={"posts_per_day": 300.0, "weekend_factor": WEEKEND, "holiday_factor": HOLIDAY,
                            **arrivals})
    sim = Simulation(sc, policy(), seed=seed)
    return sim, list(arrival_minutes(random.Random(seed), sim.hourly_rates()))


def test_day_factor_follows_the_2014_holiday_notice():
    sc = scenario(arrivals={"weekend_factor": WEEKEND, "holiday_factor": HOLIDAY})
    cal = policy().calendar  # type: ignore[attr-defined]
    want = {"workday": 1.0, "makeup": 1.0, "weekend": WEEKEND, "holiday": HOLIDAY}
    for d in days(date(2014, 1, 1), date(2014, 12, 31)):
        if d.month in (1, 2, 11) or d in AMBIGUOUS_2014:  # New Year, Spring Festival, APEC: not typed in
            continue
        assert day_factor(sc.arrivals, cal.day_info(d)) == want[day_kind(d)], d


def test_arrivals_follow_the_hour_profile_chi_square():
    sim, times = _arrivals_over_season()
    t0 = sim.t0
    counts = [0] * 24
    for t in times:
        counts[(t0 + timedelta(minutes=t)).hour] += 1
    n = sum(counts)
    profile = sim.sc.arrivals.hour_profile
    expected = [n * p / sum(profile) for p in profile]
    chi2, _ = stats.chisquare(counts, expected)
    critical = stats.chi2.ppf(0.99, df=23)
    assert n > 50_000
    assert chi2 < critical, f"chi-square {chi2:.1f} > {critical:.1f} (23 df, 1%)"
    # power: the same counts against the profile shifted by one hour (a UTC/local slip) are rejected
    shifted = expected[1:] + expected[:1]
    assert stats.chisquare(counts, shifted)[0] > 10 * critical


def test_arrivals_per_day_kind_match_the_factors():
    """Weekend, holiday, make-up and working days each get posts_per_day x factor a day (Poisson)."""
    sim, times = _arrivals_over_season()
    ppd = sim.sc.arrivals.posts_per_day
    t0 = sim.t0
    by_kind: Counter[str] = Counter(day_kind((t0 + timedelta(minutes=t)).date()) for t in times)
    ndays = Counter(day_kind(d) for d in days(sim.sc.start, sim.sc.end))
    # May-October 2014: 184 days, 52 Saturdays and Sundays (3 of them holidays: May 3, Oct 4, 5; 3 调休
    # workdays: May 4, Sep 28, Oct 11), 12 holidays
    assert ndays == {"workday": 123, "weekend": 46, "holiday": 12, "makeup": 3}
    factor = {"workday": 1.0, "makeup": 1.0, "weekend": WEEKEND, "holiday": HOLIDAY}
    for kind, nd in ndays.items():
        lo, hi = stats.poisson.interval(0.999, ppd * nd * factor[kind])
        assert lo <= by_kind[kind] <= hi, f"{kind}: {by_kind[kind]} posts on {nd} days, 99.9% interval [{lo}, {hi}]"


def test_arrivals_are_poisson_within_hours():
    """Counts in hours of equal rate are Poisson: the index of dispersion is chi-square distributed."""
    sim, times = _arrivals_over_season()
    per_hour = Counter(int(t // 60) for t in times)
    rates = sim.hourly_rates()
    groups: dict[float, list[int]] = defaultdict(list)
    for h, rate in enumerate(rates):
        groups[rate].append(per_hour.get(h, 0))
    d = sum(sum((x - 60 * r) ** 2 for x in xs) / (60 * r) for r, xs in groups.items())
    df = sum(len(xs) for xs in groups.values())  # known means: no degree of freedom lost
    lo, hi = stats.chi2.ppf([0.0005, 0.9995], df)
    assert lo < d < hi, f"dispersion {d:.0f} outside [{lo:.0f}, {hi:.0f}] ({df} df)"


def test_arrivals_end_to_end_totals():
    """A full run around National Day 2014: posts by day kind against posts_per_day x days x factor."""
    sc = scenario(start=date(2014, 9, 22), end=date(2014, 10, 19), platforms=_inputs()[0].platforms.model_copy(
        update={"duplicate_delivery": 0.0, "malformed": 0.0}),
        arrivals={"posts_per_day": 60.0, "weekend_factor": WEEKEND, "holiday_factor": HOLIDAY,
                  "actionable_share": 0.0, "scripted": []})
    result = Simulation(sc, policy(), seed=5).run()
    by_kind = Counter(day_kind(row.at.date()) for row in result.log if row.activity == COLLECT)
    ndays = Counter(day_kind(d) for d in days(sc.start, sc.end))
    # Sep 22-26, 29-30, Oct 8-10, 13-17 work; Sep 28 and Oct 11 调休; Sep 27, Oct 12, 18, 19 weekend; Oct 1-7 off
    assert ndays == {"workday": 15, "weekend": 4, "holiday": 7, "makeup": 2}
    factor = {"workday": 1.0, "makeup": 1.0, "weekend": WEEKEND, "holiday": HOLIDAY}
    expected_total = 60.0 * sum(nd * factor[k] for k, nd in ndays.items())
    lo, hi = stats.poisson.interval(0.999, expected_total)
    assert lo <= result.posts <= hi, f"{result.posts} posts, 99.9% interval [{lo}, {hi}]"
    assert sum(by_kind.values()) == result.posts
    for kind, nd in ndays.items():
        lo, hi = stats.poisson.interval(0.999, 60.0 * nd * factor[kind])
        assert lo <= by_kind[kind] <= hi, f"{kind}: {by_kind[kind]} posts on {nd} days, 99.9% interval [{lo}, {hi}]"


# -- the Hawkes repost cascade -----------------------------------------------------------------------

def cascade_size_pmf(a: float, n: float, smax: int) -> np.ndarray:
    """P(S = s), s = 0..smax: Poisson(a) immigrants, each with a Borel(n) total progeny (itself included).

    The sum of k independent Borel(n) is Borel-Tanner: P(S = s | k) = k/s e^(-ns) (ns)^(s-k) / (s-k)!.
    """
    pmf = np.zeros(smax + 1)
    pmf[0] = math.exp(-a)
    for s in range(1, smax + 1):
        k = np.arange(1, s + 1)
        log_bt = np.log(k / s) - n * s + (s - k) * math.log(n * s) - special.gammaln(s - k + 1)
        log_pk = -a + k * math.log(a) - special.gammaln(k + 1)
        pmf[s] = np.exp(log_bt + log_pk).sum()
    return pmf


def expected_count_by(t: float, a: float, tau: float, n: float, r: float) -> float:
    """E[N(t)] for immigrants at rate (a/tau) e^(-t/tau), each event triggering n events at Exp(mean r) delays.

    Inverse Laplace transform of a (1 + r s) / (s (1 + tau s) (1 + r s - n)) by residues; when
    tau (1 - n) = r (the scenario's own 40, 0.5, 20) the two poles merge into a double pole.
    """
    d = tau * (1 - n) - r
    if abs(d) < 1e-9 * tau:
        return a / (1 - n) * (1 - math.exp(-t / tau) * (1 + n * t / tau))
    return (a / (1 - n) - a * (tau - r) / d * math.exp(-t / tau)
            + a * n * r / ((1 - n) * d) * math.exp(-(1 - n) * t / r))


def ogata_counts(rng: random.Random, a: float, tau: float, n: float, r: float, until: float) -> int:
    """Events by ``until`` of the same Hawkes process, simulated by Ogata thinning of its intensity.

    Independent of simulator/cascade.py: no branching structure, only the conditional intensity
    lambda(t) = (a/tau) e^(-t/tau) + (n/r) sum_i e^(-(t - t_i)/r), which decreases between events.
    """
    t, excitation, count = 0.0, 0.0, 0
    while True:
        bound = a / tau * math.exp(-t / tau) + n / r * excitation
        if bound <= 0:
            return count
        w = rng.expovariate(bound)
        t += w
        if t > until:
            return count
        excitation *= math.exp(-w / r)
        if rng.random() * bound <= a / tau * math.exp(-t / tau) + n / r * excitation:
            count += 1
            excitation += 1.0


def test_expected_count_formula_limits():
    # the oracle itself: nothing at t = 0, a/(1 - n) in the long run, a(1 - e^(-t/tau)) without branching,
    # and the double-pole form is the limit of the general one
    for n in (0.6, 0.5):
        assert expected_count_by(0, 20, 40, n, 20) == pytest.approx(0, abs=1e-12)
        assert expected_count_by(1e6, 20, 40, n, 20) == pytest.approx(20 / (1 - n))
    assert expected_count_by(30, 20, 40, 0.0, 20) == pytest.approx(20 * (1 - math.exp(-30 / 40)))
    for t in (10, 60, 300):
        assert expected_count_by(t, 20, 40, 0.5, 20) == pytest.approx(expected_count_by(t, 20, 40, 0.5, 20.001),
                                                                      rel=1e-4)


def test_cascade_size_distribution():
    a, n, runs = 20.0, 0.5, 4000
    rng = random.Random(21)
    sizes = [len(hawkes_cascade(rng, a, 40.0, n, 20.0, 1e12, 10**7)) for _ in range(runs)]
    mean, var = a / (1 - n), a / (1 - n) ** 3
    z = (statistics.fmean(sizes) - mean) / math.sqrt(var / runs)
    assert abs(z) < stats.norm.ppf(0.9995), f"mean {statistics.fmean(sizes):.2f} vs {mean} (z = {z:.2f})"
    # the whole distribution: chi-square on bins of expected count >= 5, the tail lumped
    pmf = cascade_size_pmf(a, n, 400)
    assert pmf.sum() == pytest.approx(1, abs=1e-6)
    assert float((np.arange(401) * pmf).sum()) == pytest.approx(mean, rel=1e-4)
    counts = np.bincount(np.minimum(sizes, 400), minlength=401)
    edges = [s for s in range(401) if pmf[s] * runs >= 5]
    lo, hi = edges[0], edges[-1]
    obs = [counts[: lo + 1].sum(), *counts[lo + 1: hi], counts[hi:].sum()]
    exp = [pmf[: lo + 1].sum(), *pmf[lo + 1: hi], 1 - pmf[:hi].sum()]
    chi2, _ = stats.chisquare(obs, np.array(exp) * runs)
    critical = stats.chi2.ppf(0.999, len(obs) - 1)
    assert chi2 < critical, f"chi-square {chi2:.1f} > {critical:.1f} ({len(obs) - 1} df)"


@pytest.mark.parametrize("n", [0.5, 0.6])  # 0.5: the scenario's own (double-pole) parameters
def test_cascade_counts_at_check_times(n):
    a, tau, r, runs = 20.0, 40.0, 20.0, 3000
    rng = random.Random(22)
    cascades = [hawkes_cascade(rng, a, tau, n, r, 1440.0, 10**7) for _ in range(runs)]
    z_crit = stats.norm.ppf(1 - 0.001 / 2 / 8)  # Bonferroni over the 8 check times
    for t in (10, 20, 40, 60, 120, 360, 720, 1440):
        xs = [sum(1 for x in c if x <= t) for c in cascades]
        want = expected_count_by(t, a, tau, n, r)
        z = (statistics.fmean(xs) - want) / (statistics.stdev(xs) / math.sqrt(runs))
        assert abs(z) < z_crit, f"by {t} min: mean {statistics.fmean(xs):.2f} vs {want:.2f} (z = {z:.2f})"


def test_threshold_crossing_share():
    """Share of posts whose reposts reach a threshold: closed form at infinite horizon; Ogata at a check."""
    a, tau, n, r, runs, k = 60.0, 40.0, 0.5, 20.0, 2000, 125
    rng = random.Random(23)
    cascades = [hawkes_cascade(rng, a, tau, n, r, 1e12, 10**7) for _ in range(runs)]
    crossed = sum(len(c) >= k for c in cascades)
    p_inf = 1 - cascade_size_pmf(a, n, k - 1).sum()
    assert 0.3 < p_inf < 0.7
    assert stats.binomtest(crossed, runs, p_inf).pvalue > 0.001, f"{crossed}/{runs} vs {p_inf:.3f}"
    # by the 60-minute check: against an independent simulation of the same intensity
    check, k_check = 60.0, 75
    ours = sum(sum(1 for x in c if x <= check) >= k_check for c in cascades)
    rng2 = random.Random(24)
    theirs = sum(ogata_counts(rng2, a, tau, n, r, check) >= k_check for _ in range(runs))
    assert 0.2 < theirs / runs < 0.8
    table = [[ours, runs - ours], [theirs, runs - theirs]]
    assert stats.fisher_exact(table).pvalue > 0.001, f"cascade {ours}/{runs} vs Ogata {theirs}/{runs}"


# -- unit reply delays ------------------------------------------------------------------------------

def lognormal_of(d: MedianP90):  # type: ignore[no-untyped-def]
    """scipy's lognormal with the configured median and 90th percentile (checked, not assumed)."""
    dist = stats.lognorm(s=math.log(d.p90 / d.median) / stats.norm.ppf(0.9), scale=d.median)
    assert dist.median() == pytest.approx(d.median) and dist.ppf(0.9) == pytest.approx(d.p90)
    return dist


@pytest.mark.parametrize("unit, utype", [("回龙观镇", "town"), ("园林绿化局", "bureau")])
def test_unit_response_draws(unit, utype):
    b = _inputs()[0].units.behaviour(unit, utype)
    draws = [unit_response(random.Random(f"known/{i}/unit/0"), b) for i in range(3000)]
    delays = [d for _, d, _ in draws]
    ks = stats.kstest(delays, lognormal_of(b.reply_working_days).cdf)
    assert ks.pvalue > 0.001, f"KS D = {ks.statistic:.4f}, p = {ks.pvalue:.2g}"
    silent = sum(s for s, _, _ in draws)
    assert stats.binomtest(silent, len(draws), b.no_reply).pvalue > 0.001
    kinds = Counter(k for _, _, k in draws)
    total = sum(b.reply_kinds.values())
    chi = stats.chisquare([kinds[k] for k in b.reply_kinds], [len(draws) * w / total for w in b.reply_kinds.values()])
    assert chi.pvalue > 0.001


def test_other_configured_delays_sample_their_distribution():
    sc = _inputs()[0]
    rng = random.Random(31)
    for d in (sc.desk.triage_minutes, sc.citizens.follow_up_after_days, sc.units.default.statement_minutes):
        assert isinstance(d, MedianP90)
        ks = stats.kstest([d.sample(rng) for _ in range(3000)], lognormal_of(d).cdf)
        assert ks.pvalue > 0.001, (d, ks)
    from simulator.dists import Exponential

    e = Exponential(exponential_mean=10.0)
    ks = stats.kstest([e.sample(rng) for _ in range(3000)], stats.expon(scale=10.0).cdf)
    assert ks.pvalue > 0.001


def office_days_between(start: datetime, end: datetime, opens: time, closes: time) -> float:
    """Office time between two moments in working days, on the typed 2014 calendar."""
    day_minutes = (closes.hour * 60 + closes.minute) - (opens.hour * 60 + opens.minute)
    total = 0.0
    for d in days(start.date(), end.date()):
        if day_kind(d) in ("weekend", "holiday"):
            continue
        lo = max(start, datetime.combine(d, opens, tzinfo=start.tzinfo))
        hi = min(end, datetime.combine(d, closes, tzinfo=start.tzinfo))
        total += max(0.0, (hi - lo).total_seconds() / 60)
    return total / day_minutes


def test_reply_delays_end_to_end():
    """After a full run (supervision switched off), each reply's office-time delay is the configured lognormal."""
    sc0 = _inputs()[0]
    quiet = {"no_reply": 0.0, "respond_to_reminder": 0.0, "respond_to_escalation": 0.0}
    units = sc0.units.model_copy(update={"default": sc0.units.default.model_copy(update=quiet), "by_unit": {},
                                         "by_type": {k: p.model_copy(update=quiet)
                                                     for k, p in sc0.units.by_type.items()}})
    sc = scenario(start=date(2014, 5, 26), end=date(2014, 6, 20), units=units,
                  arrivals={"posts_per_day": 40.0, "actionable_share": 1.0, "scripted": [],
                            "same_problem_share": 0.0})
    result = Simulation(sc, policy(), seed=9).run()
    started = {row.case_id: row.at for row in result.log if row.activity == HANDLE}
    types = {u: s.type for u, s in policy().units.items()}  # type: ignore[attr-defined]
    by_dist: dict[MedianP90, list[float]] = defaultdict(list)
    for c in result.cases:
        b = sc.units.behaviour(c.unit, types[c.unit])
        assert c.replied_at is not None, c.case_id  # no unit is silent in this scenario
        by_dist[b.reply_working_days].append(office_days_between(started[c.case_id], c.replied_at,
                                                                 *b.working_hours))
    assert sum(len(v) for v in by_dist.values()) > 700
    for dist, delays in by_dist.items():
        if len(delays) < 100:
            continue
        ks = stats.kstest(delays, lognormal_of(dist).cdf)
        assert ks.pvalue > 0.001, f"{dist}: KS D = {ks.statistic:.4f} over {len(delays)} replies, p = {ks.pvalue:.2g}"


# -- the desk as M/M/c --------------------------------------------------------------------------------

class _BarePosts(Simulation):
    """The model with content, payloads and the engine left out of each post: a seam for the desk.

    Only ``_new_post`` differs (a non-actionable post straight onto the desk's queue); the arrival
    process, the rota, the queue and the staff are the model's own.  ~10x faster per post.
    """

    def _new_post(self, scripted: object = None) -> None:
        self.posts += 1
        rec = CaseRecord(f"C{self.posts:07d}", "wechat", "", "", self.now())
        self.log.append(LogRow(rec.case_id, COLLECT, rec.posted_at, "desk", "", ""))
        self._enqueue((rec, None, False, self.env.now))


def erlang_c(lam: float, mu: float, c: int) -> tuple[float, float]:
    """(P(wait > 0), mean wait) of M/M/c."""
    a = lam / mu
    top = a**c / math.factorial(c) * c / (c - a)
    p_wait = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    return p_wait, p_wait / (c * mu - lam)


def test_erlang_c_table_value():
    # the oracle against a published value: 4 servers, 3 erlangs offered -> P(wait) = 0.5094
    assert erlang_c(3.0, 1.0, 4)[0] == pytest.approx(0.5094, abs=1e-4)


LAM, MU, C, DAYS, REPS, WARMUP = 0.3, 0.1, 4, 10, 20, 120.0  # per minute; rho = 0.75


def test_desk_is_mmc():
    desk = DeskSpec.model_validate({
        "staff": C, "shifts": {"A": {"start": "00:00", "end": "00:00"}},
        "rota": [{"name": "desk", "pattern": "A", "count": C}], "handover_minutes": 0,
        "triage_minutes": {"exponential_mean": 1 / MU}})
    sc = scenario(start=date(2014, 6, 2), end=date(2014, 6, 1) + timedelta(days=DAYS), desk=desk,
                  arrivals={"posts_per_day": LAM * 1440, "hour_profile": [1.0] * 24, "weekend_factor": 1.0,
                            "holiday_factor": 1.0, "scripted": []})
    waits, p_waits, utils = [], [], []
    for i in range(REPS):
        result = _BarePosts(sc, policy(), seed=500 + i).run()
        # first come, first served: the k-th wait is the k-th arrival's; drop the warm-up from empty
        warm = sum(1 for row in result.log if (row.at - result.start).total_seconds() / 60 < WARMUP)
        w = result.desk.waits_minutes[warm:]
        waits.append(statistics.fmean(w))
        p_waits.append(sum(x > 0 for x in w) / len(w))
        utils.append(result.desk.busy_minutes / result.desk.staffed_minutes)
    p_wait, wq = erlang_c(LAM, MU, C)
    t = stats.t.ppf(0.995, REPS - 1)
    for name, xs, want, max_rel in (("mean wait", waits, wq, 0.15), ("P(wait)", p_waits, p_wait, 0.06),
                                    ("utilisation", utils, LAM / (C * MU), 0.025)):
        m, h = statistics.fmean(xs), t * statistics.stdev(xs) / math.sqrt(REPS)
        assert abs(m - want) <= h, f"{name}: Erlang C {want:.4f} outside the 99% CI {m:.4f} ± {h:.4f}"
        assert h <= max_rel * want, f"{name}: CI half-width {h:.4f} too wide to detect a {max_rel:.0%} error"


# -- the rota and the handover ----------------------------------------------------------------------

TRIAGE = 10.0
HANDOVER = 15.0


@cache
def _rota_run() -> tuple[RunResult, list[tuple[str, float]], float, DeskSpec]:
    """One run of a busy desk on Changping's rota plus a night team; (result, services, horizon, desk).

    Triage takes exactly TRIAGE minutes (a lognormal with p90 = median), so each service's start is
    its DESK_ANSWER row's time minus TRIAGE; services are (rota line, start minute).
    """
    sc0 = _inputs()[0]
    rota = [*sc0.desk.rota, RotaLine(name="夜班组", pattern="N-N-N-N", count=2)]  # a team: members #1, #2
    desk = DeskSpec.model_validate({**sc0.desk.model_dump(), "staff": sc0.desk.staff + 2,
                                    "rota": [line.model_dump() for line in rota], "handover_minutes": HANDOVER,
                                    "triage_minutes": {"median": TRIAGE, "p90": TRIAGE}})
    sc = scenario(start=date(2014, 6, 2), end=date(2014, 6, 15), desk=desk,
                  platforms=sc0.platforms.model_copy(update={"duplicate_delivery": 0.0, "malformed": 0.0}),
                  arrivals={"posts_per_day": 200.0, "actionable_share": 0.0, "scripted": []})
    result = Simulation(sc, policy(), seed=3).run()
    horizon = (result.end - result.start).total_seconds() / 60
    services = [(row.resource.split("#")[0], (row.at - result.start).total_seconds() / 60 - TRIAGE)
                for row in result.log if row.activity == DESK_ANSWER]
    return result, services, horizon, desk


def test_rota_and_handover():
    """Changping's 7-person three-shift rota plus a two-member night team: services start only inside the
    member's shift, after the handover; staffed and busy minutes and utilisation per line are what the rota
    and the services imply."""
    result, services, horizon, desk = _rota_run()
    lines = {line.name: line for line in desk.rota}

    def windows(line_name: str) -> list[tuple[float, float]]:
        """(start, end) minutes of every shift of the line, from the rota by hand."""
        pattern = lines[line_name].pattern
        out = []
        for d in range(int(horizon // 1440) + 1):
            letter = pattern[d % len(pattern)]
            if letter != "-":
                a, b = desk.shifts[letter].window()
                out.append((d * 1440 + a, d * 1440 + b))
        return out

    assert len(services) == result.posts > 2000
    at_handover_end = 0
    for line_name, start in services:
        inside = [(a, b) for a, b in windows(line_name) if a + HANDOVER - 1e-6 <= start < b]
        assert inside, f"{line_name} started a post at minute {start:.2f}, outside their shifts or in a handover"
        at_handover_end += abs(start - (inside[0][0] + HANDOVER)) < 1e-6
    assert at_handover_end > 20  # posts were waiting when shifts began: the handover was actually tested

    for line_name in lines:
        staffed = lines[line_name].count * sum(max(0.0, min(b, horizon) - a) for a, b in windows(line_name))
        assert result.desk.staffed_by_line[line_name] == pytest.approx(staffed), line_name
        busy = TRIAGE * sum(1 for n, s in services if n == line_name and s < horizon)
        assert result.desk.busy_by_line.get(line_name, 0.0) == pytest.approx(busy), line_name
    assert sum(result.desk.staffed_by_line.values()) == pytest.approx(result.desk.staffed_minutes)
    assert {n for n, _ in services} == set(lines)  # every line worked, the team included
    assert len({row.resource for row in result.log if row.activity == DESK_ANSWER}) == desk.staff
    assert any(s >= horizon for _, s in services)  # posts still queued when arrivals stopped: the drain had work
    # the metrics: per-line utilisation is busy / staffed per line while posts arrive; weighted by staffed
    # time the lines add up to the work started while posts arrive
    m = compute_metrics(result)
    by_line = m["desk_utilisation_by_rota_line"]
    assert set(by_line) == set(lines)
    before = [s for _, s in services if s < horizon]
    weighted = sum(by_line[k] * result.desk.staffed_by_line[k] for k in lines) / result.desk.staffed_minutes
    assert weighted == pytest.approx(TRIAGE * len(before) / result.desk.staffed_minutes)


def test_desk_utilisation_counts_only_work_while_posts_arrive():
    """Regression: the numerator counted triage started during the drain, the denominator did not."""
    result, services, horizon, _ = _rota_run()
    before = [s for _, s in services if s < horizon]
    m = compute_metrics(result)
    # the desk's utilisation is its lines' utilisations weighted by their staffed time
    assert m["desk_utilisation"] == pytest.approx(TRIAGE * len(before) / result.desk.staffed_minutes)


class _PostsAt(_BarePosts):
    """Bare posts at fixed minutes instead of a Poisson stream."""

    MINUTES = (100.0, 200.0, 300.0, 400.0, 500.0)

    def _arrivals(self):  # type: ignore[no-untyped-def]
        for t in self.MINUTES:
            yield self.env.timeout(t - self.env.now)
            self._new_post()
        yield self.env.timeout(1440 - self.env.now)
        self._arrivals_done = True
        self._maybe_done()


def test_the_longest_idle_member_takes_the_next_post():
    """Two members on one round-the-clock shift, posts far enough apart that both are idle at each: the member
    idle longest takes it, so they alternate (first the one listed first, who was ready first)."""
    from simulator.params import with_overrides

    sc, policy, _ = load_run_inputs("scenarios/changping-2014.yaml")
    sc = with_overrides(sc, [("start", "2014-07-01"), ("end", "2014-07-01"), ("arrivals.scripted", []),
                             ("desk", {"staff": 2, "shifts": {"D": {"start": "00:00", "end": "00:00"}},
                                       "rota": [{"name": "甲", "pattern": "D"}, {"name": "乙", "pattern": "D"}],
                                       "handover_minutes": 0, "triage_minutes": {"median": 10, "p90": 10}})])
    sim = _PostsAt(sc, policy, seed=1)
    try:
        result = sim.run()
    finally:
        sim.engine.close()
    takes = [(row.at, row.resource) for row in result.log if row.activity == TAKE]
    assert [r for _, r in takes] == ["甲", "乙", "甲", "乙", "甲"]
    assert [(t - result.start).total_seconds() / 60 for t, _ in takes] == list(_PostsAt.MINUTES)
