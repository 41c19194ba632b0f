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
import subprocess
import sys
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


def _run_fixed(tmp_path: Path, doc: dict, holidays: tuple = ()) -> RunFiles:
    path = generate.write(tmp_path, doc, {"holidays": list(holidays), "workdays": []})
    return run_files(path, tmp_path / "run", tmp_path / "rules")


def test_fixed_scenario_holds_every_invariant(tmp_path: Path) -> None:
    """The scenario the planted bugs below run on: clean, and rich enough (hot cases with the
    2000-repost accountability rule, merges, promises, supervision, payload rejections)."""
    run = _run_fixed(tmp_path, generate.fixed_scenario())
    assert {name: p[:3] for name, check in ALL.items() if (p := check(run))} == {}
    rules = {r.rule for r in run.events}
    assert {"statement-missed-spread", "promise-broken", "follow-up-supervise", "remind-reply"} <= rules
    assert {"问责", "合并同类问题", "载荷拒收", "重复投递"} <= {r.activity for r in run.events}


# Regressions: two hangs the generated scenarios found (the run never drained: staff processes kept
# scheduling shifts forever).  Run in a subprocess with a timeout so that a regression fails, not hangs.


def _cli_run(tmp_path: Path, doc: dict) -> None:
    path = generate.write(tmp_path, doc, {"holidays": [], "workdays": []})
    cmd = [sys.executable, "-m", "wenzheng", "run", str(path), "--quiet", "--out", str(tmp_path / "run")]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    run = read_run(tmp_path / "run", path, tmp_path / "rules")
    assert {name: p[:3] for name, check in ALL.items() if (p := check(run))} == {}


def test_regression_rota_line_never_on_duty(tmp_path: Path) -> None:
    """A rota line that is off every day of the cycle ('--') looped without yielding: the run hung."""
    doc = generate.fixed_scenario()
    doc["desk"]["staff"] = 4
    doc["desk"]["rota"].append({"name": "休假", "pattern": "--"})
    _cli_run(tmp_path, doc)


def test_regression_capacity_slot_of_a_case_answered_while_waiting(tmp_path: Path) -> None:
    """A capacity-limited unit: a case answered under supervision while it waited for a slot took the
    slot later and never gave it back; the unit's other waiting cases never started and the run hung."""
    doc = generate.fixed_scenario(capacity=1, no_reply=0.0, respond_to_reminder=1.0,
                                  reply_working_days={"median": 6, "p90": 9})
    _cli_run(tmp_path, doc)


# Planted bugs of the kinds issue 9 lists: each must make its invariant fail on the fixed scenario.


def _plant_units_work_on_holidays(mp: pytest.MonkeyPatch) -> None:
    import simulator.model as model
    import simulator.worktime as worktime

    real = worktime.advance_working

    class Weekdays:  # statutory holidays forgotten: every Monday-Friday is a working day
        def __init__(self, cal: object) -> None:
            self.cal = cal

        def __getattr__(self, name: str) -> object:
            return getattr(self.cal, name)

        def is_workday(self, d: object) -> bool:
            return d.weekday() < 5  # type: ignore[attr-defined]

    def buggy(cal, start, minutes, opens, closes):  # type: ignore[no-untyped-def]
        return real(Weekdays(cal), start, minutes, opens, closes)  # type: ignore[arg-type]

    mp.setattr(worktime, "advance_working", buggy)
    mp.setattr(model, "advance_working", buggy)


def _plant_units_ignore_reminders(mp: pytest.MonkeyPatch) -> None:
    from simulator.model import Simulation

    real = Simulation._supervised

    def buggy(self, rec, p):  # type: ignore[no-untyped-def]
        if p == self._behaviour(rec).respond_to_reminder:
            return None
        return real(self, rec, p)

    mp.setattr(Simulation, "_supervised", buggy)


def _plant_deadline_one_working_day_off(mp: pytest.MonkeyPatch) -> None:
    from engine.calendar import WorkCalendar

    real = WorkCalendar.add_working_days
    mp.setattr(WorkCalendar, "add_working_days", lambda self, start, n: real(self, start, n + 1))


def _plant_statement_for_non_hot_case(mp: pytest.MonkeyPatch) -> None:
    from simulator.model import Simulation

    real = Simulation._open_case

    def buggy(self, rec, post):  # type: ignore[no-untyped-def]
        real(self, rec, post)
        if rec.hot_at is None and len(rec.repost_times) > 100:  # "nearly hot" treated as hot
            self._start_statement(rec, self.now())

    mp.setattr(Simulation, "_open_case", buggy)


