"""Benchmarks: engine cost per decision, whole-scenario throughput and memory, CLI start-up.

Numbers, not pass/fail: speed targets are tracked by reading these, never by
timed unit tests that flake on a busy machine.  Every figure is the median of
``repeat`` measurements.  Each scenario run happens in a fresh Python process
(so that its peak memory is its own, not the largest of everything measured
before it) through the same code path as ``wenzheng run --out``, writing its
results into a temporary folder.  The keys of the result are documented in
docs/benchmarks.md and are a stable interface: add keys, never rename them.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.errors import WenzhengError

from .messages import t

if TYPE_CHECKING:
    from engine.policy import Policy

__all__ = ["DEFAULT_SCENARIOS", "LOAD_TEST_SCENARIOS", "BenchError", "routing_table_of", "run_bench"]

#: scenarios for measuring speed and memory, not behaviour: the test suite and the CI gate never simulate
#: them at full size (docs/benchmarks.md, "Load-test scenarios"; enforced by tests/test_bench.py)
LOAD_TEST_SCENARIOS = ("megacity-day", "megacity-week", "megacity-month")

#: the scenarios measured when none is named (relative to the working directory, like ``rules``)
DEFAULT_SCENARIOS = (Path("scenarios/changping-2014.yaml"), Path("scenarios/megacity-day.yaml"),
                     Path("scenarios/megacity-week.yaml"))
#: modules ``wenzheng run`` needs, imported in the measuring process before its clock starts: their import is
#: start-up (``import_seconds``), not work done per post
_RUN_PATH_MODULES = ("wenzheng.cli", "rich.progress", "simulator", "simulator.runner", "simulator.model",
                     "simulator.metrics", "simulator.replications", "reporting.page", "chinese_calendar")
#: a generated routing table of this many rules, beside the shipped one (how the engine scales with rules)
LARGE_TABLE_RULES = 60


class BenchError(WenzhengError):
    """A measurement could not be made for a reason the user can fix (a scenario run refused its input)."""


def _facts(policy: Policy, n: int) -> list[dict[str, Any]]:
    cats, places = list(policy.categories), list(policy.places)
    return [{"event": "post_received", "channel": "weibo", "text": "小区门口垃圾没人清运", "place": places[i % len(places)],
             "category": cats[(i * 7) % len(cats)], "reposts": i % 50, "unit": "", "hot": False,
             "followups": 0, "replied": False, "statement_issued": False, "reply_kind": "",
             "escalations": 0, "deadline": "", "reminder": False, "met": False} for i in range(n)]


def routing_table_of(policy: Policy, n_rules: int) -> str:
    """A routing file of ``n_rules`` category × place rules plus a default (for scale measurements)."""
    lines = ["kind: routing", "hit_policy: first", "rules:"]
    cats, places = list(policy.categories), list(policy.places)
    bureaus = [u for u, s in policy.units.items() if s.type == "bureau"]
    for i in range(n_rules - 1):
        c, p = cats[i % len(cats)], places[(i // len(cats)) % len(places)]
        lines.append(f"  - {{id: r{i}, when: {{category: {c}, place: {p}}}, then: {{unit: {bureaus[i % len(bureaus)]}}}}}")
    lines.append("  - {id: r-default, then: {unit_of_place: true}}")
    return "\n".join(lines) + "\n"


def _per_decision_us(fn: Callable[[], None], n: int) -> float:
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) / n * 1e6


def _time_routing(policy: Policy, facts: list[dict[str, Any]], repeat: int) -> dict[str, float]:
    """µs per routing decision (median of ``repeat`` passes): the engine, its C layer alone, the reference."""
    import durable_rules_engine as dre

    from engine.engine import Engine

    engine = Engine(policy)
    try:
        table = engine._tables["routing"]
        handle = table._handle
        # the C layer alone on the same facts: assert + drain actions + retract (a lower bound for the engine)
        payloads = [json.dumps({**{k: f[k] for k in table.fields}, "sid": "0", "id": 1}, ensure_ascii=False)
                    for f in facts]
        reference = policy.tables["routing"]

        def ours() -> None:
            for f in facts:
                engine.evaluate("routing", f)

        def c_layer() -> None:
            for p in payloads:
                r = dre.assert_fact(handle, p)
                if r[0] == 0:
                    s = dre.start_action_for_state(handle, r[1])
                    m = s[1] if s else None
                    while m:
                        m = dre.complete_and_start_action(handle, r[1])
                dre.retract_fact(handle, p)

        def ref() -> None:
            for f in facts:
                reference.evaluate(f)

        n = len(facts)
        return {key: statistics.median(_per_decision_us(fn, n) for _ in range(repeat))
                for key, fn in (("engine_us_per_decision", ours), ("c_layer_us_per_decision", c_layer),
                                ("reference_us_per_decision", ref))}
    finally:
        engine.close()


def routing_bench(policy: Policy, rules: Path, events: int, repeat: int) -> list[dict[str, Any]]:
    """``policy`` (loaded from ``rules``) and a copy with a generated 60-rule routing table, timed on the same facts."""
    from engine.policy import Policy

    facts = _facts(policy, events)
    shipped = {"table": "shipped", "rules": len(policy.tables["routing"].rules),
               **_time_routing(policy, facts, repeat)}
    tmp = Path(tempfile.mkdtemp(prefix="wenzheng-bench-"))
    try:
        shutil.copytree(rules, tmp / "rules", ignore=shutil.ignore_patterns("tests"))
        (tmp / "rules" / "routing.yaml").write_text(routing_table_of(policy, LARGE_TABLE_RULES), encoding="utf-8")
        big = Policy.load(tmp / "rules")
        large = {"table": f"generated_{LARGE_TABLE_RULES}", "rules": len(big.tables["routing"].rules),
                 **_time_routing(big, facts, repeat)}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return [shipped, large]


def _peak_rss_mb() -> float:
    """This process's peak resident memory in MB (MiB).

    On Linux ``VmHWM`` of /proc/self/status, the high-water mark of this
    process's own address space.  Not ``getrusage().ru_maxrss``: Linux carries
    the parent's peak across fork and exec into it, so a child of a 600 MB
    process reports at least 600 MB whatever it does (tests/test_bench.py).
    Elsewhere ``ru_maxrss``, with that caveat.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB on Linux


