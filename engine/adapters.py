"""Adapters from platform payloads to posts: the same code a live deployment uses.

* Weibo: a status object as the Weibo API returns it (``id``/``idstr``,
  ``created_at`` like ``Wed May 14 10:05:00 +0800 2014``, ``text``, ``user``,
  ``reposts_count``, ``comments_count``, optional ``geo``).
* Weibo counts: the reposts and comments of a batch of statuses as Weibo's
  ``statuses/count`` returns them (``[{"id": "…", "reposts": n,
  "comments": n, "attitudes": n}]``), polled to follow a post's spread.
  Counts are snapshots, not messages: the same status may be reported any
  number of times, so no duplicate check; they are counted apart
  (``count_updates``) from the posts.
* WeChat: an official-account text message in WeChat's XML shape
  (``ToUserName``, ``FromUserName``, ``CreateTime``, ``MsgType``,
  ``Content``, ``MsgId``).

An adapter never raises on bad input: every payload is either accepted (a
``RawPost``) or rejected with a reason code, and every outcome is counted.
Duplicate deliveries of the same message id are recognised and dropped as
``duplicate``.  WeChat XML is parsed with defusedxml: a DTD or entity
declaration anywhere in a payload is refused (``forbidden-dtd``), so no
entity expansion ("billion laughs") or external reference ever happens.  The place a post is about is not in the payload; the duty
desk determines it (``RawPost.at_place``).
"""

from __future__ import annotations

import json
import re
from collections import Counter, deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Literal

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from .messages import t
from .models import Post

__all__ = ["RawPost", "AdapterResult", "PostAdapter", "CountUpdate", "CountsResult", "REJECT_REASONS", "MAX_TEXT",
           "MAX_PAYLOAD", "MAX_BATCH"]

MAX_TEXT = 2000  # characters; Weibo allowed 140 in 2014, long-form posts and WeChat a few hundred
MAX_PAYLOAD = 64 * 1024  # bytes
MAX_COUNT = 1_000_000_000  # reposts, comments: more than any post has ever had
MAX_BATCH = 100  # statuses per statuses/count reply (Weibo allowed up to 100 ids a call)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
REJECT_REASONS = (
    "malformed", "too-large", "forbidden-dtd", "missing-field", "wrong-type", "bad-timestamp", "empty-text",
    "text-too-long", "control-characters", "unsupported-type", "duplicate",
)


class RawPost(BaseModel):
    """A post as the platform delivered it, before the desk locates it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    post_id: str
    channel: Literal["weibo", "wechat"]
    author: str
    author_id: str
    text: str
    posted_at: AwareDatetime
    reposts: int = Field(default=0, ge=0)
    geo: tuple[float, float] | None = None

    def at_place(self, place: str) -> Post:
        return Post(post_id=self.post_id, channel=self.channel, author=self.author, text=self.text, place=place,
                    posted_at=self.posted_at, reposts=self.reposts)


@dataclass(frozen=True)
class AdapterResult:
    post: RawPost | None
    reason: str | None = None  # one of REJECT_REASONS when rejected
    detail: str = ""

    @property
    def accepted(self) -> bool:
        return self.post is not None


@dataclass(frozen=True)
class CountUpdate:
    """One status's counts: ``engagement`` (reposts + comments) is what ``RawPost.reposts`` means."""

    post_id: str  # "weibo-<id>", as RawPost.post_id
    reposts: int
    comments: int

    @property
    def engagement(self) -> int:
        return self.reposts + self.comments


@dataclass(frozen=True)
class CountsResult:
    updates: tuple[CountUpdate, ...] = ()
    reason: str | None = None  # one of REJECT_REASONS when rejected (the whole batch)
    detail: str = ""

    @property
    def accepted(self) -> bool:
        return self.reason is None


class _Reject(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason, self.detail = reason, detail


_WEIBO_FORMAT = "%a %b %d %H:%M:%S %z %Y"
_MONTHS = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                                       "Dec"), 1)}
#: the form Weibo writes (``Wed May 14 10:05:00 +0800 2014``); anything else goes to strptime
_WEIBO_CANON = re.compile(r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                          r"(\d\d) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d) (\d{4})")
_OFFSETS: dict[str, timezone] = {}


