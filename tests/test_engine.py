"""Engine decisions, traces and isolation between policies."""

from __future__ import annotations

from datetime import datetime

import pytest
from pydantic import ValidationError

from engine import (
    Classify,
    DeadlineReached,
    Deduct,
    Engine,
    Escalate,
    EventError,
    FlagAccountability,
    FollowUpPosted,
    MarkHot,
    Policy,
    Post,
    PostReceived,
    Remind,
    ReplyFiled,
    RepostsUpdated,
    Route,
    SetDeadline,
    StatementIssued,
)

T0 = datetime.fromisoformat("2014-05-14T10:00+08:00")


def post(text: str, place: str = "城北", reposts: int = 0, at: datetime = T0, pid: str = "p1") -> Post:
    return Post(post_id=pid, channel="weibo", author="张伟", text=text, place=place, posted_at=at, reposts=reposts)


def open_case(engine: Engine, text: str, place: str = "城北", reposts: int = 0, at: datetime = T0, cid: str = "c1"):
    return engine.handle(PostReceived(case_id=cid, at=at, post=post(text, place, reposts, at, cid)))


def test_park_car_park_goes_to_parks_bureau_with_trace(engine):
    d = open_case(engine, "十三陵水库旁边公园停车场收费不合理", place="十三陵")
    (cls,) = d.of_type(Classify)
    assert cls.category == "园林绿化" and cls.keywords == ("公园",)
    assert cls.trace.rule_id == "cls-parks" and cls.trace.file.endswith("classification.yaml")
    (route,) = d.of_type(Route)
    assert route.unit == "园林绿化局"
    assert route.trace.rule_id == "route-parks"
    assert route.trace.where.endswith("routing.yaml:8")
    assert route.trace.inputs == {"category": "园林绿化"}


def test_local_matter_routes_to_the_place_owner(engine):
    d = open_case(engine, "小区垃圾好几天没人清运了", place="回龙观")
    assert d.of_type(Route)[0].unit == "回龙观镇"
    assert d.of_type(Route)[0].trace.rule_id == "route-local"


def test_place_specific_rule(engine):
    d = open_case(engine, "楼顶私搭乱建", place="天通苑北")
    assert d.of_type(Route)[0].unit == "城管监察局"
    d = open_case(engine, "楼顶私搭乱建", place="南口", cid="c2")
    assert d.of_type(Route)[0].unit == "南口镇"


def test_reply_deadline_counts_working_days(engine):
    d = open_case(engine, "小区垃圾没人清运", at=datetime.fromisoformat("2014-09-30T16:00+08:00"))
    (dl,) = d.of_type(SetDeadline)
    assert dl.deadline == "reply" and dl.within == "5 working days"
    assert dl.due == datetime.fromisoformat("2014-10-13T17:30+08:00")
    assert dl.remind_at == datetime.fromisoformat("2014-10-10T17:30+08:00")
    assert dl.trace.rule_id == "reply"


def test_hot_at_intake_sets_2_hour_statement(engine):
    d = open_case(engine, "小区垃圾没人清运", reposts=800)
    assert d.of_type(MarkHot)[0].trace.rule_id == "hot-reposts"
    kinds = {e.deadline: e for e in d.of_type(SetDeadline)}
    assert kinds["external_statement"].due == datetime.fromisoformat("2014-05-14T12:00+08:00")
    assert kinds["reply"].due == datetime.fromisoformat("2014-05-21T17:30+08:00")


def test_case_turns_hot_later_and_deadlines_are_set_once(engine):
    open_case(engine, "小区垃圾没人清运", reposts=10)
    at = datetime.fromisoformat("2014-05-14T10:40+08:00")
    d = engine.handle(RepostsUpdated(case_id="c1", at=at, reposts=600))
    assert d.of_type(MarkHot)
    (dl,) = d.of_type(SetDeadline)  # the reply deadline is not set again
    assert dl.deadline == "external_statement" and dl.due == datetime.fromisoformat("2014-05-14T12:40+08:00")
    assert not engine.handle(RepostsUpdated(case_id="c1", at=at, reposts=900)).effects


def test_missed_statement_escalates_and_deducts(engine):
    open_case(engine, "小区垃圾没人清运", reposts=2500)
    d = engine.handle(DeadlineReached(case_id="c1", at=datetime.fromisoformat("2014-05-14T12:00+08:00"),
                                      deadline="external_statement"))
    assert [e.to for e in d.of_type(Escalate)] == ["区委宣传部"]
    assert sorted(e.points for e in d.of_type(Deduct)) == [2.0, 3.0]
    assert {e.trace.rule_id for e in d.of_type(Deduct)} == {"statement-missed", "statement-missed-spread"}
    assert d.of_type(FlagAccountability)[0].unit == "城北街道"


def test_statement_in_time_means_nothing_happens(engine):
    open_case(engine, "小区垃圾没人清运", reposts=800)
    engine.handle(StatementIssued(case_id="c1", at=datetime.fromisoformat("2014-05-14T11:10+08:00")))
    d = engine.handle(DeadlineReached(case_id="c1", at=datetime.fromisoformat("2014-05-14T12:00+08:00"),
                                      deadline="external_statement"))
    assert d.effects == ()


