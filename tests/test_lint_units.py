"""wenzheng lint: a declared unit no case can reach (no routing rule, no routed place, no escalation names it).

The oracle for "reachable" is read from the rule files here with a plain YAML parser, independently of the
engine: the units a rule names in ``then.unit``, the owners of the places a ``unit_of_place`` rule covers, and
the ``escalate.to`` targets.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from engine.lint import lint
from wenzheng.cli import main

from .conftest import RULES
from .test_policy_errors import edit

HB_LINE = "  - {id: 环保局, type: bureau, description: \"environmental protection\", by_hand: true}"


def declared(rules: Path) -> list[dict]:
    return yaml.safe_load((rules / "units.yaml").read_text(encoding="utf-8"))["units"]


def line_of(rules: Path, unit: str) -> int:
    """1-based line of the unit's declaration, found by text."""
    for n, text in enumerate((rules / "units.yaml").read_text(encoding="utf-8").splitlines(), 1):
        if f"{{id: {unit}," in text:
            return n
    raise AssertionError(f"{unit} not declared")


def unreachable(rules: Path) -> dict[str, tuple[int | None, str]]:
    return {p.message.split("'")[1]: (p.line, p.key) for p in lint(rules).problems if p.code == "unreachable-unit"}


def test_shipped_rules_mark_the_environment_bureau_as_forwarded_by_hand():
    # the shipped rules lint clean (tests/test_lint.py) because 环保局 says so, not because lint ignores it
    units = {u["id"]: u for u in declared(RULES)}
    assert units["环保局"].get("by_hand") is True
    assert [u for u, spec in units.items() if spec.get("by_hand")] == ["环保局"]
    assert not unreachable(RULES)


def test_a_unit_no_rule_routes_to_is_a_warning_at_its_declaration(rules_copy, capsys):
    edit(rules_copy / "units.yaml", HB_LINE, "  - {id: 环保局, type: bureau, description: \"environmental protection\"}")
    index = [u["id"] for u in declared(rules_copy)].index("环保局")
    assert unreachable(rules_copy) == {"环保局": (line_of(rules_copy, "环保局"), f"units[{index}].id")}
    (p,) = [p for p in lint(rules_copy).problems]
    assert p.severity == "warning" and p.file == str(rules_copy / "units.yaml")
    assert "by_hand: true" in p.message and "then: {unit: 环保局}" in p.message
    # a warning: exit 1, like the other warnings; the JSON carries the code and key
    assert main(["lint", str(rules_copy)]) == 1
    capsys.readouterr()
    assert main(["lint", str(rules_copy), "--format", "json"]) == 1
    out = json.loads(capsys.readouterr().out)
    found = [p for p in out["problems"] if p["code"] == "unreachable-unit"]
    assert [(f["severity"], f["line"], f["key"]) for f in found] == [
        ("warning", line_of(rules_copy, "环保局"), f"units[{index}].id")]


def test_the_warning_speaks_chinese_by_default(rules_copy, zh):
    edit(rules_copy / "units.yaml", HB_LINE, "  - {id: 环保局, type: bureau}")
    (p,) = lint(rules_copy).problems
    assert p.message.startswith("单位「环保局」收不到任何案件") and "by_hand: true" in p.message


def test_a_new_unit_is_reported_until_a_rule_routes_to_it(rules_copy):
    edit(rules_copy / "units.yaml", "  # -- supervising offices", "  - {id: 文旅局, type: bureau}\n"
         "  # -- supervising offices")
    assert set(unreachable(rules_copy)) == {"文旅局"}
    edit(rules_copy / "routing.yaml", "  - id: route-local", "  - id: route-tourism\n    when: {category: 其他, "
         "text: {contains_any: [景区]}}\n    then: {unit: 文旅局}\n  - id: route-local")
    assert unreachable(rules_copy) == {}


def test_units_reached_only_through_their_places(rules_copy):
    # route-local sends by place; restricted to 城北, every other street and town receives nothing
    edit(rules_copy / "routing.yaml", "    when: {category: [群租房, 违法建设, 噪音, 物业管理, 环境卫生, 市容城管, 其他]}",
         "    when: {category: [群租房, 违法建设, 噪音, 物业管理, 环境卫生, 市容城管, 其他], place: 城北}")
    routing = yaml.safe_load((rules_copy / "routing.yaml").read_text(encoding="utf-8"))
    named = {r["then"]["unit"] for r in routing["rules"] if "unit" in r["then"]}
    owners = {u["id"] for u in declared(rules_copy) if u.get("places")}
    expected = owners - {"城北街道"} - named
    assert len(expected) == 19  # 4 more streets, 15 towns
    assert set(unreachable(rules_copy)) == expected


def test_an_office_is_reached_by_escalation(rules_copy):
    escalation = yaml.safe_load((RULES / "escalation.yaml").read_text(encoding="utf-8"))
    targets = {r["then"]["escalate"]["to"] for r in escalation["rules"] if "escalate" in r["then"]}
    assert targets == {"区政府办公室", "区委宣传部"}  # no routing rule names either
    # statement-missed is the one rule escalating to 区委宣传部: without it the office receives nothing
    edit(rules_copy / "escalation.yaml", "      escalate: {to: 区委宣传部, level: 2}\n", "")
    assert set(unreachable(rules_copy)) == {"区委宣传部"}


def test_by_hand_on_a_unit_a_rule_routes_to_is_a_warning(rules_copy):
    edit(rules_copy / "units.yaml", "{id: 水务局, type: bureau,", "{id: 水务局, type: bureau, by_hand: true,")
    found = [p for p in lint(rules_copy).problems]
    assert [(p.code, p.severity, p.line) for p in found] == [
        ("by-hand-routed", "warning", line_of(rules_copy, "水务局"))]
    assert "route-water" in found[0].message


def test_a_misspelt_unit_is_not_also_reported_unreachable(rules_copy):
    edit(rules_copy / "routing.yaml", "then: {unit: 交通局}", "then: {unit: 交通委}")
    report = lint(rules_copy)
    assert [p.code for p in report.problems] == ["unknown-unit"]
    assert report.skipped == ["units: did not check that every unit can receive a case (rules name units that "
                              "are not declared: 交通委)"]
