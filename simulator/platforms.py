"""Mock Weibo and WeChat: posts in the platforms' native payload shapes.

The simulator's citizens post through these, and the desk reads them through
``engine.adapters.PostAdapter`` exactly as a live deployment would.  A small,
configurable share of deliveries is corrupted or delivered twice (platforms
retry), so the adapters' rejection paths are exercised and counted.

Shapes (checked against published examples of the platforms' APIs):

* a Weibo status as ``statuses/show`` returns it: ``created_at`` like
  ``Wed May 14 10:05:00 +0800 2014``, ``id``/``idstr``/``mid``, ``text``,
  ``user`` (10-digit ``id``/``idstr``, ``screen_name``, ``followers_count``),
  ``reposts_count``, ``comments_count``, ``attitudes_count`` and ``geo``:
  ``null`` or ``{"type": "Point", "coordinates": [latitude, longitude]}``
  (Weibo puts the latitude first, unlike GeoJSON);
* the counts of a batch of statuses as ``statuses/count`` returns them:
  ``[{"id": "…", "reposts": n, "comments": n, "attitudes": n}]``, polled by
  the desk to follow a post's spread;
* a WeChat official-account text message: ``ToUserName`` (the account's
  original id, ``gh_`` and 12 hex digits), ``FromUserName`` (the citizen's
  OpenID), ``CreateTime`` (Unix seconds), ``MsgType``, ``Content`` (CDATA),
  ``MsgId`` (a 64-bit number).
"""

from __future__ import annotations

import json
import math
import random
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from engine.adapters import RawPost
from engine.engine import trusted

#: ``RawPost.model_construct`` for delivered_post's values, cheaper (every field given: the same model)
_raw_post = trusted(RawPost)

__all__ = ["delivered_post", "weibo_status", "weibo_counts", "wechat_message", "cdata", "corrupt", "CORRUPTIONS", "OFFICIAL_ACCOUNT", "COMMENT_SHARE"]

