"""The desk's, units' and supervisors' pages (live/pages.py, live/templates/): log-in by cookie, each role's page
with the right cases only, forms doing what the API does, everything escaped, and the desk page in headless
Chromium (its countdowns ticking at the service clock's speed).  The screenshot is saved under
``$WENZHENG_TEST_OUTPUT`` when set."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from live.app import build_app
from live.clock import FakeClock
from live.messages import t
from live.pages import COOKIE, countdown
from reporting.quarterly import chromium
from tests.test_live_support import T0, TOKEN, TestClient, signed, wechat_xml
from tests.test_live_web_support import (
    CB,
    DESK,
    HLG,
    LOST,
    SUPER,
    A,
    B,
    auth,
    events_of,
    web_client,
    web_service,
)

TEMPLATES = Path(__file__).resolve().parent.parent / "live" / "templates"


@pytest.fixture()
def clock():
    return FakeClock(T0)


@pytest.fixture()
def service(tmp_path, clock):
    with web_service(tmp_path, clock) as s:
        yield s


@pytest.fixture()
def client(service, clock):
    with web_client(service, clock) as c:
        yield c


def login(client: TestClient, token: str) -> None:
    r = client.post("/login", data={"token": token}, follow_redirects=False)
    assert r.status_code == 303
    client.cookies.set(COOKIE, token)


def queue_ids(html: str) -> list[str]:
    return re.findall(r'<tr class="[a-z ]*" data-case="([^"]+)"', html)


@pytest.mark.parametrize("path", ["/", "/desk", "/unit", "/supervisor", f"/cases/{A}"])
def test_a_page_without_the_cookie_goes_to_login(client, path):
    r = client.get(path, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/login")
    r = client.get(path + "?lang=en", follow_redirects=False)
    assert r.headers["location"] == "/login?lang=en"


def test_login_sets_an_httponly_strict_cookie_and_logout_drops_it(client, service, zh):
    r = client.post("/login", data={"token": "not-a-token-of-anyone-here"}, follow_redirects=False)
    assert r.status_code == 401 and "set-cookie" not in r.headers
    assert t("page.bad_token", lang="zh") in r.text
    assert service.counts()["pages"]["unauthorized"] == 1
    r = client.post("/login", data={"token": DESK}, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/desk")
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}={DESK};") and "HttpOnly" in cookie and "samesite=strict" in cookie.lower()
    for token, home in ((SUPER, "/supervisor"), (HLG, "/unit")):
        assert client.post("/login", data={"token": token}, follow_redirects=False).headers["location"] == home
    client.cookies.set(COOKIE, DESK)
    r = client.post("/logout", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert f'{COOKIE}=""' in r.headers["set-cookie"] or "Max-Age=0" in r.headers["set-cookie"]


def test_the_desk_page_lists_open_cases_hot_first_and_the_posts_to_locate(client, zh):
    # B turns hot (600 reposts ≥ 500): it comes first although it was opened after A
    assert client.post(f"/api/cases/{B}/reposts", headers=auth(DESK), json={"reposts": 600}).status_code == 200
    login(client, DESK)
    r = client.get("/desk")
    assert r.status_code == 200
    assert queue_ids(r.text) == [B, A]
    assert LOST in r.text and "值班台" in r.text and '<html lang="zh-CN">' in r.text
    # countdowns rendered by the server, hand-computed from Wed 14 May 10:05: the statement is due in
    # 2 hours, the reply at Wed 21 May 17:30, 7 days 7 h 25 min away
    assert ">02:00:00</span>" in r.text and ">7天 07:25:00</span>" in r.text
    assert 'data-now="1400033100000"' in r.text  # the service clock's now, in ms
    # the statement button on the hot case only (the service refuses a statement on a case that is not hot)
    assert re.findall(r'action="/act/cases/([^/"]+)/statement', r.text) == [B]
    en = client.get("/desk?lang=en")
    assert "Duty desk" in en.text and ">7 days 07:25:00</span>" in en.text and '<html lang="en">' in en.text
    # a replied case leaves the queue
    assert client.post(f"/api/cases/{A}/reply", headers=auth(HLG), json={"kind": "立行立改"}).status_code == 200
    assert queue_ids(client.get("/desk").text) == [B]


@pytest.mark.parametrize("token,own,other", [(HLG, A, B), (CB, B, A)])
def test_a_units_page_shows_its_own_cases_only(client, token, own, other):
    login(client, token)
    r = client.get("/unit")
    assert r.status_code == 200 and own in r.text and other not in r.text and LOST not in r.text
    assert other not in client.get(f"/cases/{own}").text
    r = client.get(f"/cases/{other}")
    assert r.status_code == 404 and other in r.text  # only the id it asked for; nothing of the case
    assert "wechat" not in r.text.replace(other, "")


@pytest.mark.parametrize("token,path", [(HLG, "/desk"), (HLG, "/supervisor"), (SUPER, "/desk"), (SUPER, "/unit"),
                                        (DESK, "/unit")])
def test_a_role_cannot_open_another_roles_page(client, service, token, path):
    login(client, token)
    r = client.get(path)
    assert r.status_code == 403 and 'data-error="forbidden"' in r.text
    assert service.counts()["pages"]["forbidden"] == 1


def _quarter_rows(html: str, quarter: str) -> list[tuple[str, ...]]:
    """(type, unit, forms, replied, on time, deductions, reply rate, on-time rate) of each row of a quarter's table."""
    table = html.split(f'id="quarterly-{quarter}"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)[1:]
    return [tuple(re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S))
            for r in rows]


