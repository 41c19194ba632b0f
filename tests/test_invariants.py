"""Simulator invariants as properties, checked from a run's exported files.

The checks (tests/invariants/checks.py) read only events.csv (with its additive columns),
cases.csv and metrics.json, plus the scenario and the rules: units act only in their office hours
on working days; desk staff only on their shifts; no reply before its form, no form before its
post, one outcome per post and at most one reply per form; every due time is the calendar's answer
for its start, reminders before deadlines, a missed deadline logged once at its due time; the
supervision and deduction ledger is what escalation.yaml implies from the log; statements only
for hot cases; Little's law for the desk queue; behaviour parameters at 0 or 1 have their
consequences.

Each shipped scenario runs once on its own seed (about 15 s for the six); megacity-day only with
``WENZHENG_INVARIANTS_MEGACITY=1`` (60,000 posts).  Generated scenarios (hypothesis, derandomized:
the same examples every run) are a few days around holidays with their 调休 make-up days and local
calendar overrides; ``WENZHENG_INVARIANTS_EXAMPLES`` sets their number (default 40, ~15 s).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from tests.invariants import generate
from tests.invariants.checks import ALL
from tests.invariants.runfiles import RunFiles, read_run

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
NAMES = ["changping-2014", "golden-week-2014", "apec-2014", "hot-event-surge", "understaffed-desk", "silent-bureau"]
if os.environ.get("WENZHENG_INVARIANTS_MEGACITY"):
    NAMES.append("megacity-day")
EXAMPLES = int(os.environ.get("WENZHENG_INVARIANTS_EXAMPLES", "40"))


def run_files(scenario: Path, out: Path, rules: Path | None = None) -> RunFiles:
    """Run a scenario once (its own seed) and read back what it exported."""
    from simulator import write_run
    from simulator.runner import load_run_inputs, run_scenario

    sc, policy, rules_dir = load_run_inputs(scenario, rules)
    result, metrics = run_scenario(sc, policy, rules_dir)
    write_run(result, metrics, out, report=False)
    return read_run(out, scenario, rules)


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> dict[str, RunFiles]:
    return {name: run_files(SCENARIOS / f"{name}.yaml", tmp_path_factory.mktemp(name) / "run") for name in NAMES}


@pytest.mark.parametrize("invariant", sorted(ALL))
@pytest.mark.parametrize("name", NAMES)
def test_shipped_scenario_invariant(shipped: dict[str, RunFiles], name: str, invariant: str) -> None:
    problems = ALL[invariant](shipped[name])
    assert not problems, f"{len(problems)} violations, e.g.:\n" + "\n".join(problems[:10])


def test_shipped_scenarios_exercise_the_checks(shipped: dict[str, RunFiles]) -> None:
    """The invariants are not vacuous: the shipped runs contain what each one is about."""
    acts = {r.activity for run in shipped.values() for r in run.events}
    assert {"开始研判", "设定时限", "逾期", "扣分", "对外表态", "合并同类问题", "承诺未兑现",
            "载荷拒收", "重复投递"} <= acts
    rules = {r.rule for run in shipped.values() for r in run.events}
    assert {"remind-reply", "reply-overdue", "statement-missed", "follow-up-remind",
            "follow-up-supervise", "promise-broken"} <= rules


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(generate.scenarios())
def test_generated_scenario_invariants(case: tuple[dict, dict]) -> None:
    doc, overrides = case
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = generate.write(folder, doc, overrides)
        run = run_files(path, folder / "run", folder / "rules")
        failed = {name: problems for name, check in ALL.items() if (problems := check(run))}
        assert not failed, "\n".join(f"{name}: {len(p)} violations, e.g. {p[:5]}" for name, p in failed.items())