OFFICIAL_ACCOUNT = "gh_3c8a61f07d2e"  # the district's WeChat official account's original id (ToUserName)
#: the share of a Weibo post's engagement that is comments (the rest reposts); the engine's ``reposts`` is
#: their sum (docs/rules.md), so the split changes what the payloads show, not what the rules see
COMMENT_SHARE = 0.4
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def weibo_created_at(t: datetime) -> str:
    """Weibo's date format, e.g. 'Wed May 14 10:05:00 +0800 2014' (locale-independent)."""
    off = t.utcoffset()
    minutes = int(off.total_seconds() // 60) if off is not None else 0
    sign = "+" if minutes >= 0 else "-"
    hh, mm = divmod(abs(minutes), 60)
    return (f"{_WEEKDAYS[t.weekday()]} {_MONTHS[t.month - 1]} {t.day:02d} {t.hour:02d}:{t.minute:02d}:{t.second:02d} "
            f"{sign}{hh:02d}{mm:02d} {t.year}")


_SOURCE = '<a href="http://weibo.com/" rel="nofollow">新浪微博</a>'
_LOCATION = "北京 昌平区"
_str = json.encoder.encode_basestring  # what json.dumps(ensure_ascii=False) writes a string with
_int = int.__repr__
_STATUS = ('{"created_at": %s, "id": %s, "idstr": %s, "mid": %s, "text": %s, "source": ' + _str(_SOURCE)
           + ', "favorited": false, "truncated": false, "user": {"id": %s, "idstr": %s, "screen_name": %s, '
           '"name": %s, "location": ' + _str(_LOCATION) + ', "followers_count": %s}, "reposts_count": %s, '
           '"comments_count": %s, "attitudes_count": 0, "geo": %s}')


def weibo_status(status_id: int, t: datetime, text: str, screen_name: str, user_id: int, reposts: int = 0,
                 comments: int = 0, geo: tuple[float, float] | None = None, followers: int = 0) -> str:
    """A status; ``geo`` is (latitude, longitude).

    The text ``json.dumps(doc, ensure_ascii=False)`` gives, written into a template (a test compares them);
    values of other types than the simulator's go through ``json.dumps`` itself.
    """
    if (type(status_id) is int and type(user_id) is int and type(reposts) is int and type(comments) is int
            and type(followers) is int and type(text) is str and type(screen_name) is str
            and (geo is None or (type(geo[0]) is float and type(geo[1]) is float
                                 and math.isfinite(geo[0]) and math.isfinite(geo[1])))):
        sid, uid = _int(status_id), _int(user_id)
        name = _str(screen_name)
        return _STATUS % (_str(weibo_created_at(t)), sid, '"' + sid + '"', '"' + sid + '"', _str(text), uid,
                          '"' + uid + '"', name, name, _int(followers), _int(reposts), _int(comments),
                          f'{{"type": "Point", "coordinates": [{geo[0]!r}, {geo[1]!r}]}}' if geo else "null")
    doc = {
        "created_at": weibo_created_at(t),
        "id": status_id,
        "idstr": str(status_id),
        "mid": str(status_id),
        "text": text,
        "source": _SOURCE,
        "favorited": False,
        "truncated": False,
        "user": {"id": user_id, "idstr": str(user_id), "screen_name": screen_name, "name": screen_name,
                 "location": _LOCATION, "followers_count": followers},
        "reposts_count": reposts,
        "comments_count": comments,
        "attitudes_count": 0,
        "geo": {"type": "Point", "coordinates": [geo[0], geo[1]]} if geo else None,
    }
    return json.dumps(doc, ensure_ascii=False)


_WEIBO_TZ: dict[int, timezone] = {}


def delivered_post(channel: str, status_id: int, t: datetime, text: str, author: Any,
                   geo: tuple[float, float] | None = None) -> RawPost:
    """The post the adapter makes of an intact payload built by ``weibo_status`` / ``wechat_message``, without
    building or parsing it: Weibo times are whole seconds at the status' UTC offset, WeChat times whole
    seconds in UTC (``CreateTime``).  A test holds it equal to the adapter's result for every post of a run.
    """
    if channel == "weibo":
        off = t.utcoffset()
        seconds = int(off.total_seconds() // 60) * 60 if off is not None else 0
        tz = _WEIBO_TZ.get(seconds)
        if tz is None:
            tz = _WEIBO_TZ[seconds] = timezone(timedelta(seconds=seconds))
        posted = t.replace(microsecond=0, tzinfo=tz)  # the wall-clock time Weibo prints, at its offset
        return _raw_post(post_id=f"weibo-{status_id}", channel="weibo", author=author.handle[:64],
                         author_id=str(author.uid), text=text, posted_at=posted, reposts=0,
                         geo=(float(geo[0]), float(geo[1])) if geo else None)
    posted = datetime.fromtimestamp(int(t.timestamp()), tz=UTC)
    return _raw_post(post_id=f"wechat-{status_id}", channel="wechat", author=author.openid[:64],
                     author_id=author.openid, text=text, posted_at=posted, reposts=0, geo=None)


def weibo_counts(counts: list[tuple[int, int, int]]) -> str:
    """``statuses/count`` for a batch of (status id, reposts, comments); ids as strings, as Weibo sends them.

    ``json.dumps``' text, written directly for whole numbers (a test compares them)."""
    if all(type(sid) is int and type(r) is int and type(c) is int for sid, r, c in counts):
        return "[" + ", ".join(f'{{"id": "{sid}", "reposts": {r}, "comments": {c}, "attitudes": 0}}'
                               for sid, r, c in counts) + "]"
    return json.dumps([{"id": str(sid), "reposts": r, "comments": c, "attitudes": 0} for sid, r, c in counts])


def cdata(text: str) -> str:
    """``text`` as XML character data in CDATA sections (a ``]]>`` inside is split across two sections)."""
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def wechat_message(msg_id: int, t: datetime, text: str, openid: str) -> str:
    return (f"<xml><ToUserName>{cdata(OFFICIAL_ACCOUNT)}</ToUserName>"
            f"<FromUserName>{cdata(openid)}</FromUserName>"
            f"<CreateTime>{int(t.timestamp())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content>{cdata(text)}</Content><MsgId>{msg_id}</MsgId></xml>")


CORRUPTIONS = ("missing-text", "wrong-type", "control-characters", "huge-text", "bad-timestamp", "truncated",
               "dtd")


def corrupt(channel: str, payload: str, rng: random.Random) -> str:
    """A broken variant of a payload: what a buggy client, a proxy or an attacker might send."""
    kind = rng.choice(CORRUPTIONS)
    if channel == "weibo":
        doc = json.loads(payload)
        if kind == "missing-text":
            del doc["text"]
        elif kind == "wrong-type":
            doc["reposts_count"] = "很多"
        elif kind == "control-characters":
            doc["text"] = doc["text"] + "\x1b[2J\u202e"
        elif kind == "huge-text":
            doc["text"] = doc["text"] * 1000
        elif kind == "bad-timestamp":
            doc["created_at"] = "2014-05-14 10:05"
        elif kind == "truncated":
            return payload[: len(payload) // 2]
        else:
            return '<!DOCTYPE x [<!ENTITY a "aaaa">]>' + payload
        return json.dumps(doc, ensure_ascii=False)
    if kind == "missing-text":
        return payload.replace("<Content>", "<Contents>").replace("</Content>", "</Contents>")
    if kind == "wrong-type":
        return payload.replace("<MsgId>", "<MsgId>x")
    if kind == "control-characters":
        return payload.replace("</Content>", "&#x202e;</Content>")
    if kind == "huge-text":
        start, end = payload.index("<Content>") + 9, payload.index("</Content>")
        return payload[:start] + payload[start:end] * 1000 + payload[end:]
    if kind == "bad-timestamp":
        return payload.replace("<CreateTime>", "<CreateTime>yesterday")
    if kind == "truncated":
        return payload[: len(payload) // 2]
    return '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY lol "lol">]>' + payload
