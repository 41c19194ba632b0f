"""YAML files that remember where every key came from, read within limits.

Rule and scenario files are read with ruamel.yaml's round-trip loader, which
keeps line and column numbers on every mapping and sequence.  Validation
errors from pydantic come with a ``loc`` path (``rules.3.then.unit``); this
module turns that path back into ``file:line:col`` so a designer can jump
straight to the mistake.

Every file the tool reads (rules, scenarios, policy tests, baselines, post
and case files, standard input) goes through this one loader, which refuses
input that could exhaust memory or time before it becomes Python objects:
more than ``LIMITS.max_bytes``, nesting deeper than ``LIMITS.max_depth``,
more than ``LIMITS.max_aliases`` aliases, a document whose aliases *expand*
to more than ``LIMITS.max_nodes`` nodes (the "billion laughs"), text values
longer than ``LIMITS.max_string`` characters, and any tag but YAML's
standard scalar and collection tags (``!!python/...``, ``!custom``).  The
checks watch the parser's event stream as the composer pulls each event, so
a hostile document is refused at the event that crosses a limit, and nothing
recursive ever sees more than ``max_depth`` levels.  docs/limits.md lists
the limits.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.constructor import ConstructorError, RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    NodeEvent,
    ScalarEvent,
)
from ruamel.yaml.parser import RoundTripParser

from .errors import Problem, SourceError, listing, suggest
from .messages import os_reason, t

__all__ = [
    "SourceDoc",
    "Limits",
    "LIMITS",
    "load_yaml",
    "load_yaml_stream",
    "parse_yaml_text",
    "read_limited",
    "locate",
    "validation_problems",
    "pydantic_message",
    "key_path",
]


@dataclass(frozen=True)
class Limits:
    """What one input file may hold (docs/limits.md).

    Generous for any real policy, scenario or case file (the largest shipped
    file is 5 KB with about 500 nodes), small enough that the pure-Python
    YAML parser gets through the largest allowed file in seconds.
    """

    max_bytes: int = 256 * 1024
    max_depth: int = 50
    max_nodes: int = 100_000
    max_aliases: int = 1_000
    max_string: int = 10_000


LIMITS = Limits()

_STD = "tag:yaml.org,2002:"
# YAML's standard scalar tags, the plain collection tags and the non-specific
# "!" (which only forces a string): nothing that builds other objects.
_ALLOWED_TAGS = frozenset(
    {"!"} | {_STD + t for t in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map")}
)


class _Refused(Exception):
    """A limit crossed while parsing; becomes a located Problem."""

    def __init__(self, message: str, mark: Any, code: str = "limit") -> None:
        super().__init__(message)
        self.message = message
        self.line = mark.line + 1 if mark is not None else None
        self.col = mark.column + 1 if mark is not None else None
        self.code = code


class _Guard:
    """Watches the event stream: depth, expanded size, aliases, text length, tags.

    The expanded size of a node is what converting it to plain data builds:
    1 for a scalar, 1 + its children's for a collection, the anchored node's
    for an alias.  The size and height of every anchored node are
    remembered, so an alias costs O(1) to account for however much it
    stands for, and the count is exact before anything is expanded.
    """

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.nodes = 0
        self.aliases = 0
        # open collections: [expanded size so far, height of its tallest child, anchor]
        self.stack: list[list[Any]] = []
        self.anchored: dict[str, tuple[int, int]] = {}  # anchor -> (expanded size, height)
        self.open_anchors: set[str] = set()

    def _add(self, size: int, height: int, mark: Any) -> None:
        self.nodes += size
        if self.nodes > self.limits.max_nodes:
            raise _Refused(t("limit.nodes", n=f"{self.limits.max_nodes:,}"), mark)
        if self.stack:
            top = self.stack[-1]
            top[0] += size
            top[1] = max(top[1], height)

    def see(self, event: Any) -> None:
        mark = event.start_mark
        if isinstance(event, NodeEvent) and not isinstance(event, AliasEvent):
            tag = getattr(event, "tag", None)
            tag = getattr(tag, "value", tag)
            if tag is not None and str(tag) not in _ALLOWED_TAGS:
                shown = str(tag).replace(_STD, "!!")
                raise _Refused(t("limit.tag", tag=shown), mark, code="yaml")
        if isinstance(event, ScalarEvent):
            if len(event.value) > self.limits.max_string:
                raise _Refused(t("limit.string", n=f"{len(event.value):,}", limit=f"{self.limits.max_string:,}"),
                               mark)
            if event.anchor is not None:
                self.anchored[event.anchor] = (1, 0)
            self._add(1, 0, mark)
        elif isinstance(event, CollectionStartEvent):
            if len(self.stack) + 1 > self.limits.max_depth:
                raise _Refused(t("limit.depth", n=self.limits.max_depth), mark)
            self._add(1, 1, mark)
            self.stack.append([1, 0, event.anchor])
            if event.anchor is not None:
                self.open_anchors.add(event.anchor)
        elif isinstance(event, CollectionEndEvent):
            size, height, anchor = self.stack.pop()
            if self.stack:  # the parent counted this collection as 1 when it opened
                top = self.stack[-1]
                top[0] += size - 1
                top[1] = max(top[1], height + 1)
            if anchor is not None:
                self.anchored[anchor] = (size, height + 1)
                self.open_anchors.discard(anchor)
        elif isinstance(event, AliasEvent):
            self.aliases += 1
            if self.aliases > self.limits.max_aliases:
                raise _Refused(t("limit.aliases", n=f"{self.limits.max_aliases:,}"), mark)
            if event.anchor in self.open_anchors:
                raise _Refused(t("limit.recursive", anchor=event.anchor), mark)
            if event.anchor not in self.anchored:
                return  # undefined: the composer reports it
            size, height = self.anchored[event.anchor]
            if len(self.stack) + height > self.limits.max_depth:
                raise _Refused(t("limit.alias_depth", anchor=event.anchor, n=self.limits.max_depth), mark)
            self._add(size, height, mark)


class _GuardedParser(RoundTripParser):
    """ruamel's round-trip parser; the composer takes every event through ``get_event``."""

    def get_event(self) -> Any:
        event = super().get_event()
        if event is not None:
            self.loader.wenzheng_guard.see(event)
        return event


