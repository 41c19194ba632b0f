"""Mock Weibo and WeChat: posts in the platforms' native payload shapes.

The simulator's citizens post through these, and the desk reads them through
``engine.adapters.PostAdapter`` exactly as a live deployment would.  A small,
configurable share of deliveries is corrupted or delivered twice (platforms
retry), so the adapters' rejection paths are exercised and counted.
"""

from __future__ import annotations

import json
import random
from datetime import datetime
from xml.sax.saxutils import escape

__all__ = ["weibo_status", "wechat_message", "corrupt", "CORRUPTIONS", "OFFICIAL_ACCOUNT"]

OFFICIAL_ACCOUNT = "gh_changping2014"  # the district's WeChat official account (ToUserName)
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def weibo_created_at(t: datetime) -> str:
    """Weibo's date format, e.g. 'Wed May 14 10:05:00 +0800 2014' (locale-independent)."""
    off = t.utcoffset()
    minutes = int(off.total_seconds() // 60) if off is not None else 0
    sign = "+" if minutes >= 0 else "-"
    hh, mm = divmod(abs(minutes), 60)
    return (f"{_WEEKDAYS[t.weekday()]} {_MONTHS[t.month - 1]} {t.day:02d} {t:%H:%M:%S} "
            f"{sign}{hh:02d}{mm:02d} {t.year}")


def weibo_status(status_id: int, t: datetime, text: str, screen_name: str, user_id: int, reposts: int = 0,
                 comments: int = 0, geo: tuple[float, float] | None = None) -> str:
    doc = {
        "created_at": weibo_created_at(t),
        "id": status_id,
        "idstr": str(status_id),
        "mid": str(status_id),
        "text": text,
        "source": '<a href="http://weibo.com/" rel="nofollow">新浪微博</a>',
        "favorited": False,
        "truncated": False,
        "user": {"id": user_id, "idstr": str(user_id), "screen_name": screen_name, "name": screen_name,
                 "location": "北京 昌平区", "followers_count": 0},
        "reposts_count": reposts,
        "comments_count": comments,
        "attitudes_count": 0,
        "geo": {"type": "Point", "coordinates": [geo[0], geo[1]]} if geo else None,
    }
    return json.dumps(doc, ensure_ascii=False)


def wechat_message(msg_id: int, t: datetime, text: str, openid: str) -> str:
    return (f"<xml><ToUserName><![CDATA[{OFFICIAL_ACCOUNT}]]></ToUserName>"
            f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{int(t.timestamp())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content>{escape(text)}</Content><MsgId>{msg_id}</MsgId></xml>")


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
