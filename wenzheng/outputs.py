"""Safe outputs: wenzheng never deletes or overwrites what it did not write.

Every command that writes checks its output paths *before* the work starts
and writes through this module:

- A **result folder** (``run --out``, ``compare --out``) is written whole or
  not at all: the files go into a hidden staging folder beside the target,
  which is renamed into place when complete and removed on any error, on
  Ctrl-C and on SIGTERM.  The folder carries ``wenzheng-manifest.json``
  listing every file wenzheng wrote; an existing target is replaced only
  when it is empty or such a result holding nothing but the files its
  manifest lists.  Anything else (a user's folder, a result with a file
  added) is refused with exit 2: no flag deletes foreign files.
- A **single file** (``--junit``, ``--markdown``, ``export --out``,
  ``schema --out``) is written to a temporary file in the same folder and
  moved into place with ``os.replace``.  An existing file is replaced only
  when it is empty or wenzheng recognises it as its own output of that kind
  (a signature in its content); ``--force`` replaces any other regular file.

The engine and the simulator never import this module: they write into the
folder or file they are given; the CLI decides where and makes it safe.
"""

from __future__ import annotations

import errno
import json
import os
import secrets
import shutil
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from engine.errors import WenzhengError
from engine.messages import os_reason

from .messages import t

__all__ = ["OutputError", "OutPath", "MANIFEST", "check_output_dir", "check_output_file", "staged_dir",
           "atomic_file", "atomic_write_text", "read_manifest", "register_file", "head_contains",
           "json_title_startswith", "read_bounded"]

MANIFEST = "wenzheng-manifest.json"
_STAGING = ".wenzheng-staging-"
_OLD = ".wenzheng-old-"
_TMP = ".wenzheng-tmp-"
_PROBE = ".wenzheng-probe-"
_MAX_LISTED = 5
# errors of the storage, not of the input: reported as exit 2 with the path and reason
_STORAGE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG, errno.EIO, errno.EACCES, errno.EPERM,
                   errno.ENOENT, errno.ENOTDIR, errno.EISDIR, errno.ENAMETOOLONG}

Owned = Callable[[Path], bool]


class OutputError(WenzhengError):
    """An output path that cannot or must not be written."""


class OutPath(click.ParamType):
    """A click parameter for output paths: like ``click.Path`` but an empty string is an error.

    (``Path("")`` is ``Path(".")``: without this, ``--out ""`` would write into the current folder.)
    """

    name = "path"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Path:
        if isinstance(value, Path):
            return value
        if not str(value):
            self.fail(t("out.empty_value"), param, ctx)
        return Path(value)


def _reason(exc: OSError) -> str:
    """The OS's reason, in the user's language (the one table of them: engine.messages.os_reason)."""
    return os_reason(exc)


def _nearest_existing(path: Path) -> Path:
    p = Path(os.path.abspath(path))
    while not os.path.lexists(p):
        p = p.parent
    return p


def _check_parent(option: str, target: Path) -> None:
    """The nearest existing ancestor of ``target`` is a folder where we can create files (probed, so that
    read-only file systems, /proc and permissions are all caught the same way, root included)."""
    anc = _nearest_existing(target.parent if target.name else target)
    if not anc.is_dir():
        raise OutputError(t("out.not_dir", option=option, target=target, anc=anc))
    probe = anc / f"{_PROBE}{secrets.token_hex(4)}"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise OutputError(t("out.cannot_write_in", option=option, target=target, anc=anc, reason=_reason(exc))) from None
    os.close(fd)
    os.unlink(probe)


def _foreign_entries(folder: Path) -> list[str]:
    """Entries under ``folder`` that its manifest does not list (at most a few; [] for an empty folder)."""
    manifest = read_manifest(folder)
    if manifest is None:
        return sorted(e.name + ("/" if e.is_dir() and not e.is_symlink() else "")
                      for e in folder.iterdir())[:_MAX_LISTED]
    listed = set(manifest["files"])
    foreign: list[str] = []
    for root, dirs, files in os.walk(folder):
        rel_root = Path(root).relative_to(folder)
        for d in list(dirs):
            if (Path(root) / d).is_symlink():
                foreign.append(str(rel_root / d))
                dirs.remove(d)
        for f in files:
            rel = (rel_root / f).as_posix()
            if rel not in listed and rel != MANIFEST:
                foreign.append(rel)
        if len(foreign) >= _MAX_LISTED:
            break
    return sorted(foreign)[:_MAX_LISTED]


