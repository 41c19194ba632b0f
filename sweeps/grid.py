"""The grid of a sweep, its resumable results folder and its table.

A sweep is scenarios × the cartesian product of the ``--set`` values × rule
sets; each combination is a *cell*, run for N replications on common random
numbers (replication i of every cell uses seed ``base_seed + i``, so cells
differ only by what defines them).  Every (cell, seed) is one
:class:`~sweeps.tasks.RunTask`.

The results folder (``--out``) is a wenzheng result of kind ``sweep``,
written in place so that it can be resumed:

- ``cells/<fingerprint>.json``: each cell's per-seed metrics, written as the
  cell finishes (and, on Ctrl-C, the seeds finished so far); a rerun with the
  same ``--out`` computes only the seeds a cell does not hold yet.  The
  fingerprint covers the scenario texts, the rules files and the overrides,
  so a changed rules directory or scenario makes new cells.
- ``sweep.csv`` / ``sweep.parquet``: one row per cell × metric (scenario,
  rules, one column per swept parameter, metric, mean, ci_low, ci_high, n).
- ``sweep.html``: plots (``sweeps.report``).

Every file is listed in ``wenzheng-manifest.json`` before it is written and
each is written atomically; a folder holding files wenzheng did not write is
refused (``wenzheng.outputs`` rules).
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .messages import t
from .tasks import Inputs, RunTask, collect_inputs

__all__ = ["Axis", "Cell", "Sweep", "parse_set", "plan_sweep", "run_sweep", "table_rows", "render_csv",
           "write_parquet", "COLUMNS_AFTER_PARAMS", "SweepFolder"]

COLUMNS_AFTER_PARAMS = ("metric", "mean", "ci_low", "ci_high", "n")
KIND = "sweep"


@dataclass(frozen=True)
class Axis:
    """A swept parameter: its dotted path and its values, in the order given."""

    path: str
    values: tuple[Any, ...]
    origin: str


def parse_set(text: str) -> Axis:
    """``PATH=V1,V2,...`` → :class:`Axis`; each value read as YAML (``desk.staff=3,5,7``,
    ``units.default.no_reply=0.05,0.1``; a list value in brackets: ``desk.rota.0.hours=[8,17],[9,18]``)."""
    from simulator.params import parse_assignment

    origin = f"--set {text}"
    path, sep, raw = text.partition("=")
    if not sep or not raw.strip():
        parse_assignment(text, origin)  # raises its own message (not PATH=VALUE, no value)
    path, values = parse_assignment(f"{path}=[{raw}]", origin)
    if not isinstance(values, list) or not values:
        path, value = parse_assignment(text, origin)
        values = [value]
    if len({json.dumps(v, sort_keys=True, default=str) for v in values}) != len(values):
        from simulator.params import _fail

        raise _fail(origin, t("grid.value_twice", raw=raw), path)
    return Axis(path, tuple(values), origin)


@dataclass(frozen=True)
class Cell:
    """One combination: a scenario, a rules set, a value per axis; ``seeds`` its replications."""

    scenario: str
    rules: str
    values: tuple[Any, ...]
    inputs: Inputs
    overrides: tuple[tuple[str, Any], ...]
    seeds: tuple[int, ...]

    @property
    def fingerprint(self) -> str:
        return self.task(0).cell

    def task(self, seed: int) -> RunTask:
        return RunTask(self.inputs, self.overrides, seed)


@dataclass
class Sweep:
    axes: list[Axis]
    cells: list[Cell]
    replications: int
    scenario_labels: list[str] = field(default_factory=list)
    rules_labels: list[str] = field(default_factory=list)

    @property
    def runs(self) -> int:
        return len(self.cells) * self.replications


def _labels(paths: Sequence[Path], names: Sequence[str]) -> list[str]:
    """Scenario names, or their paths where two share a name."""
    return [n if names.count(n) == 1 else str(p) for p, n in zip(paths, names, strict=True)]


def plan_sweep(scenarios: Sequence[Path], sets: Sequence[str], rules: Sequence[Path], replications: int,
               seed: int | None = None) -> Sweep:
    """Check every input and every cell's scenario (exit-2 errors before any run) and list the cells."""
    from simulator.params import format_path, parse_path, with_overrides
    from simulator.runner import load_run_inputs

    axes = [parse_set(s) for s in sets]
    seen: dict[str, str] = {}
    for ax in axes:
        norm = format_path(parse_path(ax.path, ax.origin))
        if norm in seen:
            from simulator.params import _fail

            raise _fail(ax.origin, t("grid.swept_twice", path=ax.path, other=seen[norm]), ax.path)
        seen[norm] = ax.origin
    rule_sets: list[Path | None] = list(rules) or [None]
    loaded = []
    for sp in scenarios:
        for rp in rule_sets:
            sc, _, _ = load_run_inputs(sp, rp)
            loaded.append((sp, rp, sc))
    names = [sc.name for sp, rp, sc in loaded if rp is rule_sets[0]]
    scen_label = dict(zip(scenarios, _labels(scenarios, names), strict=True))
    rules_label = {rp: (str(rp) if rp is not None else "(scenario's own)") for rp in rule_sets}
    cells: list[Cell] = []
    combos = list(itertools.product(*(ax.values for ax in axes)))
    for sp, rp, sc in loaded:
        inputs = collect_inputs(sp, rp)
        base = sc.seed if seed is None else seed
        seeds = tuple(range(base, base + replications))
        for combo in combos:
            overrides = tuple((ax.path, v) for ax, v in zip(axes, combo, strict=True))
            for ax, v in zip(axes, combo, strict=True):  # each value on its own first: the error names its --set
                with_overrides(sc, [(ax.path, v)], ax.origin)
            if overrides:
                with_overrides(sc, list(overrides), " ".join(ax.origin for ax in axes))
            cells.append(Cell(scen_label[sp], rules_label[rp], combo, inputs, overrides, seeds))
    return Sweep(axes, cells, replications, list(dict.fromkeys(scen_label.values())),
                 list(dict.fromkeys(rules_label.values())))


