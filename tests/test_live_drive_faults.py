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
from collections import Counter
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
    """The app in a thread on ``port`` (uvicorn), stoppable and restartable on the same store; ``wrap``: an ASGI
    wrapper around the app (e.g. one that loses answers)."""

    def __init__(self, config: Any, port: int, wrap: Any = None) -> None:
        self.config, self.port, self.wrap = config, port, wrap
        self.url = f"http://127.0.0.1:{port}"
        self.server: uvicorn.Server | None = None

    def start(self) -> Server:
        app = create_app(ROOT / "rules", self.config)
        self.app = app
        served = self.wrap(app) if self.wrap is not None else app
        self.server = uvicorn.Server(uvicorn.Config(served, host="127.0.0.1", port=self.port, log_level="critical"
                                                    if self.wrap is not None else "warning"))
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


# ---- idempotency keys: an answer lost after the service committed is resent and applied once -------------------

def losing_answers(kinds: tuple[str, ...], lost: list[str]) -> Any:
    """An ASGI wrapper that lets the first POST of each kind (the path's last part: ``follow-up``, ``locate`` …)
    run to the end — the service commits — and then drops the connection after the status line, so the drive
    never gets the answer (a proxy or the network losing it, the service dying before it answered)."""
    def wrap(app: Any) -> Any:
        async def lossy(scope: Any, receive: Any, send: Any) -> None:
            kind = scope.get("path", "").rsplit("/", 1)[-1] if scope["type"] == "http" else ""
            if scope.get("method") != "POST" or kind not in kinds or any(x.endswith(kind) for x in lost):
                await app(scope, receive, send)
                return
            kept: list[Any] = []

            async def keep(message: Any) -> None:
                kept.append(message)

            await app(scope, receive, keep)  # the action is taken and committed
            assert kept and kept[0]["status"] == 200, kept
            lost.append(scope["path"])
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"application/json"), (b"content-length", b"100000")]})
            raise ConnectionAbortedError("the answer is lost")  # uvicorn closes the connection: no body

        return lossy
    return wrap


def _rows(db: str, table: Any) -> list[Any]:
    engine = create_engine(db)
    try:
        with engine.connect() as conn:
            return list(conn.execute(select(table)))
    finally:
        engine.dispose()


def test_an_answer_lost_after_the_commit_is_resent_with_its_key_and_applied_once(db):
    tl = build_timeline(CHANGPING, until=date(2014, 4, 9))  # follow-ups (6 and 8 April), replies, repost counts
    lost: list[str] = []
    config = _config(db)
    lossy = losing_answers(("follow-up", "reply", "reposts", "locate"), lost)
    server = Server(config, _free_port(), wrap=lossy).start()
    try:
        res = asyncio.run(drive(tl, server.url, config, concurrency=8))
        status = __import__("httpx").get(server.url + "/status").json()
    finally:
        server.stop()
    assert sorted(x.rsplit("/", 1)[-1] for x in lost) == ["follow-up", "locate", "reply", "reposts"]
    assert not res.errors, (res.errors, res.first_error)
    assert res.retries >= 4
    events = _rows(db, store.events)
    for kind, item_kind in (("follow_up_posted", "follow-up"), ("reply_filed", "reply"),
                            ("reposts_updated", "reposts")):
        sent = sorted(i.case_id for i in tl.items if i.kind == item_kind)
        assert sorted(e.case_id for e in events if e.kind == kind) == sent, kind
    follow_ups = Counter(i.case_id for i in tl.items if i.kind == "follow-up")
    [lost_follow_up] = [x.split("/")[3] for x in lost if x.endswith("/follow-up")]
    assert follow_ups[lost_follow_up] == 1
    states = {r.case_id: json.loads(r.state) for r in _rows(db, store.cases)}
    # the engine counted one follow-up for each sent, the one whose answer was lost too (not two)
    assert {c: states[c]["followups"] for c in follow_ups} == dict(follow_ups)
    # every lost answer was resent once, under its key, and answered from the store
    assert status["counts"]["api"].get("replay") == 4
    # every action the drive sent carries its own key: one stored answer per key, keys are the items'
    keys = _rows(db, store.idempotency_keys)
    assert len(keys) == len({k.key for k in keys}) == res.actions_sent + res.locates_sent + res.reroutes_sent


def test_item_keys_are_the_same_on_a_second_build_and_differ_between_items(short):
    from live.drive import item_key

    again = build_timeline(CHANGPING, until=date(2014, 4, 3))
    keys = [item_key(short, i) for i in short.items]
    assert keys == [item_key(again, i) for i in again.items]  # a rerun of the drive sends the same keys
    posts = [i for i in short.items if i.kind == "post"]
    everything = keys + [item_key(short, i, w) for i in posts for w in ("locate", "reroute")]
    assert len(set(everything)) == len(everything)
    assert all(k.startswith("drive-") and len(k) <= 64 and k.isascii() for k in everything)
    other = build_timeline(CHANGPING, seed=7, until=date(2014, 4, 3))
    assert not set(keys) & {item_key(other, i) for i in other.items}


