"""``wenzheng drive``: a scenario's platforms, citizens, desk and units sent to a running service over HTTP.

Two halves.  The **timeline** (pure, no HTTP): the scenario is simulated in-process with its own rules and
seed, and everything the simulation hands its engine is recorded in time order — each post that became a form
(with the platform payload the simulator built for it and where its desk located it), each reply (kind,
promise date), statement, repost count and follow-up.  ``DeadlineReached`` is not recorded: the service fires
its own deadlines.  The **sender** (asyncio, one keep-alive ``httpx.AsyncClient``, bounded concurrency) sends
each item when the service's clock reaches the item's simulated time, signed like the platform (posts) or with
the role's token (the desk's and units' acts through the JSON API), then reads the service's own totals
(``GET /api/supervision``) and compares them with the simulator's for the same seed, within tolerances derived
from the timing jitter (``tolerances``).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import re
import secrets
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from engine.errors import WenzhengError
from engine.i18n import display_width, pad
from engine.messages import os_reason
from engine.models import (
    DeadlineReached,
    Deduct,
    Escalate,
    FollowUpPosted,
    PostReceived,
    ReplyFiled,
    RepostsUpdated,
    Route,
    StatementIssued,
)
from simulator.labels import metric_name

from .messages import t

__all__ = ["Item", "Timeline", "build_timeline", "sim_totals", "tolerances", "compare", "DriveError",
           "DriveResult", "drive", "format_report", "report_json", "service_place", "EXPECTED_JITTER",
           "COMPARED", "OUTAGE_WAIT", "announce", "check_config", "check_target", "needed_settings", "item_key"]

#: the real delay (seconds) one action can be expected to suffer between its due moment and the service
#: stamping it: the sender's timer (~1 ms), the request on loopback (measured on two cores shared with other
#: work: p50 ~3-13 ms, p99 ~10-40 ms) and the error of the drive's reading of the service's clock (half a
#: /status round trip, ~1 ms).
#: At speed S it is S times as many simulated seconds.
EXPECTED_JITTER = 0.05

#: the metrics compared, in the order shown
COMPARED = ("forms", "reply_rate", "on_time_rate", "hot_events", "statement_2h_rate", "escalations",
            "deductions_total")


class DriveError(WenzhengError):
    """The drive cannot start (the service is unreachable, its clock or speed does not fit): exit 2."""


#: how long the drive waits for a service that is not listening yet (real seconds): a shell may start ``serve``
#: and ``drive`` together
WAIT_UP = 30.0


def transport_reason(exc: BaseException) -> str:
    """Why a request failed (an httpx ``TransportError``), in the current language: the operating system's
    reason when one is behind it ("连接被拒绝"), else what kind of failure it was (a timeout, a reply that is
    not HTTP, a connection cut).  Never httpx's repr (``ConnectError('[Errno 111] Connection refused')``),
    English inside a Chinese sentence."""
    import os
    import socket

    import httpx

    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:  # httpx → httpcore → the OSError (ConnectionRefusedError)
        seen.add(id(cause))
        if isinstance(cause, OSError) and isinstance(cause.errno, int) and not isinstance(cause, socket.gaierror):
            # asyncio's own OSError says "Connect call failed ('127.0.0.1', 9)": the errno's text instead
            return os_reason(OSError(cause.errno, os.strerror(cause.errno)))
        if isinstance(cause, OSError) and (cause.errno is not None or cause.strerror):
            return os_reason(cause)
        inner = next((a for a in getattr(cause, "args", ()) if isinstance(a, OSError)), None)
        cause = inner or cause.__cause__ or cause.__context__
    kinds: tuple[tuple[type[BaseException], str], ...] = (
        (httpx.ConnectTimeout, "drive.why_connect_timeout"), (httpx.ReadTimeout, "drive.why_read_timeout"),
        (httpx.TimeoutException, "drive.why_timeout"), (httpx.RemoteProtocolError, "drive.why_not_http"),
        (httpx.ProtocolError, "drive.why_protocol"), (httpx.ConnectError, "drive.why_connect"),
        (httpx.ReadError, "drive.why_read"), (httpx.WriteError, "drive.why_write"),
        (httpx.ProxyError, "drive.why_proxy"), (httpx.UnsupportedProtocol, "drive.why_scheme"))
    for kind, key in kinds:
        if isinstance(exc, kind):
            return t(key)
    return t("drive.why_other", name=type(exc).__name__)


# ---- the timeline ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Item:
    """One thing to send: at simulated time ``at``, ``kind`` on the service's case ``case_id``."""

    at: datetime
    seq: int  # order in the simulation (ties at one instant keep it)
    kind: str  # "post", "reply", "statement", "reposts", "follow-up"
    sim_case: str  # the simulator's case id (C0000001)
    case_id: str  # the service's: the post id (wechat-<MsgId>, weibo-<id>)
    channel: str = ""
    payload: str = ""  # post: the WeChat XML or Weibo status JSON
    place: str = ""  # post: where the simulator's desk located it
    service_place: str | None = None  # post: where the service locates it from its text (None: unlocated)
    service_unit: str | None = None  # post placed elsewhere by the service: the unit it routes it to there
    unit: str = ""  # post: the unit the simulator routed it to; reply: the unit filing it
    reply_kind: str = ""
    promise_due: str | None = None  # 近期解决: YYYY-MM-DD
    reposts: int = 0  # reposts: the count the desk read; post: the engagement when it was forwarded
    text: str = ""


@dataclass
class Timeline:
    items: list[Item]
    scenario: str
    seed: int
    start: datetime
    cut: datetime | None  # --until: nothing sent at or after it
    drained_at: datetime
    totals: dict[str, Any]  # the simulator's totals for the same cut (sim_totals)
    reply_margins: list[float]  # per replied form: seconds from its reply to its reply deadline (negative: late)
    statement_margins: list[float]  # per hot form with a statement: seconds to the statement deadline
    midnight_late: list[float]  # per form not replied on time: seconds from its opening to the next midnight
    miss_cost: tuple[int, float]  # most escalations and deduction points one missed deadline caused


