"""Compiling decision tables onto durable_rules, and running them safely.

Each table becomes one durable_rules ruleset registered on a ``Host`` that
belongs to this policy alone (durable.lang's module-level host and registry
are never used).  The traps of durable_rules 2.0.28 and how they are guarded:

* ``Host()`` starts wall-clock timer threads that dispatch actions in the
  background; our host subclass never starts them, and time only ever comes
  from events.
* Only the first key of a condition object is read: every rule's condition
  is wrapped in a single ``$and``.
* Unknown operators are accepted silently: conditions are type-checked at
  load time and the compiler emits only the operators it knows.
* ``pri`` is unsigned 16-bit and defaults to 0: every rule gets an explicit,
  distinct ``pri`` from its rank in the table (1..65000).
* Large character ranges in regexes crash the process, ``%w``/``$imt`` are
  ASCII-only, and (found by our differential tests) its regex automaton gives
  wrong answers for alternations of four or more Chinese words
  (``.*(停车|车位|违停|公交).*`` does not match 公交车班次太少).  So text
  tests (``contains_any``, ``matches``) never reach durable_rules' ``$mt``:
  each one is computed in Python as a boolean *feature* of the fact
  (``t0``, ``t1``, …) and the rule tests the feature; all other logic, and
  the combination of features with other conditions, runs on durable_rules.
* About 1,024 live sessions per ruleset: every evaluation uses the same
  session id and the fact is retracted afterwards, so state never grows.
* Exceptions raised in actions are swallowed into the session state: no
  Python action ever runs; matches are read from the C layer's action queue
  and any error from the C layer is raised as a ``RuntimeError``.
* The definition dict is mutated on registration: a deep copy is passed.
"""

from __future__ import annotations

import copy
import json
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from itertools import count
from operator import itemgetter
from typing import Any

import durable_rules_engine as _dre
import re2
from durable.engine import Host

from .conditions import FIELDS, Condition
from .policy import IRRule, Table

__all__ = ["compile_table", "DurableTable", "PolicyHost", "TableKey"]

_SID = "0"
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_encode_str = json.encoder.encode_basestring  # what _dumps uses for text (ensure_ascii=False)
_ids = count()  # ruleset names only need to be unique within the process


class PolicyHost(Host):
    """A durable_rules host owned by one policy, without background threads."""

    def _run(self) -> None:  # noqa: D401 - overriding the timer-thread starter
        """Do not start durable_rules' wall-clock dispatch threads."""


def _never_called(_closure: Any) -> None:
    raise RuntimeError("durable_rules action dispatch is not used by wenzheng")


TEXT_OPS = ("contains_any", "matches")


def compile_table(table: Table) -> tuple[dict[str, Any], list[tuple[str, Condition]]]:
    """The durable_rules JSON ruleset for ``table`` (without the 'run' actions).

    Also returns the text features: (fact field name, condition) pairs that
    must be computed into the fact before it is asserted.
    """
    ruleset: dict[str, Any] = {}
    features: dict[Condition, str] = {}
    for rank, rule in enumerate(table.ranked(), start=1):
        tests = []
        for c in rule.conditions:
            if c.op in TEXT_OPS:
                name = features.setdefault(c, f"t{len(features)}")
                tests.append({name: True})
            else:
                tests.append(c.to_durable())
        ruleset[rule.id] = {"all": [{"m": {"$and": tests}}], "pri": rank}
    return ruleset, [(name, c) for c, name in features.items()]


#: the last text a Set searched and its UTF-8 bytes (what ``re2.Set.Match`` would encode): the tables of one
#: post (classification, routing, the model's true unit) search the same string object, encoded once.  The
#: same object (``is``), held here, so never a recycled id; ``str`` is immutable, so its bytes are too.
_last_encoded: tuple[str, bytes] = ("", b"")


