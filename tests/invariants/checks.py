"""The simulator's invariants, each a function of a run's exported files returning its violations.

Every check reads only what docs/metrics.md says the files carry (the event log with its additive
columns, cases.csv, metrics.json) plus the scenario and the rules; the expected values come from
the docs and the rule files, never from the simulator's code.  A check returns a list of
human-readable problems (empty: the invariant holds); ``ALL`` lists them by name.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

from tests.oracle.metrics_oracle import _WITHIN, TZ, Deadline

from .runfiles import Row, RunFiles, yaml_load

__all__ = ["ALL", "Problems"]

Problems = list[str]

# Activity names (docs/metrics.md, "Other files of a run").
COLLECT, TAKE, REPORT, HANDLE, SUPERVISE, REPLY = "收集整理", "开始研判", "上报通报", "调查办理", "督办落实", "反馈回复"
DESK_ANSWER, HOT, STATEMENT, FOLLOW_UP, OVERDUE = "直接答复", "转为热点", "对外表态", "网民追问", "逾期"
DEDUCT, MERGED, KEPT, BROKEN = "扣分", "合并同类问题", "承诺兑现", "承诺未兑现"
DEADLINE_SET, ACCOUNTABILITY, REJECTED, DUPLICATE = "设定时限", "问责", "载荷拒收", "重复投递"

#: activities a case can only have once a form was issued (上报通报)
FORM_ACTIVITIES = {HANDLE, SUPERVISE, REPLY, HOT, STATEMENT, FOLLOW_UP, OVERDUE, DEDUCT, MERGED, KEPT, BROKEN,
                   DEADLINE_SET, ACCOUNTABILITY}
#: what a unit does in its office hours (docs/scenarios.md: "The unit starts at its next office hour
#: and replies after reply_working_days of office time"; a promised fix is due in office time too).
#: Statements (对外表态) are wall-clock minutes, 24/7, and are not bound to office hours.
OFFICE_HOURS_ACTIVITIES = {HANDLE, REPLY, KEPT, BROKEN}
#: timers fire at float minutes of the simulation clock: a due time is met to the microsecond or so
EPS = dt.timedelta(milliseconds=1)


def _local(t: dt.datetime) -> dt.datetime:
    return t.astimezone(TZ)


# --------------------------------------------------------------------------- units and desk


def unit_office_hours(run: RunFiles) -> Problems:
    """Units act (start handling, reply, keep or break a promise) only in their working hours
    (scenario default → by_type → by_unit) on the policy's working days (chinese_calendar plus
    the rules' calendar.yaml)."""
    out: Problems = []
    for r in run.events:
        if r.activity not in OFFICE_HOURS_ACTIVITIES:
            continue
        b = run.behaviour(r.unit)
        t = _local(r.at)
        if not run.calendar.is_working_day(t.date()):
            out.append(f"{r.case_id}: {r.activity} by {r.unit} at {t.isoformat()}, not a working day")
            continue
        opens = dt.datetime.combine(t.date(), b.opens, tzinfo=TZ)
        closes = dt.datetime.combine(t.date(), b.closes, tzinfo=TZ)
        # starting happens before closing; an office-time delay may end exactly at closing time
        late = t >= closes if r.activity == HANDLE else t > closes + EPS
        if t < opens - EPS or late:
            out.append(f"{r.case_id}: {r.activity} by {r.unit} at {t.isoformat()}, outside its working hours "
                       f"{b.opens:%H:%M}-{b.closes:%H:%M}")
    return out


def _staff_lines(run: RunFiles) -> dict[str, str]:
    """Staff member → rota pattern (a team of ``count`` members is named 'name#1', 'name#2', …)."""
    out = {}
    for line in run.scenario["desk"]["rota"]:
        count = int(line.get("count", 1))
        names = [line["name"]] if count == 1 else [f"{line['name']}#{i + 1}" for i in range(count)]
        for n in names:
            out[n] = str(line["pattern"])
    return out


def _window(shift: dict[str, Any]) -> tuple[int, int]:
    def minutes(v: Any) -> int:
        if isinstance(v, int):
            return v
        h, m = (int(x) for x in str(v).split(":"))
        return h * 60 + m

    a, b = minutes(shift["start"]), minutes(shift["end"])
    return a, b + 1440 if b <= a else b


