"""``wenzheng drive`` against a real service: the app on a free port (uvicorn in a thread, a fresh SQLite file,
an accelerated clock), a short slice of the Changping scenario sent to it over HTTP.

Checked: nothing lost and nothing twice (the set of cases in the store is the set of forms the simulator
opened), every reply sent is stored once, the counts that do not depend on timing agree exactly, and the
metrics agree within the tolerance that the lateness *observed in this run* implies (``tolerances`` with the
measured delay: on a shared two-core machine a request can take a few hundred milliseconds, i.e. hours of
simulated time, and the at-risk analysis is the oracle for what that may change)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy import create_engine, select

from live import store
from live.app import create_app
from live.config import load_config
from live.drive import build_timeline, compare, drive, tolerances

ROOT = Path(__file__).resolve().parent.parent
SPEED = 43_200.0  # half a simulated day per real second
UNTIL = date(2014, 4, 8)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def service(tmp_path):  # type: ignore[no-untyped-def]
    from engine.policy import Policy

    units = list(Policy.load(ROOT / "rules").units)
    db = f"sqlite:///{tmp_path / 'live.db'}"
    config = load_config(None, environ={}, db=db, wechat_token="test-wechat-token", weibo_secret="test-weibo-secret",
                         desk_token="test-desk-token-0001", supervisor_token="test-supervisor-token-01",
                         unit_tokens={u: f"test-unit-token-{i:04d}" for i, u in enumerate(units)},
                         clock_speed=SPEED, clock_start=datetime.fromisoformat("2014-03-31T00:00:00+08:00"),
                         poll_seconds=0.05)
    app = create_app(ROOT / "rules", config)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}", config, db
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        app.state.service.close()


def test_drive_a_slice_of_changping(service):
    target, config, db = service
    tl = build_timeline(ROOT / "scenarios" / "changping-2014.yaml", until=UNTIL)
    assert tl.items[0].at > datetime.fromisoformat("2014-04-01T00:00:00+08:00")
    t0 = time.monotonic()
    res = asyncio.run(drive(tl, target, config, speed=SPEED, concurrency=8))
    assert time.monotonic() - t0 < 120
    assert not res.errors, (res.errors, res.first_error)
    posts = [i for i in tl.items if i.kind == "post"]
    assert res.posts_sent == res.posts_accepted == len(posts) > 10
    engine = create_engine(db)
    try:
        with engine.connect() as conn:
            stored = [r.case_id for r in conn.execute(select(store.cases.c.case_id))]
            replies = [r.case_id for r in conn.execute(select(store.events.c.case_id)
                                                       .where(store.events.c.kind == "reply_filed"))]
    finally:
        engine.dispose()
    # none lost, none twice
    assert len(stored) == len(set(stored))
    assert set(stored) == {i.case_id for i in posts}
    # every reply the timeline sent is stored, once
    assert sorted(replies) == sorted(i.case_id for i in tl.items if i.kind == "reply")
    svc = res.service_totals
    for key in ("forms", "replied", "hot"):
        assert svc[key] == tl.totals[key], key
    # the metrics, within what the lateness seen in this run can change
    observed = max(res.lateness) / SPEED + max(res.intake_ms + res.api_ms) / 1000
    rows = compare(tl.totals, svc, tolerances(tl, SPEED, jitter=max(observed, 0.05)))
    assert all(r.ok for r in rows), [r for r in rows if not r.ok]
    assert tl.cut is not None and tl.cut - timedelta(days=1) == datetime.combine(UNTIL, datetime.min.time(),
                                                                                 tzinfo=tl.cut.tzinfo)