# --------------------------------------------------------------------------- the results folder

def _cell_owned(path: Path) -> bool:
    from wenzheng.outputs import head_contains

    return head_contains(b'"sweep_cell"', size=64)(path)


class SweepFolder:
    """A sweep's results folder, reused in place when resuming (see the module docstring)."""

    @staticmethod
    def check(target: Path, option: str = "--out") -> dict[str, Any] | None:
        """Refuse (exit 2) a folder that is not new, empty or a sweep's; its manifest when it has one."""
        from wenzheng.outputs import OutputError, check_output_dir, read_manifest

        check_output_dir(target, option)  # foreign files, symlinks, the current folder, not writable: refused
        manifest = read_manifest(target) if target.is_dir() else None
        if manifest is not None and manifest.get("kind") != KIND:
            raise OutputError(t("grid.other_kind", option=option, target=target, kind=manifest.get("kind")))
        return manifest

    def __init__(self, target: Path, option: str = "--out") -> None:
        from wenzheng.outputs import MANIFEST

        self.option = option
        manifest = self.check(target, option)
        self.path = Path(os.path.abspath(target))
        (self.path / "cells").mkdir(parents=True, exist_ok=True)
        if manifest is None:
            from .tasks import MODEL_VERSION

            doc = {"written_by": "wenzheng", "version": MODEL_VERSION, "kind": KIND, "files": []}
            (self.path / MANIFEST).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")

    def cell_path(self, fingerprint: str) -> Path:
        return self.path / "cells" / f"{fingerprint}.json"

    def load_cell(self, cell: Cell) -> dict[int, dict[str, float | None]]:
        """The seeds of ``cell`` already computed (an unreadable or foreign cell file holds none)."""
        p = self.cell_path(cell.fingerprint)
        try:
            doc = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(doc, dict) or doc.get("sweep_cell") != cell.fingerprint:
            return {}
        return {int(s): m for s, m in doc.get("seeds", {}).items()}

    def save_cell(self, cell: Cell, seeds: dict[int, dict[str, float | None]]) -> None:
        doc = {"sweep_cell": cell.fingerprint, "scenario": cell.scenario, "rules": cell.rules,
               "scenario_sha256": cell.inputs.scenario_fp, "rules_sha256": cell.inputs.rules_fp,
               "overrides": [[p, v] for p, v in cell.overrides],
               "seeds": {str(s): seeds[s] for s in sorted(seeds)}}
        self.write_text(Path("cells") / f"{cell.fingerprint}.json",
                        json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=False) + "\n", _cell_owned)

    def write_text(self, rel: Path, text: str, owned: Callable[[Path], bool]) -> None:
        with self.open_atomic(rel, owned) as tmp:
            tmp.write_text(text, encoding="utf-8")

    def open_atomic(self, rel: Path, owned: Callable[[Path], bool]) -> Any:
        """Listed in the manifest first (so a crash never leaves an unlisted file), then written atomically."""
        from wenzheng.outputs import atomic_file, register_file

        target = self.path / rel
        register_file(target)
        return atomic_file(target, owned, option=self.option)


# --------------------------------------------------------------------------- running

ProgressFn = Callable[[int, int, int, int], None]  # (runs done, runs to compute, cells done, cells total)


