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
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, get_args
from xml.sax.saxutils import escape

import defusedxml.ElementTree as SafeET
from sqlalchemy import Connection, Engine, bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql as postgresql_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.exc import IntegrityError

from engine.adapters import AdapterResult, PostAdapter, RawPost
from engine.engine import CaseState
from engine.engine import Engine as PolicyEngine
from engine.errors import CalendarError, SourceError, WenzhengError, listing
from engine.i18n import get_lang, lang_scope
from engine.models import (
    DeadlineReached,
    Decision,
    FollowUpPosted,
    PostReceived,
    ReplyFiled,
    ReplyKind,
    RepostsUpdated,
    SetDeadline,
    StatementIssued,
)
from engine.policy import Policy

from . import store
from .auth import Refusal, Role, allowed
from .clock import Clock, ScaledClock, SystemClock
from .config import LiveConfig
from .messages import t

__all__ = ["LiveService", "CASE_ACTIONS", "Answer", "signature", "Fired", "BAD_JSON", "REPLY_KINDS", "PROMISE_KIND", "Idem",
           "body_sha256", "render"]

ChannelName = Literal["wechat", "weibo"]

#: the four kinds of reply a unit files, in the order the pages offer them
REPLY_KINDS: tuple[str, ...] = get_args(ReplyKind)
#: the kind that promises a fix by a date (``promise_due``)
PROMISE_KIND = "近期解决"
#: the largest repost count the desk may enter
MAX_REPOSTS = 10**9
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
#: a request body that is not JSON (the actions answer 422 for it, after the checks that come first)
BAD_JSON: Any = object()
#: the events of posts stored without a case, for the desk: not located, or held (the calendar ran out)
_WAITING = ("post_unlocated", "post_held")
#: the service warns when its calendar ends within this many days of its clock
CALENDAR_WARN_DAYS = 60

log = logging.getLogger("wenzheng.live")


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


@dataclass
class Idem:
    """An ``Idempotency-Key`` and the request it came with (docs/live.md, "Idempotency keys").  The action
    stores its answer under (role, key) in its own transaction; a repeat with the same action, case and body
    gets that answer (``replayed``) and acts no second time; the same key with another request is refused 422."""

    key: str
    body_sha256: str
    answer: Answer | None = None  # set once the action was taken or its stored answer found
    replayed: bool = False


def render(result: Any) -> str:
    """An API answer as JSON text, exactly as Starlette's ``JSONResponse`` renders it (so answers with and
    without a key are the same bytes)."""
    return json.dumps(result, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":"))