def service_place(places: Sequence[str]) -> Callable[[str], str | None]:
    """Where the service locates a post from its text (``LiveService.locate`` without a default place): the
    policy's place the text names, the longest first, then first in reading order."""
    ordered = sorted(places, key=lambda p: (-len(p), p))
    rx = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def locate(text: str) -> str | None:
        m = rx.search(text) if rx is not None else None
        return m.group(0) if m else None

    return locate


def _post_text(channel: str, payload: str) -> str:
    if channel == "weibo":
        return str(json.loads(payload).get("text", ""))
    import defusedxml.ElementTree as SafeET

    return SafeET.fromstring(payload).findtext("Content") or ""


def _with_counts(channel: str, payload: str, reposts: int) -> str:
    """A Weibo status as the platform shows it when the desk forwards it: with the engagement counted then
    (reposts and comments, as the simulator's engine saw it).  WeChat messages carry no counts."""
    if channel != "weibo":
        return payload
    doc = json.loads(payload)
    doc["reposts_count"], doc["comments_count"] = reposts, 0
    return json.dumps(doc, ensure_ascii=False)


def _routed_unit(engine: Any, event: PostReceived, place: str) -> str | None:
    """The unit the policy routes ``event``'s post to at ``place`` (None: no route, or the engine refuses it):
    what the service does with a post whose text names another place than the simulator's desk found."""
    probe = PostReceived(case_id=event.case_id, at=event.at, post=event.post.model_copy(update={"place": place}))
    try:
        routes = engine.handle(probe).of_type(Route)
    except WenzhengError:
        return None
    finally:
        engine.forget(event.case_id)
    return routes[-1].unit if routes else None


def _midnight_after(at: datetime) -> datetime:
    return datetime.combine(at.date() + timedelta(days=1), datetime.min.time(), tzinfo=at.tzinfo)


def build_timeline(scenario_path: str | Path, seed: int | None = None, until: date | None = None) -> Timeline:
    """Simulate the scenario (its own rules, ``seed`` or the scenario's) and record what to send, in time order."""
    from simulator.model import Simulation
    from simulator.runner import load_run_inputs

    sc, policy, _ = load_run_inputs(scenario_path)
    payloads: dict[str, str] = {}
    seen: list[tuple[Any, Any]] = []  # (event, decision)

    def tap(case_id: str, kind: str, payload: str) -> None:
        if kind == "post":
            payloads[case_id] = payload

    def on_event(event: Any, decision: Any) -> None:
        seen.append((event, decision))

    sim = Simulation(sc, policy, seed=seed, tap=tap, on_event=on_event)
    try:
        result = sim.run()
    finally:
        sim.engine.close()
    tz = policy.calendar.tz
    cut = datetime.combine(until + timedelta(days=1), datetime.min.time(), tzinfo=tz) if until else None
    recs = {r.case_id: r for r in result.cases}
    locate = service_place(list(policy.places))
    router: Any = None  # an engine of the same policy, made when a post is placed elsewhere by the service
    items: list[Item] = []
    for seq, (event, _decision) in enumerate(seen):
        at = event.at
        if cut is not None and at >= cut:
            continue
        rec = recs[event.case_id]
        unit = rec.unit  # routed when the form opened; the simulator never changes it
        base = dict(at=at, seq=seq, sim_case=rec.case_id, case_id=rec.post_id, channel=rec.channel)
        if isinstance(event, PostReceived):
            payload = _with_counts(rec.channel, payloads[rec.case_id], event.post.reposts)
            where = locate(_post_text(rec.channel, payload))
            routed = None
            if where is not None and where != rec.located_place:
                if router is None:
                    from engine.engine import Engine

                    router = Engine(policy)
                routed = _routed_unit(router, event, where)
            items.append(Item(kind="post", payload=payload, place=rec.located_place, reposts=event.post.reposts,
                              service_place=where, service_unit=routed, unit=unit, **base))
        elif isinstance(event, ReplyFiled):
            due = rec.promise_due.astimezone(tz).date().isoformat() if rec.promise_due is not None else None
            items.append(Item(kind="reply", unit=unit, reply_kind=event.reply_kind,
                              promise_due=due if event.reply_kind == "近期解决" else None, **base))
        elif isinstance(event, StatementIssued):
            items.append(Item(kind="statement", **base))
        elif isinstance(event, RepostsUpdated):
            items.append(Item(kind="reposts", reposts=event.reposts, **base))
        elif isinstance(event, FollowUpPosted):
            items.append(Item(kind="follow-up", text=event.text or "", **base))
        elif not isinstance(event, DeadlineReached):  # the service fires its own deadlines
            raise AssertionError(f"unexpected event {type(event).__name__}")
    if router is not None:
        router.close()
    items.sort(key=lambda i: (i.at, i.seq))
    miss_esc, miss_pts = 0, 0.0
    for event, decision in seen:
        if isinstance(event, DeadlineReached) and not event.reminder:
            miss_esc = max(miss_esc, len(decision.of_type(Escalate)))
            miss_pts = max(miss_pts, sum(e.points for e in decision.of_type(Deduct)))
    forms = [r for r in result.cases if r.opened_at is not None and (cut is None or r.opened_at < cut)]
    reply_m = [(r.reply_due - r.replied_at).total_seconds() for r in forms
               if r.replied_at is not None and r.reply_due is not None and (cut is None or r.replied_at < cut)]
    stmt_m = [(r.statement_due - r.statement_at).total_seconds() for r in forms
              if r.statement_at is not None and r.statement_due is not None and (cut is None or r.statement_at < cut)]
    midnight = [(_midnight_after(r.opened_at.astimezone(tz)) - r.opened_at).total_seconds() for r in forms
                if r.opened_at is not None and not (r.replied_at is not None and r.reply_due is not None
                                                    and r.replied_at <= r.reply_due)]
    return Timeline(items=items, scenario=sc.name, seed=result.seed, start=result.start, cut=cut,
                    drained_at=result.drained_at, totals=sim_totals(result, seen, cut),
                    reply_margins=reply_m, statement_margins=stmt_m, midnight_late=midnight,
                    miss_cost=(miss_esc, miss_pts))


