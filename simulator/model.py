"""The SimPy model of Changping's online complaint handling.

Citizens post on Weibo and WeChat (a non-homogeneous Poisson stream with an
hour-of-day profile and weekend/holiday factors); the duty desk, on a daily
shift rota (named staff, shifts, handover), triages each post from a queue and forwards problems through
the policy engine as feedback forms; units investigate and reply in their
office hours according to behaviour profiles; reposts accumulate and can make
a case hot; citizens follow up when they hear nothing; deadline timers post
``deadline_reached`` events back into the engine.  The run stops taking posts
at the scenario's end and drains until every scheduled timer has fired.

All randomness comes from ``random.Random`` streams derived from the seed:
one per concern for what does not depend on the policy (arrivals, content,
reposts, desk service), and one per case and purpose for the behaviour that
follows the policy's decisions (a unit's reply, a citizen's follow-ups, a
promise).  Two policies run on the same seed therefore see the same traffic
and the same behaviour draws, case by case: common random numbers, so
differences between them come from the policy alone.
"""

from __future__ import annotations

import bisect
import gc
import math
import os
import pickle
import random
import sys
from array import array
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime, time, timedelta
from heapq import heapify, heappop, heappush
from itertools import accumulate
from operator import attrgetter
from typing import TYPE_CHECKING, Any

import simpy

from engine import (
    Classify,
    Close,
    DeadlineReached,
    Deduct,
    Engine,
    Escalate,
    FlagAccountability,
    FollowUpPosted,
    MarkHot,
    Policy,
    Post,
    PostReceived,
    Remind,
    ReplyFiled,
    RepostsUpdated,
    Route,
    SetDeadline,
    StatementIssued,
)
from engine.adapters import PostAdapter, RawPost
from engine.calendar import DayInfo
from engine.compiler import TableKey
from engine.engine import CaseState, _new_set_deadline, _new_trace, positional
from engine.models import Decision, Trace

from .ahead import Ahead, AheadFailed, second_core
from .cascade import hawkes_cascade
from .content import Author, ContentGenerator, Gazetteer
from .parking import ParkingLot, release_free_memory
from .platforms import (
    COMMENT_SHARE,
    corrupt,
    delivered_post,
    wechat_message,
    weibo_counts,
    weibo_status,
)
from .scenario import ArrivalSpec, Scenario, UnitBehaviour
from .stream import RunSink, count_post, event_fields
from .streams import case_stream
from .worktime import advance_working, next_working_moment

if TYPE_CHECKING:
    from .split import DrainPeer

_setattr = object.__setattr__


# the events the model hands the engine, built from values of the right types without validating them again
# (engine.trusted, with the keywords by position: the same models; tests/test_engine_speed.py and
# tests/test_core_speed_s7.py compare them with validated ones)
_post = positional(Post, "post_id", "channel", "author", "text", "place", "posted_at", "reposts")
_post_received = positional(PostReceived, "case_id", "at", "post")
_reposts_updated = positional(RepostsUpdated, "case_id", "at", "reposts")
_follow_up_posted = positional(FollowUpPosted, "case_id", "at", "text")
_statement_issued = positional(StatementIssued, "case_id", "at")
_reply_filed = positional(ReplyFiled, "case_id", "at", "reply_kind")
_deadline_reached = positional(DeadlineReached, "case_id", "at", "deadline", "reminder")

__all__ = ["Simulation", "CaseRecord", "LogRow", "DeskStats", "RunResult", "day_factor", "arrival_minutes",
           "unit_response"]

# The five steps (五步工作法) and the other activities of the event log.
COLLECT = "收集整理"
REPORT = "上报通报"
HANDLE = "调查办理"
SUPERVISE = "督办落实"
REPLY = "反馈回复"
DESK_ANSWER = "直接答复"
HOT = "转为热点"
STATEMENT = "对外表态"
OVERDUE = "逾期"
DEDUCT = "扣分"
FOLLOW_UP = "网民追问"
MERGED = "合并同类问题"
PROMISE_KEPT = "承诺兑现"
PROMISE_BROKEN = "承诺未兑现"
# Activities added for checking a run from its log alone (docs/metrics.md, "Other files of a run").
TAKE = "开始研判"  # a desk staff member takes a post from the queue
DEADLINE_SET = "设定时限"  # the policy set a deadline (due and reminder times in their columns)
ACCOUNTABILITY = "问责"  # the policy flagged the case for accountability
PAYLOAD_REJECTED = "载荷拒收"  # a corrupted delivery rejected by the adapter (resource: the reason)
PAYLOAD_DUPLICATE = "重复投递"  # a redelivery dropped by the adapter
#: the rows the platform and the desk log before a post is read as actionable (``Simulation.desk_traffic``)
_DESK_ACTIVITIES = frozenset({COLLECT, PAYLOAD_REJECTED, PAYLOAD_DUPLICATE, TAKE, DESK_ANSWER})
#: the kinds of ``Simulation.desk_traffic``'s entries
DESK_ROW, DESK_TRIAGED, DESK_IDLE, DESK_WAITS = 0, 1, 2, 3


@dataclass(slots=True)  # not frozen: 5x cheaper to make (hundreds of thousands a run); never changed after logging
class LogRow:
    case_id: str
    activity: str
    at: datetime
    resource: str
    unit: str
    category: str
    # additive columns of events.csv: empty where they do not apply
    rule: str = ""  # the policy rule behind the row
    deadline: str = ""  # 设定时限 and 逾期: which deadline
    due: datetime | None = None  # 设定时限 and 逾期: its due time
    remind_at: datetime | None = None  # 设定时限: its reminder time
    points: float | None = None  # 扣分: points deducted
    reposts: int | None = None  # 逾期: the repost count reported to the engine so far
    merged_post: str = ""  # 合并同类问题: the case id of the post merged


@dataclass(slots=True)
class CaseRecord:
    case_id: str
    channel: str
    place: str
    true_category: str
    posted_at: datetime
    opened_at: datetime | None = None
    category: str = ""
    unit: str = ""
    true_unit: str = ""
    hot_at: datetime | None = None
    statement_at: datetime | None = None
    statement_due: datetime | None = None
    reply_due: datetime | None = None
    replied_at: datetime | None = None
    reply_kind: str = ""
    escalations: int = 0
    reminders: int = 0
    followups: int = 0
    deductions: float = 0.0
    accountability: bool = False
    repost_times: Sequence[float] = ()  # sorted minutes after posting (array('d'): 8 bytes a repost)
    merged_posts: int = 0
    promise_due: datetime | None = None
    promise_kept: bool | None = None
    # unit behaviour state
    reply_version: int = 0
    pending_reply_at: datetime | None = None
    slot: Any = None  # (resource, request) while a capacity-limited unit works on it
    draws: dict[str, int] = field(default_factory=dict)  # per-purpose draw counters (see case_rng)
    decisions: list[tuple[str, str, str]] = field(default_factory=list)  # (what, value, rule id)
    triaged_by: str = ""
    # the platform side: who posted, under which id, where the desk located it
    author: Any = None  # content.Author: the same ids on every follow-up
    status_id: int = 0  # Weibo status id or WeChat MsgId of the first post
    post_id: str = ""  # as the adapter reports it ("weibo-…", "wechat-…")
    author_id: str = ""  # Weibo user id or WeChat OpenID, as the adapter reports it
    located_place: str = ""  # the place the desk determined (the gazetteer), "" before triage
    comment_times: list[float] | None = None  # the comments among repost_times, drawn at the first poll
    full_path: bool = True  # sent as payload text through the adapters (platforms.payload_sample)
    redelivered: bool = False  # the platform delivered the first post twice
    timers: int = 0  # timers (and waits for a unit's capacity) still to fire for this case
    lazy_checks: list[datetime] | None = None  # count polls not yet reported to the engine (_sync_reposts)
    cancellable: list[_Timer] | None = None  # the timers _cancel may drop
    citizen_plan: tuple[tuple[float, bool], ...] | None = None  # drawn ahead (simulator.ahead) until the form opens


class _Timer:
    """A case's timer in SimPy's queue: what a ``Timeout`` with a closure was, in about a third of the memory.

    SimPy's ``step`` needs of a queued event only ``callbacks`` (called with the event, then set to ``None``)
    and ``_ok``; the callbacks are one tuple shared by every timer of a run (``Simulation._timer_fired``),
    and what to do is ``action(*args)``.  Fired or cancelled, a timer lets go of its case, action and
    arguments (no reference cycle keeps a finished case alive until the collector runs).
    """

    __slots__ = ("callbacks", "rec", "action", "args", "at", "tag")
    _ok = True

    def __init__(self, callbacks: tuple[Callable[[Any], None], ...], rec: CaseRecord, action: Callable[..., None],
                 args: tuple[Any, ...], at: float, tag: Any) -> None:
        self.callbacks: tuple[Callable[[Any], None], ...] | None = callbacks
        self.rec: CaseRecord | None = rec
        self.action: Callable[..., None] | None = action
        self.args: tuple[Any, ...] = args
        self.at = at  # minutes since the start, when it fires
        self.tag = tag

    def release(self) -> None:
        self.rec = self.action = None
        self.args = ()


_NO_CALLBACKS: tuple[Callable[[Any], None], ...] = ()


@dataclass
class _OtherSide:
    """What ``Simulation._partition`` takes out of the run for the child of a split drain."""

    cases: dict[str, CaseRecord]
    states: dict[str, Any]
    queue: list[Any]
    pending: int
    open_forms: int


def _no_progress(_share: float) -> None:
    pass


def _nothing_pending() -> int:
    return 0


_CHOSEN = -1.0  # _park_batch: a form chosen to be parked (no first timer is negative)


def _entry_case_id(entry: tuple[float, int, int, Any]) -> str:
    return entry[3].rec.case_id  # type: ignore[no-any-return]


class _Call:
    """What ``env.timeout(delay).callbacks.append(fn)`` puts into SimPy's queue, without the ``Timeout``: the queue
    and ``step`` use only ``callbacks`` and ``_ok`` of an event (``Simulation._call_in``)."""

    __slots__ = ("callbacks",)
    _ok = True

    def __init__(self, fn: Callable[[Any], None]) -> None:
        self.callbacks: list[Callable[[Any], None]] | None = [fn]
_NORMAL = simpy.events.NORMAL


# -- a parked form's objects, written compactly and rebuilt sharing what the originals shared ---------------
# (simulator/parking.py stores them; Simulation._park / _unpark decide what a form is).  Pickle's generic path
# would make a second copy of every name a form shares with the others (units, places, categories, rule
# traces, pydantic's fields-sets): 8 KB a form back in memory instead of 5.  Each rebuild below interns the
# names and shares traces by value; tests/test_parking.py holds the rebuilt form equal to the original.
_REC_FIELDS = tuple(f.name for f in fields(CaseRecord))
_REC_GET = attrgetter(*_REC_FIELDS)
_REC_NAMES = tuple(i for i, n in enumerate(_REC_FIELDS)
                   if n in ("channel", "place", "true_category", "category", "unit", "true_unit", "reply_kind",
                            "triaged_by", "located_place"))
_STATE_FIELDS = tuple(f.name for f in fields(CaseState))
_STATE_GET = attrgetter(*_STATE_FIELDS)
_STATE_NAMES = tuple(i for i, n in enumerate(_STATE_FIELDS)
                     if n in ("channel", "place", "category", "unit", "reply_kind"))
# the engine's own makers: rebuilt models share the fields-set of those the engine makes
_DEADLINE_FIELDS_SET = frozenset(("deadline", "within", "start", "due", "remind_at", "trace"))
_TRACE_FIELDS_SET = frozenset(("rule_id", "table", "file", "line", "inputs"))
_intern = sys.intern


def _interned(values: tuple[Any, ...], names: tuple[int, ...]) -> list[Any]:
    v = list(values)
    for i in names:
        if type(v[i]) is str:
            v[i] = _intern(v[i])
    return v


def _rebuild_record(values: tuple[Any, ...]) -> CaseRecord:
    return CaseRecord(*_interned(values, _REC_NAMES))


def _rebuild_state(values: tuple[Any, ...]) -> CaseState:
    return CaseState(*_interned(values, _STATE_NAMES))


def _rebuild_deadline(deadline: str, within: str, start: datetime, due: datetime, remind_at: datetime | None,
                      trace: Trace) -> SetDeadline:
    return _new_set_deadline(_intern(deadline), _intern(within), start, due, remind_at, trace)


def _rebuild_author(name: str, phone: str, handle: str, openid: str, uid: int, followers: int) -> Any:
    return Author(name, phone, handle, openid, uid, followers)


def _shared_trace(owner: Simulation, rule_id: str, table: str, file: str, line: int,
                  inputs: tuple[tuple[str, Any], ...]) -> Trace:
    """The trace of these values: one object for every parked form that comes back with it."""
    key = (rule_id, table, file, line, inputs)
    tr = owner._parked_traces.get(key)
    if tr is None:
        tr = owner._parked_traces[key] = _new_trace(_intern(rule_id), _intern(table), _intern(file), line,
                                                    dict(inputs))
    return tr


