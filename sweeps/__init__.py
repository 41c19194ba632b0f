"""Sweeps: many scenarios × parameter values × rule sets × replications, on one machine or a Dask cluster.

A results tool (``../shared/STYLE.md``): it imports the simulator and the
engine; neither imports it.  The CLI imports it inside ``wenzheng sweep``.

- :mod:`sweeps.tasks`: one run as plain data (scenario and rules texts,
  overrides, seed) and the pure function that runs it anywhere.
- :mod:`sweeps.executors`: serial, local process pool, Dask distributed.
- :mod:`sweeps.grid`: the grid of cells, resumable results, the table.
- :mod:`sweeps.report`: ``sweep.html``.
"""

from __future__ import annotations

__all__: list[str] = []
