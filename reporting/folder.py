"""A run folder as the reports read it: one run, or a replicated run with one folder per replication.

``wenzheng run --out DIR`` writes either

- one run: ``DIR/metrics.json``, ``events.csv``, ``cases.csv``, ``backlog.csv``, ``report.html``; or
- N replications: ``DIR/metrics.json`` (means and 95% CIs), ``replications.json``, ``report.html`` and
  ``DIR/000/`` … ``DIR/NNN/``, each a one-run folder as above (without its own report unless written).

Reports are built from these files, so that ``wenzheng report DIR`` gives the same pages for a finished run as
``wenzheng run`` wrote at its end.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import Problem, SourceError

from .messages import t

__all__ = ["RunFolder", "Section", "RUN_FILES"]

#: the files of one run (one replication)
RUN_FILES = ("metrics.json", "events.csv", "cases.csv", "backlog.csv")
_REPLICATION = re.compile(r"^\d{3,}$")


@dataclass(frozen=True)
class Section:
    """One part of a report page: an HTML id, a title already in the page's language, the HTML body."""

    id: str
    title: str
    html: str


@dataclass(frozen=True)
class RunFolder:
    """A run folder found on disk: ``runs`` lists the one-run folders (the root itself for a single run)."""

    root: Path
    runs: tuple[Path, ...]
    metrics: dict[str, Any] = field(repr=False)

    @property
    def replicated(self) -> bool:
        return self.runs != (self.root,)

    def run_metrics(self, run: Path) -> dict[str, Any]:
        """The metrics.json of one run (one replication)."""
        return json.loads((run / "metrics.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]

    @classmethod
    def load(cls, root: Path) -> RunFolder:
        """The run folder at ``root``; a ``SourceError`` naming the folder and what is missing if it is not one."""
        root = Path(root)
        if not root.exists():
            raise SourceError([Problem(str(root), None, None, t("folder.missing"), code="run-folder")])
        if not root.is_dir():
            raise SourceError([Problem(str(root), None, None, t("folder.not_a_folder"), code="run-folder")])
        metrics_file = root / "metrics.json"
        if not metrics_file.is_file():
            raise SourceError([Problem(str(root), None, None, t("folder.no_metrics"), code="run-folder")])
        try:
            metrics = json.loads(metrics_file.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise SourceError([Problem(str(metrics_file), None, None, t("folder.bad_metrics") + f": {exc}",
                                       code="run-folder")]) from None
        if not isinstance(metrics, dict):
            raise SourceError([Problem(str(metrics_file), None, None, t("folder.bad_metrics"), code="run-folder")])
        reps = tuple(sorted(p for p in root.iterdir() if p.is_dir() and _REPLICATION.match(p.name)
                            and (p / "metrics.json").is_file()))
        runs = reps if reps and metrics.get("replications") else (root,)
        for run in runs:
            missing = [f for f in RUN_FILES if not (run / f).is_file()]
            if missing:
                raise SourceError([Problem(str(run), None, None, t("folder.missing_files") + ": " + ", ".join(missing),
                                           code="run-folder")])
        return cls(root, runs, metrics)

