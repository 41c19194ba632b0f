"""The policy engine: case events in, traced decisions out.

``Engine(policy).handle(event)`` looks up the case, builds the fact the rules
see (event fields plus case state), evaluates the relevant decision tables
on durable_rules and returns a ``Decision``: typed effects, each carrying the
rule (id, file:line) and the inputs that produced it.  The engine keeps the
state of open cases (category, unit, hot, deadlines, replies) but never reads
the clock: time is the event's timestamp.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter

from .compiler import TEXT_OPS, DurableTable, PolicyHost
from .durations import Duration, TimeUnit
from .errors import EventError, listing, suggest
from .messages import t
from .models import (
    Classify,
    Close,
    DeadlineReached,
    Decision,
    Deduct,
    Effect,
    Escalate,
    Event,
    FlagAccountability,
    FollowUpPosted,
    MarkHot,
    PostReceived,
    Remind,
    ReplyFiled,
    RepostsUpdated,
    Route,
    SetDeadline,
    StatementIssued,
    Trace,
)
from .policy import IRRule, Policy

__all__ = ["Engine", "CaseState", "Observer", "parse_event"]

_EVENT_ADAPTER: TypeAdapter[Any] = TypeAdapter(Event)

Observer = Callable[[str, dict[str, Any], list[IRRule]], None]


def _no_observer(kind: str, fact: dict[str, Any], selected: list[IRRule]) -> None:
    return None


def parse_event(data: dict[str, Any]) -> Any:
    """Validate a JSON-like dict into one of the event models."""
    return _EVENT_ADAPTER.validate_python(data)


@dataclass(slots=True)  # one per open case: a long run holds hundreds of thousands (no __dict__ each)
class CaseState:
    """What the engine remembers about one case."""

    case_id: str
    channel: str
    text: str
    place: str
    opened_at: datetime
    category: str = ""
    unit: str = ""
    hot: bool = False
    reposts: int = 0
    followups: int = 0
    escalations: int = 0
    replied_at: datetime | None = None
    reply_kind: str = ""
    statement_at: datetime | None = None
    deadlines: dict[str, SetDeadline] = field(default_factory=dict)

    def fact(self, event: str, **extra: Any) -> dict[str, Any]:
        f = {
            "event": event,
            "channel": self.channel,
            "text": self.text,
            "place": self.place,
            "category": self.category,
            "unit": self.unit,
            "hot": self.hot,
            "reposts": self.reposts,
            "followups": self.followups,
            "replied": self.replied_at is not None,
            "statement_issued": self.statement_at is not None,
            "reply_kind": self.reply_kind,
            "escalations": self.escalations,
            "deadline": "",
            "reminder": False,
            "met": False,
        }
        if extra:
            f.update(extra)
        return f


_M = TypeVar("_M", bound=BaseModel)
_setattr = object.__setattr__


def trusted(cls: type[_M]) -> Callable[..., _M]:
    """A constructor of ``cls`` that skips validation, for values the engine (or the simulator) produced itself.

    Pydantic's validation costs microseconds per model and the engine builds
    several per event (effects, traces, the decision) from values that are
    already of the right types (validated rules, validated events, the
    calendar's datetimes).  The instance is what ``cls(**values)`` gives:
    same fields in the same order, defaults filled, the same fields-set, so
    equality, ``repr`` and serialisation agree (``tests/test_engine_speed.py``
    compares them for every effect type).  Events from users are validated.
    """
    if not cls.model_config.get("frozen"):
        raise TypeError(f"{cls.__name__}: only frozen models share a fields-set")
    names = tuple(cls.model_fields)
    defaults = {n: f.default for n, f in cls.model_fields.items() if not f.is_required() and f.default_factory is None}
    factories = {n: f.default_factory for n, f in cls.model_fields.items() if f.default_factory is not None}
    new = cls.__new__
    # The fields-set of a model made with the same keywords: one set shared by all of them (a set of 5-7
    # names is 728 bytes, and an open case keeps its deadlines' effects and traces).  Safe because the
    # models are frozen: pydantic changes a fields-set in place only on assignment; ``model_copy`` copies it.
    # Per tuple of keywords given (a call site passes the same ones every time): the shared fields-set, and
    # for keywords that are all fields and include every required one, a dict of every field in field order
    # holding the defaults; ``{**base, **values}`` then gives ``__dict__`` in one step (the keywords' values
    # replace the placeholders in place, so the order stays the fields' order whatever the keywords' order),
    # and only the default factories of the fields not given are called.  Other keywords go the long way,
    # which raises what it always raised (a missing required field: KeyError).
    plans: dict[tuple[str, ...], tuple[set[str], dict[str, Any] | None, tuple[tuple[str, Any], ...]]] = {}
    required = frozenset(n for n, f in cls.model_fields.items() if f.is_required())

    def plan(keys: tuple[str, ...]) -> tuple[set[str], dict[str, Any] | None, tuple[tuple[str, Any], ...]]:
        given = set(keys)
        if not (given <= set(names) and required <= given):
            return given, None, ()
        base = {n: defaults.get(n) for n in names}
        return given, base, tuple((n, factories[n]) for n in names if n in factories and n not in given)

    def make(**values: Any) -> _M:
        keys = tuple(values)
        p = plans.get(keys)
        if p is None:
            p = plans[keys] = plan(keys)
        fields_set, base, todo = p
        m = new(cls)
        if base is not None:
            d = {**base, **values}
            for n, factory in todo:
                d[n] = factory()
        else:
            d = {n: values[n] if n in values else defaults[n] if n in defaults
                 else factories[n]() for n in names}  # type: ignore[call-arg]
        _setattr(m, "__dict__", d)
        _setattr(m, "__pydantic_fields_set__", fields_set)
        _setattr(m, "__pydantic_extra__", None)
        _setattr(m, "__pydantic_private__", None)
        return m

    return make


def positional(cls: type[Any], *given: str) -> Callable[..., Any]:
    """``trusted(cls)`` for one set of keywords, ``given``, their values passed by position:
    ``positional(cls, "a", "b")(x, y)`` is ``trusted(cls)(a=x, b=y)`` (the fields in the model's order, the
    other fields their defaults, the fields-set ``{"a", "b"}``: what ``cls(a=x, b=y)`` gives), made without
    a loop over the fields (the instance's dict as one literal, compiled once per model and keywords).  Every
    field not given needs a plain default; a call with another number of values is a TypeError."""
    fields = cls.model_fields
    if not cls.model_config.get("frozen"):
        raise TypeError(f"{cls.__name__}: only frozen models share a fields-set")
    if len(set(given)) != len(given) or any(n not in fields for n in given) \
            or any(f.is_required() or f.default_factory is not None for n, f in fields.items() if n not in given):
        raise TypeError(f"{cls.__name__}: {given} are not its fields, or leave one without a plain default")
    fields_set = set(given)  # shared by every instance, as trusted shares it (the models are frozen)
    # the instance's dict as one literal, the fields in the model's order: the given ones from the arguments
    # (named _0, _1, ... by their position), the others their default objects
    names = {n: f"_{i}" for i, n in enumerate(given)}
    scope: dict[str, Any] = {"_new": cls.__new__, "_cls": cls, "_set": _setattr, "_fields_set": fields_set}
    items = []
    for i, (n, f) in enumerate(fields.items()):
        if n not in names:
            scope[f"_d{i}"] = f.default
        items.append(f"{n!r}: {names.get(n, f'_d{i}')}")
    code = (f"def make({', '.join(names.values())}):\n"
            "    m = _new(_cls)\n"
            f"    _set(m, '__dict__', {{{', '.join(items)}}})\n"
            "    _set(m, '__pydantic_fields_set__', _fields_set)\n"
            "    _set(m, '__pydantic_extra__', None)\n"
            "    _set(m, '__pydantic_private__', None)\n"
            "    return m\n")
    exec(code, scope)  # built above from the model's field names (identifiers) and nothing else
    make: Callable[..., Any] = scope["make"]
    return make


_trusted = trusted
# the engine's models, built per decision from values of the right types (compiled makers, the keywords by
# position in the order each call site gives them: tests/test_engine_speed.py compares them with validated ones)
_new_trace = positional(Trace, "rule_id", "table", "file", "line", "inputs")
_new_decision = positional(Decision, "case_id", "event", "at", "effects")
_new_classify = positional(Classify, "category", "keywords", "trace")
_new_route = positional(Route, "unit", "trace")
_new_mark_hot = positional(MarkHot, "trace")
_new_set_deadline = positional(SetDeadline, "deadline", "within", "start", "due", "remind_at", "trace")
_new_remind = positional(Remind, "unit", "trace")
_new_escalate = positional(Escalate, "unit", "to", "level", "trace")
_new_deduct = positional(Deduct, "unit", "points", "reason", "trace")
_new_flag = positional(FlagAccountability, "unit", "trace")
_new_close = positional(Close, "reply_kind", "trace")


def _trace(rule: IRRule, fact: dict[str, Any]) -> Trace:
    return _new_trace(rule.id, rule.table, rule.file, rule.line, {c.field: fact[c.field] for c in rule.conditions})


def _builtin(name: str, fact: dict[str, Any] | None = None) -> Trace:
    return _new_trace(name, "builtin", "engine", 0, dict(fact) if fact else {})


class Engine:
    """Evaluates one policy.  Several engines (baseline, candidate) can coexist."""

    #: entries of the decision cache of each table (``cache=True``): an LRU, so memory stays flat
    CACHE_SIZE = 65_536

    def __init__(self, policy: Policy, observer: Observer | None = None, cache: bool = False) -> None:
        self.policy = policy
        self.calendar = policy.calendar
        #: called with (table kind, fact, selected rules) after every table evaluation;
        #: explain and the policy-test runner use it, the default does nothing
        self.observer: Observer = observer or _no_observer
        self._host = PolicyHost()
        #: ``cache=True`` memoises each table's matches on what durable_rules is given (see
        #: ``DurableTable``): the same decisions, fewer calls into the C layer
        self.cache = cache
        size = self.CACHE_SIZE if cache else 0
        self._tables = {kind: DurableTable(t, self._host, size) for kind, t in policy.tables.items()}
        self.cases: dict[str, CaseState] = {}
        self._within_text: dict[str, str] = {}  # rule id -> str(its deadline's 'within')
        self._tz = self.calendar.tz
        # traces of rules without text conditions, per rule and tested values (see ``_trace``)
        self._traces: dict[tuple[Any, ...], Trace] = {}
        self._trace_fields: dict[int, tuple[str, ...] | None] = {}
        self._closes: dict[str, Close] = {}  # reply kind -> its Close effect
        self._working_due: dict[tuple[Any, float], datetime] = {}  # (local day, N) -> N working days after it
        self._handlers: dict[type, Callable[[CaseState, Any], list[Effect]]] = {
            RepostsUpdated: self._reposts,
            FollowUpPosted: self._follow_up,
            StatementIssued: self._statement,
            ReplyFiled: self._reply,
            DeadlineReached: self._deadline,
        }

    def cache_info(self) -> dict[str, dict[str, int]]:
        """Per table: decision-cache hits, misses and entries (all zero without ``cache=True``)."""
        return {kind: {"hits": t.hits, "misses": t.misses, "entries": len(t._cache)}
                for kind, t in self._tables.items()}

    @classmethod
    def load(cls, rules_dir: str | Path) -> Engine:
        return cls(Policy.load(rules_dir))

    def close(self) -> None:
        for table in self._tables.values():
            table.close()
        self._tables = {}

    def forget(self, case_id: str) -> None:
        """Drop a finished case's state (long runs with millions of cases)."""
        self.cases.pop(case_id, None)

    # -- evaluation ----------------------------------------------------------
    def evaluate(self, kind: str, fact: dict[str, Any]) -> list[IRRule]:
        """Selected rules of one table for a fact (empty if the policy has no such table)."""
        table = self._tables.get(kind)
        selected = table.evaluate(fact) if table is not None else []
        observer = self.observer
        if observer is not _no_observer:  # the default does nothing: not called (a run evaluates ~4 per form)
            observer(kind, fact, selected)
        return selected

    def handle(self, event: Any) -> Decision:
        if isinstance(event, dict):
            event = parse_event(event)
        if event.at.tzinfo is None:  # pydantic's AwareDatetime already ensures this
            raise EventError(t("event.naive"))
        handler = self._handlers.get(type(event))  # the exact event classes; subclasses go the long way
        if handler is None and isinstance(event, PostReceived):
            effects = self._post_received(event)
        else:
            case = self.cases.get(event.case_id)
            if case is None:
                raise EventError(t("event.unknown_case", type=event.type, case=event.case_id))
            if handler is not None:
                effects = handler(case, event)
            elif isinstance(event, RepostsUpdated):
                effects = self._reposts(case, event)
            elif isinstance(event, FollowUpPosted):
                effects = self._follow_up(case, event)
            elif isinstance(event, StatementIssued):
                effects = self._statement(case, event)
            elif isinstance(event, ReplyFiled):
                effects = self._reply(case, event)
            elif isinstance(event, DeadlineReached):
                effects = self._deadline(case, event)
            else:  # pragma: no cover - the Event union is closed
                raise EventError(f"unsupported event {event!r}")
        return _new_decision(event.case_id, event.type, event.at, tuple(effects))

    # -- event handlers ------------------------------------------------------
    def _post_received(self, ev: PostReceived) -> list[Effect]:
        if ev.case_id in self.cases:
            raise EventError(t("event.case_open", case=ev.case_id))
        post = ev.post
        if post.place not in self.policy.place_owner:
            hint = suggest(post.place, self.policy.place_owner)
            raise EventError(t("event.unknown_place", post=post.post_id, place=post.place,
                               known=listing(self.policy.place_owner)), suggestion=hint)
        case = CaseState(
            case_id=ev.case_id,
            channel=post.channel,
            text=" ".join(post.text.split()),
            place=post.place,
            opened_at=ev.at,
            reposts=post.reposts,
        )
        self.cases[ev.case_id] = case
        effects: list[Effect] = []
        fact = case.fact("post_received")
        for rule in self.evaluate("classification", fact):
            case.category = rule.then.category
            conds = rule.conditions
            kws = (tuple(conds[0].matched_keywords(fact)) if len(conds) == 1  # the usual rule: one keyword list
                   else tuple(k for c in conds for k in c.matched_keywords(fact)))
            effects.append(_new_classify(case.category, kws, self._trace(rule, fact)))
        # No matching classification or routing rule is a gap in the policy (lint reports it): the
        # decision then has no Classify/Route effect and the case stays unclassified/unrouted, so the
        # desk can handle it by hand and the gap shows up in the metrics rather than as a crash.
        # each table sees the case as it is then: a new fact only where a field changed (an observer
        # may keep the facts it is given, so none is changed after it was evaluated)
        if case.category:
            fact = {**fact, "category": case.category}
        for rule in self.evaluate("routing", fact):
            then = rule.then
            case.unit = then.unit if then.unit is not None else self.policy.place_owner[case.place]
            effects.append(_new_route(case.unit, self._trace(rule, fact)))
        if case.unit:
            fact = {**fact, "unit": case.unit}
        effects.extend(self._hot_check(case, "post_received", ev.at, fact))
        effects.extend(self._deadlines(case, "post_received", ev.at, fact if not case.hot else None))
        return effects

    def _hot_check(self, case: CaseState, event: str, at: datetime,
                   fact: dict[str, Any] | None = None) -> list[Effect]:
        if case.hot:
            return []
        if fact is None:
            fact = case.fact(event)
        selected = self.evaluate("hot", fact)
        if not selected:
            return []
        case.hot = True
        return [_new_mark_hot(self._trace(selected[0], fact))]

    def _deadlines(self, case: CaseState, event: str, at: datetime,
                   fact: dict[str, Any] | None = None) -> list[Effect]:
        if fact is None:
            fact = case.fact(event)
        out: list[Effect] = []
        for rule in self.evaluate("deadlines", fact):
            spec = rule.then.deadline
            kind = spec.for_
            if kind in case.deadlines:
                continue  # a deadline is set once per case; later matches do not move it
            due = self._add(at, spec.within)
            remind = self._add(at, spec.remind_after) if spec.remind_after is not None else None
            if remind is not None and remind >= due:
                # Policy.load rejects such a rule for every day of the calendar; a policy built around the
                # loader must not lose the reminder without a word either.
                raise EventError(t("event.reminder_late", rule=rule.id, where=rule.where,
                                   remind_after=spec.remind_after, remind=remind.isoformat(),
                                   within=spec.within, due=due.isoformat()))
            within = self._within_text.get(rule.id)
            if within is None:  # str(Duration) formats a float: once per rule
                within = self._within_text[rule.id] = str(spec.within)
            eff = _new_set_deadline(kind, within, at, due, remind, self._trace(rule, fact))
            case.deadlines[kind] = eff
            out.append(eff)
        return out

    #: traces remembered by ``_trace`` (emptied when full)
    TRACE_CACHE_SIZE = 4096

    def _trace(self, rule: IRRule, fact: dict[str, Any]) -> Trace:
        """``_trace(rule, fact)``, the same Trace object for the same rule and inputs.

        Effects are frozen and nothing changes a trace's inputs, so decisions can share one (as they share
        rules).  A rule with a text condition has the post's text among its inputs (a new text every post):
        not remembered.  The key holds the rule's identity and the tested values; the engine's facts hold
        one type per field (engine.conditions.FIELDS), so equal values are also equal JSON.
        """
        rid = id(rule)  # rules live as long as the policy: an id is never reused while this engine is
        if rid in self._trace_fields:
            fields = self._trace_fields[rid]
        else:
            fields = self._trace_fields[rid] = (
                None if any(c.op in TEXT_OPS for c in rule.conditions)
                else tuple(dict.fromkeys(c.field for c in rule.conditions)))
        if fields is None:
            return _trace(rule, fact)
        key = (rid, *[fact[f] for f in fields])
        tr = self._traces.get(key)
        if tr is None:
            if len(self._traces) >= self.TRACE_CACHE_SIZE:
                self._traces.clear()
            tr = self._traces[key] = _trace(rule, fact)
        return tr

    #: days remembered by ``_add`` (emptied when full: a run's days, not its forms)
    WORKING_DUE_SIZE = 4096

    def _add(self, at: datetime, duration: Duration) -> datetime:
        """``calendar.add(at, duration)``.  N working days end at close of business of the N-th working day
        after the day of ``at`` (docs/rules.md): a function of that local day and N alone, remembered per
        (day, N) for a time already in the calendar's zone (every post of a day shares its deadlines)."""
        if duration.unit is TimeUnit.WORKING_DAYS and at.tzinfo is self._tz:
            key = (at.date(), duration.amount)
            memo = self._working_due
            due = memo.get(key)
            if due is None:
                due = self.calendar.add(at, duration)
                if len(memo) >= self.WORKING_DUE_SIZE:
                    memo.clear()
                memo[key] = due
            return due
        return self.calendar.add(at, duration)

    def _reposts(self, case: CaseState, ev: RepostsUpdated) -> list[Effect]:
        case.reposts = max(case.reposts, ev.reposts)
        effects = self._hot_check(case, "reposts_updated", ev.at)
        if effects:
            effects.extend(self._deadlines(case, "reposts_updated", ev.at))
        return effects

    def _follow_up(self, case: CaseState, ev: FollowUpPosted) -> list[Effect]:
        case.followups += 1
        effects = self._hot_check(case, "follow_up_posted", ev.at)
        if effects:
            effects.extend(self._deadlines(case, "follow_up_posted", ev.at))
        effects.extend(self._escalation(case, case.fact("follow_up_posted")))
        return effects

    def _statement(self, case: CaseState, ev: StatementIssued) -> list[Effect]:
        if case.statement_at is None:
            case.statement_at = ev.at
        return []

    def _reply(self, case: CaseState, ev: ReplyFiled) -> list[Effect]:
        if case.replied_at is not None:
            raise EventError(t("event.second_reply", case=case.case_id))
        case.replied_at = ev.at
        case.reply_kind = ev.reply_kind
        close = self._closes.get(ev.reply_kind)
        if close is None:  # one per reply kind: the effect holds nothing else
            close = self._closes[ev.reply_kind] = _new_close(
                ev.reply_kind, _builtin("reply-closes-case", {"reply_kind": ev.reply_kind}))
        return [close]

    def fulfilled_at(self, case: CaseState, kind: str) -> datetime | None:
        return case.statement_at if kind == "external_statement" else case.replied_at

    def _deadline(self, case: CaseState, ev: DeadlineReached) -> list[Effect]:
        if ev.deadline not in case.deadlines:
            raise EventError(t("event.no_deadline", case=case.case_id, deadline=ev.deadline))

        done = self.fulfilled_at(case, ev.deadline)
        met = done is not None and done <= ev.at
        fact = case.fact("deadline_reached", deadline=ev.deadline, reminder=ev.reminder, met=met)
        return self._escalation(case, fact)

    def _escalation(self, case: CaseState, fact: dict[str, Any]) -> list[Effect]:
        out: list[Effect] = []
        for rule in self.evaluate("escalation", fact):
            then, tr = rule.then, self._trace(rule, fact)
            if then.remind:
                out.append(_new_remind(case.unit, tr))
            if then.escalate is not None:
                case.escalations += 1
                out.append(_new_escalate(case.unit, then.escalate.to, then.escalate.level, tr))
            if then.deduct is not None:
                out.append(_new_deduct(case.unit, float(then.deduct.points), then.deduct.reason or rule.id, tr))
            if then.accountability:
                out.append(_new_flag(case.unit, tr))
        return out