class _TextFeatures:
    """The boolean text features of one table, computed together.

    ``contains_any`` features on the same field run as one RE2 ``Set`` search
    (linear time, one pass over the text whatever the number of keywords); a
    ``matches`` feature runs its own RE2 full match, as ``Condition.holds``
    does.  Each answer equals ``Condition.holds`` (the differential tests
    compare them); values that are not text, or that RE2 cannot take (lone
    surrogates), are answered by ``Condition.holds`` itself.
    """

    #: keyword bytes above which a field's keywords are not put in one RE2 Set: its DFA has a memory
    #: budget and a Set reports no error when it runs out, so large vocabularies test one condition at a time
    MAX_SET_BYTES = 32_768

    def __init__(self, features: list[tuple[str, Condition]]) -> None:
        self.features = features
        self.count = len(features)
        # (field, RE2 set, feature position of each pattern in the set)
        self._sets: list[tuple[str, Any, list[int]]] = []
        self._single: list[tuple[int, Condition]] = []
        by_field: dict[str, list[int]] = {}
        for i, (_, c) in enumerate(features):
            if c.op == "contains_any":
                by_field.setdefault(c.field, []).append(i)
            else:
                self._single.append((i, c))
        for fld, positions in by_field.items():
            size = sum(len(w.encode("utf-8")) for i in positions for w in features[i][1].value)
            if size > self.MAX_SET_BYTES:
                self._single.extend((i, features[i][1]) for i in positions)
                continue
            options = re2.Options()
            options.max_mem = 64 << 20
            options.log_errors = False
            rset = re2.Set.SearchSet(options)
            for k, i in enumerate(positions):
                if rset.Add("|".join(re2.escape(w) for w in features[i][1].value)) != k:  # pragma: no cover
                    raise RuntimeError("RE2 Set numbered its patterns out of order")
            rset.Compile()
            self._sets.append((fld, rset, positions))
        self._single.sort(key=lambda x: x[0])
        self._fields = tuple(dict.fromkeys(c.field for _, c in features))  # what the features read
        self._memo: dict[Any, tuple[bool, ...]] = {}

    #: texts whose features are remembered per table (a run's texts repeat: megacity-day evaluates 82,000
    #: features of 14,000 distinct texts); the memo is emptied when full
    MEMO_SIZE = 4096

    def values(self, fact: dict[str, Any]) -> list[bool]:
        """The features of ``fact``: a function of the values of the fields they read alone
        (``Condition.holds`` reads ``fact[field]``), so remembered for string values."""
        fields = self._fields
        if len(fields) == 1:
            key: Any = fact[fields[0]]
            keep = type(key) is str
        else:
            key = tuple([fact[f] for f in fields])
            keep = all(type(v) is str for v in key)  # 1, 1.0 and True are equal keys with other features
        if keep:
            hit = self._memo.get(key)
            if hit is not None:
                return list(hit)
        out = self._compute(fact)
        if keep:
            memo = self._memo
            if len(memo) >= self.MEMO_SIZE:
                memo.clear()
            memo[key] = tuple(out)
        return out

    def _compute(self, fact: dict[str, Any]) -> list[bool]:
        global _last_encoded
        out = [False] * self.count
        for fld, rset, positions in self._sets:
            v = fact[fld]
            hits = None
            if type(v) is str:
                try:
                    last = _last_encoded  # one read: another thread may replace it, never half of it
                    if last[0] is v:
                        data = last[1]
                    else:
                        data = v.encode("utf-8")
                        _last_encoded = (v, data)
                    hits = rset.Match(data)
                except UnicodeEncodeError:
                    hits = [k for k, i in enumerate(positions) if self.features[i][1].holds(fact)]
            else:
                hits = [k for k, i in enumerate(positions) if self.features[i][1].holds(fact)]
            if hits:
                for k in hits:
                    out[positions[k]] = True
        for i, c in self._single:
            out[i] = c.holds(fact)
        return out


def compared_fields(table: Table) -> tuple[str, ...]:
    """The fields a table's rules test other than with text conditions, sorted."""
    return tuple(sorted({c.field for r in table.rules for c in r.conditions if c.op not in TEXT_OPS}))


