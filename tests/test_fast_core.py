"""The fast model core keeps the model's meaning: shortcuts taken for speed never change a result.

- Count polls that cannot change a decision are reported to the engine just before the case's next
  event instead of at their own time; the run is identical to one where every poll is an event.
- Posts outside the payload sample (``platforms.payload_sample``) skip building and parsing their
  payload text; the run is identical whatever the share, and the post built without parsing equals
  the adapter's parse of the payload, field by field.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from engine.adapters import PostAdapter
from simulator import load_run_inputs
from simulator.content import ContentGenerator
from simulator.metrics import compute_metrics
from simulator.model import Simulation
from simulator.params import with_overrides
from simulator.platforms import delivered_post, wechat_message, weibo_status
from tests.peers import assert_same_files, streamed_run

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _run(share: float, seed: int):  # type: ignore[no-untyped-def]
    sc, policy, _ = load_run_inputs("scenarios/golden-week-2014.yaml")
    # more corrupted and redelivered payloads than the scenario has, so both fall in and out of the sample
    sc = with_overrides(sc, [("platforms.payload_sample", share), ("platforms.malformed", 0.05),
                             ("platforms.duplicate_delivery", 0.05)])
    sim = Simulation(sc, policy, seed=seed)
    try:
        return sim.run()
    finally:
        sim.engine.close()


@pytest.mark.parametrize("seed", [1, 2])
def test_results_do_not_depend_on_the_payload_sample(seed: int) -> None:
    full, none, some = _run(1.0, seed), _run(0.0, seed), _run(0.3, seed)
    assert full.posts > 100
    assert full.intake["duplicate"] > 0 and sum(v for k, v in full.intake.items() if k not in ("accepted", "duplicate"))
    for other in (none, some):
        assert compute_metrics(other) == compute_metrics(full)
        assert other.log == full.log
        assert [c.decisions for c in other.cases] == [c.decisions for c in full.cases]
        assert other.intake == full.intake and other.updates_intake == full.updates_intake
    # the sample is a share of the posts, not all or nothing
    assert 0 < sum(c.full_path for c in some.cases) < len(some.cases)
    assert not any(c.full_path for c in none.cases)


def test_a_post_built_without_parsing_equals_the_adapters_parse() -> None:
    import random

    rng = random.Random(5)
    content = ContentGenerator(rng, 5, 0.25)
    adapter = PostAdapter()
    t = datetime(2014, 5, 14, 10, 5, 0, 999_999, tzinfo=SHANGHAI)
    for i in range(400):
        a = content.author()
        text = content.text("环境卫生", "城北街道") if i % 3 else content.consultation("城北街道")
        at = t + timedelta(minutes=rng.uniform(0, 60 * 24 * 400))
        geo = (40.2 + rng.random() / 10, 116.2 + rng.random() / 10) if i % 2 else None
        parsed = adapter.weibo(weibo_status(10**15 + i, at, text, a.handle, a.uid, geo=geo, followers=a.followers))
        assert parsed.post == delivered_post("weibo", 10**15 + i, at, text, a, geo), i
        assert parsed.post.posted_at.utcoffset() == delivered_post("weibo", 1, at, text, a, geo).posted_at.utcoffset()
        parsed = adapter.wechat(wechat_message(10**18 + i, at, text, a.openid))
        assert parsed.post == delivered_post("wechat", 10**18 + i, at, text, a), i


@pytest.mark.parametrize("scenario", ["changping-2014", "hot-event-surge"])
def test_a_case_declared_finished_never_changes_again(scenario: str) -> None:
    """Streaming runs drop a form from memory when the model declares it finished; the declaration must be
    final: the record is the same at the end of the run, no log row for the case comes later, once only."""
    import copy

    sc, policy, _ = load_run_inputs(f"scenarios/{scenario}.yaml")
    sc = with_overrides(sc, [("end", "2014-07-31")]) if scenario == "changping-2014" else sc
    sim = Simulation(sc, policy, seed=3)
    finished: dict[str, tuple[object, object]] = {}

    def finish(rec):  # type: ignore[no-untyped-def]
        assert rec.case_id not in finished, "finished twice"
        assert rec.replied_at is not None and rec.timers == 0
        snapshot = copy.deepcopy(rec)
        snapshot.author = rec.author  # no __eq__: the same citizen
        finished[rec.case_id] = (sim.now(), snapshot)

    sim._finish = finish
    try:
        result = sim.run()
    finally:
        sim.engine.close()
    forms = [c for c in result.cases if c.opened_at is not None]
    assert len(finished) > 0.8 * len(forms)
    for c in forms:
        if c.case_id in finished:
            at, snapshot = finished[c.case_id]
            assert c == snapshot
        else:  # never finished: unanswered, or a timer still pending at the end (cannot happen)
            assert c.replied_at is None
    for row in result.log:
        if row.case_id in finished:
            assert row.at <= finished[row.case_id][0], row


def _switched_run(scenario: str, seed: int, rules: str | None = None, **switches: object):  # type: ignore[no-untyped-def]
    """A run (changping-2014 cut to July–August) with model switches set: (result, simulation)."""
    sc, policy, _ = load_run_inputs(f"scenarios/{scenario}.yaml", rules)
    if scenario == "changping-2014":
        sc = with_overrides(sc, [("end", "2014-08-31")])
    sim = Simulation(sc, policy, seed=seed)
    for name, value in switches.items():
        setattr(sim, name, value)
    try:
        return sim.run(), sim
    finally:
        sim.engine.close()


def _same_run(a, b) -> None:  # type: ignore[no-untyped-def]
    assert compute_metrics(a) == compute_metrics(b)
    assert a.log == b.log  # the 逾期 rows carry the count the engine had: the same
    assert [c.decisions for c in a.cases] == [c.decisions for c in b.cases]
    assert a.drained_at == b.drained_at and a.backlog == b.backlog


EVERY_POLL = {"_repost_thresholds": None}  # every count poll an engine event


@pytest.mark.parametrize("scenario", ["changping-2014", "hot-event-surge"])
def test_polls_reported_late_change_nothing(scenario: str) -> None:
    (lazy, _), (every, _) = _switched_run(scenario, 4), _switched_run(scenario, 4, **EVERY_POLL)
    assert sum(c.hot_at is not None for c in every.cases) >= 3
    _same_run(lazy, every)
    assert lazy.updates_intake == every.updates_intake


def test_repost_thresholds_of_hot_rules() -> None:
    from engine import Policy
    from simulator.model import repost_thresholds

    assert repost_thresholds(Policy.load("rules")) == (500,)


def test_polls_reported_late_change_nothing_for_rules_reading_the_count_on_other_events(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A rule that reads the count on follow-ups sees the same count: polls due are reported first."""
    import shutil

    rules = tmp_path / "rules"
    shutil.copytree("rules", rules, ignore=shutil.ignore_patterns("tests"))
    with (rules / "escalation.yaml").open("a", encoding="utf-8") as f:
        f.write("  - id: follow-up-on-a-spreading-post\n"
                "    when: {event: follow_up_posted, replied: false, reposts: {gte: 30}}\n"
                "    then: {escalate: {to: 区委宣传部, level: 2}}\n")
    (lazy, _), (every, _) = _switched_run("changping-2014", 4, str(rules)), _switched_run("changping-2014", 4, str(rules), **EVERY_POLL)
    assert any(d[2].startswith("follow-up-on-a-spreading-post") for c in every.cases for d in c.decisions)
    _same_run(lazy, every)


