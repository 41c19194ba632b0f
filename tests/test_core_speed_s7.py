"""Less Python per post (issue 10): each shortcut gives what the plain library call gives, draw for draw.

The peers are the calls the model made before: ``rng.lognormvariate``, ``rng.expovariate``, ``rng.choices``,
``rng.choice``/``randrange``, the OpenID's generator, SimPy's ``Environment.run`` and ``Timeout``, the
calendar walked day by day.  Each test also checks that the random stream is left where the peer leaves it.
"""

from __future__ import annotations

import copy
import math
import random
from bisect import bisect_right
from datetime import UTC, datetime, time, timedelta
from math import log
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from engine.calendar import CalendarError, WorkCalendar
from simulator import load_run_inputs
from simulator.cascade import (
    _INVERSION_MAX,
    GENERATION_MIN,
    _poisson_cdf,
    _poisson_repeated,
    poisson,
)
from simulator.content import (
    _FIRST_ROM,
    _FIRSTS,
    _LAST_CUM,
    _LAST_ROM,
    _LASTS,
    _NICK_ADJ,
    _NICK_AREA,
    _NICK_FAMILY,
    _NICK_NOUN,
    _OPENID_CHARS,
    OPENID_PREFIX,
    PHONE_PREFIXES_2014,
    Author,
    ContentGenerator,
    openid_chars,
)
from simulator.dists import SAMPLE_CAP, Exponential, MedianP90
from simulator.model import Simulation, _weighted_choice
from simulator.params import with_overrides
from simulator.streams import case_stream
from simulator.worktime import advance_working
from tests.peers import assert_same_files, assert_same_model, streamed_run

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _streams(seed: int) -> list[tuple[random.Random, random.Random]]:
    """Twin streams of both kinds the model draws from: a Mersenne Twister and a keyed case stream."""
    return [(random.Random(seed), random.Random(seed)),
            (case_stream(seed, 42, "unit", 0), case_stream(seed, 42, "unit", 0))]


@pytest.mark.parametrize(("median", "p90"), [(2.0, 4.5), (0.5, 0.5), (1, 1000), (30.0, 90.0)])
def test_lognormal_sample_is_lognormvariate_capped(median: float, p90: float) -> None:
    d = MedianP90(median=median, p90=p90)
    mu, sigma = math.log(median), math.log(p90 / median) / 1.2815515655446004
    capped = 0
    for a, b in _streams(7):
        for _ in range(20_000):
            want = min(b.lognormvariate(mu, sigma), SAMPLE_CAP * p90)
            capped += want == SAMPLE_CAP * p90
            assert d.sample(a) == want
        assert a.random() == b.random()  # as many draws
    if p90 == 1000:
        assert capped > 0  # the cap is exercised


@pytest.mark.parametrize("mean", [0.25, 3.0, 1440.0])
def test_exponential_sample_is_expovariate_capped(mean: float) -> None:
    d = Exponential(exponential_mean=mean)
    for a, b in _streams(3):
        for _ in range(20_000):
            assert d.sample(a) == min(b.expovariate(1.0 / mean), SAMPLE_CAP * mean)
        assert a.random() == b.random()


@pytest.mark.parametrize("weights", [{"a": 1.0}, {"x": 0.2, "y": 0.5, "z": 0.3}, {"p": 3, "q": 0, "r": 1},
                                     {str(i): 1.0 / (i + 1) for i in range(40)}])
def test_weighted_choice_is_random_choices(weights: dict[str, float]) -> None:
    for a, b in _streams(11):
        for _ in range(5_000):
            assert _weighted_choice(a, weights) == b.choices(list(weights), list(weights.values()))[0]
        assert a.random() == b.random()


def test_weighted_choice_rejects_what_choices_rejects() -> None:
    with pytest.raises(ValueError):
        _weighted_choice(random.Random(1), {"a": 0.0, "b": 0.0})


def test_openid_chars_are_the_six_bit_digits_lowest_first() -> None:
    rng = random.Random(5)
    n = 28 - len(OPENID_PREFIX)
    for bits in [0, 1, 63, 64, 2 ** (6 * n) - 1] + [rng.getrandbits(6 * n) for _ in range(20_000)]:
        assert openid_chars(bits) == "".join(_OPENID_CHARS[(bits >> (6 * i)) & 63] for i in range(n))


