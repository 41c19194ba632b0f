"""Record the events a scenario run feeds the engine, and replay them through a fresh engine.

    python scripts/engine_stream.py record SCENARIO OUT.pickle [--rules DIR] [--seed N]
    python scripts/engine_stream.py replay STREAM.pickle [--rules DIR] [--cache] [--profile]

``record`` runs the scenario once with ``Engine.handle`` wrapped (the simulator
calls it for every case event) and pickles the events in order.  ``replay``
feeds them to ``Engine(policy, cache=...)`` and prints µs per ``handle``, the
engine's total CPU seconds and, with the cache, its hit rate.  A recorded stream
is self-consistent for the policy it was recorded with: replay it with the
same rules.
"""

from __future__ import annotations

import argparse
import pickle
import time
from pathlib import Path
from typing import Any

from engine import Engine, Policy


def record(scenario: str, out: str, rules: str | None, seed: int | None) -> None:
    from simulator import load_run_inputs, run_scenario

    events: list[Any] = []
    real = Engine.handle

    def handle(self: Engine, event: Any) -> Any:
        events.append(event)
        return real(self, event)

    Engine.handle = handle  # type: ignore[method-assign]
    try:
        sc, pol, rdir = load_run_inputs(scenario, rules)
        t = time.perf_counter()
        run_scenario(sc, pol, rdir, seed=seed)
        wall = time.perf_counter() - t
    finally:
        Engine.handle = real  # type: ignore[method-assign]
    Path(out).write_bytes(pickle.dumps({"rules": str(rdir), "events": events}, protocol=pickle.HIGHEST_PROTOCOL))
    print(f"{len(events)} events recorded in {wall:.1f} s -> {out}")


def replay(stream: str, rules: str | None, cache: bool, profile: bool, repeat: int) -> None:
    data = pickle.loads(Path(stream).read_bytes())
    policy = Policy.load(rules or data["rules"])
    events = data["events"]
    best = float("inf")
    engine = None
    for _ in range(repeat):
        if engine is not None:
            engine.close()
        engine = Engine(policy, cache=cache) if cache else Engine(policy)
        handle = engine.handle
        if profile:
            import cProfile
            import pstats

            pr = cProfile.Profile()
            pr.enable()
            for ev in events:
                handle(ev)
            pr.disable()
            pstats.Stats(pr).sort_stats("tottime").print_stats(25)
            return
        t = time.process_time()  # CPU time: the machine may be shared
        for ev in events:
            handle(ev)
        best = min(best, time.process_time() - t)
    print(f"{len(events)} events, best of {repeat}: {best:.3f} s CPU, {best / len(events) * 1e6:.2f} µs/handle")
    if cache and engine is not None:
        info = engine.cache_info()
        hits, misses = sum(i["hits"] for i in info.values()), sum(i["misses"] for i in info.values())
        print(f"cache hit rate {hits / max(1, hits + misses):.1%} ({hits} hits, {misses} misses)")
        for kind, i in info.items():
            print(f"  {kind}: {i}")


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("record")
    r.add_argument("scenario")
    r.add_argument("out")
    r.add_argument("--rules")
    r.add_argument("--seed", type=int)
    p = sub.add_parser("replay")
    p.add_argument("stream")
    p.add_argument("--rules")
    p.add_argument("--cache", action="store_true")
    p.add_argument("--profile", action="store_true")
    p.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    if a.cmd == "record":
        record(a.scenario, a.out, a.rules, a.seed)
    else:
        replay(a.stream, a.rules, a.cache, a.profile, a.repeat)


if __name__ == "__main__":
    main()
