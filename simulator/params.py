"""Scenario parameters addressed by a dotted path.

Sensitivity analysis (``wenzheng sensitivity``), and later ``--set`` on every
command, sweeps and plans, all need to say "this input of the scenario, at
this value": ``units.default.no_reply``, ``desk.handover_minutes``,
``arrivals.categories.环境卫生``, ``desk.rota.0.pattern`` (or
``desk.rota[0].pattern``).  This module is the one place that turns such a
path into a location in a scenario, reads the value there and sets a new one.

A path is checked against the scenario *schema* (the pydantic models of
``simulator.scenario``), not only against the keys a file happens to write:
``units.default.capacity`` (a default) and ``units.by_type.street.no_reply``
(an override the file does not have yet) are valid paths; an unknown key is
refused with a "did you mean" suggestion.  After a value is set the whole
scenario is validated again, so a wrong value gets the schema's own message
(``no_reply: 1.5`` → "Input should be less than or equal to 1").  Both are
:class:`ParameterError`, a :class:`~engine.errors.SourceError`: the CLI maps it
to exit code 2.

Free-key mappings (``categories``, ``places``, ``channels``' values,
``by_unit``, ``shifts``) accept only the keys the scenario has when the value
is a number: a misspelt category must not silently become a new one.  Keys of
mappings of models (``units.by_unit.<unit>``, ``units.by_type.<type>``,
``desk.shifts.<letter>``) may be new: setting a field there creates the
override.
"""

from __future__ import annotations

import copy
import re
import types
from collections.abc import Iterable, Sequence
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from engine.errors import Problem, ScenarioError, suggest
from engine.yamlsrc import SourceDoc, validation_problems

from .messages import t
from .scenario import Scenario

__all__ = [
    "ParameterError",
    "parse_path",
    "format_path",
    "get_value",
    "set_value",
    "with_overrides",
    "parse_assignment",
    "parse_range",
    "parameter_paths",
    "is_integer_parameter",
    "even_rota",
    "overrides_record",
]

Segment = str | int

#: keys of Scenario that are not model inputs a user may set
_HIDDEN = {"path"}


class ParameterError(ScenarioError):
    """A parameter path or value that does not fit the scenario schema (exit code 2)."""


def _fail(origin: str, message: str, path: str = "", suggestion: str | None = None) -> ParameterError:
    return ParameterError([Problem(origin, None, None, message, key=path, suggestion=suggestion, code="parameter")])


# --------------------------------------------------------------------------- paths

_SEGMENT = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def parse_path(text: str, origin: str = "<parameter>") -> list[Segment]:
    """``units.default.no_reply`` → ``['units', 'default', 'no_reply']``; ``desk.rota.0.pattern`` and
    ``desk.rota[0].pattern`` → ``['desk', 'rota', 0, 'pattern']`` (a digit-only segment is a list index
    where the schema has a list, a key elsewhere)."""
    text = text.strip()
    if not text:
        raise _fail(origin, t("params.empty_path"))
    parts: list[Segment] = []
    pos = 0
    while pos < len(text):
        m = _SEGMENT.match(text, pos)
        if m is None:
            raise _fail(origin, t("params.not_dotted_eg", text=text),
                        text)
        parts.append(int(m.group(2)) if m.group(2) is not None else m.group(1))
        pos = m.end()
        if pos < len(text):
            if text[pos] == ".":
                pos += 1
                if pos == len(text) or text[pos] in ".[":
                    raise _fail(origin, t("params.empty_segment", text=text), text)
            elif text[pos] != "[":
                raise _fail(origin, t("params.not_dotted", text=text), text)
    return parts


def format_path(parts: Sequence[Segment]) -> str:
    """The inverse of :func:`parse_path`, with dots throughout (``desk.rota.0.pattern``)."""
    return ".".join(str(p) for p in parts)


# --------------------------------------------------------------------------- the schema walk

def _alternatives(tp: Any) -> list[Any]:
    """The types a value of annotation ``tp`` can have (Annotated stripped, unions flattened, None dropped)."""
    origin = get_origin(tp)
    if origin is Annotated:
        return _alternatives(get_args(tp)[0])
    if origin is Union or origin is types.UnionType:
        return [x for a in get_args(tp) if a is not type(None) for x in _alternatives(a)]
    return [tp]


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _model_fields(tp: Any) -> dict[str, Any]:
    return {n: f.annotation for n, f in tp.model_fields.items() if not (tp is Scenario and n in _HIDDEN)}


