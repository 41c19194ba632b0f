"""JSON Schema of every rule-file kind, for editors (yaml-language-server).

Generated from the same pydantic models the loader validates against, with
the free-form ``when`` mapping replaced by a schema built from the fact
fields each table can see, so an editor completes field names and
operators and flags a misspelling while you type.
"""

from __future__ import annotations

import copy
from typing import Any

from .conditions import FIELDS, OPERATORS, TABLE_FIELDS
from .schema import FILE_KINDS

__all__ = ["rule_file_schemas", "when_schema"]

_JSON_TYPES = {str: "string", int: "integer", bool: "boolean"}


def _field_schema(name: str) -> dict[str, Any]:
    spec = FIELDS[name]
    scalar: dict[str, Any] = {"type": _JSON_TYPES[spec.type]}
    if spec.choices:
        scalar["enum"] = list(spec.choices)
    ops: dict[str, Any] = {"eq": scalar, "ne": scalar}
    if spec.type is not bool:
        ops["in"] = {"type": "array", "items": scalar, "minItems": 1}
        ops["not_in"] = {"type": "array", "items": scalar, "minItems": 1}
    if spec.type is int:
        for op in ("gt", "gte", "lt", "lte"):
            ops[op] = scalar
    if spec.type is str:
        ops["contains_any"] = {"type": "array", "items": {"type": "string", "pattern": r"^[^.*+?()\[\]{}|\\^$%]+$"},
                               "minItems": 1}
        ops["matches"] = {"type": "string"}
    alternatives: list[dict[str, Any]] = [
        scalar,
        {"type": "object", "properties": ops, "additionalProperties": False, "minProperties": 1},
    ]
    if spec.type is not bool:
        alternatives.insert(1, {"type": "array", "items": scalar, "minItems": 1})
    return {"description": spec.doc, "anyOf": alternatives}


def when_schema(table: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": "Conditions on fact fields, all of which must hold. Operators: " + ", ".join(OPERATORS),
        "properties": {name: _field_schema(name) for name in TABLE_FIELDS[table]},
        "additionalProperties": False,
    }


def rule_file_schemas() -> dict[str, dict[str, Any]]:
    """kind → JSON Schema (draft 2020-12)."""
    out: dict[str, dict[str, Any]] = {}
    for kind, model in FILE_KINDS.items():
        schema = copy.deepcopy(model.model_json_schema(by_alias=True))
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["title"] = f"wenzheng {kind} rule file"
        if kind in TABLE_FIELDS:
            for definition in schema.get("$defs", {}).values():
                props = definition.get("properties", {})
                if "when" in props and "then" in props:
                    props["when"] = {"anyOf": [when_schema(kind), {"type": "null"}], "default": None}
        out[kind] = schema
    return out
