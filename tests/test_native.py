"""The compiled builds of the hot modules (engine/native.py, setup.py).

Oracles: a run from the compiled modules writes byte for byte the files of the same run from the plain
source (the whole suite runs on the compiled build where it is installed; this compares the two directly);
a build is used only when its stamp holds the digest of the source beside it, so an edited source always
runs as edited; every package that holds a compiled module puts the finder in place before its first
submodule is looked up.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.machinery
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine import native

ROOT = Path(__file__).resolve().parents[1]
SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]


def _package(tmp_path: Path, body: str = "VALUE = 'source'\n") -> Path:
    pkg = tmp_path / "fakepkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "mod.py").write_text(body, encoding="utf-8")
    return pkg


def _stamp(pkg: Path, digest: str | None = None) -> None:
    digest = digest or hashlib.sha256((pkg / "mod.py").read_bytes()).hexdigest()
    native.stamp_path(pkg, "fakepkg.mod").write_text(digest + "\n", encoding="ascii")


def test_a_build_is_used_only_with_the_digest_of_its_source(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(native.ENV, raising=False)
    pkg = _package(tmp_path)
    assert native.decide("fakepkg.mod", pkg) == (None, "not built")
    (pkg / f"mod{SUFFIX}").write_bytes(b"not really a compiled module")
    assert native.decide("fakepkg.mod", pkg) == (None, "built without a stamp")
    _stamp(pkg)
    assert native.decide("fakepkg.mod", pkg) == (pkg / f"mod{SUFFIX}", "native")
    monkeypatch.setenv(native.ENV, "0")
    assert native.decide("fakepkg.mod", pkg) == (None, f"{native.ENV}=0")
    monkeypatch.delenv(native.ENV)
    (pkg / "mod.py").write_text("VALUE = 'edited'\n", encoding="utf-8")  # edited after the build
    assert native.decide("fakepkg.mod", pkg) == (None, "source changed since the build")
    _stamp(pkg, "0" * 64)
    assert native.decide("fakepkg.mod", pkg)[1] == "source changed since the build"


def test_the_finder_loads_the_edited_source_not_the_stale_build(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(native.ENV, raising=False)
    pkg = _package(tmp_path)
    _stamp(pkg)
    # a "build" that cannot load: had the finder picked it, the import would fail
    (pkg / f"mod{SUFFIX}").write_bytes(b"not really a compiled module")
    (pkg / "mod.py").write_text("VALUE = 'edited'\n", encoding="utf-8")
    monkeypatch.setattr(native, "NATIVE_MODULES", (*native.NATIVE_MODULES, "fakepkg.mod"))
    monkeypatch.syspath_prepend(str(tmp_path))
    finder = native.NativeFinder()
    spec = finder.find_spec("fakepkg.mod", [str(pkg)])
    assert spec is not None and spec.origin == str(pkg / "mod.py")
    _stamp(pkg)  # now the stamp says the build is of this source: the finder takes the build
    spec = finder.find_spec("fakepkg.mod", [str(pkg)])
    assert spec is not None and isinstance(spec.loader, importlib.machinery.ExtensionFileLoader)
    assert spec.origin == str(pkg / f"mod{SUFFIX}")
    assert finder.find_spec("fakepkg.other", [str(pkg)]) is None  # not ours: Python's finders decide
    # installed first on sys.meta_path, the finder decides the real import: the edited source runs
    (pkg / "mod.py").write_text("VALUE = 'edited again'\n", encoding="utf-8")
    monkeypatch.setattr(sys, "meta_path", [finder, *sys.meta_path])
    for name in ("fakepkg", "fakepkg.mod"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    assert importlib.import_module("fakepkg.mod").VALUE == "edited again"
    for name in ("fakepkg", "fakepkg.mod"):
        sys.modules.pop(name, None)


def _python(code: str, **env: str) -> str:
    proc = subprocess.run([sys.executable, "-P", "-c", code], capture_output=True, text=True, check=True,
                          cwd=ROOT, env={**os.environ, "PYTHONHASHSEED": "0", **env}, timeout=300)
    return proc.stdout


@pytest.mark.parametrize("name", native.NATIVE_MODULES)
def test_each_compiled_module_is_found_by_the_finder_when_imported_first(name: str) -> None:
    # imported first thing in a fresh process: its package must have put the finder in place already
    code = (f"import importlib, sys; m = importlib.import_module({name!r}); from engine import native; "
            f"print(native._DECIDED.get({name!r}), m.__spec__.origin)")
    decided, origin = _python(code).split()
    assert decided != "None", f"{name} was looked up before the finder was installed"
    assert origin.endswith(".py") == (decided != "native")


def _native_built() -> bool:
    env = {k: v for k, v in os.environ.items() if k != native.ENV}
    out = subprocess.run([sys.executable, "-P", "-c", "import json; from engine.native import status; "
                          "print(json.dumps(status()))"], capture_output=True, text=True, check=True, cwd=ROOT,
                         env=env).stdout
    return set(json.loads(out).values()) == {"native"}


@pytest.mark.parametrize("scenario", ["changping-2014", "hot-event-surge"])
def test_the_compiled_run_is_the_source_run_byte_for_byte(scenario: str, tmp_path: Path) -> None:
    if not _native_built():
        if os.environ.get("WENZHENG_REQUIRE_NATIVE") == "1":  # tox: the compiled build is what CI tests
            pytest.fail("the compiled modules are not built (or are stale): pip install -e . builds them")
        pytest.skip("the compiled modules are not built here (no C compiler at install, or a stale build)")
    code = ("import sys, simulator.model as m; from wenzheng.cli import main; "
            "code = main(['run', sys.argv[1], '--out', sys.argv[2], '--quiet', '--lang', 'en']); "
            "print(m.__spec__.origin); sys.exit(code)")
    origins = {}
    for how, env in (("native", {}), ("source", {native.ENV: "0"})):
        proc = subprocess.run([sys.executable, "-P", "-c", code, str(ROOT / "scenarios" / f"{scenario}.yaml"),
                               str(tmp_path / how)], capture_output=True, text=True, check=False, cwd=ROOT,
                              env={**os.environ, "PYTHONHASHSEED": "0", **env}, timeout=600)
        assert proc.returncode == 0, proc.stderr[-3000:]
        origins[how] = proc.stdout.strip().splitlines()[-1]
    assert not origins["native"].endswith(".py") and origins["source"].endswith("model.py")
    files = sorted(p.name for p in (tmp_path / "native").iterdir())
    assert files == sorted(p.name for p in (tmp_path / "source").iterdir())
    assert {"events.csv", "cases.csv", "metrics.json", "backlog.csv"} <= set(files)
    for name in files:  # the report and its plots too: drawn from the same numbers
        assert (tmp_path / "native" / name).read_bytes() == (tmp_path / "source" / name).read_bytes(), name
