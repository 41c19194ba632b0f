"""The traffic drawn in a second process (``simulator.ahead``): the same run, byte for byte.

Oracles: the run that draws its traffic itself (files, and every payload the platform sends, in order); the
run's own traffic streams, which must not move when the child draws them; the child's end in every way a
run can end.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from simulator.ahead import Ahead, AheadFailed, second_core
from simulator.model import Simulation
from simulator.runner import load_run_inputs, stream_scenario
from tests.peers import assert_same_files, streamed_run

from .conftest import ROOT

pytestmark = pytest.mark.skipif(not second_core(), reason="needs a second core and fork")

STREAMS = ("arrivals", "content", "reposts", "platform")
#: in a run that simulates its desk in the child too (nothing observes the payloads as they are sent)
DESK_STREAMS = (*STREAMS, "desk")


def _inputs(name: str) -> tuple[Any, Any, Path]:
    return load_run_inputs(ROOT / "scenarios" / f"{name}.yaml", None, False)


def _tapped(ahead: bool, taps: list[tuple[str, str, str]]) -> type[Simulation]:
    class Tapped(Simulation):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, tap=lambda *t: taps.append(t), **kwargs)
            self.draw_ahead = ahead

    return Tapped


@pytest.mark.parametrize("name, seed", [("changping-2014", 2014), ("silent-bureau", 7), ("golden-week-2014", 3)])
def test_traffic_drawn_ahead_is_the_traffic_drawn_in_the_run(name: str, seed: int, tmp_path: Path) -> None:
    """Every file, and every payload sent (a tap makes every post take the full JSON/XML path, so the child
    builds and corrupts payloads too), is the same; the run's own traffic streams never moved."""
    sc, policy, rules_dir = _inputs(name)
    assert not sc.arrivals.scripted
    taps_here: list[tuple[str, str, str]] = []
    taps_ahead: list[tuple[str, str, str]] = []
    here, _ = streamed_run(_tapped(False, taps_here), sc, policy, rules_dir, seed, tmp_path / "here")
    ahead, _ = streamed_run(_tapped(True, taps_ahead), sc, policy, rules_dir, seed, tmp_path / "ahead")
    assert_same_files(tmp_path / "here", tmp_path / "ahead")
    assert taps_ahead == taps_here and len(taps_here) > ahead.posts
    assert ahead.intake == here.intake and ahead.updates_intake == here.updates_intake
    assert here.intake["duplicate"] > 0 and len(here.intake) > 2, here.intake  # redeliveries and rejections


def test_the_child_draws_and_the_run_does_not(tmp_path: Path) -> None:
    sc, policy, rules_dir = _inputs("silent-bureau")

    class Watched(Simulation):
        def run(self) -> Any:
            self.draw_ahead = True
            result = super().run()
            assert self._ahead is not None
            for purpose in DESK_STREAMS:  # untouched: still the state they were seeded with
                assert getattr(self, f"rng_{purpose}").getstate() == random.Random(f"{self.seed}/{purpose}").getstate()
            return result

    result, _ = streamed_run(Watched, sc, policy, rules_dir, 11, tmp_path)
    assert result.posts > 100
    assert multiprocessing.active_children() == []  # reaped


_TAKEN: list[str] = []  # posts the desk took in this process


def _desk(ahead: bool) -> type[Simulation]:
    class Desk(Simulation):
        WAITS_CHUNK = 97  # the desk's waiting times sent in many pieces

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.draw_ahead = ahead

        def _take(self, s: Any, item: tuple[Any, ...]) -> None:
            _TAKEN.append(item[0].case_id)
            super()._take(s, item)

    return Desk


def _staffed(by_line: dict[str, float]) -> dict[str, float]:
    """The lines with staffed minutes (a shift that begins once nothing can reach the desk adds a line with
    none, and only while the run goes on: metrics.json leaves such lines out)."""
    return {k: v for k, v in by_line.items() if v}