def test_a_units_page_lists_open_forms_first_with_countdowns_then_the_replied_capped(client, service, clock,
                                                                                       monkeypatch, zh):
    """Finding 15: open forms first, the reply due soonest at the top, each with the desk's countdown (overdue
    marked); then the replied ones, latest reply first, capped with a count."""
    import live.pages

    cst = timezone(timedelta(hours=8))
    # 回龙观镇 gets three more forms: 200 and 201 on Thursday 15 May, 202 on Friday 16 May (due a day later each)
    for msg_id, day in ((200, 15), (201, 15), (202, 16)):
        clock.set(datetime(2014, 5, day, 9, msg_id - 190, tzinfo=cst))
        r = client.post("/wechat", params=signed(TOKEN, clock, nonce=f"u{msg_id}"),
                        content=wechat_xml(msg_id, f"回龙观第{msg_id}号楼漏水"))
        assert r.status_code == 200
    # two replies: 200 first, then 201
    for msg_id in (200, 201):
        clock.advance(600)
        assert client.post(f"/api/cases/wechat-{msg_id}/reply", headers=auth(HLG),
                           json={"kind": "立行立改"}).status_code == 200
    monkeypatch.setattr(live.pages, "REPLIED_SHOWN", 1)
    login(client, HLG)
    html = client.get("/unit").text
    open_part, replied_part = html.split('id="replied-forms"', 1)
    assert re.findall(r'data-case="([^"]+)"', open_part) == [A, "wechat-202"]  # due 21 May 17:30, 23 May 17:30
    assert re.findall(r'data-case="([^"]+)"', replied_part) == ["wechat-201"]  # the latest reply; 200 counted
    assert "另有 1 件更早答复的反馈单未列出" in replied_part and "已答复的反馈单（2）" in replied_part
    # hand-computed from Fri 16 May 09:32 (the clock now): A is due Wed 21 May 17:30, 5 days 07:58:00 away
    assert ">5天 07:58:00</span>" in open_part and 'data-clock>2014-05-16 09:32:00</span>' in open_part
    # past A's due time: overdue, marked late, and still first
    clock.set(datetime(2014, 5, 21, 18, 30, tzinfo=cst))
    html = client.get("/unit").text
    assert re.search(r'<span class="countdown late" data-due="\d+" title="[^"]+">已逾期 01:00:00</span>', html)
    assert re.findall(r'data-case="([^"]+)"', html.split('id="replied-forms"', 1)[0])[0] == A


def test_the_desk_clock_line_ticks_with_the_countdowns(client, zh):
    """Finding 15: the 服务时钟 line is rendered as a clock the page's script updates (data-clock), in the
    policy's time zone (data-tz, minutes east of UTC), beside the countdowns (data-due)."""
    login(client, DESK)
    html = client.get("/desk").text
    assert re.search(r'<p id="service-clock">服务时钟：<span class="clock" data-clock>2014-05-14 10:05:00</span>'
                     r'（倍速 [\d.]+）</p>', html), html[:2000]
    assert 'data-tz="480"' in html and "[data-clock]" in html and "[data-due]" in html