def _container(tp: Any) -> tuple[str, Any, Any] | None:
    """('dict', key type, value type) / ('list', None, item type) / ('tuple', None, item types) or None."""
    origin = get_origin(tp)
    if origin is dict:
        k, v = get_args(tp)
        return "dict", k, v
    if origin is list:
        return "list", None, get_args(tp)[0]
    if origin is tuple:
        return "tuple", None, get_args(tp)
    return None


def _describe(value: Any, alts: list[Any]) -> str:
    if any(_is_model(a) for a in alts) or isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return "a value"


def _resolve(parts: list[Segment], data: Any, origin: str, text: str) -> tuple[list[Segment], list[Any]]:
    """Check ``parts`` against the schema (and ``data`` for list lengths and free keys).

    Returns the path normalised (indices as ints) and the possible types of its value.
    """
    alts: list[Any] = [Scenario]
    node: Any = data
    done: list[Segment] = []
    for i, part in enumerate(parts):
        rest = parts[i + 1:]
        here = format_path(done) or t("params.the_scenario")
        models = [a for a in alts if _is_model(a)]
        containers = [c for a in alts if (c := _container(a)) is not None]
        nxt: list[Any] = []
        if models:
            known: set[str] = set()
            for m in models:
                fields = _model_fields(m)
                known |= set(fields)
                if str(part) in fields:
                    nxt.extend(_alternatives(fields[str(part)]))
            if not nxt:
                raise _unknown(origin, text, done, str(part), rest, known, t("params.no_key", here=here, key=part))
            part = str(part)
        elif containers:
            kind, ktype, vtype = containers[0]
            if kind == "dict":
                key = str(part)
                fixed = _literal_values(ktype)
                present = set(node) if isinstance(node, dict) else set()
                value_alts = _alternatives(vtype)
                if fixed is not None:
                    if key not in fixed:
                        raise _unknown(origin, text, done, key, rest, set(fixed),
                                       t("params.not_allowed_key", key=key, here=here, allowed=", ".join(sorted(fixed))))
                elif key not in present and not any(_is_model(a) for a in value_alts):
                    raise _unknown(origin, text, done, key, rest, present,
                                   t("params.no_key", here=here, key=key) + (t("params.it_has", keys=_some(present)) if present else ""))
                nxt = value_alts
                part = key
            else:
                size = len(node) if isinstance(node, list | tuple) else 0
                if isinstance(part, str) and not part.isdigit():
                    raise _fail(origin, t("params.list_index", here=here, last=size - 1, part=part), text)
                idx = int(part)
                limit = size if kind == "list" else len(vtype)
                if not 0 <= idx < limit:
                    raise _fail(origin, t("params.index_range", idx=idx, here=here, limit=limit), text)
                nxt = _alternatives(vtype if kind == "list" else vtype[idx])
                part = idx
        else:
            raise _fail(origin, t("params.single_value", here=here, key=part), text)
        done.append(part)
        alts = nxt
        node = _child(node, part)
    return done, alts


def _literal_values(tp: Any) -> list[str] | None:
    alts = _alternatives(tp)
    if len(alts) == 1 and get_origin(alts[0]) is Literal:
        return [str(v) for v in get_args(alts[0])]
    return None


def _some(keys: Iterable[str], n: int = 8) -> str:
    ks = sorted(keys)
    return ", ".join(ks[:n]) + (", …" if len(ks) > n else "")


def _unknown(origin: str, text: str, done: list[Segment], bad: str, rest: list[Segment], known: set[str],
             message: str) -> ParameterError:
    close = suggest(bad, known)
    return _fail(origin, t("params.unknown", text=text, message=message), text,
                 format_path([*done, close, *rest]) if close else None)


def _child(node: Any, part: Segment) -> Any:
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, list | tuple) and isinstance(part, int) and part < len(node):
        return node[part]
    return None


# --------------------------------------------------------------------------- values

def _data(sc: Scenario) -> dict[str, Any]:
    """The scenario as plain data that validates back to the same scenario (defaults included)."""
    return sc.model_dump(exclude=_HIDDEN)