@pytest.mark.parametrize(("scenario", "seed"), [("changping-2014", 11), ("hot-event-surge", 3), ("golden-week-2014", 5)])
def test_a_streamed_run_writes_the_same_files_as_the_in_memory_run(scenario: str, seed: int, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Streaming (rows written as the run goes, finished forms dropped from memory) changes no byte."""
    from simulator.metrics import write_run
    from simulator.runner import run_scenario, stream_scenario

    sc, policy, rules_dir = load_run_inputs(f"scenarios/{scenario}.yaml")
    if scenario == "changping-2014":
        sc = with_overrides(sc, [("end", "2014-07-31")])
    result, metrics = run_scenario(sc, policy, rules_dir, seed=seed)
    write_run(result, metrics, tmp_path / "memory")
    streamed = stream_scenario(sc, policy, rules_dir, seed=seed, out_dir=tmp_path / "stream")
    assert streamed.metrics == metrics
    assert sorted(p.name for p in (tmp_path / "stream").iterdir()) == sorted(p.name for p in (tmp_path / "memory").iterdir())
    for name in ("metrics.json", "events.csv", "cases.csv", "backlog.csv", "report-data.json"):
        assert (tmp_path / "stream" / name).read_bytes() == (tmp_path / "memory" / name).read_bytes(), name
    # metrics only: nothing written, the same numbers
    assert stream_scenario(sc, policy, rules_dir, seed=seed).metrics == metrics


def test_timers_dropped_after_the_reply_change_nothing() -> None:
    """After a reply, follow-up timers, superseded reply plans and deadline timers no rule can react to
    (the deadline is met) are dropped; the run is identical to one that lets them all fire."""
    (fast, sim), (slow, _) = _switched_run("changping-2014", 6), _switched_run("changping-2014", 6, _cancel_timers=False)
    _same_run(fast, slow)
    assert sim._may_react and not any(sim._may_react.values())  # shipped rules: a met deadline means nothing


def test_deadline_timers_a_rule_reacts_to_are_kept(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import shutil

    rules = tmp_path / "rules"
    shutil.copytree("rules", rules, ignore=shutil.ignore_patterns("tests"))
    with (rules / "escalation.yaml").open("a", encoding="utf-8") as f:
        f.write("  - id: check-a-not-possible-reply\n"
                "    when: {event: deadline_reached, deadline: reply, reminder: false, met: true, "
                "reply_kind: 条件不具备}\n"
                "    then: {escalate: {to: 区政府办公室, level: 1}}\n")
    (fast, sim), (slow, _) = _switched_run("changping-2014", 6, str(rules)), _switched_run("changping-2014", 6, str(rules), _cancel_timers=False)
    assert any(d[2].startswith("check-a-not-possible-reply") for c in slow.cases for d in c.decisions)
    _same_run(fast, slow)
    assert any(sim._may_react.values()) and not all(sim._may_react.values())


class _EveryTimer(Simulation):
    """The model as it was: a timer for every follow-up a citizen might post, also those the citizen will not."""

    def _start_citizen(self, rec):  # type: ignore[no-untyped-def]
        c = self.sc.citizens
        rng = self.case_rng(rec, "citizen")
        at = rec.opened_at or self.now()
        for _ in range(c.max_follow_ups):
            at = at + timedelta(days=c.follow_up_after_days.sample(rng))
            wants = rng.random() < c.follow_up_probability

            def go(wants: bool = wants) -> None:
                if rec.replied_at is None and wants:
                    self._follow_up(rec)

            self._schedule(at, go, rec, "follow-up")


def test_timers_not_scheduled_leave_the_drain_where_it_was() -> None:
    """Citizens who will not post again get no timer: the run still lasts exactly as long as with one (drain
    time, daily backlog rows), and nothing else changes."""
    sc, policy, _ = load_run_inputs("scenarios/changping-2014.yaml")
    # citizens who rarely post again, late: the run's last moment is one of theirs, not a deadline's or a promise's
    sc = with_overrides(sc, [("end", "2014-07-31"), ("citizens.follow_up_probability", 0.05),
                             ("citizens.follow_up_after_days.median", 40), ("citizens.follow_up_after_days.p90", 80)])
    runs = []
    for cls in (Simulation, _EveryTimer):
        sim = cls(sc, policy, seed=8)
        try:
            runs.append(sim.run())
        finally:
            sim.engine.close()
    noted, timed = runs
    assert noted.drained_at == timed.drained_at and noted.backlog == timed.backlog
    assert noted.drained_at > noted.end + timedelta(days=20)  # the drain is real: weeks of follow-ups
    _same_run(noted, timed)


# -- the per-replication overheads (issue 10: a changping replication in 0.3 s) --------------------------------


class _HourlyTicks(Simulation):
    """The event log told the time at every simulated hour, as before the ticks followed the rows."""

    def stream_to(self, sink):  # type: ignore[no-untyped-def]
        super().stream_to(sink)
        self._emit = sink.log

        def every_hour():  # type: ignore[no-untyped-def]
            while not self.done.triggered:
                yield self.env.timeout(60.0 - self.env.now % 60.0)
                sink.advance(self.now())

        self.env.process(every_hour())


@pytest.mark.parametrize(("scenario", "seed"), [("changping-2014", 4), ("hot-event-surge", 9)])
def test_event_log_told_the_time_after_rows_only_writes_the_same_files(scenario: str, seed: int, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The clock is reported to the event log at the next full hour after a row, not every simulated hour:
    the same files, and the log is still written as the run goes (not all at the end)."""
    sc, policy, rules_dir = load_run_inputs(f"scenarios/{scenario}.yaml")
    if scenario == "changping-2014":
        sc = with_overrides(sc, [("end", "2014-06-30")])
    written = []
    for cls, name in ((Simulation, "rows"), (_HourlyTicks, "hourly")):
        written.append(streamed_run(cls, sc, policy, rules_dir, seed, tmp_path / name)[1])
    assert_same_files(tmp_path / "rows", tmp_path / "hourly")
    (rows_written, pending), (hourly_written, _) = written
    # streamed: by the end of the run, nearly every row is on disk already (a few future rows may wait)
    assert rows_written > 0.95 * hourly_written and pending < 0.05 * (rows_written + pending)


@pytest.mark.parametrize("start", [0, 1, 5, 7, 8, 13])
@pytest.mark.parametrize("n", [0, 1, 3, 8, 9, 40])
def test_keyed_stream_randoms_are_the_stream_s_next_randoms(start: int, n: int) -> None:
    from simulator.streams import case_stream

    a, b = case_stream(3, 17, "comments", 0), case_stream(3, 17, "comments", 0)
    for _ in range(start):
        assert a.random() == b.random()
    assert a.randoms(n) == [b.random() for _ in range(n)]
    assert [a.random() for _ in range(20)] == [b.random() for _ in range(20)]  # and the stream goes on the same


def test_arrival_rates_equal_the_calendar_asked_every_hour() -> None:
    from simulator.model import day_factor

    sc, policy, _ = load_run_inputs("scenarios/golden-week-2014.yaml")  # holidays, weekends, a 调休 make-up day
    sim = Simulation(sc, policy, seed=1)
    try:
        rates = sim.hourly_rates()
        a = sc.arrivals
        share = [x / sum(a.hour_profile) for x in a.hour_profile]
        expected = [a.posts_per_day * share[(sim.t0 + timedelta(hours=h)).hour]
                    * day_factor(a, policy.calendar.day_info((sim.t0 + timedelta(hours=h)).date())) / 60.0
                    for h in range(len(rates))]
        assert len(rates) == 24 * ((sim.t_end - sim.t0).days) and rates == expected
        assert len({r for r in rates}) > 24  # the day factors do differ
    finally:
        sim.engine.close()


def test_weibo_dates_equal_strftime() -> None:
    import random

    from simulator.platforms import weibo_created_at

    rng = random.Random(2)
    for _ in range(2000):
        t = datetime(2014, 1, 1, tzinfo=SHANGHAI) + timedelta(seconds=rng.uniform(0, 3 * 365 * 86400))
        off = t.strftime("%z")
        assert weibo_created_at(t) == t.strftime(f"%a %b %d %H:%M:%S {off} %Y"), t


def test_t_quantiles_equal_scipy_stats() -> None:
    from scipy.stats import t as student_t

    from simulator.stats import t_quantile, welch_ci

    for df in [*range(1, 60), 99, 500, 10_000]:
        for p in (0.5, 0.8, 0.9, 0.95, 0.975, 0.995, 0.05):
            assert t_quantile(p, df) == float(student_t.ppf(p, df)), (p, df)
    from scipy.stats import ttest_ind

    d, lo, hi = welch_ci([1.0, 2.0, 4.0], [2.0, 3.5, 7.0, 8.0])
    ci = ttest_ind([2.0, 3.5, 7.0, 8.0], [1.0, 2.0, 4.0], equal_var=False).confidence_interval(0.95)
    assert (lo, hi) == (pytest.approx(ci.low, rel=1e-12), pytest.approx(ci.high, rel=1e-12))


def test_default_workers_are_the_cpus_at_most_one_per_replication(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import os

    from simulator import replications

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    assert [replications.default_workers(n) for n in (1, 2, 3, 4, 10)] == [1, 2, 3, 4, 4]


def test_a_replication_writes_what_a_single_run_of_its_seed_writes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Replications loaded once before the pool (inputs handed over) write the files a single run of the same
    seed writes, byte for byte."""
    from simulator.replications import run_replications
    from simulator.runner import stream_scenario

    inputs = load_run_inputs("scenarios/golden-week-2014.yaml")
    (tmp_path / "reps").mkdir()
    run_replications("scenarios/golden-week-2014.yaml", None, 30, 2, 1, tmp_path / "reps", inputs=inputs)
    sc, policy, rules_dir = load_run_inputs("scenarios/golden-week-2014.yaml")
    stream_scenario(sc, policy, rules_dir, seed=31, out_dir=tmp_path / "single")
    for name in ("report-data.json", "metrics.json", "events.csv", "cases.csv", "backlog.csv"):
        assert (tmp_path / "reps" / "001" / name).read_bytes() == (tmp_path / "single" / name).read_bytes(), name


def test_weibo_status_text_equals_json_dumps() -> None:
    """The status written into a template is json.dumps' text, for hostile strings and numbers too."""
    import json
    import random

    from simulator.platforms import weibo_created_at, weibo_status

    def reference(sid, t, text, name, uid, reposts, comments, geo, followers):  # type: ignore[no-untyped-def]
        return json.dumps({
            "created_at": weibo_created_at(t), "id": sid, "idstr": str(sid), "mid": str(sid), "text": text,
            "source": '<a href="http://weibo.com/" rel="nofollow">新浪微博</a>', "favorited": False,
            "truncated": False, "user": {"id": uid, "idstr": str(uid), "screen_name": name, "name": name,
                                         "location": "北京 昌平区", "followers_count": followers},
            "reposts_count": reposts, "comments_count": comments, "attitudes_count": 0,
            "geo": {"type": "Point", "coordinates": [geo[0], geo[1]]} if geo else None}, ensure_ascii=False)

    rng = random.Random(3)
    alphabet = 'ab"\\/\n\t\x00\x1f\x7f\u2028é中文😀\ud800%s'
    t0 = datetime(2014, 1, 1, tzinfo=SHANGHAI)
    for i in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        name = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6)))
        geo = (round(rng.uniform(39, 41), 6), round(rng.uniform(115, 117), 6)) if i % 2 else None
        if i % 7 == 0:
            geo = (rng.random() * 1e-7, -rng.random() * 1e20)
        if i % 11 == 0:
            geo = (float("nan"), 1.0)  # not JSON's numbers: json.dumps' own answer
        args = (rng.randint(0, 10**19), t0 + timedelta(seconds=rng.uniform(0, 1e8)), text, name,
                rng.randint(0, 10**10), rng.randint(0, 10**6), rng.randint(0, 99), geo, rng.randint(0, 10**7))
        assert weibo_status(*args) == reference(*args), args
    assert weibo_status(True, t0, "x", "y", 1) == reference(True, t0, "x", "y", 1, 0, 0, None, 0)  # type: ignore[arg-type]