def weibo_time(text: str) -> datetime:
    """Weibo's ``created_at`` as an aware datetime: exactly ``datetime.strptime(text, "%a %b %d %H:%M:%S %z %Y")``
    (tested against it), with the form Weibo writes parsed without strptime's per-call cost."""
    m = _WEIBO_CANON.fullmatch(text)
    if m is None:
        return datetime.strptime(text, _WEIBO_FORMAT)
    mon, day, hh, mm, ss, sign, oh, om, year = m.groups()
    key = sign + oh + om
    tz = _OFFSETS.get(key)
    if tz is None:
        if int(om) > 59:  # strptime's own message for an offset it cannot read
            return datetime.strptime(text, _WEIBO_FORMAT)
        delta = timedelta(hours=int(oh), minutes=int(om))
        tz = _OFFSETS.setdefault(key, timezone(-delta if sign == "-" else delta))
    return datetime(int(year), _MONTHS[mon], int(day), int(hh), int(mm), int(ss), tzinfo=tz)


def _kind(value: Any) -> str:
    """What a JSON value is, for people (``got 数字``): the payloads are JSON or XML, not Python."""
    if value is None:
        return t("adapter.type.null")
    if isinstance(value, bool):
        return t("adapter.type.bool")
    if isinstance(value, (int, float)):
        return t("adapter.type.number")
    if isinstance(value, str):
        return t("adapter.type.text")
    if isinstance(value, (list, tuple)):
        return t("adapter.type.list")
    if isinstance(value, dict):
        return t("adapter.type.object")
    return t("adapter.type.other", name=type(value).__name__)


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise _Reject("wrong-type", t("adapter.not_text", name=name, got=_kind(value)))
    if _CONTROL.search(value):
        raise _Reject("control-characters", t("adapter.control", name=name))
    if not value.strip():
        raise _Reject("empty-text", t("adapter.empty", name=name))
    if len(value) > MAX_TEXT:
        raise _Reject("text-too-long", t("adapter.too_long", name=name, n=len(value), limit=MAX_TEXT))
    return value


def _count(value: Any, name: str) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        raise _Reject("wrong-type", t("adapter.bad_count", name=name, limit=f"{MAX_COUNT:,}", value=f"{value!r:.40}"))
    return value


