"""Idempotency keys of the JSON API's actions (docs/live.md, "Idempotency keys"), on SQLite and PostgreSQL.

Oracles: a request sent twice with one key is stored once (one event, the engine's follow-up count 1), and the
second answer is the first one's bytes; the same key with another request is 422, stores nothing and is
counted; a key is one role's; a request without the key acts as before (twice: two follow-ups).  The drive's
use of the keys is tested in tests/test_live_drive_faults.py."""

from __future__ import annotations

import json
from typing import Any

import pytest

from live.api import MAX_KEY, idempotency_key
from live.auth import Refusal
from tests.test_live_support import TestClient, open_service, table
from tests.test_live_web_support import (
    CB,
    DESK,
    HLG,
    LOST,
    SUPER,
    TOKENS,
    A,
    B,
    auth,
    events_of,
    post_all,
    web_service,
)


def keyed(token: str, key: str) -> dict[str, str]:
    return {**auth(token), "Idempotency-Key": key}


def follow_ups(service: Any, case_id: str) -> tuple[int, int, int]:
    """(follow_up_posted events stored, the engine's count in memory, the count in the stored case row)."""
    stored = json.loads(next(r.state for r in table(service, "cases") if r.case_id == case_id))["followups"]
    return (sum(1 for e in events_of(service, "follow_up_posted") if e.case_id == case_id),
            service.engine.cases[case_id].followups, stored)


def test_a_follow_up_sent_twice_with_one_key_is_stored_once_and_answered_the_same_bytes(client, service, clock):
    first = client.post(f"/api/cases/{B}/follow-up", headers=keyed(DESK, "fu-1"), json={"text": "怎么还没修？"})
    assert first.status_code == 200 and first.json()["case"]["followups"] == 1
    clock.advance(600)  # the retry comes later: a new action would be stamped 10:15 and count a second follow-up
    again = client.post(f"/api/cases/{B}/follow-up", headers=keyed(DESK, "fu-1"), json={"text": "怎么还没修？"})
    assert (again.status_code, again.content) == (200, first.content)
    assert again.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers
    assert follow_ups(service, B) == (1, 1, 1)
    assert service.counts()["api"]["replay"] == 1
    [row] = table(service, "idempotency_keys")
    assert (row.role, row.key, row.action, row.target, row.status) == ("desk", "fu-1", "follow_up", B, 200)
    assert row.answer.encode("utf-8") == first.content and row.created_at == "2014-05-14T02:05:00.000000Z"


def test_without_a_key_a_resent_follow_up_counts_twice_as_before(client, service):
    for _ in range(2):
        assert client.post(f"/api/cases/{B}/follow-up", headers=auth(DESK), json={"text": "怎么还没修？"}).status_code == 200
    assert follow_ups(service, B) == (2, 2, 2)
    assert table(service, "idempotency_keys") == []


def test_the_replay_is_the_stored_answer_not_the_case_as_it_is_now(client, service):
    first = client.post(f"/api/cases/{A}/reposts", headers=keyed(DESK, "rp"), json={"reposts": 600})
    assert first.json()["case"]["statement_at"] is None
    assert client.post(f"/api/cases/{A}/statement", headers=auth(DESK)).status_code == 200
    again = client.post(f"/api/cases/{A}/reposts", headers=keyed(DESK, "rp"), json={"reposts": 600})
    assert again.content == first.content and again.json()["case"]["statement_at"] is None
    assert len(events_of(service, "reposts_updated")) == 1


@pytest.mark.parametrize("path, token, body, kind", [
    (f"/api/cases/{A}/reply", HLG, {"kind": "近期解决", "promise_due": "2014-06-30"}, "reply_filed"),
    (f"/api/cases/{A}/statement", DESK, {}, "statement_issued"),
    (f"/api/cases/{A}/confirm", DESK, {"reason": "核实无误"}, "desk_confirmed"),
    (f"/api/cases/{A}/reroute", DESK, {"unit": "城北街道", "reason": "实为城北辖区"}, "desk_rerouted"),
    (f"/api/posts/{LOST}/locate", DESK, {"place": "城北"}, "post_received"),
])
def test_actions_that_refuse_a_second_time_replay_the_first_answer_instead_of_409(client, service, path, token, body,
                                                                                 kind):
    if kind == "statement_issued":  # a statement needs a hot case (600 reposts ≥ 500, rules/hot.yaml)
        assert client.post(f"/api/cases/{A}/reposts", headers=auth(DESK), json={"reposts": 600}).status_code == 200
    before = len(events_of(service, kind))
    first = client.post(path, headers=keyed(token, "k-1"), json=body)
    again = client.post(path, headers=keyed(token, "k-1"), json=body)
    assert first.status_code == 200 and (again.status_code, again.content) == (200, first.content)
    assert len(events_of(service, kind)) == before + 1
    # without the key the second one is what it always was: refused, as the case's state says
    assert client.post(path, headers=auth(token), json=body).status_code == 409