# ---- re-routes the service does not need ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def whole() -> Any:
    return build_timeline(CHANGPING)


def test_a_reroute_to_the_unit_the_service_chose_is_not_announced_as_sent(whole):
    # hand-checked: the seven Changping posts whose text names 霍营 where the simulator's desk found 回龙观.  Four
    # are subject matters routed to a bureau wherever they are (园林绿化局, 交通局, 工商分局, 人力社保局): the
    # service routes them to that bureau too, nothing to re-route.  Three are local matters (回龙观镇 twice, and
    # 城管监察局 for illegal building in the large communities, of which 霍营 is not one): the service gives them
    # to 霍营街道 and the desk must re-route them.
    moved = [i for i in whole.items if i.kind == "post" and i.service_place not in (None, i.place)]
    assert sorted((i.unit, i.service_unit) for i in moved) == sorted([
        ("回龙观镇", "霍营街道"), ("回龙观镇", "霍营街道"), ("城管监察局", "霍营街道"), ("园林绿化局", "园林绿化局"),
        ("交通局", "交通局"), ("工商分局", "工商分局"), ("人力社保局", "人力社保局")])
    n = announce(whole)
    assert (n["reroutes"], n["reroutes_skipped"]) == (3, 4)


def test_the_docs_drive_figures_are_what_the_changping_drive_sends(whole):
    """docs/live.md's measured drive states the counts of a real run; the counts (not the timings) follow from
    the scenario and seed alone, so they must be the timeline's: posts, follow-on actions, locates, re-routes
    sent and skipped, and the API calls = actions + locates + re-routes sent."""
    import re

    text = " ".join((ROOT / "docs" / "live.md").read_text(encoding="utf-8").split())
    measured = text[text.index("**Measured** (this 2-core machine"):text.index("## Throughput")]
    m = re.search(r"(\d[\d,]*) posts and (\d[\d,]*) API calls \((\d[\d,]*) follow-on actions, (\d[\d,]*) desk "
                  r"locates, (\d+) re-routes; (\d+) more re-routes skipped", measured)
    assert m, "docs/live.md: the measured drive's counts are not where this test reads them"
    posts, calls, actions, locates, sent, skipped = (int(g.replace(",", "")) for g in m.groups())
    n = announce(whole)
    assert (posts, actions, locates, sent, skipped) == (n["posts"], n["actions"], n["locates"], n["reroutes"],
                                                       n["reroutes_skipped"])
    assert calls == n["actions"] + n["locates"] + n["reroutes"]
    for key, value in (("posts_sent", n["posts"]), ("actions_sent", n["actions"]), ("locates_sent", n["locates"]),
                       ("reroutes_sent", n["reroutes"]), ("reroutes_skipped", n["reroutes_skipped"])):
        assert f"`{key}` {value}" in measured, key
    assert "7 re-routes" not in text  # the stale figure (issue: 3 sent + 4 skipped)


def test_skipped_reroutes_are_not_sent_and_every_case_ends_with_the_simulators_unit(db, whole):
    import dataclasses
    from datetime import timedelta

    moved = [i for i in whole.items if i.kind == "post" and i.service_place not in (None, i.place)]
    t0 = datetime.fromisoformat("2014-04-02T09:00:00+08:00")
    items = [dataclasses.replace(i, at=t0 + timedelta(minutes=30 * k)) for k, i in enumerate(moved)]
    tl = dataclasses.replace(whole, items=items, cut=t0 + timedelta(days=1))
    server = Server(_config(db), _free_port()).start()
    try:
        res = asyncio.run(drive(tl, server.url, _config(db), concurrency=4))
    finally:
        server.stop()
    assert not res.errors, res.first_error  # no 409 for a re-route the case did not need
    assert (res.posts_accepted, res.reroutes_sent, res.reroutes_skipped) == (7, 3, 4)
    assert (res.reroutes_sent, res.reroutes_skipped) == (announce(tl)["reroutes"], announce(tl)["reroutes_skipped"])
    units = {r.case_id: r.unit for r in _rows(db, store.cases)}
    assert units == {i.case_id: i.unit for i in moved}
    rerouted = [json.loads(e.event) for e in _rows(db, store.events) if e.kind == "desk_rerouted"]
    assert sorted((e["from"], e["to"]) for e in rerouted) == [("霍营街道", "回龙观镇"), ("霍营街道", "回龙观镇"),
                                                            ("霍营街道", "城管监察局")]
    from live.drive import format_report

    assert "改派 3（另有 4 条改派不必发送" in format_report(tl, res, lang="zh")
    assert json.loads(json.dumps(__import__("live.drive", fromlist=["report_json"]).report_json(tl, res)))[
        "reroutes_skipped"] == 4
