"""Open forms parked on disk (simulator/parking.py): the same run whatever the number of forms kept in memory.

The oracles: a run that parks is byte for byte the run that does not (every result file), for scenarios
whose forms wait for units, merge into parked forms and carry cancellable timers; the packed wake-up keys
order exactly as SimPy's (time, priority, sequence) tuples; stored forms come back equal, also after the
file is rewritten.
"""

from __future__ import annotations

import math
import os
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.model import Simulation, _Timer
from simulator.parking import ParkingLot, pack_key, release_free_memory, unpack_key
from simulator.runner import load_run_inputs
from simulator.stream import RunSink
from tests.peers import assert_same_files, streamed_run

ROOT = Path(__file__).resolve().parents[1]

times = st.floats(min_value=0.0, max_value=1e9, allow_nan=False, allow_infinity=False)
keys = st.tuples(times, st.integers(0, 1), st.integers(0, 2**48 - 1), st.integers(0, 2**32 - 1))


@given(keys, keys)
def test_packed_keys_order_as_simpy_tuples(a: tuple[float, int, int, int], b: tuple[float, int, int, int]) -> None:
    assert (pack_key(*a) < pack_key(*b)) == (a[:3] < b[:3] or (a[:3] == b[:3] and a[3] < b[3]))
    assert unpack_key(pack_key(*a)) == a


def test_packed_key_rejects_what_it_cannot_hold() -> None:
    for bad in [(-1.0, 1, 0, 0), (float("nan"), 1, 0, 0), (0.0, 4, 0, 0), (0.0, 1, 2**48, 0), (0.0, 1, 0, 2**32)]:
        with pytest.raises(ValueError):
            pack_key(*bad)
    assert unpack_key(pack_key(-0.0, 1, 5, 7)) == (0.0, 1, 5, 7)


class _Owner:
    def method(self) -> str:
        return "called"


def test_lot_stores_and_returns_objects_with_the_owner_by_reference(tmp_path: Path) -> None:
    owner = _Owner()
    lot = ParkingLot(owner, str(tmp_path), compact_above=0)
    rng = random.Random(3)
    stored: dict[int, Any] = {}
    for i in range(300):
        obj = {"i": i, "blob": bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400))),
               "act": owner.method}
        stored[lot.put(obj, (float(rng.randrange(1000)), 1, i), label=10_000 + i)] = obj
        if i % 3 != 0:  # take most back as we go: slots are reused and the file is rewritten
            token = rng.choice(sorted(stored))
            got = lot.take(token)
            want = stored.pop(token)
            assert got["i"] == want["i"] and got["blob"] == want["blob"]
            assert got["act"].__self__ is owner and got["act"]() == "called"
    assert lot.compactions > 0
    assert sorted(lot.slots()) == sorted(lot.slot_of(t) for t in stored) and lot.count == len(stored)
    for token, want in stored.items():
        assert any(k is token for k in lot.heap)  # the token is the wake-up key itself, not a copy
        assert lot.label(token) == lot.label(lot.slot_of(token)) == 10_000 + want["i"]
        assert lot.take(token)["blob"] == want["blob"]
    assert lot.count == 0 and not list(lot.slots())
    with pytest.raises(KeyError):
        lot.take(0)
    lot.close()
    assert os.listdir(tmp_path) == []  # an unlinked file: nothing left behind, even after a crash


def test_lot_wakes_forms_in_key_order_and_skips_stale_keys(tmp_path: Path) -> None:
    lot = ParkingLot(_Owner(), str(tmp_path))
    a = lot.put("a", (5.0, 1, 2))
    b = lot.put("b", (5.0, 1, 1))
    c = lot.put("c", (4.0, 1, 9))
    d = lot.put("d", None)  # no timer: only take brings it back (its token is its slot)
    assert d == lot.slot_of(d) == 3 and lot.slot_of(c) == 2
    assert lot.next_wake() == 4.0
    assert lot.due_before(4.0, 1, 10) and not lot.due_before(4.0, 1, 8) and not lot.due_before(3.5, 1, 99)
    assert lot.due_before(4.0, 2, 0) and not lot.due_before(4.0, 0, 99)  # priority before sequence, as SimPy
    assert lot.take(b) == "b"  # taken before its time: its key goes stale
    assert lot.pop_wake() == c
    assert lot.pop_wake() == -1  # b's stale key
    assert lot.pop_wake() == a
    assert lot.next_wake() == float("inf")


def _inputs(name: str) -> tuple[Any, Any, Path]:
    return load_run_inputs(ROOT / "scenarios" / f"{name}.yaml", None, False)