def run_sweep(sweep: Sweep, executor: Any, folder: SweepFolder | None,
              progress: ProgressFn | None = None) -> tuple[dict[str, dict[int, dict[str, float | None]]], int]:
    """Run every missing (cell, seed); returns (fingerprint → seed → metrics, runs computed).

    Finished cells are written to ``folder`` as they complete; on Ctrl-C (or any error) the seeds finished
    so far are written too before the exception goes on.
    """
    from .tasks import run_task

    done: dict[str, dict[int, dict[str, float | None]]] = {}
    todo: list[tuple[Cell, int]] = []
    unique: dict[str, Cell] = {}
    for cell in sweep.cells:
        fp = cell.fingerprint
        if fp in unique:
            continue
        unique[fp] = cell
        have = folder.load_cell(cell) if folder is not None else {}
        done[fp] = {s: have[s] for s in cell.seeds if s in have}
        todo.extend((cell, s) for s in cell.seeds if s not in have)
    remaining = {fp: sum(1 for c, _ in todo if c.fingerprint == fp) for fp in unique}
    cells_done = sum(1 for n in remaining.values() if n == 0)
    dirty: set[str] = set()
    runs = 0
    if progress:
        progress(0, len(todo), cells_done, len(unique))

    def on_result(i: int, metrics: dict[str, float | None]) -> None:
        nonlocal runs, cells_done
        cell, seed = todo[i]
        fp = cell.fingerprint
        done[fp][seed] = metrics
        dirty.add(fp)
        runs += 1
        remaining[fp] -= 1
        if remaining[fp] == 0:
            cells_done += 1
            if folder is not None:
                folder.save_cell(cell, _merged(folder, cell, done[fp]))
            dirty.discard(fp)
        if progress:
            progress(runs, len(todo), cells_done, len(unique))

    try:
        executor.map(run_task, [c.task(s) for c, s in todo], on_result)
    finally:
        if folder is not None:  # keep what finished, also on Ctrl-C
            for fp in sorted(dirty):
                folder.save_cell(unique[fp], _merged(folder, unique[fp], done[fp]))
    return done, runs


def _merged(folder: SweepFolder, cell: Cell, seeds: dict[int, dict[str, float | None]]) -> dict[int, Any]:
    """The seeds in the cell file (maybe more than this sweep asks for) with the new ones."""
    return {**folder.load_cell(cell), **seeds}


# --------------------------------------------------------------------------- the table

def _value_text(v: Any) -> str:
    if isinstance(v, bool) or v is None or isinstance(v, dict | list):
        return json.dumps(v, ensure_ascii=False, sort_keys=True)
    return str(v)


def _num(x: float | None) -> str:
    return "" if x is None else repr(float(x))


def table_rows(sweep: Sweep, results: dict[str, dict[int, dict[str, float | None]]]) -> list[dict[str, Any]]:
    """One row per cell × metric, in grid order: mean and 95% CI over the cell's seeds (None-valued seeds,
    e.g. a rate with nothing to count, are left out; ``n`` says how many counted)."""
    from simulator.replications import SCALAR_METRICS
    from simulator.stats import mean_ci

    rows: list[dict[str, Any]] = []
    for cell in sweep.cells:
        per = results[cell.fingerprint]
        for metric in SCALAR_METRICS:
            values = [float(v) for s in cell.seeds if (v := per[s].get(metric)) is not None]
            m, lo, hi = mean_ci(values) if values else (None, None, None)
            row: dict[str, Any] = {"scenario": cell.scenario, "rules": cell.rules}
            for ax, v in zip(sweep.axes, cell.values, strict=True):
                row[ax.path] = v
            row.update(metric=metric, mean=m, ci_low=lo, ci_high=hi, n=len(values))
            rows.append(row)
    return rows


def columns(sweep: Sweep) -> list[str]:
    return ["scenario", "rules", *(ax.path for ax in sweep.axes), *COLUMNS_AFTER_PARAMS]


def render_csv(sweep: Sweep, rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns(sweep))
    for r in rows:
        w.writerow([r["scenario"], r["rules"], *(_value_text(r[ax.path]) for ax in sweep.axes), r["metric"],
                    _num(r["mean"]), _num(r["ci_low"]), _num(r["ci_high"]), r["n"]])
    return buf.getvalue()


def write_parquet(sweep: Sweep, rows: list[dict[str, Any]], path: Path) -> None:
    """The same table as Parquet: numbers as float64 (a swept parameter's column numeric when every value is
    a number, text otherwise), n as int64."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    data: dict[str, Any] = {"scenario": pa.array([r["scenario"] for r in rows], pa.string()),
                            "rules": pa.array([r["rules"] for r in rows], pa.string())}
    for ax in sweep.axes:
        vals = [r[ax.path] for r in rows]
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in vals)
        data[ax.path] = pa.array([float(v) for v in vals], pa.float64()) if numeric else \
            pa.array([_value_text(v) for v in vals], pa.string())
    data["metric"] = pa.array([r["metric"] for r in rows], pa.string())
    for k in ("mean", "ci_low", "ci_high"):
        data[k] = pa.array([r[k] for r in rows], pa.float64())
    data["n"] = pa.array([r["n"] for r in rows], pa.int64())
    pq.write_table(pa.table(data), path)