@pytest.mark.parametrize("name, seed, overrides", [
    ("changping-2014", 2014, []),
    ("understaffed-desk", 5, []),  # posts queue at the desk
    ("silent-bureau", 7, [("units.default.capacity", 1)]),  # units' slots: SimPy's own events between the desk's
    ("golden-week-2014", 3, [("desk.handover_minutes", 0), ("platforms.payload_sample", 1.0)]),
    # no form: the run ends when the desk has answered the last post, after the arrivals have stopped
    ("understaffed-desk", 2, [("arrivals.actionable_share", 0.0), ("desk.triage_minutes.median", 600),
                              ("desk.triage_minutes.p90", 900)]),
])
def test_the_desk_simulated_ahead_is_the_desk_of_the_run(name: str, seed: int, overrides: list[tuple[str, Any]],
                                                        tmp_path: Path) -> None:
    """Without a tap the child simulates the arrivals and the duty desk too (``Simulation.desk_traffic``): the
    run takes each post from it at the moment the desk has read it.  Every file, the desk's statistics, the
    posts and the adapters' counts are those of the run that simulates its desk itself, and the desk did not
    run in the run's process."""
    from simulator.params import with_overrides

    sc, policy, rules_dir = _inputs(name)
    sc = with_overrides(sc, overrides)
    _TAKEN.clear()
    here, _ = streamed_run(_desk(False), sc, policy, rules_dir, seed, tmp_path / "here")
    assert len(_TAKEN) == here.posts - here.intake.get("bad_json", 0) - here.intake.get("bad_xml", 0) > 100
    _TAKEN.clear()
    ahead, _ = streamed_run(_desk(True), sc, policy, rules_dir, seed, tmp_path / "ahead")
    assert _TAKEN == []  # the desk ran in the child
    assert_same_files(tmp_path / "here", tmp_path / "ahead")
    assert (ahead.posts, ahead.drained_at, ahead.intake, ahead.updates_intake) == \
        (here.posts, here.drained_at, here.intake, here.updates_intake)
    a, h = ahead.desk, here.desk
    assert (list(a.waits_minutes), a.busy_minutes, a.staffed_minutes, a.answered_directly, a.merged,
            a.busy_by_line, _staffed(a.staffed_by_line)) == \
        (list(h.waits_minutes), h.busy_minutes, h.staffed_minutes, h.answered_directly, h.merged,
         h.busy_by_line, _staffed(h.staffed_by_line))
    assert h.answered_directly > 0 and h.staffed_minutes > 0
    if not sc.arrivals.actionable_share:
        assert here.drained_at > here.end


def _record(rec: Any) -> dict[str, Any]:
    from dataclasses import fields

    out = {f.name: getattr(rec, f.name) for f in fields(rec)}
    out["author"] = rec.author.__reduce__() if rec.author is not None else None
    out["cancellable"] = [(t.at, t.tag) for t in rec.cancellable or ()]
    return out


def test_the_desk_simulated_ahead_feeds_runs_in_memory_and_without_files(tmp_path: Path) -> None:
    """The desk's rows reach a run without a streaming event log as ``LogRow``s (kept in memory), and a
    streaming run without files gets only the posts counted by day and hour: the same files from the
    in-memory run, the same metrics (posts per day and hour included) from the one without files."""
    from simulator.metrics import compute_metrics, write_run

    sc, policy, rules_dir = _inputs("understaffed-desk")
    results = []
    for ahead in (False, True):
        _TAKEN.clear()
        sim = _desk(ahead)(sc, policy, seed=4)
        try:
            result = sim.run()
        finally:
            sim.engine.close()
        assert (_TAKEN == []) is ahead
        write_run(result, compute_metrics(result), tmp_path / str(ahead), report=True)
        results.append(result)
    assert_same_files(tmp_path / "False", tmp_path / "True")
    # every field of every record, as the run's own desk left it (authors and timers compared by what they hold)
    assert [_record(c) for c in results[0].cases] == [_record(c) for c in results[1].cases]
    assert sorted(results[0].log, key=lambda r: (r.at, r.case_id)) == \
        sorted(results[1].log, key=lambda r: (r.at, r.case_id))
    streamed = [stream_scenario(sc, policy, rules_dir, seed=4, ahead=ahead).sink for ahead in (False, True)]
    assert streamed[0].acc.posts_per_hour == streamed[1].acc.posts_per_hour and \
        sum(streamed[1].acc.posts_per_day.values()) > 300
    assert streamed[0].metrics == streamed[1].metrics


def test_the_desk_is_simulated_ahead_only_where_nothing_can_tell() -> None:
    """Not with a tap or ``on_event`` (they would see payloads and events in another order), not when the
    arrivals stop at a moment that is not the horizon (a half-hour clock change), not unless asked."""
    sc, policy, _ = _inputs("changping-2014")

    def desk_ahead(**kwargs: Any) -> bool:
        sim = Simulation(sc, policy, seed=1, **kwargs)
        sim.draw_ahead = True
        try:
            return sim._desk_ahead()
        finally:
            sim.engine.close()

    assert desk_ahead()
    assert not desk_ahead(tap=lambda *t: None)
    assert not desk_ahead(on_event=lambda e, d: None)
    sim = Simulation(sc, policy, seed=1)
    try:
        assert not sim._desk_ahead()  # not asked
        sim.draw_ahead = True
        sim._horizon += 30.0
        assert not sim._desk_ahead()
    finally:
        sim.engine.close()