class _LocatingConstructor(RoundTripConstructor):
    """Reports a scalar that cannot be built (2014-02-30, a 5,000-digit number) at its line."""

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError) as exc:
            value = str(getattr(node, "value", ""))[:40]
            raise ConstructorError(None, None, t("yaml.cannot_read_value", value=value, error=exc),
                                   node.start_mark) from None


    def construct_yaml_timestamp(self, node: Any, values: Any = None) -> Any:
        # An impossible date (2014-09-31) stays text: the schema's date field then rejects it with
        # file, line and key path like any other bad value.
        try:
            return super().construct_yaml_timestamp(node, values)
        except ValueError:
            return self.construct_scalar(node)


_LocatingConstructor.add_constructor("tag:yaml.org,2002:timestamp", _LocatingConstructor.construct_yaml_timestamp)


def _yaml(limits: Limits) -> YAML:
    yaml = YAML(typ="rt")
    yaml.Parser = _GuardedParser
    yaml.Constructor = _LocatingConstructor
    yaml.wenzheng_guard = _Guard(limits)  # type: ignore[attr-defined]
    return yaml


class SourceDoc:
    """A parsed YAML document plus its file name, for locating keys."""

    def __init__(self, path: str, data: Any) -> None:
        self.path = path
        self.data = data

    def locate(self, loc: Sequence[str | int]) -> tuple[int | None, int | None]:
        return locate(self.data, loc)


def _plain(node: Any) -> Any:
    """Convert ruamel's commented containers into plain dicts and lists."""
    if isinstance(node, dict):
        return {str(k) if not isinstance(k, (int, float, bool)) else k: _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, TaggedScalar):  # an explicit !!str
        return str(node.value)
    if isinstance(node, str):
        return str(node)
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return node


def _too_large(name: str, limits: Limits, head: bytes | str = b"") -> Problem:
    """The refusal of an oversized input, at the line where it crosses the limit."""
    data = head.encode("utf-8", "replace") if isinstance(head, str) else head
    inside = data[:limits.max_bytes]
    line = inside.count(b"\n") + 1 if data else None
    col = len(inside) - (inside.rfind(b"\n") + 1) + 1 if data else None
    return Problem(name, line, col, t("limit.bytes", n=f"{limits.max_bytes:,}"), code="limit")


