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


def test_the_supervisor_page_shows_the_quarterly_table(client, service, clock):
    from datetime import datetime, timedelta, timezone

    clock.set(datetime(2014, 5, 22, 9, 0, tzinfo=timezone(timedelta(hours=8))))
    service.fire_due()  # both cases overdue: 2 escalations, 2 deductions of 1 point
    for token in (SUPER, DESK):
        login(client, token)
        r = client.get("/supervisor")
        assert r.status_code == 200
        rows = re.findall(r"<tr><td>(2014Q\d)</td><td>([^<]*)</td><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td>"
                          r"<td>([\d.]+)</td></tr>", r.text)
        assert rows == [("2014Q2", "回龙观镇", "1", "0", "0", "1.0"), ("2014Q2", "城北街道", "1", "0", "0", "1.0")]
        assert r.text.count("区政府办公室") == 2


def test_forms_do_what_the_api_does(client, service, clock):
    login(client, DESK)
    r = client.post(f"/act/cases/{A}/reroute", data={"unit": "城北街道", "reason": "实为城北辖区"},
                    follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/desk")
    [ev] = events_of(service, "desk_rerouted")
    assert {k: json.loads(ev.event)[k] for k in ("by", "from", "to", "reason")} == \
        {"by": "desk", "from": "回龙观镇", "to": "城北街道", "reason": "实为城北辖区"}
    assert client.post(f"/act/cases/{A}/confirm", data={}).status_code == 200  # redirected to the desk page
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
            shots = Path(os.environ.get("WENZHENG_TEST_OUTPUT") or tmp_path)
            shots.mkdir(parents=True, exist_ok=True)
            png = shots / "live-desk.png"
            shot = _browse(browser, url, tmp_path / "profile2", f"--screenshot={png}", "--window-size=1400,900")
            assert shot.returncode == 0, shot.stderr[-2000:]
            assert png.stat().st_size > 0 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        finally:
            server.should_exit = True
            thread.join(timeout=20)
