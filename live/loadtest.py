"""A `wenzheng serve` process and a small signed sender, for the kill -9 test (tests/test_live_kill.py) and the
intake benchmark (``wenzheng bench --live``; docs/live.md, "Throughput"; docs/benchmarks.md).

The sender does what WeChat does: it signs every request with the channel's secret and a timestamp of the
service's clock, and retries a post up to 3 times on a connection error or a 5xx.  Not the load driver of
issue 13 (`wenzheng drive`): only enough to hold a service under load and time its answers.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from .service import signature

TOKEN, SECRET = "wx-token-for-load-tests", "weibo-secret-for-load-tests"
#: texts naming one of the policy's places each (every post opens a case)
TEXTS = ("回龙观龙泽苑小区群租房太多，晚上很吵，希望有关部门管一管", "天通苑北二区门口的路灯坏了好几天了",
         "城北菜市场占道经营，早上堵得走不动", "城南小区供暖不热，屋里才十五度")


def free_port() -> int:
    """A TCP port of 127.0.0.1 free at the moment of asking."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Service:
    """``wenzheng serve`` in a subprocess on a free port of 127.0.0.1 (its output in ``log``)."""

    def __init__(self, db: str, folder: Path, rules: Path, settings: dict[str, Any] | None = None,
                 python: str = sys.executable, pythonpath: str | None = None) -> None:
        self.db, self.folder, self.rules, self.python = db, folder, Path(rules).resolve(), python
        self.config = folder / "live.yaml"
        values = {"wechat_token": TOKEN, "weibo_secret": SECRET, **(settings or {})}
        self.config.write_text("".join(f"{k}: {json.dumps(v, ensure_ascii=False)}\n" for k, v in values.items()),
                               encoding="utf-8")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / "serve.log"
        self.env = {**os.environ, "WENZHENG_LANG": "en"}
        if pythonpath:
            self.env["PYTHONPATH"] = pythonpath
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> Service:
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [self.python, "-m", "wenzheng", "serve", "--rules", str(self.rules), "--db", self.db, "--host", "127.0.0.1",
                 "--port", str(self.port), "--config", str(self.config)],
                stdout=log, stderr=log, env=self.env, cwd=self.env.get("PYTHONPATH") or self.folder)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"wenzheng serve exited with {self.proc.returncode}:\n{self.log.read_text()}")
            try:
                if httpx.get(f"{self.url}/status", timeout=1.0).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"wenzheng serve did not answer within {timeout} s:\n{self.log.read_text()}")

    def status(self) -> dict[str, Any]:
        return dict(httpx.get(f"{self.url}/status", timeout=5.0).json())

    def kill(self) -> None:
        """``kill -9``: no shutdown, no flush, no goodbye."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


def wechat_xml(msg_id: int, text: str, sender: str = "oUser1") -> bytes:
    return (f"<xml><ToUserName><![CDATA[gh_changping]]></ToUserName><FromUserName><![CDATA[{sender}]]></FromUserName>"
            f"<CreateTime>1400033100</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{text}]]></Content><MsgId>{msg_id}</MsgId></xml>").encode()


def weibo_status(sid: int, text: str) -> bytes:
    return json.dumps({"id": sid, "idstr": str(sid), "created_at": "Wed May 14 10:05:00 +0800 2014", "text": text,
                       "user": {"id": 42, "idstr": "42", "screen_name": "回龙观居民"},
                       "reposts_count": sid % 7, "comments_count": 0}, ensure_ascii=False).encode()


def posts(n: int, first: int = 1) -> list[tuple[str, str, bytes]]:
    """``n`` distinct posts, alternately WeChat and Weibo: (channel, post id, body)."""
    out = []
    for i in range(first, first + n):
        text = TEXTS[i % len(TEXTS)] + f"（第{i}条）"
        if i % 2:
            out.append(("wechat", f"wechat-{i}", wechat_xml(i, text)))
        else:
            out.append(("weibo", f"weibo-{i}", weibo_status(i, text)))
    return out


@dataclass
class Sender:
    """Signs with the service's clock (read once from /status; scaled clocks run ``speed`` times faster)."""

    url: str
    offset: float = 0.0  # service clock minus real time, at real time ``since``
    speed: float = 1.0
    since: float = field(default_factory=time.time)
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)

    def sync(self) -> None:
        real = time.time()
        st = httpx.get(f"{self.url}/status", timeout=5.0).json()
        self.speed = float(st.get("clock_speed", 1.0))
        self.offset, self.since = datetime.fromisoformat(st["now"]).timestamp() - real, real

    def service_now(self) -> float:
        real = time.time()
        return self.since + self.offset + (real - self.since) * self.speed

    def query(self, channel: str, secret: str | None = None, nonce: str = "") -> dict[str, str]:
        ts = str(int(self.service_now()))
        nonce = nonce or os.urandom(6).hex()
        return {"signature": signature(secret or (TOKEN if channel == "wechat" else SECRET), ts, nonce),
                "timestamp": ts, "nonce": nonce}

    async def post(self, client: httpx.AsyncClient, channel: str, body: bytes, tries: int = 3,
                   params: dict[str, str] | None = None) -> httpx.Response | None:
        """One delivery with WeChat's retries (a connection error or a 5xx); None when every try failed."""
        for attempt in range(tries):
            t0 = time.perf_counter()
            try:
                r = await client.post(f"/{channel}", params=params or self.query(channel), content=body)
            except httpx.TransportError:
                await asyncio.sleep(0.05 * (attempt + 1))
                continue
            self.latencies.append(time.perf_counter() - t0)
            self.statuses[r.status_code] = self.statuses.get(r.status_code, 0) + 1
            if r.status_code < 500:
                return r
            await asyncio.sleep(0.05 * (attempt + 1))
        return None

    async def send_all(self, items: list[tuple[str, str, bytes]], connections: int = 12,
                       answered: dict[str, str] | None = None) -> list[tuple[str, str, bytes]]:
        """Send every post over ``connections`` concurrent connections; returns those never answered (2xx)."""
        queue: asyncio.Queue[tuple[str, str, bytes]] = asyncio.Queue()
        for item in items:
            queue.put_nowait(item)
        failed: list[tuple[str, str, bytes]] = []
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        async with httpx.AsyncClient(base_url=self.url, limits=limits, timeout=10.0) as client:
            async def worker() -> None:
                while not queue.empty():
                    item = queue.get_nowait()
                    r = await self.post(client, item[0], item[2])
                    if r is None or r.status_code != 200:
                        failed.append(item)
                    elif answered is not None:
                        answered[item[1]] = r.text
            await asyncio.gather(*[worker() for _ in range(connections)])
        return failed


    async def send_at_rate(self, items: list[tuple[str, str, bytes]], rate: float,
                           connections: int = 64) -> list[tuple[str, str, bytes]]:
        """Open loop: post ``i`` leaves at ``i / rate`` seconds whatever the answers before it did (a slow service
        queues them and its latency shows it); returns the posts never answered (2xx)."""
        failed: list[tuple[str, str, bytes]] = []
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        async with httpx.AsyncClient(base_url=self.url, limits=limits, timeout=30.0) as client:
            async def one(item: tuple[str, str, bytes]) -> None:
                r = await self.post(client, item[0], item[2])
                if r is None or r.status_code != 200:
                    failed.append(item)

            loop = asyncio.get_running_loop()
            t0 = loop.time()
            tasks = []
            for i, item in enumerate(items):
                delay = t0 + i / rate - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(one(item)))
            await asyncio.gather(*tasks)
        return failed


