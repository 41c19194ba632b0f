"""One simulation run as plain data, and the pure function that runs it on any machine.

A Dask worker on another machine shares no file system with the client: a
task therefore carries the scenario file's text and the text of every file it
extends, the rules directory's files (name → bytes), the reference rules (the
scenario's own rules, which say who is truly responsible for the misrouting
metric) when the policy under test is another one, the parameter overrides
and the seed.  :func:`run_task` rebuilds the files in a temporary folder of
the worker, runs :func:`simulator.runner.stream_scenario` (metrics only,
nothing per case kept) and returns the scalar metrics.

The fingerprints (sha256) of the scenario texts, of the rules files and of
the overrides identify a *cell* of a sweep: a changed rules directory or
scenario file gives new fingerprints, so a resumed sweep recomputes exactly
the cells whose inputs changed.

A worker process keeps the last few rebuilt inputs (keyed by fingerprint) so
that the replications of one cell load the policy once; the runs themselves
share nothing (a fresh simulation and engine per run, seeded by the task).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Inputs", "RunTask", "collect_inputs", "run_task", "noop_task", "fingerprint_files",
           "fingerprint_overrides", "MODEL_VERSION"]

#: rule files a policy is loaded from (engine.policy reads *.yaml and *.yml of the folder)
_RULE_SUFFIXES = (".yaml", ".yml")
Files = tuple[tuple[str, bytes], ...]


def _model_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("wenzheng")
    except PackageNotFoundError:  # pragma: no cover - a source tree without install
        return "unknown"


#: part of every cell's identity: results of another wenzheng version are not reused
MODEL_VERSION = _model_version()


def fingerprint_files(files: Files) -> str:
    """sha256 over names and contents, in the given order (names relative, never absolute paths)."""
    h = hashlib.sha256()
    for name, data in files:
        h.update(name.encode("utf-8"))
        h.update(b"\0")
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()


def fingerprint_overrides(overrides: tuple[tuple[str, Any], ...]) -> str:
    """sha256 of the overrides as canonical JSON (path order as given: later paths win, as in with_overrides)."""
    text = json.dumps([[p, v] for p, v in overrides], ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Inputs:
    """A scenario with its rules, as data: what every run of a (scenario, rules set) pair needs."""

    #: the scenario file first, then each file it extends; names relative to a common folder, so that the
    #: ``extends`` paths (relative to each file) still lead from one to the next when rebuilt elsewhere
    scenario_files: Files
    #: the policy under test (*.yaml/*.yml of its folder, sorted by name)
    rules_files: Files
    #: the scenario's own rules, when the policy under test is another one (the misrouting reference)
    reference_files: Files | None = None
    scenario_fp: str = field(default="", compare=False)
    rules_fp: str = field(default="", compare=False)

    @property
    def key(self) -> str:
        """Identity of these inputs (scenario texts, rules files, reference rules, wenzheng version)."""
        ref = fingerprint_files(self.reference_files) if self.reference_files is not None else "-"
        return hashlib.sha256(f"{self.scenario_fp}:{self.rules_fp}:{ref}:{MODEL_VERSION}".encode()).hexdigest()


@dataclass(frozen=True)
class RunTask:
    """One run: inputs, overrides, seed.  Pure: the same task gives the same metrics on any worker."""

    inputs: Inputs
    overrides: tuple[tuple[str, Any], ...]
    seed: int

    @property
    def cell(self) -> str:
        """The cell's fingerprint: inputs and overrides (not the seed: a cell holds every seed)."""
        return hashlib.sha256(f"{self.inputs.key}:{fingerprint_overrides(self.overrides)}".encode()).hexdigest()


def _rule_files(folder: Path) -> Files:
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in _RULE_SUFFIXES)
    return tuple((p.name, p.read_bytes()) for p in files)


def collect_inputs(scenario_path: str | Path, rules: str | Path | None = None) -> Inputs:
    """Read the scenario (with the files it extends) and the rules into an :class:`Inputs`.

    The caller has validated them (``simulator.load_run_inputs``): this only reads bytes.
    """
    from simulator.scenario import load_scenario

    sc = load_scenario(scenario_path)
    chain = [Path(d.path).resolve() for d in sc._docs]
    root = Path(os.path.commonpath([str(p.parent) for p in chain]))
    scenario_files = tuple((p.relative_to(root).as_posix(), p.read_bytes()) for p in chain)
    own = sc.rules_dir().resolve()
    policy_dir = Path(rules).resolve() if rules is not None else own
    rules_files = _rule_files(policy_dir)
    reference = _rule_files(own) if policy_dir != own else None
    return Inputs(scenario_files, rules_files, reference, scenario_fp=fingerprint_files(scenario_files),
                  rules_fp=fingerprint_files(rules_files))


# --------------------------------------------------------------------------- on the worker

_CACHE_SIZE = 4
# per worker process: inputs key → (temporary folder, scenario, policy, policy folder).  A memo of pure data:
# what it holds depends only on its key
_built: OrderedDict[str, tuple[tempfile.TemporaryDirectory[str], Any, Any, Path]] = OrderedDict()


def _write(folder: Path, files: Files) -> None:
    for name, data in files:
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def _build(inputs: Inputs) -> tuple[Any, Any, Path]:
    """Rebuild the files in a temporary folder and load them as ``load_run_inputs`` does."""
    key = inputs.key
    hit = _built.get(key)
    if hit is not None:
        _built.move_to_end(key)
        return hit[1], hit[2], hit[3]
    from engine.errors import ScenarioError
    from engine.lint import calendar_window_problems, load_checked
    from simulator.scenario import check_against_policy, load_scenario

    tmp = tempfile.TemporaryDirectory(prefix="wenzheng-task-")
    base = Path(tmp.name)
    _write(base / "scenario", inputs.scenario_files)
    _write(base / "rules", inputs.rules_files)
    own = base / "rules"
    if inputs.reference_files is not None:
        own = base / "reference-rules"
        own.mkdir()
        _write(own, inputs.reference_files)
    sc = load_scenario(base / "scenario" / inputs.scenario_files[0][0])
    # the scenario's own rules, wherever its `rules:` pointed on the client
    docs = sc._docs
    sc = sc.model_copy(update={"rules": str(own)})
    sc._docs = docs
    policy, _ = load_checked(base / "rules", False)
    if inputs.reference_files is not None:
        sc._reference_rules = own
    check_against_policy(sc, set(policy.places), set(policy.categories),
                         {u: s.type for u, s in policy.units.items()})
    where = (str(sc.path), None, None)
    problems = calendar_window_problems(policy, sc.start, sc.end, where, where)
    if problems:
        raise ScenarioError(problems)
    _built[key] = (tmp, sc, policy, base / "rules")
    while len(_built) > _CACHE_SIZE:
        _built.popitem(last=False)[1][0].cleanup()
    return sc, policy, base / "rules"


def run_task(task: RunTask) -> dict[str, float | None]:
    """Run one task; its scalar metrics (``simulator.replications.SCALAR_METRICS``), floats or None."""
    from simulator.params import with_overrides
    from simulator.replications import SCALAR_METRICS
    from simulator.runner import stream_scenario

    sc, policy, rules_dir = _build(task.inputs)
    if task.overrides:
        sc = with_overrides(sc, task.overrides)
    metrics = stream_scenario(sc, policy, rules_dir, seed=task.seed).metrics
    return {k: (None if metrics.get(k) is None else float(metrics[k])) for k in SCALAR_METRICS}


def noop_task(x: int) -> int:
    """A task that does nothing: measures an executor's per-task overhead."""
    return x
