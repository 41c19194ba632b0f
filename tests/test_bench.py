"""``wenzheng bench``: its JSON is a stable interface, its figures mean what docs/benchmarks.md says.

No test here is timed (speed is read from the numbers, never asserted on a busy machine): they check
the keys, the arithmetic between figures, that peak memory is each run's own, that the figures come
from the scenario named, that start-up does not import the heavy libraries, and that the load-test
scenarios are valid but never simulated by the test suite or the CI gate.
"""

from __future__ import annotations

import json
import math
import re
import resource
import subprocess
import sys
from datetime import date

import pytest
from ruamel.yaml import YAML

from wenzheng.bench import DEFAULT_SCENARIOS, LARGE_TABLE_RULES, LOAD_TEST_SCENARIOS
from wenzheng.cli import main

from .conftest import DATA, ROOT, RULES, SCENARIOS

SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
TOP = {"wenzheng_version": str, "python_version": str, "repeat": int, "decisions_timed": int,
       "startup_seconds": float, "routing": list, "scenarios": list, "native_modules": int,
       "native_modules_of": int, "native_not_used": list}
ROUTING = {"table": str, "rules": int, "engine_us_per_decision": float, "c_layer_us_per_decision": float,
           "reference_us_per_decision": float}
SCENARIO = {"scenario": str, "seed": int, "runs": int, "posts": int, "forms": int, "posts_per_second": float,
            "forms_per_second": float, "wall_seconds": float, "cpu_seconds": float, "import_seconds": float,
            "peak_rss_mb": float, "helpers_cpu_seconds": float}


def keys_of(doc, path=""):
    """Every key of a JSON document, with where it is."""
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield f"{path}.{k}", k
            yield from keys_of(v, f"{path}.{k}")
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from keys_of(v, f"{path}[{i}]")


def check_shape(doc: dict, expected: dict, where: str) -> None:
    assert set(expected) <= set(doc), f"{where}: missing {sorted(set(expected) - set(doc))}"
    for key, kind in expected.items():
        value = doc[key]
        if kind is float:  # a measure: a finite positive number (an int is a number too)
            assert isinstance(value, int | float) and not isinstance(value, bool), (where, key, value)
            assert math.isfinite(value) and value > 0, (where, key, value)
        elif kind is int:
            assert isinstance(value, int) and not isinstance(value, bool) and value >= 0, (where, key, value)
        else:
            assert isinstance(value, kind), (where, key, value)


