"""Platform payloads through the adapters: round trips, and a corpus of bad payloads."""

from __future__ import annotations

import json
import random
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from engine.adapters import MAX_TEXT, PostAdapter
from engine.i18n import lang_scope
from engine.messages import t
from simulator.platforms import CORRUPTIONS, corrupt, wechat_message, weibo_created_at, weibo_status

T = datetime.fromisoformat("2014-05-14T10:05:00+08:00")


def test_weibo_round_trip():
    payload = weibo_status(3712345678901234, T, "公园停车场收费不合理", "昌平居民", 1234567, reposts=12, comments=3,
                           geo=(40.22, 116.23))
    doc = json.loads(payload)
    assert doc["created_at"] == "Wed May 14 10:05:00 +0800 2014"
    r = PostAdapter().weibo(payload)
    assert r.accepted and r.post is not None
    p = r.post
    assert (p.post_id, p.channel, p.author, p.text, p.posted_at, p.reposts, p.geo) == (
        "weibo-3712345678901234", "weibo", "昌平居民", "公园停车场收费不合理", T, 15, (40.22, 116.23))
    assert p.at_place("十三陵").place == "十三陵"


def test_weibo_dict_payload_and_date_format_in_any_locale():
    assert weibo_created_at(datetime.fromisoformat("2014-10-01T00:00:00+08:00")) == "Wed Oct 01 00:00:00 +0800 2014"
    r = PostAdapter().weibo(json.loads(weibo_status(1, T, "x", "u", 2)))
    assert r.accepted


def test_wechat_round_trip_with_markup_in_text():
    text = "小区<门口>垃圾 & 污水"
    payload = wechat_message(6012345678901234567, T, text, "oAbCdEfGhIjKlMnOpQrStUvWxYz1")
    r = PostAdapter().wechat(payload)
    assert r.accepted and r.post is not None
    assert (r.post.post_id, r.post.text, r.post.posted_at, r.post.author) == (
        "wechat-6012345678901234567", text, T, "oAbCdEfGhIjKlMnOpQrStUvWxYz1")


def test_duplicate_delivery_is_dropped_and_counted():
    a = PostAdapter()
    payload = weibo_status(42, T, "垃圾没人清运", "u", 1)
    assert a.weibo(payload).accepted
    again = a.weibo(payload)
    assert not again.accepted and again.reason == "duplicate" and again.detail == t("adapter.duplicate", post="weibo-42")
    assert a.counts == {"accepted": 1, "duplicate": 1}


GOOD_WEIBO = json.loads(weibo_status(7, T, "垃圾没人清运", "u", 1))
BAD_WEIBO = [
    ("not json", "{oops", "malformed"),
    ("a list", "[1, 2]", "malformed"),
    ("no text", {k: v for k, v in GOOD_WEIBO.items() if k != "text"}, "missing-field"),
    ("no user", {k: v for k, v in GOOD_WEIBO.items() if k != "user"}, "missing-field"),
    ("no id", {k: v for k, v in GOOD_WEIBO.items() if k not in ("id", "idstr")}, "missing-field"),
    ("text is a number", {**GOOD_WEIBO, "text": 12}, "wrong-type"),
    ("user is a string", {**GOOD_WEIBO, "user": "u"}, "wrong-type"),
    ("negative reposts", {**GOOD_WEIBO, "reposts_count": -5}, "wrong-type"),
    ("reposts as text", {**GOOD_WEIBO, "reposts_count": "很多"}, "wrong-type"),
    ("id not numeric", {**GOOD_WEIBO, "id": "abc", "idstr": "abc"}, "wrong-type"),
    ("iso timestamp", {**GOOD_WEIBO, "created_at": "2014-05-14T10:05:00+08:00"}, "bad-timestamp"),
    ("empty text", {**GOOD_WEIBO, "text": "   "}, "empty-text"),
    ("huge text", {**GOOD_WEIBO, "text": "垃" * (MAX_TEXT + 1)}, "text-too-long"),
    ("escape codes", {**GOOD_WEIBO, "text": "垃圾\x1b[2J"}, "control-characters"),
    ("right-to-left override", {**GOOD_WEIBO, "text": "垃圾\u202e"}, "control-characters"),
    ("null byte", {**GOOD_WEIBO, "text": "垃圾\x00"}, "control-characters"),
    ("huge payload", "x" * 70_000, "too-large"),
]
GOOD_WECHAT = wechat_message(99, T, "垃圾没人清运", "oUser")
BAD_WECHAT = [
    ("not xml", "<xml><Content>", "malformed"),
    ("wrong root", GOOD_WECHAT.replace("<xml>", "<root>").replace("</xml>", "</root>"), "malformed"),
    ("no content", GOOD_WECHAT.replace("Content>", "Contents>"), "missing-field"),
    ("image message", GOOD_WECHAT.replace("[CDATA[text]]", "[CDATA[image]]"), "unsupported-type"),
    ("bad time", GOOD_WECHAT.replace("<CreateTime>", "<CreateTime>x"), "bad-timestamp"),
    ("bad msgid", GOOD_WECHAT.replace("<MsgId>", "<MsgId>x"), "wrong-type"),
    ("entity expansion", '<!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>' + GOOD_WECHAT,
     "forbidden-dtd"),
    ("control characters", GOOD_WECHAT.replace("</Content>", "&#x202e;</Content>"), "control-characters"),
    ("not text", 12345, "malformed"),
    # regression (fuzzing): expat raised ValueError for a multi-byte declared encoding
    ("gbk declaration", ("<?xml version='1.0' encoding='gbk'?>" + GOOD_WECHAT).encode("gbk"), "malformed"),
    ("unknown encoding", ("<?xml version='1.0' encoding='no-such-codec'?>" + GOOD_WECHAT).encode(), "malformed"),
]


