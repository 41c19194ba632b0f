"""Load a scenario with its policy, run it, and return the metrics."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine import Policy
from engine.errors import ScenarioError
from engine.lint import calendar_window_problems, load_checked

from .metrics import compute_metrics, policy_fingerprint
from .model import RunResult, Simulation
from .scenario import Scenario, check_against_policy, load_scenario

__all__ = ["load_run_inputs", "run_scenario"]


def load_run_inputs(scenario_path: str | Path, rules: str | Path | None = None,
                    allow_lint_errors: bool = False) -> tuple[Scenario, Policy, Path]:
    """The validated scenario, its policy (or ``rules`` instead) and the rules directory.

    ``allow_lint_errors``: the CI gate measures a policy whose analysis found errors (see ``load_checked``).
    """
    sc = load_scenario(scenario_path)
    rules_dir = Path(rules) if rules is not None else sc.rules_dir()
    # refused when lint finds errors (unless the gate measures them); warnings ride on the policy
    policy, _ = load_checked(rules_dir, allow_lint_errors)
    if rules is not None and Path(rules).resolve() != sc.rules_dir().resolve():
        # the scenario's own rules stay the reference for who is truly responsible (misrouting)
        sc._reference_rules = sc.rules_dir()
    check_against_policy(sc, set(policy.places), set(policy.categories),
                         {u: s.type for u, s in policy.units.items()})
    problems = calendar_window_problems(policy, sc.start, sc.end, _where(sc, "start"), _where(sc, "end"))
    if problems:  # before simulating, not a year into the run
        raise ScenarioError(problems)
    return sc, policy, rules_dir


def _where(sc: Scenario, key: str) -> tuple[str, int | None, int | None]:
    """File, line and column of a top-level key: in the scenario or the file it extends that sets it."""
    for doc in sc._docs:
        if isinstance(doc.data, dict) and key in doc.data:
            return (doc.path, *doc.locate([key]))
    return str(sc.path), None, None


def run_scenario(scenario: Scenario, policy: Policy, rules_dir: Path, seed: int | None = None,
                 progress: Callable[[float], None] | None = None) -> tuple[RunResult, dict[str, Any]]:
    reference_dir = scenario.reference_rules
    reference = Policy.load(reference_dir) if reference_dir is not None else None
    sim = Simulation(scenario, policy, seed=seed, progress=progress, reference=reference)
    try:
        result = sim.run()
    finally:
        sim.engine.close()
    metrics = compute_metrics(result)
    metrics["run"]["policy"] = policy_fingerprint(rules_dir)
    return result, metrics
