"""Scenario parameters by dotted path (simulator/params.py): what each path reads, what setting does,
and the exact refusals (unknown path with a suggestion, a value the schema refuses).  No simulation runs:
about a second in all."""

from __future__ import annotations

from datetime import time

import pytest

from simulator.params import (
    ParameterError,
    format_path,
    get_value,
    is_integer_parameter,
    parameter_paths,
    parse_assignment,
    parse_path,
    parse_range,
    with_overrides,
)
from simulator.scenario import load_scenario

from .conftest import SCENARIOS


@pytest.fixture(scope="module")
def sc():
    return load_scenario(SCENARIOS / "changping-2014.yaml")


def test_paths_parse_with_dots_or_brackets():
    assert parse_path("units.default.no_reply") == ["units", "default", "no_reply"]
    # a digit-only dotted segment is an index where the schema has a list (resolved later), a key elsewhere
    assert parse_path("desk.rota.0.pattern") == ["desk", "rota", "0", "pattern"]
    assert parse_path("desk.rota[0].pattern") == ["desk", "rota", 0, "pattern"]
    assert parse_path("arrivals.categories.停车/交通") == ["arrivals", "categories", "停车/交通"]
    assert format_path(["desk", "rota", 0, "pattern"]) == "desk.rota.0.pattern"
    for bad in ["", "a..b", "a.", ".a", "a[x]"]:
        with pytest.raises(ParameterError):
            parse_path(bad)


def test_values_read_from_the_file_and_from_defaults(sc):
    # the numbers written in scenarios/changping-2014.yaml
    assert get_value(sc, "units.default.no_reply") == 0.06
    assert get_value(sc, "units.by_type.town.no_reply") == 0.08
    assert get_value(sc, "arrivals.posts_per_day") == 6.6
    assert get_value(sc, "desk.staff") == 7
    assert get_value(sc, "desk.rota.4.pattern") == get_value(sc, "desk.rota[4].pattern") == "NNNN---"
    assert get_value(sc, "desk.triage_minutes.p90") == 30
    assert get_value(sc, "arrivals.categories.环境卫生") == 12
    assert get_value(sc, "units.default.working_hours.1") == time(17, 30)
    # schema defaults the file does not write, and an override it does not set
    assert get_value(sc, "units.default.capacity") is None
    assert get_value(sc, "units.default.promise_kept") == 0.9
    assert get_value(sc, "arrivals.reposts.horizon_minutes") == 1440
    assert get_value(sc, "units.by_type.street.no_reply") is None


def test_integer_parameters_are_known_from_the_schema(sc):
    assert is_integer_parameter(sc, "desk.staff")
    assert is_integer_parameter(sc, "citizens.max_follow_ups")
    assert is_integer_parameter(sc, "units.default.capacity")  # int or unset
    assert not is_integer_parameter(sc, "units.default.no_reply")
    assert not is_integer_parameter(sc, "arrivals.posts_per_day")


def test_setting_changes_that_value_only_and_never_the_original(sc):
    new = with_overrides(sc, [("units.default.no_reply", 0.2), ("desk.triage_minutes.median", 20)])
    assert new.units.default.no_reply == 0.2 and new.desk.triage_minutes.median == 20
    assert sc.units.default.no_reply == 0.06 and sc.desk.triage_minutes.median == 12
    # everything else identical
    a = new.model_dump()
    b = sc.model_dump()
    a["units"]["default"]["no_reply"] = b["units"]["default"]["no_reply"]
    a["desk"]["triage_minutes"] = b["desk"]["triage_minutes"]
    assert a == b
    assert new.path == sc.path and new.rules_dir() == sc.rules_dir()


def test_no_override_is_the_identity_for_every_shipped_scenario():
    for path in sorted(SCENARIOS.glob("*.yaml")):
        s = load_scenario(path)
        assert with_overrides(s, []) == s, path.name


def test_town_override_keeps_towns_out_of_the_default(sc):
    # units.default.no_reply does not reach towns: changping-2014 overrides it for them
    new = with_overrides(sc, [("units.default.no_reply", 0.5)])
    assert new.units.behaviour("城北街道", "street").no_reply == 0.5
    assert new.units.behaviour("南口镇", "town").no_reply == 0.08
    gone = with_overrides(sc, [("units.by_type.town.no_reply", None)])  # unset: towns inherit the default
    assert gone.units.behaviour("南口镇", "town").no_reply == 0.06


def test_setting_creates_an_override(sc):
    new = with_overrides(sc, [("units.by_unit.园林绿化局.no_reply", 0.3), ("units.by_type.street.capacity", 4)])
    assert new.units.behaviour("园林绿化局", "bureau").no_reply == 0.3
    assert new.units.behaviour("民政局", "bureau").no_reply == 0.06
    assert new.units.behaviour("城北街道", "street").capacity == 4
    assert new.units.behaviour("南口镇", "town").capacity is None