def sim_totals(result: Any, seen: Sequence[tuple[Any, Any]], cut: datetime | None) -> dict[str, Any]:
    """The simulator's counts as ``GET /api/supervision`` totals name them, of what happened before ``cut``
    (None: the whole drained run; then they equal the run's metrics.json, docs/metrics.md)."""
    def before(at: datetime | None) -> bool:
        return at is not None and (cut is None or at < cut)

    forms = [r for r in result.cases if before(r.opened_at)]
    replied = [r for r in forms if before(r.replied_at)]
    on_time = [r for r in replied if r.reply_due is not None and r.replied_at <= r.reply_due]
    hot = [r for r in forms if before(r.hot_at)]
    statements = [r for r in hot if before(r.statement_at)]
    stmt_ok = [r for r in statements if r.statement_due is not None and r.statement_at <= r.statement_due]
    escalations = sum(len(d.of_type(Escalate)) for _, d in seen if before(d.at))
    deductions = sum(e.points for _, d in seen if before(d.at) for e in d.of_type(Deduct))
    n = len(forms)
    return {"forms": n, "replied": len(replied), "reply_rate": len(replied) / n if n else None,
            "on_time": len(on_time), "on_time_rate": len(on_time) / n if n else None, "hot": len(hot),
            "statements": len(statements), "statements_on_time": len(stmt_ok),
            "escalations": escalations, "deductions_total": deductions}


# ---- tolerances and the comparison -------------------------------------------------------------------------

def tolerances(tl: Timeline, speed: float, jitter: float = EXPECTED_JITTER) -> dict[str, float]:
    """How far each count may differ between service and simulator, from the timing jitter alone.

    An action the simulator took at time t reaches the service at t + L, L ≈ ``speed × jitter`` simulated
    seconds (later, never earlier).  So a reply filed less than L before its deadline may land after the
    service fired it (on time → late, and that missed deadline may escalate and cost points); a statement
    likewise; and a form opened less than L before midnight may open the next day, which moves its reply
    deadline a working day later (a late reply may become on time).  Each such form is *at risk*; the
    tolerance of a count is the number of at-risk forms that can move it, times the most one missed deadline
    cost in the simulation (escalations, points).  Counts that do not depend on timing (forms, replies,
    hot events) must agree exactly.
    """
    lag = speed * jitter
    replies = sum(1 for m in tl.reply_margins if 0 <= m < lag)
    statements = sum(1 for m in tl.statement_margins if 0 <= m < lag)
    midnight = sum(1 for m in tl.midnight_late if m < lag)
    esc, pts = tl.miss_cost
    risky = replies + statements + midnight
    return {"forms": 0, "replied": 0, "on_time": replies + midnight, "hot": 0, "statements_on_time": statements,
            "escalations": risky * esc, "deductions_total": risky * pts, "lag_seconds": lag}


def _rate(num: float | None, den: float | None) -> float | None:
    return None if not den or num is None else num / den


@dataclass
class Row:
    metric: str
    simulator: float | None
    service: float | None
    tolerance: float
    ok: bool
    #: why the row fails when it is not a difference beyond ``tolerance`` (the report prints this instead of the
    #: tolerance): ``"missing"`` (a side has no value) or ``"denominator"`` (a rate over counts that differ:
    #: ``den`` names the count, ``den_values`` (simulator, service))
    reason: str = ""
    den: str = ""
    den_values: tuple[float | None, float | None] = (None, None)


def compare(sim: dict[str, Any], svc: dict[str, Any], tol: dict[str, float]) -> list[Row]:
    """Each compared metric, simulator beside service, within tolerance or not.  Rates are compared through
    their counts (a rate's tolerance is its count's divided by the forms)."""
    rows = []
    forms = sim["forms"]
    spec = {  # metric → (count key, denominator key or None, tolerance key)
        "forms": ("forms", None, "forms"), "reply_rate": ("replied", "forms", "replied"),
        "on_time_rate": ("on_time", "forms", "on_time"), "hot_events": ("hot", None, "hot"),
        "statement_2h_rate": ("statements_on_time", "hot", "statements_on_time"),
        "escalations": ("escalations", None, "escalations"), "deductions_total": ("deductions_total", None,
                                                                                  "deductions_total")}
    for metric in COMPARED:
        key, den, tkey = spec[metric]
        a, b, tk = sim.get(key), svc.get(key), tol[tkey]
        within = a is not None and b is not None and abs(float(a) - float(b)) <= tk + 1e-9
        reason = "" if a is not None and b is not None else "missing"
        if den is None:
            rows.append(Row(metric, a, b, tk, within, reason))
            continue
        # a rate is compared through its count, which says the same as the rates only over the same
        # denominator: when the denominators differ the row fails for that reason, not for its tolerance
        da, db = sim.get(den), svc.get(den)
        if not reason and da != db:
            reason = "denominator"
        d = da or forms
        rows.append(Row(metric, _rate(a, da), _rate(b, db), tk / d if d else 0.0, within and not reason, reason,
                        den=den, den_values=(da, db)))
    return rows


# ---- sending -------------------------------------------------------------------------------------------------

@dataclass
class DriveResult:
    posts_sent: int = 0
    posts_accepted: int = 0
    actions_sent: int = 0  # the timeline's other items: replies, statements, repost counts, follow-ups
    locates_sent: int = 0  # the desk locating a post the service could not place (not a timeline item)
    reroutes_sent: int = 0  # the desk re-routing a form the service placed elsewhere (not a timeline item)
    reroutes_skipped: int = 0  # placed elsewhere, but routed to the simulator's unit all the same: not sent
    wall_seconds: float = 0.0
    intake_ms: list[float] = field(default_factory=list)
    api_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    lateness: list[float] = field(default_factory=list)  # simulated seconds each item reached the service late
    outages: int = 0  # times the service went away and came back
    outage_seconds: float = 0.0  # real seconds it was away, in all
    service_totals: dict[str, Any] = field(default_factory=dict)
    stored_cases: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    speed: float = 0.0
    tolerances: dict[str, float] = field(default_factory=dict)
    first_error: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors and all(r.ok for r in self.rows)