def test_weibo_counts_text_equals_json_dumps() -> None:
    import json
    import random

    from simulator.platforms import weibo_counts

    rng = random.Random(4)
    for n in [0, 1, 1, 2, 3, 17]:
        batch = [(rng.randint(-5, 10**20), rng.randint(-3, 10**9), rng.randint(0, 10**9)) for _ in range(n)]
        assert weibo_counts(batch) == json.dumps([{"id": str(s), "reposts": r, "comments": c, "attitudes": 0}
                                                  for s, r, c in batch])
    odd = [(1, 2.5, 3), (True, 1, 0)]  # not whole numbers: json.dumps itself
    assert weibo_counts(odd) == json.dumps([{"id": str(s), "reposts": r, "comments": c, "attitudes": 0}  # type: ignore[arg-type]
                                            for s, r, c in odd])


def test_replications_take_inputs_the_caller_loaded(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """``wenzheng run`` hands its loaded scenario and policy to the replications: not loaded again, same results."""
    from simulator import replications

    path = "scenarios/golden-week-2014.yaml"
    loaded = load_run_inputs(path)
    expected = replications.run_replications(path, None, 40, 2, 1, None)

    def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("loaded a second time")

    monkeypatch.setattr(replications, "load_run_inputs", refuse)
    assert replications.run_replications(path, None, 40, 2, 1, None, inputs=loaded) == expected
    with_set = replications.run_replications(path, None, 40, 2, 1, None, overrides=[("desk.staff", 5)], inputs=loaded)
    assert with_set != expected and all(r["run"]["seed"] == 40 + i for i, r in enumerate(with_set))


def test_table_key_determines_the_reference_routing() -> None:
    """The true unit is remembered per TableKey (the compared values and which text conditions hold), not per
    text: facts with equal keys must get the same rules from the reference evaluation, and a key must not
    depend on text the rules do not look at."""
    import random

    from engine.compiler import TableKey

    from .test_differential import random_fact, vocabulary

    _, policy, _ = load_run_inputs("scenarios/changping-2014.yaml")
    table = policy.tables["routing"]
    key = TableKey(table)
    assert "text" not in key.fields and key._text.count > 0  # the shipped routing does read the text
    words = vocabulary(policy)
    rng = random.Random(7)
    seen: dict[tuple, list[str]] = {}
    repeats = 0
    for _ in range(3000):
        fact = random_fact(rng, policy, words)
        chosen = [r.id for r in table.evaluate(fact)]
        k = key(fact)
        if k in seen:
            repeats += 1
            assert seen[k] == chosen, (fact, k)
        seen[k] = chosen
        # padding the text with words no rule names changes nothing
        assert key({**fact, "text": "【" + fact["text"] + "】谢谢"}) == k
    assert repeats > 1000  # the key is much coarser than the text: the memo hits