def body_sha256(body: Any) -> str:
    """Hex SHA-256 of a request body as canonical JSON (keys sorted, no spaces): the same request sent with
    other spacing or key order has the same hash.  A body that is not JSON hashes as a marker of its own."""
    text = "\0not-json" if body is BAD_JSON else json.dumps(body, ensure_ascii=False, sort_keys=True,
                                                            separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


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


#: the actions on a case, as the API's and the pages' paths name them → ``LiveService.perform``'s action
CASE_ACTIONS = {"confirm": "confirm", "reroute": "reroute", "statement": "statement", "reply": "reply",
                "reposts": "reposts", "follow-up": "follow_up"}


class LiveService:
    def __init__(self, policy_engine: PolicyEngine, db: Engine, config: LiveConfig,
                 clock: Clock | None = None, lang: str | None = None) -> None:
        #: deadline row id → why it could not fire (kept unfired; retried after a restart)
        self.held_deadlines: dict[int, dict[str, Any]] = {}
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
            raise SourceError([config.origins.problem(t("config.unknown_place", place=config.default_place,
                                                        known=listing(policy_engine.policy.places)),
                                                      "default_place")])
        known_units = policy_engine.policy.units
        bad = [u for u in config.unit_tokens if u not in known_units]
        if bad:
            raise SourceError([config.origins.problem(t("config.unknown_unit", unit=unit, known=listing(known_units)),
                                                      "unit_tokens", unit) for unit in bad])
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
        with self.db.begin() as conn:
            row = conn.execute(select(store.meta.c.value).where(store.meta.c.key == "clock")).scalar()
            if row is None and cfg.clock_speed == 1.0 and cfg.clock_start is None:
                return SystemClock()
            if row is None:
                clk = ScaledClock(cfg.clock_start or SystemClock().now(), cfg.clock_speed)
                conn.execute(insert(store.meta).values(key="clock", value=_json(
                    {"start": clk.start.isoformat(), "speed": clk.speed, "anchor": clk.anchor})))
                return clk
        kept = json.loads(row)
        start = datetime.fromisoformat(kept["start"])
        if kept["speed"] != cfg.clock_speed or (cfg.clock_start is not None and start != cfg.clock_start):
            raise SourceError([cfg.origins.problem(t(
                "config.clock_changed", start=kept["start"], speed=kept["speed"],
                cstart=cfg.clock_start.isoformat() if cfg.clock_start else "-", cspeed=cfg.clock_speed),
                "clock_speed" if kept["speed"] != cfg.clock_speed else "clock_start")])
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
        # stale_seconds is real time (network delay, replays): on an accelerated clock it spans speed × as many
        # seconds of the service's clock
        window = self.config.stale_seconds * getattr(self.clock, "speed", 1.0)
        if not (ts.isascii() and ts.isdigit() and len(ts) <= 12) or abs(now - int(ts)) > window:
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
            with lang_scope(self.lang):  # the adapters' refusal details, in the service's language
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
        now = self._now()
        # the platform's time (WeChat's CreateTime, Weibo's created_at) in the policy's zone, as every time stored
        raw = raw.model_copy(update={"posted_at": raw.posted_at.astimezone(self.engine.calendar.tz)})
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
        except CalendarError as exc:  # its deadlines cannot be computed: rolled back, then stored as held
            if case_id is not None:
                self._reload_case(case_id)
            return self._hold(channel, raw, body, place, str(exc), now)
        except BaseException:
            if case_id is not None:
                self._reload_case(case_id)
            raise
        return answer

    def _hold(self, channel: ChannelName, raw: RawPost, body: bytes, place: str | None, reason: str,
              now: datetime) -> Answer:
        """A post the engine could not open a case for because the calendar has no data for its deadlines: the
        post and a ``post_held`` event with the reason are stored (no case, no deadlines), the sender is
        answered 200 like for an unlocated post, and the desk lists it with the unlocated posts."""
        answer = self._answer(channel, raw, body, None, t("answer.held", lang=self.lang, post=raw.post_id), now,
                              result="held")
        with self.db.begin() as conn:
            conn.execute(_INSERT_POST, dict(post_id=raw.post_id, channel=channel, case_id=None,
                                            received_at=store.stamp(now), answer=answer.body,
                                            media_type=answer.media_type))
            self._count(channel, "held-calendar", conn)
            self._append(conn, "post_held", None, now,
                         {**raw.model_dump(mode="json"), "held": {"place": place, "reason": reason}}, None)
        log.error(t("log.post_held", post=raw.post_id, reason=reason))
        return answer

    def _answer(self, channel: ChannelName, raw: RawPost, body: bytes, case_id: str | None, text: str,
                now: datetime, result: str | None = None) -> Answer:
        if channel == "weibo":
            result = result or ("accepted" if case_id else "unlocated")
            return Answer(200, _json({"result": result, "post_id": raw.post_id, "case_id": case_id,
                                      "message": text}))
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
                               .where(store.deadlines.c.fired_at.is_(None),
                                      store.deadlines.c.id.not_in(list(self.held_deadlines)))).scalar()
        return store.unstamp(due) if due is not None else None

    def fire_due(self) -> list[Fired]:
        """Fire every deadline due by now, in due order, each at its own due time, each exactly once.

        A firing the engine refuses (e.g. a ``CalendarError``) is rolled back and kept unfired in
        ``held_deadlines`` (shown on /status): the others fire; it is tried again after a restart."""
        fired: list[Fired] = []
        with self.lock:
            now = self.clock.now()
            with self.db.connect() as conn:
                rows = conn.execute(select(store.deadlines)
                                    .where(store.deadlines.c.fired_at.is_(None),
                                           store.deadlines.c.due <= store.stamp(now))
                                    .order_by(store.deadlines.c.due, store.deadlines.c.id)).all()
            for row in rows:
                if row.id in self.held_deadlines:
                    continue
                due = store.unstamp(row.due).astimezone(self.engine.calendar.tz)  # events in the policy's zone
                try:
                    f = self._fire(row.id, row.case_id, row.kind, bool(row.reminder), due)
                except WenzhengError as exc:
                    # a new dict, never changed in place: /status reads it without the lock
                    self.held_deadlines = {**self.held_deadlines, row.id: {
                        "case_id": row.case_id, "kind": row.kind, "reminder": bool(row.reminder),
                        "due": self._local(due), "reason": str(exc)}}
                    log.error(t("log.deadline_held", case=row.case_id, kind=row.kind, due=self._local(due),
                                reason=exc))
                    continue
                if f is not None:
                    fired.append(f)
        return fired

    def _now(self) -> datetime:
        """The clock's time in the policy's time zone: the time of the events the service records and answers
        with (``+08:00``, as the case fields; the store's own columns stay UTC text)."""
        return self.clock.now().astimezone(self.engine.calendar.tz)

    def calendar_through(self) -> date:
        """The last day the policy's calendar has data for."""
        return self.engine.calendar.last_day

    def calendar_warning(self) -> str | None:
        """A warning when the calendar ends within ``CALENDAR_WARN_DAYS`` days of the service's clock."""
        through = self.calendar_through()
        today = self.clock.now().astimezone(self.engine.calendar.tz).date()
        if through - today > timedelta(days=CALENDAR_WARN_DAYS):
            return None
        key = "log.calendar_ends" if through >= today else "log.calendar_ended"
        return t(key, through=through.isoformat(), today=today.isoformat(), days=(through - today).days,
                 next=through.year + 1)

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

    # -- the desk, the units, the supervisors (issue 13, point 4) ----------------
    # Each action: the role may take it at all (403), the case exists and the role may see it (404: a unit never
    # learns that another unit's case exists), the body is valid (422), the case is in a state the action fits
    # (409); then one transaction: the event (with ``by`` and the engine's decision when the engine handled it),
    # the case row, new deadline rows.  The API and the pages both call these.

    def require(self, role: Role, action: str) -> None:
        if not allowed(role, action):  # in words, without the action's or the role's internal name
            raise Refusal(403, "forbidden", t("api.forbidden", lang=self.lang, role=t(f"role.{role.kind}", lang=self.lang),
                                              action=t(f"action.{action}", lang=self.lang)))

    def _visible(self, role: Role, case_id: str) -> CaseState:
        case = self.engine.cases.get(case_id)
        if case is None or not role.sees(case.unit):
            raise Refusal(404, "not-found", t("api.no_case", lang=self.lang, case=case_id))
        return case

    def _invalid(self, key: str, /, **values: Any) -> Refusal:
        return Refusal(422, "invalid", t(key, lang=self.lang, **values))

    def _conflict(self, key: str, /, **values: Any) -> Refusal:
        return Refusal(409, "conflict", t(key, lang=self.lang, **values))

    def _object(self, body: Any) -> dict[str, Any]:
        if body is BAD_JSON:
            raise self._invalid("api.bad_json")
        if not isinstance(body, dict):
            raise self._invalid("api.not_object")
        return body

    def _text(self, body: dict[str, Any], key: str, required: bool, limit: int = 500) -> str | None:
        value = body.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, str) or (required and not value.strip()) or len(value) > limit:
            raise self._invalid("api.bad_text", key=key, limit=limit)
        return value.strip()

    def _local(self, when: datetime | None) -> str | None:
        return when.astimezone(self.engine.calendar.tz).isoformat() if when is not None else None

    def _local_stamp(self, text: str | None) -> str | None:
        return self._local(store.unstamp(text)) if text is not None else None

    def _case_json(self, row: Any, fired: dict[str, bool]) -> dict[str, Any]:
        case = store.load_case(row.state)
        return {
            "case_id": case.case_id, "post_id": row.post_id, "channel": case.channel, "text": case.text,
            "place": case.place, "category": case.category, "unit": case.unit, "hot": case.hot,
            "opened_at": self._local(case.opened_at), "confirmed_at": self._local_stamp(row.confirmed_at),
            "replied_at": self._local(case.replied_at), "reply_kind": case.reply_kind or None,
            "promise_due": row.promise_due, "statement_at": self._local(case.statement_at),
            "escalations": case.escalations, "reposts": case.reposts, "followups": case.followups,
            "deadlines": {kind: {"due": self._local(d.due), "remind_at": self._local(d.remind_at),
                                 "fired": fired.get(kind, False)} for kind, d in sorted(case.deadlines.items())},
        }

    def _fired(self, conn: Connection, case_id: str | None) -> dict[str, dict[str, bool]]:
        """Per case, per deadline kind: whether the deadline itself (not its reminder) has fired."""
        q = select(store.deadlines.c.case_id, store.deadlines.c.kind, store.deadlines.c.fired_at) \
            .where(store.deadlines.c.reminder.is_(False))
        if case_id is not None:
            q = q.where(store.deadlines.c.case_id == case_id)
        out: dict[str, dict[str, bool]] = {}
        for r in conn.execute(q):
            out.setdefault(r.case_id, {})[r.kind] = r.fired_at is not None
        return out

    def case_json(self, case_id: str) -> dict[str, Any]:
        with self.db.connect() as conn:
            return self._case_in(conn, case_id)

    def _case_in(self, conn: Connection, case_id: str) -> dict[str, Any]:
        """The case as the API shows it, read in ``conn`` (inside a transaction: with what it has written)."""
        row = conn.execute(select(store.cases).where(store.cases.c.case_id == case_id)).one()
        return self._case_json(row, self._fired(conn, case_id).get(case_id, {}))

    # -- idempotency keys ----------------------------------------------------------------------------------
    def perform(self, role: Role, action: str, target: str, body: Any,
                key: str | None = None) -> tuple[Answer, bool]:
        """An action of the API (``confirm`` … ``follow_up``, ``locate``) on ``target`` (a case, or the post to
        locate): its answer, and whether it is the stored answer of an earlier request with the same
        ``Idempotency-Key`` (nothing done this time).  Without a key: as the action alone."""
        fn: Callable[..., dict[str, Any]] = {
            "confirm": self.confirm, "reroute": self.reroute, "statement": self.statement, "reply": self.reply,
            "reposts": self.reposts, "follow_up": self.follow_up, "locate": self.locate_post}[action]
        if key is None:
            return Answer(200, render(fn(role, target, body))), False
        idem = Idem(key, body_sha256(body))
        fn(role, target, body, idem=idem)
        assert idem.answer is not None
        return idem.answer, idem.replayed

    def _replay(self, role: Role, action: str, target: str, idem: Idem | None) -> bool:
        """True when ``idem`` was used before by this role for this very request: ``idem.answer`` is then the
        answer stored with it (counted as ``replay``).  The same key with another action, case or body: 422."""
        if idem is None:
            return False
        k = store.idempotency_keys.c
        with self.db.connect() as conn:
            row = conn.execute(select(store.idempotency_keys).where(k.role == role.name, k.key == idem.key)).first()
        if row is None:
            return False
        if (row.action, row.target, row.body_sha256) != (action, target, idem.body_sha256):
            raise Refusal(422, "idempotency-key-reused", t(
                "api.key_reused", lang=self.lang, key=idem.key, target=row.target,
                action=t(f"action.{row.action}", lang=self.lang)))
        idem.answer, idem.replayed = Answer(row.status, row.answer), True
        self._count("api", "replay")
        return True

    def _keep(self, conn: Connection, role: Role, action: str, target: str, idem: Idem | None,
              result: dict[str, Any], now: datetime) -> None:
        """Store the answer under the request's key, in the action's own transaction (nothing without a key)."""
        if idem is None:
            return
        idem.answer = Answer(200, render(result))
        conn.execute(insert(store.idempotency_keys).values(
            role=role.name, key=idem.key, action=action, target=target, body_sha256=idem.body_sha256,
            status=idem.answer.status, answer=idem.answer.body, created_at=store.stamp(now)))

    def list_cases(self, role: Role, open_only: bool = False) -> list[dict[str, Any]]:
        """The cases the role may see (a unit: its own), oldest first; ``open_only``: those with no reply yet."""
        self.require(role, "list_cases")
        q = select(store.cases).order_by(store.cases.c.opened_at, store.cases.c.case_id)
        if role.kind == "unit":
            q = q.where(store.cases.c.unit == role.unit)
        with self.db.connect() as conn:
            fired = self._fired(conn, None)
            out = [self._case_json(row, fired.get(row.case_id, {})) for row in conn.execute(q)]
        return [c for c in out if not (open_only and c["replied_at"] is not None)]

    def read_case(self, role: Role, case_id: str) -> dict[str, Any]:
        """``{"case": …, "events": [{seq, kind, at, event, decision}]}`` for a case the role may see."""
        self.require(role, "read_case")
        with self.lock:
            self._visible(role, case_id)
        with self.db.connect() as conn:
            rows = conn.execute(select(store.events).where(store.events.c.case_id == case_id)
                                .order_by(store.events.c.seq)).all()
        events = [{"seq": r.seq, "kind": r.kind, "at": self._local_stamp(r.at), "event": json.loads(r.event),
                   "decision": json.loads(r.decision) if r.decision is not None else None} for r in rows]
        return {"case": self.case_json(case_id), "events": events}

    def _act(self, role: Role, action: str, case_id: str, body: Any,
             step: Callable[[Connection, CaseState, dict[str, Any], datetime], Decision | None],
             idem: Idem | None = None) -> dict[str, Any]:
        """The checks every action on a case makes, then ``step`` in one transaction (see the section's comment);
        ``step`` validates the body and the case's state (raising before it changes anything) and records.
        With an idempotency key: an earlier answer under it is replayed (nothing done; ``idem.answer``), else
        the answer is stored under it in the same transaction."""
        self.require(role, action)
        with self.lock:
            if self._replay(role, action, case_id, idem):
                return {}
            case = self._visible(role, case_id)
            data = self._object(body)
            now = self._now()
            try:
                with self.db.begin() as conn:
                    decision = step(conn, case, data, now)
                    self._save_case(conn, case_id, "", new=False)
                    result = {"case": self._case_in(conn, case_id),
                              "decision": decision.model_dump(mode="json") if decision is not None else None}
                    self._keep(conn, role, action, case_id, idem, result, now)
            except CalendarError as exc:  # e.g. turned hot: deadlines past the calendar (docs/live.md)
                self._reload_case(case_id)
                raise self._conflict("api.calendar", reason=exc) from None
            except IntegrityError:
                self._reload_case(case_id)
                if self._replay(role, action, case_id, idem):  # another process took this key first
                    return {}
                raise
            except BaseException:
                self._reload_case(case_id)
                raise
            return result

    def _engine_event(self, conn: Connection, role: Role, event: Any, **extra: Any) -> Decision:
        decision = self.engine.handle(event)
        self._append(conn, event.type, event.case_id, event.at,
                     {**event.model_dump(mode="json"), "by": role.name, **extra}, decision)
        self._deadline_rows(conn, event.case_id, decision)
        return decision

    def confirm(self, role: Role, case_id: str, body: Any, idem: Idem | None = None) -> dict[str, Any]:
        """The desk confirms the form as routed (``desk_confirmed``); once per case."""
        def step(conn: Connection, case: CaseState, data: dict[str, Any], now: datetime) -> None:
            reason = self._text(data, "reason", required=False)
            confirmed = conn.execute(select(store.cases.c.confirmed_at)
                                     .where(store.cases.c.case_id == case_id)).scalar()
            if confirmed is not None:
                raise self._conflict("api.already_confirmed", case=case_id)
            self._append(conn, "desk_confirmed", case_id, now, {"type": "desk_confirmed", "case_id": case_id,
                         "at": now.isoformat(), "by": role.name, "unit": case.unit, "reason": reason}, None)
            conn.execute(update(store.cases).where(store.cases.c.case_id == case_id)
                         .values(confirmed_at=store.stamp(now)))
        return self._act(role, "confirm", case_id, body, step, idem)

    def reroute(self, role: Role, case_id: str, body: Any, idem: Idem | None = None) -> dict[str, Any]:
        """The desk sends the form to another unit, with a reason (``desk_rerouted``): later reminders,
        escalations and deductions name the new unit."""
        def step(conn: Connection, case: CaseState, data: dict[str, Any], now: datetime) -> None:
            unit = data.get("unit")
            if not isinstance(unit, str) or unit not in self.engine.policy.units:
                raise self._invalid("api.unknown_unit", unit=unit, known=listing(self.engine.policy.units))
            reason = self._text(data, "reason", required=True)
            if case.replied_at is not None:
                raise self._conflict("api.already_replied", case=case_id)
            if unit == case.unit:
                raise self._conflict("api.same_unit", case=case_id, unit=unit)
            self._append(conn, "desk_rerouted", case_id, now, {"type": "desk_rerouted", "case_id": case_id,
                         "at": now.isoformat(), "by": role.name, "from": case.unit, "to": unit, "reason": reason},
                         None)
            case.unit = unit
        return self._act(role, "reroute", case_id, body, step, idem)

    def statement(self, role: Role, case_id: str, body: Any, idem: Idem | None = None) -> dict[str, Any]:
        """The desk records the external statement (对外口径): engine ``StatementIssued``.  Only on a hot event:
        the statement is the 2-hour answer the policy asks of a case it marked hot; on any other case it would
        count as a statement no deadline asked for, so it is refused (409) until the case turns hot."""
        def step(conn: Connection, case: CaseState, data: dict[str, Any], now: datetime) -> Decision:
            if case.statement_at is not None:
                raise self._conflict("api.already_stated", case=case_id)
            if not case.hot:
                raise self._conflict("api.not_hot", case=case_id)
            return self._engine_event(conn, role, StatementIssued(case_id=case_id, at=now))
        return self._act(role, "statement", case_id, body, step, idem)

    def reply(self, role: Role, case_id: str, body: Any, idem: Idem | None = None) -> dict[str, Any]:
        """The case's unit files its reply (engine ``ReplyFiled``); 近期解决 needs the promised date."""
        def step(conn: Connection, case: CaseState, data: dict[str, Any], now: datetime) -> Decision:
            kind = data.get("kind")
            kinds = ("、" if (self.lang or get_lang()) == "zh" else ", ").join(REPLY_KINDS)  # in the pages' order
            if kind is None or (isinstance(kind, str) and not kind.strip()):
                raise self._invalid("api.reply_kind_missing", known=kinds)
            if kind not in REPLY_KINDS:
                raise self._invalid("api.bad_reply_kind", kind=kind, known=kinds)
            promise = data.get("promise_due")
            if kind == PROMISE_KIND:
                if promise is None or (isinstance(promise, str) and not promise.strip()):
                    raise self._invalid("api.promise_needed", kind=kind)
                try:
                    if not isinstance(promise, str) or not _DATE.fullmatch(promise):
                        raise ValueError(promise)
                    due = date.fromisoformat(promise)
                except ValueError:  # there, but not a date written YYYY-MM-DD (2015/12/01, 2015-02-30, 20151201)
                    raise self._invalid("api.promise_format", value=f"{promise!s:.40}") from None
                today = now.astimezone(self.engine.calendar.tz).date()
                if due < today:
                    raise self._invalid("api.promise_past", date=promise, today=today.isoformat())
            elif promise is not None:
                raise self._invalid("api.promise_only", kind=kind, promise_kind=PROMISE_KIND)
            if case.replied_at is not None:
                raise self._conflict("api.already_replied", case=case_id)
            decision = self._engine_event(conn, role, ReplyFiled(case_id=case_id, at=now, reply_kind=kind),
                                          promise_due=promise)
            if promise is not None:
                conn.execute(update(store.cases).where(store.cases.c.case_id == case_id).values(promise_due=promise))
            return decision
        return self._act(role, "reply", case_id, body, step, idem)

    def reposts(self, role: Role, case_id: str, body: Any, idem: Idem | None = None) -> dict[str, Any]:
        """The desk enters the platform's repost count (engine ``RepostsUpdated``; it may turn the case hot)."""
        def step(conn: Connection, case: CaseState, data: dict[str, Any], now: datetime) -> Decision:
            n = data.get("reposts")
            if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= MAX_REPOSTS:
                raise self._invalid("api.bad_reposts", limit=MAX_REPOSTS)
            return self._engine_event(conn, role, RepostsUpdated(case_id=case_id, at=now, reposts=n))
        return self._act(role, "reposts", case_id, body, step, idem)

    def follow_up(self, role: Role, case_id: str, body: Any, idem: Idem | None = None) -> dict[str, Any]:
        """The desk links a citizen's follow-up post to the case (engine ``FollowUpPosted``)."""
        def step(conn: Connection, case: CaseState, data: dict[str, Any], now: datetime) -> Decision:
            text = self._text(data, "text", required=True, limit=5000)
            return self._engine_event(conn, role, FollowUpPosted(case_id=case_id, at=now, text=text))
        return self._act(role, "follow_up", case_id, body, step, idem)

    def _unlocated(self, conn: Connection) -> dict[str, RawPost]:
        waiting = set(conn.execute(select(store.posts.c.post_id).where(store.posts.c.case_id.is_(None))).scalars())
        out: dict[str, RawPost] = {}
        if waiting:
            for ev in conn.execute(select(store.events.c.event).where(store.events.c.kind.in_(_WAITING))
                                   .order_by(store.events.c.seq)).scalars():
                data = json.loads(ev)
                data.pop("held", None)  # post_held: where and why it was held
                if data["post_id"] in waiting:
                    out[data["post_id"]] = RawPost.model_validate(data)
        return out

    def _held_posts(self, conn: Connection) -> dict[str, dict[str, Any]]:
        """Posts held because the calendar could not compute their deadlines: post id → place and reason."""
        return {data["post_id"]: data["held"] for data in map(json.loads, conn.execute(
            select(store.events.c.event).where(store.events.c.kind == "post_held")).scalars())}

    def list_posts(self, role: Role) -> list[dict[str, Any]]:
        """Posts waiting for the desk to say where they are, oldest first."""
        self.require(role, "list_posts")
        with self.db.connect() as conn:
            received = {r.post_id: r.received_at for r in conn.execute(
                select(store.posts.c.post_id, store.posts.c.received_at).where(store.posts.c.case_id.is_(None)))}
            raws = self._unlocated(conn)
            held = self._held_posts(conn)
        return [{"post_id": p, "channel": raws[p].channel, "received_at": self._local_stamp(received[p]),
                 "text": raws[p].text, **({"held": held[p]} if p in held else {})}
                for p in sorted(raws, key=lambda p: (received[p], p))]

    def locate_post(self, role: Role, post_id: str, body: Any, idem: Idem | None = None) -> dict[str, Any]:
        """The desk says where an unlocated post is: its case opens now (engine ``PostReceived``)."""
        self.require(role, "locate")
        with self.lock:
            if self._replay(role, "locate", post_id, idem):
                return {}
            with self.db.connect() as conn:
                row = conn.execute(select(store.posts.c.case_id).where(store.posts.c.post_id == post_id)).first()
                raw = self._unlocated(conn).get(post_id) if row is not None and row.case_id is None else None
            if row is None or (row.case_id is None and raw is None):
                raise Refusal(404, "not-found", t("api.no_post", lang=self.lang, post=post_id))
            data = self._object(body)
            place = data.get("place")
            if not isinstance(place, str) or place not in self.engine.policy.place_owner:
                raise self._invalid("api.unknown_place", place=place, known=listing(self.engine.policy.places))
            if raw is None or post_id in self.engine.cases:
                raise self._conflict("api.already_located", post=post_id)
            now = self._now()
            try:
                with self.db.begin() as conn:
                    claimed = conn.execute(update(store.posts).where(store.posts.c.post_id == post_id,
                                                                     store.posts.c.case_id.is_(None))
                                           .values(case_id=post_id)).rowcount
                    if claimed != 1:
                        raise self._conflict("api.already_located", post=post_id)
                    decision = self._engine_event(conn, role, PostReceived(case_id=post_id, at=now,
                                                                           post=raw.at_place(place)))
                    self._save_case(conn, post_id, post_id, new=True)
                    result = {"case": self._case_in(conn, post_id), "decision": decision.model_dump(mode="json")}
                    self._keep(conn, role, "locate", post_id, idem, result, now)
            except CalendarError as exc:  # a held post located before the calendar was extended
                self._reload_case(post_id)
                raise self._conflict("api.calendar", reason=exc) from None
            except IntegrityError:
                self._reload_case(post_id)
                if self._replay(role, "locate", post_id, idem):  # another process took this key first
                    return {}
                raise
            except BaseException:
                self._reload_case(post_id)
                raise
            return result
