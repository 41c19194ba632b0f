"""``wenzheng drive`` when things go wrong (issue 13's trial, findings 2, 6, 12, 14 and 9): a configuration or
token the service refuses is found before anything is sent; a target that is not a URL or not a wenzheng
service is refused at once; a service that goes away mid-run is waited for and what failed is resent (nothing
lost, nothing twice); what is announced is what is counted; a bad --until is refused in Chinese."""

from __future__ import annotations

import asyncio
import gc
import http.server
import json
import socket
import threading
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import create_engine, func, select

from engine.policy import Policy
from live import store
from live.app import create_app
from live.config import load_config
from live.drive import DriveError, announce, build_timeline, check_config, check_target, drive

ROOT = Path(__file__).resolve().parent.parent
CHANGPING = ROOT / "scenarios" / "changping-2014.yaml"
SPEED = 43_200.0
UNITS = list(Policy.load(ROOT / "rules").units)
pytestmark = pytest.mark.usefixtures("zh")  # the messages in Chinese, the default
TOKENS: dict[str, Any] = dict(wechat_token="test-wechat-token", weibo_secret="test-weibo-secret",
                              desk_token="test-desk-token-0001", supervisor_token="test-supervisor-token-01",
                              unit_tokens={u: f"test-unit-token-{i:04d}" for i, u in enumerate(UNITS)})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _config(db: str, **over: Any) -> Any:
    return load_config(None, environ={}, db=db, clock_speed=SPEED,
                       clock_start=datetime.fromisoformat("2014-03-31T00:00:00+08:00"), poll_seconds=0.05,
                       **{**TOKENS, **over})


class Server:
    """The app in a thread on ``port`` (uvicorn), stoppable and restartable on the same store."""

    def __init__(self, config: Any, port: int) -> None:
        self.config, self.port = config, port
        self.url = f"http://127.0.0.1:{port}"
        self.server: uvicorn.Server | None = None

    def start(self) -> Server:
        app = create_app(ROOT / "rules", self.config)
        self.app = app
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        end = time.monotonic() + 20
        while not self.server.started and time.monotonic() < end:
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.should_exit = True
            self.server.force_exit = True
            self.thread.join(timeout=10)
            self.app.state.service.close()
            self.server = None


@pytest.fixture
def db(tmp_path):  # type: ignore[no-untyped-def]
    return f"sqlite:///{tmp_path / 'live.db'}"


def _stored(db: str) -> tuple[list[str], list[str], int]:
    engine = create_engine(db)
    try:
        with engine.connect() as conn:
            cases = [r.case_id for r in conn.execute(select(store.cases.c.case_id))]
            replies = [r.case_id for r in conn.execute(select(store.events.c.case_id)
                                                       .where(store.events.c.kind == "reply_filed"))]
            posts = conn.execute(select(func.count()).select_from(store.posts)).scalar_one()
    finally:
        engine.dispose()
    return cases, replies, int(posts)


@pytest.fixture(scope="module")
def short() -> Any:
    return build_timeline(CHANGPING, until=date(2014, 4, 3))


def _no_stray_tasks(coro: Any) -> tuple[Any, list[dict[str, Any]]]:
    """Run ``coro``; also collect what asyncio reports to its exception handler (e.g. "Task exception was never
    retrieved"), after a garbage collection while the loop still runs."""
    seen: list[dict[str, Any]] = []

    async def main() -> Any:
        asyncio.get_running_loop().set_exception_handler(lambda loop, ctx: seen.append(ctx))
        try:
            return await coro
        except DriveError as exc:
            return exc
        finally:
            gc.collect()
            await asyncio.sleep(0.05)
            gc.collect()

    return asyncio.run(main()), seen


# ---- finding 2: secrets and tokens before anything is sent -------------------------------------------------------

def test_check_config_names_every_missing_key(short):
    missing_unit = next(i.unit for i in short.items if i.kind == "reply")
    cfg = load_config(None, environ={}, **{**TOKENS, "weibo_secret": None,
                                           "unit_tokens": {u: v for u, v in TOKENS["unit_tokens"].items()
                                                           if u != missing_unit}})
    with pytest.raises(DriveError) as e:
        check_config(short, cfg, "c.toml")
    msg = str(e.value)
    assert "c.toml" in msg and "weibo_secret" in msg and "未发送任何内容" in msg
    assert f"unit_tokens.{missing_unit}（单位「{missing_unit}」的令牌）" in msg
    assert "wechat_token" not in msg and "desk_token" not in msg
    check_config(short, load_config(None, environ={}, **TOKENS), "c.toml")  # complete: no error


