"""``kill -9`` of a running `wenzheng serve` mid-load, restart on the same store, on SQLite and on PostgreSQL:
no post lost or stored twice, every deadline fired exactly once at its own due time, nothing fired early; and
hostile requests during the run refused with the right status and counted.

The service runs as a subprocess on an accelerated clock (``clock_speed``: a working week passes in seconds),
fed by a small sender that signs like WeChat and retries like WeChat (live/loadtest.py).  The oracle is the
sender's own record (what it sent, what was answered) and the engine deciding each stored post again, directly.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections import Counter
from datetime import datetime

import httpx
import pytest
from sqlalchemy import create_engine, text

from engine import Engine, Policy
from engine.adapters import PostAdapter
from engine.models import PostReceived
from live import store
from live.loadtest import SECRET, Sender, Service, posts, wechat_xml
from tests.test_live_support import RULES

START = "2014-05-14T10:05:00+08:00"
#: simulated seconds per real second: the 2-hour statement clock passes in 0.14 s, 5 working days in ~13 s
SPEED = 50_000
N_BEFORE, N_AFTER = 160, 140  # posts sent before / after the restart (the kill lands in the first batch)
SETTINGS = {"clock_start": START, "clock_speed": SPEED, "stale_seconds": 30, "poll_seconds": 0.05,
            "max_body": 8192}
HOT_EVERY = 9  # every 9th Weibo post is hot (≥ 500 reposts): a 2-hour statement clock as well


def _items(n: int, first: int) -> list[tuple[str, str, bytes]]:
    out = []
    for channel, post_id, body in posts(n, first):
        if channel == "weibo" and int(post_id.split("-")[1]) % HOT_EVERY == 0:
            data = json.loads(body)
            data["reposts_count"] = 600
            body = json.dumps(data, ensure_ascii=False).encode()
        out.append((channel, post_id, body))
    return out


async def _hostile(sender: Sender, answered: dict[str, str], tally: Counter[str]) -> None:
    """Bad signatures, a captured request replayed after its time, redelivered MsgIds, oversized bodies and XML
    with an entity declaration; each answer checked here, each kind tallied for the store's counts."""
    async with httpx.AsyncClient(base_url=sender.url, timeout=10.0) as c:
        for i in range(4):
            q = sender.query("wechat", secret="not-the-token")
            r = await c.post("/wechat", params=q, content=wechat_xml(900_000 + i, "回龙观噪音"))
            assert r.status_code == 403 and r.json()["error"] == "bad-signature"
            tally["bad-signature"] += 1
        old = sender.query("weibo")
        # a real minute old, signed properly: past stale_seconds (30 real seconds, i.e. 30 × SPEED of the clock's)
        old["timestamp"] = str(int(old["timestamp"]) - 60 * SPEED)
        from live.service import signature

        old["signature"] = signature(SECRET, old["timestamp"], old["nonce"])
        r = await c.post("/weibo", params=old, content=b"{}")
        assert r.status_code == 403 and r.json()["error"] == "stale"
        tally["stale"] += 1
        for i in range(3):
            big = wechat_xml(910_000 + i, "回龙观" + "吵" * 4000)  # 12 kB > max_body 8192
            r = await c.post("/wechat", params=sender.query("wechat"), content=big)
            assert r.status_code == 413
            tally["too-large"] += 1
        bomb = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
                b"<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>1400033100</CreateTime>"
                b"<MsgType>text</MsgType><Content>&b;</Content><MsgId>920000</MsgId></xml>")
        for _ in range(2):
            r = await c.post("/wechat", params=sender.query("wechat"), content=bomb)
            assert r.status_code == 400 and r.json()["error"] == "forbidden-dtd"
            tally["forbidden-dtd"] += 1
        for post_id, first_answer in list(answered.items())[:6]:  # WeChat/Weibo redelivering answered posts
            channel, number = post_id.split("-")
            items = {p[1]: p for p in _items(1, int(number))}
            r = await c.post(f"/{channel}", params=sender.query(channel), content=items[post_id][2])
            assert (r.status_code, r.text) == (200, first_answer)  # the very same answer, byte for byte
            tally["retry"] += 1


async def _send_and_kill(sender: Sender, items: list[tuple[str, str, bytes]], service: Service,
                         answered: dict[str, str], kill_after: int) -> list[tuple[str, str, bytes]]:
    async def killer() -> None:
        while len(answered) < kill_after:
            await asyncio.sleep(0.005)
        assert service.proc is not None
        os.kill(service.proc.pid, signal.SIGKILL)  # kill -9, mid-stream: requests in flight are cut off

    task = asyncio.create_task(killer())
    failed = await sender.send_all(items, connections=8, answered=answered)
    await task
    return failed


def _wait_until_all_fired(service: Service, timeout: float) -> dict:
    end = time.monotonic() + timeout
    while True:
        st = service.status()
        if st["next_due"] is None:
            return st
        if time.monotonic() > end:
            pytest.fail(f"deadlines still pending after {timeout} s: {st}")
        time.sleep(0.1)


