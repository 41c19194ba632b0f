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
from itertools import count
from typing import Any

import durable_rules_engine as _dre
from durable.engine import Host

from .conditions import Condition
from .policy import IRRule, Table

__all__ = ["compile_table", "DurableTable", "PolicyHost"]

_SID = "0"
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
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


class DurableTable:
    """One compiled table; ``matches(fact)`` returns the matching rules in rank order."""

    def __init__(self, table: Table, host: PolicyHost) -> None:
        self.table = table
        self.name = f"{table.kind}_{next(_ids)}"
        self.definition, self.features = compile_table(table)
        # Only the fields the rules test go into the asserted fact: less JSON to
        # encode and less for the C layer to index.
        self.fields = tuple(sorted({c.field for r in table.rules for c in r.conditions if c.op not in TEXT_OPS}))
        self._by_id: dict[str, IRRule] = {r.id: r for r in table.rules}
        registered = copy.deepcopy(self.definition)
        for rule in registered.values():
            rule["run"] = _never_called
        host.register_rulesets({self.name: registered})
        self._handle = host.get_ruleset(self.name)._handle

    def matches(self, fact: dict[str, Any]) -> list[IRRule]:
        """All rules whose conditions hold for ``fact``, in ``pri`` order."""
        payload = {f: fact[f] for f in self.fields}
        for name, cond in self.features:
            payload[name] = cond.holds(fact)
        payload["sid"] = _SID
        payload["id"] = 1
        text = _dumps(payload)
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
        seen: set[str] = set()
        out: list[IRRule] = []
        for n in names:
            if n not in seen:  # durable_rules can report one rule twice for one fact
                seen.add(n)
                out.append(self._by_id[n])
        return out

    def evaluate(self, fact: dict[str, Any]) -> list[IRRule]:
        """Matches with the table's hit policy applied."""
        return self.table.select(self.matches(fact))

    def close(self) -> None:
        try:
            _dre.delete_ruleset(self._handle)
        except Exception:  # pragma: no cover - best effort at interpreter shutdown
            pass