def test_cli_missing_secret_exits_2_before_any_request(tmp_path, capsys):
    from wenzheng.cli import main

    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            hits.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *a: Any) -> None:
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    cfg = tmp_path / "c.toml"
    cfg.write_text('wechat_token = "y"\n', encoding="utf-8")
    try:
        code = main(["drive", str(CHANGPING), "--target", f"http://127.0.0.1:{srv.server_address[1]}", "--config",
                     str(cfg), "--until", "2014-04-02"])
    finally:
        srv.shutdown()
    err = capsys.readouterr().err
    assert code == 2 and hits == []  # not even /status
    assert "weibo_secret" in err and "desk_token" in err and "supervisor_token" in err and str(cfg) in err
    assert "Traceback" not in err


@pytest.mark.parametrize("wrong, key", [("desk_token", "desk_token"), ("supervisor_token", "supervisor_token"),
                                        ("unit", "unit_tokens."), ("wechat_token", "wechat_token")])
def test_a_token_the_service_refuses_stops_the_drive_before_the_first_post(db, short, wrong, key):
    server = Server(_config(db), _free_port()).start()
    try:
        if wrong == "unit":
            unit = next(i.unit for i in short.items if i.kind == "reply")
            bad = load_config(None, environ={}, **{**TOKENS, "unit_tokens": {**TOKENS["unit_tokens"],
                                                                              unit: "a-wrong-unit-token-0000"}})
            key += unit
        else:
            bad = load_config(None, environ={}, **{**TOKENS, wrong: "a-wrong-token-00000000"})
        out, stray = _no_stray_tasks(drive(short, server.url, bad, source="bad.toml"))
    finally:
        server.stop()
    assert isinstance(out, DriveError), out
    assert key in str(out) and "bad.toml" in str(out) and "未发送任何内容" in str(out)
    assert _stored(db) == ([], [], 0)  # nothing sent
    assert stray == []


def test_a_refused_signature_mid_run_stops_without_stray_task_errors(db, short):
    # the Weibo secret cannot be tried by a harmless request: the first Weibo post refused stops the drive
    server = Server(_config(db), _free_port()).start()
    try:
        bad = load_config(None, environ={}, **{**TOKENS, "weibo_secret": "another-weibo-secret"})
        out, stray = _no_stray_tasks(drive(short, server.url, bad, source="bad.toml", concurrency=4))
    finally:
        server.stop()
    assert isinstance(out, DriveError) and "weibo_secret" in str(out), out
    assert stray == [], stray  # no "Task exception was never retrieved"


# ---- finding 12: targets -------------------------------------------------------------------------------------

@pytest.mark.parametrize("target", ["notaurl", "ftp://127.0.0.1:21", "http://", "127.0.0.1:8000", ""])
def test_a_target_that_is_not_an_http_url_is_refused(target):
    with pytest.raises(DriveError, match="不是 http:// 或 https:// 地址"):
        check_target(target)


def test_cli_refuses_a_bad_target_at_once(capsys):
    from wenzheng.cli import main

    t0 = time.monotonic()
    assert main(["drive", str(CHANGPING), "--target", "notaurl"]) == 2
    assert time.monotonic() - t0 < 5
    assert "notaurl" in capsys.readouterr().err


@pytest.mark.parametrize("status, body, ctype", [(404, b"<html>not found</html>", "text/html"),
                                                 (200, b"<html>hello</html>", "text/html"),
                                                 (200, b'{"ok": true}', "application/json")])
def test_a_server_that_is_not_wenzheng_is_refused_at_once(short, status, body, ctype):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a: Any) -> None:
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    t0 = time.monotonic()
    try:
        with pytest.raises(DriveError, match="不是问政在线服务"):
            asyncio.run(drive(short, f"http://127.0.0.1:{srv.server_address[1]}", load_config(None, environ={},
                                                                                              **TOKENS)))
    finally:
        srv.shutdown()
    assert time.monotonic() - t0 < 5  # not the 30 s wait for a service that is starting