def _user_name_as_before(rng: random.Random) -> str:
    """ContentGenerator._user_name as it was written with random's public methods."""
    shape = rng.randrange(4)
    first, last = rng.choice(_FIRST_ROM).lower(), rng.choice(_LAST_ROM).lower()
    latin = (last + first if shape == 0 else first + last if shape == 1
             else f"{first}{rng.randrange(100):02d}" if shape == 2 else rng.choice("abcdefghijklmnopqrstuvwxyz") + last)
    return latin


def test_authors_are_the_draws_of_random_s_public_methods() -> None:
    for seed in (1, 2):
        a, b = random.Random(seed), random.Random(seed)
        gen = ContentGenerator(a, seed)
        for _ in range(5_000):
            got = gen.author()
            name = b.choices(_LASTS, cum_weights=_LAST_CUM)[0] + b.choice(_FIRSTS)
            latin = _user_name_as_before(b)
            phone = b.choice(PHONE_PREFIXES_2014) + f"{b.randrange(10**8):08d}"
            uid = b.randrange(1_000_000_000, 5_500_000_000)
            bits = b.getrandbits(6 * (28 - len(OPENID_PREFIX)))
            openid = OPENID_PREFIX + "".join(_OPENID_CHARS[(bits >> (6 * i)) & 63]
                                             for i in range(28 - len(OPENID_PREFIX)))
            followers = int(math.exp(b.gauss(4.0, 1.5)))
            shape = b.random()
            if shape < 0.25:
                nick = b.choice(_NICK_AREA) + b.choice("老小") + b.choice(_NICK_FAMILY)
            elif shape < 0.45:
                nick = b.choice(_NICK_ADJ) + b.choice(_NICK_NOUN)
            elif shape < 0.65:
                nick = name + str(b.randrange(1960, 2000))
            elif shape < 0.85:
                nick = latin + "_" + str(b.randrange(10, 1000))
            else:
                nick = f"用户{uid}"
            fields = Author.__slots__
            assert [getattr(got, f) for f in fields] == [name, phone, nick, openid, uid, followers]
        assert a.random() == b.random()


def test_keyed_stream_random_is_the_next_word_s_top_bits() -> None:
    a, b = case_stream(9, 3, "citizen", 2), case_stream(9, 3, "citizen", 2)
    for i in range(100):  # across several 8-word blocks, mixed with the other ways to read words
        if i % 7 == 3:
            assert a.getrandbits(64) == b._next_word()
        assert a.random() == (b._next_word() >> 11) * 2.0**-53


def test_add_working_days_remembered_equals_the_days_walked() -> None:
    cal = WorkCalendar()
    rng = random.Random(4)
    for _ in range(3_000):
        start = datetime(2014, 1, 1, tzinfo=SHANGHAI) + timedelta(minutes=rng.randrange(2 * 365 * 1440))
        n = rng.randrange(0, 25)
        day, counted = start.date(), 0
        while counted < n:  # the calendar walked a day at a time
            day += timedelta(days=1)
            counted += cal.is_workday(day)
        want = datetime.combine(day, cal.close_of_business, tzinfo=SHANGHAI)
        assert cal.add_working_days(start, n) == want
        assert cal.add_working_days(start, n) == want  # the remembered answer
    monday = datetime(2014, 5, 5, 9, tzinfo=SHANGHAI)
    assert cal.add_working_days(monday, 1) == datetime(2014, 5, 6, 17, 30, tzinfo=SHANGHAI)
    cal.close_of_business = time(16, 0)  # part of the key: a changed close of business is not served stale
    assert cal.add_working_days(monday, 1) == datetime(2014, 5, 6, 16, 0, tzinfo=SHANGHAI)


def test_is_workday_outside_the_data_still_names_the_year() -> None:
    cal = WorkCalendar()
    with pytest.raises(CalendarError):
        cal.is_workday(datetime(1990, 1, 1).date())
    assert cal.is_workday(datetime(2014, 10, 11).date())  # a 调休 Saturday
    assert not cal.is_workday(datetime(2014, 10, 1).date())


