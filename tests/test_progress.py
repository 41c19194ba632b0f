"""The progress a run reports (``wenzheng run``'s bar): the share of the period simulated, hour by hour.

Regression (a new user's trial): a one-day scenario reported only at midnight, so its bar stood at 0% for the
whole simulation and then jumped to 100%.
"""

from __future__ import annotations

from simulator.params import with_overrides
from simulator.runner import load_run_inputs, stream_scenario

from .conftest import ROOT


def test_a_one_day_run_reports_its_progress_hour_by_hour() -> None:
    sc, policy, rules_dir = load_run_inputs(ROOT / "scenarios" / "changping-2014.yaml")
    one_day = with_overrides(sc, [("end", sc.start), ("arrivals.posts_per_day", 300)])
    seen: list[float] = []
    stream_scenario(one_day, policy, rules_dir, seed=1, progress=seen.append)
    assert seen == sorted(seen) and 0.0 <= seen[0] and seen[-1] == 1.0  # never back, never past the end
    during = sorted(set(f for f in seen if f < 1.0))
    assert len(during) >= 20, during  # about one a simulated hour of the day
    assert all(abs(f * 24 - round(f * 24)) < 1e-9 for f in during)  # at whole hours