def test_a_row_the_desk_does_not_write_is_refused_in_the_child(tmp_path: Path) -> None:
    """The child sends only the platform's and the desk's rows (no unit, category or rule), at their moment: a
    row it should not have written is an error in the run, not a row in the wrong place."""
    from simulator.model import LogRow

    sc, policy, rules_dir = _inputs("silent-bureau")

    class Wrong(_desk(True)):  # type: ignore[misc, valid-type]
        def _take(self, s: Any, item: tuple[Any, ...]) -> None:
            self._emit(LogRow(item[0].case_id, "开始研判", self.now(), s.name, "城北街道", ""))
            super()._take(s, item)

    with pytest.raises(AheadFailed, match="not a desk row"):
        streamed_run(Wrong, sc, policy, rules_dir, 3, tmp_path)


def test_a_scenario_with_scripted_posts_draws_in_the_run(tmp_path: Path) -> None:
    """Scripted posts draw from the same streams at their own moments: such a run never forks (and is the same)."""
    sc, policy, rules_dir = _inputs("hot-event-surge")
    assert sc.arrivals.scripted
    a = stream_scenario(sc, policy, rules_dir, seed=5, out_dir=tmp_path / "a", report=False, ahead=True)
    b = stream_scenario(sc, policy, rules_dir, seed=5, out_dir=tmp_path / "b", report=False)
    assert_same_files(tmp_path / "a", tmp_path / "b")
    assert a.metrics == b.metrics