def get_value(sc: Scenario, path: str, origin: str = "<parameter>") -> Any:
    """The value at ``path`` (defaults included; ``None`` for an override the scenario does not set)."""
    data = _data(sc)
    parts, _ = _resolve(parse_path(path, origin), data, origin, path)
    node: Any = data
    for part in parts:
        node = _child(node, part)
    return node


def is_integer_parameter(sc: Scenario, path: str, origin: str = "<parameter>") -> bool:
    """True when the schema wants a whole number at ``path`` (``desk.staff``, ``citizens.max_follow_ups``)."""
    _, alts = _resolve(parse_path(path, origin), _data(sc), origin, path)
    return int in alts and float not in alts


def set_value(data: dict[str, Any], parts: Sequence[Segment], value: Any) -> None:
    """Set ``value`` at a resolved path in plain scenario data, creating override mappings on the way."""
    node: Any = data
    for part in parts[:-1]:
        child = node[int(part)] if isinstance(node, list) else node.get(part)
        if child is None:  # an override the scenario does not set yet (units.by_type.street, a patch field)
            child = {}
            node[part] = child
        elif isinstance(child, tuple):
            child = list(child)
            node[part] = child
        node = child
    node[parts[-1]] = value


def with_overrides(sc: Scenario, overrides: Iterable[tuple[str, Any]], origin: str = "<parameter>") -> Scenario:
    """A copy of ``sc`` with each ``(path, value)`` set, validated against the schema.

    The copy keeps the scenario's file, its located source documents (for later
    cross-checks) and its reference rules.  Raises :class:`ParameterError` for an
    unknown path or a value the schema refuses.
    """
    data = copy.deepcopy(_data(sc))
    paths = []
    for path, value in overrides:
        parts, _ = _resolve(parse_path(path, origin), data, origin, path)
        set_value(data, parts, value)
        paths.append(format_path(parts))
    if "desk.staff" in paths and not any(p == "desk.rota" or p.startswith("desk.rota.") for p in paths):
        # the rota must account for every member: a new team size alone gets an even rotating rota
        staff = data["desk"]["staff"]
        if isinstance(staff, int) and not isinstance(staff, bool) and staff >= 1:
            data["desk"]["rota"] = even_rota(data["desk"], staff, origin)
    try:
        new = Scenario.model_validate(data)
    except ValidationError as exc:
        problems = validation_problems(SourceDoc(origin, data), exc, Scenario)
        raise ParameterError([Problem(origin, None, None, p.message + t("params.setting", paths=", ".join(paths)),
                                      key=_dotted(p.key), suggestion=p.suggestion, code="parameter")
                              for p in problems]) from None
    new = new.model_copy(update={"path": sc.path})
    new._docs = sc._docs
    new._reference_rules = sc._reference_rules
    return new