def _utf8_error(name: str, data: bytes, exc: UnicodeDecodeError) -> Problem:
    """Not UTF-8: name the line and column of the first bad byte."""
    before = data[:exc.start]
    line = before.count(b"\n") + 1
    col = len(before) - (before.rfind(b"\n") + 1) + 1
    return Problem(name, line, col, t("io.not_utf8_at", reason=exc.reason, byte=f"0x{data[exc.start]:02x}"),
                   code="io")


def read_limited(stream: BinaryIO | TextIO, name: str, error_cls: type[SourceError] = SourceError,
                 limits: Limits = LIMITS) -> str:
    """At most ``limits.max_bytes`` of UTF-8 text from ``stream`` (a file, a pipe, ``sys.stdin``).

    A text stream is read through its binary ``buffer`` when it has one, so
    the bytes are counted and decoded here; never more than the limit is read.
    """
    raw: Any = getattr(stream, "buffer", stream)
    try:
        data = raw.read(limits.max_bytes + 1)
    except UnicodeDecodeError as exc:
        raise error_cls([Problem(name, None, None, t("io.not_utf8", reason=exc.reason), code="io")]) from None
    if isinstance(data, str):  # a text stream without a buffer (e.g. io.StringIO)
        if len(data) > limits.max_bytes or len(data.encode("utf-8", "replace")) > limits.max_bytes:
            raise error_cls([_too_large(name, limits, data)])
        return data
    if len(data) > limits.max_bytes:
        raise error_cls([_too_large(name, limits, bytes(data))])
    try:
        return bytes(data).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error_cls([_utf8_error(name, bytes(data), exc)]) from None


def _not_found(path: Path) -> Problem:
    """A missing file, with the files of its kind that its folder does hold (the closest name suggested)."""
    from .errors import listing, suggest

    try:
        siblings = sorted(p.name for p in path.parent.iterdir() if p.suffix == path.suffix and p.is_file()) \
            if path.suffix else []
    except OSError:
        siblings = []
    if not siblings:
        return Problem(str(path), None, None, t("io.not_found"), code="io")
    close = suggest(path.stem, [Path(n).stem for n in siblings])  # the shared suffix would make any name close
    return Problem(str(path), None, None, t("io.not_found_there", folder=str(path.parent), names=listing(siblings)),
                   suggestion=close + path.suffix if close else None, code="io")


def load_yaml(path: str | Path, error_cls: type[SourceError] = SourceError,
              limits: Limits = LIMITS) -> tuple[SourceDoc, Any]:
    """Parse ``path``; return the located document and a plain copy of its data.

    A syntax error, or a file beyond ``limits``, becomes ``error_cls`` naming the file and line.
    """
    name = str(path)
    try:
        with open(path, "rb") as f:
            text = read_limited(f, name, error_cls, limits)
    except FileNotFoundError:
        raise error_cls([_not_found(Path(path))]) from None
    except IsADirectoryError:
        raise error_cls([Problem(name, None, None, t("io.directory"), code="io")]) from None
    except OSError as exc:
        raise error_cls([Problem(name, None, None, t("io.cannot_read", reason=os_reason(exc)), code="io")]) from None
    return parse_yaml_text(text, name, error_cls, limits)


def load_yaml_stream(stream: BinaryIO | TextIO, name: str, error_cls: type[SourceError] = SourceError,
                     limits: Limits = LIMITS) -> tuple[SourceDoc, Any]:
    """Like ``load_yaml`` for an open stream, e.g. ``sys.stdin``."""
    return parse_yaml_text(read_limited(stream, name, error_cls, limits), name, error_cls, limits)


