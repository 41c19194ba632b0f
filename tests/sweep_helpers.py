"""Shared fixtures of the sweep tests: a short scenario (extending tests/data/short.yaml) and two rule sets."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from .conftest import DATA, RULES

SETS = ["units.default.no_reply=0.02,0.06,0.3", "desk.handover_minutes=5,15,30"]
REPS = 3


def make_inputs(root: Path) -> tuple[Path, Path, Path]:
    """(scenario, rules A, rules B) in ``root``: the scenario extends tests/data/short.yaml by a relative path
    (so a task must ship both files), with six days; B gives hot events a 1-hour statement deadline."""
    sc_dir = root / "scen"
    sc_dir.mkdir(parents=True)
    base = os.path.relpath(DATA / "short.yaml", sc_dir)
    sc = sc_dir / "mini.yaml"
    sc.write_text(f"kind: scenario\nname: mini\nextends: {base}\nstart: 2014-09-25\nend: 2014-09-30\n"
                  f"arrivals: {{posts_per_day: 12}}\n", encoding="utf-8")
    a = root / "rules-a"
    shutil.copytree(RULES, a, ignore=shutil.ignore_patterns("tests"))
    b = root / "rules-b"
    shutil.copytree(RULES, b, ignore=shutil.ignore_patterns("tests"))
    d = b / "deadlines.yaml"
    text = d.read_text(encoding="utf-8")
    assert "within: 2 hours}" in text
    d.write_text(text.replace("within: 2 hours}", "within: 1 hours}", 1), encoding="utf-8")
    return sc, a, b


class Counting:
    """An executor wrapper that counts the tasks it is given."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.tasks = 0
        self.name = inner.name
        self.workers = inner.workers

    def map(self, fn: Any, tasks: Any, on_result: Any = None) -> list[Any]:
        self.tasks += len(tasks)
        return self.inner.map(fn, tasks, on_result)

    def describe(self) -> str:
        return self.inner.describe()

    def close(self) -> None:
        self.inner.close()

    def __enter__(self) -> Counting:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