def _parking_reducers(owner: Simulation) -> dict[type, Callable[[Any], Any]]:
    """How a parked form's own objects are pickled (by exact type; the rest: pickle's own way)."""

    def deadline(obj: SetDeadline) -> Any:
        if obj.__pydantic_fields_set__ != _DEADLINE_FIELDS_SET:  # not made by the engine: as pydantic pickles it
            return obj.__reduce_ex__(pickle.HIGHEST_PROTOCOL)
        d = obj.__dict__
        return _rebuild_deadline, (d["deadline"], d["within"], d["start"], d["due"], d["remind_at"], d["trace"])

    def trace(obj: Trace) -> Any:
        d = obj.__dict__
        if obj.__pydantic_fields_set__ != _TRACE_FIELDS_SET or "text" in d["inputs"]:
            return obj.__reduce_ex__(pickle.HIGHEST_PROTOCOL)
        # a rule's trace without the post's text: the same few values for thousands of forms
        return _shared_trace, (owner, d["rule_id"], d["table"], d["file"], d["line"], tuple(d["inputs"].items()))

    return {
        CaseRecord: lambda obj: (_rebuild_record, (_REC_GET(obj),)),
        CaseState: lambda obj: (_rebuild_state, (_STATE_GET(obj),)),
        SetDeadline: deadline,
        Trace: trace,
        Author: lambda a: (_rebuild_author, (a.name, a.phone, a.handle, a.openid, a.uid, a.followers)),
    }


@dataclass(slots=True)
class _Staff:
    """A desk member: name, rota line, pattern, the next day of the pattern, the end of the current shift."""

    name: str
    line: str
    pattern: str
    day: int = 0
    end: float = 0.0


@dataclass
class DeskStats:
    waits_minutes: Sequence[float] = field(default_factory=lambda: array("d"))  # 8 bytes a post
    busy_minutes: float = 0.0
    staffed_minutes: float = 0.0
    answered_directly: int = 0
    merged: int = 0
    busy_by_line: dict[str, float] = field(default_factory=dict)
    staffed_by_line: dict[str, float] = field(default_factory=dict)


@dataclass
class RunResult:
    scenario: Scenario
    seed: int
    start: datetime
    end: datetime
    drained_at: datetime
    posts: int
    cases: list[CaseRecord]
    log: list[LogRow]
    desk: DeskStats
    deductions: list[tuple[datetime, str, float, str]]
    backlog: list[tuple[str, int]]
    calendar: Any
    intake: dict[str, int] = field(default_factory=dict)
    #: follow-ups and statuses/count polls, parsed by their own adapter (not in ``intake``: one per post)
    updates_intake: dict[str, int] = field(default_factory=dict)


def _decision_row(eff: Any) -> tuple[str, str, str]:
    """A compact record of a policy decision on a case, for comparing policies."""
    rule = f"{eff.trace.rule_id} ({eff.trace.where})"
    if isinstance(eff, Classify):
        return ("category", eff.category, rule)
    if isinstance(eff, Route):
        return ("unit", eff.unit, rule)
    if isinstance(eff, SetDeadline):
        return (f"deadline.{eff.deadline}", eff.due.isoformat(), rule)
    if isinstance(eff, Escalate):
        return ("escalation", eff.to, rule)
    if isinstance(eff, Deduct):
        return ("deduction", f"{eff.points:g}", rule)
    return ("accountability", "true", rule)


def day_factor(arrivals: ArrivalSpec, info: DayInfo) -> float:
    """The arrival-rate multiplier of a day: 1 on working days (make-up 调休 days included), the
    weekend factor on ordinary weekends, the holiday factor on statutory and local holidays."""
    if info.workday:
        return 1.0
    if info.source == "weekday rule":
        return arrivals.weekend_factor
    return arrivals.holiday_factor


_RAW_FIELDS = tuple(RawPost.model_fields)
_RAW_ALL = frozenset(_RAW_FIELDS)
_raw_post_of = positional(RawPost, *_RAW_FIELDS)  # every field given: the adapter's posts (all but odd ones)


def _post_state(post: RawPost | None) -> tuple[tuple[Any, ...], frozenset[str] | None] | None:
    """What the traffic process sends of the adapter's post: its values in field order, and its fields-set
    where it is not every field (pickling the model itself cost the run ~6 µs a post to load, this ~1)."""
    if post is None:
        return None
    given = post.model_fields_set
    return tuple(post.__dict__.values()), None if given == _RAW_ALL else frozenset(given)


def _post_from_state(state: tuple[tuple[Any, ...], frozenset[str] | None] | None) -> RawPost | None:
    """The post ``_post_state`` describes: equal to it, fields-set included."""
    if state is None:
        return None
    values, given = state
    if given is None:
        return _raw_post_of(*values)  # type: ignore[no-any-return]
    return RawPost.model_construct(_fields_set=set(given), **dict(zip(_RAW_FIELDS, values, strict=True)))


def _status_id(channel: str, n: int) -> int:
    """Post ``n``'s id on its platform (Weibo's 16-digit status ids, WeChat's 19-digit MsgIds)."""
    return 3_700_000_000_000_000 + n if channel == "weibo" else 6_000_000_000_000_000_000 + n


def arrival_minutes(rng: random.Random, hourly_rates: Sequence[float]) -> Iterator[float]:
    """Arrival times (minutes from the start) of a Poisson process whose rate (per minute) is constant
    within each hour: ``hourly_rates[h]`` in ``[60h, 60h + 60)``.

    Lazy on purpose: the simulation draws each post's attributes from the same stream between two
    arrivals, so the draws interleave exactly as they always have.
    """
    for h, rate in enumerate(hourly_rates):
        t = h * 60.0
        end = t + 60.0
        if rate <= 0:
            continue
        while True:
            t += rng.expovariate(rate)
            if t >= end:
                break
            yield t


ALL_CHECKS = None


def repost_thresholds(policy: Policy) -> tuple[int, ...] | None:
    """The repost counts at which a poll can change a hot decision, or None when any poll can.

    On ``reposts_updated`` the engine evaluates only the hot table (and the deadline table after a hot
    effect).  A poll whose count crosses no threshold can change nothing when every hot rule that admits
    the event is *repost-driven*: it tests the count only with ``gte``/``gt`` and otherwise only fields
    that change solely through events the hot table is evaluated on (``followups``) or never change
    (channel, text, place, category, unit, hot).  Such a rule that did not match at the case's last hot
    evaluation can start to match only when the count reaches its threshold.  Any other hot rule (one
    that tests ``replied``, ``escalations``, the event itself, ``reposts`` with ``lt``…) makes every poll
    an event.
    """
    table = policy.tables.get("hot")
    if table is None:
        return ()
    stable = {"followups", "channel", "text", "place", "category", "unit", "hot"}
    out: set[int] = set()
    for rule in table.rules:
        events = [c for c in rule.conditions if c.field == "event"]
        if events and not all(c.holds({"event": "reposts_updated"}) for c in events):
            continue  # never evaluated true on a poll
        if events:
            return ALL_CHECKS  # matches polls but not the events before them: its timing is the poll's
        for c in rule.conditions:
            if c.field == "reposts" and c.op in ("gte", "gt") and isinstance(c.value, int | float) \
                    and not isinstance(c.value, bool):
                out.add(math.ceil(c.value) if c.op == "gte" else math.floor(c.value) + 1)
            elif c.field not in stable:
                return ALL_CHECKS
    return tuple(sorted(out))


#: id(weights) -> (weights, population, cumulative weights, total, last index) for _weighted_choice
_CUMULATIVE: dict[int, tuple[dict[Any, float], list[Any], list[float], float, int]] = {}


def _weighted_choice(rng: random.Random, weights: dict[Any, float]) -> Any:
    """``rng.choices(list(weights), list(weights.values()))[0]``: the same draw and the same choice (CPython's
    ``choices`` with the cumulative weights computed once per dict, not per call)."""
    entry = _CUMULATIVE.get(id(weights))
    if entry is None or entry[0] is not weights:
        population, cum = list(weights), list(accumulate(weights.values()))
        total = cum[-1] + 0.0 if cum else 0.0
        if len(population) != len(cum) or not 0.0 < total < math.inf:
            return rng.choices(population, list(weights.values()))[0]  # raises as choices does
        if len(_CUMULATIVE) >= 4096:
            _CUMULATIVE.clear()
        entry = _CUMULATIVE[id(weights)] = (weights, population, cum, total, len(population) - 1)
    _, population, cum, total, hi = entry
    return population[bisect.bisect_right(cum, rng.random() * total, 0, hi)]


def unit_response(rng: random.Random, b: UnitBehaviour) -> tuple[bool, float, str]:
    """A unit's unsupervised response to a new form, drawn from the case's "unit" stream:
    (stays silent, working days to reply, kind of reply) — all three always drawn, in this order."""
    silent = rng.random() < b.no_reply
    delay = b.reply_working_days.sample(rng)
    kind = _weighted_choice(rng, b.reply_kinds)
    return silent, delay, kind