def parse_yaml_text(text: str, name: str, error_cls: type[SourceError] = SourceError,
                    limits: Limits = LIMITS) -> tuple[SourceDoc, Any]:
    """Like ``load_yaml`` for text already read."""
    if len(text) > limits.max_bytes or len(text.encode("utf-8")) > limits.max_bytes:
        raise error_cls([_too_large(name, limits, text[:limits.max_bytes + 1])])
    yaml = _yaml(limits)
    try:
        data = yaml.load(text)
    except _Refused as exc:
        raise error_cls([Problem(name, exc.line, exc.col, exc.message, code=exc.code)]) from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        col = mark.column + 1 if mark is not None else None
        typo = _typo_before(text, line)
        if typo is not None:
            raise error_cls([Problem(name, typo[0], typo[1], typo[2], code="yaml")]) from None
        line, col, what = _yaml_complaint(exc, line, col)
        raise error_cls([Problem(name, line, col, t("yaml.syntax", what=what), code="yaml")]) from None
    except YAMLError as exc:
        raise error_cls([Problem(name, None, None, t("yaml.syntax", what=exc), code="yaml")]) from None
    if isinstance(data, str):  # a whole file read as one text: a key written with a full-width colon
        typo = _typo_before(text, None)
        if typo is not None:
            raise error_cls([Problem(name, typo[0], typo[1], typo[2], code="yaml")])
    # the guard bounded the depth and the expanded size, so this plain copy is bounded too
    return SourceDoc(name, data), _plain(data)


# a key followed by a full-width colon where YAML needs ': ' (e.g. "place： 回龙观", "- id： x"), before any
# half-width ': ' on the line (a value may contain '：' freely: "text: 问题：公园")
_FULLWIDTH_KEY = re.compile(r"^(\s*(?:-\s+)*)([^\s#:'\"{}\[\],][^:#{}\[\],]*?)\s*：(?=\s|$)")
_FLOW_FULLWIDTH = re.compile(r"[{,]\s*([^\s:'\"{}\[\],][^:{}\[\],]*?)\s*：")


#: the YAML parser's usual complaints (ruamel.yaml's ``problem`` text) and the message that says them in the
#: user's words: (pattern, message key, context it must come with or None, True: the place is where the
#: unclosed thing began, the context mark)
_COMPLAINTS: tuple[tuple[re.Pattern[str], str, str | None, bool], ...] = (
    (re.compile(r"expected ',' or '\}', but got '<stream end>'"), "yaml.unclosed_brace", None, True),
    (re.compile(r"expected ',' or '\]', but got '<stream end>'"), "yaml.unclosed_bracket", None, True),
    (re.compile(r"expected ',' or '\}', but got"), "yaml.brace_item", None, False),
    (re.compile(r"expected ',' or '\]', but got"), "yaml.bracket_item", None, False),
    (re.compile(r"found unexpected end of stream"), "yaml.unclosed_quote", "while scanning a quoted scalar", True),
    (re.compile(r"expected <block end>, but found"), "yaml.indent", None, False),
    (re.compile(r"mapping values are not allowed here"), "yaml.colon_in_value", None, False),
    (re.compile(r"could not find expected ':'"), "yaml.missing_colon", None, True),
    (re.compile(r'found duplicate key "(?P<key>.*?)" with value'), "yaml.duplicate_key", None, False),
    (re.compile(r"found undefined alias '(?P<name>.*)'"), "yaml.undefined_alias", None, False),
    (re.compile(r"found character '(?P<char>[^\\]|\S)' that cannot start any token"), "yaml.bad_start", None,
     False),
)


def _yaml_complaint(exc: MarkedYAMLError, line: int | None, col: int | None) -> tuple[int | None, int | None, str]:
    """(line, col, what) of a YAML syntax error: the parser's usual complaints in the user's words (the
    parser's own text for the others), placed where the unclosed bracket or quote began when the parser only
    found out at the end of the file (whose "line" is past the last one)."""
    problem = exc.problem or ""
    for pattern, key, context, at_start in _COMPLAINTS:
        m = pattern.search(problem)
        if m is None or (context is not None and exc.context != context):
            continue
        mark = exc.context_mark if at_start else None
        if mark is not None:
            line, col = mark.line + 1, mark.column + 1
        brackets = {"open": "[", "close": "]"} if "bracket" in key else {"open": "{", "close": "}"}
        return line, col, t(key, **brackets, **m.groupdict())
    return line, col, problem or exc.context or "invalid YAML"