def test_the_supervisor_page_groups_the_quarterly_table_by_unit_type(client, service, clock, zh):
    """Finding 15: as the leaders' table (reporting/leaders.py): 街道, 镇, 委办局, each unit of the policy, a
    subtotal per type, a total, 答复率 and 按时率 per row.  Hand-computed: 回龙观镇 (a town) replies on time;
    城北街道's form (a street) goes overdue and costs it 1 point."""
    import yaml

    from tests.test_live_support import RULES

    assert client.post(f"/api/cases/{A}/reply", headers=auth(HLG), json={"kind": "立行立改"}).status_code == 200
    clock.set(datetime(2014, 5, 22, 9, 0, tzinfo=timezone(timedelta(hours=8))))
    service.fire_due()  # B overdue: an escalation and a deduction of 1 point
    units = yaml.safe_load((Path(RULES) / "units.yaml").read_text(encoding="utf-8"))["units"]
    of_type = {ty: sorted(u["id"] for u in units if u["type"] == ty) for ty in ("street", "town", "bureau")}
    for token in (SUPER, DESK):
        login(client, token)
        r = client.get("/supervisor")
        assert r.status_code == 200
        rows = _quarter_rows(r.text, "2014Q2")
        expected = []
        for ty, label in (("street", "街道"), ("town", "镇"), ("bureau", "委办局")):
            for i, u in enumerate(of_type[ty]):
                figures = {"城北街道": ("1", "0", "0", "1", "0.0%", "0.0%"),
                           "回龙观镇": ("1", "1", "1", "0", "100.0%", "100.0%")}.get(u, ("0", "0", "0", "0", "–", "–"))
                expected.append((label if i == 0 else "", u) + figures)
            sub = {"street": ("1", "0", "0", "1", "0.0%", "0.0%"), "town": ("1", "1", "1", "0", "100.0%", "100.0%"),
                   "bureau": ("0", "0", "0", "0", "–", "–")}[ty]
            expected.append(("", f"{label}小计") + sub)
        expected.append(("合计", "", "2", "1", "1", "1", "50.0%", "50.0%"))
        assert rows == expected
        assert r.text.count("区政府办公室") == 1
    en = client.get("/supervisor?lang=en").text
    assert ("", "Subtotal, towns (镇)", "1", "1", "1", "0", "100.0%", "100.0%") in _quarter_rows(en, "2014Q2")


def test_the_supervisor_totals_are_named_in_words(client, zh):
    from simulator.labels import metric_label

    login(client, SUPER)
    html = client.get("/supervisor").text
    heads = dict(re.findall(r'<tr data-key="([a-z_]+)"><th title="[a-z_]+">([^<]*)</th>', html))
    assert heads["forms"] == metric_label("forms", "zh") == "反馈单数"
    assert heads["reply_rate"] == "答复率" and heads["hot"] == "热点事件"
    assert heads["statements_on_time"] == "按时对外表态数"
    assert len(heads) == 12 and all(re.search(r"[\u4e00-\u9fff]", h) for h in heads.values()), heads
    en = dict(re.findall(r'<tr data-key="([a-z_]+)"><th title="[a-z_]+">([^<]*)</th>',
                         client.get("/supervisor?lang=en").text))
    assert en["forms"] == "forms issued (反馈单)" and en["on_time"] == "forms replied on time"