def even_rota(desk: dict[str, Any], staff: int, origin: str = "<parameter>") -> list[dict[str, Any]]:
    """The rota ``desk.staff=N`` gets when the rota itself is not set: N members rotating evenly.

    The scenario's shifts are kept; those its rota uses must tile the day (e.g. D 08-16, E 16-24, N 00-08).
    The cycle is L = min(N, 7) days; each member works w = round(5L/7) of them (a five-day week), at least one
    day per shift so every shift of every day is covered.  The base pattern puts the shifts in the order of the
    day (by start time from midnight), the extra working days to the shifts the scenario's own rota staffs
    most (ties: earlier start), then the days off: N=7 gives ``NDDEE--`` (2 day, 2 evening, 1 night: the
    Changping desk), N=3 ``NDE`` (one person per shift, every day: the understaffed desk).  Line i starts the base pattern i days later and
    has ``N // L`` members, one more for the first ``N % L`` lines.  Fewer members than shifts cannot
    staff the desk 24 hours (one shift a day each): a :class:`ParameterError`.
    """
    shifts: dict[str, Any] = desk.get("shifts") or {}
    rota: list[dict[str, Any]] = desk.get("rota") or []
    used = sorted({c for line in rota for c in str(line.get("pattern", "")) if c in shifts},
                  key=lambda c: (_minutes(shifts[c]["start"]), c))
    windows = []
    for c in used:
        a, b = _minutes(shifts[c]["start"]), _minutes(shifts[c]["end"])
        windows.append((a, b + 1440 if b <= a else b))
    tiles = bool(windows) and sum(b - a for a, b in windows) == 1440 and all(
        windows[i][1] % 1440 == windows[(i + 1) % len(windows)][0] for i in range(len(windows)))
    if not tiles:
        raise _fail(origin, t("params.staff_tile", used=", ".join(used) or t("common.none")),
                    "desk.staff")
    k = len(used)
    if staff < k:
        raise _fail(origin, t("params.staff_too_few", staff=staff, k=k, used=", ".join(used)), "desk.staff")
    cycle = min(staff, 7)
    work = min(cycle, max(k, round(5 * cycle / 7)))
    load = {c: sum(int(line.get("count", 1)) * str(line.get("pattern", "")).count(c) for line in rota) for c in used}
    by_load = sorted(used, key=lambda c: (-load[c], _minutes(shifts[c]["start"]), c))
    per = dict.fromkeys(used, 1)
    for i in range(work - k):
        per[by_load[i % k]] += 1
    base = "".join(c * per[c] for c in used) + "-" * (cycle - work)
    return [{"name": f"值班组{i + 1}" if staff > cycle else f"值班员{i + 1}", "pattern": base[-i:] + base[:-i]
             if i else base, "count": staff // cycle + (1 if i < staff % cycle else 0)} for i in range(cycle)]


def _minutes(clock: Any) -> int:
    """Minutes from midnight of a shift time as scenario data holds it (a time, or 'HH:MM')."""
    if hasattr(clock, "hour"):
        return int(clock.hour) * 60 + int(clock.minute)
    h, _, m = str(clock).partition(":")
    return int(h) * 60 + int(m or 0)


def overrides_record(overrides: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """``(path, value)`` pairs as JSON data for a result's "run" section (dates and times as ISO text)."""
    return {path: _plain(value) for path, value in overrides}


def _plain(value: Any) -> Any:
    """A value read from ``--set`` as JSON-ready data: mappings and lists kept, dates and times as ISO text."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _dotted(key: str) -> str:
    return re.sub(r"\[(\d+)\]", r".\1", key)


def parse_assignment(text: str, origin: str = "--set") -> tuple[str, Any]:
    """``PATH=VALUE`` → (path, value), the value read as YAML (``0.1`` a number, ``[08:30, 17:30]`` a list,
    ``{median: 2, p90: 5}`` a mapping, ``abc`` text)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    path, sep, raw = text.partition("=")
    if not sep or not path.strip():
        raise _fail(origin, t("params.not_assignment", text=text))
    try:
        value = YAML(typ="safe", pure=True).load(raw) if raw.strip() else None
    except YAMLError as exc:
        raise _fail(origin, t("params.bad_value", raw=raw, exc=exc), path.strip()) from None
    if value is None:
        raise _fail(origin, t("params.no_value", text=text), path.strip())
    return path.strip(), value


_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_RANGE = re.compile(rf"^\s*({_NUMBER})\s*\.\.\s*({_NUMBER})\s*$")


def parse_range(text: str, origin: str = "--vary") -> tuple[str, float, float]:
    """``PATH=LO..HI`` → (path, lo, hi); LO ≤ HI, both numbers."""
    path, sep, raw = text.partition("=")
    if not sep or not path.strip():
        raise _fail(origin, t("params.not_range_assignment", text=text))
    m = _RANGE.match(raw)
    if m is None:
        raise _fail(origin, t("params.not_range", raw=raw), path.strip())
    lo, hi = float(m.group(1)), float(m.group(2))
    if lo > hi:
        raise _fail(origin, t("params.range_backwards", raw=raw), path.strip())
    return path.strip(), lo, hi


def parameter_paths(sc: Scenario) -> list[str]:
    """Every number-valued path of ``sc`` as it stands (for listings and suggestions)."""
    out: list[str] = []

    def walk(node: Any, prefix: list[Segment]) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, [*prefix, k])
        elif isinstance(node, list | tuple):
            for i, v in enumerate(node):
                walk(v, [*prefix, i])
        elif isinstance(node, int | float) and not isinstance(node, bool):
            out.append(format_path(prefix))

    walk(_data(sc), [])
    return out
