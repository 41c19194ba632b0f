"""true/false keys of rule, policy-test, case and scenario files take only real YAML booleans.

pydantic's lax mode read ``by_hand: "no"`` as false, ``"yes"``/``1``/``"on"`` as true: a designer who wrote
``by_hand: "no"`` got a value by accident and a typo got a silent default.  Every such key is strict now, and
the refusal names file:line and key and says which of true/false to write (docs/rules.md#true-and-false).
"""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Annotated, Any

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from engine import Policy
from engine.errors import PolicyError
from engine.yamlsrc import parse_yaml_text
from tests.conftest import RULES
from wenzheng.cli import main

# the shipped policy's units.yaml line that marks 环保局 by hand
_BY_HAND = "by_hand: true"


def _models() -> list[type[BaseModel]]:
    """Every pydantic model a user-written YAML file is validated against, with the models nested in them."""
    from engine.explain import ExplainInput
    from engine.policytest import PolicyTestFile
    from engine.schema import FILE_KINDS
    from simulator.scenario import Scenario

    todo: list[Any] = [*FILE_KINDS.values(), PolicyTestFile, ExplainInput, Scenario]
    seen: list[type[BaseModel]] = []
    while todo:
        tp = todo.pop()
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            if tp in seen:
                continue
            seen.append(tp)
            todo.extend(f.annotation for f in tp.model_fields.values())
        else:
            todo.extend(typing.get_args(tp))
    return seen


def _has_bool(tp: Any) -> bool:
    """bool, Annotated[bool, …] (StrictBool), or either inside a union."""
    return tp is bool or any(_has_bool(a) for a in typing.get_args(tp))


def _bool_fields() -> list[tuple[str, Any]]:
    out = []
    for model in _models():
        for name, f in model.model_fields.items():
            if _has_bool(f.annotation):
                tp = Annotated[f.annotation, *f.metadata] if f.metadata else f.annotation  # type: ignore[valid-type]
                out.append((f"{model.__name__}.{name}", tp))
    return out


BOOL_FIELDS = _bool_fields()


def test_the_walk_finds_the_known_bool_fields():
    names = {n for n, _ in BOOL_FIELDS}
    assert {"UnitSpec.by_hand", "RoutingThen.unit_of_place", "EscalationThen.remind",
            "EscalationThen.accountability", "Expect.hot", "Expect.closed", "Expect.accountability",
            "ExplainEvent.reminder"} <= names


@pytest.mark.parametrize("name,tp", BOOL_FIELDS, ids=[n for n, _ in BOOL_FIELDS])
@pytest.mark.parametrize("loose", ["yes", "no", "on", "off", "true", "false", "1", "0", 1, 0, 1.0, "y"])
def test_every_bool_field_refuses_what_lax_mode_took(name, tp, loose):
    ta = TypeAdapter(tp)
    with pytest.raises(ValidationError) as info:
        ta.validate_python(loose)
    assert info.value.errors()[0]["type"] == "bool_type"


@pytest.mark.parametrize("name,tp", BOOL_FIELDS, ids=[n for n, _ in BOOL_FIELDS])
def test_every_bool_field_takes_real_booleans(name, tp):
    ta = TypeAdapter(tp)
    assert ta.validate_python(True) is True and ta.validate_python(False) is False


def _units_with(rules_copy: Path, value: str) -> tuple[Path, int, int]:
    """units.yaml with the by_hand value replaced; the line and column of its key, counted here."""
    f = rules_copy / "units.yaml"
    lines = f.read_text(encoding="utf-8").split("\n")
    (i, line), = [(i, s) for i, s in enumerate(lines) if _BY_HAND in s]
    lines[i] = line.replace(_BY_HAND, f"by_hand: {value}")
    f.write_text("\n".join(lines), encoding="utf-8")
    return f, i + 1, line.index(_BY_HAND) + 1  # problems point at the key


@pytest.mark.parametrize("value,meant", [('"no"', "false"), ("no", "false"), ("off", "false"), ("0", "false"),
                                         ('"yes"', "true"), ("on", "true"), ("1", "true"), ("'true'", "true")])