def test_forms_do_what_the_api_does(client, service, clock):
    login(client, DESK)
    r = client.post(f"/act/cases/{A}/reroute", data={"unit": "城北街道", "reason": "实为城北辖区"},
                    follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/desk")
    [ev] = events_of(service, "desk_rerouted")
    assert {k: json.loads(ev.event)[k] for k in ("by", "from", "to", "reason")} == \
        {"by": "desk", "from": "回龙观镇", "to": "城北街道", "reason": "实为城北辖区"}
    assert client.post(f"/act/cases/{A}/confirm", data={}).status_code == 200  # redirected to the desk page
    assert client.post(f"/act/cases/{B}/reposts", data={"reposts": "600"}).status_code == 200  # B turns hot
    assert client.post(f"/act/cases/{B}/statement", data={}).status_code == 200
    assert client.post(f"/act/posts/{LOST}/locate", data={"place": "城南"}).status_code == 200
    cases = {c["case_id"]: c for c in client.get("/api/cases", headers=auth(DESK)).json()["cases"]}
    assert cases[A]["confirmed_at"] == cases[B]["statement_at"] == "2014-05-14T10:05:00+08:00"
    assert cases[LOST]["unit"] == "城南街道"
    # the same refusals as the API, as pages
    r = client.post(f"/act/cases/{A}/reroute", data={"unit": "城北街道", "reason": ""})
    assert r.status_code == 422 and 'data-error="invalid"' in r.text
    login(client, CB)
    r = client.post(f"/act/cases/{A}/reply", data={"kind": "近期解决", "promise_due": "2014-06-30"},
                    follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/unit")
    assert client.get(f"/api/cases/{A}", headers=auth(CB)).json()["case"]["promise_due"] == "2014-06-30"
    login(client, HLG)  # no longer its case
    assert client.post(f"/act/cases/{A}/reply", data={"kind": "立行立改"}).status_code == 404
    login(client, CB)
    r = client.post(f"/act/cases/{B}/reply", data={"kind": "近期解决", "promise_due": ""})
    assert r.status_code == 422  # 近期解决 without its date
    assert client.post(f"/act/cases/{B}/reroute", data={"unit": "回龙观镇", "reason": "x"}).status_code == 403
    assert service.counts()["pages"] == {"invalid": 2, "not-found": 1, "forbidden": 1}


def test_the_case_page_explains_each_decision(client):
    login(client, SUPER)
    r = client.get(f"/cases/{A}")
    assert r.status_code == 200
    assert "route-local" in r.text and re.search(r"rules/routing\.yaml:\d+", r.text)
    assert "set_deadline" in r.text and "5 working days" in r.text


def test_the_case_page_names_events_effects_deadlines_and_actors_in_chinese(client, zh):
    """Finding 9: not post_received, set_deadline, reply, desk."""
    assert client.post(f"/api/cases/{A}/reroute", headers=auth(DESK),
                       json={"unit": "城北街道", "reason": "实为城北辖区"}).status_code == 200
    login(client, SUPER)
    html = client.get(f"/cases/{A}").text
    history = html.split('id="history"', 1)[1]
    kinds = re.findall(r'<td title="([a-z_]+)">([^<]*)</td><td>([^<]*)</td>', history)
    assert kinds == [("post_received", "收到帖子", ""), ("desk_rerouted", "值班台改派", "值班台")]
    effects = dict(re.findall(r'<strong title="([a-z_]+)">([^<]*)</strong>', history))
    assert {"classify": "分类", "route": "转办", "set_deadline": "设定时限"}.items() <= effects.items()
    assert '<th title="reply">答复时限</th>' in html
    en = client.get(f"/cases/{A}?lang=en").text
    assert '<td title="desk_rerouted">desk re-routed</td><td>the duty desk</td>' in en


def test_everything_is_escaped(client, clock, service):
    hostile = '回龙观<script>alert("x")</script>&'
    r = client.post("/wechat", params=signed(TOKEN, clock, nonce="evil"), content=wechat_xml(555, hostile))
    assert r.status_code == 200
    login(client, DESK)
    for page in ("/desk", "/cases/wechat-555"):
        html = client.get(page).text
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;" in html


def test_countdown_format_by_hand():
    assert countdown(7 * 86400 + 7 * 3600 + 25 * 60, "zh") == "7天 07:25:00"
    assert countdown(3599, "en") == "00:59:59"
    assert countdown(-90, "en") == "overdue by 00:01:30"
    assert countdown(-86400 - 1, "zh") == "已逾期 1天 00:00:01"


def test_every_key_the_templates_render_exists():
    used = {m for p in TEMPLATES.glob("*.html") for m in re.findall(r"""\bt\(\s*["']([a-z0-9_.]+)["']""",
                                                                     p.read_text(encoding="utf-8"))}
    assert used and not used - set(t.entries)


# -- the desk page in headless Chromium ------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _browse(browser: str, url: str, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
           f"--user-data-dir={profile}", "--virtual-time-budget=3000", *extra, url]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "HOME": str(profile)})