def test_kill_9_mid_run_loses_nothing_duplicates_nothing_and_fires_every_deadline_once(live_db_url, tmp_path):
    began = time.monotonic()
    service = Service(live_db_url, tmp_path, RULES, SETTINGS).start()
    sender = Sender(service.url)
    sender.sync()
    first, second = _items(N_BEFORE, 1), _items(N_AFTER, N_BEFORE + 1)
    answered: dict[str, str] = {}
    tally: Counter[str] = Counter()
    try:
        asyncio.run(_hostile(sender, {}, tally))
        failed = asyncio.run(_send_and_kill(sender, first, service, answered, kill_after=N_BEFORE // 2))
        assert service.proc is not None and service.proc.wait(10) == -signal.SIGKILL
        assert failed, "the kill should have cut some deliveries off"
        cut_off = len(failed)

        service.start()  # same store, same configuration: the clock continues, due deadlines fire at start-up
        sender.sync()
        before_kill = dict(answered)
        asyncio.run(_hostile(sender, before_kill, tally))  # redeliveries across the crash get the same answer
        still = asyncio.run(sender.send_all(failed + second, connections=8, answered=answered))
        assert still == []
        status = _wait_until_all_fired(service, timeout=45)
    finally:
        service.stop()
    sent = {post_id for _, post_id, _ in first + second}
    assert set(answered) == sent

    db = create_engine(live_db_url)
    try:
        with db.connect() as conn:
            rows = {name: list(conn.execute(text(f"SELECT * FROM {name}")))
                    for name in ("posts", "cases", "events", "deadlines", "intake_counts")}
    finally:
        db.dispose()

    # every post sent stored exactly once, one case each, one post_received event each
    assert sorted(r.post_id for r in rows["posts"]) == sorted(sent)
    assert sorted(r.case_id for r in rows["cases"]) == sorted(sent)
    opened = Counter(e.case_id for e in rows["events"] if e.kind == "post_received")
    assert opened == Counter(sent)

    # the deadlines each case has are exactly those the engine sets for its post at its opening time
    adapter, direct = PostAdapter(), Engine(Policy.load(RULES))
    bodies = {post_id: (channel, body) for channel, post_id, body in first + second}
    expected: set[tuple[str, str, bool, str]] = set()
    for case in rows["cases"]:
        channel, body = bodies[case.case_id]
        raw = (adapter.wechat(body) if channel == "wechat" else adapter.weibo(body)).post
        assert raw is not None
        place = json.loads(case.state)["place"]
        decision = direct.handle(PostReceived(case_id=case.case_id, at=store.unstamp(case.opened_at),
                                              post=raw.at_place(place)))
        for d in decision.effects:
            if d.type == "set_deadline":
                expected.add((case.case_id, d.deadline, False, store.stamp(d.due)))
                if d.remind_at is not None:
                    expected.add((case.case_id, d.deadline, True, store.stamp(d.remind_at)))
    direct.close()
    clocks = {(d.case_id, d.kind, bool(d.reminder), d.due) for d in rows["deadlines"]}
    assert clocks == expected and len(rows["deadlines"]) == len(expected)
    assert any(kind == "external_statement" for _, kind, _, _ in clocks)  # hot posts were among them

    # every deadline fired exactly once, at its own due time, none before it was due
    fired = [e for e in rows["events"] if e.kind == "deadline_reached"]
    keys = Counter((e.case_id, json.loads(e.event)["deadline"], bool(json.loads(e.event)["reminder"])) for e in fired)
    assert set(keys.values()) == {1}
    assert set(keys) == {(c, k, r) for c, k, r, _ in clocks}
    due = {(d.case_id, d.kind, bool(d.reminder)): d.due for d in rows["deadlines"]}
    for e in fired:
        ev = json.loads(e.event)
        assert e.at == due[(e.case_id, ev["deadline"], bool(ev["reminder"]))]  # its own due time
        assert e.recorded_at >= e.at  # handled when due or later (after a restart), never early
    assert all(d.fired_at is not None and d.fired_at >= d.due for d in rows["deadlines"])

    # the counts: every post accepted once; each hostile request counted under its reason
    counts: dict[str, int] = Counter()
    for r in rows["intake_counts"]:
        counts[r.reason] += r.n
    assert counts["accepted"] == len(sent)
    for reason in ("bad-signature", "stale", "too-large", "forbidden-dtd"):
        assert counts[reason] == tally[reason], reason
    # redeliveries: ours, plus posts stored just before the kill whose answer was lost and which were resent
    assert tally["retry"] <= counts["retry"] <= tally["retry"] + cut_off
    assert status["scheduler_error"] is None
    elapsed = time.monotonic() - began
    print(f"\n{live_db_url.split(':')[0]}: {len(sent)} posts, {cut_off} cut off by kill -9 and resent, "
          f"{len(fired)} deadlines fired once each ({status['fired_at_start']} at start-up), hostile "
          f"{sum(v for k, v in tally.items() if k != 'retry')} refused + {tally['retry']} redeliveries, {elapsed:.1f} s")
    assert elapsed < 90


def test_the_scheduler_polls_in_real_seconds_on_an_accelerated_clock(tmp_path):
    # poll_seconds 0.2 on a clock 86400 times faster: about 5 looks a second, not 86400 × 5
    from live.app import build_app
    from live.clock import ScaledClock
    from live.service import LiveService
    from tests.test_live_support import TestClient, config

    clock = ScaledClock(datetime.fromisoformat(START), 86_400)
    s = LiveService.open(RULES, config(f"sqlite:///{tmp_path / 'p.db'}", poll_seconds=0.2,
                                       clock_speed=86_400, clock_start=START), clock)
    looks = []
    real_fire = s.fire_due

    def counting_fire():
        looks.append(time.monotonic())
        return real_fire()

    s.fire_due = counting_fire  # type: ignore[method-assign]
    with TestClient(build_app(s)):
        time.sleep(1.0)
    s.close()
    assert 2 <= len(looks) <= 12, len(looks)
