"""Safe outputs: nothing the user owns is deleted or overwritten; results appear whole or not at all.

Each defect of issue 8 (part 1) has its regression test here.  Runs go through
``wenzheng.cli.main`` in-process; Ctrl-C and SIGTERM through a subprocess.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from wenzheng import outputs
from wenzheng.cli import main
from wenzheng.outputs import MANIFEST

from .conftest import DATA, ROOT, RULES

SHORT = str(DATA / "short.yaml")


def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def _hidden(folder: Path) -> list[str]:
    """wenzheng's hidden staging, old-result and temporary entries (.wenzheng-*, .NAME.wenzheng-tmp-*)."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") and "wenzheng" in p.name)


def _manifest_matches(folder: Path) -> bool:
    """The manifest lists exactly the files in the folder (besides itself)."""
    doc = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    return doc["written_by"] == "wenzheng" and set(doc["files"]) == _files(folder) - {MANIFEST}


def _never_called(*args, **kwargs):
    raise AssertionError("the work started although the output path is unusable")


# ---- result folders ---------------------------------------------------------------------------------------------

def test_replications_into_a_users_folder_delete_nothing(tmp_path, capsys):
    """Regression: `run --replications 2 --out DIR` deleted DIR with the user's files, and DIR.old too."""
    mine = tmp_path / "mine"
    (mine / "sub").mkdir(parents=True)
    (mine / "notes.txt").write_text("precious", encoding="utf-8")
    (mine / "sub" / "data.csv").write_text("1,2\n", encoding="utf-8")
    (tmp_path / "mine.old").mkdir()
    (tmp_path / "mine.old" / "x").write_text("old", encoding="utf-8")
    code = main(["run", SHORT, "--replications", "2", "--out", str(mine), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert f"--out {mine}: holds files wenzheng did not write (notes.txt, sub/)" in err
    assert "Traceback" not in err
    assert _files(mine) == {"notes.txt", "sub/data.csv"}
    assert (mine / "notes.txt").read_text(encoding="utf-8") == "precious"
    assert (tmp_path / "mine.old" / "x").read_text(encoding="utf-8") == "old"
    assert _hidden(tmp_path) == []


def test_rerun_replaces_the_previous_result_whole(tmp_path):
    """Regression: a single run into a replicated run's folder kept the stale 000/ and replications.json."""
    out = tmp_path / "r"
    assert main(["run", SHORT, "--replications", "2", "--out", str(out), "--quiet"]) == 0
    assert {"000/events.csv", "001/events.csv", "replications.json", "metrics.json", MANIFEST} <= _files(out)
    assert _manifest_matches(out)
    assert main(["run", SHORT, "--out", str(out), "--quiet", "--seed", "7"]) == 0
    assert _files(out) == {"metrics.json", "events.csv", "cases.csv", "backlog.csv", "report-data.json", "report.html",
                           MANIFEST}
    assert _manifest_matches(out)
    assert json.loads((out / "metrics.json").read_text(encoding="utf-8"))["run"]["seed"] == 7
    assert json.loads((out / MANIFEST).read_text(encoding="utf-8"))["kind"] == "run"
    assert _hidden(tmp_path) == []  # no staging or .wenzheng-old-* folder left beside it


def test_a_file_added_to_a_result_makes_it_foreign(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["run", SHORT, "--out", str(out), "--quiet"]) == 0
    (out / "my-analysis.ipynb").write_text("{}", encoding="utf-8")
    before = {f: (out / f).read_bytes() for f in _files(out)}
    assert main(["run", SHORT, "--out", str(out), "--quiet", "--seed", "9"]) == 2
    assert "holds files wenzheng did not write (my-analysis.ipynb)" in capsys.readouterr().err
    assert {f: (out / f).read_bytes() for f in _files(out)} == before


def test_an_empty_folder_is_used(tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    assert main(["run", SHORT, "--out", str(out), "--quiet"]) == 0
    assert _manifest_matches(out)


@pytest.mark.parametrize("arg, reason", [
    ("afile", "is a file, not a folder"),
    ("afile/sub", "afile is not a directory"),
    ("/proc/wenzheng-out", "cannot write in /proc"),
    (".", "is the current folder or contains it"),
    ("..", "is the current folder or contains it"),
    ("sub/..", "is the current folder or contains it"),
])
def test_unusable_result_folders_exit_2_before_the_run(tmp_path, monkeypatch, capsys, arg, reason):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("mine", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    monkeypatch.setattr("simulator.run_scenario", _never_called)
    monkeypatch.setattr("simulator.replications.run_replications", _never_called)
    for reps in ("1", "2"):
        assert main(["run", SHORT, "--out", arg, "--quiet", "--replications", reps]) == 2
        err = capsys.readouterr().err
        assert f"--out {arg}: " in err and reason in err and "Traceback" not in err
    assert (tmp_path / "afile").read_text(encoding="utf-8") == "mine"
    assert _hidden(tmp_path) == [] and _hidden(tmp_path.parent) == []


def test_empty_out_is_an_error_not_the_current_folder(tmp_path, monkeypatch, capsys):
    """Regression: --out "" wrote the results into the current folder."""
    monkeypatch.chdir(tmp_path)
    assert main(["run", SHORT, "--out", "", "--quiet"]) == 2
    assert "Invalid value for '--out': empty path" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_read_only_file_system(tmp_path, monkeypatch, capsys):
    real_open = os.open

    def erofs(path, *args, **kwargs):  # what a read-only mount answers, for root too
        if Path(path).parent == tmp_path:
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(outputs.os, "open", erofs)
    monkeypatch.setattr("simulator.run_scenario", _never_called)
    assert main(["run", SHORT, "--out", str(tmp_path / "r"), "--quiet"]) == 2
    assert f"cannot write in {tmp_path}: Read-only file system" in capsys.readouterr().err


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_folder_without_write_permission(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        assert main(["run", SHORT, "--out", str(locked / "r"), "--quiet"]) == 2
        assert "Permission denied" in capsys.readouterr().err
    finally:
        locked.chmod(0o700)


def test_missing_parents_are_created_and_removed_on_failure(tmp_path, monkeypatch, capsys):
    out = tmp_path / "a" / "b" / "r"

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("simulator.metrics._write_csv", disk_full)
    assert main(["run", SHORT, "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"--out {out}: could not write the results: No space left on device; nothing was written" in err
    assert list(tmp_path.iterdir()) == []  # neither the staging folder nor the parents it made remain


def test_disk_full_keeps_the_previous_result(tmp_path, monkeypatch, capsys):
    out = tmp_path / "r"
    assert main(["run", SHORT, "--out", str(out), "--quiet"]) == 0
    before = {f: (out / f).read_bytes() for f in _files(out)}

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("simulator.metrics._write_csv", disk_full)
    assert main(["run", SHORT, "--out", str(out), "--quiet", "--replications", "2"]) == 2
    assert "No space left on device" in capsys.readouterr().err
    assert {f: (out / f).read_bytes() for f in _files(out)} == before
    assert _hidden(tmp_path) == []


def test_file_size_limit_mid_write_is_exit_2(tmp_path):
    """A real write error mid-way (RLIMIT_FSIZE stands in for a full disk): exit 2, nothing left behind."""
    import resource

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))

    out = tmp_path / "r"
    proc = subprocess.run([sys.executable, "-m", "wenzheng", "run", SHORT, "--out", str(out), "--quiet"],
                          cwd=tmp_path, capture_output=True, text=True, preexec_fn=limit, timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert "could not write the results: File too large" in proc.stderr and "Traceback" not in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_result_folders_have_normal_permissions(tmp_path):
    """Regression: tempfile.mkdtemp made result folders 0700; the umask must decide."""
    old = os.umask(0o027)
    try:
        assert main(["run", SHORT, "--out", str(tmp_path / "r"), "--quiet", "--replications", "2"]) == 0
    finally:
        os.umask(old)
    assert (tmp_path / "r").stat().st_mode & 0o777 == 0o777 & ~0o027
    assert (tmp_path / "r" / "000").stat().st_mode & 0o777 == 0o777 & ~0o027
    assert (tmp_path / "r" / "metrics.json").stat().st_mode & 0o777 == 0o666 & ~0o027


@pytest.mark.parametrize("sig, workers, code", [(signal.SIGINT, "1", 130), (signal.SIGTERM, "2", 143)])
def test_interrupt_leaves_no_staging_and_keeps_the_previous_result(tmp_path, sig, workers, code):
    """Regression: Ctrl-C during --replications 10 left a hidden .wenzheng-reps-* folder each time.

    500 replications so the signal surely lands mid-run (with 10 it sometimes landed after the rename)."""
    out = tmp_path / "r"
    assert main(["run", SHORT, "--out", str(out), "--quiet"]) == 0
    before = {f: (out / f).read_bytes() for f in _files(out)}
    # Ctrl-C's default action restored in the child: a shell starts background jobs with SIGINT ignored, and a
    # program that inherits it ignored keeps ignoring it (the suite run as `... &` would otherwise time out)
    proc = subprocess.Popen([sys.executable, "-m", "wenzheng", "run", SHORT, "--replications", "500", "--workers",
                             workers, "--out", str(out), "--quiet"], cwd=tmp_path, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 120
        while not list(tmp_path.glob(".wenzheng-staging-*/000/metrics.json")):  # mid-way: a replication written
            assert proc.poll() is None and time.monotonic() < deadline, "the run ended before it could be interrupted"
            time.sleep(0.05)
        proc.send_signal(sig)
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:  # a failed test leaves no run behind
            proc.kill()
            proc.communicate()
    # 130/143, or death by the signal itself (-2/-15; CPython re-raises an interrupt it considers unhandled at
    # exit): a shell shows $? = 128 + N either way
    assert proc.returncode in (code, -sig), stderr
    assert "Traceback" not in stderr
    if proc.returncode == code:  # it said which signal stopped it: SIGTERM is not an interruption by the user
        assert ("terminated (SIGTERM)" in stderr) == (sig == signal.SIGTERM), stderr
    assert _hidden(tmp_path) == []
    assert {f: (out / f).read_bytes() for f in _files(out)} == before


@pytest.mark.parametrize("stop, code, said", [(KeyboardInterrupt, 130, "interrupted"),
                                               ("terminated", 143, "terminated (SIGTERM)")])
def test_interrupt_inside_a_c_extension_import_is_an_interruption(tmp_path, capsys, monkeypatch, stop, code, said):
    """Regression (CI, session 9): SIGINT landed while matplotlib's _backend_agg initialised; CPython turned it into
    "ImportError: initialization failed" caused by KeyboardInterrupt, and the run exited 3 as an internal error with
    a traceback. Hand-made here: the plot step raises exactly that chain."""
    from reporting import page
    from wenzheng.cli import Terminated

    out = tmp_path / "r"
    assert main(["run", SHORT, "--out", str(out), "--quiet"]) == 0
    before = {f: (out / f).read_bytes() for f in _files(out)}
    capsys.readouterr()

    def broken_import(*_a, **_k):
        try:
            raise Terminated() if stop == "terminated" else KeyboardInterrupt()
        except KeyboardInterrupt as exc:
            raise ImportError("initialization failed") from exc

    monkeypatch.setattr(page, "draw_plots", broken_import)
    assert main(["run", SHORT, "--out", str(out), "--quiet", "--replications", "3", "--workers", "1"]) == code
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err and "internal error" not in err, err
    assert _hidden(tmp_path) == []
    assert {f: (out / f).read_bytes() for f in _files(out)} == before


# ---- single files ----------------------------------------------------------------------------------------------

def test_junit_replaces_only_its_own_file_unless_forced(tmp_path, capsys):
    junit = tmp_path / "junit.xml"
    junit.write_text("<my own report/>", encoding="utf-8")
    assert main(["test", str(RULES), "--junit", str(junit)]) == 2
    assert f"--junit {junit}: exists and was not written by wenzheng; --force replaces it" in capsys.readouterr().err
    assert junit.read_text(encoding="utf-8") == "<my own report/>"
    assert main(["test", str(RULES), "--junit", str(junit), "--force"]) == 0
    first = junit.read_text(encoding="utf-8")
    assert '<testsuite name="wenzheng-policy"' in first
    assert main(["test", str(RULES), "--junit", str(junit)]) == 0  # ours now: no --force needed
    assert _hidden(tmp_path) == []


def test_an_empty_existing_file_is_replaced(tmp_path):
    junit = tmp_path / "junit.xml"
    junit.touch()
    assert main(["test", str(RULES), "--junit", str(junit)]) == 0
    assert junit.read_text(encoding="utf-8").startswith("<?xml")


@pytest.mark.parametrize("arg, reason", [
    ("adir", "is a directory; give a file name"),
    ("afile/x.xml", "afile is not a directory"),
    ("/proc/junit.xml", "cannot write in /proc"),
    (".", "is a directory"),
])
def test_unusable_junit_paths_exit_2_before_the_tests(tmp_path, monkeypatch, capsys, arg, reason):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "adir").mkdir()
    (tmp_path / "afile").write_text("mine", encoding="utf-8")
    monkeypatch.setattr("engine.policytest.run_policy_tests", _never_called)
    assert main(["test", str(RULES), "--junit", arg]) == 2
    err = capsys.readouterr().err
    assert f"--junit {arg}: " in err and reason in err and "Traceback" not in err


@pytest.mark.parametrize("option", ["--junit", "--markdown"])
def test_check_reports_are_checked_before_the_gate_runs(tmp_path, monkeypatch, capsys, option):
    (tmp_path / "adir").mkdir()
    monkeypatch.setattr("simulator.gate.run_gate", _never_called)
    args = ["check", "--baseline-dir", str(ROOT / "baselines"), "--only", "golden-week-2014"]
    assert main([*args, option, str(tmp_path / "adir")]) == 2
    assert "is a directory; give a file name" in capsys.readouterr().err
    mine = tmp_path / "summary.md"
    mine.write_text("my notes", encoding="utf-8")
    assert main([*args, option, str(mine)]) == 2
    assert "was not written by wenzheng" in capsys.readouterr().err
    assert main([*args, option, ""]) == 2
    assert "empty path" in capsys.readouterr().err


def test_compare_out_is_checked_before_the_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("simulator.compare.compare_policies", _never_called)
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    args = ["compare", SHORT, "--baseline", str(RULES), "--candidate", str(RULES), "--quiet", "--out"]
    assert main([*args, str(tmp_path / "afile")]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err
    assert main([*args, str(tmp_path)]) == 2
    assert "holds files wenzheng did not write (afile)" in capsys.readouterr().err


def test_compare_writes_a_result_folder(tmp_path):
    out = tmp_path / "cmp"
    args = ["compare", SHORT, "--baseline", str(RULES), "--candidate", str(RULES), "--quiet", "--replications",
            "1", "--out", str(out)]
    assert main(args) == 0
    assert _files(out) == {"comparison.json", "impact.csv", MANIFEST} and _manifest_matches(out)


def test_export_paths(tmp_path, capsys):
    run = tmp_path / "r"
    assert main(["run", SHORT, "--out", str(run), "--quiet"]) == 0
    assert main(["export", str(run), "--out", str(tmp_path)]) == 2  # a directory given as the file
    assert "is a directory; give a file name" in capsys.readouterr().err
    mine = tmp_path / "log.xes"
    mine.write_text("<mine/>", encoding="utf-8")
    assert main(["export", str(run), "--format", "xes", "--out", str(mine)]) == 2
    assert mine.read_text(encoding="utf-8") == "<mine/>"
    assert main(["export", str(run), "--format", "xes", "--out", str(mine), "--force"]) == 0
    assert main(["export", str(run), "--format", "xes", "--out", str(mine)]) == 0  # ours now
    # the default target lies inside the result folder: the manifest lists it, so a re-run still may replace it
    assert main(["export", str(run)]) == 0
    assert main(["export", str(run)]) == 0
    assert "events.pm.csv" in json.loads((run / MANIFEST).read_text(encoding="utf-8"))["files"]
    assert _manifest_matches(run)
    assert main(["run", SHORT, "--out", str(run), "--quiet"]) == 0
    assert not (run / "events.pm.csv").exists()
    assert _hidden(tmp_path) == [] and _hidden(run) == []


def test_export_of_a_replication_registers_in_the_top_manifest(tmp_path):
    run = tmp_path / "r"
    assert main(["run", SHORT, "--out", str(run), "--quiet", "--replications", "2"]) == 0
    assert main(["export", str(run / "000"), "--format", "parquet"]) == 0
    assert main(["export", str(run / "000"), "--format", "parquet"]) == 0  # recognised as ours by its metadata
    assert _manifest_matches(run)


def test_export_failing_mid_write_keeps_the_old_file(tmp_path, monkeypatch, capsys):
    run = tmp_path / "r"
    assert main(["run", SHORT, "--out", str(run), "--quiet"]) == 0
    target = tmp_path / "log.csv"
    assert main(["export", str(run), "--out", str(target)]) == 0
    before = target.read_bytes()

    def half_then_full(rows, out):
        out.write_text("case:concept:name,conc", encoding="utf-8")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("simulator.export._csv", half_then_full)
    assert main(["export", str(run), "--out", str(target)]) == 2
    assert f"--out {target}: could not write it: No space left on device" in capsys.readouterr().err
    assert target.read_bytes() == before and _hidden(tmp_path) == []


def test_schema_out(tmp_path, capsys):
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    assert main(["schema", "--out", str(tmp_path / "afile")]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err
    folder = tmp_path / "schema"
    folder.mkdir()
    (folder / "README.md").write_text("mine", encoding="utf-8")
    (folder / "routing.schema.json").write_text('{"title": "my own routing schema"}', encoding="utf-8")
    assert main(["schema", "--out", str(folder)]) == 2
    assert "routing.schema.json: exists and was not written by wenzheng" in capsys.readouterr().err
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", "routing.schema.json"]  # nothing written
    assert main(["schema", "--out", str(folder), "--force"]) == 0
    assert main(["schema", "--out", str(folder)]) == 0  # all ours now
    assert (folder / "README.md").read_text(encoding="utf-8") == "mine"
    assert json.loads((folder / "routing.schema.json").read_text(encoding="utf-8"))["title"].startswith("wenzheng")
    assert _hidden(folder) == []


# ---- the module on its own ---------------------------------------------------------------------------------------

def test_staged_dir_removes_staging_on_any_error(tmp_path):
    target = tmp_path / "r"
    with pytest.raises(ZeroDivisionError), outputs.staged_dir(target, kind="t") as staging:
        (staging / "a.txt").write_text("a", encoding="utf-8")
        1 / 0  # noqa: B018
    assert list(tmp_path.iterdir()) == []
    with outputs.staged_dir(target, kind="t") as staging:
        (staging / "sub").mkdir()
        (staging / "sub" / "b.txt").write_text("b", encoding="utf-8")
    assert json.loads((target / MANIFEST).read_text(encoding="utf-8"))["files"] == ["sub/b.txt"]


def test_a_manifest_not_ours_is_foreign(tmp_path):
    target = tmp_path / "r"
    target.mkdir()
    (target / MANIFEST).write_text('{"written_by": "someone else", "files": []}', encoding="utf-8")
    with pytest.raises(outputs.OutputError, match="holds files wenzheng did not write"):
        outputs.check_output_dir(target)


def test_symlinks_are_refused(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(outputs.OutputError, match="is a symbolic link"):
        outputs.check_output_dir(tmp_path / "link")
    with pytest.raises(outputs.OutputError, match="is a symbolic link"):
        outputs.check_output_file(tmp_path / "link", owned=lambda p: True)


def test_baseline_update_checks_its_files_before_the_runs(tmp_path, monkeypatch, capsys):
    d = tmp_path / "baselines"
    d.mkdir()
    text = (ROOT / "baselines" / "golden-week-2014.yaml").read_text(encoding="utf-8")
    (d / "golden-week-2014.yaml").write_text(text.replace("../scenarios/", f"{ROOT}/scenarios/"), encoding="utf-8")
    real_open = os.open

    def erofs(path, *args, **kwargs):
        if Path(path).parent == d:
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(outputs.os, "open", erofs)
    monkeypatch.setattr("simulator.gate.record_baseline", _never_called)
    assert main(["baseline", "update", "--baseline-dir", str(d)]) == 2
    assert f"cannot write in {d}: Read-only file system" in capsys.readouterr().err
