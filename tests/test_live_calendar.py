"""The live service when its calendar runs out (issue 13, finding 1): no post lost, no 500, no stuck scheduler.

Oracles: the tester's reproduction (clock 2026-12-30 16:00, a post whose 5-working-day reply falls in 2027, on
a calendar that ends with 2026) answered 200 and stored as held, with nothing of a case stored; the same post
located by the desk after the calendar file lists 2027 gets the due time counted by hand; a firing the engine
refuses leaves exactly that deadline unfired while the others fire.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from engine.errors import CalendarError
from engine.models import DeadlineReached
from live.app import build_app
from live.auth import Role
from live.clock import FakeClock
from live.service import LiveService
from tests.test_calendar_years import Y2027, write_calendar
from tests.test_live_support import (
    RULES,
    SECRET,
    TOKEN,
    TestClient,
    config,
    signed,
    table,
    wechat_xml,
    weibo_status,
)
from tests.test_live_web_support import DESK, SUPER, TOKENS, auth

#: the tester's clock: Wed 30 Dec 2026, 16:00 in Beijing
LATE = datetime(2026, 12, 30, 8, 0, tzinfo=UTC)
STREETLIGHT = "城北的路灯坏了，晚上很黑"
DESK_ROLE = Role("desk")


def open_at(rules: Path, url: str, clock: FakeClock, lang: str | None = None) -> LiveService:
    return LiveService.open(rules, config(url, **TOKENS), clock, lang)


@pytest.fixture()
def clock():
    return FakeClock(LATE)


def test_a_post_whose_deadlines_fall_past_the_calendar_is_held_not_lost(live_dbs, clock):
    service = open_at(RULES, live_dbs("held.db"), clock, lang="zh")
    try:
        with TestClient(build_app(service)) as client:
            body = wechat_xml(7001, STREETLIGHT, create=LATE)
            r = client.post("/wechat", params=signed(TOKEN, clock), content=body)
            assert r.status_code == 200
            assert "<Content>已收到您的反映（wechat-7001），值班人员将转办。</Content>" in r.text
            # WeChat retries: the same answer, nothing stored twice
            again = client.post("/wechat", params=signed(TOKEN, clock, nonce="r1"), content=body)
            assert (again.status_code, again.text) == (200, r.text)
            status = client.get("/status").json()
            assert status["counts"] == {"wechat": {"held-calendar": 1, "retry": 1}}
            assert status["calendar_through"] == "2026-12-31"
        [post] = table(service, "posts")
        assert (post.post_id, post.case_id) == ("wechat-7001", None)
        [event] = table(service, "events")
        held = json.loads(event.event)["held"]
        assert (event.kind, event.case_id, event.decision) == ("post_held", None, None)
        assert held["place"] == "城北" and "2027" in held["reason"] and "2004–2026" in held["reason"]
        assert table(service, "cases") == [] and table(service, "deadlines") == []
        assert service.engine.cases == {}  # rolled back: the engine has no half-opened case
        [listed] = service.list_posts(DESK_ROLE)
        assert (listed["post_id"], listed["text"], listed["held"]) == ("wechat-7001", STREETLIGHT, held)
    finally:
        service.close()


def test_weibo_answers_held(live_dbs, clock):
    service = open_at(RULES, live_dbs("held-weibo.db"), clock, lang="zh")
    try:
        with TestClient(build_app(service)) as client:
            r = client.post("/weibo", params=signed(SECRET, clock), content=weibo_status(99, STREETLIGHT))
        assert r.status_code == 200
        assert r.json() == {"result": "held", "post_id": "weibo-99", "case_id": None,
                            "message": "已收到您的反映（weibo-99），值班人员将转办。"}
    finally:
        service.close()


def test_after_the_calendar_lists_2027_the_desk_opens_the_held_case(live_dbs, clock, rules_copy):
    url = live_dbs("later.db")
    service = open_at(RULES, url, clock)
    try:
        service.intake("wechat", wechat_xml(7002, STREETLIGHT, create=LATE))
    finally:
        service.close()
    write_calendar(rules_copy, Y2027)  # the designer lists 2027, the service restarts
    service = open_at(rules_copy, url, clock)
    try:
        with TestClient(build_app(service)) as client:
            r = client.post("/api/posts/wechat-7002/locate", headers=auth(DESK), json={"place": "城北"})
            assert r.status_code == 200, r.text
            # opened Wed 30 Dec 16:00: Thu 31 (1), 1 Jan 元旦, weekend, Mon 4 (2) … Thu 7 Jan (5), 17:30
            assert r.json()["case"]["deadlines"]["reply"]["due"] == "2027-01-07T17:30:00+08:00"
            assert client.get("/api/posts", headers=auth(DESK)).json() == {"posts": []}
            # a new post now opens its case directly
            r = client.post("/wechat", params=signed(TOKEN, clock), content=wechat_xml(7003, STREETLIGHT))
            assert "wechat-7003" in r.text and "值班人员" not in r.text
            assert client.get("/status").json()["calendar_through"] == "2027-12-31"
    finally:
        service.close()


def test_a_firing_the_calendar_refuses_stays_unfired_and_the_others_fire(live_dbs, monkeypatch):
    clock = FakeClock(datetime(2014, 5, 14, 2, 5, tzinfo=UTC))  # Wed 14 May 2014, 10:05
    url = live_dbs("fire.db")
    service = open_at(RULES, url, clock)
    try:
        for i in (1, 2):
            service.intake("wechat", wechat_xml(8000 + i, "回龙观龙泽苑小区群租房太多，晚上很吵"))
            clock.advance(60)
        handle = service.engine.handle

        def refusing(event):  # the engine refuses every firing of the first case (none of the real rules does)
            if isinstance(event, DeadlineReached) and event.case_id == "wechat-8001":
                raise CalendarError("工作日历没有 2027 年的数据（测试）")
            return handle(event)

        monkeypatch.setattr(service.engine, "handle", refusing)
        with TestClient(build_app(service)) as client:
            clock.advance(timedelta(days=8))  # both reminders (Mon 19 May) and replies (Wed 21 May) are due
            deadline = time.monotonic() + 5
            while ((len(service.held_deadlines) < 2 or sum(d.fired_at is not None for d in table(service, "deadlines"))
                    < 2) and time.monotonic() < deadline):
                time.sleep(0.02)
            status = client.get("/status").json()
            assert status["scheduler_error"] is None
            # the first held row: its reminder; the scheduler skipped it for good and went on
            assert status["deadlines_held"][0] == {"case_id": "wechat-8001", "kind": "reply", "reminder": True,
                                                   "due": "2014-05-19T17:30:00+08:00",
                                                   "reason": "工作日历没有 2027 年的数据（测试）"}
            assert len(status["deadlines_held"]) == 2
            assert status["next_due"] is None  # the held rows are not "next": no busy loop on them
        fired = {(d.case_id, bool(d.reminder)): d.fired_at is not None for d in table(service, "deadlines")}
        assert fired == {("wechat-8001", False): False, ("wechat-8001", True): False,
                         ("wechat-8002", False): True, ("wechat-8002", True): True}
        assert not [e for e in table(service, "events") if e.kind == "deadline_reached" and e.case_id == "wechat-8001"]
    finally:
        service.close()
    service = open_at(RULES, url, clock)  # after a restart they are tried again (and fire, the engine willing)
    try:
        assert {(f.case_id, f.reminder) for f in service.fire_due()} == {("wechat-8001", False),
                                                                         ("wechat-8001", True)}
    finally:
        service.close()


@pytest.mark.parametrize(("today", "warned"), [(date(2026, 10, 31), False), (date(2026, 11, 1), True),
                                               (date(2027, 1, 5), True)])
def test_the_service_warns_when_its_calendar_ends_within_60_days(tmp_path, caplog, today, warned):
    clock = FakeClock(datetime(today.year, today.month, today.day, 2, 0, tzinfo=UTC))  # 10:00 in Beijing
    service = open_at(RULES, f"sqlite:///{tmp_path / 'warn.db'}", clock)
    try:
        # 2026-12-31 − 2026-10-31 = 61 days: not yet within 60; a day later it is
        with caplog.at_level(logging.WARNING, logger="wenzheng.live"), TestClient(build_app(service)) as client:
            deadline = time.monotonic() + (2 if warned else 0.3)  # the scheduler looks many times in 0.3 s
            while not caplog.records and time.monotonic() < deadline:
                time.sleep(0.02)
            assert client.get("/status").json()["calendar_through"] == "2026-12-31"
        messages = [r.getMessage() for r in caplog.records if r.name == "wenzheng.live"]
        if not warned:
            assert messages == []
        else:
            assert len(messages) == 1 and "2026-12-31" in messages[0] and "years" in messages[0]
            assert ("ended" in messages[0] or "已超出" in messages[0]) == (today.year == 2027)
    finally:
        service.close()


def test_supervisor_may_not_list_held_posts(live_dbs, clock):
    service = open_at(RULES, live_dbs("roles.db"), clock)
    try:
        service.intake("wechat", wechat_xml(7005, STREETLIGHT, create=LATE))
        with TestClient(build_app(service)) as client:
            assert client.get("/api/posts", headers=auth(SUPER)).status_code == 403
    finally:
        service.close()


def test_locating_a_held_post_before_the_calendar_is_extended_is_a_409(live_dbs, clock):
    service = open_at(RULES, live_dbs("early.db"), clock)
    try:
        service.intake("wechat", wechat_xml(7006, STREETLIGHT, create=LATE))
        with TestClient(build_app(service)) as client:
            r = client.post("/api/posts/wechat-7006/locate", headers=auth(DESK), json={"place": "城北"})
            assert r.status_code == 409 and r.json()["error"] == "conflict" and "2027" in r.json()["detail"]
            assert [p["post_id"] for p in client.get("/api/posts", headers=auth(DESK)).json()["posts"]] == \
                ["wechat-7006"]  # still waiting, nothing of a case stored
        assert table(service, "cases") == [] and service.engine.cases == {}
        assert [p.case_id for p in table(service, "posts")] == [None]
    finally:
        service.close()
