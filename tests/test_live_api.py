"""The desk's, units' and supervisors' JSON API (live/api.py, the actions in live/service.py, live/views.py):
each accepted action with its effect computed by hand or by the engine deciding the same event directly.
The refusals are in tests/test_live_roles.py."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from engine.models import ReplyFiled
from live.app import build_app
from live.clock import FakeClock
from tests.test_live_support import T0, TestClient, open_service, table
from tests.test_live_web_support import (
    CB,
    CST,
    DESK,
    HLG,
    LOST,
    SUPER,
    TEXTS,
    TOKENS,
    A,
    B,
    auth,
    direct_engine,
    events_of,
    opened,
    post_all,
    web_service,
)


def test_lists_cases_oldest_first_and_open_leaves_out_the_replied(client, clock):
    r = client.get("/api/cases", headers=auth(DESK))
    assert r.status_code == 200
    assert [c["case_id"] for c in r.json()["cases"]] == [A, B]  # the unlocated post has no case
    case = r.json()["cases"][0]
    # hand-computed: opened Wed 14 May 10:05 Beijing; reply due 5 working days later at close of business
    assert case["opened_at"] == "2014-05-14T10:05:00+08:00"
    assert case["deadlines"] == {"reply": {"due": "2014-05-21T17:30:00+08:00",
                                           "remind_at": "2014-05-19T17:30:00+08:00", "fired": False}}
    assert (case["unit"], case["place"], case["confirmed_at"], case["reply_kind"]) == ("回龙观镇", "回龙观", None, None)
    assert client.post(f"/api/cases/{A}/reply", headers=auth(HLG), json={"kind": "立行立改"}).status_code == 200
    assert [c["case_id"] for c in client.get("/api/cases?open=1", headers=auth(DESK)).json()["cases"]] == [B]
    assert [c["case_id"] for c in client.get("/api/cases", headers=auth(SUPER)).json()["cases"]] == [A, B]


def test_a_unit_lists_only_its_own_cases(client):
    assert [c["case_id"] for c in client.get("/api/cases", headers=auth(CB)).json()["cases"]] == [B]
    assert [c["case_id"] for c in client.get("/api/cases", headers=auth(HLG)).json()["cases"]] == [A]


def test_confirm_records_who_when_and_why(client, service, clock):
    clock.advance(600)
    r = client.post(f"/api/cases/{A}/confirm", headers=auth(DESK), json={"reason": "地点与事项核实无误"})
    assert r.status_code == 200
    assert r.json()["decision"] is None  # the desk's own act: the engine is not asked
    assert r.json()["case"]["confirmed_at"] == "2014-05-14T10:15:00+08:00"
    [ev] = events_of(service, "desk_confirmed")
    data = json.loads(ev.event)
    assert (ev.case_id, data["by"], data["reason"], data["unit"]) == (A, "desk", "地点与事项核实无误", "回龙观镇")
    assert ev.at == "2014-05-14T02:15:00.000000Z"
    # confirming needs no reason
    assert client.post(f"/api/cases/{B}/confirm", headers=auth(DESK)).status_code == 200


def test_reroute_changes_the_unit_the_next_reminder_and_escalation_name(client, service, clock):
    r = client.post(f"/api/cases/{A}/reroute", headers=auth(DESK), json={"unit": "城北街道", "reason": "实为城北辖区"})
    assert r.status_code == 200 and r.json()["case"]["unit"] == "城北街道"
    [ev] = events_of(service, "desk_rerouted")
    assert {k: json.loads(ev.event)[k] for k in ("by", "from", "to", "reason")} == \
        {"by": "desk", "from": "回龙观镇", "to": "城北街道", "reason": "实为城北辖区"}
    assert service.engine.cases[A].unit == "城北街道"
    # the new unit now sees the case, the old one no longer does
    assert [c["case_id"] for c in client.get("/api/cases", headers=auth(CB)).json()["cases"]] == [A, B]
    assert client.get(f"/api/cases/{A}", headers=auth(HLG)).status_code == 404
    # the reminder (Mon 19 May 17:30) and the overdue reply (Wed 21 May 17:30) name 城北街道 (no reply filed)
    clock.set(datetime(2014, 5, 21, 17, 30, tzinfo=CST))
    service.fire_due()
    effects = [e for ev in events_of(service, "deadline_reached") if ev.case_id == A
               for e in json.loads(ev.decision)["effects"]]
    assert [(e["type"], e["unit"]) for e in effects] == \
        [("remind", "城北街道"), ("escalate", "城北街道"), ("deduct", "城北街道")]
    sup = client.get("/api/supervision", headers=auth(SUPER)).json()
    assert [(d["case_id"], d["unit"], d["points"]) for d in sup["deductions"] if d["case_id"] == A] == \
        [(A, "城北街道", 1.0)]


def test_reroute_survives_a_restart(live_dbs, clock):
    s = open_service(live_dbs, clock, **TOKENS)
    with TestClient(build_app(s)) as c:
        post_all(c, clock)
        c.post(f"/api/cases/{A}/reroute", headers=auth(DESK), json={"unit": "城北街道", "reason": "实为城北辖区"})
        c.post(f"/api/cases/{A}/confirm", headers=auth(DESK), json={})
        before = c.get(f"/api/cases/{A}", headers=auth(DESK)).json()
    s.close()
    s2 = open_service(live_dbs, clock, **TOKENS)
    try:
        assert s2.engine.cases[A].unit == "城北街道"
        with TestClient(build_app(s2)) as c:
            assert c.get(f"/api/cases/{A}", headers=auth(DESK)).json() == before
    finally:
        s2.close()


def test_reply_decides_as_the_engine_does_and_stops_the_reminder(client, service, clock):
    clock.set(datetime(2014, 5, 16, 9, 0, tzinfo=CST))
    r = client.post(f"/api/cases/{A}/reply", headers=auth(HLG), json={"kind": "近期解决", "promise_due": "2014-06-30"})
    assert r.status_code == 200
    reply = ReplyFiled(case_id=A, at=clock.now(), reply_kind="近期解决")
    _, expected = direct_engine(opened(100, "回龙观"), reply)
    assert r.json()["decision"] == expected.model_dump(mode="json")
    case = r.json()["case"]
    assert (case["reply_kind"], case["promise_due"], case["replied_at"]) == \
        ("近期解决", "2014-06-30", "2014-05-16T09:00:00+08:00")
    [ev] = events_of(service, "reply_filed")
    assert (json.loads(ev.event)["by"], json.loads(ev.event)["promise_due"]) == ("unit:回龙观镇", "2014-06-30")
    # replied in time: the reminder and the deadline fire, and neither reminds, escalates nor deducts
    clock.set(datetime(2014, 5, 22, 9, 0, tzinfo=CST))
    service.fire_due()
    fired = [ev for ev in events_of(service, "deadline_reached") if ev.case_id == A]
    assert len(fired) == 2 and all(json.loads(ev.decision)["effects"] == [] for ev in fired)
    assert client.get(f"/api/cases/{A}", headers=auth(HLG)).json()["case"]["deadlines"]["reply"]["fired"] is True


@pytest.mark.parametrize("kind", ["立行立改", "条件不具备", "不符合法规"])
def test_the_other_reply_kinds_need_no_date(client, kind):
    r = client.post(f"/api/cases/{B}/reply", headers=auth(CB), json={"kind": kind})
    assert r.status_code == 200 and (r.json()["case"]["reply_kind"], r.json()["case"]["promise_due"]) == (kind, None)


def test_statement_is_recorded_at_the_service_clock(client, service, clock):
    assert client.post(f"/api/cases/{A}/reposts", headers=auth(DESK), json={"reposts": 600}).json()["case"]["hot"]
    clock.advance(3600)
    r = client.post(f"/api/cases/{A}/statement", headers=auth(DESK), json={})
    assert r.status_code == 200
    assert r.json()["case"]["statement_at"] == "2014-05-14T11:05:00+08:00"
    assert r.json()["decision"]["effects"] == []  # the engine records it; no rule acts on it
    assert json.loads(events_of(service, "statement_issued")[0].event)["by"] == "desk"


def test_a_statement_waits_until_the_policy_marks_the_case_hot(zh, client, service, clock):
    # B (城北, 路灯) has 0 reposts and no follow-up: rules/hot.yaml needs 500 reposts or 3 follow-ups
    assert client.get(f"/api/cases/{B}", headers=auth(DESK)).json()["case"]["hot"] is False
    before = {name: table(service, name) for name in ("events", "cases", "deadlines")}
    r = client.post(f"/api/cases/{B}/statement", headers=auth(DESK), json={})
    assert (r.status_code, r.json()["error"]) == (409, "conflict")
    assert r.json()["detail"].startswith(f"案件 {B} 不是热点事件：对外表态是对热点事件的 2 小时回应")
    assert {name: table(service, name) for name in before} == before
    assert service.counts()["api"]["conflict"] == 1
    # two follow-ups: still not hot, still refused; the third turns it hot (hot-followups) and the statement,
    # 30 minutes later, meets its 2-hour deadline
    for n in (1, 2, 3):
        case = client.post(f"/api/cases/{B}/follow-up", headers=auth(DESK), json={"text": f"追问{n}"}).json()["case"]
        assert case["hot"] is (n == 3)
        if n == 2:
            assert client.post(f"/api/cases/{B}/statement", headers=auth(DESK), json={}).status_code == 409
    assert case["deadlines"]["external_statement"]["due"] == "2014-05-14T12:05:00+08:00"
    clock.advance(1800)
    r = client.post(f"/api/cases/{B}/statement", headers=auth(DESK), json={})
    assert r.status_code == 200 and r.json()["case"]["statement_at"] == "2014-05-14T10:35:00+08:00"
    totals = client.get("/api/supervision", headers=auth(SUPER)).json()["totals"]
    assert (totals["hot"], totals["statements"], totals["statements_on_time"]) == (1, 1, 1)
    assert service.counts()["api"]["conflict"] == 2


def test_reposts_turn_a_case_hot_with_a_two_hour_statement_clock_that_fires(client, service, clock):
    clock.advance(1800)  # 10:35
    r = client.post(f"/api/cases/{A}/reposts", headers=auth(DESK), json={"reposts": 600})
    assert r.status_code == 200
    case = r.json()["case"]
    # hand-computed: 600 ≥ 500 reposts (rule hot-reposts) → hot; statement due 2 wall-clock hours later
    assert (case["hot"], case["reposts"]) == (True, 600)
    assert case["deadlines"]["external_statement"] == {"due": "2014-05-14T12:35:00+08:00", "remind_at": None,
                                                       "fired": False}
    assert [e["type"] for e in r.json()["decision"]["effects"]] == ["mark_hot", "set_deadline"]
    rows = {(d.kind, bool(d.reminder)): d.due for d in table(service, "deadlines") if d.case_id == A}
    assert rows[("external_statement", False)] == "2014-05-14T04:35:00.000000Z"
    # no statement: at 12:35 the deadline fires, escalates to 区委宣传部 and deducts 2 points
    clock.set(datetime(2014, 5, 14, 12, 35, tzinfo=CST))
    service.fire_due()
    [ev] = [e for e in events_of(service, "deadline_reached") if e.case_id == A]
    effects = json.loads(ev.decision)["effects"]
    assert [(e["type"], e.get("to"), e.get("points")) for e in effects] == \
        [("escalate", "区委宣传部", None), ("deduct", None, 2.0)]


def test_follow_up_reminds_the_unit(client, service, clock):
    r = client.post(f"/api/cases/{B}/follow-up", headers=auth(DESK), json={"text": "怎么还没修？"})
    assert r.status_code == 200
    # rule follow-up-remind: a follow-up with no reply reminds the case's unit
    assert [(e["type"], e["unit"]) for e in r.json()["decision"]["effects"]] == [("remind", "城北街道")]
    assert r.json()["case"]["followups"] == 1
    assert json.loads(events_of(service, "follow_up_posted")[0].event)["text"] == "怎么还没修？"


def test_locating_a_post_opens_its_case_as_the_engine_would(client, service, clock):
    r = client.get("/api/posts?unlocated=1", headers=auth(DESK))
    assert r.json() == {"posts": [{"post_id": LOST, "channel": "wechat", "received_at": "2014-05-14T10:05:00+08:00",
                                   "text": TEXTS[103]}]}
    clock.advance(900)  # the desk locates it 15 minutes later: the case opens then
    r = client.post(f"/api/posts/{LOST}/locate", headers=auth(DESK), json={"place": "城北"})
    assert r.status_code == 200
    _, expected = direct_engine(opened(103, "城北", clock.now()))
    assert r.json()["decision"] == expected.model_dump(mode="json")
    assert (r.json()["case"]["unit"], r.json()["case"]["opened_at"]) == ("城北街道", "2014-05-14T10:20:00+08:00")
    assert client.get("/api/posts", headers=auth(DESK)).json() == {"posts": []}
    assert [p.case_id for p in table(service, "posts") if p.post_id == LOST] == [LOST]
    assert json.loads(events_of(service, "post_received")[-1].event)["by"] == "desk"
    assert {d.kind for d in table(service, "deadlines") if d.case_id == LOST} == {"reply"}


def test_case_history_carries_each_decision_with_its_trace(client):
    client.post(f"/api/cases/{A}/confirm", headers=auth(DESK), json={})
    r = client.get(f"/api/cases/{A}", headers=auth(HLG))
    assert r.status_code == 200
    events = r.json()["events"]
    assert [e["kind"] for e in events] == ["post_received", "desk_confirmed"]
    assert events[0]["seq"] < events[1]["seq"]
    route = [e for e in events[0]["decision"]["effects"] if e["type"] == "route"][0]
    assert route["unit"] == "回龙观镇" and route["trace"]["file"].endswith("routing.yaml") and route["trace"]["line"] > 0


def test_a_failed_transaction_leaves_memory_and_store_as_they_were(client, service, monkeypatch):
    def broken(*a: Any, **k: Any) -> None:
        raise RuntimeError("disk full")

    n = len(table(service, "events"))
    monkeypatch.setattr(service, "_save_case", broken)
    with pytest.raises(RuntimeError):
        service.reroute(service_role("desk"), A, {"unit": "城北街道", "reason": "x"})
    assert service.engine.cases[A].unit == "回龙观镇"
    assert len(table(service, "events")) == n


def service_role(kind: str, unit: str | None = None) -> Any:
    from live.auth import Role

    return Role(kind, unit)  # type: ignore[arg-type]


def test_supervision_totals_and_quarters_by_hand(live_dbs):
    # A opened Mon 30 June 2014 23:00 Beijing (15:00 UTC: still Q2 in Beijing, the policy's zone);
    # its reply deadline passes in July, so its deduction is booked in 2014Q3.  B opened the same time,
    # replied on time.  Reply due: 5 working days from 30 June → Mon 7 July 17:30.
    start = datetime(2014, 6, 30, 15, 0, tzinfo=UTC)
    clock = FakeClock(start)
    s = open_service(live_dbs, clock, **TOKENS)
    try:
        with TestClient(build_app(s)) as c:
            post_all(c, clock)
            clock.advance(3600)
            assert c.post(f"/api/cases/{B}/reply", headers=auth(CB), json={"kind": "立行立改"}).status_code == 200
            clock.set(datetime(2014, 7, 8, 9, 0, tzinfo=CST))
            s.fire_due()
            sup = c.get("/api/supervision", headers=auth(DESK)).json()
    finally:
        s.close()
    assert sup["now"] == "2014-07-08T09:00:00+08:00"
    assert sup["totals"] == {"forms": 2, "replied": 1, "reply_rate": 0.5, "on_time": 1, "on_time_rate": 0.5,
                             "hot": 0, "statements": 0, "statements_on_time": 0, "reminders": 1, "escalations": 1,
                             "deductions_total": 1.0, "accountability_flags": 0}
    assert sup["escalations"] == [{"case_id": A, "unit": "回龙观镇", "to": "区政府办公室", "level": 1,
                                   "at": "2014-07-07T17:30:00+08:00"}]
    assert sup["deductions"] == [{"case_id": A, "unit": "回龙观镇", "points": 1.0, "reason": "未按时答复",
                                  "at": "2014-07-07T17:30:00+08:00"}]
    assert sup["quarterly"] == [
        {"quarter": "2014Q2", "unit": "回龙观镇", "forms": 1, "replied": 0, "on_time": 0, "deductions": 0.0},
        {"quarter": "2014Q2", "unit": "城北街道", "forms": 1, "replied": 1, "on_time": 1, "deductions": 0.0},
        {"quarter": "2014Q3", "unit": "回龙观镇", "forms": 0, "replied": 0, "on_time": 0, "deductions": 1.0},
    ]


def test_a_store_at_revision_0002_is_upgraded_and_its_cases_act(tmp_path, clock):
    # a store written before revision 0003 (no confirmed_at, no promise_due) with a case in it
    from pathlib import Path as _Path

    from alembic import command
    from alembic.config import Config
    from sqlalchemy import inspect, text

    import live.store as store_module

    db = store_module.open_db(f"sqlite:///{tmp_path / 'live.db'}")
    cfg = Config()
    cfg.set_main_option("script_location", str(_Path(store_module.__file__).parent / "migrations"))
    with db.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0002")
    assert "confirmed_at" not in {c["name"] for c in inspect(db).get_columns("cases")}
    eng, _ = direct_engine(opened(100, "回龙观"))
    with db.begin() as conn:
        conn.execute(text("INSERT INTO cases (case_id, post_id, unit, category, hot, opened_at, updated_at, state) "
                          "VALUES (:c, :c, :u, :cat, 0, :o, :o, :s)"),
                     {"c": A, "u": "回龙观镇", "cat": eng.cases[A].category, "o": store_module.stamp(T0),
                      "s": store_module.dump_case(eng.cases[A])})
    db.dispose()
    with web_service(tmp_path, clock) as s:
        assert {"confirmed_at", "promise_due"} <= {c["name"] for c in inspect(s.db).get_columns("cases")}
        with TestClient(build_app(s)) as c:
            r = c.post(f"/api/cases/{A}/reply", headers=auth(HLG), json={"kind": "近期解决", "promise_due": "2014-06-30"})
            assert r.status_code == 200 and r.json()["case"]["promise_due"] == "2014-06-30"
            assert c.get(f"/api/cases/{A}", headers=auth(DESK)).json()["case"]["confirmed_at"] is None


def test_intake_refusals_are_in_the_services_language_with_the_same_code(client, service, clock, zh, monkeypatch):
    """Finding 9: a 400's detail comes from the engine's catalogue in the service's language (--lang, else
    WENZHENG_LANG, else Chinese); the code does not change with it."""
    from tests.test_live_support import TOKEN, signed, wechat_xml

    image = wechat_xml(700, "看图").replace(b"[CDATA[text]]", b"[CDATA[image]]")
    dtd = b'<!DOCTYPE xml [<!ENTITY a "x">]>' + wechat_xml(701, "x")

    def refusal(body: bytes, nonce: str) -> tuple[str, str]:
        r = client.post("/wechat", params=signed(TOKEN, clock, nonce=nonce), content=body)
        assert r.status_code == 400
        return r.json()["error"], r.json()["detail"]

    assert refusal(image, "i1") == ("unsupported-type", "MsgType 为「image」（只有文字消息 text 才是网民反映）")
    assert refusal(dtd, "d1") == ("forbidden-dtd", "微信消息中不允许 DOCTYPE/ENTITY 声明")
    service.lang = "en"
    monkeypatch.setenv("WENZHENG_LANG", "zh")  # the service's own language wins
    assert refusal(image, "i2") == ("unsupported-type", "MsgType 'image' (only text messages carry complaints)")
    assert service.counts()["wechat"]["unsupported-type"] == 2


def test_answers_give_every_time_in_the_policys_zone(client, service, clock):
    """Times in answers are ISO 8601 at +08:00 (docs/live.md), the decision's and the stored event's too —
    the store's own columns keep UTC text, which no answer shows."""
    r = client.post(f"/api/cases/{B}/follow-up", headers=auth(DESK), json={"text": "怎么还没修？"})
    assert r.status_code == 200
    assert r.json()["decision"]["at"].endswith("+08:00")
    clock.advance(timedelta(days=10))  # deadlines fire: their events at their due times, in the zone too
    service.fire_due()
    case = client.get(f"/api/cases/{B}", headers=auth(DESK)).text
    times = re.findall(r'"(\d{4}-\d\d-\d\dT[0-9:.]+(?:Z|[+-]\d\d:\d\d))"', case)
    assert times and all(x.endswith("+08:00") for x in times), [x for x in times if not x.endswith("+08:00")]
