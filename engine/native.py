"""Compiled builds of the hot modules, used only while they are builds of the source beside them.

``pip install`` compiles the modules named in :data:`NATIVE_MODULES` with Cython (``setup.py``): the same
Python source, translated to C, with Python's own semantics (object arithmetic, the same floats, the same
dictionary order), so a run gives byte-identical results either way; only the interpreter's overhead goes.
A build that cannot compile (no C compiler) installs the plain source and nothing else changes.

The build writes, next to each compiled module, a stamp with the SHA-256 of the source it was compiled from.
:class:`NativeFinder` (installed first on ``sys.meta_path`` when the ``engine`` package is imported) loads
the compiled module only when the stamp matches the ``.py`` file beside it.  In an editable install an
edited source therefore runs as edited, never shadowed by an old build (``pip install -e .`` again compiles
it anew); ``WENZHENG_NATIVE=0`` runs the plain source everywhere (a debugger, a line profiler, coverage).

This module uses the standard library only: ``setup.py`` reads :data:`NATIVE_MODULES` from it at build time.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

__all__ = ["NATIVE_MODULES", "REASONS", "NativeFinder", "decide", "install", "stamp_path", "status"]

#: the modules compiled at install: the simulation's loop and the engine's per-decision path.  Modules that
#: define pydantic models stay plain (pydantic reads class bodies in ways a compiled class does not keep).
NATIVE_MODULES: tuple[str, ...] = (
    "engine.calendar",
    "engine.compiler",
    "engine.conditions",
    "engine.durations",
    "engine.engine",
    "reporting.leaderdata",
    "simulator.ahead",
    "simulator.cascade",
    "simulator.content",
    "simulator.metrics",
    "simulator.model",
    "simulator.parking",
    "simulator.platforms",
    "simulator.runner",
    "simulator.stream",
    "simulator.streams",
    "simulator.worktime",
)

#: ``WENZHENG_NATIVE=0``: plain source for every module, whatever is built
ENV = "WENZHENG_NATIVE"

#: the stamp's suffix, after the module's own name: ``model.native-sha256`` beside ``model.py``
STAMP_SUFFIX = ".native-sha256"

#: why a module runs from its source (``status``, ``wenzheng bench``'s ``native_not_used``): stable codes
OFF = f"{ENV}=0"
NOT_BUILT = "not built"
NO_STAMP = "built without a stamp"
NO_SOURCE = "no source beside the build"
CHANGED = "source changed since the build"
EARLY = "loaded before the finder"
REASONS = (OFF, NOT_BUILT, NO_STAMP, NO_SOURCE, CHANGED, EARLY)

#: a stamp is 64 hexadecimal digits and a newline; no more is read
_STAMP_BYTES = 80

#: how each module of :data:`NATIVE_MODULES` imported in this process was loaded: ``"native"``, or why not
_DECIDED: dict[str, str] = {}


def source_digest(source: Path) -> str:
    """The SHA-256 of a module's source bytes, as the stamp holds it."""
    return hashlib.sha256(source.read_bytes()).hexdigest()


def stamp_path(directory: Path, module: str) -> Path:
    """Where the stamp of ``module`` (``simulator.model``) lies in the directory of its compiled file."""
    return directory / (module.rpartition(".")[2] + STAMP_SUFFIX)


def _extension(directory: Path, stem: str) -> Path | None:
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        candidate = directory / (stem + suffix)
        if candidate.is_file():
            return candidate
    return None


def decide(module: str, directory: Path) -> tuple[Path | None, str]:
    """Which file ``module`` is loaded from in ``directory`` and why: ``(compiled file, "native")`` when a
    build stamped with the source's digest is there; otherwise ``(None, reason)``: load the ``.py`` file."""
    stem = module.rpartition(".")[2]
    source = directory / (stem + ".py")
    if os.environ.get(ENV, "").strip() == "0":
        return None, OFF
    compiled = _extension(directory, stem)
    if compiled is None:
        return None, NOT_BUILT
    try:
        with open(stamp_path(directory, module), "rb") as f:
            stamp = f.read(_STAMP_BYTES).decode("ascii").strip()  # the build's own file: 64 hex digits
    except (OSError, UnicodeDecodeError):
        return None, NO_STAMP
    try:
        digest = source_digest(source)
    except OSError:
        return None, NO_SOURCE
    if stamp != digest:
        return None, CHANGED
    return compiled, "native"


class NativeFinder(importlib.abc.MetaPathFinder):
    """Finds the modules of :data:`NATIVE_MODULES`: the compiled file when :func:`decide` says so, else
    the ``.py`` file; every other module is left to Python's own finders."""

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if fullname not in NATIVE_MODULES or not path:
            return None
        stem = fullname.rpartition(".")[2]
        for entry in path:
            directory = Path(entry)
            source = directory / (stem + ".py")
            if not source.is_file():
                continue
            compiled, why = decide(fullname, directory)
            _DECIDED[fullname] = why
            if compiled is not None:
                loader = importlib.machinery.ExtensionFileLoader(fullname, str(compiled))
                return importlib.util.spec_from_file_location(fullname, compiled, loader=loader)
            return importlib.util.spec_from_file_location(fullname, source)
        return None


def install() -> None:
    """Put one :class:`NativeFinder` first on ``sys.meta_path`` (again a no-op)."""
    if not any(isinstance(f, NativeFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, NativeFinder())


def status() -> dict[str, str]:
    """Each compiled-capable module and how this process loaded it (``"native"`` or the reason it runs
    from source); modules not imported yet are imported here, so the answer is complete."""
    for name in NATIVE_MODULES:
        importlib.import_module(name)
    # a module its package imported before putting the finder in place would be missing from _DECIDED
    # (tests/test_native.py checks that none is)
    return {name: _DECIDED.get(name, EARLY) for name in NATIVE_MODULES}
