"""Mutations of YAML documents: structural (on the parsed tree) and textual (on the dumped text).

Structural mutations keep the file parseable and attack the schema and the
cross-file checks: drop, duplicate or rename keys, swap or copy values
between keys, change a value's type, huge and negative numbers, unicode and
control characters, nesting.  Textual ones attack the YAML layer itself:
truncation, duplicate keys, anchors and aliases (including alias bombs),
tags, deep nesting, byte-order marks, NUL and invalid UTF-8.
"""

from __future__ import annotations

import copy
import io
import math
from collections.abc import Iterator
from typing import Any

from hypothesis import strategies as st
from ruamel.yaml import YAML

Path_ = tuple[Any, ...]

HOSTILE_TEXT = [
    "", " ", ".", "..", "/", "/proc/x", "/nonexistent/file.yaml", "~", "-", "--help", "\t", "\n", "\r\n",
    "\x00", "\x01\x02", "\x1b[31mred", "\u202eevil", "\u200b", "\ufeff", "\ud7ff", "😀", "问政", "𠜎",
    "a" * 300, "回" * 5000, "null", "~", "yes", "no", "on", "0x1F", "1e400", "-0", "NaN", "inf",
    "5 working days", "0 working days", "-5 working days", "1.5 working days", "99999999999 working days",
    "1e308 hours", "99999999999999999999 minutes", "2 hours", "2小时", "5个工作日",
    "24:00", "23:60", "25:00", "-1:00", "00:00", "08:00", "8:0", "99:99",
    "2014-02-30", "2014-13-01", "2014-00-10", "0001-01-01", "9999-12-31", "1900-01-01", "2099-06-01",
    "2014-05-14T10:05:00+08:00", "2014-05-14T10:05:00", "2014-05-14T24:00:00+08:00", "2014-02-30T10:00:00+08:00",
    "9999-12-31T23:59:59+14:00", "0001-01-01T00:00:00-12:00", "2014-05-14T10:05:00+25:00",
    "(a+)+b", "(a|aa)*c", "(x+x+)+y", ".*.*.*.*.*.*=", "[", "a{99999}", "[一-龥]", "[\x00-\U0010ffff]",
    "园林绿化", "回龙观", "园林绿化局", "weibo", "wechat", "first", "priority", "unique", "collect",
    "post_received", "deadline_reached", "reply", "external_statement", "立行立改", "Asia/Shanghai", "UTC",
    "Mars/Olympus", "../rules", "../../etc", "rules", "changping-2014.yaml",
]
HOSTILE_NUMBERS = [0, -1, 1, 2, 7, 24, 100, 1000, 2**31 - 1, 2**31, 2**63, 2**64 + 1, 10**30, -(10**30), 10**400,
                   0.0, -0.0, 0.5, 1e-300, 1e308, -1e308, math.inf, -math.inf, math.nan]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from(HOSTILE_NUMBERS),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(HOSTILE_TEXT),
    st.text(max_size=30),
    st.dates().map(str),
)
hostile_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(HOSTILE_TEXT[:40]), st.text(max_size=8)), inner, max_size=3),
    ),
    max_leaves=8,
)


def paths(node: Any, prefix: Path_ = ()) -> Iterator[Path_]:
    """Every path into a plain tree of dicts and lists (the root is ())."""
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from paths(v, prefix + (i,))


def get(node: Any, path: Path_) -> Any:
    for p in path:
        node = node[p]
    return node


def _set(root: Any, path: Path_, value: Any) -> Any:
    if not path:
        return value
    get(root, path[:-1])[path[-1]] = value
    return root


def _near_miss(draw: Any, key: str) -> str:
    """A key a designer might mistype: a letter dropped, doubled or cased, or a sibling kind's key."""
    how = draw(st.integers(0, 4))
    if not key:
        return "_"
    i = draw(st.integers(0, len(key) - 1))
    if how == 0:
        return key[:i] + key[i + 1:]
    if how == 1:
        return key[:i] + key[i] + key[i:]
    if how == 2:
        return key.upper()
    if how == 3:
        return key + " "
    return draw(st.sampled_from(["when", "then", "id", "kind", "rules", "unit", "units", "places", "category",
                                  "categories", "hit_policy", "deadline", "within", "for", "remind_after",
                                  "priority", "name", "post", "events", "expect", "extends", "start", "end",
                                  "matches", "contains_any", "gte", "not_in"]))


OPS = ("drop", "duplicate", "rename", "swap", "copy", "retype", "nest", "unicode", "number")