def test_validate_refuses_a_loose_by_hand_at_its_line(rules_copy, capsys, value, meant):
    f, line, col = _units_with(rules_copy, value)
    assert main(["validate", str(rules_copy)]) == 2
    err = capsys.readouterr().err
    assert f"{f}:{line}:{col}: " in err
    assert "(at key: units[27].by_hand)" in err
    assert err.rstrip().endswith(f"write {meant} (at key: units[27].by_hand)")
    assert "Traceback" not in err


def test_the_refusal_is_chinese_by_default(rules_copy, capsys, zh):
    f, line, col = _units_with(rules_copy, '"no"')
    assert main(["validate", str(rules_copy)]) == 2
    err = capsys.readouterr().err
    assert f"{f}:{line}:{col}: 「no」是文字，不是真假值" in err and "应写 false（键：units[27].by_hand）" in err


def test_something_else_gets_the_plain_message(rules_copy, capsys):
    _units_with(rules_copy, "maybe")
    assert main(["validate", str(rules_copy)]) == 2
    assert "'maybe' is not true/false; write true or false (at key: units[27].by_hand)" in capsys.readouterr().err


@pytest.mark.parametrize("file,old,new,key", [
    ("routing.yaml", "then: {unit_of_place: true}", 'then: {unit_of_place: "yes"}', "rules[12].then.unit_of_place"),
    ("escalation.yaml", "then: {remind: true}", "then: {remind: 1}", "rules[0].then.remind"),
    ("escalation.yaml", "accountability: true", "accountability: on", "rules[3].then.accountability"),
])
def test_other_rule_file_bools_are_strict(rules_copy, file, old, new, key):
    f = rules_copy / file
    text = f.read_text(encoding="utf-8")
    assert old in text
    f.write_text(text.replace(old, new, 1), encoding="utf-8")
    line = text[:text.index(old)].count("\n") + 1
    with pytest.raises(PolicyError) as info:
        Policy.load(rules_copy)
    (p,) = [p for p in info.value.problems if p.key == key]
    assert (p.file, p.line) == (str(f), line) and "write true" in p.message


def test_policy_test_expectations_are_strict(tmp_path, capsys):
    import shutil

    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    f = rules / "tests" / "routing.yaml"
    text = f.read_text(encoding="utf-8")
    assert "hot: false," in text
    f.write_text(text.replace("hot: false,", 'hot: "no",', 1), encoding="utf-8")
    line = text[:text.index("hot: false,")].count("\n") + 1
    assert main(["test", str(rules)]) == 2
    err = capsys.readouterr().err
    assert f"{f}:{line}:" in err and "'no' is text, not a true/false value" in err and "write false" in err


def test_shipped_rules_still_load():
    Policy.load(RULES)


def test_our_yaml_is_1_2_unless_the_file_says_1_1():
    """YAML 1.2 (ruamel's default): yes/no/on/off are text, True/TRUE are booleans; a %YAML 1.1 directive
    turns yes/no/on/off/y/n into booleans (documented in docs/rules.md)."""
    text = "a: yes\nb: no\nc: on\nd: off\ne: True\nf: FALSE\ng: y\n"
    _, plain = parse_yaml_text(text, "x.yaml")
    assert plain == {"a": "yes", "b": "no", "c": "on", "d": "off", "e": True, "f": False, "g": "y"}
    _, plain = parse_yaml_text("%YAML 1.1\n---\n" + text, "x.yaml")
    assert plain == {"a": True, "b": False, "c": True, "d": False, "e": True, "f": False, "g": True}


def test_a_yaml_1_1_file_may_write_no(rules_copy):
    f = rules_copy / "units.yaml"
    text = f.read_text(encoding="utf-8")
    f.write_text("%YAML 1.1\n---\n" + text.replace(_BY_HAND, "by_hand: yes"), encoding="utf-8")
    policy = Policy.load(rules_copy)
    assert policy.units["环保局"].by_hand is True


def test_a_condition_on_a_true_false_field_refuses_text_too(rules_copy):
    f = rules_copy / "deadlines.yaml"
    text = f.read_text(encoding="utf-8")
    f.write_text(text.replace("when: {hot: true}", 'when: {hot: "yes"}', 1), encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        Policy.load(rules_copy)
    assert [p.key for p in info.value.problems] == ["rules[0].when.hot"]