def _advance_as_before(cal: WorkCalendar, start: datetime, minutes: float, opens: time, closes: time) -> datetime:
    t = cal.local(start)
    remaining = minutes
    tz = t.tzinfo
    for _ in range(3660):
        day = t.date()
        if cal.is_workday(day):
            day_open = datetime.combine(day, opens, tzinfo=tz)
            day_close = datetime.combine(day, closes, tzinfo=tz)
            if t < day_open:
                t = day_open
            if t < day_close:
                available = (day_close - t).total_seconds() / 60.0
                if remaining <= available:
                    return t + timedelta(minutes=remaining)
                remaining -= available
        t = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    raise AssertionError


def test_advance_working_equals_the_localised_walk() -> None:
    cal = WorkCalendar()
    rng = random.Random(8)
    for _ in range(3_000):
        start = datetime(2014, 1, 1, tzinfo=SHANGHAI) + timedelta(minutes=rng.uniform(0, 365 * 1440))
        if rng.random() < 0.3:
            start = start.astimezone(UTC)  # another zone: localised first
        minutes = 0.0 if rng.random() < 0.3 else rng.uniform(0, 10 * 510)
        got = advance_working(cal, start, minutes, time(8, 30), time(17, 0))
        want = _advance_as_before(cal, start, minutes, time(8, 30), time(17, 0))
        assert got == want and got.tzinfo is want.tzinfo


class _SimPyTimeouts(Simulation):
    """The model as it ran before: SimPy's own run loop and a ``Timeout`` per desk and log wake-up."""

    def _call_in(self, delay, fn):  # type: ignore[no-untyped-def]
        self.env.timeout(delay).callbacks.append(fn)

    def _run_until_done(self) -> None:
        self.env.run(until=self.done)


@pytest.mark.parametrize(("scenario", "seed"), [("changping-2014", 3), ("hot-event-surge", 5)])
def test_inlined_run_loop_and_wake_ups_write_the_files_simpy_s_do(scenario: str, seed: int, tmp_path) -> None:  # type: ignore[no-untyped-def]
    sc, policy, rules_dir = load_run_inputs(f"scenarios/{scenario}.yaml")
    if scenario == "changping-2014":
        sc = with_overrides(sc, [("end", "2014-06-30")])
    drained = []
    for cls, name in ((Simulation, "fast"), (_SimPyTimeouts, "simpy")):
        result, _ = streamed_run(cls, sc, policy, rules_dir, seed, tmp_path / name)
        drained.append(result.drained_at)
    assert drained[0] == drained[1]
    assert_same_files(tmp_path / "fast", tmp_path / "simpy")


def _event_values() -> list[tuple[Any, type[Any], dict[str, Any]]]:
    from engine import (
        DeadlineReached,
        FollowUpPosted,
        Post,
        PostReceived,
        ReplyFiled,
        RepostsUpdated,
        StatementIssued,
    )
    from simulator import model

    at = datetime(2014, 5, 6, 10, 30, 15, 250, tzinfo=SHANGHAI)
    post = Post(post_id="weibo-3700000000000000001", channel="weibo", author="回龙观老王", text="路灯坏了\n\"引号\"",
                place="回龙观镇", posted_at=at.replace(microsecond=0), reposts=12)
    return [
        (model._post, Post, dict(post_id="wechat-6000000000000000002", channel="wechat", author="oX7wQabc",
                                 text="噪音扰民", place="城北街道", posted_at=datetime(2014, 5, 6, 2, 0, tzinfo=UTC),
                                 reposts=0)),
        (model._post_received, PostReceived, dict(case_id="C0000001", at=at, post=post)),
        (model._reposts_updated, RepostsUpdated, dict(case_id="C0000001", at=at, reposts=1234)),
        (model._follow_up_posted, FollowUpPosted, dict(case_id="C0000001", at=at, text="还没人管？")),
        (model._follow_up_posted, FollowUpPosted, dict(case_id="C0000001", at=at, text=None)),
        (model._statement_issued, StatementIssued, dict(case_id="C0000001", at=at)),
        (model._reply_filed, ReplyFiled, dict(case_id="C0000001", at=at, reply_kind="近期解决")),
        (model._deadline_reached, DeadlineReached, dict(case_id="C0000001", at=at, deadline="reply", reminder=True)),
    ]