def _plant_unit_works_from_the_post(mp: pytest.MonkeyPatch) -> None:
    """The unit's clock starts at the citizen's post, not at the form: it acts before it has the form."""
    from simulator.model import HANDLE, LogRow, Simulation, next_working_moment

    def buggy(self, rec, b, delay, kind, slot):  # type: ignore[no-untyped-def]
        starts = next_working_moment(self.cal, rec.posted_at, *b.working_hours)
        self.log.append(LogRow(rec.case_id, HANDLE, starts, rec.unit, rec.unit, rec.category))
        rec.slot = slot
        self._plan_reply(rec, self._work_after(b, starts, delay), kind)

    mp.setattr(Simulation, "_work", buggy)


def _plant_deduction_booked_twice(mp: pytest.MonkeyPatch) -> None:
    from engine import Deduct
    from simulator.model import Simulation

    real = Simulation._apply

    def buggy(self, rec, decision):  # type: ignore[no-untyped-def]
        extra = tuple(e for e in decision.effects if isinstance(e, Deduct))
        return real(self, rec, decision.model_copy(update={"effects": decision.effects + extra}))

    mp.setattr(Simulation, "_apply", buggy)


def _plant_staff_skip_handover(mp: pytest.MonkeyPatch) -> None:
    from simulator.scenario import DeskSpec

    real = DeskSpec.__getattribute__

    def buggy(self, name):  # type: ignore[no-untyped-def]
        return 0 if name == "handover_minutes" else real(self, name)

    mp.setattr(DeskSpec, "__getattribute__", buggy)


def _plant_desk_wait_includes_triage(mp: pytest.MonkeyPatch) -> None:
    import simulator.metrics as metrics

    real = metrics.compute_metrics

    def buggy(run):  # type: ignore[no-untyped-def]
        run.desk.waits_minutes = [w + 1.0 for w in run.desk.waits_minutes]
        return real(run)

    mp.setattr(metrics, "compute_metrics", buggy)
    import simulator.runner as runner

    mp.setattr(runner, "compute_metrics", buggy)


PLANTED = {
    "units work on statutory holidays": (_plant_units_work_on_holidays, {}, "unit_office_hours"),
    "units ignore reminders": (_plant_units_ignore_reminders,
                               {"no_reply": 1.0, "respond_to_reminder": 1.0, "respond_to_escalation": 0.0},
                               "behaviour_extremes"),
    "a deadline one working day off": (_plant_deadline_one_working_day_off, {}, "deadlines"),
    "a statement for a non-hot case": (_plant_statement_for_non_hot_case, {}, "statements_only_when_hot"),
    "the unit acts before its form": (_plant_unit_works_from_the_post, {}, "case_lifecycle"),
    "a deduction booked twice": (_plant_deduction_booked_twice, {}, "deduction_ledger"),
    "desk staff skip the handover": (_plant_staff_skip_handover, {}, "desk_shifts"),
    "desk wait measured one minute long": (_plant_desk_wait_includes_triage, {}, "littles_law"),
}


@pytest.mark.parametrize("bug", sorted(PLANTED))
def test_planted_bug_is_caught(bug: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plant, units, invariant = PLANTED[bug]
    plant(monkeypatch)
    run = _run_fixed(tmp_path, generate.fixed_scenario(**units))
    assert ALL[invariant](run), f"planted bug '{bug}' not caught by {invariant}"


def test_regression_desk_utilisation_counts_only_triage_started_in_the_period(tmp_path: Path) -> None:
    """desk_utilisation counted the busy minutes of posts taken during the drain (after the period)
    against staffed minutes of the period only, unlike desk_utilisation_by_rota_line and docs/metrics.md.
    A busy desk (150 posts a day, flat profile) leaves posts in the queue at the end of the period."""
    from tests.oracle.metrics_oracle import comparisons, recompute

    doc = generate.fixed_scenario()
    doc["arrivals"].update(hour_profile=[1] * 24, posts_per_day=150)
    doc["end"] = "2014-09-28"
    run = _run_fixed(tmp_path, doc)
    assert any(r.activity == "开始研判" and r.at >= run.end for r in run.events)  # the case in point
    oracle = recompute(run.folder, tmp_path / "scenario.yaml", doc["seed"], tmp_path / "rules")
    compared = comparisons(oracle, run.metrics)
    for key in ("desk_utilisation", "desk_utilisation_by_rota_line", "desk_wait_minutes_mean"):
        assert compared[key][0] == compared[key][1], key