def bench_json(capsys, *args: str) -> dict:
    assert main(["bench", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture(scope="module")
def quick(tmp_path_factory) -> dict:
    """``wenzheng bench --quick --json`` from the project folder (changping-2014 once), run once for the module."""
    import contextlib
    import io
    import os

    old = os.getcwd()
    os.chdir(ROOT)
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            assert main(["bench", "--quick", "--events", "300", "--json"]) == 0
    finally:
        os.chdir(old)
    return json.loads(out.getvalue())


def test_json_keys_are_snake_case_present_and_numeric(quick):
    for where, key in keys_of(quick):
        assert SNAKE.match(key), f"{where}: not snake_case"
    check_shape(quick, TOP, "top")
    assert len(quick["routing"]) == 2 and len(quick["scenarios"]) == 1
    for row in quick["routing"]:
        check_shape(row, ROUTING, f"routing {row.get('table')}")
    for row in quick["scenarios"]:
        check_shape(row, SCENARIO, f"scenario {row.get('scenario')}")


def test_native_modules_counted_with_the_reasons_of_the_rest(quick):
    from engine.native import NATIVE_MODULES

    assert quick["native_modules_of"] == len(NATIVE_MODULES)
    assert {row["module"] for row in quick["native_not_used"]} <= set(NATIVE_MODULES)
    assert all(row["reason"] != "native" for row in quick["native_not_used"])
    assert quick["native_modules"] + len(quick["native_not_used"]) == len(NATIVE_MODULES)


def test_native_summary_counts_the_compiled_and_names_the_rest():
    from engine import native
    from wenzheng.bench import native_summary

    got = native_summary({"a.x": "native", "a.y": native.CHANGED, "b.z": "native", "b.w": native.OFF})
    assert got == {"native_modules": 2, "native_modules_of": 4,
                   "native_not_used": [{"module": "a.y", "reason": native.CHANGED},
                                       {"module": "b.w", "reason": native.OFF}]}
    assert native_summary({})["native_modules_of"] == 0


def test_quick_is_changping_once_with_its_own_seed(quick):
    (sc,) = quick["scenarios"]
    assert DEFAULT_SCENARIOS[0].name == "changping-2014.yaml"
    assert (sc["scenario"], sc["seed"], sc["runs"], quick["repeat"]) == ("changping-2014", 2014, 1, 1)
    assert quick["decisions_timed"] == 300


def test_rates_are_counts_over_the_wall_time(quick):
    (sc,) = quick["scenarios"]  # one run: the median of one rate is the count over the one wall time
    assert sc["posts_per_second"] == pytest.approx(sc["posts"] / sc["wall_seconds"], rel=1e-12)
    assert sc["forms_per_second"] == pytest.approx(sc["forms"] / sc["wall_seconds"], rel=1e-12)
    assert 0 < sc["forms"] <= sc["posts"]
    assert 0 < sc["cpu_seconds"]  # the measuring process's own CPU time over the same call (steadier when shared)
    assert 0 < sc["helpers_cpu_seconds"]  # a single run draws its traffic and its plots in helper processes


def test_routing_tables_have_the_rules_they_say(quick):
    shipped, large = quick["routing"]
    doc = YAML(typ="safe").load((RULES / "routing.yaml").read_text(encoding="utf-8"))
    assert (shipped["table"], shipped["rules"]) == ("shipped", len(doc["rules"]))
    assert (large["table"], large["rules"]) == (f"generated_{LARGE_TABLE_RULES}", LARGE_TABLE_RULES)


def test_figures_come_from_the_scenario_named_and_peak_memory_is_each_runs_own(capsys):
    """posts and forms are those of an in-process run of the same scenario and seed; the parent's memory is
    not in the figure.  The parent holds 600 MB here: a run measured in this process, or in a child reading
    ru_maxrss (which Linux carries over from the parent across fork and exec), would report at least that."""
    from simulator import load_run_inputs, run_scenario

    ballast = b"\x01" * (600 * 1024 * 1024)
    parent_peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert parent_peak_mb >= 600
    doc = bench_json(capsys, "--scenario", str(DATA / "short.yaml"), "--repeat", "2", "--events", "100")
    del ballast
    (sc,) = doc["scenarios"]
    _, expected = run_scenario(*load_run_inputs(DATA / "short.yaml"))
    assert (sc["scenario"], sc["seed"], sc["runs"]) == ("short-test", 2014, 2)
    assert (sc["posts"], sc["forms"]) == (expected["posts"], expected["forms"])
    assert 10 < sc["peak_rss_mb"] < 500, sc["peak_rss_mb"]


def test_bad_scenario_is_exit_2_before_any_measurement(capsys, tmp_path):
    assert main(["bench", "--scenario", str(tmp_path / "nope.yaml"), "--events", "100"]) == 2
    captured = capsys.readouterr()
    assert "nope.yaml" in captured.err and "Traceback" not in captured.err
    assert "routing" not in captured.err  # refused before the first measurement started
    assert main(["bench", "--repeat", "0"]) == 2


def test_text_output_has_chinese_labels_first(zh, capsys):  # the default language (tests/test_i18n_cli.py: English)
    assert main(["bench", "--scenario", str(DATA / "short.yaml"), "--repeat", "1", "--events", "100"]) == 0
    text = capsys.readouterr().out
    for label in ("路由决策 µs/次 (routing µs/decision)", "引擎", "(engine)", "帖子/秒", "(posts/s)",
                  "峰值内存 MB", "(peak RSS MB)", "命令行启动 秒 (CLI start-up s"):
        assert label in text, label
    assert "short-test" in text
    assert "编译模块 (compiled hot modules): " in text


@pytest.mark.parametrize("lang,says", [
    ("zh", ["源码在编译后改过：运行源码（pip install -e . 重新编译）", "未编译（安装时没有 C 编译器"]),
    ("en", ["source changed since the build: runs the source", "not built (no C compiler at install"])])
def test_modules_not_compiled_are_named_with_the_reason_in_the_language(lang, says, capsys):
    from engine import native
    from engine.i18n import lang_scope
    from wenzheng.cli import _print_bench

    doc = {"repeat": 1, "decisions_timed": 1, "routing": [], "scenarios": [], "startup_seconds": 0.1,
           "native_modules": 15, "native_modules_of": 17,
           "native_not_used": [{"module": "simulator.model", "reason": native.CHANGED},
                               {"module": "engine.engine", "reason": native.NOT_BUILT}]}
    with lang_scope(lang):
        _print_bench(doc)
    text = capsys.readouterr().out
    assert "15/17" in text and "simulator.model: " + says[0] in text and "engine.engine: " + says[1] in text


# -- start-up: the heavy libraries are imported by the commands that use them, not by every command --------
HEAVY = ("matplotlib", "pandas", "scipy", "numpy", "simpy", "faker", "durable_rules_engine", "pyarrow",
         "jsonschema", "simulator.model")
PROBE = """
import contextlib, io, json, sys
from wenzheng.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    code = main(json.loads(sys.argv[1]))
print(json.dumps([code, sorted(m for m in {heavy} if m in sys.modules)]))
"""


def imported_by(argv: list[str]) -> tuple[int, list[str]]:
    proc = subprocess.run([sys.executable, "-P", "-c", PROBE.format(heavy=repr(HEAVY)), json.dumps(argv)],
                          capture_output=True, text=True, cwd=ROOT, check=True)
    code, mods = json.loads(proc.stdout.strip().splitlines()[-1])
    return code, mods


@pytest.mark.parametrize("argv", [["--help"], ["lint", "--help"], ["run", "--help"], ["bench", "--help"],
                                  ["validate", str(RULES)], ["lint", str(RULES)]])
def test_commands_that_do_not_simulate_import_no_heavy_library(argv):
    code, heavy = imported_by(argv)
    assert code == 0
    assert heavy == [], f"wenzheng {' '.join(argv)} imported {heavy}"


def test_help_imports_neither_the_engine_nor_rich():
    proc = subprocess.run([sys.executable, "-P", "-c", PROBE.format(heavy=repr(("pydantic", "rich", "engine.policy",
                                                                               "engine.engine", "ruamel"))),
                           json.dumps(["--help"])], capture_output=True, text=True, cwd=ROOT, check=True)
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == [0, []]


def test_lazy_packages_keep_their_public_names():
    import engine
    import simulator

    for pkg in (engine, simulator):
        for name in pkg.__all__:
            assert getattr(pkg, name) is not None, (pkg.__name__, name)
        assert set(pkg.__all__) <= set(dir(pkg))
        with pytest.raises(AttributeError, match="no attribute 'nope'"):
            pkg.nope  # noqa: B018
    from engine.policy import Policy
    from simulator.runner import run_scenario

    assert engine.Policy is Policy and simulator.run_scenario is run_scenario


# -- the load-test scenarios ----------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "first", "last"), [("megacity-week", date(2023, 5, 15), date(2023, 5, 21)),
                                                     ("megacity-month", date(2023, 5, 8), date(2023, 6, 6))])
