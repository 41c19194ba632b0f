"""Editor support: JSON Schemas are current, shipped files reference and satisfy them."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from engine.editor_schema import rule_file_schemas
from engine.yamlsrc import load_yaml
from simulator.scenario import scenario_schema
from wenzheng.cli import main

from .conftest import ROOT, RULES, SCENARIOS

SCHEMA_DIR = ROOT / "docs" / "schema"
SHIPPED = (sorted(RULES.glob("*.yaml")) + sorted((RULES / "tests").glob("*.yaml")) + sorted(SCENARIOS.glob("*.yaml"))
           + sorted((ROOT / "baselines").glob("*.yaml")))


def _plain(data):
    return json.loads(json.dumps(data, default=str))


def test_committed_schemas_are_current(tmp_path):
    assert main(["schema", "--out", str(tmp_path)]) == 0
    for f in sorted(tmp_path.glob("*.json")):
        assert (SCHEMA_DIR / f.name).read_text(encoding="utf-8") == f.read_text(encoding="utf-8"), (
            f"{f.name} is stale: run `wenzheng schema`")
    assert {f.name for f in tmp_path.glob("*.json")} == {f"{k}.schema.json" for k in
                                                         [*rule_file_schemas(), "scenario", "policy-tests",
                                                                      "baseline"]}


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_files_reference_and_satisfy_their_schema(path: Path):
    first = next(line for line in path.read_text(encoding="utf-8").splitlines() if "yaml-language-server" in line)
    _, data = load_yaml(path)
    kind = data["kind"]
    up = "../../" if path.parent.name == "tests" else "../"
    assert f"$schema={up}docs/schema/{kind}.schema.json" in first
    schema = json.loads((SCHEMA_DIR / f"{kind}.schema.json").read_text(encoding="utf-8"))
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(_plain(data)))
    assert errors == []


def test_schema_flags_a_misspelled_condition_field():
    schema = rule_file_schemas()["routing"]
    doc = {"kind": "routing", "rules": [{"id": "x", "when": {"categroy": "园林绿化"}, "then": {"unit": "a"}}]}
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(doc))
    assert errors and "categroy" in str(errors[0].message) + str([e.message for e in errors[0].context or []])


def test_scenario_schema_rejects_unknown_keys():
    doc = _plain(load_yaml(SCENARIOS / "changping-2014.yaml")[1])
    doc["arrivals"]["post_per_day"] = 3
    assert list(jsonschema.Draft202012Validator(scenario_schema()).iter_errors(doc))
