"""YAML files that remember where every key came from.

Rule and scenario files are read with ruamel.yaml's round-trip loader, which
keeps line and column numbers on every mapping and sequence.  Validation
errors from pydantic come with a ``loc`` path (``rules.3.then.unit``); this
module turns that path back into ``file:line:col`` so a designer can jump
straight to the mistake.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from .errors import Problem, SourceError, suggest

__all__ = ["SourceDoc", "load_yaml", "parse_yaml_text", "locate", "validation_problems", "key_path"]


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
    if isinstance(node, str):
        return str(node)
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return node


def load_yaml(path: str | Path, error_cls: type[SourceError] = SourceError) -> tuple[SourceDoc, Any]:
    """Parse ``path``; return the located document and a plain copy of its data.

    A syntax error becomes ``error_cls`` naming the file and line.
    """
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error_cls([Problem(name, None, None, "file not found", code="io")]) from None
    except UnicodeDecodeError as exc:
        raise error_cls([Problem(name, None, None, f"not UTF-8 text ({exc.reason})", code="io")]) from None
    except OSError as exc:
        raise error_cls([Problem(name, None, None, f"cannot read file: {exc.strerror}", code="io")]) from None
    return parse_yaml_text(text, name, error_cls)


class _Constructor(RoundTripConstructor):
    """Round-trip constructor that leaves an impossible date (2014-09-31) as its text.

    ruamel raises a bare ValueError for it, with no line; kept as text, the
    schema's date field rejects it with file, line and key like any other bad value.
    """

    def construct_yaml_timestamp(self, node: Any, values: Any = None) -> Any:
        try:
            return super().construct_yaml_timestamp(node, values)
        except ValueError:
            return self.construct_scalar(node)


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _Constructor.construct_yaml_timestamp)


def parse_yaml_text(text: str, name: str, error_cls: type[SourceError] = SourceError) -> tuple[SourceDoc, Any]:
    """Like ``load_yaml`` for text already read (e.g. from standard input)."""
    yaml = YAML(typ="rt")
    yaml.Constructor = _Constructor
    try:
        data = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        col = mark.column + 1 if mark is not None else None
        what = exc.problem or exc.context or "invalid YAML"
        raise error_cls([Problem(name, line, col, f"YAML syntax error: {what}", code="yaml")]) from None
    except YAMLError as exc:
        raise error_cls([Problem(name, None, None, f"YAML syntax error: {exc}", code="yaml")]) from None
    return SourceDoc(name, data), _plain(data)


def locate(data: Any, loc: Sequence[str | int]) -> tuple[int | None, int | None]:
    """1-based (line, col) of the deepest node of ``loc`` that exists in ``data``."""
    line: int | None = None
    col: int | None = None
    node = data
    if isinstance(node, (CommentedMap, CommentedSeq)):
        line, col = node.lc.line + 1, node.lc.col + 1
    for part in loc:
        if isinstance(node, CommentedMap) and part in node:
            kl, kc = node.lc.key(part)
            line, col = kl + 1, kc + 1
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            il, ic = node.lc.item(part)
            line, col = il + 1, ic + 1
            node = node[part]
        else:
            break
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


def _clean_loc(loc: Sequence[Any]) -> list[str | int]:
    return [p for p in loc if not _is_tag(p)]


def _best_union_members(errors: list[Any]) -> list[Any]:
    """For a union that failed, keep only the errors of the member that came closest."""
    groups: dict[tuple[Any, ...], dict[str, list[Any]]] = {}
    for err in errors:
        loc = tuple(err["loc"])
        idx = next((i for i, p in enumerate(loc) if _is_tag(p)), None)
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
) -> list[Problem]:
    """Turn every pydantic error into a located Problem with a suggestion."""
    problems: list[Problem] = []
    seen: set[tuple[Any, ...]] = set()
    for err in _best_union_members(exc.errors(include_url=False)):
        loc = list(base_loc) + _clean_loc(err["loc"])
        etype = err["type"]
        suggestion = None
        if etype == "extra_forbidden":
            bad = loc[-1]
            known = _known_keys(model, loc[len(base_loc):-1])
            suggestion = suggest(str(bad), known)
            msg = f"unknown key '{bad}'"
            if known:
                msg += f" (allowed: {', '.join(sorted(known))})"
        elif etype == "missing":
            msg = f"missing required key '{loc[-1]}'"
        else:
            msg = err["msg"]
            if msg.startswith("Value error, "):
                msg = msg[len("Value error, "):]
            ctx = err.get("ctx") or {}
            if "suggestion" in ctx:
                suggestion = ctx["suggestion"]
        line, col = doc.locate(loc)
        rid = rule_id_of(loc) if rule_id_of else None
        dedupe = (line, col, msg)
        if dedupe in seen:
            continue
        seen.add(dedupe)
        problems.append(Problem(doc.path, line, col, msg, key=key_path(loc), rule_id=rid, suggestion=suggestion))
    return problems


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
