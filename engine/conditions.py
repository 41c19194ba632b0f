"""The condition language of rule files, its type checker and its meaning.

A rule's ``when`` maps fact fields to tests::

    when:
      category: 园林绿化             # equality
      place: [回龙观, 天通苑北]       # one of
      reposts: {gte: 500}            # comparison
      text: {contains_any: [垃圾, 清运]}

Conditions are checked when the rules are loaded, not when they fire: an
unknown field, a field the rule's table cannot see, an operator that does not
fit the field's type, or a regex durable_rules would mishandle is rejected
with the key's location.  ``matches`` patterns run on RE2 (google-re2), whose
matching time is linear in the text: post text is written by citizens, and a
backtracking engine would let one post with a pattern like ``(a+)+b`` stall
the engine.  Patterns RE2 cannot run (backreferences, lookaround) are
rejected at load time.  A parsed condition knows two things: how to compile
itself onto durable_rules' JSON, and how to evaluate itself in plain Python
(the reference evaluator used for "why not" traces and differential tests).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import re2

from .errors import suggest
from .messages import t

__all__ = [
    "FieldSpec",
    "FIELDS",
    "TABLE_FIELDS",
    "OPERATORS",
    "EVENT_KINDS",
    "CHANNELS",
    "DEADLINE_KINDS",
    "REPLY_KINDS",
    "Condition",
    "ConditionError",
    "parse_when",
    "check_regex",
    "MAX_NUMBER",
    "MAX_LIST",
]

EVENT_KINDS = (
    "post_received",
    "reposts_updated",
    "follow_up_posted",
    "statement_issued",
    "reply_filed",
    "deadline_reached",
)
CHANNELS = ("weibo", "wechat")
DEADLINE_KINDS = ("external_statement", "reply")
REPLY_KINDS = ("立行立改", "近期解决", "条件不具备", "不符合法规")


@dataclass(frozen=True)
class FieldSpec:
    type: type
    doc: str
    choices: tuple[str, ...] = ()


FIELDS: dict[str, FieldSpec] = {
    "event": FieldSpec(str, "kind of event being handled", EVENT_KINDS),
    "channel": FieldSpec(str, "platform the first post came from", CHANNELS),
    "text": FieldSpec(str, "text of the first post (newlines folded to spaces)"),
    "place": FieldSpec(str, "street/town area the post is about (from units.yaml places)"),
    "category": FieldSpec(str, "complaint category assigned by classification"),
    "unit": FieldSpec(str, "unit the case is routed to"),
    "hot": FieldSpec(bool, "whether the case is a hot event"),
    "reposts": FieldSpec(int, "reposts plus comments seen so far"),
    "followups": FieldSpec(int, "follow-up posts by citizens so far"),
    "deadline": FieldSpec(str, "deadline kind (deadline_reached events)", DEADLINE_KINDS),
    "reminder": FieldSpec(bool, "true when a deadline_reached event is the reminder, not the due time"),
    "met": FieldSpec(bool, "whether the deadline's obligation was fulfilled in time (deadline_reached)"),
    "replied": FieldSpec(bool, "whether the unit has filed its reply"),
    "statement_issued": FieldSpec(bool, "whether an external statement has been issued"),
    "reply_kind": FieldSpec(str, "kind of reply filed, one of the four", REPLY_KINDS),
    "escalations": FieldSpec(int, "escalations on this case so far"),
}

_CASE = ("event", "channel", "text", "place", "category", "unit", "hot", "reposts", "followups",
         "replied", "statement_issued", "reply_kind", "escalations")
TABLE_FIELDS: dict[str, tuple[str, ...]] = {
    "classification": ("event", "channel", "text", "place", "reposts"),
    "routing": ("event", "channel", "text", "place", "category", "reposts"),
    "hot": _CASE,
    "deadlines": _CASE,
    "escalation": _CASE + ("deadline", "reminder", "met"),
}

_NUMERIC = {"gt": "$gt", "gte": "$gte", "lt": "$lt", "lte": "$lte"}
OPERATORS = ("eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte", "contains_any", "matches")

# Characters with a meaning in durable_rules' regex dialect.  Keywords must be
# literal text; durable_rules does not honour backslash escapes.
_META = set(".*+?()[]{}|\\^$%")
_MAX_RANGE = 256  # durable_rules crashes on character ranges of a few thousand code points
#: Largest number a condition may compare with (counts of reposts, follow-ups, escalations).
MAX_NUMBER = 1_000_000_000
#: Most values in one ``in``/``not_in`` list or keywords in one ``contains_any``.
MAX_LIST = 1_000


class ConditionError(ValueError):
    """A condition that does not type-check; ``path`` is relative to ``when``."""

    def __init__(self, message: str, path: tuple[str | int, ...] = (), suggestion: str | None = None):
        super().__init__(message)
        self.path = path
        self.suggestion = suggestion


def check_regex(pattern: str) -> None:
    """Reject patterns durable_rules would mishandle or RE2 cannot run (backreferences, lookaround)."""
    if "\\" in pattern or "%" in pattern:
        raise ConditionError(t("regex.backslash", pattern=pattern))
    if pattern.startswith("^") or pattern.endswith("$") or "(?" in pattern:
        raise ConditionError(t("regex.anchors", pattern=pattern))
    for lo, hi in re.findall(r"(.)-(.)", "".join(re.findall(r"\[([^\]]*)\]", pattern))):
        if ord(hi) - ord(lo) > _MAX_RANGE:
            raise ConditionError(t("regex.range", pattern=pattern, lo=lo, hi=hi, n=ord(hi) - ord(lo) + 1,
                                   limit=_MAX_RANGE))
    if "{," in pattern:  # RE2 reads it as literal text, Python's re as {0,n}: say which one is meant
        raise ConditionError(t("regex.repetition", pattern=pattern))
    try:
        re.compile(pattern)  # only compiled, never matched: its messages say where the mistake is
    except re.error as exc:
        raise ConditionError(t("regex.invalid", pattern=pattern, error=exc)) from None
    try:
        _compiled(pattern)
    except re2.error as exc:
        reason = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise ConditionError(t("regex.re2", pattern=pattern, reason=reason)) from None


def _re2_options() -> Any:
    options = re2.Options()
    options.dot_nl = True  # '.' matches any character, as re.DOTALL did
    options.log_errors = False  # errors are reported as ConditionError, not on stderr
    return options


_OPTIONS = _re2_options()


@lru_cache(maxsize=4096)
def _compiled(pattern: str) -> Any:
    """The RE2 program for a pattern (a pure function of it, so caching is safe)."""
    return re2.compile(pattern, _OPTIONS)


def _keyword_pattern(words: tuple[str, ...]) -> str:
    return ".*(" + "|".join(words) + ").*"


@dataclass(frozen=True)
class Condition:
    """One test of one fact field."""

    field: str
    op: str
    value: Any

    # -- meaning (the reference evaluator) ---------------------------------
    def holds(self, fact: dict[str, Any]) -> bool:
        actual = fact[self.field]
        op, v = self.op, self.value
        if op == "eq":
            return bool(actual == v)
        if op == "ne":
            return bool(actual != v)
        if op == "in":
            return actual in v
        if op == "not_in":
            return actual not in v
        if op == "gt":
            return bool(actual > v)
        if op == "gte":
            return bool(actual >= v)
        if op == "lt":
            return bool(actual < v)
        if op == "lte":
            return bool(actual <= v)
        if op == "contains_any":
            return any(w in actual for w in v)
        if op == "matches":
            return _compiled(v).fullmatch(actual) is not None  # RE2: linear in len(actual)
        raise AssertionError(f"unreachable operator {op}")

    def matched_keywords(self, fact: dict[str, Any]) -> list[str]:
        if self.op != "contains_any":
            return []
        return [w for w in self.value if w in fact[self.field]]

    # -- compilation onto durable_rules ------------------------------------
    def to_durable(self) -> dict[str, Any]:
        f, op, v = self.field, self.op, self.value
        if op == "eq":
            return {f: v}
        if op == "ne":
            return {"$neq": {f: v}}
        if op == "in":
            return {"$or": [{f: x} for x in v]}
        if op == "not_in":
            return {"$and": [{"$neq": {f: x}} for x in v]}
        if op in _NUMERIC:
            return {_NUMERIC[op]: {f: v}}
        if op == "contains_any":
            return {"$mt": {f: _keyword_pattern(v)}}
        if op == "matches":
            return {"$mt": {f: v}}
        raise AssertionError(f"unreachable operator {op}")

    def describe(self, lang: str | None = None) -> str:
        """The condition in words: English as written in the rules (``text contains any of {公园}``), or Chinese
        from the catalogue (``正文包含「公园」``, ``事件为收到帖子``)."""
        from .i18n import get_lang

        if (lang or get_lang()) == "zh":
            from .i18n import lang_scope

            with lang_scope("zh"):
                return self._describe_zh()

        symbols = {"eq": "=", "ne": "≠", "gt": ">", "gte": "≥", "lt": "<", "lte": "≤"}
        if self.op in symbols:
            return f"{self.field} {symbols[self.op]} {_show(self.value)}"
        if self.op == "in":
            return f"{self.field} ∈ {{{', '.join(map(_show, self.value))}}}"
        if self.op == "not_in":
            return f"{self.field} ∉ {{{', '.join(map(_show, self.value))}}}"
        if self.op == "contains_any":
            return f"{self.field} contains any of {{{', '.join(self.value)}}}"
        return f"{self.field} matches /{self.value}/"

    def _describe_zh(self) -> str:
        from .messages import t

        name_key = f"field.{self.field}"
        field = t(name_key) if name_key in t else self.field

        if FIELDS[self.field].type is bool and self.op in ("eq", "ne"):
            yes = bool(self.value) == (self.op == "eq")
            key = f"bool.{self.field}.{'yes' if yes else 'no'}"
            if key in t:
                return t(key)
            return t("cond.bool_yes", field=field) if yes else t("cond.bool_no", field=field)


        def shown(v: Any) -> str:
            return value_zh(self.field, v)

        if self.op == "eq":
            return t("cond.eq", field=field, value=shown(self.value))
        if self.op == "ne":
            return t("cond.ne", field=field, value=shown(self.value))
        if self.op in ("in", "not_in"):
            values = "、".join(shown(v) for v in self.value)
            return (t("cond.in", field=field, values=values) if self.op == "in" else
                    t("cond.not_in", field=field, values=values))
        if self.op in ("gt", "gte", "lt", "lte"):
            texts = {"gt": t("cond.gt", field=field, value=self.value),
                     "gte": t("cond.gte", field=field, value=self.value),
                     "lt": t("cond.lt", field=field, value=self.value),
                     "lte": t("cond.lte", field=field, value=self.value)}
            return texts[self.op]
        if self.op == "contains_any":
            words = "」或「".join(self.value)
            return t("cond.contains", field=field, words=words)
        return t("cond.matches", field=field, pattern=self.value)


def value_zh(field: str, value: Any) -> str:
    """A condition value in Chinese: event kinds, channels and deadline kinds by their Chinese names."""
    from .messages import t

    key = f"value.{field}.{value}"
    if isinstance(value, str) and key in t:
        return t(key)
    if isinstance(value, bool):
        return t("cond.true") if value else t("cond.false")
    return f"「{value}」" if isinstance(value, str) else str(value)



def _show(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _check_scalar(field: str, spec: FieldSpec, value: Any, path: tuple[str | int, ...]) -> Any:
    kind = spec.type
    ok = (isinstance(value, bool) if kind is bool else
          isinstance(value, int) and not isinstance(value, bool) if kind is int else
          isinstance(value, str))
    if not ok:
        message = {bool: t("cond.want_bool", field=field, value=repr(value)),
                   int: t("cond.want_int", field=field, value=repr(value)),
                   str: t("cond.want_text", field=field, value=repr(value))}[kind]
        raise ConditionError(message, path)
    if kind is int and not -MAX_NUMBER <= value <= MAX_NUMBER:
        raise ConditionError(t("cond.out_of_range", value=value, max=f"{MAX_NUMBER:,}"), path)
    if spec.choices and value not in spec.choices:
        raise ConditionError(t("cond.unknown_value", value=value, field=field, allowed=", ".join(spec.choices)),
                             path, suggest(value, spec.choices))
    return value


def _parse_op(field: str, spec: FieldSpec, op: str, value: Any, path: tuple[str | int, ...]) -> Condition:
    if op not in OPERATORS:
        raise ConditionError(t("cond.unknown_op", op=op, allowed=", ".join(OPERATORS)), path,
                             suggest(op, OPERATORS))
    if op in ("eq", "ne"):
        return Condition(field, op, _check_scalar(field, spec, value, path))
    if op in ("in", "not_in"):
        if not isinstance(value, list) or not value:
            raise ConditionError(t("cond.needs_list", op=op), path)
        if len(value) > MAX_LIST:
            raise ConditionError(t("cond.list_too_long", op=op, n=len(value), max=f"{MAX_LIST:,}"), path)
        if spec.type is bool:
            raise ConditionError(t("cond.list_on_bool", op=op, field=field), path)
        items = tuple(_check_scalar(field, spec, x, path + (i,)) for i, x in enumerate(value))
        return Condition(field, op, items)
    if op in _NUMERIC:
        if spec.type is not int:
            raise ConditionError(t("cond.needs_number_field", op=op, field=field), path)
        return Condition(field, op, _check_scalar(field, spec, value, path))
    if spec.type is not str:
        raise ConditionError(t("cond.needs_text_field", op=op, field=field), path)
    if op == "contains_any":
        words = value if isinstance(value, list) else [value]
        if not words or not all(isinstance(w, str) and w.strip() for w in words):
            raise ConditionError(t("cond.needs_keywords"), path)
        if len(words) > MAX_LIST:
            raise ConditionError(t("cond.too_many_keywords", n=len(words), max=f"{MAX_LIST:,}"), path)
        for i, w in enumerate(words):
            bad = sorted(set(w) & _META)
            if bad:
                raise ConditionError(t("cond.keyword_meta", word=w, chars=" ".join(bad)), path + (i,))
        return Condition(field, op, tuple(words))
    if not isinstance(value, str) or not value:
        raise ConditionError(t("cond.needs_pattern"), path)
    try:
        check_regex(value)
    except ConditionError as exc:
        raise ConditionError(str(exc), path) from None
    return Condition(field, op, value)


def parse_when(when: Any, table: str) -> tuple[Condition, ...]:
    """Type-check a rule's ``when`` mapping for a table kind; return its conditions."""
    if when is None:
        return ()
    if not isinstance(when, dict):
        raise ConditionError(t("cond.when_not_mapping"))
    allowed = TABLE_FIELDS[table]
    out: list[Condition] = []
    for field, test in when.items():
        path: tuple[str | int, ...] = (field,)
        if field not in FIELDS:
            raise ConditionError(t("cond.unknown_field", field=field), path,
                                 suggest(field, FIELDS))
        if field not in allowed:
            raise ConditionError(t("cond.field_not_yet", field=field, table=table, allowed=", ".join(allowed)),
                                 path)
        spec = FIELDS[field]
        if isinstance(test, dict):
            if not test:
                raise ConditionError(t("cond.empty_test", field=field), path)
            for op, value in test.items():
                out.append(_parse_op(field, spec, str(op), value, path + (op,)))
        elif isinstance(test, list):
            out.append(_parse_op(field, spec, "in", test, path))
        else:
            out.append(_parse_op(field, spec, "eq", test, path))
    return tuple(out)
