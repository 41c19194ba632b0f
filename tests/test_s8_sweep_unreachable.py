"""``wenzheng sweep --executor dask --scheduler ADDRESS`` with no scheduler there: at once (not after Dask's
5 s of retries), exit 2, no traceback, a Chinese-first message naming the address and the operating system's
reason, never Dask's English ("OSError: Timed out trying to connect to tcp://… after 5 s").

Oracles: a port nothing listens on is ECONNREFUSED (Chinese 连接被拒绝, English ``os.strerror``); a scheme
Dask does not know is not a scheduler address.
"""

from __future__ import annotations

import errno
import os
import socket
import time

import pytest

pytest.importorskip("distributed")

from tests.conftest import ROOT  # noqa: E402
from wenzheng.cli import main  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _sweep(tmp_path, scheduler: str, *lang: str) -> int:
    return main([*lang, "sweep", str(ROOT / "scenarios" / "changping-2014.yaml"), "--set", "desk.staff=5,7",
                 "--executor", "dask", "--scheduler", scheduler, "--out", str(tmp_path / "sweep"), "--quiet"])


def _clean(err: str) -> None:
    assert "Traceback" not in err and "OSError" not in err and "Timed out trying" not in err


def test_nothing_listening_chinese(tmp_path, capsys, zh):
    address = f"tcp://127.0.0.1:{_free_port()}"
    t0 = time.monotonic()
    assert _sweep(tmp_path, address) == 2
    assert time.monotonic() - t0 < 4  # Dask alone would retry for 5 s
    err = capsys.readouterr().err
    assert f"--scheduler {address}：连不上 Dask 调度器：连接被拒绝；" in err
    _clean(err)


def test_nothing_listening_english(tmp_path, capsys):
    address = f"tcp://127.0.0.1:{_free_port()}"
    assert _sweep(tmp_path, address, "--lang", "en") == 2
    err = capsys.readouterr().err
    assert f"--scheduler {address}: cannot reach the Dask scheduler: {os.strerror(errno.ECONNREFUSED)};" in err
    _clean(err)


@pytest.mark.parametrize("address", ["nonsense://x", "tcp://127.0.0.1:99999"])
def test_not_an_address(tmp_path, capsys, zh, address):
    assert _sweep(tmp_path, address) == 2
    err = capsys.readouterr().err
    assert f"--scheduler {address}：连不上 Dask 调度器：不是 Dask 调度器的地址" in err
    _clean(err)


def test_why_walks_to_the_os_reason():
    from engine.i18n import lang_scope
    from sweeps.executors import _why

    exc = OSError("Timed out trying to connect to tcp://127.0.0.1:9 after 5 s")
    exc.__cause__ = ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused")
    with lang_scope("zh"):
        assert _why(exc) == "连接被拒绝"
        assert _why(OSError("Timed out trying to connect")) == "连接后没有 Dask 调度器的应答"
