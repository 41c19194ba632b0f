"""``wenzheng drive`` without HTTP: the simulator's event hook, the timeline, the cut, the tolerances, the
comparison and the report.  (The drive against a running service: tests/test_live_drive_e2e.py.)"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from engine.adapters import PostAdapter
from live.drive import (
    COMPARED,
    DriveResult,
    Timeline,
    build_timeline,
    compare,
    format_report,
    report_json,
    service_place,
    tolerances,
)
from simulator.metrics import compute_metrics
from simulator.model import Simulation
from simulator.runner import load_run_inputs

ROOT = Path(__file__).resolve().parent.parent
CHANGPING = ROOT / "scenarios" / "changping-2014.yaml"


@pytest.fixture(scope="module")
def timeline() -> Timeline:
    return build_timeline(CHANGPING)


def _metrics(on_event):  # type: ignore[no-untyped-def]
    sc, policy, _ = load_run_inputs(CHANGPING)
    sim = Simulation(sc, policy, on_event=on_event)
    try:
        return compute_metrics(sim.run())
    finally:
        sim.engine.close()


def test_the_event_hook_changes_nothing_and_sees_every_engine_event():
    seen = []
    with_hook = _metrics(lambda event, decision: seen.append((event.type, decision.at == event.at)))
    assert with_hook == _metrics(None)
    kinds = {k for k, _ in seen}
    assert {"post_received", "reply_filed", "deadline_reached"} <= kinds
    # one post_received per form, one reply_filed per reply: the hook sees what the metrics count
    assert sum(k == "post_received" for k, _ in seen) == with_hook["forms"]
    assert sum(k == "reply_filed" for k, _ in seen) == with_hook["replied"]
    assert all(same for _, same in seen)


def test_full_run_totals_are_the_run_metrics(timeline):
    m = _metrics(None)
    s = timeline.totals
    assert s["forms"] == m["forms"] and s["replied"] == m["replied"]
    assert s["reply_rate"] == pytest.approx(m["reply_rate"], abs=1e-6)
    assert s["on_time_rate"] == pytest.approx(m["on_time_rate"], abs=1e-6)
    assert s["hot"] == m["hot_events"]
    assert s["statements_on_time"] / s["hot"] == pytest.approx(m["statement_2h_rate"], abs=1e-6)
    assert s["escalations"] == m["escalations"]
    assert s["deductions_total"] == pytest.approx(m["deductions_total"])


def test_timeline_items_in_time_order_one_post_per_form(timeline):
    items = timeline.items
    assert [(i.at, i.seq) for i in items] == sorted((i.at, i.seq) for i in items)
    posts = [i for i in items if i.kind == "post"]
    assert len(posts) == timeline.totals["forms"]
    assert len({i.case_id for i in posts}) == len(posts)  # one case per form, none twice
    assert sum(i.kind == "reply" for i in items) == timeline.totals["replied"]
    assert sum(i.kind == "statement" for i in items) == timeline.totals["statements"]
    opened: set[str] = set()
    for i in items:  # every act on a case comes after its post
        if i.kind == "post":
            opened.add(i.case_id)
        else:
            assert i.case_id in opened, i
    assert not any(i.kind == "deadline" for i in items)


def test_replies_name_their_unit_and_promise(timeline):
    sc, policy, _ = load_run_inputs(CHANGPING)
    replies = [i for i in timeline.items if i.kind == "reply"]
    assert replies and all(i.unit in policy.units for i in replies)
    for i in replies:
        assert (i.promise_due is not None) == (i.reply_kind == "近期解决")
        if i.promise_due:
            assert date.fromisoformat(i.promise_due) >= i.at.date()


def test_posts_parse_to_their_case_id_and_engagement(timeline):
    assert any(i.reposts for i in timeline.items if i.kind == "post")
    adapter = PostAdapter(remember=0)
    for i in (i for i in timeline.items if i.kind == "post"):
        post = (adapter.weibo if i.channel == "weibo" else adapter.wechat)(i.payload).post
        assert post is not None
        assert post.post_id == i.case_id
        assert post.reposts == i.reposts  # the engagement the simulator's engine saw when the form opened
        assert i.case_id.startswith(f"{i.channel}-")


def test_service_place_is_the_services_own_locate(timeline, tmp_path):
    from engine.adapters import PostAdapter
    from live.config import load_config
    from live.service import LiveService

    svc = LiveService.open(ROOT / "rules", load_config(None, environ={}, db=f"sqlite:///{tmp_path / 's.db'}"))
    try:
        adapter = PostAdapter(remember=0)
        posts = [i for i in timeline.items if i.kind == "post"]
        for i in posts:
            raw = (adapter.weibo if i.channel == "weibo" else adapter.wechat)(i.payload).post
            assert raw is not None
            assert svc.locate(raw) == i.service_place
        # both kinds occur: posts the service locates itself and posts the desk must locate
        assert any(i.service_place is None for i in posts) and any(i.service_place for i in posts)
    finally:
        svc.close()
    loc = service_place(["回龙观", "回龙观东", "城北"])
    assert loc("回龙观东大街的路灯坏了") == "回龙观东"  # the longest name
    assert loc("城北和回龙观") == "城北"  # then the first in reading order
    assert loc("没有地名") is None


def test_until_cuts_the_timeline_and_the_totals():
    tl = build_timeline(CHANGPING, until=date(2014, 4, 20))
    cut = tl.cut
    assert cut is not None and cut.isoformat().startswith("2014-04-21T00:00:00")
    assert tl.items and all(i.at < cut for i in tl.items)
    assert tl.totals["forms"] == sum(i.kind == "post" for i in tl.items)
    assert tl.totals["replied"] == sum(i.kind == "reply" for i in tl.items)
    full = build_timeline(CHANGPING)
    assert [i for i in full.items if i.at < cut] == tl.items
    assert tl.totals["escalations"] <= full.totals["escalations"]


def _tl(**kw):  # type: ignore[no-untyped-def]
    t0 = datetime(2014, 4, 1, tzinfo=UTC)
    base: dict[str, Any] = dict(items=[], scenario="x", seed=1, start=t0, cut=None, drained_at=t0, totals={},
                reply_margins=[], statement_margins=[], midnight_late=[], miss_cost=(0, 0.0))
    base.update(kw)
    return Timeline(**base)


def test_tolerances_count_the_forms_at_risk_by_hand():
    tl = _tl(reply_margins=[10.0, 199.0, 200.0, -5.0, 5000.0], statement_margins=[50.0, 300.0],
             midnight_late=[100.0, 250.0], miss_cost=(2, 3.0))
    tol = tolerances(tl, speed=100.0, jitter=2.0)  # lag 200 simulated seconds
    # replies 10 and 199 s before their deadline, one late form opened 100 s before midnight
    assert tol["on_time"] == 3
    assert tol["statements_on_time"] == 1
    assert tol["escalations"] == 4 * 2 and tol["deductions_total"] == 4 * 3.0
    assert tol["forms"] == tol["replied"] == tol["hot"] == 0
    assert tol["lag_seconds"] == 200.0
    assert tolerances(tl, speed=1.0, jitter=0.05)["on_time"] == 0  # real time: nothing at risk


def test_compare_by_hand():
    sim = {"forms": 100, "replied": 98, "on_time": 90, "hot": 4, "statements_on_time": 3, "escalations": 10,
           "deductions_total": 7.5}
    tol = {"forms": 0, "replied": 0, "on_time": 2, "hot": 0, "statements_on_time": 0, "escalations": 1,
           "deductions_total": 0.0}
    rows = {r.metric: r for r in compare(sim, dict(sim, on_time=88, escalations=12), tol)}
    assert list(rows) == list(COMPARED)
    assert rows["on_time_rate"].ok and rows["on_time_rate"].service == pytest.approx(0.88)
    assert rows["on_time_rate"].tolerance == pytest.approx(0.02)
    assert not rows["escalations"].ok  # 2 apart, tolerance 1
    assert rows["forms"].ok and rows["reply_rate"].simulator == pytest.approx(0.98)
    assert rows["statement_2h_rate"].simulator == pytest.approx(0.75)
    assert not {r.metric: r for r in compare(sim, dict(sim, forms=99), tol)}["forms"].ok
    # a rate over hot events needs the same hot events
    assert not {r.metric: r for r in compare(sim, dict(sim, hot=5), tol)}["statement_2h_rate"].ok


def test_report_text_and_json(timeline):
    res = DriveResult(posts_sent=10, posts_accepted=10, actions_sent=5, wall_seconds=2.0,
                      intake_ms=[1.0, 2.0, 3.0], api_ms=[1.0], speed=86400.0,
                      tolerances=tolerances(timeline, 86400.0))
    res.rows = compare(timeline.totals, dict(timeline.totals), res.tolerances)
    doc = report_json(timeline, res)
    assert doc["posts_per_second"] == 5.0 and doc["intake_ms"]["p50"] == 2.0 and doc["ok"] is True
    assert json.loads(json.dumps(doc, ensure_ascii=False))["kind"] == "wenzheng-drive"
    zh = format_report(timeline, res, lang="zh")
    assert "持续受理 5.0 帖/秒" in zh and "✓" in zh and "✗" not in zh
    # metrics named in Chinese, the key after it; the columns line up in terminal columns (CJK counts two)
    from engine.i18n import display_width

    table = [ln for ln in zh.splitlines() if "（reply_rate）" in ln or "（forms）" in ln or ln.strip().startswith("指标")]
    assert len(table) == 3 and "答复率（reply_rate）" in zh
    assert len({display_width(ln.rsplit("±", 1)[0]) for ln in table if "±" in ln}) == 1
    res.errors["500"] += 1
    assert not res.ok
    en = format_report(timeline, res, lang="en")
    assert "errors: 500: 1" in en and "5.0 posts/s" in en


def test_cli_refuses_an_unreachable_service(tmp_path, capsys):
    from engine.policy import Policy
    from wenzheng.cli import main

    cfg = tmp_path / "c.toml"
    units = "".join(f'"{u}" = "unit-token-{i:08d}"\n' for i, u in enumerate(Policy.load(ROOT / "rules").units))
    cfg.write_text('weibo_secret = "x"\nwechat_token = "y"\ndesk_token = "desk-token-00000001"\n'
                   'supervisor_token = "supervisor-token-0001"\n[unit_tokens]\n' + units, encoding="utf-8")
    import live.drive as d

    orig = d._wait_up

    async def quick(client, target, wait):  # type: ignore[no-untyped-def]
        await orig(client, target, 0.3)

    d._wait_up = quick
    try:
        code = main(["drive", str(CHANGPING), "--target", "http://127.0.0.1:9", "--config", str(cfg),
                     "--until", "2014-04-02", "--lang", "en"])
    finally:
        d._wait_up = orig
    assert code == 2
    assert "cannot reach the service" in capsys.readouterr().err


def test_a_rate_over_different_denominators_fails_for_that_reason_not_its_tolerance():
    # the trial's row: statement_2h_rate 87.50% vs 91.67% ±31.25% ✗ — 14 of 16 hot events against 11 of 12
    sim = {"forms": 778, "replied": 763, "on_time": 703, "hot": 16, "statements_on_time": 14, "escalations": 116,
           "deductions_total": 97.5}
    svc = dict(sim, hot=12, statements_on_time=11)
    tol = {"forms": 0, "replied": 0, "on_time": 6, "hot": 0, "statements_on_time": 5, "escalations": 11,
           "deductions_total": 55.0}
    row = {r.metric: r for r in compare(sim, svc, tol)}["statement_2h_rate"]
    assert row.simulator == pytest.approx(0.875) and row.service == pytest.approx(11 / 12)
    assert row.tolerance == pytest.approx(5 / 16)
    assert not row.ok and row.reason == "denominator" and row.den_values == (16, 12)
    res = DriveResult(speed=86400.0, tolerances=dict(tol, lag_seconds=1.0), rows=compare(sim, svc, tol))
    t0 = datetime(2014, 4, 1, tzinfo=UTC)
    tl = _tl(start=t0)
    zh = next(ln for ln in format_report(tl, res, lang="zh").splitlines() if "statement_2h_rate" in ln)
    assert "±" not in zh and "✗" in zh and "模拟器 16，服务 12" in zh
    en = next(ln for ln in format_report(tl, res, lang="en").splitlines() if "statement_2h_rate" in ln)
    assert "simulator 16, service 12" in en and "±" not in en
    # forms differ: every rate over forms says so too, even where its count happens to agree
    rows = {r.metric: r for r in compare(sim, dict(sim, forms=720), tol)}
    assert rows["reply_rate"].reason == "denominator" and not rows["reply_rate"].ok


def test_a_row_inside_its_printed_tolerance_never_fails():
    import random

    rng = random.Random(13)
    for _ in range(2000):
        forms, hot = rng.randint(1, 900), rng.randint(1, 30)
        sim = {"forms": forms, "replied": rng.randint(0, forms), "on_time": rng.randint(0, forms), "hot": hot,
               "statements_on_time": rng.randint(0, hot), "escalations": rng.randint(0, 200),
               "deductions_total": rng.randint(0, 400) / 2}
        svc = {k: v for k, v in sim.items()}
        for k in ("replied", "on_time", "statements_on_time", "escalations"):
            svc[k] = max(0, sim[k] + rng.randint(-6, 6))
        svc["deductions_total"] = max(0.0, sim["deductions_total"] + rng.randint(-20, 20) / 2)
        tol = {"forms": 0, "replied": 0, "on_time": rng.randint(0, 5), "hot": 0,
               "statements_on_time": rng.randint(0, 3), "escalations": rng.randint(0, 8),
               "deductions_total": rng.randint(0, 20) / 2}
        for r in compare(sim, svc, tol):
            assert r.reason == ""
            inside = abs(r.simulator - r.service) <= r.tolerance + 1e-9
            assert r.ok == inside, r
