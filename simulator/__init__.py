"""wenzheng's simulator: a SimPy model of the platforms, citizens, duty desk and units.

It drives every event through an ``engine.Engine`` on a virtual clock and
measures the outcomes.  It depends on the engine; the engine never on it.
"""

from .metrics import compute_metrics, write_run
from .model import CaseRecord, LogRow, RunResult, Simulation
from .runner import load_run_inputs, run_scenario
from .scenario import Scenario, load_scenario

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