#: metrics.json of a run is a few hundred kB; a bound all the same, as for every file wenzheng reads
_METRICS_LIMIT = 64 * 1024 * 1024


def _child() -> None:
    """In a fresh process (``python -c``): one ``wenzheng run SCENARIO --out OUT``; its figures as JSON on stdout."""
    import contextlib
    import importlib
    import io

    scenario, out_dir = sys.argv[1], sys.argv[2]
    t0 = time.perf_counter()
    for name in _RUN_PATH_MODULES:
        importlib.import_module(name)
    import matplotlib

    matplotlib.use("Agg")  # as the report does, before pyplot
    importlib.import_module("matplotlib.pyplot")
    from wenzheng.cli import main

    t1, c1 = time.perf_counter(), time.process_time()
    captured = io.StringIO()
    with contextlib.redirect_stdout(captured), contextlib.redirect_stderr(captured):
        code = main(["run", scenario, "--out", out_dir, "--quiet"])
    t2, c2 = time.perf_counter(), time.process_time()
    if code != 0:
        sys.stderr.write(captured.getvalue()[-4000:])
        raise SystemExit(code)
    from .outputs import read_bounded

    metrics = json.loads(read_bounded(Path(out_dir) / "metrics.json", _METRICS_LIMIT))
    # the run's helper processes (the traffic drawn ahead, the report's plots), all ended and reaped by now
    import resource

    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({"posts": metrics["posts"], "forms": metrics["forms"], "seed": metrics["run"]["seed"],
                      "import_seconds": t1 - t0, "wall_seconds": t2 - t1, "cpu_seconds": c2 - c1,
                      "peak_rss_mb": _peak_rss_mb(), "helpers_cpu_seconds": kids.ru_utime + kids.ru_stime}))