class PostAdapter:
    """Parses Weibo and WeChat payloads; keeps the ids it has seen to drop redeliveries.

    ``counts`` holds accepted and rejected totals by reason.  Each instance
    owns its state; a live deployment keeps one per intake process.
    """

    def __init__(self, remember: int | None = None) -> None:
        self.counts: Counter[str] = Counter()
        self.count_updates: Counter[str] = Counter()  # statuses/count batches: accepted or the reason
        self._seen: set[str] = set()
        #: ``remember``: how many of the latest ids to keep for dropping redeliveries (None: all).  Platforms
        #: retry within seconds to minutes, so a long run need not keep every id it ever saw.
        self._remember = remember
        self._order: deque[str] = deque()

    def _finish(self, build: Any) -> AdapterResult:
        try:
            post = build()
        except _Reject as rej:
            self.counts[rej.reason] += 1
            return AdapterResult(None, rej.reason, rej.detail)
        if post.post_id in self._seen:
            self.counts["duplicate"] += 1
            return AdapterResult(None, "duplicate", t("adapter.duplicate", post=post.post_id))
        self._seen.add(post.post_id)
        if self._remember is not None:
            self._order.append(post.post_id)
            if len(self._order) > self._remember:
                self._seen.discard(self._order.popleft())
        self.counts["accepted"] += 1
        return AdapterResult(post)

    def accept(self, post: RawPost) -> AdapterResult:
        """Count a post the platform delivered intact without parsing its text (the simulator's fast path
        for posts outside its payload sample): the same duplicate check and counts as a parsed one."""
        return self._finish(lambda: post)

    # -- Weibo -------------------------------------------------------------------
    def weibo(self, payload: str | bytes | dict[str, Any]) -> AdapterResult:
        return self._finish(lambda: self._weibo(payload))

    def _weibo(self, payload: str | bytes | dict[str, Any]) -> RawPost:
        if isinstance(payload, (str, bytes)):
            payload = _json(payload)
        if not isinstance(payload, dict):
            raise _Reject("malformed", t("adapter.weibo_not_object"))
        for key in ("created_at", "text", "user"):
            if key not in payload:
                raise _Reject("missing-field", t("adapter.missing", key=key))
        sid = payload.get("idstr", payload.get("id"))
        if sid is None:
            raise _Reject("missing-field", t("adapter.missing", key="id"))
        if isinstance(sid, bool) or not isinstance(sid, (int, str)) or not str(sid).isdigit() \
                or not str(sid).isascii() or len(str(sid)) > 64:
            raise _Reject("wrong-type", t("adapter.bad_id", name="id", value=f"{sid!r:.40}"))
        try:
            created = weibo_time(_text(payload["created_at"], "created_at"))
        except ValueError:
            raise _Reject("bad-timestamp", t("adapter.bad_created_at", value=f"{payload['created_at']!r:.60}")) \
                from None
        user = payload["user"]
        if not isinstance(user, dict):
            raise _Reject("wrong-type", t("adapter.user_not_object"))
        name = user.get("screen_name", user.get("name"))
        if name is None:
            raise _Reject("missing-field", t("adapter.missing", key="user.screen_name"))
        uid = user.get("idstr", user.get("id", ""))
        reposts = _count(payload.get("reposts_count"), "reposts_count") + \
            _count(payload.get("comments_count"), "comments_count")
        geo = payload.get("geo")
        point: tuple[float, float] | None = None
        if isinstance(geo, dict) and isinstance(geo.get("coordinates"), list) and len(geo["coordinates"]) == 2:
            lat, lon = geo["coordinates"]
            if isinstance(lat, (int, float)) and isinstance(lon, (int, float)):
                point = (float(lat), float(lon))
        return RawPost(post_id=f"weibo-{sid}", channel="weibo", author=_text(name, "user.screen_name")[:64],
                       author_id=str(uid), text=_text(payload["text"], "text"), posted_at=created,
                       reposts=reposts, geo=point)

    def weibo_counts(self, payload: str | bytes | list[Any]) -> CountsResult:
        """A ``statuses/count`` reply; the whole batch is accepted or rejected with a reason."""
        try:
            updates = self._weibo_counts(payload)
        except _Reject as rej:
            self.count_updates[rej.reason] += 1
            return CountsResult(reason=rej.reason, detail=rej.detail)
        self.count_updates["accepted"] += 1
        return CountsResult(updates)

    def _weibo_counts(self, payload: str | bytes | list[Any]) -> tuple[CountUpdate, ...]:
        if isinstance(payload, (str, bytes)):
            payload = _json(payload)
        if not isinstance(payload, list):
            raise _Reject("malformed", t("adapter.counts_not_list"))
        if len(payload) > MAX_BATCH:
            raise _Reject("too-large", t("adapter.batch_too_large", n=len(payload), limit=MAX_BATCH))
        out = []
        for i, item in enumerate(payload):
            if not isinstance(item, dict):
                raise _Reject("malformed", t("adapter.entry_not_object", n=i + 1))
            sid = item.get("id")
            if sid is None:
                raise _Reject("missing-field", t("adapter.entry", n=i + 1, what=t("adapter.missing", key="id")))
            if isinstance(sid, bool) or not isinstance(sid, (int, str)) or not str(sid).isdigit() \
                    or not str(sid).isascii() or len(str(sid)) > 64:
                raise _Reject("wrong-type", t("adapter.entry", n=i + 1, what=t("adapter.bad_id", name="id", value=f"{sid!r:.40}")))
            for key in ("reposts", "comments"):
                if key not in item:
                    raise _Reject("missing-field", t("adapter.entry", n=i + 1, what=t("adapter.missing", key=key)))
            try:
                out.append(CountUpdate(f"weibo-{sid}", _count(item["reposts"], "reposts"),
                                       _count(item["comments"], "comments")))
            except _Reject as rej:
                raise _Reject(rej.reason, t("adapter.entry", n=i + 1, what=rej.detail)) from None
        return tuple(out)

    # -- WeChat ------------------------------------------------------------------
    def wechat(self, payload: str | bytes) -> AdapterResult:
        return self._finish(lambda: self._wechat(payload))

    def _wechat(self, payload: str | bytes) -> RawPost:
        if not isinstance(payload, (str, bytes)):
            raise _Reject("malformed", t("adapter.wechat_not_text"))
        size = len(payload) if isinstance(payload, bytes) or len(payload) > MAX_PAYLOAD \
            else len(payload.encode("utf-8", "replace"))
        if size > MAX_PAYLOAD:
            raise _Reject("too-large", t("adapter.payload_too_large", size=size, limit=MAX_PAYLOAD))
        try:
            # defusedxml refuses a DTD wherever it is, before any entity could expand
            root = SafeET.fromstring(payload, forbid_dtd=True, forbid_entities=True, forbid_external=True)
        except DefusedXmlException:
            raise _Reject("forbidden-dtd", t("adapter.dtd")) from None
        except SafeET.ParseError as exc:
            pos = getattr(exc, "position", None)
            if isinstance(pos, tuple) and len(pos) == 2:  # expat's message ends with the position: say it once
                raise _Reject("malformed", t("adapter.not_xml_at", error=str(exc).split(": line ")[0], line=pos[0],
                                             col=pos[1])) from None
            raise _Reject("malformed", t("adapter.not_xml", error=exc)) from None
        except (ValueError, LookupError) as exc:  # expat: "multi-byte encodings are not supported" (gbk), unknown codec
            raise _Reject("malformed", t("adapter.xml_encoding", error=exc)) from None
        if root.tag != "xml":
            raise _Reject("malformed", t("adapter.wrong_root", tag=f"{root.tag:.40}"))

        def field(name: str) -> str:
            el = root.find(name)
            if el is None or el.text is None:
                raise _Reject("missing-field", t("adapter.missing_element", name=name))
            return el.text

        msg_type = field("MsgType")
        if msg_type != "text":
            raise _Reject("unsupported-type", t("adapter.unsupported_type", type=f"{msg_type:.40}"))
        create = field("CreateTime").strip()
        if not (create.isascii() and create.isdigit() and len(create) <= 12):
            raise _Reject("bad-timestamp", t("adapter.create_time", value=repr(create[:40])))
        msg_id = field("MsgId")
        if not (msg_id.strip().isascii() and msg_id.strip().isdigit() and len(msg_id.strip()) <= 64):
            raise _Reject("wrong-type", t("adapter.bad_id", name="MsgId", value=repr(msg_id[:40])))
        from_user = field("FromUserName")
        field("ToUserName")
        try:
            posted = datetime.fromtimestamp(int(create), tz=UTC)
        except (OverflowError, ValueError, OSError):
            raise _Reject("bad-timestamp", t("adapter.create_time_range", value=repr(create))) from None
        return RawPost(post_id=f"wechat-{msg_id.strip()}", channel="wechat", author=from_user[:64],
                       author_id=from_user, text=_text(field("Content"), "Content"), posted_at=posted)


def _json(payload: str | bytes) -> Any:
    """A bounded JSON payload, parsed; every way it can fail is a rejection with its reason."""
    if len(payload) > MAX_PAYLOAD:
        raise _Reject("too-large", t("adapter.payload_too_large", size=len(payload), limit=MAX_PAYLOAD))
    try:
        return json.loads(payload)
    except json.JSONDecodeError as exc:
        raise _Reject("malformed", t("adapter.not_json_at", error=exc.msg, line=exc.lineno, col=exc.colno)) from None
    except UnicodeDecodeError as exc:
        raise _Reject("malformed", t("adapter.not_utf8", error=exc.reason)) from None
    except ValueError as exc:
        raise _Reject("malformed", t("adapter.not_json", error=exc)) from None
    except RecursionError:  # '[[[[…' tens of thousands deep
        raise _Reject("malformed", t("adapter.too_deep")) from None