def _pct(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    xs = sorted(values)
    h = (len(xs) - 1) * q
    lo = math.floor(h)
    return xs[lo] + (xs[min(lo + 1, len(xs) - 1)] - xs[lo]) * (h - lo)


class _Done:
    """The answer of a retried action refused with 409: the earlier try was done."""

    status_code = 200
    text = ""

    @staticmethod
    def json() -> dict[str, Any]:
        return {}


_DONE = _Done()

#: how long the drive waits for a service that went away mid-run to come back (real seconds)
OUTAGE_WAIT = 60.0


def item_key(tl: Timeline, item: Item, what: str = "") -> str:
    """The ``Idempotency-Key`` of an item's request (``what``: the desk's ``locate`` or ``reroute`` after a
    post): derived from the scenario, the seed and the item alone, so a resend after an outage — or a second
    run of the drive after the drive itself crashed — carries the same key and the service acts once."""
    digest = hashlib.sha256("\0".join([tl.scenario, str(tl.seed), str(item.seq), item.kind, item.case_id, what])
                            .encode("utf-8")).hexdigest()
    return f"drive-{digest[:40]}"


# ---- what the drive needs before it sends anything -------------------------------------------------------------

def _role_key(role: str) -> str:
    """The configuration key that holds a role's token."""
    return f"unit_tokens.{role[5:]}" if role.startswith("unit:") else f"{role}_token"


def _role_label(role: str, lang: str | None = None) -> str:
    if role.startswith("unit:"):
        return t("drive.role_unit", lang=lang, unit=role[5:])
    return t(f"drive.role_{role}", lang=lang)


def _secret_key(channel: str) -> str:
    return "wechat_token" if channel == "wechat" else "weibo_secret"


def needed_settings(tl: Timeline) -> tuple[list[str], list[str]]:
    """(channels, roles) the timeline needs: the channels it posts on (each channel's secret signs its posts),
    the desk (locating, re-routing, statements, repost counts, follow-ups), the supervisors (reading the
    service's totals) and every unit that replies."""
    channels = sorted({i.channel for i in tl.items if i.kind == "post"})
    units = sorted({i.unit for i in tl.items if i.kind == "reply"})
    return channels, ["desk", "supervisor", *(f"unit:{u}" for u in units)]


def check_config(tl: Timeline, config: Any, source: str) -> None:
    """Refuse (exit 2) a configuration that lacks a secret or token the timeline needs, naming every key missing
    — before anything is sent."""
    channels, roles = needed_settings(tl)
    missing = [(_secret_key(c), t("drive.secret_of", channel=c)) for c in channels
               if getattr(config, _secret_key(c)) is None]
    for role in roles:
        tok = config.unit_tokens.get(role[5:]) if role.startswith("unit:") else getattr(config, _role_key(role))
        if tok is None:
            missing.append((_role_key(role), t("drive.token_of", role=_role_label(role))))
    if missing:
        raise DriveError(t("drive.missing_settings", source=source, n=len(missing),
                           keys=t("drive.list_sep").join(t("drive.missing_item", key=k, what=what)
                                                          for k, what in missing)))


def check_target(target: str) -> None:
    """Refuse (exit 2) a --target that is not an http(s) URL with a host."""
    import httpx

    try:
        url = httpx.URL(target)
    except (httpx.InvalidURL, TypeError, ValueError):
        url = None
    if url is None or url.scheme not in ("http", "https") or not url.host:
        raise DriveError(t("drive.bad_target", target=target))


def _status_doc(r: Any) -> tuple[dict[str, Any] | None, str]:
    """(``/status`` of a wenzheng service, "") or (None, why the answer is not one)."""
    if r.status_code != 200:
        return None, t("drive.status_http", status=r.status_code)
    try:
        doc = r.json()
    except ValueError:
        return None, t("drive.status_not_json", ctype=r.headers.get("content-type", "?"))
    if not isinstance(doc, dict) or not {"now", "clock_speed"} <= doc.keys():
        return None, t("drive.status_keys")
    try:
        now = datetime.fromisoformat(str(doc["now"]))
        float(doc["clock_speed"])
    except (TypeError, ValueError):
        return None, t("drive.status_keys")
    if now.tzinfo is None:
        return None, t("drive.status_keys")
    return doc, ""


class _Sender:
    RETRIES = 3

    def __init__(self, client: Any, config: Any, tl: Timeline, res: DriveResult, concurrency: int,
                 say: Callable[[str], None], target: str, source: str, outage_wait: float) -> None:
        self.client, self.cfg, self.tl, self.res, self.say = client, config, tl, res, say
        self.target, self.source, self.outage_wait = target, source, outage_wait
        self.sem = asyncio.Semaphore(concurrency)
        self.last: dict[str, asyncio.Task[None]] = {}  # per case: its previous item (a case's items go in order)
        self.speed = 1.0
        self.anchor_real = 0.0
        self.anchor_service = tl.start
        self.down: asyncio.Task[bool] | None = None  # waiting for the service to come back
        self.failure: BaseException | None = None  # the first item that could not be sent: the drive stops
        self.wake = asyncio.Event()

    def service_now(self) -> datetime:
        return self.anchor_service + timedelta(seconds=(time.monotonic() - self.anchor_real) * self.speed)

    def anchor(self, status: dict[str, Any], t0: float, t1: float) -> None:
        self.anchor_real, self.anchor_service = (t0 + t1) / 2, datetime.fromisoformat(status["now"])

    def _secret(self, channel: str) -> str:
        s = self.cfg.wechat_token if channel == "wechat" else self.cfg.weibo_secret
        if s is None:  # check_config refused this before anything was sent
            raise DriveError(t("drive.no_secret", key=_secret_key(channel)))
        return str(s.get_secret_value())

    def _keyed(self, role: str, item: Item, what: str = "") -> dict[str, str]:
        """The role's token and the item's idempotency key (the same on every resend)."""
        return {**self._token(role), "Idempotency-Key": item_key(self.tl, item, what)}

    def _token(self, role: str) -> dict[str, str]:
        if role.startswith("unit:"):
            tok = self.cfg.unit_tokens.get(role[5:])
        else:
            tok = self.cfg.desk_token if role == "desk" else self.cfg.supervisor_token
        if tok is None:  # check_config refused this before anything was sent
            raise DriveError(t("drive.no_token", role=role))
        return {"Authorization": f"Bearer {tok.get_secret_value()}"}

    def _signed(self, channel: str) -> dict[str, str]:
        from .service import signature

        ts = str(int(self.service_now().timestamp()))
        nonce = secrets.token_hex(8)
        return {"signature": signature(self._secret(channel), ts, nonce), "timestamp": ts, "nonce": nonce}

    # -- the tasks ------------------------------------------------------------------------------------------
    def task_done(self, task: asyncio.Task[None]) -> None:
        """A send task ended: remember the first failure (retrieving it: no "exception never retrieved") and wake
        the scheduler, which stops the drive."""
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None and self.failure is None:
            self.failure = exc
            self.wake.set()

    async def pause(self, seconds: float) -> None:
        """Sleep, but wake at once when an item has failed for good."""
        if self.failure is None:
            try:
                await asyncio.wait_for(self.wake.wait(), timeout=seconds)
            except TimeoutError:
                pass
        if self.failure is not None:
            raise self.failure

    # -- the service going away ------------------------------------------------------------------------------
    async def _probe(self) -> tuple[dict[str, Any] | None, float, float]:
        t0 = time.monotonic()
        r = await self.client.get("/status", timeout=5.0)
        doc, _ = _status_doc(r)
        return doc, t0, time.monotonic()

    async def _wait_back(self) -> bool:
        """After a connection error: False when the service answers at once (a one-off error), True when it was
        away and came back (within ``outage_wait`` real seconds; else DriveError).  Its clock ran on meanwhile:
        the drive reads it again."""
        import httpx

        t0 = time.monotonic()
        try:
            doc, a, b = await self._probe()
            if doc is not None:
                return False
        except httpx.TransportError:
            pass
        self.say(t("drive.service_down", target=self.target, seconds=int(self.outage_wait)))
        while True:
            await asyncio.sleep(0.25)
            try:
                doc, a, b = await self._probe()
                if doc is not None:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() - t0 > self.outage_wait:
                raise DriveError(t("drive.service_gone", target=self.target, seconds=int(self.outage_wait)))
        away = time.monotonic() - t0
        self.res.outages += 1
        self.res.outage_seconds += away
        self.anchor(doc, a, b)
        self.say(t("drive.service_back", seconds=f"{away:.1f}", now=doc["now"]))
        return True

    async def _outage(self) -> bool:
        """One wait for all the requests that failed together (the first starts it, the others join it)."""
        if self.down is None or self.down.done():
            self.down = asyncio.ensure_future(self._wait_back())
        return await asyncio.shield(self.down)

    async def request(self, method: str, url: str, *, measure: str | None = None, at: datetime | None = None,
                      sign: str | None = None, **kw: Any) -> Any:
        """One request with WeChat's retry rule: on a connection error, wait for the service to come back (up to
        ``outage_wait``) and resend (a post re-signed with the clock of the resend; a retried post gets its
        stored answer), or, when the service is up, up to 3 more tries; up to 3 more on a 5xx; a 409 on a
        retried action means an earlier try got through.  Latency: send → answer of the try that answered;
        lateness (``at``): the service's clock at that send minus the item's simulated time."""
        import httpx

        tried = 0
        while True:
            if sign is not None:
                kw["params"] = self._signed(sign)
            sent_at = self.service_now()
            t0 = time.perf_counter()
            try:
                async with self.sem:
                    r = await self.client.request(method, url, **kw)
            except httpx.TransportError as exc:
                tried += 1
                self.res.retries += 1
                if await self._outage():
                    continue  # the service was away and is back: resend
                if tried <= self.RETRIES:
                    await asyncio.sleep(0.05 * tried)
                    continue
                self.res.errors["connection"] += 1
                self.res.first_error = self.res.first_error or f"{method} {url}: {transport_reason(exc)}"
                return None
            if measure == "intake":
                self.res.intake_ms.append((time.perf_counter() - t0) * 1000)
            elif measure == "api":
                self.res.api_ms.append((time.perf_counter() - t0) * 1000)
            if at is not None:
                self.res.lateness.append((sent_at - at).total_seconds())
            if r.status_code >= 500 and tried < self.RETRIES:
                tried += 1
                self.res.retries += 1
                continue
            if r.status_code == 409 and tried:
                return _DONE  # an earlier try got through before its answer was lost
            return r

    def _bad(self, r: Any, what: str, allow: tuple[int, ...] = ()) -> bool:
        if r is None:
            return True
        if r.status_code == 200 or r.status_code in allow:
            return False
        self.res.errors[str(r.status_code)] += 1
        self.res.first_error = self.res.first_error or f"{what}: {r.status_code} {r.text[:200]}"
        return True

    async def send(self, item: Item, prev: asyncio.Task[None] | None) -> None:
        if prev is not None:
            await prev  # the post first, then its case's acts, in the simulation's order
        if item.kind == "post":
            await self._post(item)
            return
        self.res.actions_sent += 1
        base = f"/api/cases/{item.case_id}"
        if item.kind == "reply":
            body: dict[str, Any] = {"kind": item.reply_kind}
            if item.promise_due is not None:
                body["promise_due"] = item.promise_due
            r = await self.request("POST", base + "/reply", measure="api", at=item.at, json=body,
                                   headers=self._keyed(f"unit:{item.unit}", item))
        elif item.kind == "statement":
            r = await self.request("POST", base + "/statement", measure="api", at=item.at, json={},
                                   headers=self._keyed("desk", item))
        elif item.kind == "reposts":
            r = await self.request("POST", base + "/reposts", measure="api", at=item.at,
                                   json={"reposts": item.reposts}, headers=self._keyed("desk", item))
        else:
            r = await self.request("POST", base + "/follow-up", measure="api", at=item.at,
                                   json={"text": item.text or "…"}, headers=self._keyed("desk", item))
        self._bad(r, f"{item.kind} {item.case_id}")

    async def _post(self, item: Item) -> None:
        self.res.posts_sent += 1
        ctype = "application/json" if item.channel == "weibo" else "application/xml"
        r = await self.request("POST", f"/{item.channel}", measure="intake", at=item.at, sign=item.channel,
                               content=item.payload.encode("utf-8"), headers={"Content-Type": ctype})
        if r is not None and r.status_code in (403, 404):
            self._refused_post(item, r)
        if self._bad(r, f"post {item.case_id}"):
            return
        self.res.posts_accepted += 1
        unlocated = item.service_place is None
        if item.channel == "weibo":
            try:
                unlocated = r.json().get("result") == "unlocated"
            except ValueError:
                pass
        if unlocated:  # the desk locates it where the simulator's desk did
            self.res.locates_sent += 1
            r = await self.request("POST", f"/api/posts/{item.case_id}/locate", measure="api",
                                   json={"place": item.place}, headers=self._keyed("desk", item, "locate"))
            self._bad(r, f"locate {item.case_id}", allow=(409,))
        elif item.service_place != item.place and item.unit:
            # the service read another place in the text than the simulator's desk: the desk re-routes the form
            # to the simulator's unit — unless the policy routes it there from the service's place too (a
            # subject matter's bureau): then there is nothing to re-route (it would be refused 409)
            if item.service_unit == item.unit:
                self.res.reroutes_skipped += 1
                return
            self.res.reroutes_sent += 1
            r = await self.request("POST", f"/api/cases/{item.case_id}/reroute", measure="api",
                                   json={"unit": item.unit, "reason": t("drive.reroute_reason", place=item.place)},
                                   headers=self._keyed("desk", item, "reroute"))
            self._bad(r, f"reroute {item.case_id}", allow=(409,))

    def _refused_post(self, item: Item, r: Any) -> None:
        """A post refused for its signature or its channel: every post of the channel would be; stop (exit 2)."""
        try:
            error = r.json().get("error")
        except (ValueError, AttributeError):
            error = None
        key = _secret_key(item.channel)
        if error == "bad-signature":
            raise DriveError(t("drive.secret_refused", channel=item.channel, key=key, source=self.source))
        if error == "not-configured":
            raise DriveError(t("drive.channel_off", channel=item.channel, key=key))

    async def check_credentials(self, channels: Sequence[str], roles: Sequence[str]) -> None:
        """Each role's token tried with the service by a harmless GET it may make (the desk and units list their
        open cases, the supervisors read the totals), and the WeChat token by the platform's own URL check
        (``GET /wechat`` with ``echostr``).  A token the service refuses → DriveError naming the role and key."""
        import httpx

        refused: list[str] = []
        for role in roles:
            path = "/api/supervision" if role == "supervisor" else "/api/cases?open=1"
            try:
                r = await self.client.get(path, headers=self._token(role))
            except httpx.TransportError as exc:
                raise DriveError(t("drive.unreachable_now", target=self.target,
                                   reason=transport_reason(exc))) from None
            if r.status_code in (401, 403):
                refused.append(t("drive.refused_role", role=_role_label(role), key=_role_key(role),
                                 status=r.status_code))
        if "wechat" in channels:
            echo = secrets.token_hex(4)
            try:
                r = await self.client.get("/wechat", params={**self._signed("wechat"), "echostr": echo})
            except httpx.TransportError as exc:
                raise DriveError(t("drive.unreachable_now", target=self.target,
                                   reason=transport_reason(exc))) from None
            if r.status_code == 404:
                raise DriveError(t("drive.channel_off", channel="wechat", key="wechat_token"))
            if r.status_code != 200 or r.text != echo:
                refused.append(t("drive.refused_secret", channel="wechat", key="wechat_token", status=r.status_code))
        if refused:
            raise DriveError(t("drive.credentials_refused", source=self.source, refused=t("drive.list_sep").join(refused)))

    async def get_json(self, path: str, **kw: Any) -> Any:
        """A GET that waits out an outage like the items do."""
        return await self.request("GET", path, **kw)


async def _wait_up(client: Any, target: str, wait: float) -> dict[str, Any]:
    """``/status`` of the service at ``target``, waiting up to ``wait`` seconds while nothing listens there (a
    shell may start ``serve`` and ``drive`` together).  A host that does not resolve, or a server that answers
    but is not a wenzheng service, is refused at once (DriveError)."""
    import httpx

    url = httpx.URL(target)
    try:
        await asyncio.get_running_loop().getaddrinfo(url.host, url.port or (443 if url.scheme == "https" else 80))
    except OSError as exc:
        raise DriveError(t("drive.no_host", host=url.host, reason=os_reason(exc))) from None
    deadline = time.monotonic() + wait
    why = ""
    while True:
        try:
            r = await client.get("/status", timeout=10.0)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            why = transport_reason(exc)  # nothing listens there (yet)
        except httpx.TransportError as exc:
            raise DriveError(t("drive.not_wenzheng", target=target, reason=transport_reason(exc))) from None
        else:
            if r.status_code not in (502, 503, 504):  # a proxy in front of a service that is starting: wait
                doc, why = _status_doc(r)
                if doc is None:
                    raise DriveError(t("drive.not_wenzheng", target=target, reason=why))
                return doc
        if time.monotonic() >= deadline:
            raise DriveError(t("drive.unreachable", target=target, seconds=f"{wait:g}", reason=why))
        await asyncio.sleep(0.25)


def announce(tl: Timeline) -> dict[str, int]:
    """What will be sent, counted as the report counts it: posts, the timeline's other items (replies,
    statements, repost counts, follow-ups), and the desk's locate and re-route calls expected for the posts
    (a post whose text names no place is located; one whose text names another place than the simulator's
    desk found is re-routed, unless the policy routes it to the simulator's unit from there too: skipped)."""
    posts = [i for i in tl.items if i.kind == "post"]
    moved = [i for i in posts if i.service_place is not None and i.service_place != i.place and bool(i.unit)]
    return {"posts": len(posts), "actions": len(tl.items) - len(posts),
            "locates": sum(1 for i in posts if i.service_place is None),
            "reroutes": sum(1 for i in moved if i.service_unit != i.unit),
            "reroutes_skipped": sum(1 for i in moved if i.service_unit == i.unit)}


async def drive(tl: Timeline, target: str, config: Any, speed: float | None = None, concurrency: int = 16,
                wait_up: float | None = None, jitter: float = EXPECTED_JITTER,
                progress: Callable[[str], None] | None = None, source: str = "config",
                outage_wait: float = OUTAGE_WAIT) -> DriveResult:
    """Send the timeline to the service at ``target`` in its accelerated time, then compare its totals.

    Before anything is sent: the configuration has every secret and token the timeline needs
    (``check_config``), the target is a wenzheng service, and the service accepts each token (DriveError)."""
    import httpx

    from . import service  # noqa: F401  (imported now, not on the first post: importing takes ~0.3 s)

    check_target(target)
    check_config(tl, config, source)
    say = progress or (lambda s: None)
    res = DriveResult()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=target.rstrip("/"), limits=limits, timeout=30.0) as client:
        await _wait_up(client, target, WAIT_UP if wait_up is None else wait_up)
        sender = _Sender(client, config, tl, res, concurrency, say, target, source, outage_wait)
        t0 = time.monotonic()
        st, _ = _status_doc(await client.get("/status"))
        t1 = time.monotonic()
        if st is None:
            raise DriveError(t("drive.not_wenzheng", target=target, reason=t("drive.status_keys")))
        svc_speed = float(st.get("clock_speed") or 1.0)
        if speed is not None and not math.isclose(speed, svc_speed, rel_tol=1e-9):
            raise DriveError(t("drive.speed_differs", speed=speed, service=svc_speed))
        sender.speed = res.speed = svc_speed
        sender.anchor(st, t0, t1)
        first = tl.items[0].at if tl.items else tl.start
        if sender.anchor_service > first:
            raise DriveError(t("drive.clock_past", now=st["now"], first=first.isoformat(),
                               start=(first - timedelta(days=1)).date().isoformat()))
        await sender.check_credentials(*needed_settings(tl))
        res.tolerances = tolerances(tl, svc_speed, jitter)
        n = announce(tl)
        say(t("drive.starting", target=target, speed=svc_speed, posts=n["posts"], actions=n["actions"],
              locates=n["locates"], reroutes=n["reroutes"], skipped=_skipped(n["reroutes_skipped"]),
              seconds=round((first - sender.service_now()).total_seconds() / svc_speed, 1)))
        tasks: set[asyncio.Task[None]] = set()
        try:
            started: float | None = None
            for item in tl.items:
                wait = (item.at - sender.service_now()).total_seconds() / svc_speed
                await sender.pause(max(wait, 0.0))
                if started is None:
                    started = time.perf_counter()
                task = asyncio.create_task(sender.send(item, sender.last.get(item.case_id)))
                task.add_done_callback(sender.task_done)
                task.add_done_callback(tasks.discard)
                sender.last[item.case_id] = task
                tasks.add(task)
            while tasks and sender.failure is None:
                await asyncio.wait(set(tasks), return_when=asyncio.FIRST_EXCEPTION)
            if sender.failure is not None:
                raise sender.failure
            sender.last.clear()
            res.wall_seconds = time.perf_counter() - (started or time.perf_counter())
            await _after_sending(sender, tl, res, say)
        finally:
            # every error path: nothing left running, every task's end collected (no "exception never retrieved")
            pending = [*tasks, *([sender.down] if sender.down is not None else [])]
            for x in pending:
                x.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
    if res.outages:  # the service's clock ran on while it was away: items reached it later than assumed
        observed = max(res.lateness, default=0.0) / svc_speed
        res.tolerances = tolerances(tl, svc_speed, max(jitter, observed))
    if res.service_totals:
        res.rows = compare(tl.totals, res.service_totals, res.tolerances)
    return res