class _Parking(Simulation):
    """Parks beyond ``RESIDENT`` open forms and records what the parking did."""

    RESIDENT = 3
    max_resident = 0
    over_bound = 0

    def stream_to(self, sink: RunSink) -> None:
        super().stream_to(sink)
        self.park_beyond(self.RESIDENT)
        lot = self.parking
        assert lot is not None
        pop = lot.pop_wake

        def pop_in_order() -> int:
            # a form comes back only when its first timer's whole key comes before the queue's next event: of
            # forms due at the same moment, one at a time between that moment's events, never all at once
            queue = self.env._queue
            assert not queue or unpack_key(lot.heap[0])[:3] < queue[0][:3]
            return pop()

        lot.pop_wake = pop_in_order  # type: ignore[method-assign]

    def _park_batch(self, keep: int, head: float) -> None:
        before = len(self.cases)
        super()._park_batch(keep, head)
        if len(self.cases) < before:  # a batch ran: cancelled timers left the queue with the parked forms'
            assert not [e for e in self.env._queue if isinstance(e[3], _Timer) and e[3].rec is None]

    def _between_events(self) -> None:
        super()._between_events()
        type(self).max_resident = max(type(self).max_resident, len(self.cases))
        # the desk's lists of open forms by problem: a parked form stands there as its token, the lot's key
        # for it (or its slot if it has none), never a key that has left the heap (a form back in memory)
        lot = self._lot
        assert lot is not None
        keys = set(lot.heap)
        tokens = [(case_id, c) for same in self._open_by_problem.values() for case_id, c in same.items()
                  if isinstance(c, int)]
        assert len({lot.slot_of(token) for _, token in tokens}) == len(tokens)
        for case_id, token in tokens:
            assert lot._length[lot.slot_of(token)] != 0 and (token == lot.slot_of(token) or token in keys)
            assert lot.label(token) == int(case_id[1:])  # the form parked in that slot is this case's
        for same in self._open_by_problem.values():  # a form in memory stands as itself, under its case id,
            assert all(c.case_id == case_id and self.cases[case_id] is c and c.replied_at is None  # unanswered
                       for case_id, c in same.items() if not isinstance(c, int))
        if len(self.cases) > self._room():
            # over the bound only with forms that cannot leave: due at the next event's time, or holding or
            # waiting for a unit's capacity (timers it has that are not in the queue as _Timers)
            queue = self.env._queue
            head = queue[0][0]
            first: dict[str, float] = {}
            count: dict[str, int] = {}
            for at, _, _, ev in queue:
                if isinstance(ev, _Timer) and ev.rec is not None:
                    cid = ev.rec.case_id
                    first[cid] = min(first.get(cid, at), at)
                    count[cid] = count.get(cid, 0) + 1
            for cid, rec in self.cases.items():
                assert first.get(cid, math.inf) <= head or rec.slot is not None or rec.timers != count.get(cid, 0)
            type(self).over_bound += 1


@pytest.mark.parametrize("name,seed,resident", [
    ("changping-2014", 7, 3), ("silent-bureau", 1, 3), ("hot-event-surge", 3, 3), ("understaffed-desk", 2, 3),
    # a bound of 1 or 2 parks the form whose timer is next but one: a batch that drops cancelled timers from the
    # head of the queue must bring back a form due before the new head (a row logged after the clock passed it)
    ("changping-2014", 2014, 2), ("changping-2014", 2014, 1)])
