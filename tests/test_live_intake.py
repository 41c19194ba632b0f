"""Live intake (live/app.py, live/service.py): signatures, idempotent retries, hostile payloads, one transaction
per post, and the stored decisions checked against the engine deciding the same post directly."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

from engine import Engine, Policy
from engine.adapters import PostAdapter
from engine.models import PostReceived
from live.app import build_app
from live.clock import FakeClock
from live.service import signature
from tests.test_live_support import (
    RULES,
    SECRET,
    T0,
    TOKEN,
    TestClient,
    open_service,
    signed,
    table,
    wechat_xml,
    weibo_status,
)

CST = timezone(timedelta(hours=8))
COMPLAINT = "回龙观龙泽苑小区群租房太多，晚上很吵，希望有关部门管一管"


@pytest.fixture()
def clock():
    return FakeClock(T0)


@pytest.fixture()
def service(live_dbs, clock):
    s = open_service(live_dbs, clock)
    yield s
    s.close()


@pytest.fixture()
def client(service):
    with TestClient(build_app(service)) as c:
        yield c


def test_signature_is_sha1_of_the_sorted_three():
    # WeChat's documented scheme, computed by hand: sort, concatenate, SHA-1
    import hashlib

    assert signature("token", "1400033100", "abc") == \
        hashlib.sha1(b"1400033100" + b"abc" + b"token").hexdigest()


def test_get_verification_echoes_only_when_signed(client, clock):
    q = signed(TOKEN, clock)
    r = client.get("/wechat", params={**q, "echostr": "7788"})
    assert (r.status_code, r.text) == (200, "7788")
    r = client.get("/wechat", params={**q, "signature": "0" * 40, "echostr": "7788"})
    assert r.status_code == 403 and "7788" not in r.text
    r = client.get("/wechat", params={**signed(SECRET, clock), "echostr": "7788"})  # the other channel's secret
    assert r.status_code == 403
    r = client.get("/wechat", params={"echostr": "7788"})  # unsigned
    assert r.status_code == 403


def test_post_becomes_a_case_with_the_engines_decision(client, service, clock):
    body = wechat_xml(1001, COMPLAINT)
    r = client.post("/wechat", params=signed(TOKEN, clock), content=body)
    assert r.status_code == 200
    assert "<ToUserName>oUser1</ToUserName>" in r.text and "<FromUserName>gh_changping</FromUserName>" in r.text
    assert "wechat-1001" in r.text

    # oracle: the engine deciding the same post (located by its text at 回龙观) at the same time, directly
    raw = PostAdapter().wechat(body).post
    assert raw is not None
    direct = Engine(Policy.load(RULES))
    raw = raw.model_copy(update={"posted_at": raw.posted_at.astimezone(CST)})  # times in the policy's zone
    expected = direct.handle(PostReceived(case_id="wechat-1001", at=T0.astimezone(CST), post=raw.at_place("回龙观")))
    direct.close()

    [event] = table(service, "events")
    assert (event.kind, event.case_id) == ("post_received", "wechat-1001")
    assert json.loads(event.decision) == expected.model_dump(mode="json")
    assert any(e["trace"]["rule_id"] for e in json.loads(event.decision)["effects"])  # traces stored
    [case] = table(service, "cases")
    assert (case.case_id, case.unit) == ("wechat-1001", "回龙观镇")
    # deadlines, hand-computed: reply within 5 working days of Wed 14 May 10:05 → close of business (17:30)
    # of Wed 21 May; reminder after 3 working days → Mon 19 May 17:30 (Beijing time)
    rows = {(d.kind, bool(d.reminder)): d.due for d in table(service, "deadlines")}
    assert rows == {("reply", False): "2014-05-21T09:30:00.000000Z", ("reply", True): "2014-05-19T09:30:00.000000Z"}
    assert datetime(2014, 5, 21, 17, 30, tzinfo=CST) == datetime.fromisoformat("2014-05-21T09:30:00+00:00")
    assert service.counts() == {"wechat": {"accepted": 1}}


def test_a_retried_msgid_gets_the_same_answer_and_stores_nothing_twice(client, service, clock):
    body = wechat_xml(2002, COMPLAINT)
    first = client.post("/wechat", params=signed(TOKEN, clock), content=body)
    answers = [first]
    for _ in range(3):  # WeChat retries up to 3 times, seconds apart
        clock.advance(5)
        answers.append(client.post("/wechat", params=signed(TOKEN, clock, nonce=f"r{_}"), content=body))
    assert {(a.status_code, a.text) for a in answers} == {(200, first.text)}
    assert len(table(service, "posts")) == 1
    assert len(table(service, "events")) == 1
    assert len(table(service, "cases")) == 1
    assert len(table(service, "deadlines")) == 2
    assert service.counts() == {"wechat": {"accepted": 1, "retry": 3}}


def test_bad_and_stale_signatures_are_refused_and_store_nothing(client, service, clock):
    body = wechat_xml(3003, COMPLAINT)
    bad = {**signed(TOKEN, clock), "signature": signature("guess", str(int(T0.timestamp())), "n0nce")}
    assert client.post("/wechat", params=bad, content=body).status_code == 403
    stale = signed(TOKEN, clock, skew=-301)  # five minutes and a second old
    assert client.post("/wechat", params=stale, content=body).status_code == 403
    future = signed(TOKEN, clock, skew=+301)
    assert client.post("/wechat", params=future, content=body).status_code == 403
    fresh = signed(TOKEN, clock, skew=-299)
    assert client.post("/wechat", params=fresh, content=body).status_code == 200
    assert service.counts() == {"wechat": {"bad-signature": 1, "stale": 2, "accepted": 1}}
    assert len(table(service, "posts")) == 1


def test_an_entity_bomb_is_refused_with_its_reason_and_counted(client, service, clock):
    bomb = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
            b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
            b"<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>1400033100</CreateTime>"
            b"<MsgType>text</MsgType><Content>&lol3;</Content><MsgId>4004</MsgId></xml>")
    r = client.post("/wechat", params=signed(TOKEN, clock), content=bomb)
    assert r.status_code == 400 and r.json()["error"] == "forbidden-dtd"
    assert service.counts() == {"wechat": {"forbidden-dtd": 1}}
    assert table(service, "posts") == [] and table(service, "events") == []


def test_oversized_bodies_are_refused_with_413_and_counted(client, service, clock):
    limit = service.config.max_body
    big = wechat_xml(5005, "回龙观" + "吵" * limit)
    assert len(big) > limit
    r = client.post("/wechat", params=signed(TOKEN, clock), content=big)
    assert r.status_code == 413
    # without a Content-Length (chunked): refused while reading, all the same
    r = client.post("/weibo", params=signed(SECRET, clock),
                    content=(big[i:i + 4096] for i in range(0, len(big), 4096)))
    assert r.status_code == 413
    # exactly at the limit is not too large (the adapter then judges it)
    assert client.post("/weibo", params=signed(SECRET, clock), content=b" " * limit).status_code == 400
    assert service.counts() == {"wechat": {"too-large": 1}, "weibo": {"too-large": 1, "malformed": 1}}
    assert table(service, "posts") == []


def test_rejected_payloads_are_answered_with_the_reason(client, service, clock):
    r = client.post("/weibo", params=signed(SECRET, clock), content=b'{"id": 1, "text": "x"}')
    assert r.status_code == 400 and r.json()["error"] == "missing-field" and "created_at" in r.json()["detail"]
    r = client.post("/wechat", params=signed(TOKEN, clock), content=b"<xml><MsgType>image</MsgType></xml>")
    assert r.status_code == 400 and r.json()["error"] == "unsupported-type"
    assert service.counts() == {"weibo": {"missing-field": 1}, "wechat": {"unsupported-type": 1}}


def test_weibo_hot_post_gets_a_two_hour_statement_clock(client, service, clock):
    r = client.post("/weibo", params=signed(SECRET, clock), content=weibo_status(3701, COMPLAINT, 450, 60))
    assert r.status_code == 200 and r.json()["case_id"] == "weibo-3701"
    rows = {(d.kind, bool(d.reminder)): d.due for d in table(service, "deadlines")}
    # 510 reposts and comments ≥ 500: hot, an external statement within 2 hours of 10:05 (received at T0)
    assert rows[("external_statement", False)] == "2014-05-14T04:05:00.000000Z"
    assert table(service, "cases")[0].hot


def test_unconfigured_channel_is_404(live_dbs, clock):
    s = open_service(live_dbs, clock, weibo_secret=None)
    with TestClient(build_app(s)) as c:
        assert c.post("/weibo", params=signed(SECRET, clock), content=weibo_status(1, COMPLAINT)).status_code == 404
    s.close()


def test_a_post_naming_no_place_waits_for_the_desk_or_goes_to_the_default(live_dbs, clock):
    s = open_service(live_dbs, clock)
    with TestClient(build_app(s)) as c:
        r = c.post("/weibo", params=signed(SECRET, clock), content=weibo_status(77, "路灯坏了好几天了"))
        assert r.status_code == 200 and r.json()["result"] == "unlocated" and r.json()["case_id"] is None
    assert [e.kind for e in table(s, "events")] == ["post_unlocated"] and table(s, "cases") == []
    s.close()
    s = open_service(live_dbs, clock, name="other.db", default_place="城北")
    with TestClient(build_app(s)) as c:
        r = c.post("/weibo", params=signed(SECRET, clock), content=weibo_status(77, "路灯坏了好几天了"))
        assert r.json()["case_id"] == "weibo-77"
    assert table(s, "cases")[0].unit == "城北街道"
    s.close()


def test_one_transaction_a_failure_stores_nothing_and_the_retry_succeeds(live_dbs, clock, monkeypatch):
    s = open_service(live_dbs, clock)
    real = s._deadline_rows

    def broken(*args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(s, "_deadline_rows", broken)
    with pytest.raises(RuntimeError):
        s.intake("wechat", wechat_xml(6006, COMPLAINT))
    for name in ("posts", "events", "cases", "deadlines"):
        assert table(s, name) == [], name
    assert "wechat-6006" not in s.engine.cases  # memory did not run ahead of the store
    monkeypatch.setattr(s, "_deadline_rows", real)
    assert s.intake("wechat", wechat_xml(6006, COMPLAINT)).status == 200
    assert len(table(s, "deadlines")) == 2
    s.close()


def test_two_identical_deliveries_at_once_store_one_post(service, clock):
    import httpx

    app = build_app(service)
    body = wechat_xml(7007, COMPLAINT)

    async def both():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://live") as c:
            return await asyncio.gather(*[c.post("/wechat", params=signed(TOKEN, clock, nonce=f"c{i}"), content=body)
                                          for i in range(2)])

    answers = asyncio.run(both())
    assert [a.status_code for a in answers] == [200, 200] and answers[0].text == answers[1].text
    assert len(table(service, "posts")) == 1 and len(table(service, "events")) == 1

    # and from threads released together, straight at the service, with a slow look-up (a busy database)
    # that leaves every thread time to look before any has stored
    body = wechat_xml(7008, COMPLAINT)
    look = service._stored_answer

    def slow_look(post_id):
        found = look(post_id)
        time.sleep(0.05)
        return found

    service._stored_answer = slow_look
    barrier, out = threading.Barrier(4), []

    def deliver():
        barrier.wait()
        out.append(service.intake("wechat", body))

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(out) == 4 and len({a.body for a in out}) == 1
    assert len(table(service, "posts")) == 2 and len(table(service, "events")) == 2


def test_two_processes_on_one_store_store_one_post(live_dbs, clock, monkeypatch):
    # a second service on the same database (another process) that misses the first's row in its look-up
    # (the race window) still stores nothing twice: the post id is unique and it answers with the stored answer
    a, b = open_service(live_dbs, clock), open_service(live_dbs, clock)
    body = wechat_xml(8008, COMPLAINT)
    first = a.intake("wechat", body)
    monkeypatch.setattr(b, "_stored_answer", _miss_once(b._stored_answer))
    second = b.intake("wechat", body)
    assert (second.status, second.body) == (first.status, first.body)
    assert len(table(a, "posts")) == 1 and len(table(a, "events")) == 1 and len(table(a, "deadlines")) == 2
    assert "wechat-8008" not in b.engine.cases or b.engine.cases["wechat-8008"] == a.engine.cases["wechat-8008"]
    a.close()
    b.close()


def _miss_once(real):
    calls = []

    def look(post_id):
        calls.append(post_id)
        return None if len(calls) == 1 else real(post_id)

    return look


def test_answers_are_chinese_by_default(tmp_path, clock, zh):
    from live.config import LiveConfig
    from live.service import LiveService

    s = LiveService.open(RULES, LiveConfig(wechat_token=TOKEN, db=f"sqlite:///{tmp_path / 'zh.db'}"), clock)
    assert "已收到您的反映" in s.intake("wechat", wechat_xml(9009, COMPLAINT)).body
    s.close()
