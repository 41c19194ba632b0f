"""Explanations of decisions, for policy designers.

``explain_case`` replays a post (and optionally later events on its case)
through a real ``Engine`` (durable_rules) while recording every table
evaluation.  For each table it reports the rule that decided (file:line, the
keywords or values it matched), and for rules that did not fire the first
condition that failed, using the reference evaluator.  Deadlines come with
their calendar reasoning: which days were skipped and why.

Case files are checked like rule files before their events reach the engine
(``replay_case``): events come in time order, none before the post, and a
``deadline_reached`` only at or after the due time the policy actually set
for that deadline (its reminder time for ``reminder: true``); a
``deadline_reached`` without ``at`` happens at that time.  Every refusal is a
``SourceError`` naming file, line and key.

Output is a plain dict (for ``--format json``) and Chinese or English text.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictBool

from .calendar import WorkCalendar
from .durations import parse_duration
from .engine import Engine
from .errors import CalendarError, EventError, Problem, SourceError
from .messages import t
from .models import Channel, Decision, Post, PostReceived
from .policy import IRRule, Policy
from .yamlsrc import SourceDoc, key_path, pydantic_message

__all__ = ["ExplainInput", "ExplainPost", "ExplainEvent", "CaseSource", "replay_case", "explain_case", "render",
           "deadline_reasoning"]

HOLIDAY_EN = {
    "元旦": "New Year's Day", "春节": "Spring Festival", "清明节": "Tomb-sweeping Day", "劳动节": "Labour Day",
    "端午节": "Dragon Boat Festival", "国庆节": "National Day", "中秋节": "Mid-autumn Festival",
    "抗战胜利纪念日": "Victory Day",
}
WEEKDAY_ZH = "一二三四五六日"
WEEKDAY_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class ExplainPost(BaseModel):
    """A post as a designer writes it; as strict as the engine's ``Post`` so nothing passes here and fails there."""

    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=5000)
    place: str = Field(min_length=1)
    channel: Channel = "weibo"
    reposts: int = Field(default=0, ge=0)
    at: AwareDatetime = Field(description="When the desk forwards the post (the form's start)")
    author: str = Field(default="网民", min_length=1, max_length=64)


EventType = Literal["reposts_updated", "follow_up_posted", "statement_issued", "reply_filed", "deadline_reached"]