def test_key_and_body_compare_as_json_not_as_spelling(client, service):
    first = client.post(f"/api/cases/{A}/reroute", headers=keyed(DESK, '"k 2"'),
                        content='{"unit": "城北街道", "reason": "实为城北辖区"}'.encode())
    # the draft's quoted form and Stripe's bare form name one key; key order and spacing do not make a new body
    again = client.post(f"/api/cases/{A}/reroute", headers=keyed(DESK, "k 2"),
                        content='{"reason":"实为城北辖区","unit":"城北街道"}'.encode())
    assert first.status_code == 200 and again.content == first.content
    assert len(events_of(service, "desk_rerouted")) == 1


@pytest.mark.parametrize("what, path, body", [
    ("another body", f"/api/cases/{B}/follow-up", {"text": "第二次追问"}),
    ("another case", f"/api/cases/{A}/follow-up", {"text": "怎么还没修？"}),
    ("another action", f"/api/cases/{B}/reposts", {"reposts": 3}),
    ("a body not JSON", f"/api/cases/{B}/follow-up", b"{text:"),
])
def test_the_same_key_with_another_request_is_422_stores_nothing_and_is_counted(zh, client, service, what, path, body):
    first = client.post(f"/api/cases/{B}/follow-up", headers=keyed(DESK, "once"), json={"text": "怎么还没修？"})
    assert first.status_code == 200
    events, cases = table(service, "events"), table(service, "cases")
    send = {"content": body} if isinstance(body, bytes) else {"json": body}
    r = client.post(path, headers=keyed(DESK, "once"), **send)
    assert r.status_code == 422 and r.json()["error"] == "idempotency-key-reused"
    assert r.json()["detail"] == (f"幂等键「once」已用于另一请求（关联网民追问，{B}）：同一个键只能重发同一请求"
                                  "（同一操作、同一案件、同样的内容）；新的请求请换一个键")
    assert (table(service, "events"), table(service, "cases")) == (events, cases)
    assert len(table(service, "idempotency_keys")) == 1 and follow_ups(service, B) == (1, 1, 1)
    assert service.counts()["api"]["idempotency-key-reused"] == 1
    # the first request's own repeat is still answered as the first time
    assert client.post(f"/api/cases/{B}/follow-up", headers=keyed(DESK, "once"),
                       json={"text": "怎么还没修？"}).content == first.content


def test_the_reused_key_message_in_english(client, service):
    service.lang = "en"
    client.post(f"/api/cases/{B}/follow-up", headers=keyed(DESK, "once"), json={"text": "a"})
    r = client.post(f"/api/cases/{B}/follow-up", headers=keyed(DESK, "once"), json={"text": "b"})
    assert r.json()["detail"].startswith(f"the idempotency key 'once' was used for another request "
                                         f"(link follow-up posts, {B})")


def test_a_key_is_one_roles_own(client, service):
    desk = client.post(f"/api/cases/{B}/follow-up", headers=keyed(DESK, "shared"), json={"text": "怎么还没修？"})
    # the unit's request under the same key is its own: it acts (the desk's answer is not visible to it, and
    # it is no "another request" either)
    unit = client.post(f"/api/cases/{B}/reply", headers=keyed(CB, "shared"), json={"kind": "立行立改"})
    assert (desk.status_code, unit.status_code) == (200, 200)
    assert unit.json()["case"]["reply_kind"] == "立行立改" and unit.content != desk.content
    other = client.post(f"/api/cases/{A}/reply", headers=keyed(HLG, "shared"), json={"kind": "条件不具备"})
    assert other.status_code == 200 and other.json()["case"]["case_id"] == A
    assert {(r.role, r.target) for r in table(service, "idempotency_keys")} == \
        {("desk", B), ("unit:城北街道", B), ("unit:回龙观镇", A)}
    # each role's repeat gets its own answer
    assert client.post(f"/api/cases/{B}/reply", headers=keyed(CB, "shared"),
                       json={"kind": "立行立改"}).content == unit.content
    assert client.post(f"/api/cases/{B}/follow-up", headers=keyed(DESK, "shared"),
                       json={"text": "怎么还没修？"}).content == desk.content
    # a supervisor may act on nothing, key or not; a unit's key does not open another unit's case
    assert client.post(f"/api/cases/{B}/follow-up", headers=keyed(SUPER, "shared"),
                       json={"text": "怎么还没修？"}).status_code == 403
    assert client.post(f"/api/cases/{A}/reply", headers=keyed(CB, "fresh"), json={"kind": "立行立改"}).status_code == 404