def test_a_run_that_parks_is_the_run_that_does_not(name: str, seed: int, resident: int, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    sc, policy, rules = _inputs(name)
    monkeypatch.setattr(_Parking, "RESIDENT", resident)
    _Parking.max_resident = _Parking.over_bound = 0
    parked, _ = streamed_run(_Parking, sc, policy, rules, seed, tmp_path / "parked")
    whole, _ = streamed_run(Simulation, sc, policy, rules, seed, tmp_path / "whole")
    assert_same_files(tmp_path / "parked", tmp_path / "whole")
    assert parked.posts == whole.posts and parked.drained_at == whole.drained_at
    assert _Parking.max_resident > 0  # the bound held between events, but for forms due next (above)


def test_the_parking_paths_were_exercised(tmp_path: Path) -> None:
    """changping-2014 parks hundreds of forms, merges posts into parked ones and rewrites the file."""
    sc, policy, rules = _inputs("changping-2014")
    seen: dict[str, Any] = {}

    class Watch(_Parking):
        def park_beyond(self, resident: int, directory: str | None = None) -> None:
            super().park_beyond(resident, directory)
            assert self._lot is not None
            self._lot._compact_above = 0  # rewrite the file whenever dead bytes outweigh live ones
            seen["lot"] = self._lot

    streamed_run(Watch, sc, policy, rules, 7, tmp_path / "parked")
    streamed_run(Simulation, sc, policy, rules, 7, tmp_path / "whole")
    assert_same_files(tmp_path / "parked", tmp_path / "whole")
    lot = seen["lot"]
    assert lot.parked_total > 500 and lot.compactions > 0 and lot.count == 0
    assert lot.taken_early > 0  # posts merged into parked forms


def test_only_streaming_runs_park() -> None:
    sc, policy, _ = _inputs("changping-2014")
    sim = Simulation(sc, policy)
    with pytest.raises(ValueError, match="streaming"):
        sim.park_beyond(100)
    sim.stream_to(RunSink(policy.calendar, sim.t0, sim.t_end))
    with pytest.raises(ValueError, match="at least 1"):
        sim.park_beyond(0)
    sim.engine.close()


def _cli(*args: str) -> Any:
    import subprocess
    import sys
    env = {**os.environ, "WENZHENG_LANG": "zh"}
    return subprocess.run([sys.executable, "-m", "wenzheng", *args], capture_output=True, text=True, timeout=120,
                          cwd=ROOT, env=env)


def test_the_command_line_bound_gives_the_same_files(tmp_path: Path) -> None:
    """``wenzheng run --resident-forms 2`` (parks nearly every form) writes what ``--resident-forms 0`` writes."""
    for n in ("2", "0"):
        done = _cli("run", "scenarios/changping-2014.yaml", "--out", str(tmp_path / n), "--resident-forms", n,
                    "--quiet")
        assert done.returncode == 0, done.stderr
    assert_same_files(tmp_path / "2", tmp_path / "0")
    assert sorted(p.name for p in (tmp_path / "2").iterdir()) == sorted(p.name for p in (tmp_path / "0").iterdir())


def test_a_negative_bound_is_refused_in_chinese(tmp_path: Path) -> None:
    done = _cli("run", "scenarios/changping-2014.yaml", "--out", str(tmp_path / "x"), "--resident-forms", "-1")
    assert done.returncode == 2
    assert "--resident-forms" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "x").exists()


def test_a_full_disk_names_the_folder_of_the_parked_forms(tmp_path: Path) -> None:
    import errno

    lot = ParkingLot(_Owner(), str(tmp_path))
    lot.put("first", None)

    class Full:
        def __init__(self, f: Any) -> None:
            self._f = f

        def __getattr__(self, name: str) -> Any:
            return getattr(self._f, name)

        def write(self, data: Any) -> int:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    lot._file_ = Full(lot._file)  # type: ignore[assignment]
    with pytest.raises(OSError) as caught:
        lot.put("second", None)
    assert caught.value.errno == errno.ENOSPC
    assert caught.value.filename == os.path.join(str(tmp_path), "(parked forms)")
    assert lot.take(0) == "first"  # what was parked before is still there


def test_a_run_under_its_bound_opens_no_file(tmp_path: Path) -> None:
    sc, policy, rules = _inputs("changping-2014")
    seen: dict[str, Any] = {}

    class Big(Simulation):
        def stream_to(self, sink: RunSink) -> None:
            super().stream_to(sink)
            self.park_beyond(40_000, str(tmp_path / "out"))
            seen["sim"] = self

    streamed_run(Big, sc, policy, rules, 7, tmp_path / "out")
    lot = seen["sim"].parking
    assert lot.parked_total == 0 and lot._file_ is None


class _DropsCancelled(Simulation):
    """Drops cancelled timers from SimPy's queue after every cancellation, and counts the drops."""

    DROP_CANCELLED_FLOOR = 1
    drops = 0

    def _cancelled_dropped(self, left: int) -> None:
        super()._cancelled_dropped(left)
        self._drop_cancelled_at = 1
        type(self).drops += 1

    def _drop_cancelled(self, queue: list[Any]) -> None:
        super()._drop_cancelled(queue)
        assert not [e for e in queue if isinstance(e[3], _Timer) and e[3].rec is None]


class _KeepsCancelled(Simulation):
    """The run before cancelled timers were dropped: they stay in the queue until their time."""

    DROP_CANCELLED_FLOOR = math.inf  # type: ignore[assignment]


class _ParksAndDrops(_DropsCancelled, _Parking):
    pass


@pytest.mark.parametrize("name,seed", [("changping-2014", 7), ("silent-bureau", 1), ("hot-event-surge", 3),
                                       ("golden-week-2014", 5)])
def test_dropping_cancelled_timers_changes_nothing(name: str, seed: int, tmp_path: Path) -> None:
    """A cancelled timer does nothing when it comes: taking it out of the queue early (after every cancellation
    here, with and without parking) writes the files of a run that keeps every one until its time."""
    sc, policy, rules = _inputs(name)
    _DropsCancelled.drops = 0
    dropped, _ = streamed_run(_DropsCancelled, sc, policy, rules, seed, tmp_path / "dropped")
    assert _DropsCancelled.drops > 20
    kept, _ = streamed_run(_KeepsCancelled, sc, policy, rules, seed, tmp_path / "kept")
    assert_same_files(tmp_path / "dropped", tmp_path / "kept")
    assert dropped.posts == kept.posts and dropped.drained_at == kept.drained_at
    streamed_run(_ParksAndDrops, sc, policy, rules, seed, tmp_path / "both")
    assert_same_files(tmp_path / "both", tmp_path / "kept")


