"""wenzheng's simulator: a SimPy model of the platforms, citizens, duty desk and units.

It drives every event through an ``engine.Engine`` on a virtual clock and
measures the outcomes.  It depends on the engine; the engine never on it.

The public names below are imported on first use (PEP 562): importing one
submodule (``simulator.scenario``, ``simulator.gate``) does not load SimPy,
Faker and the model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.lazy import lazy_names

if TYPE_CHECKING:
    from .metrics import compute_metrics, write_run
    from .model import CaseRecord, LogRow, RunResult, Simulation
    from .runner import load_run_inputs, run_scenario
    from .scenario import Scenario, load_scenario

#: public name → the submodule that defines it
_WHERE = {
    "compute_metrics": "metrics", "write_run": "metrics",
    "CaseRecord": "model", "LogRow": "model", "RunResult": "model", "Simulation": "model",
    "load_run_inputs": "runner", "run_scenario": "runner",
    "Scenario": "scenario", "load_scenario": "scenario",
}

__all__ = [
    "CaseRecord",
    "LogRow",
    "RunResult",
    "Scenario",
    "Simulation",
    "compute_metrics",
    "load_run_inputs",
    "load_scenario",
    "run_scenario",
    "write_run",
]


__getattr__, __dir__ = lazy_names(__name__, _WHERE, globals(), __all__)