def test_load_test_scenarios_are_megacity_day_for_longer(name, first, last):
    from simulator import load_run_inputs

    text = (SCENARIOS / f"{name}.yaml").read_text(encoding="utf-8")
    assert f"# {name} — " in text and "extends: megacity-day.yaml" in text
    sc, _, _ = load_run_inputs(SCENARIOS / f"{name}.yaml")
    day, _, _ = load_run_inputs(SCENARIOS / "megacity-day.yaml")
    assert (sc.name, sc.start, sc.end) == (name, first, last)
    assert {7: "megacity-week", 30: "megacity-month"}[(last - first).days + 1] == name
    # everything but the name, the dates and the description is megacity-day's
    a = sc.model_dump(exclude={"name", "start", "end", "description", "path"})
    b = day.model_dump(exclude={"name", "start", "end", "description", "path"})
    assert a == b
    assert name in LOAD_TEST_SCENARIOS


def test_the_ci_gate_never_simulates_a_load_test_scenario():
    from simulator.gate import load_baselines

    names = {b.scenario_path().stem for b in load_baselines(ROOT / "baselines")}
    assert names and not names & set(LOAD_TEST_SCENARIOS), names


def test_the_test_suite_never_simulates_a_load_test_scenario_at_full_size():
    """The suite simulates the scenarios it names; megacity-day only behind its opt-in variables."""
    from tests import test_invariants, test_metric_oracle

    for names in (test_invariants.NAMES, test_metric_oracle.NAMES):
        assert not set(names) & {"megacity-week", "megacity-month"}
    # only this file names the longer load tests
    for f in sorted((ROOT / "tests").rglob("*.py")):
        if f.name != "test_bench.py":
            text = f.read_text(encoding="utf-8")
            assert "megacity-week" not in text and "megacity-month" not in text, f