@pytest.mark.parametrize("index", range(8))
def test_positional_events_equal_validated_ones(index: int) -> None:

    make, cls, values = _event_values()[index]
    assert_same_model(make(*values.values()), cls(**values), "case_id")


def test_positional_refuses_what_it_cannot_build() -> None:
    from engine import PostReceived, ReplyFiled
    from simulator.model import positional

    with pytest.raises(TypeError):
        positional(PostReceived, "case_id", "at")  # post is required
    with pytest.raises(TypeError):
        positional(ReplyFiled, "case_id", "at", "kind")  # not a field
    with pytest.raises(TypeError):  # a value missing: an ordinary call's error
        positional(ReplyFiled, "case_id", "at", "reply_kind")("C1", datetime(2014, 1, 1, tzinfo=SHANGHAI))
    with pytest.raises(TypeError):  # one too many
        positional(ReplyFiled, "case_id", "at")("C1", datetime(2014, 1, 1, tzinfo=SHANGHAI), "近期解决")


class _TrueUnitChecked(Simulation):
    """Checks each form's true unit, as the model set it, against the reference routing evaluated afresh."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.checked: list[tuple[bool, str, str]] = []  # (took the engine's routing, model's unit, reference's)

    def _open_case(self, rec, raw) -> None:  # type: ignore[no-untyped-def]
        super()._open_case(rec, raw)
        shortcut = self._route_is_true and rec.true_category == rec.category and rec.place == rec.located_place
        fact = self.engine.cases[rec.case_id].fact("post_received", category=rec.true_category, place=rec.place)
        chosen = self.reference.tables["routing"].evaluate(fact)  # no memo, no key: the table itself
        then = chosen[0].then if chosen else None
        want = "" if then is None else then.unit if then.unit is not None else self.reference.place_owner[rec.place]
        self.checked.append((shortcut, rec.true_unit, want))


@pytest.mark.parametrize(("scenario", "seed"), [("changping-2014", 3), ("understaffed-desk", 7)])
def test_true_unit_from_the_engine_s_routing_is_the_reference_s(scenario: str, seed: int) -> None:
    sc, policy, _ = load_run_inputs(f"scenarios/{scenario}.yaml")
    sc = with_overrides(sc, [("end", str(sc.start + timedelta(days=20)))])
    sim = _TrueUnitChecked(sc, policy, seed=seed)
    try:
        sim.run()
    finally:
        sim.engine.close()
    assert sim._route_is_true  # the scenario's routing tests neither unit nor hot
    shortcut = [c for c in sim.checked if c[0]]
    memo = [c for c in sim.checked if not c[0]]
    assert len(shortcut) > 30 and len(memo) > 5  # both paths taken
    assert {c[1] for c in shortcut} - {""}  # real units
    assert [c[1] for c in sim.checked] == [c[2] for c in sim.checked]


def test_true_unit_shortcut_only_when_the_reference_is_the_policy() -> None:
    sc, policy, _ = load_run_inputs("scenarios/changping-2014.yaml")
    other = copy.copy(policy)  # the same rules, another object: not known to be the policy
    assert Simulation(sc, policy)._route_is_true
    assert Simulation(sc, policy, reference=policy)._route_is_true
    assert not Simulation(sc, policy, reference=other)._route_is_true


def _cascade_before(rng: random.Random, direct: float, decay_minutes: float, branching: float,
                     reaction_minutes: float, horizon_minutes: float, cap: int) -> list[float]:
    """``cascade.hawkes_cascade`` as it was before its loops were tightened (the peer of the test below)."""
    immigrants = poisson(rng, direct)
    if immigrants == 0 or cap <= 0:
        return []
    limit = horizon_minutes
    rnd = rng.random
    times: list[float]  # every repost found so far
    if immigrants > cap:
        # only the earliest cap immigrants can matter (descendants come after their immigrant):
        # the order statistics of iid exponentials have independent spacings Exp(rate·(k - j))
        # (Rényi), so the earliest cap are drawn directly, already sorted
        times, t = [], 0.0
        for j in range(cap):
            t -= decay_minutes * log(1.0 - rnd()) / (immigrants - j)
            if t > limit:
                break
            times.append(t)
        if len(times) == cap:
            limit = t
    else:
        times = [t for t in [-decay_minutes * log(1.0 - rnd()) for _ in range(immigrants)] if t <= limit]
    i = 0  # times[i:] are the reposts whose children are still to be drawn
    if 0 < branching < _INVERSION_MAX:
        # repost by repost, breadth first, the number of children by inversion with one uniform
        # (the cached partial sums of Poisson(branching)), until the cascade is done or enough
        # reposts wait for their children to draw them a generation at a time
        cdf = _poisson_cdf(branching)
        while i < len(times) and len(times) - i < GENERATION_MIN and len(times) <= cap:
            t = times[i]
            i += 1
            for _ in range(bisect_right(cdf, rnd())):
                x = t - reaction_minutes * log(1.0 - rnd())
                if x <= limit:
                    times.append(x)
        if i == len(times) and i <= cap:  # done: most cascades end here
            times.sort()
            return times
    frontier = times[i:]
    while True:
        if len(times) > cap:
            # keep the earliest cap; later reposts and their descendants can no longer enter
            times.sort()
            del times[cap:]
            limit = times[-1]
            frontier = [t for t in frontier if t <= limit]
        m = len(frontier)
        if m == 0 or branching <= 0:
            break
        children = _poisson_repeated(rng, branching * m)
        # each child's parent is uniform among the generation (int(m·u) <= m - 1 for u < 1 in
        # round-to-nearest arithmetic), its delay exponential
        frontier = [t for t in [frontier[int(m * rnd())] - reaction_minutes * log(1.0 - rnd())
                                for _ in range(children)] if t <= limit]
        times += frontier
    times.sort()
    return times


@pytest.mark.parametrize("cap", [1, 3, 47, 48, 49, 200, 2_000])
@pytest.mark.parametrize("branching", [0.0, 0.5, 0.95, 3.0, 12.0])
def test_cascade_is_the_loop_it_was_draw_for_draw(cap: int, branching: float) -> None:
    from simulator.cascade import hawkes_cascade

    a, b = random.Random(cap * 7 + int(branching * 100)), random.Random(cap * 7 + int(branching * 100))
    sizes = set()
    for i in range(120):
        direct = (0.3, 2.0, 20.0, 45.0, 60.0, 300.0)[i % 6] * (1 + (i % 5) / 10)
        horizon = (1440.0, 30.0)[i % 2]
        got = hawkes_cascade(a, direct, 40.0, branching, 20.0, horizon, cap)
        assert got == _cascade_before(b, direct, 40.0, branching, 20.0, horizon, cap)
        sizes.add(len(got))
    assert a.random() == b.random()  # as many draws
    assert len(sizes) >= 2 and max(sizes) <= cap  # not all empty, never above the cap


def test_rows_reach_a_sink_s_targets_or_its_own_log(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The model hands rows to RunSink's targets itself; a sink whose ``log`` is its own still gets every row."""
    from simulator.stream import RunSink

    class Counting(RunSink):
        def log(self, row):  # type: ignore[no-untyped-def]
            self.seen = getattr(self, "seen", 0) + 1
            super().log(row)

    sc, policy, _ = load_run_inputs("scenarios/changping-2014.yaml")
    sc = with_overrides(sc, [("end", str(sc.start + timedelta(days=10)))])
    files = []
    for cls in (RunSink, Counting):
        sim = Simulation(sc, policy, seed=4)
        sink = cls(policy.calendar, sim.t0, sim.t_end, out_dir=tmp_path / cls.__name__)
        sim.stream_to(sink)
        assert (sim._emit == sim._log_streamed) is (cls is Counting)
        try:
            result = sim.run()
        finally:
            sim.engine.close()
        sink.finish(scenario_name="x", seed=4, drained_at=result.drained_at, posts=result.posts, desk=result.desk,
                    backlog=result.backlog, intake=result.intake)
        sink.close(report=False)
        files.append([(tmp_path / cls.__name__ / n).read_bytes() for n in ("events.csv", "metrics.json")])
    assert files[0] == files[1]
    assert sink.seen == files[1][0].count(b"\n") - 1 > 200  # every row but the header, through its log