def read_bounded(path: Path, limit: int) -> bytes:
    """At most ``limit`` bytes of a file we may have written; ValueError when it is larger (not ours)."""
    with path.open("rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"{path}: larger than {limit} bytes")
    return data


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The manifest of a wenzheng result folder, or None when there is none (or it is not ours)."""
    try:
        doc = json.loads(read_bounded(folder / MANIFEST, 5_000_000))
    except (OSError, ValueError):
        return None
    if not (isinstance(doc, dict) and doc.get("written_by") == "wenzheng" and isinstance(doc.get("files"), list)
            and all(isinstance(f, str) for f in doc["files"])):
        return None
    return doc


def _is_cwd_or_parent(target: Path) -> bool:
    here = Path.cwd().resolve()
    there = target.resolve()
    return there == here or there in here.parents


def check_output_dir(target: Path, option: str = "--out") -> None:
    """Refuse (exit 2) a result folder that cannot be written, or that would replace something not ours."""
    if str(target) == "":
        raise OutputError(t("out.empty", option=option))
    if target.name in ("", ".", "..") or _is_cwd_or_parent(target):
        raise OutputError(t("out.cwd", option=option, target=target))
    if os.path.islink(target):
        raise OutputError(t("out.symlink_dir", option=option, target=target))
    if os.path.lexists(target):
        if not target.is_dir():
            raise OutputError(t("out.file_not_folder", option=option, target=target))
        foreign = _foreign_entries(target)
        if foreign:
            more = ", …" if len(foreign) >= _MAX_LISTED else ""
            raise OutputError(
                t("out.foreign", option=option, target=target, files=", ".join(foreign) + more, manifest=MANIFEST))
    _check_parent(option, target)


def check_output_file(target: Path, owned: Owned, force: bool = False, option: str = "--out") -> None:
    """Refuse (exit 2) a file that cannot be written, or an existing file wenzheng did not write (unless
    ``force``).  ``owned`` recognises wenzheng's own output of this kind."""
    if str(target) == "":
        raise OutputError(t("out.empty", option=option))
    if target.name in ("", ".", ".."):
        raise OutputError(t("out.is_dir", option=option, target=target))
    if os.path.islink(target):
        raise OutputError(t("out.symlink_file", option=option, target=target))
    if os.path.lexists(target):
        if target.is_dir():
            raise OutputError(t("out.is_dir", option=option, target=target))
        if not target.is_file():
            raise OutputError(t("out.not_regular", option=option, target=target))
        if not force and target.stat().st_size > 0 and not owned(target):
            raise OutputError(t("out.not_ours", option=option, target=target))
    _check_parent(option, target)


def _make_parents(folder: Path) -> list[Path]:
    """mkdir -p with normal permissions (umask applies); returns the folders created, deepest last."""
    missing = []
    p = Path(os.path.abspath(folder))
    while not os.path.lexists(p):
        missing.append(p)
        p = p.parent
    created = []
    for d in reversed(missing):
        os.mkdir(d, 0o777)
        created.append(d)
    return created


def _remove_created(created: list[Path]) -> None:
    for d in reversed(created):
        try:
            os.rmdir(d)
        except OSError:
            return


@contextmanager
def _signals_blocked() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM while a folder is swapped or cleaned up; they arrive right after."""
    sigs = {signal.SIGINT, signal.SIGTERM}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, sigs)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _storage_error(exc: BaseException, *paths: Path) -> bool:
    """An OSError from writing our outputs (no file name, as for a full disk, or one of ``paths``)."""
    if not isinstance(exc, OSError) or exc.errno not in _STORAGE_ERRNOS:
        return False
    if exc.filename is None:
        return exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EROFS)
    name = os.path.abspath(os.fsdecode(exc.filename))
    return any(name == str(p) or name.startswith(str(p) + os.sep) for p in paths)


def _write_manifest(folder: Path, kind: str) -> None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        ver = version("wenzheng")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
        ver = "unknown"
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                   if p.is_file() and p.name != MANIFEST)
    doc = {"written_by": "wenzheng", "version": ver, "kind": kind, "files": files}
    (folder / MANIFEST).write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _remove_result(folder: Path) -> bool:
    """Delete a previous result: only the files its manifest lists, then the folders they leave empty."""
    manifest = read_manifest(folder)
    if manifest is None:
        return False
    for rel in manifest["files"] + [MANIFEST]:
        p = folder / rel
        if ".." in Path(rel).parts or p.is_symlink() or not p.is_file():
            continue
        p.unlink()
    for root, _, _ in sorted(os.walk(folder), key=lambda t: -len(t[0])):
        try:
            os.rmdir(root)
        except OSError:
            return False
    return True


@contextmanager
def staged_dir(target: Path, kind: str, option: str = "--out") -> Iterator[Path]:
    """Yield a staging folder beside ``target``; on success it becomes ``target`` (replacing an empty
    folder or a previous wenzheng result), on any error or interruption it is removed."""
    check_output_dir(target, option)
    target = Path(os.path.abspath(target))
    try:
        created = _make_parents(target.parent)
        staging = target.parent / f"{_STAGING}{target.name}-{secrets.token_hex(4)}"
        os.mkdir(staging, 0o777)  # not tempfile.mkdtemp: that makes 0700; this honours the umask
    except OSError as exc:
        raise OutputError(t("out.cannot_create", option=option, target=target, reason=_reason(exc))) from None
    try:
        yield staging
        _write_manifest(staging, kind)
        with _signals_blocked():
            _swap_into_place(staging, target, option)
    except BaseException as exc:
        with _signals_blocked():
            shutil.rmtree(staging, ignore_errors=True)
            _remove_created(created)
        if _storage_error(exc, staging, target):
            assert isinstance(exc, OSError)
            raise OutputError(t("out.write_failed_dir", option=option, target=target, reason=_reason(exc),
                                file=f" ({exc.filename})" if exc.filename else "")) from None
        raise


def _swap_into_place(staging: Path, target: Path, option: str) -> None:
    if not os.path.lexists(target):
        os.rename(staging, target)
        return
    check_output_dir(target, option)  # again: the work may have taken minutes
    if not any(target.iterdir()):
        os.rmdir(target)
        os.rename(staging, target)
        return
    old = target.parent / f"{_OLD}{target.name}-{secrets.token_hex(4)}"
    os.rename(target, old)
    try:
        os.rename(staging, target)
    except BaseException:
        os.rename(old, target)
        raise
    if not _remove_result(old):
        click.echo(t("out.old_kept", old=old), err=True)


@contextmanager
def atomic_file(target: Path, owned: Owned, force: bool = False, option: str = "--out") -> Iterator[Path]:
    """Yield a temporary path in the target's folder; on success it replaces ``target`` atomically."""
    check_output_file(target, owned, force, option)
    target = Path(os.path.abspath(target))
    try:
        created = _make_parents(target.parent)
        tmp = target.parent / f".{target.name}{_TMP}{secrets.token_hex(4)}"
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))  # umask applies (mkstemp: 0600)
    except OSError as exc:
        raise OutputError(t("out.cannot_create", option=option, target=target, reason=_reason(exc))) from None
    try:
        yield tmp
        with _signals_blocked():
            check_output_file(target, owned, force, option)
            os.replace(tmp, target)
    except BaseException as exc:
        with _signals_blocked():
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            _remove_created(created)
        if _storage_error(exc, tmp, target):
            assert isinstance(exc, OSError)
            raise OutputError(t("out.write_failed_file", option=option, target=target, reason=_reason(exc))) \
                from None
        raise