@pytest.mark.parametrize("name,payload,reason", BAD_WEIBO, ids=[b[0] for b in BAD_WEIBO])
def test_bad_weibo_payloads_are_rejected_with_reasons(name, payload, reason):
    a = PostAdapter()
    r = a.weibo(payload)
    assert not r.accepted and r.reason == reason and r.detail
    assert a.counts == {reason: 1}


@pytest.mark.parametrize("name,payload,reason", BAD_WECHAT, ids=[b[0] for b in BAD_WECHAT])
def test_bad_wechat_payloads_are_rejected_with_reasons(name, payload, reason):
    a = PostAdapter()
    r = a.wechat(payload)
    assert not r.accepted and r.reason == reason and r.detail
    assert a.counts == {reason: 1}


def test_every_simulated_corruption_is_rejected_never_raises():
    rng = random.Random(3)
    a = PostAdapter()
    n = 0
    for i in range(400):
        for channel, payload in (("weibo", weibo_status(i, T, "垃圾没人清运", "u", 1)),
                                 ("wechat", wechat_message(i, T, "垃圾没人清运", "o"))):
            bad = corrupt(channel, payload, rng)
            r = a.weibo(bad) if channel == "weibo" else a.wechat(bad)
            assert not r.accepted, (channel, bad[:200])
            n += 1
    assert sum(a.counts.values()) == n and "accepted" not in a.counts
    assert len(CORRUPTIONS) == 7


def test_simulation_counts_rejections_and_duplicates():
    from simulator import load_run_inputs, run_scenario

    from .conftest import DATA

    sc, policy, rules_dir = load_run_inputs(DATA / "short.yaml")
    result, m = run_scenario(sc, policy, rules_dir)
    assert m["payloads_accepted"] == m["posts"]  # every post arrives once, intact
    assert m["payloads_rejected"] > 0 and m["payloads_duplicate"] > 0
    assert sum(m["payloads_rejected_by_reason"].values()) == m["payloads_rejected"]


# -- statuses/count: a post's reposts and comments as they move -------------------------------------------