async def _after_sending(sender: _Sender, tl: Timeline, res: DriveResult, say: Callable[[str], None]) -> None:
    """Let the service's clock pass what the simulator counted (the cut, or every deadline fired), then read
    its totals."""
    svc_speed = sender.speed
    if tl.cut is not None:
        wait = (tl.cut - sender.service_now()).total_seconds() / svc_speed
        if wait > 0:
            await asyncio.sleep(wait)
    else:
        say(t("drive.draining"))
        limit = time.monotonic() + max(60.0, (tl.drained_at - sender.service_now()).total_seconds() / svc_speed
                                       + 30.0)
        while time.monotonic() < limit:
            r = await sender.get_json("/status")
            st = r.json() if r is not None and r.status_code == 200 else {}
            if st.get("scheduler_error"):
                res.errors["scheduler"] += 1
                res.first_error = res.first_error or str(st["scheduler_error"])
                break
            if st and st.get("next_due") is None:
                break
            await asyncio.sleep(0.2)
    r = await sender.get_json("/api/supervision", headers=sender._token("supervisor"))
    if r is None:
        return
    if r.status_code != 200:
        res.errors[f"supervision {r.status_code}"] += 1
        res.first_error = res.first_error or f"GET /api/supervision: {r.status_code} {r.text[:200]}"
    else:
        res.service_totals = dict(r.json().get("totals", {}))