def test_the_command_line_run_draws_ahead(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from wenzheng.cli import main

    seen: list[bool] = []
    real = Simulation.run

    def run(self: Simulation) -> Any:
        seen.append(self.draw_ahead)
        return real(self)

    monkeypatch.setattr(Simulation, "run", run)
    short = str(ROOT / "tests" / "data" / "short.yaml")
    assert main(["run", short, "--out", str(tmp_path / "r"), "--quiet"]) == 0
    assert main(["run", short, "--out", str(tmp_path / "r2"), "--quiet", "--workers", "2"]) == 0
    assert main(["run", short, "--out", str(tmp_path / "r1"), "--quiet", "--workers", "1"]) == 0  # one process
    assert seen == [True, True, False]


# ---- the child process ---------------------------------------------------------------------------------------

def _numbers(n: int) -> Iterator[int]:
    yield from range(n)


def _fails_after(n: int) -> Iterator[int]:
    yield from range(n)
    raise ValueError("drawn wrong")


def _forever() -> Iterator[bytes]:
    while True:
        yield b"x" * 10_000


def test_items_arrive_in_order_across_batches() -> None:
    with Ahead(lambda: _numbers(10_000), batch=7) as feed:
        assert list(feed) == list(range(10_000))


_SHARED = ["the same object every time"]


def _same_object(n: int) -> Iterator[list[str]]:
    for _ in range(n):
        yield _SHARED


def test_each_batch_is_a_pickle_of_its_own() -> None:
    """Within a batch pickle keeps shared objects shared; across batches nothing may be remembered (a pickler's
    memo kept across batches would hold every item ever sent alive, in both processes)."""
    with Ahead(lambda: _same_object(6), batch=3) as feed:
        got = list(feed)
    assert got == [_SHARED] * 6
    assert got[0] is got[1] is got[2] and got[3] is got[4] is got[5] and got[2] is not got[3]


def test_a_failure_in_the_child_is_raised_in_the_run_with_its_traceback() -> None:
    with Ahead(lambda: _fails_after(1_000), batch=100) as feed:
        got = []
        with pytest.raises(AheadFailed, match=r"(?s)ValueError: drawn wrong"):
            for x in feed:
                got.append(x)
    assert got == list(range(1_000))


def test_a_child_that_vanishes_is_an_error_not_a_short_run() -> None:
    feed = Ahead(_forever, batch=1)
    items = iter(feed)
    next(items)
    os.kill(feed._proc.pid, signal.SIGKILL)
    with pytest.raises(AheadFailed, match="ended early"):
        for _ in items:
            pass
    feed.close()


def test_a_child_that_dies_in_the_middle_of_a_batch_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression (CI): killed while writing, the child left part of a pickle in the pipe, and the run raised
    pickle's "pickle data was truncated" instead of saying the traffic process had ended.  Here the child
    (forked after the patch) writes half of its first batch and dies."""
    import pickle

    whole = pickle.dumps

    def half(obj: Any, file: Any, protocol: Any = None) -> None:
        data = whole(obj, protocol)
        file.write(data[: len(data) // 2])
        file.flush()
        os._exit(9)

    monkeypatch.setattr(pickle, "dump", half)
    with Ahead(lambda: _numbers(1_000), batch=500) as feed, \
            pytest.raises(AheadFailed, match=r"ended early \(exit code 9\)"):
        list(feed)


def test_closing_early_stops_a_child_that_waits_on_a_full_pipe() -> None:
    feed = Ahead(_forever, batch=1)
    next(iter(feed))
    time.sleep(0.2)  # the child fills the pipe and waits
    assert feed._proc.is_alive()
    feed.close()
    assert not feed._proc.is_alive() and multiprocessing.active_children() == []


def test_a_run_stopped_midway_leaves_no_child(tmp_path: Path) -> None:
    """Ctrl-C in the middle of a run: the run's cleanup stops the child (it ignores SIGINT itself)."""
    sc, policy, rules_dir = _inputs("silent-bureau")
    calls = []

    def progress(f: float) -> None:
        calls.append(f)
        if len(calls) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        stream_scenario(sc, policy, rules_dir, seed=1, out_dir=tmp_path, report=False, ahead=True, progress=progress)
    assert multiprocessing.active_children() == []


def test_the_traffic_process_is_forked_with_the_run_s_objects_frozen(tmp_path: Path) -> None:
    import gc

    sc, policy, rules_dir = _inputs("silent-bureau")
    seen = tmp_path / "freeze"

    class Recorded(Simulation):
        def traffic(self) -> Any:  # runs in the child (a run with a tap)
            seen.write_text(str(gc.get_freeze_count()), encoding="utf-8")
            yield from super().traffic()

        def desk_traffic(self) -> Any:  # runs in the child (this run)
            seen.write_text(str(gc.get_freeze_count()), encoding="utf-8")
            yield from super().desk_traffic()

        def run(self) -> Any:
            self.draw_ahead = True
            return super().run()

    before = gc.get_freeze_count()
    streamed_run(Recorded, sc, policy, rules_dir, 3, tmp_path / "r")
    assert int(seen.read_text(encoding="utf-8")) > 1000 and gc.get_freeze_count() == before


def test_the_adapter_s_post_crosses_to_the_run_as_it_was() -> None:
    """The traffic process sends a post's values (and its fields-set where it is not every field); the run
    rebuilds it: the same model in every way pydantic shows, for posts built directly, parsed from a Weibo
    status and a WeChat message, and made with fields left to their defaults."""
    from datetime import datetime, timedelta, timezone

    from engine.adapters import PostAdapter, RawPost
    from simulator.content import Author
    from simulator.model import _post_from_state, _post_state
    from simulator.platforms import delivered_post, wechat_message, weibo_status
    from tests.peers import assert_same_model

    at = datetime(2014, 5, 14, 8, 30, 15, 250_000, tzinfo=timezone(timedelta(hours=8)))
    who = Author("王伟", "13800000000", "回龙观老王", "oABCDEFGHIJKLMNOPQRSTUVW", 1_234_567_890, 42)
    adapter = PostAdapter()
    posts = [
        delivered_post("weibo", 3_700_000_000_000_001, at, "小区垃圾没人清运", who, (40.07, 116.31)),
        delivered_post("wechat", 6_000_000_000_000_000_002, at, "路灯坏了", who),
        adapter.weibo(weibo_status(3_700_000_000_000_003, at, "暖气不热", who.handle, who.uid, geo=(40.1, 116.2),
                                   followers=who.followers)).post,
        adapter.wechat(wechat_message(6_000_000_000_000_000_004, at, "噪音扰民", who.openid)).post,
        RawPost(post_id="weibo-5", channel="weibo", author="a", author_id="1", text="t", posted_at=at),
    ]
    assert posts[-1].model_fields_set != set(RawPost.model_fields)  # one with defaults left unset
    for post in posts:
        assert post is not None
        assert_same_model(_post_from_state(_post_state(post)), post, "text")
    assert _post_from_state(_post_state(None)) is None


def _freeze_count_once() -> Iterator[int]:
    import gc

    yield gc.get_freeze_count()


def test_ahead_forks_its_child_with_this_process_s_objects_frozen() -> None:
    import gc

    assert gc.get_freeze_count() == 0
    with Ahead(_freeze_count_once) as feed:
        (count,) = list(feed)
    assert count > 1000 and gc.get_freeze_count() == 0