def test_only_a_refused_connection_waits(short):
    t0 = time.monotonic()
    with pytest.raises(DriveError, match="秒内无法连接服务"):
        asyncio.run(drive(short, f"http://127.0.0.1:{_free_port()}", load_config(None, environ={}, **TOKENS),
                          wait_up=1.0))
    assert 1.0 <= time.monotonic() - t0 < 5
    with pytest.raises(DriveError, match="无法解析"):
        asyncio.run(drive(short, "http://no-such-host.invalid:8000", load_config(None, environ={}, **TOKENS)))


# ---- finding 9 (drive): --until ------------------------------------------------------------------------------

def test_until_not_a_date_is_refused_in_chinese(capsys):
    from wenzheng.cli import main

    assert main(["drive", str(CHANGPING), "--target", "http://127.0.0.1:9", "--until", "2014-13-01"]) == 2
    err = capsys.readouterr().err
    assert "2014-13-01" in err and "不是有效的日期" in err and "does not match" not in err
    assert main(["drive", str(CHANGPING), "--target", "http://127.0.0.1:9", "--until", "2014-4-1",
                 "--lang", "en"]) == 2
    assert "not a valid date" in capsys.readouterr().err


# ---- finding 6 and 14: the service goes away mid-run; what is announced is what is counted ----------------------

def test_service_killed_mid_run_is_waited_for_and_nothing_is_lost(db):
    tl = build_timeline(CHANGPING, until=date(2014, 4, 10))
    port = _free_port()
    config = _config(db)
    server = Server(config, port).start()
    said: list[str] = []
    outage: dict[str, float] = {}

    def bounce() -> None:  # stop the service 3 s into the drive, start it again on the same store 2 s later
        time.sleep(3.0)
        server.stop()
        outage["down"] = time.monotonic()
        time.sleep(2.0)
        server.start()
        outage["up"] = time.monotonic()

    threading.Thread(target=bounce, daemon=True).start()
    try:
        res = asyncio.run(drive(tl, server.url, config, concurrency=8, progress=said.append))
    finally:
        server.stop()
    assert "up" in outage
    assert res.outages >= 1 and any("等待其恢复" in s for s in said) and any("服务已恢复" in s for s in said)
    assert not res.errors, (res.errors, res.first_error)  # no 404 for acts on a case whose post was lost
    cases, replies, _ = _stored(db)
    posts = [i for i in tl.items if i.kind == "post"]
    assert len(cases) == len(set(cases)) and set(cases) == {i.case_id for i in posts}  # none lost, none twice
    assert sorted(replies) == sorted(i.case_id for i in tl.items if i.kind == "reply")
    for key in ("forms", "replied", "hot"):
        assert res.service_totals[key] == tl.totals[key], key
    # the report says the service was away and its clock ran on
    from live.drive import format_report

    assert "服务中断 " in format_report(tl, res, lang="zh")


def test_announced_items_are_the_counted_ones(db):
    tl = build_timeline(CHANGPING, until=date(2014, 4, 5))
    server = Server(_config(db), _free_port()).start()
    said: list[str] = []
    try:
        res = asyncio.run(drive(tl, server.url, _config(db), concurrency=8, progress=said.append))
    finally:
        server.stop()
    assert not res.errors, res.first_error
    n = announce(tl)
    assert n["posts"] + n["actions"] == len(tl.items)
    assert (res.posts_sent, res.actions_sent, res.locates_sent, res.reroutes_sent) == \
        (n["posts"], n["actions"], n["locates"], n["reroutes"])
    assert n["locates"] > 0
    start = next(s for s in said if "条帖子和" in s)
    assert f"发送 {n['posts']} 条帖子和 {n['actions']} 项后续操作" in start and f"定位约 {n['locates']} 条" in start
    from live.drive import format_report

    report = format_report(tl, res, lang="zh")
    assert f"后续操作 {n['actions']}；值班台定位 {n['locates']}、改派 {n['reroutes']}" in report
    doc = json.loads(json.dumps(__import__("live.drive", fromlist=["report_json"]).report_json(tl, res)))
    assert doc["posts_sent"] + doc["actions_sent"] == len(tl.items)