def test_cancelled_timers_are_dropped_once_they_outnumber_the_queue() -> None:
    """The queue is swept when the cancellations since the last sweep reach the floor or the queue's size then,
    whichever is more: a constant cost per cancelled timer, and never a queue mostly of cancelled timers."""
    sc, policy, _ = _inputs("changping-2014")
    sizes: list[tuple[int, int]] = []

    class Watch(Simulation):
        DROP_CANCELLED_FLOOR = 50

        def _drop_cancelled(self, queue: list[Any]) -> None:
            cancelled = sum(1 for e in queue if isinstance(e[3], _Timer) and e[3].rec is None)
            assert self._cancelled >= max(50, self._drop_cancelled_at) and cancelled <= self._cancelled
            sizes.append((len(queue), cancelled))
            super()._drop_cancelled(queue)
            assert self._cancelled == 0 and self._drop_cancelled_at == max(50, len(queue))

    sim = Watch(sc, policy, seed=7)
    sim.stream_to(RunSink(policy.calendar, sim.t0, sim.t_end))
    try:
        sim.run()
    finally:
        sim.engine.close()
    assert len(sizes) > 3 and all(cancelled > 0 for _, cancelled in sizes)


def test_the_bound_counts_what_parked_forms_and_waiting_rows_still_hold(tmp_path: Path) -> None:
    """The room for open forms is the bound less a fourteenth of a form per parked form and a sixteenth per
    event-log row waiting for the clock, never below a quarter of the bound (nor 1)."""
    sc, policy, _ = _inputs("changping-2014")
    sim = Simulation(sc, policy)
    sim.stream_to(RunSink(policy.calendar, sim.t0, sim.t_end, out_dir=tmp_path))
    sim.park_beyond(1000, str(tmp_path))
    lot = sim.parking
    assert lot is not None
    pending = {"rows": 0}
    sim._log_pending = lambda: pending["rows"]
    for parked, rows, room in [(0, 0, 1000), (14, 0, 999), (13, 15, 1000), (140, 160, 980), (2800, 1600, 700),
                               (100_000, 0, 250), (0, 10**6, 250)]:
        lot.count, pending["rows"] = parked, rows
        assert sim._room() == room, (parked, rows)
    sim.park_beyond(3, str(tmp_path))
    lot = sim.parking
    assert lot is not None
    lot.count = 1000
    assert sim._room() == 1
    sim.engine.close()


def test_a_run_without_an_event_log_counts_no_waiting_rows(tmp_path: Path) -> None:
    sc, policy, _ = _inputs("changping-2014")
    sim = Simulation(sc, policy)
    sim.stream_to(RunSink(policy.calendar, sim.t0, sim.t_end))  # metrics only: no events.csv
    sim.park_beyond(1000, str(tmp_path))
    assert sim._log_pending() == 0 and sim._room() == 1000
    sim.engine.close()



def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024


def test_free_memory_goes_back_to_the_system() -> None:
    """After a batch, glibc's free heap pages go back (malloc_trim): 50 MB freed in the middle of the heap
    (every 50th block kept) leave the process's resident memory.  Off glibc the call does nothing."""
    import platform

    if platform.libc_ver()[0] != "glibc" or not os.path.exists("/proc/self/status"):
        release_free_memory()  # nothing to hand back through: it must still be callable
        return
    blocks = [bytes(2000) + bytes([i % 256]) for i in range(25_000)]  # malloc's heap, not pymalloc's arenas
    kept = blocks[::50]
    del blocks
    before = _rss_mb()
    release_free_memory()
    assert _rss_mb() < before - 30, "the freed pages stayed resident"
    assert len(kept) == 500


def test_each_park_batch_hands_free_memory_back(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import simulator.model as model

    calls: list[int] = []
    monkeypatch.setattr(model, "release_free_memory", lambda: calls.append(1))
    batches: list[int] = []

    class Counting(_Parking):
        def _park_batch(self, keep: int, head: float) -> None:
            before = len(calls)
            super()._park_batch(keep, head)
            if len(self.cases) <= keep:  # it parked
                batches.append(len(calls) - before)

    sc, policy, rules = _inputs("changping-2014")
    streamed_run(Counting, sc, policy, rules, 7, tmp_path / "parked")
    assert batches and all(n == 1 for n in batches)