def test_weibo_counts_round_trip():
    from simulator.platforms import weibo_counts

    payload = weibo_counts([(3712345678901234, 120, 80), (3712345678901235, 0, 0)])
    assert json.loads(payload)[0] == {"id": "3712345678901234", "reposts": 120, "comments": 80, "attitudes": 0}
    a = PostAdapter()
    r = a.weibo_counts(payload)
    assert r.accepted and [(u.post_id, u.reposts, u.comments, u.engagement) for u in r.updates] == [
        ("weibo-3712345678901234", 120, 80, 200), ("weibo-3712345678901235", 0, 0, 0)]
    # a snapshot may come again (polling): accepted each time; the posts' own counters are untouched
    assert a.weibo_counts(payload).accepted and a.weibo_counts(json.loads(payload)).accepted
    assert a.count_updates == {"accepted": 3} and not a.counts
    # the engagement of a count equals what the status itself reports as RawPost.reposts
    status = a.weibo(weibo_status(3712345678901234, T, "x", "u", 1234567890, reposts=120, comments=80))
    assert status.post is not None and status.post.reposts == r.updates[0].engagement


@pytest.mark.parametrize(("payload", "reason"), [
    ("[{\"id\": \"1\", \"reposts\": 1", "malformed"),
    ('{"id": "1", "reposts": 1, "comments": 2}', "malformed"),  # an object, not the list Weibo sends
    ("[1]", "malformed"),
    ('[{"reposts": 1, "comments": 2}]', "missing-field"),
    ('[{"id": "1", "comments": 2}]', "missing-field"),
    ('[{"id": "1", "reposts": 1}]', "missing-field"),
    ('[{"id": "x1", "reposts": 1, "comments": 2}]', "wrong-type"),
    ('[{"id": true, "reposts": 1, "comments": 2}]', "wrong-type"),
    ('[{"id": "1", "reposts": -1, "comments": 2}]', "wrong-type"),
    ('[{"id": "1", "reposts": "很多", "comments": 2}]', "wrong-type"),
    ('[{"id": "1", "reposts": 1, "comments": 1.5}]', "wrong-type"),
    ('[{"id": "1", "reposts": 1, "comments": true}]', "wrong-type"),
    (json.dumps([{"id": str(i), "reposts": 0, "comments": 0} for i in range(101)]), "too-large"),
    ("[" * 100_000, "too-large"),
    ("[" * 50_000, "malformed"),
    (b"\xff\xfe", "malformed"),
])
def test_weibo_counts_rejections(payload, reason):
    a = PostAdapter()
    r = a.weibo_counts(payload)
    assert not r.accepted and r.reason == reason and r.detail and r.updates == ()
    assert a.count_updates == {reason: 1} and not a.counts


def test_weibo_counts_never_raises():
    rng = random.Random(11)
    junk = [None, 1, 1.5, True, "x", [], {}, [None], [[]], [{"id": None}], [{"id": 2**200, "reposts": 0, "comments": 0}],
            [{"id": "١٢", "reposts": 0, "comments": 0}], [{"id": "1", "reposts": 2**64, "comments": 0}]]
    for _ in range(300):
        junk.append(json.dumps([{"id": rng.choice(["1", 1, -1, "", "1e3", None]),
                                 "reposts": rng.choice([0, -1, 1.0, None, "1", 10**10]),
                                 "comments": rng.choice([0, 3, [], {}, False])}])[: rng.randrange(1, 80)])
    a = PostAdapter()
    for j in junk:
        r = a.weibo_counts(j)  # type: ignore[arg-type]
        assert r.accepted or r.reason in {"malformed", "too-large", "missing-field", "wrong-type"}
    assert sum(a.count_updates.values()) == len(junk)


def test_a_bounded_adapter_remembers_the_latest_ids_only():
    """``remember=N``: a redelivery among the latest N ids is dropped; an id older than that is forgotten."""
    t = datetime(2014, 5, 14, 10, 5, tzinfo=ZoneInfo("Asia/Shanghai"))
    msgs = [wechat_message(1000 + i, t, f"第{i}条", "oX7wQabc") for i in range(5)]
    a = PostAdapter(remember=3)
    assert all(a.wechat(m).accepted for m in msgs)
    assert a.wechat(msgs[4]).reason == "duplicate" and a.wechat(msgs[2]).reason == "duplicate"
    assert a.wechat(msgs[1]).accepted  # fell out of the window of 3: taken as new
    assert a.counts == {"accepted": 6, "duplicate": 2}
    assert len(a._seen) == 3
    unbounded = PostAdapter()
    assert all(unbounded.wechat(m).accepted for m in msgs) and unbounded.wechat(msgs[0]).reason == "duplicate"


