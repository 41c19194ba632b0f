"""``wenzheng serve`` as a user starts and stops it: the address is taken before the store is opened (a port in
use or an address not of this machine is exit 2 naming --port / --host, and no store is created), and a
SIGTERM or SIGINT stops it gracefully with the exit codes of every other command (143, 130)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from live.loadtest import free_port
from tests.test_live_support import RULES
from wenzheng.cli import main


def _refused(capsys, tmp_path: Path, *args: str) -> str:
    assert main(["serve", "--rules", str(RULES), "--db", f"sqlite:///{tmp_path / 'x.db'}", "--lang", "zh",
                 *args]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "ERROR" not in err
    assert list(tmp_path.iterdir()) == []  # the store was neither created nor migrated
    return err


def test_a_port_in_use_is_refused_before_the_store_is_opened(tmp_path, capsys):
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen(1)
        port = other.getsockname()[1]
        err = _refused(capsys, tmp_path, "--port", str(port))
    assert f"地址 127.0.0.1:{port} 已被占用" in err and "--port" in err


def test_an_address_not_of_this_machine_is_refused_before_the_store_is_opened(tmp_path, capsys):
    err = _refused(capsys, tmp_path, "--host", "192.0.2.1", "--port", str(free_port()))  # TEST-NET-1
    assert "--host 192.0.2.1 不是本机的地址" in err


def test_a_host_name_that_does_not_resolve_is_refused(tmp_path, capsys):
    err = _refused(capsys, tmp_path, "--host", "no-such-host.invalid")
    assert "--host no-such-host.invalid 不是可用的主机名或地址" in err


def _start(folder: Path, ignore_sigint: bool = False) -> tuple[subprocess.Popen[bytes], str, Path]:
    port = free_port()
    log = folder / "serve.log"
    env = {**os.environ, "WENZHENG_LANG": "en"}

    def ignore() -> None:  # as a background job of a shell script is started
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "wenzheng", "serve", "--rules", str(RULES), "--db",
                                 f"sqlite:///{folder / 'live.db'}", "--port", str(port)],
                                stdout=out, stderr=out, env=env, cwd=folder,
                                preexec_fn=ignore if ignore_sigint else None)
    url = f"http://127.0.0.1:{port}"
    end = time.monotonic() + 60
    while time.monotonic() < end:
        assert proc.poll() is None, log.read_text()
        try:
            if httpx.get(f"{url}/status", timeout=1.0).status_code == 200:
                return proc, url, log
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    proc.kill()
    raise AssertionError(f"serve did not answer:\n{log.read_text()}")


@pytest.mark.parametrize("sig, ignore_sigint, code", [
    (signal.SIGTERM, False, 143),
    (signal.SIGINT, False, 130),
    (signal.SIGINT, True, 130),  # SIGINT ignored when serve started (a script's background job): still 130
])
def test_a_signal_stops_serve_gracefully_with_the_documented_exit_code(tmp_path, sig, ignore_sigint, code):
    proc, url, log = _start(tmp_path, ignore_sigint)
    try:
        proc.send_signal(sig)
        assert proc.wait(30) == code, log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    text = log.read_text()
    # graceful: uvicorn stopped serving and ran the app's shutdown (the scheduler cancelled); no traceback
    # (serve says "the service has stopped" once uvicorn's shutdown has returned, in place of its English INFO)
    assert "the service has stopped" in text and "Traceback" not in text
    # the message names what happened: SIGTERM is not an interruption by the user
    assert ("terminated (SIGTERM)" in text) == (sig == signal.SIGTERM)
    assert ("interrupted" in text) == (sig == signal.SIGINT)
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{url}/status", timeout=1.0)


# --- /status (finding 7) -------------------------------------------------------------------------------

def test_status_counts_open_cases_as_the_desk_does_and_shows_times_in_the_policy_zone(live_dbs):
    from live.clock import FakeClock
    from tests.test_live_support import T0
    from tests.test_live_web_support import DESK, HLG, A, auth, web_client, web_service

    clock = FakeClock(T0)  # 2014-05-14 02:05 UTC = 10:05 in Beijing
    with web_service(live_dbs, clock) as service, web_client(service, clock) as client:
        desk_open = len(client.get("/api/cases?open=1", headers=auth(DESK)).json()["cases"])
        st = client.get("/status").json()
        assert st["open_cases"] == desk_open == 2  # the two cases web_service opens; the unlocated post is none
        assert client.post(f"/api/cases/{A}/reply", headers=auth(HLG), json={"kind": "立行立改"}).status_code == 200
        st = client.get("/status").json()
        assert st["open_cases"] == len(client.get("/api/cases?open=1", headers=auth(DESK)).json()["cases"]) == 1
        # hand-computed: the other case's reply reminder, 3 working days after Wed 14 May 10:05, at 17:30
        assert st["now"] == "2014-05-14T10:05:00+08:00"
        assert st["next_due"] == "2014-05-19T17:30:00+08:00"
        assert set(st) == {"now", "clock_speed", "counts", "open_cases", "next_due", "fired_at_start",
                           "scheduler_error", "calendar_through", "deadlines_held"}
        assert (st["calendar_through"], st["deadlines_held"]) == ("2026-12-31", [])
        assert (st["clock_speed"], st["fired_at_start"], st["scheduler_error"]) == (1.0, 0, None)