@pytest.mark.skipif(chromium() is None, reason="chromium is not installed (.ci/run installs it)")
def test_the_desk_page_in_headless_chromium(tmp_path, clock, zh):
    import httpx
    import uvicorn
    from fastapi.responses import HTMLResponse

    with web_service(tmp_path, clock) as service:
        service.clock.speed = 3600.0  # type: ignore[attr-defined]  # the page's countdowns: an hour a second
        app = build_app(service)

        # a test-only page that logs in by posting the form from the service's own origin, as a person would
        # (the cookie is SameSite=Strict, so the log-in must start on the same site to be sent on the redirect)
        @app.get("/test-login")
        async def test_login() -> HTMLResponse:
            return HTMLResponse(f'<form id="f" method="post" action="/login"><input name="token" value="{DESK}">'
                                '</form><script>document.getElementById("f").submit()</script>')

        port = _free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        try:
            deadline = time.monotonic() + 20
            while not server.started and time.monotonic() < deadline:
                time.sleep(0.05)
            assert server.started
            for msg_id, text in ((100, "回龙观龙泽苑小区群租房太多，晚上很吵"), (101, "城北路灯坏了好几天了")):
                r = httpx.post(f"http://127.0.0.1:{port}/wechat", params=signed(TOKEN, clock, nonce=f"n{msg_id}"),
                               content=wechat_xml(msg_id, text))
                assert r.status_code == 200
            browser = chromium()
            assert browser is not None
            url = f"http://127.0.0.1:{port}/test-login"
            dom = _browse(browser, url, tmp_path / "profile1", "--dump-dom")
            assert dom.returncode == 0, dom.stderr[-2000:]
            html = dom.stdout
            assert queue_ids(html) == [A, B], html[:3000]
            # the reply is due 7 days 07:25:00 from the service's now; the script has ticked it down at 3600×
            # (virtual time runs ~3 s, so about 3 hours): less than the server's figure, by at most a day
            left = re.findall(r'data-due="\d+"[^>]*>(\d+)天 (\d\d):(\d\d):(\d\d)</span>', html)
            assert len(left) == 2, html[:3000]
            seconds = [int(d) * 86400 + int(h) * 3600 + int(m) * 60 + int(s) for d, h, m, s in left]
            full = 7 * 86400 + 7 * 3600 + 25 * 60
            assert all(full - 86400 < s < full for s in seconds), seconds
            # the 服务时钟 line ticked with them: later than the server wrote it (10:05:00), by less than a day
            [shown] = re.findall(r"data-clock[^>]*>([^<]+)</span>", html)
            ticked = datetime.strptime(shown, "%Y-%m-%d %H:%M:%S") - datetime(2014, 5, 14, 10, 5)
            assert timedelta(0) < ticked < timedelta(days=1), shown
            shots = Path(os.environ.get("WENZHENG_TEST_OUTPUT") or tmp_path)
            shots.mkdir(parents=True, exist_ok=True)
            png = shots / "live-desk.png"
            shot = _browse(browser, url, tmp_path / "profile2", f"--screenshot={png}", "--window-size=1400,900")
            assert shot.returncode == 0, shot.stderr[-2000:]
            assert png.stat().st_size > 0 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        finally:
            server.should_exit = True
            thread.join(timeout=20)


def form_keys(html: str) -> list[str]:
    return re.findall(r'<input type="hidden" name="idempotency_key" value="([^"]+)">', html)


def test_every_action_form_carries_its_own_key(client, service):
    login(client, DESK)
    desk = client.get("/desk").text
    forms = re.findall(r'<form[^>]*action="/act/', desk)
    keys = form_keys(desk)
    assert len(keys) == len(forms) > 3 and len(set(keys)) == len(keys)  # one per form, all different
    assert set(keys).isdisjoint(form_keys(client.get("/desk").text))  # new ones at every render
    login(client, CB)
    unit = client.get("/unit").text
    assert len(form_keys(unit)) == len(re.findall(r'<form[^>]*action="/act/', unit)) >= 1


def test_a_form_sent_twice_is_taken_once(client, service, zh):
    login(client, DESK)
    [key, *_] = form_keys(client.get("/desk").text)
    data = {"unit": "城北街道", "reason": "实为城北辖区", "idempotency_key": key}
    for _ in range(2):  # a double click, or a resend after a lost answer
        r = client.post(f"/act/cases/{A}/reroute", data=data, follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (303, "/desk")
    assert len(events_of(service, "desk_rerouted")) == 1
    assert service.counts()["api"]["replay"] == 1
    # without the key the second confirmation is refused (409); with one the first answer is given again
    for _ in range(2):
        r = client.post(f"/act/cases/{B}/confirm", data={"idempotency_key": "confirm-b-once-0001"},
                        follow_redirects=False)
        assert r.status_code == 303
    assert len(events_of(service, "desk_confirmed")) == 1
    # the same form sent back with other content (the browser's back button): refused, says to reload
    r = client.post(f"/act/cases/{A}/reroute", data={**data, "reason": "另一个理由"})
    assert r.status_code == 422 and t("page.form_resent", lang="zh") in r.text
    assert len(events_of(service, "desk_rerouted")) == 1
    r = client.post(f"/act/cases/{B}/statement", data={"idempotency_key": "不是ASCII"})
    assert r.status_code == 400 and len(events_of(service, "statement_issued")) == 0