class Simulation:
    """One replication of a scenario under one policy."""

    def __init__(self, scenario: Scenario, policy: Policy, seed: int | None = None,
                 progress: Callable[[float], None] | None = None, reference: Policy | None = None,
                 tap: Callable[[str, str, str], None] | None = None,
                 on_event: Callable[[Any, Decision], None] | None = None) -> None:
        self.sc = scenario
        self.policy = policy
        #: the policy that defines which unit is truly responsible (the scenario's own rules);
        #: misrouting is measured against it, so a candidate policy cannot grade itself
        self.reference = reference or policy
        self.seed = scenario.seed if seed is None else seed
        self.engine = Engine(policy, cache=True)  # decisions are pure functions of the fact: memoised (docs/rules.md)
        #: every event handed to the engine goes through this: the engine itself, or (``on_event``: sees each
        #: event with its decision, e.g. ``wenzheng drive`` recording what to send a live service) a wrapper
        self._decide: Callable[[Any], Decision] = self.engine.handle
        if on_event is not None:
            handle = self.engine.handle

            def observed(event: Any) -> Decision:
                decision = handle(event)
                on_event(event, decision)
                return decision

            self._decide = observed
        self.cal = policy.calendar
        self.tz = self.cal.tz
        self.env = simpy.Environment()
        self.t0 = datetime.combine(scenario.start, time(0), tzinfo=self.tz)
        self.t_end = datetime.combine(scenario.end + timedelta(days=1), time(0), tzinfo=self.tz)
        self._now_minutes, self._now = 0.0, self.t0
        self.progress = progress or (lambda f: None)
        #: sees every intact payload sent: (case id, "post" | "follow-up" | "counts", payload)
        self.tap = tap or (lambda case_id, kind, payload: None)
        #: a tap sees every payload: all of them are built then
        self._payload_sample = 1.0 if tap is not None else scenario.platforms.payload_sample
        s = self.seed
        self.rng_arrivals = random.Random(f"{s}/arrivals")
        self.rng_content = random.Random(f"{s}/content")
        self.rng_desk = random.Random(f"{s}/desk")
        self.rng_reposts = random.Random(f"{s}/reposts")
        self.rng_platform = random.Random(f"{s}/platform")
        # the platforms redeliver at once (platforms.duplicate_delivery: right after the first delivery), so
        # the latest 1,000 ids are plenty; a month of megacity traffic does not keep 1.75 million of them
        self.adapter = PostAdapter(remember=1_000)
        self.updates = PostAdapter(remember=1_000)  # follow-ups and count polls: a second intake, counted apart
        self.gazetteer = Gazetteer()
        self._follow_up_seq = 0
        self._open_by_problem: dict[tuple[str, str], dict[str, CaseRecord | int]] = {}
        self._unit_slots: dict[str, simpy.Resource] = {}
        self._open_forms = 0  # forms without a reply (the backlog)
        self.content = ContentGenerator(self.rng_content, s, scenario.arrivals.mixed_share)
        self._waiting: deque[tuple[Any, ...]] = deque()  # posts waiting for the desk (FIFO)
        self._idle: deque[_Staff] = deque()  # staff on duty waiting for a post, longest idle first
        self._shift_ends: set[float] = set()  # shift ends with an event scheduled
        self._scripted_left = 0  # scripted posts still to come
        self._alive_until = 0.0  # minutes: the run drains no earlier (see _keep_alive)
        self._cancel_timers = True  # drop timers that can no longer lead to anything (see _fulfilled)
        self._may_react: dict[tuple[str, bool, tuple[tuple[str, Any], ...]], bool] = {}
        self._horizon = (self.t_end - self.t0).total_seconds() / 60.0
        #: the count polls after a post: (timedelta, its minutes as reposts_at computes them)
        self._checks = [(d, d.total_seconds() / 60.0)
                        for d in (timedelta(minutes=m) for m in scenario.arrivals.reposts.checks_minutes)]
        self.desk = DeskStats()
        #: draw the traffic in a second process when the machine has a second core (``wenzheng run`` sets it
        #: for a single run; replications already use every core); never with scripted posts
        self.draw_ahead = False
        self._ahead: Ahead | None = None
        #: split the drain between two processes when enough forms are open once the desk is idle
        #: (``_split_drain``; the files are the same either way); set by ``draw_ahead``'s callers too
        self.split_drain = True  # and WENZHENG_SPLIT=0 in the environment keeps every drain in one process
        #: after a split: the forms this process kept and the forms the child took (None: not split)
        self.split_forms: tuple[int, int] | None = None
        self._peer: DrainPeer | None = None  # the drain's second process (the run's side)
        self._daily_proc: Any = None  # the midnight snapshots' process (shared by both sides of a split)
        self._split_backlog_at = 0  # how many midnight snapshots were taken before the split
        self._other_side: Any = None  # what a split gave the child, held here until it ends (``_partition``)
        self._observed = tap is not None or on_event is not None  # payloads and events seen as they are sent
        self._feed: Iterator[tuple[Any, ...]] = iter(())  # the desk's entries (desk_traffic), drawn ahead
        self._fed: tuple[Any, ...] | None = None  # the next post the desk reads, scheduled at its moment
        self._desk_minutes, self._desk_time = 0.0, self.t0  # _desk_at's last answer
        self._desk_rows: Callable[[datetime, str, tuple[str, ...]], None] | None = None  # _desk_row_targets
        self._desk_posts: Callable[[Any, Any], None] | None = None
        self.cases: dict[str, CaseRecord] = {}
        #: a streaming run's bound on the open forms held in memory (``park_beyond``); None: no bound
        self._resident: int | None = None
        self._lot: ParkingLot | None = None
        self._log_pending: Callable[[], int] = _nothing_pending
        self._parked_traces: dict[tuple[Any, ...], Trace] = {}  # _shared_trace
        #: a batch parks forms until this share of the bound is left (one scan of the queue a batch; half: fewer
        #: scans, and in a megacity week both less time and less memory than 0.8, measured)
        self._park_down_to = 0.5
        #: the run loop steps aside (``_between_events``) when the queue's next event is this late: the first
        #: timer of a parked form is due, or (−inf) more forms are open than the bound allows
        self._wake_at = math.inf
        #: timers cancelled since the queue last dropped them (_drop_cancelled): a cancelled timer stays in SimPy's
        #: queue, empty, until its time; when a reply cancels thousands at once (Monday 09:00 of a long run)
        #: they would outnumber the live timers for days
        self._cancelled = 0
        self._drop_cancelled_at = self.DROP_CANCELLED_FLOOR
        self.log: list[LogRow] = []
        self._emit: Callable[[LogRow], None] = self.log.append
        #: called once per form when nothing more can happen to it (streaming runs); None keeps every case
        self._finish: Callable[[CaseRecord], None] | None = None
        self._timer_callbacks = (self._timer_fired,)  # every _Timer's callbacks: one tuple, shared
        #: a streaming run (``stream_to``): rows, deductions and finished forms go to the sink, not kept
        self.sink: RunSink | None = None
        self._record_decisions = True  # per-case decision lists are for comparing policies in memory
        self._tick_due = False  # a streaming run: a report of the clock to the event log is scheduled
        self.deductions: list[tuple[datetime, str, float, str]] = []
        self.backlog: list[tuple[str, int]] = []
        self.posts = 0
        self._pending = 0
        self._arrivals_done = False
        self._busy_staff = 0
        self.done = self.env.event()
        self._behaviours: dict[str, UnitBehaviour] = {}
        self._repost_thresholds = repost_thresholds(policy)
        routing = self.reference.tables.get("routing")
        # which unit the reference routing gives depends only on the values its rules compare and on which of
        # its text conditions the post meets: remembered per such key (bounded: not one entry per text)
        self._routing_key = TableKey(routing) if routing else None
        self._true_units: dict[tuple[Any, ...], list[Any]] = {}
        # the engine's routing fact and _true_unit's differ only in category, place, unit and hot: where the
        # reference is the policy and its routing tests neither unit nor hot, a post whose true category and
        # place are the engine's gets the engine's routing (its first Route) as its true unit
        self._route_is_true = routing is not None and self.reference is policy \
            and not {c.field for r in routing.rules for c in r.conditions} & {"unit", "hot"}
        a = scenario.arrivals
        total = sum(a.hour_profile)
        self._hour_share = [x / total for x in a.hour_profile]

    # -- clock ----------------------------------------------------------------
    def now(self) -> datetime:
        t = self.env._now
        if t != self._now_minutes:  # several calls per instant: the datetime is made once
            self._now_minutes = t
            # timedelta(minutes=t) with its arguments by position (days, seconds, us, ms, minutes): the same
            # constructor, ~0.2 us less than parsing a keyword
            self._now = self.t0 + timedelta(0, 0, 0, 0, t)
        return self._now

    def _delay_until(self, at: datetime) -> float:
        return max(0.0, (at - self.t0).total_seconds() / 60.0 - self.env._now)

    def _schedule(self, at: datetime, action: Callable[..., None], rec: CaseRecord, tag: Any = None,
                  args: tuple[Any, ...] = ()) -> None:
        """Run ``action(*args)`` for the case ``rec`` at ``at`` (keeps the run, and the case, alive until it
        has fired).

        A bare event in SimPy's queue, not a process: timers are most of the events of a run, and a
        process costs three events instead of one.  A ``_Timer``, scheduled as ``env.timeout`` schedules
        its ``Timeout`` (same delay, priority and sequence number: the same order of events), holds an
        open form's timers in about a third of the memory (docs/performance.md).
        """
        self._pending += 1
        rec.timers += 1
        env = self.env
        now = env._now
        delay = (at - self.t0).total_seconds() / 60.0 - now  # _delay_until, inline
        if not delay > 0.0:  # max(0.0, delay)
            delay = 0.0
        timer = _Timer(self._timer_callbacks, rec, action, args, now + delay, tag)
        queue: list[Any] = env._queue
        heappush(queue, (now + delay, _NORMAL, next(env._eid), timer))  # env.schedule(timer, NORMAL, delay)
        if tag is not None and self._cancel_timers:
            if rec.cancellable is None:
                rec.cancellable = []
            rec.cancellable.append(timer)

    def _call_in(self, delay: float, fn: Callable[[Any], None]) -> None:
        """``self.env.timeout(delay).callbacks.append(fn)``: scheduled as that ``Timeout`` would be (same time,
        priority and sequence number), a slotted entry instead of the event (desk, log ticks: several a post)."""
        if delay < 0:
            raise ValueError(f"Negative delay {delay}")
        env = self.env
        queue: list[Any] = env._queue
        heappush(queue, (env._now + delay, _NORMAL, next(env._eid), _Call(fn)))

    def _call_at(self, at: float, fn: Callable[[Any], None]) -> None:
        """``fn`` at ``at`` minutes exactly (a moment the desk's process computed), keyed as ``_call_in``'s."""
        env = self.env
        queue: list[Any] = env._queue
        heappush(queue, (at, _NORMAL, next(env._eid), _Call(fn)))

    def _timer_fired(self, timer: _Timer) -> None:
        rec, action = timer.rec, timer.action
        assert rec is not None and action is not None
        self._pending -= 1
        action(*timer.args)
        timer.release()
        rec.timers -= 1
        if rec.timers == 0 and rec.replied_at is not None:
            self._case_finished(rec)
        if self._arrivals_done:  # _maybe_done's first condition, tested here (a timer fires for most events)
            self._maybe_done()

    def _cancel(self, rec: CaseRecord, cancel: Callable[[Any], bool]) -> None:
        """Take back the case's pending timers whose tag ``cancel`` accepts: their callbacks are dropped
        (the timeout stays in SimPy's queue, empty) and the run still drains when they would have fired."""
        if not rec.cancellable:
            return
        keep = []
        for timer in rec.cancellable:
            if timer.callbacks is None:  # fired (or firing now)
                continue
            if cancel(timer.tag):
                timer.callbacks = _NO_CALLBACKS  # stays in SimPy's queue, does nothing when it comes
                timer.release()
                self._cancelled += 1
                self._pending -= 1
                rec.timers -= 1
                if timer.at > self._alive_until:
                    self._alive_until = timer.at
            else:
                keep.append(timer)
        rec.cancellable = keep or None
        if self._cancelled >= self._drop_cancelled_at:
            self._wake_at = -math.inf  # drop them before the next event (_between_events)

    def _deadline_may_react(self, deadline: str, reminder: bool, known: tuple[tuple[str, Any], ...]) -> bool:
        """Whether some escalation rule can match ``deadline_reached`` for a deadline already met, given the
        fields ``known`` that can no longer change (conditions on the other fields assumed to hold)."""
        key = (deadline, reminder, known)
        hit = self._may_react.get(key)
        if hit is None:
            table = self.policy.tables.get("escalation")
            fact = {"event": "deadline_reached", "deadline": deadline, "reminder": reminder, "met": True,
                    **dict(known)}
            hit = table is not None and any(all(c.holds(fact) for c in rule.conditions if c.field in fact)
                                            for rule in table.rules)
            self._may_react[key] = hit
        return hit

    def _fulfilled(self, rec: CaseRecord, deadline: str) -> None:
        """The reply (or statement) is in: a timer of that deadline still to come can only find it met, and
        a follow-up timer finds the case answered.  Drop those that cannot lead to anything."""
        if not rec.cancellable:
            return
        if deadline == "reply":
            known: tuple[tuple[str, Any], ...] = (("replied", True), ("reply_kind", rec.reply_kind))
        else:
            known = (("statement_issued", True),)

        def cancel(tag: Any) -> bool:
            if tag == "follow-up" or tag == "plan":
                return deadline == "reply"
            return bool(tag[0] == deadline and not self._deadline_may_react(deadline, tag[1], known))

        self._cancel(rec, cancel)

    def _case_finished(self, rec: CaseRecord) -> None:
        """Nothing can happen to the case any more: replied, no timer left (only unanswered cases take
        merged posts).  Streaming runs hand it to the sink and forget it; in memory it stays."""
        self._count_unreported_polls(rec)
        if self._finish is not None:
            self._finish(rec)

    def _count_unreported_polls(self, rec: CaseRecord) -> None:
        """Polls made after the case's last engine event: read through the adapter, never needed."""
        if rec.lazy_checks:
            self.updates.count_updates["accepted"] += len(rec.lazy_checks)
            rec.lazy_checks = None

    def stream_to(self, sink: RunSink) -> None:
        """Make this a streaming run (before ``run``): log rows, deductions and finished forms go to ``sink``
        as the run goes and leave memory; the result then holds no cases, rows or deductions."""
        self.sink = sink
        self._record_decisions = False
        self._emit = self._log_streamed
        if type(sink).log is RunSink.log:  # its log, not a subclass's: the row straight to its targets
            targets = sink.log_targets()
            if len(targets) == 2:
                add, write = targets

                def log_row(row: LogRow) -> None:
                    add(row)
                    write(row)
                    if not self._tick_due:
                        self._tick_due = True
                        self._call_in(60.0 - self.env._now % 60.0, self._advance)

                self._emit = log_row
        self._finish = self._hand_over

    def _hand_over(self, rec: CaseRecord) -> None:
        """A streaming run: the finished form goes to the sink and leaves memory (model and engine)."""
        assert self.sink is not None
        self.sink.case(rec)
        del self.cases[rec.case_id]
        self.engine.forget(rec.case_id)

    def _swap_open(self, rec: CaseRecord, new: CaseRecord | int | None) -> None:
        """In the desk's open (unanswered) forms of ``rec``'s problem, let ``rec``'s place (kept) hold ``new``:
        the form, or its token while parked (``ParkingLot.put``); None takes it out (answered).  Nothing if the
        form is not there (answered before).  A dict per problem, by case id, in the order the forms were
        issued: O(1) where a list was scanned (megacity-day: 100 forms a problem on average, 884 at most; a
        week's lists hold its parked forms too)."""
        same = self._open_by_problem.get((rec.place, rec.true_category))
        if same is not None and rec.case_id in same:
            if new is None:
                del same[rec.case_id]
            else:
                same[rec.case_id] = new

    def _log_streamed(self, row: LogRow) -> None:
        """A streaming run's log row: to the sink, and the event log told at the next full hour that the
        clock has passed it (``_advance``)."""
        assert self.sink is not None
        self.sink.log(row)
        if not self._tick_due:
            self._tick_due = True
            self._call_in(60.0 - self.env._now % 60.0, self._advance)

    def _advance(self, _event: Any) -> None:
        """A streaming run: at a full hour after rows were logged, let the event log write out what is now
        in the past.  Only the hours after some row, not every simulated hour (months of drain are mostly
        empty hours): the file is the same, written in time order whenever the clock is reported (a row
        for the future, such as a unit's 调查办理, waits for the next report or the end)."""
        self._tick_due = False
        if self.sink is not None and not self.done.triggered:
            self.sink.advance(self.now())
            self._report_progress()

    def _keep_alive(self, at: datetime) -> None:
        """A moment the run lasts until although nothing happens then (a timer not scheduled because it
        could change nothing): the run drains at the same time as if it had been."""
        minutes = (at - self.t0).total_seconds() / 60.0
        if minutes > self._alive_until:
            self._alive_until = minutes

    def _run_until_done(self) -> None:
        """``self.env.run(until=self.done)``: SimPy's ``Environment.step`` loop inlined (the same events in the
        same order, the same clock; the run stops once the ``done`` event's callbacks have run)."""
        env, until = self.env, self.done
        queue: list[Any] = env._queue
        while True:
            if not queue or queue[0][0] >= self._wake_at:  # wake_at is +inf in a run that does not park
                self._between_events()
                if not queue:
                    raise RuntimeError(f'No scheduled events left but "until" event was not triggered: {until}')
            env._now, _, _, event = heappop(queue)
            callbacks = event.callbacks
            event.callbacks = None
            for callback in callbacks:
                callback(event)
            if event is until:
                return
            if not event._ok and not hasattr(event, "_defused"):
                exc = type(event._value)(*event._value.args)
                exc.__cause__ = event._value
                raise exc

    # -- open forms parked on disk (simulator/parking.py) ---------------------------
    def park_beyond(self, resident: int, directory: str | None = None) -> None:
        """Keep at most ``resident`` open forms in memory (a streaming run, before ``run``): beyond that the
        forms whose next timer is furthest away wait in a temporary file in ``directory`` (the system's
        temporary folder by default) and come back just before it is due.  The results are the same."""
        if self.sink is None:
            raise ValueError("only a streaming run (stream_to) can park open forms")
        if resident < 1:
            raise ValueError(f"resident must be at least 1, not {resident}")
        self._resident = resident
        self._lot = ParkingLot(self, directory, reducers=_parking_reducers(self))
        events = getattr(self.sink, "events", None)  # the event log's rows waiting for the clock count too
        self._log_pending = events.pending if events is not None else _nothing_pending

    #: what a parked form still holds in memory (its key in the lot's heap, its place in the desk's list of its
    #: problem, the lot's index, the fragmentation its departure leaves), and an event-log row waiting for the
    #: clock (a unit's 调查办理 on Monday 09:00 for every form of a weekend), counted in open forms: a parked
    #: form a fourteenth of one, a waiting row a sixteenth.  Measured on megacity-week: its memory after
    #: successive batches, at equal numbers of open forms, grows 250–440 bytes a parked form (the upper end
    #: taken); a waiting row's objects are 330 bytes; an open form costs ~4.9 KB (docs/performance.md)
    PARKED_PER_OPEN = 14
    ROWS_PER_OPEN = 16

    def _room(self) -> int:
        """How many open forms the bound leaves room for: ``resident`` less what the parked forms and the
        waiting rows hold, and never less than a quarter of it (a year parks millions of forms)."""
        assert self._resident is not None and self._lot is not None
        held = self._lot.count // self.PARKED_PER_OPEN + self._log_pending() // self.ROWS_PER_OPEN
        return max(1, self._resident // 4, self._resident - held)

    @property
    def parking(self) -> ParkingLot | None:
        return self._lot

    def _between_events(self) -> None:
        """Before the next event: park forms if too many are open, and bring back the parked forms whose
        first timer comes no later than the queue's next event (their timers go back with their own keys,
        so SimPy's order of events is unchanged)."""
        queue: list[Any] = self.env._queue
        if self._cancelled >= self._drop_cancelled_at:
            self._drop_cancelled(queue)
        lot = self._lot
        if lot is None:
            self._wake_at = math.inf
            return
        while True:
            room = self._room()
            if len(self.cases) > room and queue:
                self._park_batch(int(room * self._park_down_to), queue[0][0])
            # after parking: the batch drops cancelled timers from the queue, so its next event may come later.
            # A form comes back when its first timer's whole key comes before the queue's next event, not its
            # time alone: thousands of forms due at the same moment (Monday 09:00) come back one at a time,
            # between the events of that moment, instead of all at once
            back = 0
            while lot.heap and (not queue or lot.due_before(*queue[0][:3])):
                key = lot.pop_wake()
                if key >= 0:
                    self._unpark(key)
                    back += 1
            # forms brought back can put the run over its bound again (only with a bound of a few forms: a
            # batch parks down to half of it); parked forms never come straight back, so this ends
            if not back or len(self.cases) <= self._room():
                break
        self._wake_at = lot.next_wake()

    #: cancelled timers are dropped from the queue once there are this many, or as many as the queue held
    #: after the last drop if that is more (each drop costs one pass over the queue: amortised, a constant a timer)
    DROP_CANCELLED_FLOOR = 20_000

    def _drop_cancelled(self, queue: list[Any]) -> None:
        """Take the cancelled timers out of SimPy's queue.  Exact: such a timer does nothing when it comes, and
        the run already lasts until its time (``_cancel`` keeps it in ``_alive_until``); the other entries keep
        their keys, so SimPy pops the same events in the same order."""
        kept = 0  # filtered in place: no second list of the queue
        for entry in queue:
            ev = entry[3]
            if ev.__class__ is not _Timer or ev.rec is not None:
                queue[kept] = entry
                kept += 1
        del queue[kept:]
        heapify(queue)
        self._cancelled_dropped(len(queue))

    def _cancelled_dropped(self, left: int) -> None:
        self._cancelled = 0
        self._drop_cancelled_at = max(self.DROP_CANCELLED_FLOOR, left)

    def _park_batch(self, keep: int, head: float) -> None:
        """Park open forms until ``keep`` are left in memory: those whose first timer is latest (forms with
        none first), and only forms whose first timer comes after ``head``, the time of the queue's next
        event (a form due next stays: it would come straight back).  Forms waiting for a unit's capacity
        are never parked (SimPy holds them).

        The batch makes as few small objects of its own as it can (forms by their case ids, timers in one
        list): what it makes before the first form leaves would take new memory that the long-lived keys of
        the parked forms then pin (megacity-week's first batch: 12 MB of new arenas before, 9 MB now)."""
        queue: list[Any] = self.env._queue
        first: dict[str, float] = {}
        count: dict[str, int] = {}
        inf = math.inf
        for entry in queue:
            ev = entry[3]
            if ev.__class__ is _Timer:
                rec = ev.rec
                if rec is not None:
                    k = rec.case_id
                    count[k] = count.get(k, 0) + 1
                    if entry[0] < first.get(k, inf):
                        first[k] = entry[0]
        n = len(self.cases) - keep
        if n <= 0:
            return
        candidates = [rec for rec in self.cases.values()
                      if rec.slot is None and rec.timers == count.get(rec.case_id, 0)
                      and first.get(rec.case_id, inf) > head]
        if not candidates:
            return
        # latest first timer first; stable: the same choice in every run
        candidates.sort(key=lambda rec: first.get(rec.case_id, inf), reverse=True)
        del candidates[n:]
        for rec in candidates:
            first[rec.case_id] = _CHOSEN  # (a mark in the table at hand, not a set of its own)
        picked = []
        kept = 0  # the queue filtered in place (not a second list of it)
        for entry in queue:
            ev = entry[3]
            if ev.__class__ is _Timer:
                rec = ev.rec
                if rec is None:  # cancelled (_cancel): it would do nothing when it came, and the run keeps
                    continue  # its time in _alive_until, so dropping it changes nothing but the memory it held
                if first[rec.case_id] is _CHOSEN:
                    picked.append(entry)
                    continue
            queue[kept] = entry
            kept += 1
        del queue[kept:]
        heapify(queue)  # the same keys: SimPy pops the same events in the same order
        self._cancelled_dropped(len(queue))
        picked.sort()  # by (time, priority, sequence): sequence numbers are unique
        picked.sort(key=_entry_case_id)  # stable: each form's timers together, in that order
        i, end = 0, len(picked)
        while i < end:
            case_id = picked[i][3].rec.case_id
            j = i + 1
            while j < end and picked[j][3].rec.case_id == case_id:
                j += 1
            self._park(self.cases[case_id], picked[i:j])
            i = j
        for rec in candidates:
            if rec.timers == 0:  # nothing in the queue: it comes back only when a post merges into it
                self._park(rec, [])
        del candidates, picked
        first.clear()
        count.clear()
        release_free_memory()  # what the parked forms and the batch itself held, back to the system

    def _park(self, rec: CaseRecord, entries: list[Any]) -> None:
        """Write the form (its record, the engine's state, its timers) to the parking lot and let go of it."""
        assert self._lot is not None
        cancellable = rec.cancellable
        timers = []
        for at, priority, eid, timer in entries:
            action = timer.action
            if getattr(action, "__self__", None) is not self:
                raise TypeError(f"a timer of {rec.case_id} calls {action!r}, not a method of the simulation")
            # cancellable or not: the list's order does not matter to _cancel (it treats each timer alone)
            timers.append((at, priority, eid, action.__name__, timer.args, timer.tag,  # type: ignore[union-attr]
                           cancellable is not None and timer in cancellable))
            timer.release()
        rec.cancellable = None
        case_id = rec.case_id
        token = self._lot.put((rec, self.engine.cases.pop(case_id), timers), entries[0][:3] if entries else None,
                              int(case_id[1:]))
        del self.cases[case_id]
        # unanswered, merges may still reach it: by its token (the lot's own key object, no second integer)
        self._swap_open(rec, token)

    def _unpark(self, token: int) -> CaseRecord:
        """Bring a parked form back: record, engine state, and its timers into SimPy's queue as they were."""
        assert self._lot is not None
        rec, state, timers = self._lot.take(token)
        self.cases[rec.case_id] = rec
        self.engine.cases[rec.case_id] = state
        queue: list[Any] = self.env._queue
        cancellable = []
        callbacks = self._timer_callbacks
        for at, priority, eid, name, args, tag, can in timers:
            timer = _Timer(callbacks, rec, getattr(self, name), args, at, tag)
            heappush(queue, (at, priority, eid, timer))
            if can:
                cancellable.append(timer)
        # timers of the list that had fired are not stored: _cancel skips them anyway
        rec.cancellable = cancellable or None
        self._swap_open(rec, rec)
        return rec

    def _parked_forms(self) -> Iterator[tuple[str, int]]:
        """The case ids and slots of the forms parked now."""
        if self._lot is None:
            return iter(())
        return ((f"C{self._lot.label(slot):07d}", slot) for slot in self._lot.slots())

    def _maybe_done(self) -> None:
        if (self._arrivals_done and self._pending == 0 and not self._waiting
                and self._busy_staff == 0 and not self.done.triggered):
            if self.env._now < self._alive_until:
                self._pending += 1

                def wake(_event: Any) -> None:
                    self._pending -= 1
                    self._maybe_done()

                self._call_in(self._alive_until - self.env._now, wake)
                return
            self.done.succeed()

    # -- arrivals ---------------------------------------------------------------
    def _day_factor(self, day: Any) -> float:
        return day_factor(self.sc.arrivals, self.cal.day_info(day))

    def hourly_rates(self) -> list[float]:
        """Posts per minute in each hour of the run (hour 0 starts at the start date's midnight)."""
        a = self.sc.arrivals
        hours = int((self.t_end - self.t0).total_seconds() // 3600)
        rates = []
        # hour h starts at t0 + h hours: aware arithmetic is wall-clock arithmetic and t0 is a midnight, so that is
        # hour h % 24 of day h // 24 (the calendar is asked once a day, not once an hour)
        first = self.t0.date()
        per_day, share = a.posts_per_day, self._hour_share
        factor = 0.0
        for h in range(hours):
            hour = h % 24
            if hour == 0 or h == 0:
                factor = self._day_factor(first + timedelta(days=h // 24))
            rates.append(per_day * share[hour] * factor / 60.0)
        return rates

    def _arrivals(self):  # type: ignore[no-untyped-def]
        rates = self.hourly_rates()
        hours = len(rates)
        if self._ahead is not None:  # the posts' draws and intake made in a second process (simulator.ahead)
            for t, drawn, intake, plan in self._ahead:
                if drawn is None:  # the end: the intake adapter's counts
                    self.adapter.counts.update(intake)
                    break
                yield self.env.timeout(t - self.env._now)
                self.posts += 1
                self._take_post(self.posts, drawn, (intake[0], _post_from_state(intake[1])), plan)
        else:
            for t in arrival_minutes(self.rng_arrivals, rates):
                yield self.env.timeout(t - self.env._now)
                self._new_post()
        if self.env._now < hours * 60:
            yield self.env.timeout(hours * 60 - self.env._now)
        self._arrivals_done = True
        self._maybe_done()

    def traffic(self) -> Iterator[tuple[float, tuple[Any, ...] | None, Any, Any]]:
        """The arrivals with their draws, what the intake adapter made of them and the citizen's follow-up
        plan, ``(minutes, drawn, intake, plan)`` post after post as ``_arrivals`` meets them, then
        ``(-1, None, the adapter's counts, None)``.

        What a second process computes ahead of the run (``simulator.ahead``): only the traffic streams and the
        intake adapter move (the adapter sees only these posts: follow-ups and count polls have their own), in
        the order the run moves them when it has no scripted posts (the only other posts that draw from them).
        The minutes are the clock's own: ``now + (t - now)``, what a timeout of ``t - now`` reaches.
        """
        now, n, t0 = 0.0, 0, self.t0
        for t in arrival_minutes(self.rng_arrivals, self.hourly_rates()):
            now = now + (t - now)
            n += 1
            posted = t0 + timedelta(0, 0, 0, 0, now)
            drawn = self._draw_post(n, posted)
            reason, post = self._intake(n, drawn, posted)
            # the citizen's stream is the case's own first "citizen" stream (case_rng), keyed by the post number
            yield now, drawn, (reason, _post_state(post)), self._citizen_plan(case_stream(self.seed, n, "citizen", 0))
        yield -1.0, None, dict(self.adapter.counts), None

    def desk_traffic(self) -> Iterator[tuple[Any, ...]]:
        """The arrivals and the duty desk on their own, as entries for the run, in the order of their times:

        - ``(DESK_ROW, minutes, fields)``: a row the platform or the desk logs then (收集整理, 开始研判, 直接答复,
          a rejected or redelivered payload: no unit, category or rule), formatted as events.csv holds it
          (``stream.event_fields``: the run puts it in its place without making a ``LogRow``);
        - ``(DESK_TRIAGED, minutes, n, channel, place, true category, minutes posted, repost times, author,
          full path, redelivered, post id, author id, staff, the adapter's post, citizen plan)``: the desk has
          read post ``n``, an actionable one: the run merges it or issues a form then (``_triaged``);
        - ``(DESK_WAITS, waits)``: the desk's waiting times so far (minutes, an ``array``), every
          ``WAITS_CHUNK`` of them, so that neither process holds them twice;
        - last, ``(DESK_IDLE, minutes, posts, the intake adapter's counts, the desk's statistics, (posts per
          day, posts per hour))``: from then on no post can come and the desk has nothing left to do
          (``_maybe_done``'s part of the desk); the posts counted from the 收集整理 rows as the run's
          accumulator counts them (``stream.count_post``).

        What a second process computes ahead of the run (``simulator.ahead``) when nothing observes the
        payloads as they are sent (a tap, ``on_event``) and there are no scripted posts: then the desk's work
        depends on nothing the policy decides.  Posts reach it from the traffic streams alone, its triage
        times come from its own stream, and the rota only stops once no post can come (a shift that would
        begin after that adds no staffed minute: the horizon is a whole number of hours, see
        ``_desk_ahead``).  This is the run's own code (``_arrivals``, ``_take_post``, ``_start_desk`` ...) on a
        fresh clock: the same events in the same order as in the run, where they never share a moment with
        the policy's (triage ends at continuous times), so the run gets the same rows at the same times,
        and the same forms at the same moments (tested byte for byte).
        """
        env = self.env = simpy.Environment()
        self.done = env.event()  # never triggered here: the run decides when it ends
        self.desk = DeskStats()
        self._waiting, self._idle, self._shift_ends = deque(), deque(), set()
        self._busy_staff = self.posts = 0
        self._ahead = None
        out: list[tuple[Any, ...]] = []
        arrived: dict[str, float] = {}
        idle: list[float] = []
        per_day: Counter[Any] = Counter()
        per_hour: Counter[Any] = Counter()
        stamp: list[Any] = [None, ""]  # the last moment formatted, and its text

        def row(r: LogRow) -> None:
            at = r.at
            if at is not self._now or r.activity not in _DESK_ACTIVITIES or r.unit or r.category \
                    or r.rule or r.deadline or r.merged_post or r.due or r.remind_at or r.points or r.reposts:
                raise AssertionError(f"not a desk row of this moment: {r}")
            if r.activity == COLLECT:
                arrived[r.case_id] = env._now
                count_post(per_day, per_hour, at)
            elif r.activity == DESK_ANSWER:  # a consultation answered at the desk: never triaged
                del arrived[r.case_id]
            if at is not stamp[0]:
                stamp[0], stamp[1] = at, at.isoformat()
            out.append((DESK_ROW, env._now, event_fields(r, stamp[1])))

        def triaged(rec: CaseRecord, raw: RawPost) -> None:
            n = int(rec.case_id[1:])
            out.append((DESK_TRIAGED, env._now, n, rec.channel, rec.place, rec.true_category,
                        arrived.pop(rec.case_id), rec.repost_times, rec.author, rec.full_path,
                        rec.redelivered, rec.post_id, rec.author_id, rec.triaged_by, _post_state(raw),
                        self._citizen_plan(case_stream(self.seed, n, "citizen", 0))))

        def maybe_done() -> None:
            if self._arrivals_done and not self._waiting and self._busy_staff == 0 and not idle:
                idle.append(env._now)

        self._emit, self._triaged, self._maybe_done = row, triaged, maybe_done  # type: ignore[method-assign]
        env.process(self._arrivals())
        self._start_desk()
        step = env.step
        chunk = self.WAITS_CHUNK
        while not idle:
            step()
            if out:
                yield from out
                out.clear()
                if len(self.desk.waits_minutes) >= chunk:  # a year: 170 MB of them, sent as they come
                    yield (DESK_WAITS, self.desk.waits_minutes)
                    self.desk.waits_minutes = array("d")
        d = self.desk
        yield (DESK_IDLE, idle[0], self.posts, dict(self.adapter.counts),
               (d.waits_minutes, d.busy_minutes, d.staffed_minutes, d.answered_directly, d.busy_by_line,
                d.staffed_by_line), (per_day, per_hour))

    def _desk_fed(self, _event: Any = None) -> None:
        """The run's side of ``desk_traffic``: the post the desk has just read (if this is its moment) merged
        or issued as a form, then the desk's rows up to the next post it reads, which is scheduled at its
        moment (with the key a ``Timeout`` would get).  Rows come before their time, as a unit's 调查办理 does:
        the event log holds them until the clock has passed them."""
        item = self._fed
        if item is not None:
            self._fed = None
            self._take_triaged(item)
        rows, at = self._desk_rows, self._desk_at
        for entry in self._feed:
            kind = entry[0]
            if kind == DESK_ROW:
                if rows is not None:
                    fields = entry[2]
                    rows(at(entry[1]), fields[0], fields)
            elif kind == DESK_TRIAGED:
                self._fed = entry
                self._call_at(entry[1], self._desk_fed)
                return
            elif kind == DESK_WAITS:
                self.desk.waits_minutes.extend(entry[1])  # type: ignore[attr-defined]
            else:
                self._desk_idle(entry)
                return
        raise AheadFailed("the traffic process ended without its last entry")

    def _desk_row_targets(self) -> tuple[Callable[[datetime, str, tuple[str, ...]], None] | None,
                                         Callable[[Any, Any], None] | None]:
        """Where the rows of ``desk_traffic`` go, formatted as events.csv holds them, and where the posts it
        counted by day and hour go: a streaming run's event log and accumulator, the way its ``log`` would
        put them (no event log: only the counts); else each row to ``_emit`` as a ``LogRow``."""
        sink = self.sink
        if sink is not None and type(sink).log is RunSink.log:  # its log, not a subclass's (see stream_to)
            return (sink.events.add_formatted if sink.events is not None else None), sink.acc.add_posts

        def emit(at: datetime, case_id: str, fields: tuple[str, ...]) -> None:
            self._emit(LogRow(case_id, fields[1], at, fields[3], "", ""))

        return emit, None

    def _desk_at(self, minutes: float) -> datetime:
        """``now()`` at ``minutes``: the same datetime the desk's process made for it."""
        if minutes != self._desk_minutes:
            self._desk_minutes = minutes
            self._desk_time = self.t0 + timedelta(0, 0, 0, 0, minutes)
        return self._desk_time

    def _take_triaged(self, item: tuple[Any, ...]) -> None:
        """A ``DESK_TRIAGED`` entry: the record the desk's process made, rebuilt, goes on as ``_triage_done``
        would take it on (``_triaged``)."""
        (_, _, n, channel, place, category, arrived, times, author, full, redelivered, post_id, author_id, staff,
         state, plan) = item
        rec = CaseRecord(f"C{n:07d}", channel, place, category, self._desk_at(arrived))
        rec.repost_times = times
        rec.author = author
        rec.citizen_plan = plan
        rec.full_path = full
        rec.status_id = _status_id(channel, n)
        rec.redelivered = redelivered
        rec.post_id, rec.author_id = post_id, author_id
        rec.triaged_by = staff
        self._triaged(rec, _post_from_state(state))  # type: ignore[arg-type]

    def _desk_idle(self, entry: tuple[Any, ...]) -> None:
        """The ``DESK_IDLE`` entry: what the run reports of the posts and the desk; at its moment the run may
        end (``_arrivals_done``: the desk's part of ``_maybe_done``)."""
        _, idle_at, self.posts, counts, stats, (per_day, per_hour) = entry
        self.adapter.counts.update(counts)
        if self._desk_posts is not None:
            self._desk_posts(per_day, per_hour)
        d = self.desk
        waits, d.busy_minutes, d.staffed_minutes, d.answered_directly, d.busy_by_line, d.staffed_by_line = stats
        d.waits_minutes.extend(waits)  # type: ignore[attr-defined]
        if idle_at > self.env._now:
            self._call_at(idle_at, self._arrivals_end)
        else:
            self._arrivals_end(None)
        if self._may_split():
            self._split_drain()

    # -- the drain in two processes (simulator/split.py) ---------------------------------------------------------
    #: the fewest forms held once the desk is idle for the drain to be split (a fork and its messages cost a few
    #: tens of milliseconds; a small run drains faster alone)
    SPLIT_MIN_FORMS = 5_000
    #: the share of the drain's forms (weighted by their timers) the second process takes: the run also writes
    #: the second process's rows (0.58: the two end together on megacity-day, measured)
    SPLIT_SHARE = 0.58

    def _may_split(self) -> bool:
        """Whether the drain can go on in two processes with the same results: a streaming run writing files
        through a plain ``RunSink``, nothing observing it, no form parked, nothing but forms' timers and the
        run's own bookkeeping in the queue, and every pending count accounted for by the forms held."""
        sink = self.sink
        if not (self.split_drain and os.environ.get("WENZHENG_SPLIT") != "0" and sink is not None and type(sink) is RunSink and sink.events is not None
                and sink.cases is not None and sink.peer is None and not self._observed
                and len(self.cases) >= self.SPLIT_MIN_FORMS and not self._waiting and self._busy_staff == 0
                and (self._lot is None or self._lot.count == 0) and second_core()):
            return False
        shared = (self._advance, self._arrivals_end)
        daily = self._daily_proc
        for entry in self.env._queue:
            ev = entry[3]
            cls = ev.__class__
            if cls is _Timer:
                continue
            if cls is _Call:
                if ev.callbacks[0] in shared:
                    continue
                return False
            if daily is None or not ev.callbacks or any(getattr(cb, "__self__", None) is not daily
                                                       for cb in ev.callbacks):
                return False
        return self._pending == sum(rec.timers for rec in self.cases.values())

    def _split_drain(self) -> None:
        """Fork: the child drains the forms of some units (``_drain_part``), this process the others; their
        rows, forms and counts come back through ``DrainPeer`` (simulator/split.py)."""
        import multiprocessing

        from .ahead import _widen
        from .pool import frozen_for_fork
        from .split import DrainPeer, share_units

        load: Counter[str] = Counter()
        for rec in self.cases.values():
            load[rec.unit] += 1 + rec.timers
        theirs = share_units(load, self.SPLIT_SHARE)
        if not theirs or len(theirs) == len(load):
            return
        assert self.sink is not None and self.sink.events is not None and self.sink.cases is not None
        held = len(self.cases)
        side = self._partition(theirs)
        read_fd, write_fd = os.pipe()
        _widen(write_fd)
        ctx = multiprocessing.get_context("fork")
        try:
            proc = ctx.Process(target=self._drain_part, args=(side, read_fd, write_fd), name="wenzheng-drain",
                               daemon=True)
            with frozen_for_fork():
                proc.start()
        finally:
            os.close(write_fd)
        self._peer = DrainPeer(proc, read_fd, self.now(), self.sink.events.add_formatted, self.sink.cases.add_fields)
        self.sink.peer = self._peer
        self._split_backlog_at = len(self.backlog)
        self.split_forms = (len(self.cases), held - len(self.cases))

    def _partition(self, theirs: frozenset[str]) -> _OtherSide:
        """Before the fork: take the forms of the units ``theirs`` (their engine state, their timers, their
        pending and open counts) out of this process's run, into what the child will drain.

        Done before the fork, and neither process touches the other's part after it: the two share their
        memory until one writes to it, and reading an object writes its reference count (each page touched
        is then copied: measured, 0.1 s of a megacity drain when each side sorted the forms after the fork)."""
        mine: dict[str, CaseRecord] = {}
        other: dict[str, CaseRecord] = {}
        pending = open_forms = 0
        for case_id, rec in self.cases.items():
            if rec.unit in theirs:
                other[case_id] = rec
                pending += rec.timers
                if rec.opened_at is not None and rec.replied_at is None:
                    open_forms += 1
            else:
                mine[case_id] = rec
        my_states: dict[str, Any] = {}
        their_states: dict[str, Any] = {}
        for case_id, state in self.engine.cases.items():
            if case_id in other:
                their_states[case_id] = state
            else:
                my_states[case_id] = state
        queue: list[Any] = self.env._queue
        my_queue: list[Any] = []
        their_queue: list[Any] = []
        for entry in queue:
            ev = entry[3]
            if ev.__class__ is _Timer:
                owner = ev.rec
                if owner is None:  # cancelled: does nothing when it comes (the run lasts as long all the same)
                    my_queue.append(entry)
                elif owner.unit in theirs:
                    their_queue.append(entry)
                else:
                    my_queue.append(entry)
            else:  # the run's own bookkeeping (checked by _may_split): on both sides
                my_queue.append(entry)
                their_queue.append(entry)
        heapify(my_queue)
        heapify(their_queue)
        queue[:] = my_queue  # in place: the run loop holds this list
        self.cases = mine
        self.engine.cases = my_states
        self._pending -= pending
        self._open_forms -= open_forms
        side = _OtherSide(other, their_states, their_queue, pending, open_forms)
        self._other_side = side  # held until the child has ended (freeing it would touch shared pages)
        return side

    def _drain_part(self, side: _OtherSide, read_fd: int, write_fd: int) -> None:
        """The child of ``_split_drain``: drain the forms of ``side``, send rows, forms and counts."""
        from .split import PeerSink, run_child

        os.close(read_fd)

        def work() -> None:
            # what the run owns or drains stays referenced here and is never touched, closed or flushed by this
            # process: its forms and queue, its event log's buffer, its parked-forms file, the traffic process
            self._other_side = (self.cases, self.engine.cases, self.env._queue, self.sink, self._lot, self._ahead,
                                self._feed)
            self.cases, self.engine.cases, self.env._queue = side.cases, side.states, side.queue
            self._pending, self._open_forms = side.pending, side.open_forms
            self._ahead, self._lot, self._feed = None, None, iter(())
            self._wake_at = math.inf
            self.progress = _no_progress
            backlog_from = len(self.backlog)
            updates0 = self.updates.counts + self.updates.count_updates
            sink = PeerSink(write_fd, self.cal, self.t0, self.t_end)
            self.stream_to(sink)  # type: ignore[arg-type]
            self._run_until_done()
            self._hand_over_open(clear=False)  # the process ends next: nothing to free
            sink.end({"acc": sink.acc, "backlog": self.backlog[backlog_from:], "open": self._open_forms,
                      "now": self.env._now, "updates": (self.updates.counts + self.updates.count_updates) - updates0})

        run_child(write_fd, work)

    def _hand_over_open(self, clear: bool = True) -> None:
        """The run has drained: the polls never reported counted; in a streaming run, the forms still open go
        to the sink by case id, each leaving memory as it goes (parked ones read back one at a time)."""
        for rec in self.cases.values():
            self._count_unreported_polls(rec)
        if self.sink is None:
            return
        held = self.cases
        parked = dict(self._parked_forms())
        for case_id in sorted([*held, *parked]):
            if case_id in parked:
                assert self._lot is not None
                rec = self._lot.take(parked[case_id])[0]
                self._count_unreported_polls(rec)
            else:
                rec = held.pop(case_id)
            self.sink.case(rec)
        if clear:
            self.engine.cases.clear()
            self._open_by_problem.clear()
        if self._lot is not None:
            self._lot.close()

    def _join_peer(self) -> None:
        """The run's part has drained: wait for the child's, take in its counts.  The backlog's snapshots add
        up day by day (a side that drained earlier counts its forms still open then)."""
        peer, sink = self._peer, self.sink
        assert peer is not None and sink is not None
        result = peer.finish()
        sink.peer = None
        self._peer = None
        self._other_side = None  # the child has ended: its part is this process's own memory again
        sink.acc.merge(result["acc"])
        self.updates.count_updates.update(result["updates"])
        k = self._split_backlog_at
        ours, theirs = self.backlog[k:], result["backlog"]
        merged = []
        for i in range(max(len(ours), len(theirs))):
            day = ours[i][0] if i < len(ours) else theirs[i][0]
            merged.append((day, (ours[i][1] if i < len(ours) else self._open_forms)
                           + (theirs[i][1] if i < len(theirs) else result["open"])))
        self.backlog[k:] = merged
        self._open_forms += result["open"]
        if result["now"] > self.env._now:
            self.env._now = result["now"]  # the run ends when both parts have drained

    def _arrivals_end(self, _event: Any) -> None:
        self._arrivals_done = True
        self._maybe_done()

    def _new_post(self, scripted: Any = None) -> None:
        self.posts += 1
        n = self.posts
        self._take_post(n, self._draw_post(n, self.now(), scripted))

    def _draw_post(self, n: int, posted: datetime, scripted: Any = None) -> tuple[Any, ...]:
        """Post ``n``'s draws from the traffic streams (arrivals, reposts, content, platform): what the post
        is, its repost cascade, and what the platform does to its payload.  Nothing else of the run is read
        or changed, so the draws are the same made here or in a second process.

        ``(channel, place, category, actionable, text, author, repost times | None, geo, payload | "",
        corrupted payload | None, redelivered)``; the payload is built for posts in the payload sample.
        """
        a = self.sc.arrivals
        rng = self.rng_arrivals
        if scripted is None:
            channel = _weighted_choice(rng, a.channels)
            place = _weighted_choice(rng, a.places)
            actionable = rng.random() < a.actionable_share
            category = _weighted_choice(rng, a.categories) if actionable else ""
            direct = a.reposts.direct.sample(self.rng_reposts) if channel == "weibo" else 0.0
            text = None
        else:
            channel, place, category = scripted.channel, scripted.place, scripted.category
            actionable, direct, text = True, float(scripted.direct_reposts), scripted.text
        author = self.content.author()
        if text is None:
            text = self.content.text(category, place) if actionable else self.content.consultation(place)
        times = None
        if channel == "weibo" and direct > 0:
            r = a.reposts
            times = array("d", hawkes_cascade(self.rng_reposts, direct, r.decay_minutes, r.branching,
                                              r.reaction_minutes, r.horizon_minutes, r.cap))
        geo = None
        if channel == "weibo" and self.rng_content.random() < self.sc.platforms.geo_share:
            geo = self.content.geo_point(self.rng_content, place)
        # the platform: native payload (built for the payload sample), corruption, redelivery
        p = self.sc.platforms
        rng = self.rng_platform
        payload = self._payload(channel, _status_id(channel, n), posted, text, author, geo) \
            if self._full_path(n) else ""
        bad = None
        if rng.random() < p.malformed:
            bad = corrupt(channel, payload or self._payload(channel, _status_id(channel, n), posted, text, author, geo),
                          rng)
        redelivered = rng.random() < p.duplicate_delivery
        return channel, place, category, actionable, text, author, times, geo, payload, bad, redelivered

    def _take_post(self, n: int, drawn: tuple[Any, ...], intake: tuple[str | None, RawPost | None] | None = None,
                   plan: tuple[tuple[float, bool], ...] | None = None) -> None:
        """Post ``n`` arrives now with its draws (``_draw_post``), what the intake adapter made of it (``_intake``:
        made here unless given) and its citizen's plan (``_citizen_plan``: drawn when the form opens unless
        given): into the log, to the desk."""
        channel, place, category, actionable, text, author, times, geo, payload, bad, redelivered = drawn
        case_id = f"C{n:07d}"
        posted = self.now()
        if intake is None:
            intake = self._intake(n, drawn, posted)
        rec = CaseRecord(case_id, channel, place, category, posted)
        if times is not None:
            rec.repost_times = times
        rec.author = author
        rec.citizen_plan = plan
        reason, post = intake
        raw = self._deliver(n, channel, posted, rec, payload, redelivered, reason, post)
        if raw is None:  # cannot happen for intact payloads; counted by the adapter
            return
        self._emit(LogRow(case_id, COLLECT, posted, "desk", "", ""))  # not yet classified
        if rec.redelivered:  # the redelivery came after the post was collected
            self._emit(LogRow(case_id, PAYLOAD_DUPLICATE, posted, "platform", "", ""))
        self._enqueue((rec, raw, actionable, self.env._now))

    def _full_path(self, n: int) -> bool:
        """Whether post ``n`` (and its count polls) goes through the payload text and the adapters.

        A hash of the seed and the post number, not a draw: sampling never moves a random stream, so the
        results are the same whatever the share (a test holds them identical).
        """
        share = self._payload_sample
        if share >= 1.0:
            return True
        x = (self.seed * 0x9E3779B97F4A7C15 + n * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
        x = ((x ^ (x >> 31)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
        return (x ^ (x >> 29)) < share * 2.0**64

    def _intake(self, n: int, drawn: tuple[Any, ...], posted: datetime) -> tuple[str | None, RawPost | None]:
        """Post ``n`` through the intake adapter as the platform sends it (``_draw_post`` drew what it does): a
        corrupted payload first (rejected and counted; the platform retries intact), then the intake one, then a
        redelivery (dropped as a duplicate and counted).  The corrupted payload's rejection reason (None: none
        sent), and the post.

        Posts outside the payload sample skip building and parsing the text but make the same counts: the
        adapter's result is built directly (``delivered_post``).
        """
        channel, _, _, _, text, author, _, geo, payload, bad, redelivered = drawn
        adapter = self.adapter
        parse = adapter.weibo if channel == "weibo" else adapter.wechat
        reason = None if bad is None else parse(bad).reason or ""
        if payload:
            post = parse(payload).post
        else:
            post = adapter.accept(delivered_post(channel, _status_id(channel, n), posted, text, author, geo)).post
        if redelivered:
            if payload:
                parse(payload)  # a redelivery: dropped as duplicate and counted
            else:
                adapter.accept(post)  # type: ignore[arg-type]
        return reason, post

    def _deliver(self, n: int, channel: str, posted: datetime, rec: CaseRecord, payload: str, redelivered: bool,
                 reason: str | None, post: RawPost | None) -> RawPost | None:
        """What the intake did, recorded: the payload seen by the tap, the rejected delivery logged, the ids."""
        full = rec.full_path = payload != ""  # built for the payload sample (a payload is never empty)
        rec.status_id = _status_id(channel, n)
        if full:
            self.tap(rec.case_id, "post", payload)
        if reason is not None:
            self._emit(LogRow(rec.case_id, PAYLOAD_REJECTED, posted, reason, "", ""))
        if redelivered:
            rec.redelivered = True
        if post is not None:
            rec.post_id, rec.author_id = post.post_id, post.author_id
        return post

    @staticmethod
    def _payload(channel: str, status_id: int, posted: datetime, text: str, author: Any,
                 geo: tuple[float, float] | None) -> str:
        if channel == "weibo":
            return weibo_status(status_id, posted, text, author.handle, author.uid, geo=geo,
                                followers=author.followers)
        return wechat_message(status_id, posted, text, author.openid)

    def _poll_counts(self, rec: CaseRecord, at: datetime) -> int:
        """The post's reposts + comments at ``at``, as the desk reads them: a statuses/count reply
        through the adapter (counted without the reply's text outside the payload sample)."""
        n = self.reposts_at(rec, at)
        if rec.channel != "weibo" or not rec.repost_times:
            return n
        if not rec.full_path:
            self.updates.count_updates["accepted"] += 1
            return n
        if rec.comment_times is None:
            # each engagement is a comment or a repost; a stream of the case's own, so the repost cascades
            # (and the hot events they make) are the same draws as without the split
            rng = case_stream(self.seed, int(rec.case_id[1:]), "comments", 0)
            rec.comment_times = [m for m, u in zip(rec.repost_times, rng.randoms(len(rec.repost_times)), strict=True)
                                 if u < COMMENT_SHARE]
        minutes = (at - rec.posted_at).total_seconds() / 60.0
        comments = bisect.bisect_right(rec.comment_times, minutes)
        payload = weibo_counts([(rec.status_id, n - comments, comments)])
        self.tap(rec.case_id, "counts", payload)
        for update in self.updates.weibo_counts(payload).updates:
            if update.post_id == rec.post_id:
                return update.engagement
        return n  # cannot happen for an intact payload; the adapter counted the rejection

    def _follow_up(self, rec: CaseRecord) -> None:
        """The citizen posts again, from the same Weibo account or WeChat OpenID, through the adapter.

        Follow-ups are never corrupted or redelivered: their random draws would depend on the policy
        (whether the case was answered) and would shift the platform stream of every later post.
        """
        rec.followups += 1
        now = self.now()
        self._emit(LogRow(rec.case_id, FOLLOW_UP, now, "citizen", rec.unit, rec.category))
        text = None
        a = rec.author
        if a is not None:
            self._follow_up_seq += 1
            k = self._follow_up_seq
            words = self.content.follow_up(self.case_rng(rec, "follow-up"), (now - rec.posted_at).days)
            sid = (3_800_000_000_000_000 if rec.channel == "weibo" else 6_100_000_000_000_000_000) + k
            if not rec.full_path:
                result = self.updates.accept(delivered_post(rec.channel, sid, now, words, a))
            elif rec.channel == "weibo":
                payload = weibo_status(sid, now, words, a.handle, a.uid, followers=a.followers)
                result = self.updates.weibo(payload)
                self.tap(rec.case_id, "follow-up", payload)
            else:
                payload = wechat_message(sid, now, words, a.openid)
                result = self.updates.wechat(payload)
                self.tap(rec.case_id, "follow-up", payload)
            text = result.post.text if result.post is not None else None
        self._handle(rec, _follow_up_posted(rec.case_id, now, text))

    def reposts_at(self, rec: CaseRecord, at: datetime) -> int:
        minutes = (at - rec.posted_at).total_seconds() / 60.0
        return bisect.bisect_right(rec.repost_times, minutes)

    # -- the duty desk ----------------------------------------------------------
    # The desk is a dispatcher, not one process per staff member: a FIFO queue of posts, a FIFO of idle
    # staff on duty, and per member only the events that change their state (shift start, end of
    # handover, end of a triage, end of shift).  It keeps the order the old one-process-per-member desk
    # had, event for event: idle staff take posts in the order they became idle; members released from a
    # shift (idle at its end, in queue order; busy ones when their triage ends) start their next shift in
    # that order.  1,000 operators cost a handful of events per shift instead of a million resumptions.
    def _start_desk(self) -> None:
        desk = self.sc.desk
        self._windows = {letter: shift.window() for letter, shift in desk.shifts.items()}
        for line in self.sc.desk.rota:
            if set(line.pattern) == {"-"}:  # never on duty (e.g. on leave all cycle)
                continue
            for i in range(line.count):
                name = line.name if line.count == 1 else f"{line.name}#{i + 1}"
                self._release(_Staff(name, line.name, line.pattern))

    def _release(self, s: _Staff) -> None:
        """A member leaves a shift (or starts the run): wait for the next shift of their pattern.

        Once no post can reach the desk any more (arrivals over, scripted posts in, queue empty, nobody
        triaging), the rota stops: later shifts could change nothing (staffed minutes count only while
        posts arrive), and the drain can last months of simulated time.
        """
        if self.done.triggered or (self._arrivals_done and self._scripted_left == 0 and not self._waiting
                                   and self._busy_staff == 0):
            return
        pattern = s.pattern
        while pattern[s.day % len(pattern)] == "-":
            s.day += 1
        a, b = self._windows[pattern[s.day % len(pattern)]]
        start, s.end = s.day * 1440 + a, s.day * 1440 + b
        s.day += 1
        if self.env._now < start:
            self._call_in(start - self.env._now, lambda _e: self._shift_begins(s, start))
        else:
            self._shift_begins(s, start)

    def _shift_begins(self, s: _Staff, start: float) -> None:
        if self.done.triggered:
            return
        # utilisation is measured while posts arrive, not during the drain
        staffed = max(0.0, min(s.end, self._horizon) - start)
        self.desk.staffed_minutes += staffed
        self.desk.staffed_by_line[s.line] = self.desk.staffed_by_line.get(s.line, 0.0) + staffed
        handover = self.sc.desk.handover_minutes
        if handover and self.env._now < s.end:
            self._call_in(min(handover, s.end - self.env._now), lambda _e: self._ready(s))
        else:
            self._ready(s)

    def _ready(self, s: _Staff) -> None:
        """The member is free on duty: take the next post, or wait for one until the shift ends."""
        if self.env._now >= s.end:
            self._release(s)
        elif self._waiting:
            self._take(s, self._waiting.popleft())
        else:
            self._idle.append(s)
            if s.end not in self._shift_ends:
                self._shift_ends.add(s.end)
                end = s.end
                self._call_in(end - self.env._now, lambda _e: self._shift_ends_at(end))

    def _shift_ends_at(self, end: float) -> None:
        self._shift_ends.discard(end)
        leaving = [s for s in self._idle if s.end == end]
        if not leaving:
            return
        self._idle = deque(s for s in self._idle if s.end != end)
        for s in leaving:
            self._release(s)

    def _enqueue(self, item: tuple[Any, ...]) -> None:
        """A post reaches the desk: the longest-idle member takes it, else it waits in the queue."""
        if self._idle:
            self._take(self._idle.popleft(), item)
        else:
            self._waiting.append(item)

    def _take(self, s: _Staff, item: tuple[Any, ...]) -> None:
        self._busy_staff += 1
        rec, raw, actionable, queued_at = item
        now = self.env._now
        self._emit(LogRow(rec.case_id, TAKE, self.now(), s.name, "", ""))
        self.desk.waits_minutes.append(now - queued_at)  # type: ignore[attr-defined]
        service = self.sc.desk.triage_minutes.sample(self.rng_desk)
        if now < self._horizon:  # like the staffed minutes: while posts arrive, not in the drain
            self.desk.busy_minutes += service
            self.desk.busy_by_line[s.line] = self.desk.busy_by_line.get(s.line, 0.0) + service
        self._call_in(service, lambda _e: self._triage_done(s, rec, raw, actionable))

    def _triage_done(self, s: _Staff, rec: CaseRecord, raw: Any, actionable: bool) -> None:
        self._busy_staff -= 1
        if actionable:
            rec.triaged_by = s.name
            self._triaged(rec, raw)
        else:
            self.desk.answered_directly += 1
            self._emit(LogRow(rec.case_id, DESK_ANSWER, self.now(), s.name, "", ""))
        self._maybe_done()
        if self.env._now < s.end:
            self._ready(s)
        else:
            self._release(s)

    # -- cases through the engine ------------------------------------------------
    def _triaged(self, rec: CaseRecord, raw: RawPost) -> None:
        """The desk has read an actionable post: merge it into an open case or issue a form."""
        key = (rec.place, rec.true_category)
        share = self.sc.arrivals.same_problem_share
        if share > 0 and self.case_rng(rec, "merge").random() < share:
            # the newest unanswered form of the problem (a parked one stands there as its token, an int)
            same = self._open_by_problem.get(key)
            if same:
                target = next(reversed(same.values()))
                if isinstance(target, int):  # parked: back into memory now (its timers back in the queue)
                    assert self._lot is not None
                    self._lot.taken_early += 1
                    target = self._unpark(target)
                target.merged_posts += 1
                self.desk.merged += 1
                self._emit(LogRow(target.case_id, MERGED, self.now(), "desk", target.unit, target.category,
                                       merged_post=rec.case_id))
                self._handle(target, _follow_up_posted(target.case_id, self.now(), raw.text))
                return
        self._open_by_problem.setdefault(key, {})[rec.case_id] = rec
        # the desk locates the post: a geotag, else a landmark the text names, else (asking the citizen)
        # the true place; a border landmark can put it in the neighbouring street or town
        rec.located_place = self.gazetteer.locate(raw.text, raw.geo) or rec.place
        if rec.located_place not in self.policy.places:
            rec.located_place = rec.place
        self._open_case(rec, raw)

    def _open_case(self, rec: CaseRecord, raw: RawPost) -> None:
        at = self.now()
        rec.opened_at = at
        # the post as the desk forwards it: located, with the count read now (what RawPost.at_place and a
        # model_copy give, built without validating again the values the adapter validated)
        post = _post(raw.post_id, raw.channel, raw.author, raw.text, rec.located_place, raw.posted_at,
                     self._poll_counts(rec, at))
        self.cases[rec.case_id] = rec
        self._open_forms += 1
        decision = self._decide(_post_received(rec.case_id, at, post))
        self._apply(rec, decision)
        if self._route_is_true and rec.true_category == rec.category and rec.place == rec.located_place:
            # the reference routing on the engine's own fact (up to fields it does not test): its answer
            rec.true_unit = next((e.unit for e in decision.effects if isinstance(e, Route)), "")
        else:
            rec.true_unit = self._true_unit(rec)
        self._start_unit(rec)
        self._start_reposts(rec)
        self._start_citizen(rec)
        if self._resident is not None and len(self.cases) > self._room():
            self._wake_at = -math.inf  # park some forms before the next event

    def _true_unit(self, rec: CaseRecord) -> str:
        """The unit the reference policy's routing gives for the post's true category and place."""
        case = self.engine.cases[rec.case_id]
        fact = case.fact("post_received", category=rec.true_category, place=rec.place)
        table = self.reference.tables.get("routing")
        if table is None:
            return ""
        # the answer depends only on what the routing rules test: remembered per combination
        key = self._routing_key(fact)  # type: ignore[misc]
        chosen = self._true_units.get(key)
        if chosen is None:
            chosen = self._true_units[key] = table.evaluate(fact)
        if not chosen:
            return ""
        then = chosen[0].then
        return then.unit if then.unit is not None else self.reference.place_owner.get(rec.place, "")

    def _apply(self, rec: CaseRecord, decision: Decision) -> None:
        at = decision.at
        for eff in decision.effects:
            if self._record_decisions and isinstance(eff, Classify | Route | SetDeadline | Escalate | Deduct
                                                     | FlagAccountability):
                rec.decisions.append(_decision_row(eff))
            if isinstance(eff, Classify):
                rec.category = eff.category
            elif isinstance(eff, Route):
                rec.unit = eff.unit
                self._emit(LogRow(rec.case_id, REPORT, at, rec.triaged_by or "desk", rec.unit, rec.category,
                                       rule=eff.trace.rule_id))
            elif isinstance(eff, MarkHot):
                rec.hot_at = at
                self._emit(LogRow(rec.case_id, HOT, at, "platform", rec.unit, rec.category,
                                       rule=eff.trace.rule_id))
                self._start_statement(rec, at)
            elif isinstance(eff, SetDeadline):
                self._emit(LogRow(rec.case_id, DEADLINE_SET, at, "policy", rec.unit, rec.category,
                                       rule=eff.trace.rule_id, deadline=eff.deadline, due=eff.due,
                                       remind_at=eff.remind_at))
                self._set_deadline(rec, eff)
            elif isinstance(eff, Remind):
                rec.reminders += 1
                self._emit(LogRow(rec.case_id, SUPERVISE, at, "desk", rec.unit, rec.category,
                                       rule=eff.trace.rule_id))
                self._supervised(rec, self._behaviour(rec).respond_to_reminder)
            elif isinstance(eff, Escalate):
                rec.escalations += 1
                self._emit(LogRow(rec.case_id, SUPERVISE, at, eff.to, rec.unit, rec.category,
                                       rule=eff.trace.rule_id))
                self._supervised(rec, self._behaviour(rec).respond_to_escalation)
            elif isinstance(eff, Deduct):
                rec.deductions += eff.points
                if self.sink is not None:
                    self.sink.deduction(at, eff.unit, eff.points, eff.reason)
                else:
                    self.deductions.append((at, eff.unit, eff.points, eff.reason))
                self._emit(LogRow(rec.case_id, DEDUCT, at, "assessment", eff.unit, rec.category,
                                       rule=eff.trace.rule_id, points=eff.points))
            elif isinstance(eff, FlagAccountability):
                rec.accountability = True
                self._emit(LogRow(rec.case_id, ACCOUNTABILITY, at, "assessment", eff.unit, rec.category,
                                       rule=eff.trace.rule_id))
            elif isinstance(eff, Close):
                self._emit(LogRow(rec.case_id, REPLY, at, rec.unit, rec.unit, rec.category,
                                       rule=eff.trace.rule_id))

    def _handle(self, rec: CaseRecord, event: Any) -> None:
        if rec.lazy_checks:
            self._sync_reposts(rec, event.at)
        self._apply(rec, self._decide(event))

    def _set_deadline(self, rec: CaseRecord, eff: SetDeadline) -> None:
        if eff.deadline == "reply":
            rec.reply_due = eff.due
        else:
            rec.statement_due = eff.due
        # a method and its arguments, not a closure per timer (an open form's memory: docs/performance.md)
        if eff.remind_at is not None:
            self._schedule(eff.remind_at, self._deadline_fires, rec, (eff.deadline, True), (rec, eff, True))
        self._schedule(eff.due, self._deadline_fires, rec, (eff.deadline, False), (rec, eff, False))

    def _deadline_fires(self, rec: CaseRecord, eff: SetDeadline, reminder: bool) -> None:
        cid = rec.case_id
        if not reminder:
            if rec.lazy_checks:
                self._sync_reposts(rec, self.now())
            done = rec.replied_at if eff.deadline == "reply" else rec.statement_at
            if done is None or done > eff.due:
                state = self.engine.cases.get(cid)
                self._emit(LogRow(cid, OVERDUE, self.now(), "timer", rec.unit, rec.category,
                                       deadline=eff.deadline, due=eff.due,
                                       reposts=state.reposts if state is not None else None))
        self._handle(rec, _deadline_reached(cid, self.now(), eff.deadline, reminder))

    # -- units ------------------------------------------------------------------
    def case_rng(self, rec: CaseRecord, purpose: str) -> random.Random:
        """A random stream for one decision of one case (common random numbers across policies).

        The k-th draw group of a purpose on a case always gets the same stream,
        whatever happened to other cases: a keyed counter-based stream (``streams.case_stream``,
        ~2 µs to make; seeding a Mersenne Twister from a string cost ~5 µs); only the per-case
        counters are kept.
        """
        k = rec.draws.get(purpose, 0)
        rec.draws[purpose] = k + 1
        return case_stream(self.seed, int(rec.case_id[1:]), purpose, k)

    def _behaviour(self, rec: CaseRecord) -> UnitBehaviour:
        b = self._behaviours.get(rec.unit)
        if b is None:
            spec = self.policy.units.get(rec.unit)
            utype = spec.type if spec is not None else "office"
            b = self.sc.units.behaviour(rec.unit, utype)
            self._behaviours[rec.unit] = b
        return b

    def _work_after(self, b: UnitBehaviour, start: datetime, working_days: float) -> datetime:
        opens, closes = b.working_hours
        day_minutes = (closes.hour * 60 + closes.minute) - (opens.hour * 60 + opens.minute)
        return advance_working(self.cal, start, working_days * day_minutes, opens, closes)

    def _start_unit(self, rec: CaseRecord) -> None:
        if not rec.unit:  # a gap in the routing rules: no unit receives the form
            return
        b = self._behaviour(rec)
        silent, delay, kind = unit_response(self.case_rng(rec, "unit"), b)
        if silent:
            starts = next_working_moment(self.cal, self.now(), *b.working_hours)
            self._emit(LogRow(rec.case_id, HANDLE, starts, rec.unit, rec.unit, rec.category))
            return
        if b.capacity is None:
            self._work(rec, b, delay, kind, None)
            return
        slots = self._unit_slots.get(rec.unit)
        if slots is None:
            slots = self._unit_slots[rec.unit] = simpy.Resource(self.env, capacity=b.capacity)
        self._pending += 1
        rec.timers += 1
        self.env.process(self._wait_for_slot(rec, b, delay, kind, slots))

    def _wait_for_slot(self, rec: CaseRecord, b: UnitBehaviour, delay: float, kind: str,
                       slots: simpy.Resource):  # type: ignore[no-untyped-def]
        request = slots.request()
        yield request
        self._pending -= 1
        if rec.replied_at is not None:  # answered under supervision while it waited: free the slot at once
            slots.release(request)
        else:
            self._work(rec, b, delay, kind, (slots, request))
        rec.timers -= 1
        if rec.timers == 0 and rec.replied_at is not None:
            self._case_finished(rec)
        self._maybe_done()

    def _work(self, rec: CaseRecord, b: UnitBehaviour, delay: float, kind: str, slot: Any) -> None:
        starts = next_working_moment(self.cal, self.now(), *b.working_hours)
        self._emit(LogRow(rec.case_id, HANDLE, starts, rec.unit, rec.unit, rec.category))
        rec.slot = slot
        self._plan_reply(rec, self._work_after(b, starts, delay), kind)

    def _plan_reply(self, rec: CaseRecord, at: datetime, kind: str) -> None:
        rec.reply_version += 1
        version = rec.reply_version
        rec.pending_reply_at = at
        self._cancel(rec, lambda tag: tag == "plan")  # a reply planned before is superseded: it would do nothing
        # timers here and below: a method with its arguments, not a closure (an open form's memory)
        self._schedule(at, self._reply_due, rec, "plan", (rec, version, kind))

    def _reply_due(self, rec: CaseRecord, version: int, kind: str) -> None:
        if rec.reply_version != version or rec.replied_at is not None:
            return
        rec.replied_at = self.now()
        self._swap_open(rec, None)  # no post merges into an answered form any more
        rec.reply_kind = kind
        rec.pending_reply_at = None
        self._open_forms -= 1
        if rec.slot is not None:
            rec.slot[0].release(rec.slot[1])
            rec.slot = None
        self._handle(rec, _reply_filed(rec.case_id, self.now(), kind))
        self._fulfilled(rec, "reply")
        if kind == "近期解决":
            self._promise(rec)

    def _promise(self, rec: CaseRecord) -> None:
        """近期解决: the reply promises a fix by a date; the promise is kept or broken."""
        b = self._behaviour(rec)
        rng = self.case_rng(rec, "promise")
        due = self._work_after(b, self.now(), b.promise_working_days.sample(rng))
        kept = rng.random() < b.promise_kept
        rec.promise_due = due
        self._schedule(due, self._promise_due, rec, None, (rec, kept))

    def _promise_due(self, rec: CaseRecord, kept: bool) -> None:
        rec.promise_kept = kept
        activity = PROMISE_KEPT if kept else PROMISE_BROKEN
        self._emit(LogRow(rec.case_id, activity, self.now(), rec.unit, rec.unit, rec.category))
        if not kept:  # the citizen sees nothing happen and posts again
            self._follow_up(rec)

    def _supervised(self, rec: CaseRecord, respond_probability: float) -> None:
        """A reminder or escalation: a silent or slow unit may reply sooner."""
        if rec.replied_at is not None:
            return
        b = self._behaviour(rec)
        rng = self.case_rng(rec, "supervision")
        responds = rng.random() < respond_probability
        delay = b.supervised_reply_working_days.sample(rng)
        kind = _weighted_choice(rng, b.reply_kinds)
        if not responds:
            return
        at = self._work_after(b, self.now(), delay)
        if rec.pending_reply_at is None or at < rec.pending_reply_at:
            self._plan_reply(rec, at, kind)

    def _start_statement(self, rec: CaseRecord, at: datetime) -> None:
        b = self._behaviour(rec)
        minutes = b.statement_minutes.sample(self.case_rng(rec, "statement"))
        self._schedule(at + timedelta(0, 0, 0, 0, minutes), self._statement_due, rec, None, (rec,))

    def _statement_due(self, rec: CaseRecord) -> None:
        rec.statement_at = self.now()
        self._emit(LogRow(rec.case_id, STATEMENT, self.now(), rec.unit, rec.unit, rec.category))
        self._handle(rec, _statement_issued(rec.case_id, self.now()))
        self._fulfilled(rec, "external_statement")

    # -- platform and citizens ----------------------------------------------------
    def _start_reposts(self, rec: CaseRecord) -> None:
        """Plan the desk's polls of the post's counts (``checks_minutes``), reported only where they grew.

        A poll is an engine event at its time only where the policy can react to it: the first poll at
        or above the lowest repost threshold of the hot rules (see ``repost_trigger``).  The others only
        move the engine's count: they are reported, with their own times, just before the case's next
        engine event (``_sync_reposts``), so every decision sees the count it saw before.
        """
        if not rec.repost_times:
            return
        # the cascade is known in advance: report only the checks at which the count has grown
        now = self.now()
        times = rec.repost_times
        last = self.reposts_at(rec, now)
        thresholds = self._repost_thresholds
        lazy: list[datetime] = []
        posted = rec.posted_at
        for delta, minutes in self._checks:
            at = posted + delta
            n = bisect.bisect_right(times, minutes)  # reposts_at(rec, at): (at - posted) is delta exactly
            if at <= now or n <= last:
                continue
            if thresholds is not None and not any(last < t <= n for t in thresholds):
                lazy.append(at)
                self._keep_alive(at)  # the run lasts as long as if the poll had been a timer
            else:
                self._schedule(at, self._poll_due, rec, None, (rec, at))
            last = n
        rec.lazy_checks = lazy or None

    def _poll_due(self, rec: CaseRecord, at: datetime) -> None:
        self._sync_reposts(rec, at)  # polls due before this one first, as they were made
        self._handle(rec, _reposts_updated(rec.case_id, at, self._poll_counts(rec, at)))

    def _sync_reposts(self, rec: CaseRecord, now: datetime) -> None:
        """Report to the engine the latest poll due by ``now`` that was not sent at its time."""
        checks = rec.lazy_checks
        if not checks or checks[0] > now:
            return
        i = bisect.bisect_right(checks, now)
        at = checks[i - 1]
        self.updates.count_updates["accepted"] += i - 1  # the polls in between: read, and superseded
        rec.lazy_checks = checks[i:]
        self._apply(rec, self._decide(_reposts_updated(rec.case_id, at, self._poll_counts(rec, at))))

    def _citizen_plan(self, rng: random.Random) -> tuple[tuple[float, bool], ...]:
        """The citizen's follow-ups: for each, the days after the last (or the form's opening) and whether
        they post then; the draws in that order."""
        c = self.sc.citizens
        days, p, rnd = c.follow_up_after_days.sample, c.follow_up_probability, rng.random
        plan = []
        for _ in range(c.max_follow_ups):  # a loop, not a generator: the draws in the same order, faster
            plan.append((days(rng), rnd() < p))
        return tuple(plan)

    def _start_citizen(self, rec: CaseRecord) -> None:
        plan = rec.citizen_plan
        if plan is None:
            plan = self._citizen_plan(self.case_rng(rec, "citizen"))
        else:  # drawn ahead from the same stream: counted as drawn, as case_rng counts it
            rec.citizen_plan = None
            rec.draws["citizen"] = rec.draws.get("citizen", 0) + 1
        at = rec.opened_at or self.now()
        for days, again in plan:
            at = at + timedelta(days)  # days: the first argument
            if not again:
                self._keep_alive(at)  # a citizen who will not post again: nothing to schedule
                continue

            self._schedule(at, self._citizen_posts_again, rec, "follow-up", (rec,))

    def _citizen_posts_again(self, rec: CaseRecord) -> None:
        if rec.replied_at is None:
            self._follow_up(rec)

    # -- bookkeeping ----------------------------------------------------------------
    def _daily(self):  # type: ignore[no-untyped-def]
        while not self.done.triggered:
            yield self.env.timeout(1440 - self.env._now % 1440)
            self.backlog.append((self.now().date().isoformat(), self._open_forms))
            self._report_progress()

    def _report_progress(self) -> None:
        """``progress`` told the share of the period simulated (each midnight, and each hour the event log is
        told the time: a one-day run's bar moves too)."""
        self.progress(min(1.0, self.env._now / max(1.0, self._horizon)))

    def _scripted(self, item: Any):  # type: ignore[no-untyped-def]
        yield self.env.timeout(self._delay_until(item.at))
        self._pending -= 1
        self._scripted_left -= 1
        self._new_post(item)
        self._maybe_done()

    #: the desk's waiting times the traffic process sends at a time (``desk_traffic``)
    WAITS_CHUNK = 1 << 16

    def _desk_ahead(self) -> bool:
        """Whether the arrivals and the desk can be simulated in a second process (``desk_traffic``): drawing
        ahead is asked for, nothing observes payloads or events as they are sent, and the arrivals stop at a
        whole hour that is the horizon (so no shift that begins once no post can come has staffed minutes)."""
        return (self.draw_ahead and not self.sc.arrivals.scripted and not self._observed
                and self._horizon == len(self.hourly_rates()) * 60 and second_core())

    def run(self) -> RunResult:
        desk_ahead = self._desk_ahead()
        if not desk_ahead:
            self.env.process(self._arrivals())
        self._scripted_left = len(self.sc.arrivals.scripted)
        for item in self.sc.arrivals.scripted:
            self._pending += 1
            self.env.process(self._scripted(item))
        if not desk_ahead:
            self._start_desk()
        self._daily_proc = self.env.process(self._daily())
        # The run allocates millions of short-lived objects and keeps few cycles: collect the young
        # generation rarely and leave what exists before the run (policy, engine, imports) out of the scans.
        # Where nothing but the model runs (no tap or on_event calling other code), no collection at all: the
        # model makes no reference cycle a form or a post (tested), so the collector would only scan the open
        # forms again and again as they pile up (megacity-day: 0.3 s; a week: 3 s).
        thresholds = gc.get_threshold()
        collecting = gc.isenabled()
        gc.freeze()
        gc.set_threshold(200_000, 20, 1_000)
        if not self._observed:
            gc.disable()
        try:
            if desk_ahead:  # forked now: the child starts the arrivals and the desk on a clock of its own
                self._desk_rows, self._desk_posts = self._desk_row_targets()
                self._ahead = Ahead(self.desk_traffic)
                self._feed = iter(self._ahead)
                self._desk_fed()
            elif self.draw_ahead and not self.sc.arrivals.scripted and second_core():
                # forked now: before the run moves any traffic stream (Ahead forks with the objects frozen)
                self._ahead = Ahead(self.traffic)
            self._run_until_done()
            if self._peer is not None:
                self._join_peer()
        finally:
            gc.set_threshold(*thresholds)
            gc.unfreeze()
            if collecting:
                gc.enable()
            if self._ahead is not None:
                self._ahead.close()
            if self._peer is not None:  # failed or stopped before the other part was taken in
                self._peer.close()
                self._peer = None
        self._hand_over_open()
        self.progress(1.0)
        return RunResult(
            scenario=self.sc, seed=self.seed, start=self.t0, end=self.t_end, drained_at=self.now(),
            posts=self.posts, cases=sorted(self.cases.values(), key=lambda r: r.case_id), log=self.log,
            desk=self.desk, deductions=self.deductions, backlog=self.backlog, calendar=self.cal,
            intake=dict(sorted(self.adapter.counts.items())),
            updates_intake=dict(sorted((self.updates.counts + self.updates.count_updates).items())),
        )
