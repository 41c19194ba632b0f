"""Fuzz: every command's options with hostile values, in process, cwd in a scratch directory.

The working directory holds a copy of the rules, a one-day scenario, a
baseline of it, a case file and a finished run, so hostile values meet real
inputs too.  Values that would only make a valid command take long by
design (thousands of replications, 256 worker processes) are left out:
``--workers`` is only ever 1 or invalid.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.harness import RULES, SCENARIOS, fuzz_settings, run_cli, scratch

PATHS_IN = ["rules", str(RULES), "tiny.yaml", "case.yaml", "run", "baselines", "empty", "notes.txt", "", ".", "/",
            "/proc/x", "/proc/self/status", "nonexistent", "nonexistent/deep/x.yaml", "tiny.yaml/sub", "rules/units.yaml",
            "-", "--", "~", "\x01", "\x1b[2J", "a\nb", "回龙观", "%s%n", "x" * 300, "../" * 50]
PATHS_OUT = ["out", "out/x.xml", "deep/a/b/c.md", "/proc/x/y", "/proc/self/status", "/", ".", "", "rules",
             "tiny.yaml/sub", "tiny.yaml", "/dev/null", "/dev/full", "\x01", "x" * 300, "empty"]
INTS = ["0", "-1", "1", "2", "100", "99999999999999999999", "1e3", "", "x", "\t", "-0", "0x10", "２", "1.5", "nan"]
FLOATS = ["0", "100", "50.5", "-1", "100.0001", "nan", "inf", "-inf", "", "x", "1e309"]
WORKERS = ["1", "0", "-1", "x", "99999999999999999999", ""]
REPLICATIONS = ["1", "2", "0", "-1", "x", "10001", "99999999999999999999"]
TEXT = ["", " ", ".", "\x00", "\x01\x02", "\x1b[31m", "\u202e", "小区垃圾好几天没人清运了", "a" * 3000, "--help", "-",
        "(a+)+b"]
INSTANTS = ["2014-09-30T16:00+08:00", "2014-09-30T16:00", "2014-02-30T10:00+08:00", "2014-09-30T24:00+08:00",
            "9999-12-31T23:59+08:00", "0001-01-01T00:00+00:00", "1990-01-01T00:00+08:00", "2030-01-01T00:00+08:00",
            "2014-09-30", "", "now", "2014-09-30T16:00+25:00", "2014-09-30T16:00Z"]
DURATIONS = ["5 working days", "2 hours", "0 hours", "-1 days", "1e308 hours", "99999999999999999999 minutes",
             "999999 working days", "100000 days", "1.5 working days", "5 weeks", "", "5", "hours", "5个工作日", "2小时",
             "3650000 days"]
PLACES = ["城北", "回龙观", "", "nowhere", "\x00", "a" * 300]

# command → (positional kinds, {option: kinds or values, None = flag})
COMMANDS: dict[str, tuple[list[list[str]], dict[str, list[str] | None]]] = {
    "run": ([PATHS_IN], {"--rules": PATHS_IN, "--seed": INTS, "--out": PATHS_OUT, "--replications": REPLICATIONS,
                         "--workers": WORKERS, "--quiet": None}),
    "compare": ([PATHS_IN], {"--baseline": PATHS_IN, "--candidate": PATHS_IN, "--replications": REPLICATIONS,
                             "--workers": WORKERS, "--seed": INTS, "--out": PATHS_OUT, "--limit": INTS,
                             "--format": ["text", "json", "", "xml"], "--all-metrics": None, "--quiet": None}),
    "check": ([], {"--baseline-dir": PATHS_IN, "--rules": PATHS_IN, "--only": ["tiny", "", "x", "../x"],
                   "--workers": WORKERS, "--junit": PATHS_OUT, "--markdown": PATHS_OUT,
                   "--format": ["text", "json", ""]}),
    "baseline update": ([], {"--baseline-dir": PATHS_IN, "--rules": PATHS_IN, "--only": ["tiny", "", "x"],
                             "--workers": WORKERS}),
    "export": ([PATHS_IN], {"--format": ["csv", "xes", "parquet", "", "pdf"], "--out": PATHS_OUT, "--steps-only": None}),
    "deadline": ([], {"--from": INSTANTS + TEXT, "--within": DURATIONS + TEXT, "--rules": PATHS_IN}),
    "validate": ([PATHS_IN], {}),
    "lint": ([PATHS_IN], {"--scenario": PATHS_IN, "--format": ["text", "json", ""]}),
    "bench": ([], {"--rules": PATHS_IN, "--scenario": PATHS_IN, "--events": ["100", "99", "0", "-1", "x", ""],
                   "--repeat": ["1", "0", "x"], "--quick": None, "--json": None}),
    "explain": ([PATHS_IN], {"--rules": PATHS_IN, "--text": TEXT, "--place": PLACES, "--channel": ["weibo", "sms", ""],
                             "--reposts": INTS, "--at": INSTANTS, "--lang": ["zh", "en", "fr", ""],
                             "--format": ["text", "json", ""]}),
    "test": ([PATHS_IN], {"--tests": PATHS_IN, "--coverage-min": FLOATS, "--junit": PATHS_OUT, "-v": None}),
    "schema": ([], {"--out": PATHS_OUT}),
}


@st.composite
def argv(draw):
    command = draw(st.sampled_from(sorted(COMMANDS)))
    positional, options = COMMANDS[command]
    args = command.split()
    for kinds in positional:
        if draw(st.integers(0, 5)):
            args.append(draw(st.sampled_from(kinds)))
    for name in draw(st.lists(st.sampled_from(sorted(options) or ["--help"]), max_size=5, unique=True)):
        values = options.get(name)
        args.append(name)
        if values is not None:
            args.append(draw(st.sampled_from(values)))
    if "--workers" in options and "--workers" not in args:
        args += ["--workers", "1"]  # never fork process pools from the fuzzer
    if command == "bench" and "--events" not in args:
        args += ["--events", "100"]  # the default 20,000 timed decisions is a benchmark, not a hang
    if command == "bench" and "--repeat" not in args:
        args += ["--repeat", "1"]  # each repeat is a scenario run in a fresh process
    if draw(st.integers(0, 30)) == 0:
        args.append(draw(st.sampled_from(["--help", "--version", "--nope", "extra", "-x"])))
    return args


TINY = "tiny.yaml"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """A template working directory (copied for every example)."""
    from tests.fuzz.harness import run_cli as _run

    d = tmp_path_factory.mktemp("cli-template")
    shutil.copytree(RULES, d / "rules")
    text = (SCENARIOS / "changping-2014.yaml").read_text(encoding="utf-8")
    text = text.replace("rules: ../rules", "rules: rules").replace("end: 2014-10-31", "end: 2014-04-01")
    (d / TINY).write_text(text.replace("name: changping-2014", "name: tiny"), encoding="utf-8")
    (d / "case.yaml").write_text("post: {text: 小区垃圾好几天没人清运了, place: 城北, at: '2014-05-14T10:05:00+08:00'}\n",
                                 encoding="utf-8")
    (d / "notes.txt").write_text("not: [yaml\n", encoding="utf-8")
    (d / "empty").mkdir()
    code, _, _ = _run(["run", TINY, "--out", "run", "--quiet"], d)
    assert code == 0
    (d / "baselines").mkdir()
    code, _, _ = _run(["compare", TINY, "--baseline", "rules", "--candidate", "rules", "--replications", "1",
                       "--quiet"], d)
    (d / "baselines" / "tiny.yaml").write_text(
        "kind: baseline\nscenario: ../tiny.yaml\nreplications: 1\nchecks:\n  reply_rate: {better: higher, max_drop: 0.5}\n"
        "observed:\n  reply_rate: {mean: 0.9, per_seed: [0.9]}\n", encoding="utf-8")
    return d


@fuzz_settings("cli")
@given(args=argv())
def test_fuzz_cli_arguments(tmp_path, workdir, args):
    with scratch(tmp_path) as d:
        shutil.copytree(workdir, d, dirs_exist_ok=True)
        run_cli(args, d, seconds=10)
