"""Fuzz: Weibo (JSON) and WeChat (XML) payloads, well-formed and mutated.

The adapter's contract: it never raises; every payload is either accepted as a
post whose text is the payload's text, or rejected with one of the known
reasons (and counted).
"""

from __future__ import annotations

import json
from xml.sax.saxutils import escape

from hypothesis import given
from hypothesis import strategies as st

from engine.adapters import MAX_PAYLOAD, REJECT_REASONS, PostAdapter
from tests.fuzz.harness import bounded, fuzz_settings
from tests.fuzz.yamlmut import HOSTILE_TEXT, hostile_values, mutated_tree

TEXTS = st.one_of(st.sampled_from(["小区垃圾好几天没人清运了", "暖气一直不热，老人孩子都冻病了"]),
                  st.text(min_size=1, max_size=80), st.sampled_from(HOSTILE_TEXT))
CREATED = st.one_of(
    st.sampled_from(["Wed May 14 10:05:00 +0800 2014", "Thu Jan 01 00:00:00 +0000 1970", "Fri Dec 31 23:59:59 -1200 9999",
                     "Mon Jan 01 00:00:00 +2359 0001", "Wed May 14 24:00:00 +0800 2014", "Sun Feb 30 10:00:00 +0800 2014",
                     "Wed May 14 10:05:00 2014", "2014-05-14T10:05:00+08:00", ""]),
    st.text(max_size=30))


@st.composite
def weibo_status(draw):
    status = {"created_at": draw(CREATED), "text": draw(TEXTS),
              "user": {"screen_name": draw(TEXTS), "idstr": str(draw(st.integers(0, 10**12)))}}
    ident = draw(st.one_of(st.integers(0, 2**64), st.sampled_from(["3712345678901234", "²", "٣", "12 ", "-1", ""])))
    status["idstr" if draw(st.booleans()) else "id"] = ident
    for key in ("reposts_count", "comments_count"):
        if draw(st.booleans()):
            status[key] = draw(st.one_of(st.integers(0, 10**6), st.sampled_from([-1, 2**64, 1.5, True, "3", None])))
    if draw(st.booleans()):
        status["geo"] = {"type": "Point", "coordinates": draw(st.lists(
            st.one_of(st.floats(allow_nan=True), st.integers(-1000, 1000)), max_size=3))}
    if draw(st.integers(0, 2)) == 0:
        status = draw(mutated_tree(status, max_ops=3))
    return status


def _json(status, draw_mode):
    text = json.dumps(status, ensure_ascii=draw_mode == 1, allow_nan=True, default=str)
    return {0: status, 1: text, 2: text.encode("utf-8"), 3: text[: len(text) // 2],
            4: text.encode("utf-16"), 5: text + "}" * 3}[draw_mode]


@fuzz_settings("weibo")
@given(status=weibo_status(), mode=st.integers(0, 5), junk=st.one_of(st.none(), hostile_values))
def test_fuzz_weibo_payloads(status, mode, junk):
    adapter = PostAdapter()
    payload = junk if junk is not None and mode == 0 and isinstance(junk, (list, str)) else _json(status, mode)
    result, err = bounded(lambda: adapter.weibo(payload))
    assert err is None, f"the adapter raised {err!r}; it must reject instead"
    _check(adapter, result, status if payload is status or mode in (1, 2) else None, "text")
    again, _ = bounded(lambda: adapter.weibo(payload))
    if result.accepted:
        assert again.reason == "duplicate"


ELEMENTS = ("ToUserName", "FromUserName", "CreateTime", "MsgType", "Content", "MsgId")


@st.composite
def wechat_fields(draw):
    fields = {"ToUserName": "gh_changping", "FromUserName": draw(st.one_of(st.just("oUser123"), TEXTS)),
              "CreateTime": draw(st.one_of(st.integers(0, 2**31).map(str),
                                           st.sampled_from(["99999999999999999999", "-1", "²", "٣٣", " 1400032800 ",
                                                            "1e9", "", "253402300800", "1400032800"]))),
              "MsgType": draw(st.sampled_from(["text", "text", "image", "TEXT", ""])),
              "Content": draw(TEXTS),
              "MsgId": draw(st.one_of(st.integers(0, 2**64).map(str), st.sampled_from(["²", "x", " 12 ", ""])))}
    for name in draw(st.lists(st.sampled_from(ELEMENTS), max_size=2)):
        fields.pop(name, None)
    return fields


def _xml(fields, cdata, extra):
    def el(k, v):
        body = f"<![CDATA[{v}]]>" if cdata and "]]>" not in v else escape(v)
        return f"<{k}>{body}</{k}>"
    return "<xml>" + "".join(el(k, v) for k, v in fields.items()) + extra + "</xml>"


EXTRAS = ["", "<Nested><Deep>1</Deep></Nested>", "<Content>second</Content>", "&amp;", "<!-- c -->",
          "<?pi x?>", "<x a='1' a='2'/>", "&#0;", "&#x1F600;", "&undefined;", "<" * 10, "</xml><xml>"]
PREFIXES = ["", "<?xml version='1.0' encoding='utf-8'?>", "<?xml version='1.0' encoding='gbk'?>",
            "<!DOCTYPE xml [<!ENTITY a 'aaaa'>]>", "\ufeff", "<!doctype x>", " " * 5000, "<?xml version='1.1'?>"]


@fuzz_settings("wechat")
@given(fields=wechat_fields(), cdata=st.booleans(), extra=st.sampled_from(EXTRAS), prefix=st.sampled_from(PREFIXES),
       cut=st.one_of(st.none(), st.integers(0, 400)), as_bytes=st.booleans(), huge=st.integers(0, 20))
def test_fuzz_wechat_payloads(fields, cdata, extra, prefix, cut, as_bytes, huge):
    adapter = PostAdapter()
    text = prefix + _xml(fields, cdata, extra)
    if huge == 0:
        text = text.replace("</xml>", "<Pad>" + "x" * MAX_PAYLOAD + "</Pad></xml>")
    if cut is not None:
        text = text[:cut]
    payload = text.encode("utf-8") if as_bytes else text
    result, err = bounded(lambda: adapter.wechat(payload))
    assert err is None, f"the adapter raised {err!r}; it must reject instead"
    intact = cut is None and extra in ("", "<Nested><Deep>1</Deep></Nested>", "<!-- c -->", "<?pi x?>") \
        and "DOCTYPE" not in prefix.upper() and "gbk" not in prefix and huge != 0
    _check(adapter, result, fields if intact else None, "Content")


def _check(adapter, result, source, text_key):
    if result.accepted:
        assert result.reason is None
        if source is not None and isinstance(source.get(text_key), str):
            # accepted: the post's text is the payload's text, unchanged
            assert result.post.text == source[text_key] or result.post.text == source[text_key].replace("\r\n", "\n")
        assert adapter.counts["accepted"] == 1
    else:
        assert result.reason in REJECT_REASONS, result
        assert adapter.counts[result.reason] == 1