def test_overdue_reply_and_reminder(engine):
    open_case(engine, "小区垃圾没人清运")
    d = engine.handle(DeadlineReached(case_id="c1", at=datetime.fromisoformat("2014-05-19T17:30+08:00"),
                                      deadline="reply", reminder=True))
    assert [type(e) for e in d.effects] == [Remind]
    d = engine.handle(DeadlineReached(case_id="c1", at=datetime.fromisoformat("2014-05-21T17:30+08:00"),
                                      deadline="reply"))
    assert d.of_type(Escalate)[0].to == "区政府办公室"
    assert d.of_type(Deduct)[0].points == 1.0 and d.of_type(Deduct)[0].reason == "未按时答复"


def test_reply_in_time_closes_and_avoids_deduction(engine):
    open_case(engine, "小区垃圾没人清运")
    d = engine.handle(ReplyFiled(case_id="c1", at=datetime.fromisoformat("2014-05-16T10:00+08:00"),
                                 reply_kind="立行立改"))
    assert d.effects[0].type == "close" and d.effects[0].reply_kind == "立行立改"
    d = engine.handle(DeadlineReached(case_id="c1", at=datetime.fromisoformat("2014-05-21T17:30+08:00"),
                                      deadline="reply"))
    assert d.effects == ()
    with pytest.raises(EventError, match="already has a reply"):
        engine.handle(ReplyFiled(case_id="c1", at=datetime.fromisoformat("2014-05-17T10:00+08:00"),
                                 reply_kind="立行立改"))


def test_follow_ups_remind_then_supervise_then_turn_hot(engine):
    open_case(engine, "小区垃圾没人清运")
    at = datetime.fromisoformat("2014-05-18T10:00+08:00")
    d1 = engine.handle(FollowUpPosted(case_id="c1", at=at))
    assert [e.type for e in d1.effects] == ["remind"]
    d2 = engine.handle(FollowUpPosted(case_id="c1", at=at))
    assert [e.type for e in d2.effects] == ["remind", "escalate"]
    d3 = engine.handle(FollowUpPosted(case_id="c1", at=at))
    assert d3.effects[0].type == "mark_hot" and d3.effects[0].trace.rule_id == "hot-followups"
    assert any(e.type == "set_deadline" and e.deadline == "external_statement" for e in d3.effects)


def test_events_are_validated(engine):
    with pytest.raises(EventError, match="unknown case"):
        engine.handle(StatementIssued(case_id="nope", at=T0))
    with pytest.raises(ValidationError, match="timezone"):
        StatementIssued(case_id="c1", at=datetime(2014, 5, 14, 10))
    with pytest.raises(ValidationError):
        engine.handle({"type": "reply_filed", "case_id": "c1", "at": T0.isoformat(), "reply_kind": "随便"})
    with pytest.raises(EventError, match="unknown place"):
        open_case(engine, "垃圾", place="海淀")


def test_handle_is_deterministic(policy):
    def decisions():
        e = Engine(policy)
        out = [open_case(e, "小区垃圾没人清运", reposts=700).model_dump_json()]
        out.append(e.handle(DeadlineReached(case_id="c1", at=datetime.fromisoformat("2014-05-14T12:00+08:00"),
                                            deadline="external_statement")).model_dump_json())
        e.close()
        return out

    assert decisions() == decisions()


def test_two_policies_side_by_side(policy, rules_copy):
    text = (rules_copy / "routing.yaml").read_text(encoding="utf-8")
    (rules_copy / "routing.yaml").write_text(text.replace("then: {unit: 园林绿化局}", "then: {unit: 城管监察局}"),
                                             encoding="utf-8")
    baseline, candidate = Engine(policy), Engine(Policy.load(rules_copy))
    for _ in range(3):  # interleaved use must not leak between them
        a = open_case(baseline, "公园树木被砍", cid=f"a{_}")
        b = open_case(candidate, "公园树木被砍", cid=f"a{_}")
        assert a.of_type(Route)[0].unit == "园林绿化局"
        assert b.of_type(Route)[0].unit == "城管监察局"
    assert baseline.cases.keys() == candidate.cases.keys()
    baseline.close()
    candidate.close()


def test_a_routing_gap_leaves_the_case_unrouted(rules_copy):
    text = (rules_copy / "routing.yaml").read_text(encoding="utf-8")
    (rules_copy / "routing.yaml").write_text(
        text.replace("  - id: route-water\n    when: {category: 供水}\n    then: {unit: 水务局}\n", ""), encoding="utf-8")
    e = Engine(Policy.load(rules_copy))
    d = open_case(e, "又停水了", place="沙河")
    assert d.of_type(Classify)[0].category == "供水"
    assert d.of_type(Route) == []
    assert e.cases["c1"].unit == ""
    assert d.of_type(SetDeadline)  # the form still has its deadline
    e.close()
