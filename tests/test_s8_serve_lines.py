"""``wenzheng serve`` says start, ready and stop in the chosen language, not uvicorn's English INFO lines
("Started server process", "Waiting for application startup.", "Application startup complete.", "Uvicorn
running on …", "Shutting down").

The oracle is the address the test chose (a free port) and the catalogue's wording written out here; the
server runs in a subprocess and its first lines are read as they come.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from live.loadtest import free_port
from tests.test_live_support import RULES

UVICORN = ("Started server process", "Waiting for application startup", "Application startup complete",
           "Uvicorn running on", "Shutting down", "Application shutdown complete", "Finished server process",
           "INFO")


def _lines_until(proc: subprocess.Popen[str], marker: str, seconds: float) -> list[str]:
    lines: list[str] = []
    end = time.monotonic() + seconds
    assert proc.stderr is not None
    os.set_blocking(proc.stderr.fileno(), False)
    while time.monotonic() < end:
        line = proc.stderr.readline()
        if line:
            lines.append(line.rstrip("\n"))
            if marker in line:
                return lines
        elif proc.poll() is not None:
            break
        else:
            time.sleep(0.02)
    raise AssertionError(f"no {marker!r} within {seconds} s:\n" + "\n".join(lines))


@pytest.mark.parametrize("lang, ready, stopping, stopped", [
    ("zh", "服务已就绪，正在接收请求：http://127.0.0.1:{port}（按 Ctrl-C 停止）", "正在停止服务", "服务已停止"),
    ("en", "ready, taking requests at http://127.0.0.1:{port} (Ctrl-C stops it)", "stopping:",
     "the service has stopped"),
])
def test_serve_speaks_the_language_not_uvicorns_english(tmp_path: Path, lang, ready, stopping, stopped):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "WENZHENG_LANG"}
    args = [] if lang == "zh" else ["--lang", "en"]  # Chinese is the default
    proc = subprocess.Popen([sys.executable, "-m", "wenzheng", "serve", *args, "--rules", str(RULES),
                             "--db", f"sqlite:///{tmp_path / 'live.db'}", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    try:
        first = _lines_until(proc, f":{port}", 20)  # start-up takes ~2 s here; 20 s for a busy machine
        first += _lines_until(proc, ready.format(port=port)[-12:], 20)
        assert first[-1] == ready.format(port=port)
        assert first[0].endswith(f"http://127.0.0.1:{port}")  # serve.start names the address too
        proc.send_signal(signal.SIGINT)
        rest = _lines_until(proc, stopped, 20)
        assert proc.wait(20) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    text = "\n".join(first + rest)
    assert any(stopping in line for line in rest)
    for english in UVICORN:
        assert english not in text, text
    assert "Traceback" not in text
