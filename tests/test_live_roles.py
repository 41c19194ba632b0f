"""Every refusal of the JSON API (docs/live.md, "Roles and tokens"): the status, the code, nothing stored, and
the refusal counted under channel ``api``.  A unit never learns that another unit's case exists: asking for it
gets the very answer a case that does not exist gets."""

from __future__ import annotations

import re
from typing import Any

import pytest

from live.auth import ALLOWED, Role, bearer, role_for
from live.messages import t
from tests.test_live_support import config, table
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
)

NOBODY: dict[str, str] = {}
BAD = {"Authorization": "Bearer not-a-token-of-anyone-here"}
BASIC = {"Authorization": f"Basic {DESK}"}  # the desk's token, but not as a bearer token

#: (name, headers, method, path, body, setup requests, status, code); body None: no body; a bytes body is sent raw
REFUSALS: list[tuple[str, dict[str, str], str, str, Any, list[tuple[str, str, Any]], int, str]] = [
    # 401: no token, an unknown token, a token under another scheme
    ("no token lists", NOBODY, "GET", "/api/cases", None, [], 401, "unauthorized"),
    ("no token replies", NOBODY, "POST", f"/api/cases/{A}/reply", {"kind": "立行立改"}, [], 401, "unauthorized"),
    ("unknown token", BAD, "GET", f"/api/cases/{A}", None, [], 401, "unauthorized"),
    ("basic scheme", BASIC, "GET", "/api/cases", None, [], 401, "unauthorized"),
    ("unknown token on supervision", BAD, "GET", "/api/supervision", None, [], 401, "unauthorized"),
    # 403: the role may not take the action at all
    ("desk files a reply", auth(DESK), "POST", f"/api/cases/{A}/reply", {"kind": "立行立改"}, [], 403, "forbidden"),
    ("supervisor files a reply", auth(SUPER), "POST", f"/api/cases/{A}/reply", {"kind": "立行立改"}, [], 403,
     "forbidden"),
    ("supervisor confirms", auth(SUPER), "POST", f"/api/cases/{A}/confirm", {}, [], 403, "forbidden"),
    ("supervisor reroutes", auth(SUPER), "POST", f"/api/cases/{A}/reroute", {"unit": "城北街道", "reason": "x"}, [],
     403, "forbidden"),
    ("supervisor records a statement", auth(SUPER), "POST", f"/api/cases/{A}/statement", {}, [], 403, "forbidden"),
    ("supervisor lists posts", auth(SUPER), "GET", "/api/posts?unlocated=1", None, [], 403, "forbidden"),
    ("supervisor locates", auth(SUPER), "POST", f"/api/posts/{LOST}/locate", {"place": "城北"}, [], 403, "forbidden"),
    ("unit reroutes its own case", auth(HLG), "POST", f"/api/cases/{A}/reroute", {"unit": "城北街道", "reason": "x"},
     [], 403, "forbidden"),
    ("unit confirms", auth(HLG), "POST", f"/api/cases/{A}/confirm", {}, [], 403, "forbidden"),
    ("unit records a statement", auth(HLG), "POST", f"/api/cases/{A}/statement", {}, [], 403, "forbidden"),
    ("unit enters reposts", auth(HLG), "POST", f"/api/cases/{A}/reposts", {"reposts": 9}, [], 403, "forbidden"),
    ("unit links a follow-up", auth(HLG), "POST", f"/api/cases/{A}/follow-up", {"text": "x"}, [], 403, "forbidden"),
    ("unit lists posts", auth(HLG), "GET", "/api/posts", None, [], 403, "forbidden"),
    ("unit locates", auth(HLG), "POST", f"/api/posts/{LOST}/locate", {"place": "城北"}, [], 403, "forbidden"),
    ("unit reads supervision", auth(HLG), "GET", "/api/supervision", None, [], 403, "forbidden"),
    # 404: no such case or post, and another unit's case
    ("unit reads another unit's case", auth(CB), "GET", f"/api/cases/{A}", None, [], 404, "not-found"),
    ("unit replies to another unit's case", auth(CB), "POST", f"/api/cases/{A}/reply", {"kind": "立行立改"}, [], 404,
     "not-found"),
    ("unit replies to another's case with a bad body", auth(CB), "POST", f"/api/cases/{A}/reply", {"kind": "?"}, [],
     404, "not-found"),
    ("desk reads no such case", auth(DESK), "GET", "/api/cases/wechat-999", None, [], 404, "not-found"),
    ("desk confirms no such case", auth(DESK), "POST", "/api/cases/wechat-999/confirm", {}, [], 404, "not-found"),
    ("desk locates no such post", auth(DESK), "POST", "/api/posts/wechat-999/locate", {"place": "城北"}, [], 404,
     "not-found"),
    # 422: bad bodies
    ("unknown reply kind", auth(HLG), "POST", f"/api/cases/{A}/reply", {"kind": "已阅"}, [], 422, "invalid"),
    ("近期解决 without a date", auth(HLG), "POST", f"/api/cases/{A}/reply", {"kind": "近期解决"}, [], 422, "invalid"),
    ("近期解决 with no such date", auth(HLG), "POST", f"/api/cases/{A}/reply",
     {"kind": "近期解决", "promise_due": "2014-02-30"}, [], 422, "invalid"),
    ("近期解决 with a date in the past", auth(HLG), "POST", f"/api/cases/{A}/reply",
     {"kind": "近期解决", "promise_due": "2014-05-13"}, [], 422, "invalid"),
    ("近期解决 with a date not ISO", auth(HLG), "POST", f"/api/cases/{A}/reply",
     {"kind": "近期解决", "promise_due": "2014/06/01"}, [], 422, "invalid"),
    ("a date on another kind", auth(HLG), "POST", f"/api/cases/{A}/reply",
     {"kind": "立行立改", "promise_due": "2014-06-01"}, [], 422, "invalid"),
    ("reply with an empty body", auth(HLG), "POST", f"/api/cases/{A}/reply", {}, [], 422, "invalid"),
    ("近期解决 with a date not a date", auth(HLG), "POST", f"/api/cases/{A}/reply",
     {"kind": "近期解决", "promise_due": 20151201}, [], 422, "invalid"),
    ("reply body not JSON", auth(HLG), "POST", f"/api/cases/{A}/reply", b"{kind:", [], 422, "invalid"),
    ("reply body a list", auth(HLG), "POST", f"/api/cases/{A}/reply", ["立行立改"], [], 422, "invalid"),
    ("reroute to no such unit", auth(DESK), "POST", f"/api/cases/{A}/reroute", {"unit": "火星街道", "reason": "x"},
     [], 422, "invalid"),
    ("reroute without a reason", auth(DESK), "POST", f"/api/cases/{A}/reroute", {"unit": "城北街道"}, [], 422,
     "invalid"),
    ("reroute with a blank reason", auth(DESK), "POST", f"/api/cases/{A}/reroute",
     {"unit": "城北街道", "reason": "  "}, [], 422, "invalid"),
    ("confirm with a reason not text", auth(DESK), "POST", f"/api/cases/{A}/confirm", {"reason": 5}, [], 422,
     "invalid"),
    ("negative reposts", auth(DESK), "POST", f"/api/cases/{A}/reposts", {"reposts": -1}, [], 422, "invalid"),
    ("reposts as text", auth(DESK), "POST", f"/api/cases/{A}/reposts", {"reposts": "600"}, [], 422, "invalid"),
    ("reposts as a boolean", auth(DESK), "POST", f"/api/cases/{A}/reposts", {"reposts": True}, [], 422, "invalid"),
    ("empty follow-up", auth(DESK), "POST", f"/api/cases/{A}/follow-up", {"text": ""}, [], 422, "invalid"),
    ("locate at no such place", auth(DESK), "POST", f"/api/posts/{LOST}/locate", {"place": "火星"}, [], 422,
     "invalid"),
    # 409: the action does not fit the case's state
    ("second reply", auth(HLG), "POST", f"/api/cases/{A}/reply", {"kind": "立行立改"},
     [(HLG, f"/api/cases/{A}/reply", {"kind": "条件不具备"})], 409, "conflict"),
    ("second confirmation", auth(DESK), "POST", f"/api/cases/{A}/confirm", {},
     [(DESK, f"/api/cases/{A}/confirm", {})], 409, "conflict"),
    ("second statement", auth(DESK), "POST", f"/api/cases/{A}/statement", {},
     [(DESK, f"/api/cases/{A}/reposts", {"reposts": 600}), (DESK, f"/api/cases/{A}/statement", {})], 409,
     "conflict"),
    ("statement on a case that is not hot", auth(DESK), "POST", f"/api/cases/{A}/statement", {}, [], 409,
     "conflict"),
    ("reroute to its own unit", auth(DESK), "POST", f"/api/cases/{A}/reroute", {"unit": "回龙观镇", "reason": "x"},
     [], 409, "conflict"),
    ("reroute after the reply", auth(DESK), "POST", f"/api/cases/{A}/reroute", {"unit": "城北街道", "reason": "x"},
     [(HLG, f"/api/cases/{A}/reply", {"kind": "立行立改"})], 409, "conflict"),
    ("locate a located post", auth(DESK), "POST", f"/api/posts/{LOST}/locate", {"place": "城南"},
     [(DESK, f"/api/posts/{LOST}/locate", {"place": "城北"})], 409, "conflict"),
    ("locate a post that opened a case", auth(DESK), "POST", f"/api/posts/{A}/locate", {"place": "城南"}, [], 409,
     "conflict"),
]