# ---- the report ----------------------------------------------------------------------------------------------

def _fmt(metric: str, v: float | None) -> str:
    if v is None:
        return "—"
    if metric.endswith("_rate"):
        return f"{v * 100:.2f}%"
    return f"{v:g}"


_DEN_NAMES = {"forms": "forms", "hot": "hot_events"}


def _reason(r: Row, lang: str | None) -> str:
    if r.reason == "denominator":
        sim, svc = r.den_values
        return t("drive.den_differs", lang=lang, what=metric_name(_DEN_NAMES.get(r.den, r.den), lang),
                 sim=_fmt(r.den, sim), svc=_fmt(r.den, svc))
    return t("drive.value_missing", lang=lang)


def report_json(tl: Timeline, res: DriveResult) -> dict[str, Any]:
    """The machine-readable result (``--json``)."""
    return {
        "kind": "wenzheng-drive", "scenario": tl.scenario, "seed": tl.seed, "speed": res.speed,
        "until": (tl.cut - timedelta(days=1)).date().isoformat() if tl.cut else None,
        "posts_sent": res.posts_sent, "posts_accepted": res.posts_accepted, "actions_sent": res.actions_sent,
        "locates_sent": res.locates_sent, "reroutes_sent": res.reroutes_sent,
        "reroutes_skipped": res.reroutes_skipped, "outages": res.outages,
        "outage_seconds": round(res.outage_seconds, 3),
        "wall_seconds": round(res.wall_seconds, 3),
        "posts_per_second": round(res.posts_accepted / res.wall_seconds, 3) if res.wall_seconds else None,
        "intake_ms": {"p50": _round(_pct(res.intake_ms, 0.5)), "p99": _round(_pct(res.intake_ms, 0.99)),
                      "n": len(res.intake_ms)},
        "api_ms": {"p50": _round(_pct(res.api_ms, 0.5)), "p99": _round(_pct(res.api_ms, 0.99)),
                   "n": len(res.api_ms)},
        "lateness_seconds": {"p50": _round(_pct(res.lateness, 0.5)), "p99": _round(_pct(res.lateness, 0.99)),
                             "max": _round(max(res.lateness, default=None))},
        "errors": dict(sorted(res.errors.items())), "retries": res.retries, "first_error": res.first_error or None,
        "tolerances": {k: _round(v) for k, v in res.tolerances.items()},
        "simulator": tl.totals, "service": res.service_totals,
        "comparison": [asdict(r) for r in res.rows], "ok": res.ok,
    }