def desk_shifts(run: RunFiles) -> Problems:
    """Desk staff take posts only on their shifts (the rota, after the handover), one post at a time;
    each triage ends (上报通报 / 直接答复 by the same member, or the merge) after it started."""
    out: Problems = []
    desk = run.scenario["desk"]
    shifts = {k: _window(v) for k, v in desk["shifts"].items()}
    handover = float(desk.get("handover_minutes", 0))
    lines = _staff_lines(run)
    ends: dict[str, Row] = {}
    for r in run.events:
        if r.activity in (REPORT, DESK_ANSWER):
            ends.setdefault(r.case_id, r)
        elif r.activity == MERGED:
            ends.setdefault(r.merged_post, r)
    busy: dict[str, list[tuple[dt.datetime, dt.datetime, str]]] = defaultdict(list)
    for r in run.events:
        if r.activity != TAKE:
            continue
        pattern = lines.get(r.resource)
        if pattern is None:
            out.append(f"{r.case_id}: taken by {r.resource!r}, who is not on the rota")
            continue
        m = (r.at - run.start).total_seconds() / 60
        day = int(m // 1440)
        on_shift = False
        for d in (day, day - 1):  # an overnight shift of the day before runs past midnight
            if d < 0:
                continue
            letter = pattern[d % len(pattern)]
            if letter == "-":
                continue
            a, b = shifts[letter]
            if d * 1440 + a + handover - 1e-6 <= m <= d * 1440 + b + 1e-6:
                on_shift = True
        if not on_shift:
            out.append(f"{r.case_id}: {r.resource} took the post at {_local(r.at).isoformat()}, off shift "
                       f"(or during the handover)")
        end = ends.get(r.case_id)
        if end is None:
            out.append(f"{r.case_id}: taken at {r.at.isoformat()} but its triage never ended")
            continue
        if end.at < r.at or (end.activity != MERGED and end.resource != r.resource):
            out.append(f"{r.case_id}: triage taken by {r.resource} at {r.at.isoformat()} but ended by "
                       f"{end.resource} at {end.at.isoformat()}")
        busy[r.resource].append((r.at, end.at, r.case_id))
    for who, spans in busy.items():
        spans.sort()
        for (_a0, a1, c0), (b0, _b1, c1) in zip(spans, spans[1:], strict=False):
            if b0 < a1 - EPS:
                out.append(f"{who} took {c1} at {b0.isoformat()} while still triaging {c0} (until {a1.isoformat()})")
    return out


# --------------------------------------------------------------------------- a case's life


def case_lifecycle(run: RunFiles) -> Problems:
    """No reply before its form, no form before its post: every post is collected once, taken once,
    then answered by the desk, merged or issued as one form; every form ends replied (once) or open."""
    out: Problems = []
    merged_into: dict[str, Row] = {r.merged_post: r for r in run.events if r.activity == MERGED}
    for cid, rows in run.by_case().items():
        acts = Counter(r.activity for r in rows)
        first = {}
        for r in rows:
            first.setdefault(r.activity, r)
        if acts[COLLECT] != 1:
            out.append(f"{cid}: {acts[COLLECT]} 收集整理 rows")
            continue
        posted = first[COLLECT].at
        if any(r.at < posted for r in rows):
            out.append(f"{cid}: an event before the post was collected at {posted.isoformat()}")
        if acts[TAKE] != 1:
            out.append(f"{cid}: taken by the desk {acts[TAKE]} times")
        outcomes = acts[REPORT] + acts[DESK_ANSWER] + (cid in merged_into)
        if outcomes != 1:
            out.append(f"{cid}: {outcomes} outcomes of triage (forms {acts[REPORT]}, desk answers "
                       f"{acts[DESK_ANSWER]}, merged {cid in merged_into})")
        taken = first.get(TAKE)
        for act in (REPORT, DESK_ANSWER):
            if act in first and taken is not None and first[act].at < taken.at:
                out.append(f"{cid}: {act} at {first[act].at.isoformat()} before the desk took the post")
        form = first.get(REPORT)
        for r in rows:
            if r.activity in FORM_ACTIVITIES and (form is None or r.at < form.at):
                out.append(f"{cid}: {r.activity} at {r.at.isoformat()} "
                           + ("without a form" if form is None else f"before its form ({form.at.isoformat()})"))
        if acts[REPLY] > 1:
            out.append(f"{cid}: {acts[REPLY]} replies")
        reply = first.get(REPLY)
        handle = first.get(HANDLE)
        if acts[HANDLE] > 1:
            out.append(f"{cid}: the unit started handling {acts[HANDLE]} times")
        if reply is not None and handle is not None and handle.at > reply.at + EPS:
            out.append(f"{cid}: the unit started handling at {handle.at.isoformat()}, after its reply "
                       f"at {reply.at.isoformat()}")
        if form is not None and form.unit and reply is None and handle is None:
            out.append(f"{cid}: a form to {form.unit} the unit never received (no 调查办理)")
        if form is not None and not form.unit and (reply is not None or handle is not None):
            out.append(f"{cid}: an unrouted form was handled or replied")
        # promises: one outcome per 近期解决 reply, after the reply
        promised = acts[KEPT] + acts[BROKEN]
        kind = run.cases.get(cid, {}).get("reply_kind", "")
        want = 1 if reply is not None and kind == "近期解决" else 0
        if promised != want:
            out.append(f"{cid}: {promised} promise outcomes for a reply of kind {kind!r}")
        for act in (KEPT, BROKEN):
            if act in first and reply is not None and first[act].at < reply.at:
                out.append(f"{cid}: {act} before the reply")
        if form is not None:
            row = run.cases.get(cid)
            if row is None:
                out.append(f"{cid}: a form missing from cases.csv")
            elif (row["replied_at"] or None) != (reply.at.isoformat() if reply else None):
                out.append(f"{cid}: cases.csv replied_at {row['replied_at']!r} but the log says "
                           f"{reply.at.isoformat() if reply else 'never'}")
    forms = sum(1 for r in run.events if r.activity == REPORT)
    replied = sum(1 for r in run.events if r.activity == REPLY)
    m = run.metrics
    if (m["forms"], m["replied"]) != (forms, replied):
        out.append(f"metrics.json forms/replied {m['forms']}/{m['replied']}, the log {forms}/{replied}")
    if len(run.cases) != forms:
        out.append(f"cases.csv has {len(run.cases)} forms, the log {forms}")
    return out


# --------------------------------------------------------------------------- deadlines and the ledger


def _deadline_rules(run: RunFiles) -> dict[str, dict[str, Any]]:
    data = yaml_load(run.rules_dir / "deadlines.yaml")
    return {r["id"]: r["then"]["deadline"] for r in data.get("rules") or [] if (r.get("then") or {}).get("deadline")}


def _within(text: Any) -> Deadline:
    m = _WITHIN.match(str(text))
    assert m is not None, f"cannot read {text!r}"
    return Deadline(float(m.group(1)), m.group(2))


def _fulfilled(rows: list[Row], kind: str) -> dt.datetime | None:
    act = REPLY if kind == "reply" else STATEMENT
    return min((r.at for r in rows if r.activity == act), default=None)


def deadlines(run: RunFiles) -> Problems:
    """Every due time (and reminder) equals the calendar's answer for its start, counted independently
    (chinese_calendar + calendar.yaml, deadlines.yaml); reminders precede their deadline; each form has
    one reply deadline from its issue, each hot case one statement deadline from turning hot; a missed
    deadline is logged (逾期) exactly once, at its due time, and a met one never."""
    out: Problems = []
    rules = _deadline_rules(run)
    for cid, rows in run.by_case().items():
        sets = [r for r in rows if r.activity == DEADLINE_SET]
        kinds = Counter(r.deadline for r in sets)
        for k, n in kinds.items():
            if n > 1:
                out.append(f"{cid}: {n} {k} deadlines")
        form = next((r for r in rows if r.activity == REPORT), None)
        hot = next((r for r in rows if r.activity == HOT), None)
        if form is not None and kinds["reply"] != 1:
            out.append(f"{cid}: a form with {kinds['reply']} reply deadlines")
        if hot is not None and kinds["external_statement"] != 1:
            out.append(f"{cid}: a hot case with {kinds['external_statement']} statement deadlines")
        for s in sets:
            spec = rules.get(s.rule)
            if spec is None or spec["for"] != s.deadline:
                out.append(f"{cid}: deadline {s.deadline} set by {s.rule!r}, not a {s.deadline} rule of deadlines.yaml")
                continue
            starts = form if s.deadline == "reply" else hot
            if starts is None or s.at != starts.at:
                out.append(f"{cid}: the {s.deadline} deadline starts at {s.at.isoformat()}, not when the "
                           f"{'form was issued' if s.deadline == 'reply' else 'case turned hot'}")
            due = _within(spec["within"]).due(s.at, run.calendar)
            if s.due != due:
                out.append(f"{cid}: {s.deadline} due {s.due.isoformat() if s.due else None}, the calendar says "
                           f"{due.isoformat()} ({spec['within']} from {_local(s.at).isoformat()})")
            if spec.get("remind_after") is not None:
                remind = _within(spec["remind_after"]).due(s.at, run.calendar)
                if s.remind_at != remind:
                    out.append(f"{cid}: {s.deadline} reminder at {s.remind_at}, the calendar says {remind.isoformat()}")
                if s.remind_at is not None and s.due is not None and not s.remind_at < s.due:
                    out.append(f"{cid}: reminder {s.remind_at.isoformat()} not before its deadline {s.due.isoformat()}")
            elif s.remind_at is not None:
                out.append(f"{cid}: a reminder the rule does not ask for")
            if s.due is None:
                continue
            done = _fulfilled(rows, s.deadline)
            missed = done is None or done > s.due
            logged = [r for r in rows if r.activity == OVERDUE and r.deadline == s.deadline]
            if missed and (len(logged) != 1 or abs(logged[0].at - s.due) > EPS or logged[0].due != s.due):
                out.append(f"{cid}: {s.deadline} missed (due {s.due.isoformat()}) but logged as "
                           f"{[r.at.isoformat() for r in logged]}")
            if not missed and logged:
                out.append(f"{cid}: {s.deadline} met at {done} but logged 逾期")
        row = run.cases.get(cid)
        if row is not None:
            for k, col in (("reply", "reply_due"), ("external_statement", "statement_due")):
                s = next((x for x in sets if x.deadline == k), None)
                want = s.due.isoformat() if s is not None and s.due else ""
                if row[col] != want:
                    out.append(f"{cid}: cases.csv {col} {row[col]!r}, the log {want!r}")
    return out


def _test(value: Any, spec: Any) -> bool:
    """One field's test in a rule's ``when`` (docs/rules.md: equality, one of a list, operators)."""
    if isinstance(spec, dict):
        return all(_op(value, op, arg) for op, arg in spec.items())
    if isinstance(spec, list):
        return value in spec
    return bool(value == spec)


def _op(value: Any, op: str, arg: Any) -> bool:
    if op == "eq":
        return bool(value == arg)
    if op == "ne":
        return bool(value != arg)
    if op == "in":
        return value in arg
    if op == "not_in":
        return value not in arg
    if value is None:
        raise LookupError("the log does not carry this value here")
    return {"gt": value > arg, "gte": value >= arg, "lt": value < arg, "lte": value <= arg}[op]  # type: ignore[no-any-return]


def deduction_ledger(run: RunFiles) -> Problems:
    """The supervision and deduction ledger (督办落实, 扣分, 问责 rows) equals what escalation.yaml implies
    from the log's triggering events: each deadline's reminder and due time, each follow-up (网民追问)
    and merged post (合并同类问题).  Each matching rule acts exactly once, with its points, at its
    trigger; no row without its trigger; cases.csv and metrics.json add up the same points."""
    out: Problems = []
    spec = yaml_load(run.rules_dir / "escalation.yaml")
    rules = spec.get("rules") or []
    first_only = spec.get("hit_policy", "first") == "first"
    assert spec.get("hit_policy", "first") in ("first", "collect"), "the ledger check knows first and collect"
    expected: list[tuple[str, str, dt.datetime, str, str, float | None]] = []
    for cid, rows in run.by_case().items():
        kind = run.cases.get(cid, {}).get("reply_kind", "")
        triggers: list[tuple[dt.datetime, dict[str, Any]]] = []
        for s in (r for r in rows if r.activity == DEADLINE_SET):
            done = _fulfilled(rows, s.deadline)
            for t, reminder in ((s.remind_at, True), (s.due, False)):
                if t is None:
                    continue
                overdue = next((r for r in rows if r.activity == OVERDUE and r.deadline == s.deadline
                                and not reminder and abs(r.at - t) <= EPS), None)
                triggers.append((t, {"event": "deadline_reached", "deadline": s.deadline, "reminder": reminder,
                                     "met": done is not None and done <= t,
                                     "reposts": overdue.reposts if overdue is not None else None}))
        followups = 0
        for r in rows:
            if r.activity in (FOLLOW_UP, MERGED):
                followups += 1
                replied = any(x.activity == REPLY and x.at < r.at for x in rows)
                triggers.append((r.at, {"event": "follow_up_posted", "followups": followups, "replied": replied,
                                        "reply_kind": kind if replied else "", "deadline": "", "reminder": False,
                                        "met": False, "reposts": None}))
        for t, fact in triggers:
            for rule in rules:
                try:
                    hit = all(_test(fact.get(k), v) for k, v in (rule.get("when") or {}).items())
                except LookupError:
                    out.append(f"{cid}: rule {rule['id']} tests a field the log does not carry at {t.isoformat()}")
                    continue
                if not hit:
                    continue
                then = rule.get("then") or {}
                if then.get("remind"):
                    expected.append((cid, SUPERVISE, t, "desk", rule["id"], None))
                if then.get("escalate"):
                    expected.append((cid, SUPERVISE, t, then["escalate"]["to"], rule["id"], None))
                if then.get("deduct"):
                    expected.append((cid, DEDUCT, t, "assessment", rule["id"], float(then["deduct"]["points"])))
                if then.get("accountability"):
                    expected.append((cid, ACCOUNTABILITY, t, "assessment", rule["id"], None))
                if first_only:
                    break
    actual = [(r.case_id, r.activity, r.at, r.resource, r.rule, r.points) for r in run.events
              if r.activity in (SUPERVISE, DEDUCT, ACCOUNTABILITY)]

    def key(x: tuple[str, str, dt.datetime, str, str, float | None]) -> tuple[Any, ...]:
        return (x[0], x[1], x[2].replace(microsecond=0), x[3], x[4], x[5])

    # times match to the millisecond (timers run on float minutes): compare on whole seconds, then exactly
    want, got = Counter(map(key, expected)), Counter(map(key, actual))
    for k in sorted(want - got):
        out.append(f"{k[0]}: missing {k[1]} by rule {k[4]} ({k[3]}, points {k[5]}) at {k[2].isoformat()}")
    for k in sorted(got - want):
        out.append(f"{k[0]}: {k[1]} by rule {k[4]} ({k[3]}, points {k[5]}) at {k[2].isoformat()} without its trigger")
    # the case table and the metrics add up the same points and flags
    points: dict[str, float] = defaultdict(float)
    flagged: set[str] = set()
    for r in run.events:
        if r.activity == DEDUCT:
            points[r.case_id] += r.points or 0.0
        elif r.activity == ACCOUNTABILITY:
            flagged.add(r.case_id)
    for cid, row in run.cases.items():
        if abs(float(row["deductions"]) - points.get(cid, 0.0)) > 1e-9:
            out.append(f"{cid}: cases.csv deductions {row['deductions']}, the log {points.get(cid, 0.0)}")
        if int(row["accountability"]) != (cid in flagged):
            out.append(f"{cid}: cases.csv accountability {row['accountability']}, the log {cid in flagged}")
    total = round(sum(points.values()), 6)
    if abs(run.metrics["deductions_total"] - total) > 1e-6:
        out.append(f"metrics.json deductions_total {run.metrics['deductions_total']}, the log {total}")
    if run.metrics["accountability_flags"] != len(flagged):
        out.append(f"metrics.json accountability_flags {run.metrics['accountability_flags']}, the log {len(flagged)}")
    return out


# --------------------------------------------------------------------------- hot cases


def statements_only_when_hot(run: RunFiles) -> Problems:
    """A statement (对外表态) only for a case that turned hot, after it did, by its unit; a case turns hot
    at most once and every hot case gets its statement by the end of the drained run."""
    out: Problems = []
    for cid, rows in run.by_case().items():
        hot = [r for r in rows if r.activity == HOT]
        st = [r for r in rows if r.activity == STATEMENT]
        if len(hot) > 1 or len(st) > 1:
            out.append(f"{cid}: turned hot {len(hot)} times, {len(st)} statements")
        if st and not hot:
            out.append(f"{cid}: a statement at {st[0].at.isoformat()} for a case that never turned hot")
        elif st and st[0].at < hot[0].at:
            out.append(f"{cid}: a statement at {st[0].at.isoformat()} before turning hot at {hot[0].at.isoformat()}")
        if hot and not st:
            out.append(f"{cid}: hot since {hot[0].at.isoformat()} but never a statement")
        if st and st[0].resource != st[0].unit:
            out.append(f"{cid}: a statement by {st[0].resource}, not the case's unit {st[0].unit}")
    return out


# --------------------------------------------------------------------------- the desk queue


def littles_law(run: RunFiles) -> Problems:
    """L = λW for the desk queue over the whole run [period start, last post taken]: L the time-average
    number of posts waiting (from 收集整理 to 开始研判), λ the arrival rate, W metrics.json's
    desk_wait_minutes_mean.  Over a window that every post enters and leaves, Little's law is exact,
    so the stated tolerance only absorbs rounding: 1e-6 relative (metrics.json rounds to 6 places)."""
    collected = {r.case_id: r.at for r in run.events if r.activity == COLLECT}
    taken = {r.case_id: r.at for r in run.events if r.activity == TAKE}
    if not collected:
        return []
    if set(collected) != set(taken):
        return [f"{len(set(collected) - set(taken))} posts never taken, {len(set(taken) - set(collected))} taken "
                "without being collected"]
    steps = sorted([(t, +1) for t in collected.values()] + [(t, -1) for t in taken.values()])
    horizon = max(taken.values())
    area = 0.0  # post-minutes waiting
    level, last = 0, run.start
    for t, d in steps:
        area += level * (t - last).total_seconds() / 60
        level, last = level + d, t
    span = (horizon - run.start).total_seconds() / 60
    if span <= 0:
        return []
    L = area / span
    lam = len(collected) / span
    W = run.metrics["desk_wait_minutes_mean"]
    if W is None or abs(L - lam * W) > 1e-6 * max(1.0, L, lam * W) + lam * 1e-6:
        return [f"Little's law: L = {L:.6f} posts waiting, λW = {lam:.6f}/min × {W} min = "
                f"{lam * (W or 0):.6f}"]
    return []


# --------------------------------------------------------------------------- behaviour at the extremes


def behaviour_extremes(run: RunFiles) -> Problems:
    """Behaviour parameters at 0 or 1 have consequences the log must show: a unit that never stays silent
    replies to every form; a silent unit that always answers reminders (escalations) replies to every
    form reminded (escalated) before its reply; a silent unit that ignores all supervision never replies."""
    out: Problems = []
    for cid, rows in run.by_case().items():
        form = next((r for r in rows if r.activity == REPORT), None)
        if form is None or not form.unit:
            continue
        b = run.behaviour(form.unit)
        reply = next((r for r in rows if r.activity == REPLY), None)
        reminded = [r for r in rows if r.activity == SUPERVISE and r.resource == "desk"]
        escalated = [r for r in rows if r.activity == SUPERVISE and r.resource != "desk"]
        if b.no_reply == 0 and reply is None:
            out.append(f"{cid}: {form.unit} (no_reply 0) never replied")
        if b.respond_to_reminder == 1 and reminded and reply is None:
            out.append(f"{cid}: {form.unit} (respond_to_reminder 1) reminded at {reminded[0].at.isoformat()} "
                       "but never replied")
        if b.respond_to_escalation == 1 and escalated and reply is None:
            out.append(f"{cid}: {form.unit} (respond_to_escalation 1) escalated at {escalated[0].at.isoformat()} "
                       "but never replied")
        if b.no_reply == 1 and b.respond_to_reminder == 0 and b.respond_to_escalation == 0 and reply is not None:
            out.append(f"{cid}: {form.unit} (always silent, ignores supervision) replied at {reply.at.isoformat()}")
    return out


ALL: dict[str, Callable[[RunFiles], Problems]] = {
    "unit_office_hours": unit_office_hours,
    "desk_shifts": desk_shifts,
    "case_lifecycle": case_lifecycle,
    "deadlines": deadlines,
    "deduction_ledger": deduction_ledger,
    "statements_only_when_hot": statements_only_when_hot,
    "littles_law": littles_law,
    "behaviour_extremes": behaviour_extremes,
}
