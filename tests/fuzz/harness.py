"""The fuzz oracle: no traceback, no hang, never exit 3.

In process, the only exceptions a target may raise are ``WenzhengError``
subclasses; ``wenzheng.cli.main`` must return 0, 1 or 2.  Every example runs
under a hard time bound: ``setitimer`` raises ``Hang`` (a ``BaseException``,
so library code that catches ``Exception`` cannot swallow it) and a
``faulthandler`` watchdog kills the process with a traceback if C code never
returns to the interpreter.  Either way a hang fails instead of hanging the
suite; hypothesis's ``deadline`` cannot do that (it only measures afterwards).

Budgets: the normal run uses each target's ``base`` number of examples
(derandomized, no database, so CI is reproducible); ``WENZHENG_FUZZ=N``
spreads N examples over the targets by weight, with random seeds and
reproduction blobs (``tox -e fuzz``).
"""

from __future__ import annotations

import contextlib
import faulthandler
import io
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, settings

from engine.errors import SourceError, WenzhengError

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "rules"
SCENARIOS = ROOT / "scenarios"

#: examples per target in the normal test run, and each target's share of WENZHENG_FUZZ
TARGETS: dict[str, int] = {
    "rules": 80,
    "rules_text": 40,
    "scenarios": 60,
    "scenario_sim": 15,
    "policy_tests": 40,
    "explain": 200,
    "explain_cli": 40,  # two tests use it
    "weibo": 300,
    "wechat": 300,
    "cli": 150,
}
#: seconds an example may take (wall clock); the slowest legitimate example takes well under 1 s
TIME_BOUND = float(os.environ.get("WENZHENG_FUZZ_TIMEOUT", "5"))


def fuzz_budget() -> int | None:
    raw = os.environ.get("WENZHENG_FUZZ", "").strip()
    return int(raw) if raw else None


def examples(target: str) -> int:
    total = fuzz_budget()
    if total is None:
        return TARGETS[target]
    return max(1, round(total * TARGETS[target] / sum(TARGETS.values())))


def fuzz_settings(target: str) -> settings:
    """Settings for one target: the CI profile (reproducible) or the fuzz profile (random, shrinking)."""
    profile = "wenzheng-fuzz" if fuzz_budget() is not None else "wenzheng-fuzz-ci"
    if not _registered:
        register_profiles()
    return settings(settings.get_profile(profile), max_examples=examples(target))


_registered = False


def register_profiles() -> None:
    """Called from tests/conftest.py; no profile is loaded globally (other tests keep the defaults)."""
    global _registered
    _registered = True
    common: dict[str, Any] = dict(
        deadline=None,  # the hard bound below replaces it
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much,
                               HealthCheck.function_scoped_fixture, HealthCheck.large_base_example],
        print_blob=True,
    )
    # CI: same examples every run, no database; no shrinking, so a found failure (which may be a
    # hang costing TIME_BOUND per call) is reported at once; shrink it with the fuzz profile.
    settings.register_profile("wenzheng-fuzz-ci", derandomize=True, database=None,
                              phases=[Phase.explicit, Phase.generate], **common)
    db_dir = os.environ.get("WENZHENG_FUZZ_DB")
    if db_dir:
        from hypothesis.database import DirectoryBasedExampleDatabase

        database: Any = DirectoryBasedExampleDatabase(db_dir)
    else:
        database = None
    # no explain phase: its line tracing slows every call several-fold, and a slowed call then trips the hang
    # bound (a false "hang" found by tox -e fuzz in explain and bench)
    settings.register_profile("wenzheng-fuzz", derandomize=False, database=database,
                              phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
                              **common)


class Hang(BaseException):
    """Raised by the timer inside a target that ran past its bound."""


@contextlib.contextmanager
def time_limit(seconds: float = TIME_BOUND) -> Iterator[None]:
    def on_alarm(signum: int, frame: Any) -> None:
        raise Hang(f"example ran longer than {seconds:g} s")

    old = signal.signal(signal.SIGALRM, on_alarm)
    # re-fires every 0.5 s: an alarm landing in a gc callback or __del__ is swallowed ("Exception ignored")
    signal.setitimer(signal.ITIMER_REAL, seconds, 0.5)
    # C code that never returns to the interpreter cannot see the alarm: kill the run, with tracebacks
    faulthandler.dump_traceback_later(seconds * 4 + 10, exit=True, file=sys.__stderr__)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        faulthandler.cancel_dump_traceback_later()


def bounded(fn: Callable[[], Any], seconds: float = TIME_BOUND) -> tuple[Any, WenzhengError | None]:
    """Run ``fn`` under the time bound: (its result, None) or (None, the expected error it raised).

    Any other exception propagates (hypothesis reports and, in the fuzz profile, shrinks it); a hang
    becomes an AssertionError.
    """
    try:
        with time_limit(seconds):
            return fn(), None
    except Hang as exc:
        raise AssertionError(f"hang: {exc}{where(exc)}") from None
    except WenzhengError as exc:
        check_error(exc)
        return None, exc


def where(exc: BaseException) -> str:
    """`` in file:line (function)`` of the innermost project frame an exception passed through."""
    import traceback

    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if f.filename.startswith(str(ROOT)) and "/tests/" not in f.filename and "/.venv/" not in f.filename]
    if not frames:
        return ""
    f = frames[-1]
    return f" in {Path(f.filename).relative_to(ROOT)}:{f.lineno} ({f.name})"


def check_error(exc: WenzhengError) -> None:
    """An expected error must say something, and a file error must name the file."""
    text = str(exc)
    assert text.strip(), f"{type(exc).__name__} with an empty message"
    if isinstance(exc, SourceError):
        assert exc.problems, "SourceError without problems"
        for p in exc.problems:
            assert p.file, f"problem without a file: {p!r}"


@contextlib.contextmanager
def scratch(base: Path) -> Iterator[Path]:
    """A fresh directory per example (tmp_path is per test, examples are many), removed afterwards."""
    d = Path(tempfile.mkdtemp(prefix="ex-", dir=base))
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


def run_cli(argv: list[str], cwd: Path, stdin: str = "", seconds: float = TIME_BOUND) -> tuple[int, str, str]:
    """``wenzheng.cli.main(argv)`` in process with ``cwd`` as working directory; (code, stdout, stderr).

    Fails on exit code 3 (a bug: its traceback is in the message), any other code than 0/1/2, an
    exception escaping ``main`` or a hang.
    """
    from wenzheng.cli import main

    out, err = io.StringIO(), io.StringIO()
    old_cwd, old_stdin = os.getcwd(), sys.stdin
    os.chdir(cwd)
    sys.stdin = io.StringIO(stdin)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), time_limit(seconds):
            code = main(argv)
    except Hang as exc:
        raise AssertionError(f"hang: wenzheng {argv!r}: {exc}{where(exc)}") from None
    finally:
        os.chdir(old_cwd)
        sys.stdin = old_stdin
    tail = err.getvalue()[-3000:]
    assert code != 3, f"exit 3 (internal error) for wenzheng {argv!r}:\n{tail}"
    assert code in (0, 1, 2), f"exit {code} for wenzheng {argv!r}:\n{tail}"
    if code == 2:
        assert "Traceback" not in err.getvalue(), f"traceback with exit 2 for {argv!r}:\n{tail}"
    return code, out.getvalue(), err.getvalue()
