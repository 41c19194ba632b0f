"""Imports go one way (../shared/STYLE.md, last section): wenzheng (the CLI) → sweeps → reporting → simulator →
engine.  A static scan of every import statement, lazy ones inside functions included.

Two modules of the CLI package are shared downward: ``wenzheng.outputs`` (safe result folders and files) and
its message catalogue ``wenzheng.messages``, which import nothing of ours but the engine's errors and i18n;
sweeps and reports write through them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: package → the packages of ours it may import
ALLOWED = {
    "engine": set(),
    "simulator": {"engine"},
    "reporting": {"engine", "simulator"},
    "sweeps": {"engine", "simulator", "reporting"},
    "live": {"engine", "simulator", "reporting"},
    "wenzheng": {"engine", "simulator", "reporting", "sweeps", "live"},
}


#: modules of a higher package that lower ones may import, and what those modules may import themselves
SHARED = {"wenzheng.outputs": {"engine"}, "wenzheng.messages": {"engine"}}


def _imports(path: Path, full: bool = False) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name if full else a.name.split(".")[0]) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module if full else node.module.split(".")[0]))
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_no_upward_import(package):
    bad = [f"{p.relative_to(ROOT)}:{line} imports {mod}"
           for p in sorted((ROOT / package).rglob("*.py"))
           for line, mod in _imports(p, full=True)
           if mod.split(".")[0] in ALLOWED and mod.split(".")[0] != package
           and mod.split(".")[0] not in ALLOWED[package] and mod not in SHARED]
    assert not bad, "upward imports:\n" + "\n".join(bad)


@pytest.mark.parametrize("module", sorted(SHARED))
def test_shared_modules_import_only_below(module):
    path = ROOT / (module.replace(".", "/") + ".py")
    bad = [f"{line}: {mod}" for line, mod in _imports(path) if mod in ALLOWED and mod not in SHARED[module]]
    assert not bad, f"{module} is imported by lower packages, so it may import only {SHARED[module]}: {bad}"


def test_the_scan_sees_a_lazy_upward_import(tmp_path):
    f = tmp_path / "m.py"
    f.write_text("def f():\n    from reporting.page import x\n    import wenzheng.cli\n")
    assert _imports(f) == [(2, "reporting"), (3, "wenzheng")]