class TableKey:
    """A hashable key on which a table's matching rules depend alone: the values of the fields its rules
    test with comparisons, then the truth of each of its text conditions (``contains_any``, ``matches``).

    Two facts with equal keys satisfy exactly the same conditions, so any evaluation of the table (the
    durable_rules one or the reference ``Table.evaluate``) selects the same rules for both: results can be
    remembered per key.  A text is thus reduced to which keyword lists it hits, not kept whole.
    """

    def __init__(self, table: Table) -> None:
        # the fields and text features the compiled table asserts (DurableTable's own)
        self.fields = compared_fields(table)
        self._text = _TextFeatures(compile_table(table)[1])

    def __call__(self, fact: dict[str, Any]) -> tuple[Any, ...]:
        return tuple([fact[f] for f in self.fields] + self._text.values(fact))


def _json_value(v: Any) -> str:
    """JSON text of one fact value, as ``_dumps`` writes it (str, bool and int without a detour)."""
    t = type(v)
    if t is str:
        return _encode_str(v)
    if t is bool:
        return "true" if v else "false"
    if t is int:
        return int.__repr__(v)
    return _dumps(v)


_SAFE_INT = 2**53  # durable_rules compares numbers as doubles: beyond this, keep the exact value in cache keys


def _getter(fields: tuple[str, ...]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """The values of ``fields`` in a fact, as a tuple (one C call, whatever the number of fields)."""
    if len(fields) >= 2:
        return itemgetter(*fields)
    if len(fields) == 1:
        get = itemgetter(fields[0])
        return lambda fact: (get(fact),)
    return lambda fact: ()


class DurableTable:
    """One compiled table; ``matches(fact)`` returns the matching rules in rank order.

    ``cache_size`` > 0 memoises ``matches``: the fact is asserted into a
    session that holds nothing else and retracted at once, so which rules
    match is a pure function of the asserted payload.  The key is the
    payload's values (tested fields, then text features), each whole-number
    field replaced by its gap among the numbers the table's rules compare
    that field with (every comparison answers the same for two values in the
    same gap, and a value equal to one of those numbers keeps its own key);
    a fact with a value of another type than its field's is keyed on its
    exact JSON.  The cache is an LRU bounded at ``cache_size`` entries.
    """

    def __init__(self, table: Table, host: PolicyHost, cache_size: int = 0) -> None:
        self.table = table
        self.name = f"{table.kind}_{next(_ids)}"
        self.definition, self.features = compile_table(table)
        # Only the fields the rules test go into the asserted fact: less JSON to
        # encode and less for the C layer to index.
        self.fields = compared_fields(table)
        self._by_id: dict[str, IRRule] = {r.id: r for r in table.rules}
        self._text = _TextFeatures(self.features)
        keys = list(self.fields) + [name for name, _ in self.features]
        # the payload's JSON with a slot per value, keys in the order _dumps wrote them
        self._template = "{" + "".join(_dumps(k).replace("%", "%%") + ":%s," for k in keys) + \
            _dumps(_SID).join(('"sid":', ',"id":1}'))
        # whole-number fields: the sorted numbers the rules compare them with (for cache keys)
        numbers: dict[int, list[int]] = {}
        for pos, f in enumerate(self.fields):
            vals = set()
            for r in table.rules:
                for c in r.conditions:
                    if c.field == f:
                        for x in (c.value if isinstance(c.value, tuple) else (c.value,)):
                            if type(x) is int:
                                vals.add(x)
                            elif type(x) is not str and type(x) is not bool:  # pragma: no cover - type-checked
                                vals = set()
                                break
            if vals and all(type(x) is int for x in vals):
                numbers[pos] = sorted(vals)
        self._numbers = [(pos, ns, frozenset(ns)) for pos, ns in numbers.items()]
        self._types = tuple(FIELDS[f].type for f in self.fields)
        self._values = _getter(self.fields)
        self.cache_size = cache_size
        # key -> (matching rules, the hit policy's selection of them, or None until it was computed)
        self._cache: OrderedDict[Hashable, tuple[tuple[IRRule, ...], tuple[IRRule, ...] | None]] = OrderedDict()
        self.hits = 0
        self.misses = 0
        registered = copy.deepcopy(self.definition)
        for rule in registered.values():
            rule["run"] = _never_called
        host.register_rulesets({self.name: registered})
        self._handle = host.get_ruleset(self.name)._handle

    def _key(self, raw: Sequence[Any], feats: list[bool] | None) -> Hashable:
        """The cache key: the asserted values, each whole number replaced by its gap among the thresholds."""
        if tuple(map(type, raw)) == self._types:
            # every value has its field's type (bool is not int here), so equal keys mean equal payloads
            # up to the number buckets; a bucket is a tuple, never equal to a number
            if self._numbers:
                key: list[Any] = list(raw)
                for pos, ns, members in self._numbers:
                    v = key[pos]
                    if -_SAFE_INT < v < _SAFE_INT and v not in members:
                        key[pos] = ("~", bisect_left(ns, v))
                raw = tuple(key)
            return (tuple(raw), tuple(feats)) if feats is not None else tuple(raw)
        # a value of another type (a fact not built by the engine): key on the exact JSON text
        return self._payload(raw, feats)

    def _payload(self, raw: Sequence[Any], feats: list[bool] | None) -> str:
        vals = [_json_value(v) for v in raw]
        if feats is not None:
            vals.extend(["true" if b else "false" for b in feats])
        return self._template % tuple(vals)

    def payload(self, fact: dict[str, Any]) -> str:
        """The JSON text asserted for ``fact``: the tested fields, the text features, session and fact id."""
        return self._payload(self._values(fact), self._text.values(fact) if self.features else None)

    def _lookup(self, fact: dict[str, Any]) -> tuple[Hashable, tuple[tuple[IRRule, ...], tuple[IRRule, ...] | None]]:
        """The cache key of ``fact`` and its entry (asserted into durable_rules and remembered on a miss)."""
        raw = self._values(fact)
        feats = self._text.values(fact) if self.features else None
        key = self._key(raw, feats)
        cache = self._cache
        hit = cache.get(key)
        if hit is not None:
            cache.move_to_end(key)
            self.hits += 1
            return key, hit
        self.misses += 1
        hit = cache[key] = (tuple(self._assert(self._payload(raw, feats))), None)
        if len(cache) > self.cache_size:
            cache.popitem(last=False)
        return key, hit

    def matches(self, fact: dict[str, Any]) -> list[IRRule]:
        """All rules whose conditions hold for ``fact``, in ``pri`` order."""
        if self.cache_size:
            return list(self._lookup(fact)[1][0])
        return self._assert(self._payload(self._values(fact), self._text.values(fact) if self.features else None))

    def _assert(self, text: str) -> list[IRRule]:
        handle = self._handle
        result = _dre.assert_fact(handle, text)
        names: list[str] = []
        try:
            if result[0] == 0:
                state = result[1]
                started = _dre.start_action_for_state(handle, state)
                message = started[1] if started else None
                while message:
                    # message is '{"<rule id>": {...}}'; rule ids contain no quotes
                    names.append(message[2:message.index('"', 2)])
                    message = _dre.complete_and_start_action(handle, state)
            elif result[0] == 2:
                raise RuntimeError(f"durable_rules: fact already observed in {self.name}: {text}")
        finally:
            _dre.retract_fact(handle, text)
        by_id = self._by_id
        if len(names) == 1:
            return [by_id[names[0]]]
        seen: set[str] = set()
        out: list[IRRule] = []
        for n in names:
            if n not in seen:  # durable_rules can report one rule twice for one fact
                seen.add(n)
                out.append(by_id[n])
        return out

    def evaluate(self, fact: dict[str, Any]) -> list[IRRule]:
        """Matches with the table's hit policy applied (with the cache: the selection is remembered too)."""
        if self.cache_size:
            key, (matched, selected) = self._lookup(fact)
            if selected is None:
                # a clash of a 'unique' table raises here every time, and nothing is remembered for it
                selected = tuple(self.table.select(matched))
                if key in self._cache:
                    self._cache[key] = (matched, selected)
            return list(selected)
        return self.table.select(self.matches(fact))

    def clear_cache(self) -> None:
        self._cache.clear()

    def close(self) -> None:
        try:
            _dre.delete_ruleset(self._handle)
        except Exception:  # pragma: no cover - best effort at interpreter shutdown
            pass