def test_unknown_paths_are_refused_with_a_suggestion(sc):
    cases = {
        "units.defaults.no_reply": "units.default.no_reply",
        "units.default.no_replay": "units.default.no_reply",
        "desk.staf": "desk.staff",
        "arrivals.posts_per_dya": "arrivals.posts_per_day",
        "desk.triage_minutes.mean": "desk.triage_minutes.median",
        "units.by_type.towm.no_reply": "units.by_type.town.no_reply",
        "arrivals.categories.环境卫": "arrivals.categories.环境卫生",
    }
    for bad, good in cases.items():
        with pytest.raises(ParameterError) as exc:
            get_value(sc, bad, "--vary")
        assert exc.value.suggestion == good, bad
        assert exc.value.key == bad and exc.value.file == "--vary"
    with pytest.raises(ParameterError) as exc:
        get_value(sc, "units.defaults.no_reply", "--vary")
    assert str(exc.value) == ("--vary: unknown parameter 'units.defaults.no_reply': units has no key 'defaults' "
                              "(at key: units.defaults.no_reply); did you mean 'units.default.no_reply'?")


def test_structural_mistakes_are_refused(sc):
    msgs = {
        "desk.rota.9.pattern": "index 9 is out of range: desk.rota has 7 item(s)",
        "desk.rota.first": "desk.rota is a list: address its items by index (0 to 6), not 'first'",
        "desk.staff.count": "desk.staff is a single value; it has no key 'count'",
        "units.by_type.city.no_reply": "'city' is not a key of units.by_type (allowed: bureau, office, street, town)",
        "path": "the scenario has no key 'path'",  # set by the loader, not an input
    }
    for bad, msg in msgs.items():
        with pytest.raises(ParameterError) as exc:
            get_value(sc, bad)
        assert msg in str(exc.value), bad
    # a new key in a mapping of numbers would silently add a category: refused
    with pytest.raises(ParameterError, match="arrivals.categories has no key '新类别'"):
        with_overrides(sc, [("arrivals.categories.新类别", 3)])


def test_wrong_values_get_the_schema_message(sc):
    cases = [
        ("units.default.no_reply", 1.5, "'1.5' is too large; it must be less than or equal to 1", "units.default.no_reply"),
        ("desk.staff", 7.5, "'7.5' is not a whole number; write an integer, e.g. 7", "desk.staff"),
        # (desk.staff alone gets an even rota: tests/test_set_option.py; a rota that miscounts is refused)
        ("desk.rota.0.count", 2, "the rota lists 8 staff but the desk has 7", "desk"),
        ("units.default.reply_working_days.p90", 1.0, "p90 (1.0) must not be below the median (1.5)",
         "units.default.reply_working_days"),
        ("arrivals.posts_per_day", "many", "'many' is not a number; write a number, e.g. 7 or 0.5",
         "arrivals.posts_per_day"),
    ]
    for path, value, msg, key in cases:
        with pytest.raises(ParameterError) as exc:
            with_overrides(sc, [(path, value)], "--set")
        assert exc.value.first.message == f"{msg} (setting {path})", path
        assert exc.value.key == key and exc.value.file == "--set"


def test_assignments_and_ranges():
    assert parse_assignment("units.default.no_reply=0.1") == ("units.default.no_reply", 0.1)
    assert parse_assignment("desk.staff=7") == ("desk.staff", 7)
    assert parse_assignment("units.default.working_hours=[08:00, 17:00]") == (
        "units.default.working_hours", ["08:00", "17:00"])
    assert parse_assignment("units.default.reply_working_days={median: 2, p90: 5}") == (
        "units.default.reply_working_days", {"median": 2, "p90": 5})
    assert parse_range("units.default.no_reply=0..0.2") == ("units.default.no_reply", 0.0, 0.2)
    assert parse_range("x= 1e-2 .. 5") == ("x", 0.01, 5.0)
    for bad, msg in [("no_reply", "is not PATH=LO..HI"), ("a=0-1", "is not a range LO..HI"),
                     ("a=0.3..0.1", "runs backwards"), ("=0..1", "is not PATH=LO..HI")]:
        with pytest.raises(ParameterError, match=msg):
            parse_range(bad)
    for bad in ["no_value", "a=", "=3"]:
        with pytest.raises(ParameterError):
            parse_assignment(bad)


def test_parameter_paths_list_every_number(sc):
    paths = parameter_paths(sc)
    assert "units.default.no_reply" in paths and "arrivals.hour_profile.23" in paths
    assert "desk.rota.0.pattern" not in paths  # text, not a number
    for p in paths:
        get_value(sc, p)  # every listed path resolves