@pytest.mark.parametrize("name,headers,method,path,body,setup,status,code", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refusal(zh, client, service, name, headers, method, path, body, setup, status, code):
    for token, p, b in setup:
        assert client.post(p, headers=auth(token), json=b).status_code == 200
    before = {name: table(service, name) for name in ("events", "cases", "deadlines", "posts")}
    counted = service.counts().get("api", {}).get(code, 0)
    if method == "GET":
        r = client.get(path, headers=headers)
    elif isinstance(body, bytes):
        r = client.post(path, headers={**headers, "Content-Type": "application/json"}, content=body)
    else:
        r = client.post(path, headers=headers, json=body)
    assert (r.status_code, r.json()["error"]) == (status, code)
    assert r.json()["detail"]
    if status == 403:  # in words: no internal name of the action (list_posts) or the role (unit:回龙观镇)
        assert not re.search(r"[A-Za-z_:]", r.json()["detail"]), r.json()["detail"]
    assert service.counts()["api"][code] == counted + 1
    assert {name: table(service, name) for name in before} == before  # nothing stored


def test_another_units_case_looks_exactly_like_no_case(client):
    theirs = client.post(f"/api/cases/{A}/reply", headers=auth(CB), json={"kind": "立行立改"})
    none = client.post("/api/cases/wechat-999/reply", headers=auth(CB), json={"kind": "立行立改"})
    assert theirs.status_code == none.status_code == 404
    assert theirs.json()["detail"].replace(A, "ID") == none.json()["detail"].replace("wechat-999", "ID")
    assert A not in client.get("/api/cases", headers=auth(CB)).text


def test_a_body_above_max_body_is_refused_and_counted(client, service):
    r = client.post(f"/api/cases/{A}/follow-up", headers=auth(DESK), json={"text": "长" * 70_000})
    assert (r.status_code, r.json()["error"]) == (413, "too-large")
    assert service.counts()["api"]["too-large"] == 1


def test_every_action_of_the_api_is_in_the_role_table():
    # the refusal table above covers each role kind that is not allowed an action
    assert set(ALLOWED) == {"list_cases", "read_case", "confirm", "reroute", "statement", "reply", "reposts",
                            "follow_up", "list_posts", "locate", "supervision"}
    assert ALLOWED["reply"] == {"unit"}
    assert all("unit" not in kinds for a, kinds in ALLOWED.items()
               if a not in ("list_cases", "read_case", "reply"))


def test_tokens_name_their_roles():
    cfg = config("sqlite://", **TOKENS)
    assert role_for(cfg, DESK) == Role("desk")
    assert role_for(cfg, SUPER) == Role("supervisor")
    assert role_for(cfg, HLG) == Role("unit", "回龙观镇")
    assert role_for(cfg, CB).name == "unit:城北街道"
    assert role_for(cfg, DESK[:-1]) is None and role_for(cfg, DESK + "x") is None
    assert role_for(cfg, "") is None and role_for(cfg, None) is None
    assert role_for(config("sqlite://"), DESK) is None  # no tokens configured: nobody gets in
    assert bearer(f"Bearer {DESK}") == DESK and bearer(f"bearer  {DESK} ") == DESK
    assert bearer(f"Basic {DESK}") is None and bearer(None) is None and bearer("Bearer") is None


def test_a_unit_sees_only_its_own_history(client):
    assert client.get(f"/api/cases/{B}", headers=auth(CB)).status_code == 200
    assert client.get(f"/api/cases/{B}", headers=auth(HLG)).status_code == 404
    assert client.get(f"/api/cases/{B}", headers=auth(SUPER)).status_code == 200


def test_a_403_says_who_may_not_do_what_in_words(zh, client):
    # the tester's case: 角色 unit:回龙观镇 无权执行 list_posts
    assert client.get("/api/posts?unlocated=1", headers=auth(HLG)).json()["detail"] == "单位无权查看待定位的帖子"
    assert client.post(f"/api/cases/{A}/reply", headers=auth(DESK), json={"kind": "立行立改"}).json()["detail"] == \
        "值班台无权答复反馈单"
    assert client.post(f"/api/cases/{A}/confirm", headers=auth(SUPER), json={}).json()["detail"] == "督办人员无权确认转办"
    # every action and role kind has its words, in both languages
    for action in ALLOWED:
        assert t(f"action.{action}", lang="zh") and t(f"action.{action}", lang="en")
    for kind in ("desk", "supervisor", "unit"):
        assert t(f"role.{kind}", lang="zh") and t(f"role.{kind}", lang="en")


def test_reply_validation_names_what_is_missing_or_malformed(zh, client):
    """Finding 11: an empty body asks for the kind (not 「None」); a malformed date says the format and repeats
    the value, unlike a missing one."""
    def detail(body: Any) -> str:
        r = client.post(f"/api/cases/{A}/reply", headers=auth(HLG), json=body)
        assert (r.status_code, r.json()["error"]) == (422, "invalid")
        return str(r.json()["detail"])

    assert detail({}) == detail({"kind": ""}) == detail({"kind": None}) == \
        "须写答复类型（立行立改、近期解决、条件不具备、不符合法规）"
    missing = detail({"kind": "近期解决"})
    assert missing == detail({"kind": "近期解决", "promise_due": ""}) == "「近期解决」须附承诺解决日期 promise_due（YYYY-MM-DD）"
    for bad in ("2015/12/01", "2015-02-30", "20151201"):
        d = detail({"kind": "近期解决", "promise_due": bad})
        assert d != missing and bad in d and "YYYY-MM-DD" in d and "格式不对" in d
    assert "「已阅」" in detail({"kind": "已阅"})
