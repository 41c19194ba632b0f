"""``wenzheng drive`` against an address it cannot use: a Chinese-first message naming the address and the
operating system's reason, exit 2, no traceback, never httpx's English repr (``ConnectError('[Errno 111]
Connection refused')``).

Oracles: the reason for a port nothing listens on is ECONNREFUSED, whose Chinese text is 连接被拒绝 and whose
English text is the C library's ``os.strerror(errno.ECONNREFUSED)``; a server that accepts and drops the
connection at once resets it (ECONNRESET) or closes it without an answer.
"""

from __future__ import annotations

import errno
import os
import socket
import threading

import pytest

import live.drive as d
from tests.conftest import ROOT
from wenzheng.cli import main

CHANGPING = ROOT / "scenarios" / "changping-2014.yaml"
CONFIG = ROOT / "scenarios" / "live-demo.toml"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _drive(target: str, *lang: str) -> int:
    return main([*lang, "drive", str(CHANGPING), "--target", target, "--config", str(CONFIG),
                 "--until", "2014-04-02"])


@pytest.fixture()
def quick(monkeypatch):
    monkeypatch.setattr(d, "WAIT_UP", 0.3)  # the wait for a service that is starting: 30 s by default


def _clean(err: str) -> None:
    assert "Traceback" not in err and "ConnectError" not in err and "Errno" not in err and "(" + "'" not in err


def test_nothing_listening_chinese(quick, capsys, zh):
    target = f"http://127.0.0.1:{_free_port()}"
    assert _drive(target) == 2
    err = capsys.readouterr().err
    assert f"0.3 秒内无法连接服务 {target}：连接被拒绝（先启动 wenzheng serve）" in err
    _clean(err)


def test_nothing_listening_english(quick, capsys):
    target = f"http://127.0.0.1:{_free_port()}"
    assert _drive(target, "--lang", "en") == 2
    err = capsys.readouterr().err
    assert f"cannot reach the service at {target} within 0.3 s: {os.strerror(errno.ECONNREFUSED)} (start" in err
    _clean(err)


@pytest.fixture()
def dropper():
    """A server that accepts each connection and closes it at once, never answering."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()

    def run() -> None:
        while True:
            try:
                c, _ = srv.accept()
            except OSError:
                return
            c.close()

    threading.Thread(target=run, daemon=True).start()
    yield f"http://127.0.0.1:{srv.getsockname()[1]}"
    srv.close()


def test_a_server_that_drops_the_connection(quick, capsys, zh, dropper):
    assert _drive(dropper) == 2
    err = capsys.readouterr().err
    assert f"{dropper} 有服务应答，但不是问政在线服务（wenzheng serve）：" in err
    reason = err.split("（wenzheng serve）：", 1)[1].strip()
    assert reason in ("连接被对方重置", "对方没有按 HTTP 应答（例如没有应答就断开了连接）")
    _clean(err)


def test_transport_reason_of_each_kind():
    import httpx

    from engine.i18n import lang_scope

    refused = httpx.ConnectError("x")
    refused.__cause__ = ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed ('127.0.0.1', 9)")
    with lang_scope("zh"):
        assert d.transport_reason(refused) == "连接被拒绝"
        assert d.transport_reason(httpx.ReadTimeout("x")) == "等待应答超时"
        assert d.transport_reason(httpx.RemoteProtocolError("Server disconnected")).startswith("对方没有按 HTTP 应答")
    with lang_scope("en"):
        assert d.transport_reason(refused) == os.strerror(errno.ECONNREFUSED)
        assert d.transport_reason(httpx.ReadTimeout("x")) == "timed out waiting for the answer"
