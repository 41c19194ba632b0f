"""The README's seed-to-seed spread of forms is what its own command measures.

The README said "forms vary by about ±30 between seeds"; its command (``wenzheng run
scenarios/changping-2014.yaml --replications 10``) gives a standard deviation of 34.  The oracle here is
the sample standard deviation of the replications' ``forms`` (``statistics.stdev``, not wenzheng's own
summary) and their minimum and maximum, compared with the numbers the README states.
Cost: about 7 s (the README's run).
"""

from __future__ import annotations

import json
import re
import statistics

from tests.conftest import ROOT, SCENARIOS
from wenzheng.cli import main


def test_readme_spread_of_forms_is_measured(tmp_path, capsys):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "wenzheng run scenarios/changping-2014.yaml --replications 10" in readme
    said = re.search(r"standard deviation of about ±(\d+) \(measured with the command above: its\s+10 "
                     r"replications, seeds (\d+)–(\d+), gave (\d+) to (\d+) forms\)", readme)
    assert said, "the README's sentence on the spread of forms"
    sd, first_seed, last_seed, low, high = (int(x) for x in said.groups())

    out = tmp_path / "run"
    assert main(["run", str(SCENARIOS / "changping-2014.yaml"), "--replications", "10", "--out", str(out)]) == 0
    capsys.readouterr()
    reps = json.loads((out / "replications.json").read_text(encoding="utf-8"))
    forms = [r["forms"] for r in reps]
    assert len(forms) == 10
    assert [r["run"]["seed"] for r in reps] == list(range(first_seed, last_seed + 1))
    assert round(statistics.stdev(forms)) == sd
    assert (min(forms), max(forms)) == (low, high)