def _skipped(n: int, lang: str | None = None) -> str:
    """The re-routes not sent because the case is already with the unit (nothing when there are none)."""
    return t("drive.reroutes_skipped", lang=lang, n=n) if n else ""


def _round(v: float | None) -> float | None:
    return None if v is None else round(v, 3)


def format_report(tl: Timeline, res: DriveResult, lang: str | None = None) -> str:
    """The report for people: load figures, errors, then the metrics side by side."""
    doc = report_json(tl, res)
    lines = [t("drive.title", lang=lang, scenario=tl.scenario, seed=tl.seed, speed=f"{res.speed:g}")]
    if tl.cut is not None:
        lines.append(t("drive.until_note", lang=lang, until=doc["until"]))
    lines.append(t("drive.posts", lang=lang, sent=res.posts_sent, accepted=res.posts_accepted,
                   actions=res.actions_sent, locates=res.locates_sent, reroutes=res.reroutes_sent,
                   skipped=_skipped(res.reroutes_skipped, lang), seconds=f"{res.wall_seconds:.1f}",
                   rate=f"{doc['posts_per_second']:.1f}" if doc["posts_per_second"] is not None else "—"))

    def ms(d: dict[str, Any], k: str) -> str:
        return "—" if d[k] is None else f"{d[k]:.1f}"

    lines.append(t("drive.latency", lang=lang, what=t("drive.intake", lang=lang), p50=ms(doc["intake_ms"], "p50"),
                   p99=ms(doc["intake_ms"], "p99"), n=doc["intake_ms"]["n"]))
    lines.append(t("drive.latency", lang=lang, what=t("drive.api", lang=lang), p50=ms(doc["api_ms"], "p50"),
                   p99=ms(doc["api_ms"], "p99"), n=doc["api_ms"]["n"]))
    if res.outages:
        lines.append(t("drive.outages", lang=lang, n=res.outages, seconds=f"{res.outage_seconds:.1f}",
                       days=f"{res.outage_seconds * res.speed / 86400:.1f}"))
    late = doc["lateness_seconds"]
    lines.append(t("drive.lateness", lang=lang, p99="—" if late["p99"] is None else f"{late['p99'] / 60:.1f}",
                   max="—" if late["max"] is None else f"{late['max'] / 60:.1f}",
                   lag=f"{res.tolerances.get('lag_seconds', 0) / 60:.1f}"))
    if res.errors:
        lines.append(t("drive.errors", lang=lang, errors=", ".join(f"{k}: {v}" for k, v in sorted(res.errors.items())),
                       first=res.first_error))
    else:
        lines.append(t("drive.no_errors", lang=lang, retries=res.retries))
    if res.rows:
        names = [metric_name(r.metric, lang) for r in res.rows]
        width = max(display_width(n) for n in [*names, t("drive.col_metric", lang=lang)])
        lines.append(f"  {pad(t('drive.col_metric', lang=lang), width)} "
                     f"{pad(t('drive.col_simulator', lang=lang), 10, right=True)} "
                     f"{pad(t('drive.col_service', lang=lang), 10, right=True)}  {t('drive.col_tolerance', lang=lang)}")
        for name, r in zip(names, res.rows, strict=True):
            tol = _fmt(r.metric, r.tolerance) if r.tolerance else "0"
            cells = f"  {pad(name, width)} {_fmt(r.metric, r.simulator):>10} {_fmt(r.metric, r.service):>10}  "
            if r.reason:  # failed for another reason than its tolerance: say that one, not the tolerance
                lines.append(cells + "✗ " + _reason(r, lang))
            else:
                lines.append(cells + f"±{tol:<8} {'✓' if r.ok else '✗'}")
    lines.append(t("drive.ok" if res.ok else "drive.failed", lang=lang))
    return "\n".join(lines)