class ExplainEvent(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: EventType
    at: AwareDatetime | None = Field(
        default=None, description="When it happens: required, except for deadline_reached, which defaults to the "
                                  "due time the policy set (the reminder time with reminder: true)")
    reposts: int | None = None
    reply_kind: str | None = None
    deadline: Literal["reply", "external_statement"] | None = None
    reminder: StrictBool = False


class ExplainInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    post: ExplainPost
    events: list[ExplainEvent] = Field(default_factory=list)

    def post_event(self, case_id: str) -> PostReceived:
        """The post as the ``post_received`` event that opens the case."""
        p = self.post
        post = Post(post_id=case_id, channel=p.channel, author=p.author, text=p.text, place=p.place,
                    posted_at=p.at, reposts=p.reposts)
        return PostReceived(case_id=case_id, at=p.at, post=post)


@dataclass(frozen=True)
class CaseSource:
    """Where a case came from, so that a refusal names file, line and key.

    ``doc`` is the located YAML document (None for the command line);
    ``prefix`` the key path of the case inside it (``("cases", 3)`` in a
    policy test file); ``bare_post`` a file that holds only the post's keys
    (explain's post files), whose ``post.`` keys sit at the top level.
    """

    file: str
    doc: SourceDoc | None = None
    prefix: tuple[str | int, ...] = ()
    bare_post: bool = False

    def problem(self, loc: Sequence[str | int], message: str, suggestion: str | None = None) -> Problem:
        path = list(loc)
        if self.bare_post and path[:1] == ["post"]:
            path = path[1:]
        full = [*self.prefix, *path]
        line, col = self.doc.locate(full) if self.doc is not None else (None, None)
        return Problem(self.file, line, col, message, key=key_path(full), code="case", suggestion=suggestion)


@dataclass
class _Eval:
    kind: str
    fact: dict[str, Any]
    selected: list[IRRule]


_EVENT_FIELDS: dict[str, tuple[str, ...]] = {
    "reposts_updated": ("reposts",),
    "follow_up_posted": (),
    "statement_issued": (),
    "reply_filed": ("reply_kind",),
    "deadline_reached": ("deadline", "reminder"),
}


def _stamp(t: datetime) -> str:
    return t.isoformat()


def _event_model(case_id: str, index: int, ev: ExplainEvent, at: datetime, src: CaseSource) -> Any:
    from pydantic import ValidationError

    from .engine import parse_event

    data: dict[str, Any] = {"type": ev.type, "case_id": case_id, "at": at}
    data.update({k: getattr(ev, k) for k in _EVENT_FIELDS[ev.type] if getattr(ev, k) is not None})
    try:
        return parse_event(data)
    except ValidationError as exc:
        problems = []
        for e in exc.errors(include_url=False):
            field = next((p for p in e["loc"] if p in _EVENT_FIELDS[ev.type]), None)
            text, _ = pydantic_message(e)
            what = f"'{field}': {text}" if field else text
            loc: list[str | int] = ["events", index]
            if field:
                loc.append(str(field))
            problems.append(src.problem(loc, t("case.event_invalid", type=ev.type, what=what)))
        raise SourceError(problems) from None


def _deadline_time(engine: Engine, case_id: str, index: int, ev: ExplainEvent, src: CaseSource) -> datetime:
    """The time a deadline_reached event may happen first: the due (or reminder) time the policy set."""
    case = engine.cases[case_id]
    kind = ev.deadline
    loc: list[str | int] = ["events", index]
    if kind is None:
        raise SourceError([src.problem(loc, t("case.missing_deadline"))])
    dl = case.deadlines.get(kind)
    if dl is None:
        have = ", ".join(sorted(case.deadlines)) or t("test.none")
        raise SourceError([src.problem([*loc, "deadline"], t("case.no_such_deadline", kind=kind, have=have))])
    setter = t("case.setter", rule=dl.trace.rule_id, where=dl.trace.where, within=dl.within, start=_stamp(dl.start))
    if ev.reminder:
        if dl.remind_at is None:
            raise SourceError([src.problem([*loc, "reminder"], t("case.no_reminder", kind=kind, setter=setter))])
        return dl.remind_at
    return dl.due


def replay_case(engine: Engine, data: ExplainInput, case_id: str,
                src: CaseSource) -> Iterator[tuple[Any, Decision]]:
    """Hand the post and then each later event to ``engine``, checking each event first.

    Refused (``SourceError`` located by ``src``): an event before the post or
    before the event listed above it; a ``deadline_reached`` for a deadline
    the policy did not set on this case, or earlier than its due time (the
    reminder time with ``reminder: true``); anything the engine refuses
    (a second reply, an unknown place).  A ``deadline_reached`` without
    ``at`` happens at that due (or reminder) time.
    """

    def handle(ev: Any, loc: list[str | int]) -> Decision:
        try:
            return engine.handle(ev)
        except (EventError, CalendarError) as exc:  # e.g. a second reply, a date the calendar does not cover
            raise SourceError([src.problem(loc, str(exc), getattr(exc, "suggestion", None))]) from None


    post = data.post_event(case_id)
    previous, previous_key = post.at, t("case.the_post")
    yield post, handle(post, ["post", "place"] if post.post.place not in engine.policy.place_owner else ["post"])
    for i, ev in enumerate(data.events):
        loc: list[str | int] = ["events", i]
        if ev.type == "deadline_reached":
            due = _deadline_time(engine, case_id, i, ev, src)
            at = ev.at if ev.at is not None else due
            if at < due:
                dl = engine.cases[case_id].deadlines[ev.deadline]  # type: ignore[index]
                setter = t("case.setter", rule=dl.trace.rule_id, where=dl.trace.where, within=dl.within,
                           start=_stamp(dl.start))
                message = (t("case.before_reminder", at=_stamp(at), kind=ev.deadline, due=_stamp(due), setter=setter)
                           if ev.reminder else
                           t("case.before_due", at=_stamp(at), kind=ev.deadline, due=_stamp(due), setter=setter))
                raise SourceError([src.problem([*loc, "at"], message)])
        elif ev.at is None:
            raise SourceError([src.problem(loc, t("case.missing_at", type=ev.type))])
        else:
            at = ev.at
        if at < previous:
            message = (t("case.out_of_order", type=ev.type, at=_stamp(at), previous=previous_key,
                         previous_at=_stamp(previous)) if ev.at is not None else
                       t("case.out_of_order_computed", type=ev.type, at=_stamp(at), previous=previous_key,
                         previous_at=_stamp(previous)))
            raise SourceError([src.problem([*loc, "at"] if ev.at is not None else loc, message)])
        event = _event_model(case_id, i, ev, at, src)
        yield event, handle(event, loc)
        previous, previous_key = at, f"events[{i}]"


def explain_case(policy: Policy, data: ExplainInput, src: CaseSource | None = None) -> dict[str, Any]:
    evals: list[_Eval] = []
    engine = Engine(policy, observer=lambda k, f, s: evals.append(_Eval(k, dict(f), list(s))))
    try:
        steps: list[dict[str, Any]] = []
        replay = replay_case(engine, data, "explain", src or CaseSource("<input>"))
        while True:
            evals.clear()
            try:
                ev, decision = next(replay)
            except StopIteration:
                break
            steps.append(_step(policy, ev, decision, evals))
    finally:
        engine.close()
    return {"policy": policy.directory, "steps": steps}


def _rule_ref(rule: IRRule) -> dict[str, Any]:
    return {"rule": rule.id, "where": rule.where}


def _table_explanation(policy: Policy, ev: _Eval) -> dict[str, Any]:
    table = policy.tables[ev.kind]
    chosen = {r.id for r in ev.selected}
    out: dict[str, Any] = {"table": ev.kind, "file": table.file, "hit_policy": table.hit_policy,
                           "selected": [], "not_fired": [], "not_evaluated": []}
    decided = False
    for rule in table.ranked():
        if rule.id in chosen:
            entry = _rule_ref(rule)
            entry["matched"] = [c.describe("en") for c in rule.conditions]
            entry["matched_zh"] = [c.describe("zh") for c in rule.conditions]
            kws = [k for c in rule.conditions for k in c.matched_keywords(ev.fact)]
            if kws:
                entry["keywords"] = kws
            out["selected"].append(entry)
            if table.hit_policy in ("first", "priority"):
                decided = True
            continue
        if decided:
            out["not_evaluated"].append(_rule_ref(rule))
            continue
        failure = rule.first_failure(ev.fact)
        entry = _rule_ref(rule)
        if failure is None:  # matched but not selected (cannot happen for first/priority before the winner)
            entry["failed"] = t("explain.not_selected", lang="en")
            entry["failed_zh"] = t("explain.not_selected", lang="zh")
        else:
            cond, line = failure
            entry["failed"] = cond.describe("en")
            entry["failed_zh"] = cond.describe("zh")
            entry["failed_line"] = line
            actual = ev.fact[cond.field]
            entry["actual"] = actual if not isinstance(actual, str) or len(actual) <= 60 else actual[:60] + "…"
        out["not_fired"].append(entry)
    return out


def _step(policy: Policy, ev: Any, decision: Decision, evals: list[_Eval]) -> dict[str, Any]:
    step: dict[str, Any] = {"event": ev.type, "at": ev.at.isoformat(), "effects": [], "tables": []}
    for e in decision.effects:
        d = e.model_dump(mode="json", exclude={"trace"})
        d["rule"] = e.trace.rule_id
        d["where"] = e.trace.where
        d["inputs"] = e.trace.inputs
        if e.type == "set_deadline":
            d["reasoning"] = {lang: deadline_reasoning(policy.calendar, e.start, e.within, lang) for lang in ("zh", "en")}
        if e.type == "route":
            rule = next(r for r in policy.rules() if r.id == e.trace.rule_id)
            if rule.then.unit_of_place:
                case_place = next(x.fact["place"] for x in evals if x.kind == "routing")
                d["place_owner"] = {"place": case_place, "unit": e.unit}
        step["effects"].append(d)
    step["tables"] = [_table_explanation(policy, x) for x in evals]
    return step


def _md(d: date) -> str:
    return f"{d.month:02d}-{d.day:02d}"


def deadline_reasoning(cal: WorkCalendar, start: datetime, within: str, lang: str = "zh") -> str:
    """Human reasoning for a due time, e.g. the days a working-day count skipped."""
    duration = parse_duration(within)
    local = cal.local(start)
    due = cal.local(cal.add(start, duration))
    stamp = local.strftime("%Y-%m-%d %H:%M")
    if duration.is_wall_clock:
        if lang == "en":
            return f"{within} on the wall clock (24/7, holidays included): {stamp} → {due:%Y-%m-%d %H:%M}"
        return f"{_zh_amount(within)}（自然时间，节假日照算）：{stamp} → {due:%Y-%m-%d %H:%M}"
    walk = cal.working_day_walk(start, int(duration.amount))
    notes: list[str] = []
    i = 0
    while i < len(walk):
        d = walk[i]
        info = d.info
        special = info.source != "weekday rule"
        if not d.counted:
            j = i
            while j + 1 < len(walk) and not walk[j + 1].counted and walk[j + 1].info.reason == info.reason:
                j += 1
            span = _md(info.day) if j == i else f"{_md(info.day)}…{_md(walk[j].info.day)}"
            if j == i and not special:
                span += f"（周{WEEKDAY_ZH[info.day.weekday()]}）" if lang == "zh" else f" ({WEEKDAY_EN[info.day.weekday()]})"
            if lang == "en":
                what = "weekend" if not special else (HOLIDAY_EN.get(info.reason, info.reason) + " holiday")
                notes.append(f"{span} {what} not counted")
            else:
                what = "周末" if not special else (info.reason if info.source == "override" else f"{info.reason}假期")
                notes.append(f"{span}{'' if span.endswith('）') else ' '}{what}不计")
            i = j + 1
            continue
        if special or info.day.weekday() >= 5:
            wd = info.day.weekday()
            if lang == "en":
                name = info.reason.replace("调休上班", "")
                label = f"{HOLIDAY_EN.get(name, name)} make-up working day" if "调休" in info.reason else info.reason
                notes.append(f"{_md(info.day)} ({WEEKDAY_EN[wd]}) {label} counted")
            else:
                notes.append(f"{_md(info.day)}（周{WEEKDAY_ZH[wd]}）{info.reason}计入")
        i += 1
    cob = f"{due:%H:%M}"
    if lang == "en":
        body = ", ".join(notes) if notes else "no holidays or weekends in between"
        return (f"{within} from {stamp}, counting from the next day: {body} → {due:%Y-%m-%d} {cob} "
                f"(close of business of working day {int(duration.amount)})")
    body = "，".join(notes) if notes else "其间无节假日"
    return f"{_zh_amount(within)}，自 {stamp} 次日起算：{body} → {due:%Y-%m-%d} {cob}"


def _zh_amount(within: str) -> str:
    d = parse_duration(within)
    n = int(d.amount) if float(d.amount).is_integer() else d.amount
    unit = {"working days": "个工作日", "hours": "小时", "minutes": "分钟", "days": "天"}[d.unit.value]
    return f"{n} {unit}"


# -- text rendering ---------------------------------------------------------------
_T = {
    "zh": {
        "post_received": "收到帖子、发出反馈单", "reposts_updated": "转发评论数更新", "follow_up_posted": "网民追问",
        "statement_issued": "对外表态", "reply_filed": "单位答复", "deadline_reached": "时限到达",
        "classification": "分类", "routing": "转办", "hot": "热点判定", "deadlines": "时限", "escalation": "督办与扣分",
        "selected": "命中", "keywords": "关键词", "not_fired": "未命中", "not_evaluated": "未评估（已由前面的规则决定）",
        "failed": "首个不成立的条件", "actual": "实际值", "effects": "决定", "none": "（无）", "place_owner": "地点",
        "belongs": "属于",
    },
    "en": {
        "post_received": "post received, form issued", "reposts_updated": "repost count updated",
        "follow_up_posted": "follow-up posted", "statement_issued": "statement issued",
        "reply_filed": "reply filed", "deadline_reached": "deadline reached",
        "classification": "classification", "routing": "routing", "hot": "hot event", "deadlines": "deadlines",
        "escalation": "escalation and deductions", "selected": "fired", "keywords": "keywords",
        "not_fired": "did not fire", "not_evaluated": "not evaluated (already decided by an earlier rule)",
        "failed": "first failing condition", "actual": "actual", "effects": "decision", "none": "(none)",
        "place_owner": "place", "belongs": "belongs to",
    },
}


_HIT_POLICY_ZH = {"first": "首条命中", "priority": "优先级最高者命中", "unique": "唯一命中", "collect": "全部命中"}


def _effect_text(e: dict[str, Any], lang: str) -> str:

    zh = lang == "zh"
    t = e["type"]
    if t == "classify":
        s = (f"分类为 {e['category']}" if zh else f"category {e['category']}")
        if e.get("keywords"):
            s += (f"（关键词：{'、'.join(e['keywords'])}）" if zh else f" (keywords: {', '.join(e['keywords'])})")
    elif t == "route":
        s = f"转办 {e['unit']}" if zh else f"routed to {e['unit']}"
        if "place_owner" in e:
            po = e["place_owner"]
            s += (f"（地点 {po['place']} 属于 {po['unit']}）" if zh else f" (place {po['place']} belongs to {po['unit']})")
    elif t == "mark_hot":
        s = "标记为热点事件" if zh else "marked as a hot event"
    elif t == "set_deadline":
        kind = {"reply": ("答复时限", "reply deadline"), "external_statement": ("对外表态时限", "statement deadline")}[
            e["deadline"]]
        s = f"{kind[0] if zh else kind[1]}：{e['reasoning'][lang]}" if zh else f"{kind[1]}: {e['reasoning'][lang]}"
        if e.get("remind_at"):
            s += (f"；提醒 {e['remind_at'][:16].replace('T', ' ')}" if zh else
                  f"; reminder at {e['remind_at'][:16].replace('T', ' ')}")
    elif t == "remind":
        s = f"提醒 {e['unit']}" if zh else f"remind {e['unit']}"
    elif t == "escalate":
        s = (f"督办：报 {e['to']}（{e['level']} 级）" if zh else f"escalate to {e['to']} (level {e['level']})")
    elif t == "deduct":
        s = (f"扣 {e['unit']} {e['points']:g} 分（{e['reason']}）" if zh else
             f"deduct {e['points']:g} points from {e['unit']} ({e['reason']})")
    elif t == "flag_accountability":
        s = f"对 {e['unit']} 启动问责" if zh else f"flag {e['unit']} for accountability"
    elif t == "close":
        s = f"结案（{e['reply_kind']}）" if zh else f"closed ({e['reply_kind']})"
    else:
        s = t
    return f"{s} — {e['rule']} ({e['where']})" if e["where"] != "engine:0" else s


def _shown(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f"'{v}'" if v else "''"
    return str(v)


def render(explanation: dict[str, Any], lang: str = "zh") -> str:
    t = _T[lang]
    lines: list[str] = []
    for step in explanation["steps"]:
        lines.append(f"■ {t[step['event']]} @ {step['at'][:16].replace('T', ' ')}")
        lines.append(f"  {t['effects']}{'：' if lang == 'zh' else ':'}")
        if not step["effects"]:
            lines.append(f"    {t['none']}")
        for e in step["effects"]:
            lines.append(f"    • {_effect_text(e, lang)}")
        for tab in step["tables"]:
            hp = tab["hit_policy"]
            hp_text = (f"（命中策略：{_HIT_POLICY_ZH.get(hp, hp)}）" if lang == "zh" else f" (hit policy: {hp})")
            lines.append(f"  [{t[tab['table']]}] {tab['file']}{hp_text}")
            for s in tab["selected"]:
                kw = f"；{t['keywords']}：{'、'.join(s['keywords'])}" if s.get("keywords") and lang == "zh" else (
                    f"; {t['keywords']}: {', '.join(s['keywords'])}" if s.get("keywords") else "")
                conds = ("；".join(s.get("matched_zh", s["matched"])) or "无条件" if lang == "zh" else
                         "; ".join(s["matched"]) or "unconditional")
                lines.append(f"    ✓ {t['selected']} {s['rule']} ({s['where']}){'：' if lang == 'zh' else ': '}{conds}{kw}")

            for s in tab["not_fired"]:
                actual = ""
                if "actual" in s:
                    shown = _shown(s["actual"])
                    if lang == "zh":
                        v = s["actual"]
                        shown = f"「{v}」" if isinstance(v, str) else ("是" if v else "否") if isinstance(v, bool) \
                            else shown
                    actual = f"，{t['actual']} {shown}" if lang == "zh" else f", {t['actual']} {shown}"

                at_line = (f"（第 {s['failed_line']} 行）" if lang == "zh" else f" (line {s['failed_line']})") \
                    if "failed_line" in s else ""
                failed = s.get("failed_zh", s["failed"]) if lang == "zh" else s["failed"]
                sep = "：" if lang == "zh" else ": "
                lines.append(f"    ✗ {t['not_fired']} {s['rule']} ({s['where']}){sep}{t['failed']} {failed}"
                             f"{at_line}{actual}")
            if tab["not_evaluated"]:
                ids = ", ".join(s["rule"] for s in tab["not_evaluated"])
                lines.append(f"    · {t['not_evaluated']}{'：' if lang == 'zh' else ':'} {ids}")

    return "\n".join(lines)