@st.composite
def mutated_tree(draw: Any, base: Any, max_ops: int = 3) -> Any:
    """``base`` (a plain tree) with 1..max_ops structural mutations."""
    data = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, max_ops))):
        all_paths = list(paths(data))
        path = draw(st.sampled_from(all_paths))
        op = draw(st.sampled_from(OPS))
        parent = get(data, path[:-1]) if path else None
        if op == "drop" and path:
            del parent[path[-1]]
        elif op == "duplicate" and path:
            if isinstance(parent, list):
                parent.insert(path[-1], copy.deepcopy(parent[path[-1]]))
            else:
                parent[f"{path[-1]}"+"_"] = copy.deepcopy(parent[path[-1]])
        elif op == "rename" and path and isinstance(parent, dict):
            key = path[-1]
            new = _near_miss(draw, str(key)) if draw(st.booleans()) else draw(st.sampled_from(HOSTILE_TEXT))
            if new not in parent:
                parent[new] = parent.pop(key)
        elif op in ("swap", "copy") and len(all_paths) > 1:
            other = draw(st.sampled_from(all_paths))
            if path and other and path[:len(other)] != other and other[:len(path)] != path:
                a, b = get(data, path), get(data, other)
                _set(data, path, copy.deepcopy(b))
                if op == "swap":
                    _set(data, other, copy.deepcopy(a))
        elif op == "retype":
            data = _set(data, path, draw(hostile_values))
        elif op == "nest":
            value = get(data, path)
            for _ in range(draw(st.integers(1, 40))):
                value = [value] if draw(st.booleans()) else {"x": value}
            data = _set(data, path, value)
        elif op == "unicode":
            value = get(data, path)
            if isinstance(value, str):
                extra = draw(st.one_of(st.text(min_size=1, max_size=5), st.sampled_from(HOSTILE_TEXT)))
                i = draw(st.integers(0, len(value)))
                data = _set(data, path, value[:i] + extra + value[i:])
            else:
                data = _set(data, path, draw(st.text(max_size=20)))
        elif op == "number":
            data = _set(data, path, draw(st.sampled_from(HOSTILE_NUMBERS)))
    return data


def dump(data: Any) -> str:
    yaml = YAML(typ="safe", pure=True)
    yaml.allow_unicode = True
    yaml.default_flow_style = False
    buf = io.StringIO()
    yaml.dump(data, buf)
    return buf.getvalue()


TAGS = ["!!python/object/apply:os.system ['true']", "!!python/name:os.system", "!custom 3", "!!binary aGVsbG8=",
        "!!set {a, b}", "!!omap [{a: 1}]", "!!timestamp 2014-13-45", "!!int 0x10", "!!float .nan", "!!str 5",
        "!!bool yes", "!<tag:yaml.org,2002:python/object:object> {}", "!!null", "!!map {a: 1}", "!!seq [1]",
        "!!timestamp 2014-05-14T10:05:00+08:00", "!!pairs [{a: 1}]", "! nonspecific"]


def alias_bomb(depth: int, width: int = 10) -> str:
    lines = ["bomb0: &b0 [" + ", ".join(["lol"] * width) + "]"]
    for d in range(1, depth):
        lines.append(f"bomb{d}: &b{d} [" + ", ".join([f"*b{d - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


TEXT_OPS = ("truncate", "dupline", "tag", "bomb", "deep", "anchor", "bom", "nul", "badutf8", "multidoc", "indent",
            "crlf", "replace_value_tag")


@st.composite
def mutated_text(draw: Any, text: str) -> bytes:
    """A textual mutation of a YAML document, as the bytes of a file."""
    op = draw(st.sampled_from(TEXT_OPS))
    lines = text.splitlines(keepends=True) or ["\n"]
    at = draw(st.integers(0, len(lines)))
    if op == "truncate":
        text = text[:draw(st.integers(0, max(0, len(text) - 1)))]
    elif op == "dupline":
        i = min(at, len(lines) - 1)
        lines.insert(i, lines[i])
        text = "".join(lines)
    elif op == "tag":
        key = draw(st.sampled_from(["kind", "rules", "units", "when", "x", "name", "post", "cases"]))
        text = text + f"\n{key}: {draw(st.sampled_from(TAGS))}\n"
    elif op == "replace_value_tag":
        i = min(at, len(lines) - 1)
        line = lines[i]
        if ": " in line:
            head = line.split(": ", 1)[0]
            lines[i] = f"{head}: {draw(st.sampled_from(TAGS))}\n"
        text = "".join(lines)
    elif op == "bomb":
        text = text + "\n" + alias_bomb(draw(st.integers(2, 7)))
    elif op == "deep":
        n = draw(st.sampled_from([50, 500, 3000, 20000]))
        opener, closer = draw(st.sampled_from([("[", "]"), ("{a: ", "}")]))
        text = text + f"\ndeep: {opener * n}1{closer * n}\n"
    elif op == "anchor":
        snippet = draw(st.sampled_from([
            "x: *nowhere\n", "x: &a {b: *a}\n", "base: &base {id: r, when: {}, then: {}}\nx: {<<: *base}\n",
            "x: &a [1]\ny: *a\nz: *a\n", "<<: {kind: routing}\n", "x: &a\n  - *a\n",
        ]))
        text = text + "\n" + snippet
    elif op == "bom":
        text = "\ufeff" + text
    elif op == "nul":
        pos = draw(st.integers(0, len(text)))
        text = text[:pos] + draw(st.sampled_from(["\x00", "\x07", "\x1b", "\u2028", "\ufffe", "\ud800"])) + text[pos:]
    elif op == "badutf8":
        raw = text.encode("utf-8")
        pos = draw(st.integers(0, len(raw)))
        return raw[:pos] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xe5\x9b", b"\xed\xa0\x80"])) + raw[pos:]
    elif op == "multidoc":
        text = text + "\n---\nkind: routing\n"
    elif op == "indent":
        i = min(at, len(lines) - 1)
        lines[i] = draw(st.sampled_from(["\t", "   ", " "])) + lines[i]
        text = "".join(lines)
    elif op == "crlf":
        text = text.replace("\n", "\r\n")
    return text.encode("utf-8", "surrogatepass")