def measure(rules: Path, n: int = 3000, rate: float | None = 250.0, connections: int = 64, db: str | None = None,
            pythonpath: str | None = None, warmup: int = 200) -> dict[str, Any]:
    """Sustained intake of ``n`` posts over loopback into a fresh service (its own process): offered at ``rate``
    posts/s (open loop), or as fast as ``connections`` concurrent senders go when ``rate`` is None.  Returns
    posts/s (accepted posts / wall time from the first post sent to the last answer), p50, p99, max latency (ms)."""
    with tempfile.TemporaryDirectory(prefix="wenzheng-load-") as tmp:
        folder = Path(tmp)
        service = Service(db or f"sqlite:///{folder / 'load.db'}", folder, rules, pythonpath=pythonpath).start()
        try:
            sender = Sender(service.url)
            sender.sync()
            asyncio.run(sender.send_all(posts(warmup, first=10_000_000), min(connections, 8)))
            sender.latencies.clear()
            before = _accepted(service.status())
            items = posts(n)
            t0 = time.perf_counter()
            failed = asyncio.run(sender.send_at_rate(items, rate, connections) if rate is not None
                                 else sender.send_all(items, connections))
            wall = time.perf_counter() - t0
            lat = sorted(sender.latencies)
            accepted = _accepted(service.status()) - before
        finally:
            service.stop()
    q = statistics.quantiles(lat, n=100, method="inclusive")
    return {"posts": n, "offered_rate": rate, "connections": connections, "seconds": round(wall, 3),
            "posts_per_second": round(accepted / wall, 1), "p50_ms": round(q[49] * 1000, 2),
            "p99_ms": round(q[98] * 1000, 2), "max_ms": round(lat[-1] * 1000, 2), "failed": len(failed),
            "accepted": accepted}


def _accepted(status: dict[str, Any]) -> int:
    return sum(int(c.get("accepted", 0)) for c in status["counts"].values())