# -- round 3: the event log's rows inline, timedeltas by position ------------------------------------------------


def test_event_log_rows_are_event_fields_of_each_row(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """``EventLogWriter._write`` builds each row inline: the file holds ``event_fields(row)`` for every row (hand
    made rows with every optional column, shared and distinct times, another zone and a fold), in order."""
    import csv

    from simulator.model import COLLECT, LogRow
    from simulator.stream import EventLogWriter, event_fields

    t0 = datetime(2014, 5, 14, 8, 0, 0, 250, tzinfo=SHANGHAI)
    ny = ZoneInfo("America/New_York")
    fold0 = datetime(2014, 11, 2, 1, 30, tzinfo=ny)
    due, remind = t0 + timedelta(days=7, hours=9), t0 + timedelta(days=5, hours=9)
    rows = [
        LogRow("C0000001", COLLECT, t0, "desk", "", ""),
        LogRow("C0000001", "设定时限", t0, "policy", "城北街道", "噪音", rule="r,1", deadline="reply", due=due,
               remind_at=remind, points=1.5, reposts=120, merged_post="C0000002"),
        LogRow("C0000002", "扣分", t0.astimezone(UTC), "policy", "城北街道", "噪音", points=2.0),  # equal, another zone
        LogRow("C0000003", "逾期", t0 + timedelta(minutes=1), "policy", "城\"北\n", "噪音", deadline="reply", due=due,
               reposts=0),
        LogRow("C0000004", COLLECT, fold0, "desk", "", ""),
        LogRow("C0000004", COLLECT, fold0.replace(fold=1), "desk", "", ""),  # equal wall time, other offset
        LogRow("C0000005", "设定时限", t0 + timedelta(minutes=2), "policy", "u", "c", due=due.astimezone(UTC),
               remind_at=remind),
    ]
    path = tmp_path / "events.csv"
    w = EventLogWriter(path)
    for r in rows:
        w.add(r)
    w.close()
    with path.open(encoding="utf-8", newline="") as f:
        written = [tuple(r) for r in csv.reader(f)][1:]
    # the writer orders rows by (at, case_id, insertion): the same sort of the hand-made rows
    expected = [event_fields(r) for _, _, r in sorted(((r.at, r.case_id, i), i, r) for i, r in enumerate(rows))]
    assert written == [tuple(str(x) for x in e) for e in expected]
    assert written[-3][2] != written[-2][2]  # the fold: another text for an equal wall time


def test_timedelta_by_position_is_the_keyword_s() -> None:
    """``timedelta(0, 0, 0, 0, m)`` (Simulation.now, the statement due) is ``timedelta(minutes=m)`` and
    ``timedelta(d)`` is ``timedelta(days=d)``, rounding included, for floats of every size."""
    rng = random.Random(5)
    for _ in range(20_000):
        x = rng.random() * rng.choice([1e-6, 1.0, 60.0, 1440.0, 1e5, 1e6])
        assert timedelta(0, 0, 0, 0, x) == timedelta(minutes=x)
        assert timedelta(x) == timedelta(days=x)
    sim_t0 = datetime(2014, 5, 1, tzinfo=SHANGHAI)
    assert sim_t0 + timedelta(0, 0, 0, 0, 5e-9) == sim_t0  # 0.3 us rounds down
    assert sim_t0 + timedelta(0, 0, 0, 0, 1e-8) == sim_t0 + timedelta(microseconds=1)  # 0.6 us rounds up
    assert sim_t0 + timedelta(0, 0, 0, 0, 8.3e-6) == sim_t0 + timedelta(microseconds=498)
    assert sim_t0 + timedelta(0, 0, 0, 0, 1 / 60) == sim_t0 + timedelta(seconds=1)