def _typo_before(text: str, upto: int | None) -> tuple[int, int, str] | None:
    """(line, col, message) of the first full-width colon used as a key separator, or tab in an indentation,
    on the lines up to ``upto`` (1-based; None: all): the usual causes of a YAML error in a file typed with a
    Chinese input method, whose own message ("could not find expected ':'") names neither."""
    from .messages import t

    for n, raw in enumerate(text.splitlines(), start=1):
        if upto is not None and n > upto:
            break
        body = raw.split(" #")[0] if not raw.lstrip().startswith("#") else ""
        indent = len(raw) - len(raw.lstrip(" \t"))
        if "\t" in raw[:indent]:
            return n, raw.index("\t") + 1, t("yaml.tab")
        m = _FULLWIDTH_KEY.match(body)
        if m and ": " not in body[: m.end()] and not body[: m.end()].rstrip().endswith(":"):
            col = m.end()  # 1-based column of the '：' is m.end() (the match ends just after it)
            return n, col, t("yaml.fullwidth_colon", key=m.group(2).strip())
        f = _FLOW_FULLWIDTH.search(body)
        if f:
            return n, f.end(), t("yaml.fullwidth_colon", key=f.group(1).strip())
    if upto is not None:  # a tab inside the failing line itself (YAML: "found character '\t' …")
        lines = text.splitlines()
        if 0 < upto <= len(lines) and "\t" in lines[upto - 1]:
            return upto, lines[upto - 1].index("\t") + 1, t("yaml.tab")
    return None


def locate(data: Any, loc: Sequence[str | int]) -> tuple[int | None, int | None]:

    """1-based (line, col) of the deepest node of ``loc`` that exists in ``data``."""
    line: int | None = None
    col: int | None = None
    node = data
    if isinstance(node, (CommentedMap, CommentedSeq)):
        line, col = node.lc.line + 1, node.lc.col + 1
    for part in loc:
        try:
            if isinstance(node, CommentedMap) and part in node:
                where = node.lc.key(part)
            elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
                where = node.lc.item(part)
            else:
                break
        except (KeyError, IndexError, TypeError):
            break  # a key brought in by a merge key (<<: ...) has no position of its own: keep the mapping's
        if not where:
            break
        line, col = where[0] + 1, where[1] + 1
        node = node[part]
    return line, col


