"""The live service without HTTP: platform payloads in, the engine's decisions stored, deadlines fired.

One ``LiveService`` owns one ``Engine`` (its memory of open cases, rebuilt from the store at start-up), one
database and one clock.  Every change is one transaction: the post, the case's new state, the event with the
engine's decision (each effect with its trace) and the deadline rows commit together or not at all; when a
transaction fails the case's state in the engine is reloaded from the store, so memory never runs ahead of
what was stored.  A lock serialises the engine (it is not thread-safe); unique keys in the store (post id;
case, deadline kind and reminder flag) keep a second process from storing anything twice.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from xml.sax.saxutils import escape

import defusedxml.ElementTree as SafeET
from sqlalchemy import Connection, Engine, bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql as postgresql_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.exc import IntegrityError

from engine.adapters import AdapterResult, PostAdapter, RawPost
from engine.engine import Engine as PolicyEngine
from engine.errors import Problem, SourceError, listing
from engine.models import DeadlineReached, Decision, PostReceived, SetDeadline
from engine.policy import Policy

from . import store
from .clock import Clock, ScaledClock, SystemClock
from .config import LiveConfig
from .messages import t

__all__ = ["LiveService", "Answer", "signature", "Fired"]

ChannelName = Literal["wechat", "weibo"]


def signature(secret: str, timestamp: str, nonce: str) -> str:
    """WeChat's callback signature: SHA-1 of the token, timestamp and nonce sorted and joined (Weibo's push
    uses the same scheme with its own secret here)."""
    return hashlib.sha1("".join(sorted([secret, timestamp, nonce])).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Answer:
    """What the endpoint sends back: status, body, media type."""

    status: int
    body: str
    media_type: str = "application/json"


@dataclass(frozen=True)
class Fired:
    case_id: str
    kind: str
    reminder: bool
    due: datetime
    decision: Decision


# The intake path's statements, built once: SQLAlchemy compiles each once and caches it, so a post costs only
# its parameters (building ``insert(...).values(...)`` per row cost more than the database's own work).
_INSERT_POST = insert(store.posts)
_INSERT_EVENT = insert(store.events)
_INSERT_CASE = insert(store.cases)
_INSERT_DEADLINE = insert(store.deadlines)
_SELECT_ANSWER = select(store.posts.c.answer, store.posts.c.media_type) \
    .where(store.posts.c.post_id == bindparam("post_id"))
#: one statement per count: INSERT … ON CONFLICT DO UPDATE n = n + 1 (atomic, also between two processes)
_UPSERT_COUNT = {
    name: dialect.insert(store.intake_counts).on_conflict_do_update(
        index_elements=[store.intake_counts.c.channel, store.intake_counts.c.reason],
        set_={"n": store.intake_counts.c.n + 1})
    for name, dialect in (("sqlite", sqlite_dialect), ("postgresql", postgresql_dialect))}


def _json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


class LiveService:
    def __init__(self, policy_engine: PolicyEngine, db: Engine, config: LiveConfig,
                 clock: Clock | None = None, lang: str | None = None) -> None:
        self.engine = policy_engine
        self.db = db
        self.config = config
        self.lang = lang
        self.lock = threading.RLock()
        # remember=0: the adapter keeps no ids; the store decides what is a redelivery (it survives restarts)
        self.adapter = PostAdapter(remember=0)
        places = sorted(policy_engine.policy.places, key=lambda p: (-len(p), p))
        self._places = re.compile("|".join(map(re.escape, places))) if places else None
        if config.default_place is not None and config.default_place not in policy_engine.policy.place_owner:
            raise SourceError([Problem("config", None, None,
                                       t("config.unknown_place", place=config.default_place,
                                         known=listing(policy_engine.policy.places)),
                                       key="default_place", code="config")])
        known_units = policy_engine.policy.units
        bad = [u for u in config.unit_tokens if u not in known_units]
        if bad:
            raise SourceError([Problem("config", None, None,
                                       t("config.unknown_unit", unit=bad[0], known=listing(known_units)),
                                       key="unit_tokens", code="config")])
        store.migrate(db)
        self.clock: Clock = clock or self._clock()
        self._load_cases()

    @classmethod
    def open(cls, rules: str | Path, config: LiveConfig, clock: Clock | None = None,
             lang: str | None = None) -> LiveService:
        return cls(PolicyEngine(Policy.load(rules)), store.open_db(config.db), config, clock, lang)

    def close(self) -> None:
        self.engine.close()
        self.db.dispose()

    def _clock(self) -> Clock:
        """The wall clock, or the accelerated clock the configuration asks for, continued from the store."""
        cfg = self.config
        if cfg.clock_speed == 1.0 and cfg.clock_start is None:
            return SystemClock()
        with self.db.begin() as conn:
            row = conn.execute(select(store.meta.c.value).where(store.meta.c.key == "clock")).scalar()
            if row is None:
                clk = ScaledClock(cfg.clock_start or SystemClock().now(), cfg.clock_speed)
                conn.execute(insert(store.meta).values(key="clock", value=_json(
                    {"start": clk.start.isoformat(), "speed": clk.speed, "anchor": clk.anchor})))
                return clk
        kept = json.loads(row)
        start = datetime.fromisoformat(kept["start"])
        if kept["speed"] != cfg.clock_speed or (cfg.clock_start is not None and start != cfg.clock_start):
            raise SourceError([Problem("config", None, None, t(
                "config.clock_changed", start=kept["start"], speed=kept["speed"],
                cstart=cfg.clock_start.isoformat() if cfg.clock_start else "-", cspeed=cfg.clock_speed),
                key="clock_speed" if kept["speed"] != cfg.clock_speed else "clock_start", code="config")])
        return ScaledClock(start, kept["speed"], kept["anchor"])

    # -- state -------------------------------------------------------------------
    def _load_cases(self) -> None:
        with self.db.connect() as conn:
            for row in conn.execute(select(store.cases.c.state)):
                case = store.load_case(row.state)
                self.engine.cases[case.case_id] = case

    def _reload_case(self, case_id: str) -> None:
        """After a failed transaction: the engine's memory of ``case_id`` back to what the store holds."""
        self.engine.forget(case_id)
        with self.db.connect() as conn:
            state = conn.execute(select(store.cases.c.state).where(store.cases.c.case_id == case_id)).scalar()
        if state is not None:
            self.engine.cases[case_id] = store.load_case(state)

    def _save_case(self, conn: Connection, case_id: str, post_id: str, new: bool) -> None:
        case = self.engine.cases[case_id]
        values = dict(unit=case.unit, category=case.category, hot=case.hot, updated_at=store.stamp(self.clock.now()),
                      state=store.dump_case(case))
        if new:
            conn.execute(_INSERT_CASE, dict(case_id=case_id, post_id=post_id, opened_at=store.stamp(case.opened_at),
                                            **values))
        else:
            conn.execute(update(store.cases).where(store.cases.c.case_id == case_id).values(**values))

    def _append(self, conn: Connection, kind: str, case_id: str | None, at: datetime, event: Any,
                decision: Decision | None) -> None:
        conn.execute(_INSERT_EVENT, dict(
            case_id=case_id, kind=kind, at=store.stamp(at), recorded_at=store.stamp(self.clock.now()),
            event=_json(event), decision=_json(decision.model_dump(mode="json")) if decision is not None else None))

    def _deadline_rows(self, conn: Connection, case_id: str, decision: Decision) -> None:
        for eff in decision.of_type(SetDeadline):  # one row at a time: ids in the order set (ties fire so)
            conn.execute(_INSERT_DEADLINE, dict(case_id=case_id, kind=eff.deadline, reminder=False,
                                                due=store.stamp(eff.due)))
            if eff.remind_at is not None:
                conn.execute(_INSERT_DEADLINE, dict(case_id=case_id, kind=eff.deadline, reminder=True,
                                                    due=store.stamp(eff.remind_at)))

    def _count(self, channel: str, reason: str, conn: Connection | None = None) -> None:
        """One more request of ``channel`` with outcome ``reason``: one upsert, in ``conn``'s transaction when
        given (an accepted post is counted in the transaction that stores it), else in its own."""
        if conn is None:
            with self.db.begin() as own:
                self._count(channel, reason, own)
            return
        c = store.intake_counts.c
        upsert = _UPSERT_COUNT.get(conn.dialect.name)
        if upsert is not None:
            conn.execute(upsert, {"channel": channel, "reason": reason, "n": 1})
            return
        done = conn.execute(update(store.intake_counts).where(c.channel == channel, c.reason == reason)
                            .values(n=c.n + 1)).rowcount
        if not done:
            conn.execute(insert(store.intake_counts).values(channel=channel, reason=reason, n=1))

    def counts(self) -> dict[str, dict[str, int]]:
        """Requests by channel and outcome (``accepted``, ``retry`` or the reason they were refused)."""
        out: dict[str, dict[str, int]] = {}
        with self.db.connect() as conn:
            for row in conn.execute(select(store.intake_counts)):
                out.setdefault(row.channel, {})[row.reason] = row.n
        return out

    # -- requests ----------------------------------------------------------------
    def secret(self, channel: ChannelName) -> str | None:
        s = self.config.wechat_token if channel == "wechat" else self.config.weibo_secret
        return s.get_secret_value() if s is not None else None

    def check_signature(self, channel: ChannelName, sig: str | None, timestamp: str | None,
                        nonce: str | None) -> Answer | None:
        """None when the request is signed with the channel's secret and fresh; else the 403 (counted)."""
        secret = self.secret(channel)
        if secret is None:
            return Answer(404, _json({"error": "not-configured", "detail": t("answer.not_configured", lang=self.lang)}))
        if not (sig and timestamp is not None and nonce is not None
                and hmac.compare_digest(signature(secret, timestamp, nonce), sig.lower())):
            self.refuse(channel, "bad-signature")
            return Answer(403, _json({"error": "bad-signature", "detail": t("answer.bad_signature", lang=self.lang)}))
        ts = timestamp.strip()
        now = self.clock.now().timestamp()
        if not (ts.isascii() and ts.isdigit() and len(ts) <= 12) or abs(now - int(ts)) > self.config.stale_seconds:
            self.refuse(channel, "stale")
            return Answer(403, _json({"error": "stale", "detail": t("answer.stale", lang=self.lang)}))
        return None

    def refuse(self, channel: str, reason: str) -> None:
        with self.lock:
            self._count(channel, reason)

    def too_large(self, channel: ChannelName) -> Answer:
        self.refuse(channel, "too-large")
        return Answer(413, _json({"error": "too-large",
                                  "detail": t("answer.too_large", lang=self.lang, limit=self.config.max_body)}))

    def locate(self, post: RawPost) -> str | None:
        """The policy's place the text names (the longest, first in reading order), else the default place."""
        m = self._places.search(post.text) if self._places is not None else None
        return m.group(0) if m else self.config.default_place

    def intake(self, channel: ChannelName, body: bytes) -> Answer:
        """One delivery of a platform message, already authenticated and size-checked."""
        with self.lock:
            result: AdapterResult = self.adapter.wechat(body) if channel == "wechat" else self.adapter.weibo(body)
            if result.post is None:
                reason = result.reason or "malformed"
                self._count(channel, reason)
                return Answer(400, _json({"error": reason, "detail": result.detail}))
            post = result.post
            stored = self._stored_answer(post.post_id)
            if stored is not None:
                self._count(channel, "retry")
                return stored
            try:
                answer = self._open(channel, post, body)
            except IntegrityError:  # another process stored this post between our look and our insert
                stored = self._stored_answer(post.post_id)
                if stored is None:
                    raise
                self._count(channel, "retry")
                return stored
            return answer

    def _stored_answer(self, post_id: str) -> Answer | None:
        with self.db.connect() as conn:
            row = conn.execute(_SELECT_ANSWER, {"post_id": post_id}).first()
        return Answer(200, row.answer, row.media_type) if row is not None else None

    def _open(self, channel: ChannelName, raw: RawPost, body: bytes) -> Answer:
        now = self.clock.now()
        place = self.locate(raw)
        case_id = raw.post_id if place is not None else None
        text = t("answer.received", lang=self.lang, case=case_id) if case_id is not None else \
            t("answer.unlocated", lang=self.lang, post=raw.post_id)
        answer = self._answer(channel, raw, body, case_id, text, now)
        try:
            with self.db.begin() as conn:
                conn.execute(_INSERT_POST, dict(post_id=raw.post_id, channel=channel, case_id=case_id,
                                                received_at=store.stamp(now), answer=answer.body,
                                                media_type=answer.media_type))
                self._count(channel, "accepted", conn)
                if place is None or case_id is None:
                    self._append(conn, "post_unlocated", None, now, raw.model_dump(mode="json"), None)
                    return answer
                event = PostReceived(case_id=case_id, at=now, post=raw.at_place(place))
                decision = self.engine.handle(event)
                self._append(conn, event.type, case_id, now, event.model_dump(mode="json"), decision)
                self._save_case(conn, case_id, raw.post_id, new=True)
                self._deadline_rows(conn, case_id, decision)
        except BaseException:
            if case_id is not None:
                self._reload_case(case_id)
            raise
        return answer

    def _answer(self, channel: ChannelName, raw: RawPost, body: bytes, case_id: str | None, text: str,
                now: datetime) -> Answer:
        if channel == "weibo":
            return Answer(200, _json({"result": "accepted" if case_id else "unlocated", "post_id": raw.post_id,
                                      "case_id": case_id, "message": text}))
        # WeChat's passive reply: a text message back to the sender (the adapter has already vetted the XML)
        root = SafeET.fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
        to_user = root.findtext("ToUserName") or ""
        xml = (f"<xml><ToUserName>{escape(raw.author_id)}</ToUserName><FromUserName>{escape(to_user)}</FromUserName>"
               f"<CreateTime>{int(now.timestamp())}</CreateTime><MsgType>text</MsgType><Content>{escape(text)}</Content></xml>")
        return Answer(200, xml, "application/xml")

    # -- clocks ------------------------------------------------------------------
    def next_due(self) -> datetime | None:
        with self.db.connect() as conn:
            due = conn.execute(select(func.min(store.deadlines.c.due))
                               .where(store.deadlines.c.fired_at.is_(None))).scalar()
        return store.unstamp(due) if due is not None else None

    def fire_due(self) -> list[Fired]:
        """Fire every deadline due by now, in due order, each at its own due time, each exactly once."""
        fired: list[Fired] = []
        with self.lock:
            now = self.clock.now()
            with self.db.connect() as conn:
                rows = conn.execute(select(store.deadlines)
                                    .where(store.deadlines.c.fired_at.is_(None),
                                           store.deadlines.c.due <= store.stamp(now))
                                    .order_by(store.deadlines.c.due, store.deadlines.c.id)).all()
            for row in rows:
                f = self._fire(row.id, row.case_id, row.kind, bool(row.reminder), store.unstamp(row.due))
                if f is not None:
                    fired.append(f)
        return fired

    def _fire(self, row_id: int, case_id: str, kind: str, reminder: bool, due: datetime) -> Fired | None:
        event = DeadlineReached(case_id=case_id, at=due, deadline=kind, reminder=reminder)  # type: ignore[arg-type]
        try:
            with self.db.begin() as conn:
                claimed = conn.execute(update(store.deadlines)
                                       .where(store.deadlines.c.id == row_id, store.deadlines.c.fired_at.is_(None))
                                       .values(fired_at=store.stamp(self.clock.now()))).rowcount
                if claimed != 1:  # another process fired it first
                    return None
                decision = self.engine.handle(event)
                self._append(conn, event.type, case_id, due, event.model_dump(mode="json"), decision)
                self._save_case(conn, case_id, "", new=False)
        except BaseException:
            self._reload_case(case_id)
            raise
        return Fired(case_id, kind, reminder, due, decision)