# -- Weibo's created_at: the fast path is exactly strptime ----------------------------------------------
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from engine.adapters import weibo_time  # noqa: E402

_DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "mon", "Xyz"]
_MONS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "may", "Foo"]


def _strptime_or_error(text):
    try:
        return datetime.strptime(text, "%a %b %d %H:%M:%S %z %Y")
    except ValueError:
        return ValueError


def _fast_or_error(text):
    try:
        return weibo_time(text)
    except ValueError:
        return ValueError


@settings(max_examples=600, deadline=None)
@given(st.sampled_from(_DAYS), st.sampled_from(_MONS), st.integers(0, 40), st.integers(0, 30), st.integers(0, 70),
       st.integers(0, 70), st.sampled_from("+-"), st.integers(0, 30), st.integers(0, 99), st.integers(1, 9999),
       st.sampled_from(["{:02d}", "{}"]))
def test_weibo_time_equals_strptime(day, mon, d, hh, mm, ss, sign, oh, om, year, dfmt):
    text = f"{day} {mon} {dfmt.format(d)} {hh:02d}:{mm:02d}:{ss:02d} {sign}{oh:02d}{om:02d} {year:04d}"
    fast, slow = _fast_or_error(text), _strptime_or_error(text)
    assert fast == slow
    if fast is not ValueError:
        assert fast.utcoffset() == slow.utcoffset()


# -- refusal details in the current language (issue 13, finding 9) ------------------------------------------------

CJK = re.compile(r"[\u3400-\u9fff]")
#: payloads whose refusal the tester quoted in English, each with the Chinese detail written out by hand
QUOTED = [
    ("wechat", '<!DOCTYPE xml [<!ENTITY a "x">]>' + GOOD_WECHAT, "forbidden-dtd", "微信消息中不允许 DOCTYPE/ENTITY 声明",
     "DOCTYPE/ENTITY declarations are not allowed in WeChat messages"),
    ("weibo", '{"id": 1, "text": "x", "user": ', "malformed", "不是有效的 JSON：第 1 行第 32 列有误（Expecting value）",
     "not JSON: Expecting value: line 1 column 32"),
    ("weibo", {k: v for k, v in GOOD_WEIBO.items() if k != "created_at"}, "missing-field", "缺少「created_at」",
     "missing 'created_at'"),
    ("wechat", GOOD_WECHAT.replace("[CDATA[text]]", "[CDATA[image]]"), "unsupported-type",
     "MsgType 为「image」（只有文字消息 text 才是网民反映）", "MsgType 'image' (only text messages carry complaints)"),
]


@pytest.mark.parametrize("channel,payload,reason,zh_detail,en_detail", QUOTED, ids=[q[2] for q in QUOTED])
def test_the_quoted_refusals_are_in_the_current_language_with_the_same_code(zh, channel, payload, reason, zh_detail,
                                                                             en_detail):
    parse = getattr(PostAdapter(), channel)
    r = parse(payload)
    assert (r.reason, r.detail) == (reason, zh_detail)
    with lang_scope("en"):
        r = getattr(PostAdapter(), channel)(payload)
    assert (r.reason, r.detail) == (reason, en_detail)


@pytest.mark.parametrize("name,payload,reason", BAD_WEIBO + BAD_WECHAT, ids=[b[0] for b in BAD_WEIBO + BAD_WECHAT])
def test_every_refusal_detail_is_chinese_by_default(zh, name, payload, reason):
    a = PostAdapter()
    r = a.weibo(payload) if (name, payload, reason) in BAD_WEIBO else a.wechat(payload)
    assert r.reason == reason and CJK.search(r.detail), r.detail
    with lang_scope("en"):
        b = PostAdapter()
        e = b.weibo(payload) if (name, payload, reason) in BAD_WEIBO else b.wechat(payload)
    assert e.reason == reason and e.detail != r.detail


def test_count_batch_details_say_which_entry_counting_from_one(zh):
    r = PostAdapter().weibo_counts('[{"id": 1, "reposts": 2, "comments": 3}, {"id": 2, "reposts": -1, "comments": 0}]')
    assert (r.reason, r.detail) == ("wrong-type", "第 2 项：reposts 应为 0 至 1,000,000,000 的整数，实际是 -1")
