"""Shared helpers of the desk, unit and supervisor tests (tests/test_live_api.py, test_live_roles.py,
test_live_pages.py): role tokens, three posts (two cases and a post naming no place), a service and a client
around them, and the engine deciding the same events directly.  No tests here."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from engine import Engine, Policy
from engine.adapters import PostAdapter
from engine.models import PostReceived
from live.app import build_app
from live.clock import FakeClock
from live.service import LiveService
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

__all__ = ["CST", "DESK", "SUPER", "HLG", "CB", "TOKENS", "A", "B", "LOST", "TEXTS", "auth", "post_all", "events_of",
           "direct_engine", "opened", "web_service", "web_client"]

CST = timezone(timedelta(hours=8))
DESK, SUPER = "desk-token-for-tests-0001", "supervisor-token-for-tests"
HLG, CB = "unit-huilongguan-token-01", "unit-chengbei-token-0001"
TOKENS = dict(desk_token=DESK, supervisor_token=SUPER, unit_tokens={"回龙观镇": HLG, "城北街道": CB})
#: case ids the fixture opens: a post at 回龙观 (回龙观镇), one at 城北 (城北街道), and a post naming no place
A, B, LOST = "wechat-100", "wechat-101", "wechat-103"
TEXTS = {100: "回龙观龙泽苑小区群租房太多，晚上很吵", 101: "城北路灯坏了好几天了", 103: "小区门口的路坏了好久"}


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def post_all(client: TestClient, clock: FakeClock) -> None:
    for msg_id, text in TEXTS.items():
        r = client.post("/wechat", params=signed(TOKEN, clock, nonce=f"n{msg_id}"), content=wechat_xml(msg_id, text))
        assert r.status_code == 200


def events_of(service: Any, kind: str) -> list[Any]:
    return [e for e in table(service, "events") if e.kind == kind]


def direct_engine(*events: Any) -> tuple[Engine, Any]:
    """A fresh engine fed the same events; returns it and the decision on the last one."""
    eng = Engine(Policy.load(RULES))
    decision = None
    for ev in events:
        decision = eng.handle(ev)
    return eng, decision


BEIJING = timezone(timedelta(hours=8))


def opened(msg_id: int, place: str, at: datetime = T0) -> PostReceived:
    raw = PostAdapter().wechat(wechat_xml(msg_id, TEXTS[msg_id])).post
    assert raw is not None
    # in the policy's zone, as the service records every time (docs/live.md): the same instants
    raw = raw.model_copy(update={"posted_at": raw.posted_at.astimezone(BEIJING)})
    return PostReceived(case_id=f"wechat-{msg_id}", at=at.astimezone(BEIJING), post=raw.at_place(place))




@contextlib.contextmanager
def web_service(where: Path | Callable[[str], str], clock: FakeClock) -> Iterator[LiveService]:
    """A service with the role tokens on a store in the folder ``where`` (SQLite) or from the ``live_dbs``
    factory (SQLite or PostgreSQL)."""
    s = open_service(where, clock, **TOKENS)
    try:
        yield s
    finally:
        s.close()


@contextlib.contextmanager
def web_client(service: LiveService, clock: FakeClock) -> Iterator[TestClient]:
    """A client of the app around ``service`` with the three posts delivered (at the clock's now)."""
    with TestClient(build_app(service)) as c:
        post_all(c, clock)
        yield c
