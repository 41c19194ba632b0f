"""Rule-file mistakes: every message names file, line, key; exact texts are pinned."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import Policy, PolicyError
from wenzheng.cli import main


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"test setup: {old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def problems(rules: Path) -> list[str]:
    with pytest.raises(PolicyError) as info:
        Policy.load(rules)
    return [str(p).replace(str(rules) + "/", "") for p in info.value.problems]


def test_shipped_rules_are_valid(policy):
    assert len(policy.units) >= 35 and "园林绿化局" in policy.units
    assert {"routing", "classification", "deadlines", "escalation", "hot"} <= set(policy.tables)


def test_yaml_syntax_error(rules_copy):
    edit(rules_copy / "hot.yaml", "when: {reposts: {gte: 500}}", "when: {reposts: {gte: 500}")
    assert problems(rules_copy) == [
        "hot.yaml:10:5: YAML syntax error: two items inside '{ }' need a ',' between them (or a '}' is missing "
        "here)"]


def test_unknown_unit_with_suggestion(rules_copy):
    edit(rules_copy / "routing.yaml", "then: {unit: 园林绿化局}", "then: {unit: 园林绿化}")
    assert problems(rules_copy) == [
        "routing.yaml:10:12: unknown unit '园林绿化' (at key: rules[0].then.unit) [rule route-parks]; "
        "did you mean '园林绿化局'?"]


def test_misspelled_key(rules_copy):
    edit(rules_copy / "escalation.yaml", "    then: {remind: true}\n  - id: reply-overdue",
         "    thne: {remind: true}\n  - id: reply-overdue")
    assert problems(rules_copy) == [
        "escalation.yaml:9:5: missing required key 'then' (at key: rules[0].then) [rule remind-reply]",
        "escalation.yaml:11:5: unknown key 'thne' (allowed: description, id, priority, then, when) "
        "(at key: rules[0].thne) [rule remind-reply]; did you mean 'then'?",
    ]


def test_malformed_duration(rules_copy):
    edit(rules_copy / "deadlines.yaml", "within: 2 hours", "within: 2 hourz")
    assert problems(rules_copy) == [
        "deadlines.yaml:12:48: malformed duration '2 hourz': unknown unit 'hourz' (use minutes, hours, days or "
        "working days) (at key: rules[0].then.deadline.within) [rule hot-statement]; did you mean 'hours'?"]


def test_unknown_condition_field(rules_copy):
    edit(rules_copy / "classification.yaml", "when: {text: {contains_any: [暖气", "when: {txt: {contains_any: [暖气")
    assert problems(rules_copy) == [
        "classification.yaml:33:12: unknown field 'txt' (at key: rules[2].when.txt) [rule cls-heating]; "
        "did you mean 'text'?"]


def test_unknown_operator_is_rejected_not_ignored(rules_copy):
    edit(rules_copy / "hot.yaml", "{reposts: {gte: 500}}", "{reposts: {gteq: 500}}")
    assert problems(rules_copy) == [
        "hot.yaml:9:22: unknown operator 'gteq' (one of: eq, ne, in, not_in, gt, gte, lt, lte, contains_any, "
        "matches) (at key: rules[0].when.reposts.gteq) [rule hot-reposts]; did you mean 'gte'?"]


def test_type_errors_in_conditions(rules_copy):
    edit(rules_copy / "hot.yaml", "{reposts: {gte: 500}}", "{reposts: {gte: many}}")
    assert problems(rules_copy) == [
        "hot.yaml:9:22: field 'reposts' is a whole number, got 'many' (at key: rules[0].when.reposts.gte) "
        "[rule hot-reposts]"]


def test_unknown_category_in_condition(rules_copy):
    edit(rules_copy / "routing.yaml", "when: {category: 园林绿化}", "when: {category: 园林}")
    assert problems(rules_copy) == [
        "routing.yaml:9:12: unknown category '园林' (at key: rules[0].when.category) [rule route-parks]; "
        "did you mean '园林绿化'?"]


def test_keyword_with_regex_metacharacters(rules_copy):
    edit(rules_copy / "classification.yaml", "[暖气, 供暖, 采暖]", "[暖气, 供暖.*, 采暖]")
    assert problems(rules_copy) == [
        "classification.yaml:33:38: keyword '供暖.*' contains regex metacharacter(s) * .; keywords are literal "
        "text (at key: rules[2].when.text.contains_any[1]) [rule cls-heating]"]


def test_huge_character_range_is_rejected(rules_copy):
    edit(rules_copy / "classification.yaml", "when: {text: {contains_any: [暖气, 供暖, 采暖]}}",
         "when: {text: {matches: '.*[一-龥].*'}}")
    (p,) = problems(rules_copy)
    assert "spans 20902 code points" in p and p.startswith("classification.yaml:33:")


def test_duplicate_rule_id(rules_copy):
    edit(rules_copy / "routing.yaml", "id: route-health", "id: route-parks")
    (p,) = problems(rules_copy)
    assert p.startswith("routing.yaml:17:5: duplicate rule id 'route-parks' (first at ")


def test_missing_kind(rules_copy):
    (rules_copy / "deadlines.yaml").unlink()
    assert problems(rules_copy) == [
        f"{rules_copy}: no rule file of kind 'deadlines' in the policy".replace(str(rules_copy) + "/", "")]


def test_every_mistake_reported_at_once(rules_copy):
    edit(rules_copy / "routing.yaml", "then: {unit: 园林绿化局}", "then: {unit: 园林绿化}")
    edit(rules_copy / "deadlines.yaml", "within: 2 hours", "within: 2 hourz")
    edit(rules_copy / "hot.yaml", "when: {reposts: {gte: 500}}", "when: {reposts: {gte: 500}")
    files = [p.split(":")[0] for p in problems(rules_copy)]
    assert files == ["deadlines.yaml", "hot.yaml", "routing.yaml"]


def test_cli_exit_code_2_and_no_traceback(rules_copy, capsys):
    edit(rules_copy / "routing.yaml", "then: {unit: 园林绿化局}", "then: {unit: 园林绿化}")
    assert main(["validate", str(rules_copy)]) == 2
    captured = capsys.readouterr()
    assert "routing.yaml:10:12: unknown unit '园林绿化'" in captured.err
    assert "Traceback" not in captured.err + captured.out


def test_cli_missing_directory(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nope")]) == 2
    assert "rules directory not found" in capsys.readouterr().err


@pytest.mark.parametrize("value, message", [("{x: hot}", "'kind' must be text, not a mapping"),
                                            ("[hot]", "'kind' must be text, not a list")])
def test_kind_that_is_not_text_is_located(rules_copy, value, message):
    """Regression (fuzzing): a mapping in the kind: position crashed with 'unhashable type' (exit 3)."""
    edit(rules_copy / "hot.yaml", "kind: hot", f"kind: {value}")
    line = next(i for i, s in enumerate((rules_copy / "hot.yaml").read_text(encoding="utf-8").splitlines(), 1)
                if s.startswith("kind:"))
    assert any(p.startswith(f"hot.yaml:{line}:") and message in p for p in problems(rules_copy))