def key_path(loc: Sequence[str | int]) -> str:
    """``('rules', 3, 'then')`` → ``rules[3].then``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


_TAG = re.compile(r"^[A-Z][A-Za-z0-9]*$|\[|^(str|int|bool|float|list\[str\]|dict\[str,any\])$")


def _is_tag(part: Any) -> bool:
    # pydantic inserts union-member tags (model names, 'function-after[...]', 'str') into loc
    return isinstance(part, str) and bool(_TAG.search(part))


def _tag_flags(loc: Sequence[Any], node: Any) -> list[bool]:
    """Which parts of a pydantic ``loc`` are union-member tags rather than keys of the data.

    A part that is a key (or index) present in the data at that point is data, even when it looks like a tag
    (a shift letter ``E``, a key ``END`` the schema does not know); only parts absent from the data can be tags.
    """
    flags: list[bool] = []
    for part in loc:
        if isinstance(node, dict) and not isinstance(part, bool) and part in node:
            flags.append(False)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            flags.append(False)
            node = node[part]
        elif _is_tag(part):
            flags.append(True)  # the data node stays where it is
        else:
            flags.append(False)
            node = None
    return flags


def _clean_loc(loc: Sequence[Any], node: Any) -> list[str | int]:
    return [p for p, tag in zip(loc, _tag_flags(loc, node), strict=True) if not tag]


def _best_union_members(errors: list[Any], node: Any) -> list[Any]:
    """For a union that failed, keep only the errors of the member that came closest."""
    groups: dict[tuple[Any, ...], dict[str, list[Any]]] = {}
    for err in errors:
        loc = tuple(err["loc"])
        idx = next((i for i, tag in enumerate(_tag_flags(loc, node)) if tag), None)
        if idx is None:
            continue
        groups.setdefault(loc[:idx], {}).setdefault(loc[idx], []).append(err)
    drop: set[int] = set()
    for members in groups.values():
        if len(members) > 1:
            best = min(members, key=lambda tag: len(members[tag]))
            for tag, errs in members.items():
                if tag != best:
                    drop.update(id(e) for e in errs)
    return [e for e in errors if id(e) not in drop]


def validation_problems(
    doc: SourceDoc,
    exc: ValidationError,
    model: type[BaseModel],
    rule_id_of: Callable[[list[str | int]], str | None] | None = None,
    base_loc: Sequence[str | int] = (),
    validated: Any = None,
) -> list[Problem]:
    """Turn every pydantic error into a located Problem with a suggestion.

    ``validated`` is the data pydantic saw, when it is not ``doc.data`` itself (a scenario merged from the
    files it extends): it tells keys of the data from pydantic's union tags.
    """
    problems: list[Problem] = []
    seen: set[tuple[Any, ...]] = set()
    node: Any = doc.data if validated is None else validated
    for part in base_loc:  # the data the errors' locations are relative to
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            node = None
            break
    for err in _best_union_members(exc.errors(include_url=False), node):
        loc = list(base_loc) + _clean_loc(err["loc"], node)
        etype = err["type"]
        suggestion = None
        if etype == "extra_forbidden":
            bad = loc[-1]
            known = _known_keys(model, loc[len(base_loc):-1])
            suggestion = suggest(str(bad), known)
            msg = t("key.unknown", key=bad)
            if known:
                msg += t("key.allowed", allowed=", ".join(sorted(known)))
            if "：" in str(bad):  # "{place： 回龙观}": a full-width colon made key and value one key
                msg = t("yaml.fullwidth_colon", key=str(bad).split("：")[0].strip())
                suggestion = None

        elif etype == "missing":
            msg = t("key.missing", key=loc[-1])

        else:
            msg, suggestion = pydantic_message(err)
        line, col = doc.locate(loc)
        if etype == "extra_forbidden" and "：" in str(loc[-1]) and col is not None:
            col += str(loc[-1]).index("：")  # at the colon itself
        rid = rule_id_of(loc) if rule_id_of else None
        code = "schema"
        if etype == "extra_forbidden" and "：" in str(loc[-1]):
            # the key the user meant ("when"), not the run-together text YAML read ("when： {category"); a YAML
            # syntax slip, so the YAML code (docs/designer.md)
            loc = [*loc[:-1], str(loc[-1]).split("：")[0].strip()]
            code = "yaml"

        dedupe = (line, col, msg)
        if dedupe in seen:
            continue
        seen.add(dedupe)
        problems.append(Problem(doc.path, line, col, msg, key=key_path(loc), rule_id=rid, suggestion=suggestion,
                                code=code))
    return problems


def _shown_value(value: Any) -> str:
    """A bad value as the user wrote it, short enough for one line."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float):
        text = f"{value:g}" if abs(value) < 1e15 else repr(value)

    elif value is None:
        text = "null"
    elif isinstance(value, (dict, list)):
        text = "{…}" if isinstance(value, dict) else "[…]"
    else:
        text = str(value)
    return text if len(text) <= 60 else text[:60] + "…"


_NUMBER_TYPES = {"float_parsing", "float_type", "decimal_parsing", "decimal_type", "finite_number"}
_INT_TYPES = {"int_parsing", "int_type", "int_from_float", "int_parsing_size"}
_BOUNDS = {"greater_than": "gt", "greater_than_equal": "ge", "less_than": "lt", "less_than_equal": "le"}

_DATETIME_TYPES = {"datetime_parsing", "datetime_type", "datetime_from_date_parsing", "datetime_object_invalid",
                   "timezone_aware"}
_DATE_TYPES = {"date_parsing", "date_type", "date_from_datetime_parsing", "date_from_datetime_inexact"}


#: words a designer writes for true or false that are text in our YAML (1.2: only true/false are booleans)
_TRUE_WORDS = frozenset({"true", "yes", "y", "on", "1", "是", "对"})
_FALSE_WORDS = frozenset({"false", "no", "n", "off", "0", "否", "不"})


def _bool_message(raw: Any, shown: str) -> str:
    """The refusal of a non-boolean where true/false is wanted (the fields are strict: pydantic's lax mode would
    read "no", "off", 0 as false and "yes", 1 as true, and a typo as a silent default); a word or number that
    reads as one of the two says which to write."""
    from .messages import t

    if isinstance(raw, int | float) and not isinstance(raw, bool) and raw in (0, 1):
        return t("value.bool_number", value=shown, meant="true" if raw == 1 else "false")
    if isinstance(raw, str):
        word = raw.strip().lower()
        if word in _TRUE_WORDS or word in _FALSE_WORDS:
            return t("value.bool_word", value=shown, meant="true" if word in _TRUE_WORDS else "false")
    return t("value.bool", value=shown)