def test_a_refused_action_stores_no_key(client, service):
    r = client.post(f"/api/cases/{A}/reroute", headers=keyed(DESK, "k"), json={"unit": "回龙观镇", "reason": "x"})
    assert r.status_code == 409 and table(service, "idempotency_keys") == []
    # so the key is still free: a corrected request under it acts
    r = client.post(f"/api/cases/{A}/reroute", headers=keyed(DESK, "k"), json={"unit": "城北街道", "reason": "x"})
    assert r.status_code == 200 and len(table(service, "idempotency_keys")) == 1


@pytest.mark.parametrize("value", ["x" * (MAX_KEY + 1), "", "   ", '""', "a\x7fb", "tab\there"])
def test_a_malformed_key_is_400_and_nothing_is_done(zh, client, service, value):
    r = client.post(f"/api/cases/{B}/follow-up", headers=keyed(DESK, value), json={"text": "x"})
    assert (r.status_code, r.json()["error"]) == (400, "bad-idempotency-key")
    assert "Idempotency-Key" in r.json()["detail"] and "64" in r.json()["detail"]
    assert follow_ups(service, B) == (0, 0, 0) and service.counts()["api"]["bad-idempotency-key"] == 1


def test_key_forms():
    assert idempotency_key([]) is None
    assert idempotency_key(["x" * MAX_KEY]) == "x" * MAX_KEY
    assert idempotency_key(['"8e03978e-40d5-43e8-bc93-6894a57f9324"']) == "8e03978e-40d5-43e8-bc93-6894a57f9324"
    assert idempotency_key([" a b "]) == "a b"
    for bad in (["a", "a"], ["键"], ["x" * 65], ['"' + "x" * 65 + '"']):
        with pytest.raises(Refusal) as e:
            idempotency_key(bad)
        assert e.value.status == 400


def test_two_requests_with_one_key_on_two_services_of_one_store(live_dbs, clock):
    """Another process stored the key between this one's look and its insert: the unique key refuses the
    second insert, the action is rolled back (memory too) and the other's answer is replayed."""
    s1 = open_service(live_dbs, clock, **TOKENS)
    s2 = open_service(live_dbs, clock, **TOKENS)
    try:
        with TestClient(__import__("live.app", fromlist=["build_app"]).build_app(s1)) as c1:
            post_all(c1, clock)
        s2._load_cases()
        from live.auth import Role

        desk = Role("desk")
        first, replayed = s1.perform(desk, "follow_up", B, {"text": "a"}, "race")
        assert not replayed
        looked = s2._replay

        def late_look(role: Any, action: str, target: str, idem: Any) -> bool:
            if late_look.calls == 0:  # type: ignore[attr-defined]
                late_look.calls += 1  # type: ignore[attr-defined]
                return False  # as if s1 had not yet committed when s2 looked
            return looked(role, action, target, idem)

        late_look.calls = 0  # type: ignore[attr-defined]
        s2._replay = late_look  # type: ignore[method-assign]
        second, replayed = s2.perform(desk, "follow_up", B, {"text": "a"}, "race")
        assert replayed and second == first
        # s2's own follow-up rolled back: its memory is the store's again (s1's one follow-up, not two)
        assert s2.engine.cases[B].followups == 1
        assert follow_ups(s1, B)[0] == 1
    finally:
        s1.close()
        s2.close()


def test_a_store_at_revision_0003_gets_the_keys_table(tmp_path, clock):
    from pathlib import Path as _Path

    from alembic import command
    from alembic.config import Config
    from sqlalchemy import inspect

    import live.store as store_module

    db = store_module.open_db(f"sqlite:///{tmp_path / 'live.db'}")
    cfg = Config()
    cfg.set_main_option("script_location", str(_Path(store_module.__file__).parent / "migrations"))
    with db.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0003")
    assert "idempotency_keys" not in inspect(db).get_table_names()
    db.dispose()
    with web_service(tmp_path, clock) as s:
        assert {c["name"] for c in inspect(s.db).get_columns("idempotency_keys")} == \
            {"role", "key", "action", "target", "body_sha256", "status", "answer", "created_at"}