def _python() -> list[str]:
    # -P: the working directory does not shadow the installed packages (Python 3.11+)
    return [sys.executable, "-P"]


def _one_run(scenario: Path) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="wenzheng-bench-run-"))
    try:
        proc = subprocess.run([*_python(), "-c", "from wenzheng.bench import _child; _child()", str(scenario),
                               str(tmp / "run")], capture_output=True, text=True, check=False,
                              env={**os.environ, "PYTHONHASHSEED": "0"})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if proc.returncode == 2:
        raise BenchError(f"{scenario}: the measured run refused its input:\n{proc.stderr.strip()[-2000:]}")
    if proc.returncode != 0:
        raise RuntimeError(f"{scenario}: the measuring process failed (exit {proc.returncode}):\n"
                           f"{proc.stderr[-4000:]}")
    line = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    if not line.startswith("{") or len(line) > 10_000:  # the child prints one short JSON object last
        raise RuntimeError(f"{scenario}: the measuring process printed no result:\n{proc.stdout[-2000:]}")
    return dict(json.loads(line))


def scenario_bench(scenario: Path, repeat: int, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """``repeat`` runs of one scenario (its own seed), each in a fresh process; medians of each figure."""
    from simulator.scenario import load_scenario

    name = load_scenario(scenario).name
    runs = []
    for i in range(repeat):
        if progress:
            progress(t("bench.run_i", name=name, i=i + 1, n=repeat))
        runs.append(_one_run(scenario))
    # the same seed every run: the work is identical, only the time differs
    posts, forms = runs[0]["posts"], runs[0]["forms"]
    wall = [r["wall_seconds"] for r in runs]
    return {"scenario": name, "seed": runs[0]["seed"], "runs": repeat, "posts": posts, "forms": forms,
            "posts_per_second": statistics.median(posts / w for w in wall),
            "forms_per_second": statistics.median(forms / w for w in wall),
            "wall_seconds": statistics.median(wall),
            "cpu_seconds": statistics.median(r["cpu_seconds"] for r in runs),
            "import_seconds": statistics.median(r["import_seconds"] for r in runs),
            "peak_rss_mb": statistics.median(r["peak_rss_mb"] for r in runs),
            "helpers_cpu_seconds": statistics.median(r["helpers_cpu_seconds"] for r in runs)}


def startup_seconds(repeat: int) -> float:
    """Wall time of ``python -m wenzheng --help`` in a fresh process (interpreter start-up included), median."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run([*_python(), "-m", "wenzheng", "--help"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def native_summary(compiled: dict[str, str]) -> dict[str, Any]:
    """The bench's keys for how the hot modules ran (``engine.native.status()``: module → ``"native"`` or
    the reason it ran from source)."""
    return {"native_modules": sum(how == "native" for how in compiled.values()),
            "native_modules_of": len(compiled),
            "native_not_used": [{"module": m, "reason": how} for m, how in compiled.items() if how != "native"]}


def run_bench(rules: Path, scenarios: Sequence[Path], events: int, repeat: int,
              progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Every measurement; the inputs are all checked (exit 2 on a bad one) before the first is taken."""
    from engine.policy import Policy
    from simulator.runner import load_run_inputs
    from wenzheng import __version__

    policy = Policy.load(rules)
    paths = [s.resolve() for s in scenarios]
    for s in scenarios:
        load_run_inputs(s)
    if progress:
        progress(t("bench.routing_progress", events=events, n=repeat))
    routing = routing_bench(policy, rules, events, repeat)
    results = [scenario_bench(p, repeat, progress) for p in paths]
    if progress:
        progress(t("bench.startup_progress"))
    from engine.native import status

    # the measuring processes load the same files from the same environment
    return {"wenzheng_version": __version__, "python_version": platform.python_version(),
            **native_summary(status()), "repeat": repeat, "decisions_timed": events, "startup_seconds": startup_seconds(repeat),
            "routing": routing, "scenarios": results}