def pydantic_message(err: Any) -> tuple[str, str | None]:
    """Our own message for one pydantic error (both languages): it quotes the bad value and says what is valid.

    pydantic's English ("Input should be a valid number, unable to parse string as a number") neither repeats
    the value nor says what to write; errors our validators raise (``Value error, …``) keep their text.
    """
    from .messages import t

    etype = err["type"]
    ctx = err.get("ctx") or {}
    value = _shown_value(err.get("input"))
    if etype == "value_error":
        error = ctx.get("error")
        if isinstance(getattr(error, "message", None), str) and getattr(error, "suggestion", None):
            # a validator's error that carries its "did you mean" apart (DurationError): the Problem gets it
            # as its suggestion, so that lint --format json shows what the text shows
            return error.message, error.suggestion  # type: ignore[union-attr]
        msg = str(ctx.get("error", err["msg"]))
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        return msg, ctx.get("suggestion")
    if etype in _NUMBER_TYPES:
        return t("value.number", value=value), None
    if etype in _INT_TYPES:
        return t("value.integer", value=value), None
    if etype in ("bool_parsing", "bool_type"):
        return _bool_message(err.get("input"), value), None
    if etype == "string_type":
        return t("value.text", value=value), None
    if etype in ("literal_error", "enum"):
        allowed = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        shown = listing(allowed, limit=60) if allowed else str(ctx.get("expected", ""))
        return t("value.one_of", value=value, allowed=shown), suggest(value, allowed) if allowed else None
    if etype in _BOUNDS:
        name = _BOUNDS[etype]
        bound = _shown_value(ctx.get(name))
        texts = {"gt": t("value.gt", value=value, bound=bound), "ge": t("value.ge", value=value, bound=bound),
                 "lt": t("value.lt", value=value, bound=bound), "le": t("value.le", value=value, bound=bound)}
        return texts[name], None
    if etype == "timezone_aware" and isinstance(err.get("input"), str):
        return t("value.no_timezone", value=value, suggestion=value.strip() + "+08:00"), None
    if etype in _DATETIME_TYPES:
        return t("value.datetime", value=value), None
    if etype in _DATE_TYPES:
        reason = str(ctx.get("error", "")) or "-"
        return t("value.date", value=value, reason=reason), None
    if etype in ("list_type", "tuple_type", "set_type"):
        return t("value.list", value=value), None
    if etype in ("dict_type", "model_type", "model_attributes_type", "mapping_type"):
        return t("value.mapping", value=value), None
    if etype == "string_too_short":
        return t("value.too_short", value=value, n=ctx.get("min_length", 1)), None
    if etype == "string_too_long":
        return t("value.too_long_text", value=value, n=ctx.get("max_length", 0)), None
    if etype == "too_short":
        return t("value.too_few", n=ctx.get("min_length", 1), actual=ctx.get("actual_length", 0)), None
    if etype == "too_long":
        return t("value.too_many", n=ctx.get("max_length", 0), actual=ctx.get("actual_length", 0)), None
    if etype == "string_pattern_mismatch":
        return t("value.pattern", value=value, pattern=ctx.get("pattern", "")), None
    if etype in ("time_parsing", "time_type"):
        return t("value.time", value=value), None
    return str(err["msg"]), ctx.get("suggestion")


def _known_keys(model: type[BaseModel], loc: Sequence[str | int]) -> set[str]:
    """Field names (aliases) of the sub-model that ``loc`` points into."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", None)
        if not fields:
            return set()
        field = None
        for name, f in fields.items():
            if (f.alias or name) == part:
                field = f
                break
        if field is None:
            return set()
        current = _inner_model(field.annotation)
    fields = getattr(current, "model_fields", None)
    return {f.alias or n for n, f in fields.items()} if fields else set()


def _inner_model(annotation: Any) -> Any:
    """The first BaseModel class inside an annotation like list[X] | None."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        inner = _inner_model(arg)
        if inner is not None:
            return inner
    return None
