"""Live deadlines (live/service.py ``fire_due``, the scheduler in live/app.py): each fires once, at its due
time, through the engine; those that fell due while the service was down fire at start-up, in due order,
with their original due times, and never again."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from engine import Engine, Policy
from engine.adapters import PostAdapter
from engine.models import DeadlineReached, PostReceived
from live import store
from live.app import build_app
from live.clock import FakeClock
from tests.test_live_support import (
    RULES,
    T0,
    TOKEN,
    TestClient,
    open_service,
    signed,
    table,
    wechat_xml,
)

COMPLAINT = "回龙观龙泽苑小区群租房太多，晚上很吵，希望有关部门管一管"
#: hand-computed from rules/deadlines.yaml: 3 and 5 working days after Wed 14 May 2014 10:05, close of
#: business 17:30 Beijing time (09:30 UTC): Mon 19 May and Wed 21 May
REMIND = datetime(2014, 5, 19, 9, 30, tzinfo=UTC)
DUE = datetime(2014, 5, 21, 9, 30, tzinfo=UTC)

BEIJING = timezone(timedelta(hours=8))  # the policy's zone: the service records every time in it


def fired(service):
    return [(e.case_id, json.loads(e.event)["deadline"], json.loads(e.event)["reminder"], store.unstamp(e.at))
            for e in table(service, "events") if e.kind == "deadline_reached"]


def test_deadlines_fire_once_at_their_due_time(live_dbs):
    clock = FakeClock(T0)
    s = open_service(live_dbs, clock)
    s.intake("wechat", wechat_xml(1, COMPLAINT))
    assert s.fire_due() == []
    clock.set(REMIND - timedelta(microseconds=1))
    assert s.fire_due() == []
    clock.set(REMIND)
    [f] = s.fire_due()
    assert (f.case_id, f.kind, f.reminder, f.due) == ("wechat-1", "reply", True, REMIND)
    assert s.fire_due() == []
    clock.set(DUE + timedelta(hours=1))  # late look: still fired at its own due time
    [f] = s.fire_due()
    assert (f.kind, f.reminder, f.due) == ("reply", False, DUE)
    clock.advance(timedelta(days=30))
    assert s.fire_due() == []
    assert fired(s) == [("wechat-1", "reply", True, REMIND), ("wechat-1", "reply", False, DUE)]
    assert [d.fired_at is not None for d in table(s, "deadlines")] == [True, True]

    # oracle: the engine given the same post and the same two deadline events directly
    direct = Engine(Policy.load(RULES))
    raw = PostAdapter().wechat(wechat_xml(1, COMPLAINT)).post
    raw = raw.model_copy(update={"posted_at": raw.posted_at.astimezone(BEIJING)})  # times in the policy's zone
    direct.handle(PostReceived(case_id="wechat-1", at=T0.astimezone(BEIJING), post=raw.at_place("回龙观")))
    expected = [direct.handle(DeadlineReached(case_id="wechat-1", at=at.astimezone(BEIJING), deadline="reply",
                                              reminder=r))
                .model_dump(mode="json") for r, at in ((True, REMIND), (False, DUE))]
    direct.close()
    stored = [json.loads(e.decision) for e in table(s, "events") if e.kind == "deadline_reached"]
    assert stored == expected
    s.close()


def test_the_scheduler_fires_at_the_due_time_while_serving(live_dbs):
    clock = FakeClock(T0)
    s = open_service(live_dbs, clock)
    with TestClient(build_app(s)) as c:
        assert c.post("/wechat", params=signed(TOKEN, clock), content=wechat_xml(2, COMPLAINT)).status_code == 200
        time.sleep(0.2)
        assert fired(s) == []
        clock.set(REMIND)
        _wait_for(lambda: len(fired(s)) == 1)
        time.sleep(0.2)  # many more looks by the scheduler: nothing fires twice
        assert fired(s) == [("wechat-2", "reply", True, REMIND)]
        assert c.get("/status").json()["scheduler_error"] is None
    s.close()


def _wait_for(cond, timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            pytest.fail("the scheduler did not fire in time")
        time.sleep(0.02)


def test_a_restart_fires_what_fell_due_in_due_order_with_original_times_and_never_again(live_dbs):
    clock = FakeClock(T0)
    first = open_service(live_dbs, clock)
    first.intake("wechat", wechat_xml(3, COMPLAINT))
    clock.advance(timedelta(minutes=1))
    first.intake("wechat", wechat_xml(4, COMPLAINT))
    state = {k: store.dump_case(v) for k, v in first.engine.cases.items()}
    first.close()  # the service goes down

    clock.set(DUE + timedelta(days=1))  # past both clocks of both cases
    second = open_service(live_dbs, clock)
    assert {k: store.dump_case(v) for k, v in second.engine.cases.items()} == state  # memory rebuilt
    with TestClient(build_app(second)) as c:
        assert c.get("/status").json()["fired_at_start"] == 4
    got = fired(second)
    assert got == [("wechat-3", "reply", True, REMIND), ("wechat-4", "reply", True, REMIND),
                   ("wechat-3", "reply", False, DUE), ("wechat-4", "reply", False, DUE)]
    assert [at for *_, at in got] == sorted(at for *_, at in got)
    second.close()

    third = open_service(live_dbs, clock)  # and once more: nothing fires again
    with TestClient(build_app(third)) as c:
        assert c.get("/status").json()["fired_at_start"] == 0
    assert len(fired(third)) == 4
    third.close()


def test_one_clock_per_case_kind_and_reminder_flag(live_dbs):
    s = open_service(live_dbs, FakeClock(T0))
    row = dict(case_id="c", kind="reply", reminder=False, due=store.stamp(DUE))
    with s.db.begin() as conn:
        conn.execute(insert(store.deadlines).values(**row))
    with pytest.raises(IntegrityError), s.db.begin() as conn:
        conn.execute(insert(store.deadlines).values(**row))
    s.close()


def test_the_migration_creates_exactly_the_tables_the_code_uses(live_dbs):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    s = open_service(live_dbs, FakeClock(T0))
    with s.db.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), store.metadata)
    assert diff == []
    s.close()


def test_case_state_survives_the_store(live_dbs):
    from engine.engine import CaseState

    s = open_service(live_dbs, FakeClock(T0))
    s.intake("wechat", wechat_xml(5, COMPLAINT))
    case = s.engine.cases["wechat-5"]
    back = store.load_case(store.dump_case(case))
    assert isinstance(back, CaseState) and back == case
    s.close()