def atomic_write_text(target: Path, text: str, owned: Owned, force: bool = False, option: str = "--out") -> None:
    with atomic_file(target, owned, force, option) as tmp:
        tmp.write_text(text, encoding="utf-8")


def register_file(path: Path) -> None:
    """Add ``path`` to the manifest of the wenzheng result folder that holds it (its folder or the one
    above, for a replication's subfolder), so that a later run still recognises the folder as ours."""
    path = Path(os.path.abspath(path))
    for folder in (path.parent, path.parent.parent):
        manifest = read_manifest(folder)
        if manifest is None:
            continue
        rel = path.relative_to(folder).as_posix()
        if rel not in manifest["files"]:
            manifest["files"] = sorted([*manifest["files"], rel])
            atomic_write_text(folder / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2) + "\n",
                              owned=lambda p: read_manifest(p.parent) is not None)
        return


# ---- recognising wenzheng's own single files -------------------------------------------------------------------

def head_contains(*signatures: bytes, size: int = 4096, tail: bool = False) -> Owned:
    """A recogniser: the file's first (or last) ``size`` bytes contain every signature."""
    def owned(path: Path) -> bool:
        try:
            with path.open("rb") as f:
                if tail:
                    f.seek(max(0, path.stat().st_size - size))
                chunk = f.read(size)
        except OSError:
            return False
        return all(s in chunk for s in signatures)
    return owned


def json_title_startswith(prefix: str) -> Owned:
    """A recogniser for wenzheng's JSON Schemas: a JSON object whose title starts with ``prefix``."""
    def owned(path: Path) -> bool:
        try:
            doc = json.loads(read_bounded(path, 5_000_000))
        except (OSError, ValueError):
            return False
        return isinstance(doc, dict) and str(doc.get("title", "")).startswith(prefix)
    return owned
