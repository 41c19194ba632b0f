"""Run replications of one scenario in one tree (old/ or new/) and write per-seed metrics as JSON.

usage: driver.py TREE SCENARIO SEED_FROM SEED_TO OUT.json [--mode stream|memory]
"""
import sys

sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
TREE = sys.argv[1].rstrip("/")
sys.path.insert(0, TREE)

import json  # noqa: E402
import os  # noqa: E402
import time  # noqa: E402

import simulator  # noqa: E402
import engine  # noqa: E402
from simulator import load_run_inputs, run_scenario  # noqa: E402
from simulator.replications import SCALAR_METRICS  # noqa: E402

assert simulator.__file__.startswith(TREE + "/"), simulator.__file__
assert engine.__file__.startswith(TREE + "/"), engine.__file__

scenario, s0, s1, out = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
mode = sys.argv[7] if len(sys.argv) > 7 and sys.argv[6] == "--mode" else "memory"
path = os.path.join(TREE, "scenarios", f"{scenario}.yaml")
sc, policy, rules_dir = load_run_inputs(path)
assert str(rules_dir.resolve()).startswith(os.path.realpath(TREE)), rules_dir

reps = []
for seed in range(s0, s1 + 1):
    t = time.perf_counter()
    if mode == "stream":
        from simulator.runner import stream_scenario
        metrics = stream_scenario(sc, policy, rules_dir, seed=seed).metrics
    else:
        _result, metrics = run_scenario(sc, policy, rules_dir, seed=seed)
    wall = time.perf_counter() - t
    scal = {k: metrics.get(k) for k in SCALAR_METRICS}
    extra = {k: v for k, v in metrics.items() if k not in scal and isinstance(v, (int, float, str, bool, type(None)))}
    reps.append({"seed": seed, "wall_s": wall, "metrics": scal, "other": extra,
                 "deductions_by_unit": metrics.get("deductions_by_unit"),
                 "reply_rate_by_unit": metrics.get("reply_rate_by_unit")})
    print(f"{TREE} {scenario} seed {seed}: {wall:.2f}s posts={scal.get('posts')} forms={scal.get('forms')}",
          flush=True)
    with open(out, "w") as f:  # rewritten after every seed: partial results survive a kill
        json.dump({"tree": TREE, "scenario": scenario, "mode": mode, "simulator_file": simulator.__file__,
                   "scalar_metrics": list(SCALAR_METRICS), "reps": reps}, f, indent=1, default=str)
