"""The command line as a user meets it: outputs, exit codes, no tracebacks."""

from __future__ import annotations

import json

from wenzheng.cli import main

from .conftest import DATA, RULES


def test_deadline_example(capsys):
    assert main(["deadline", "--from", "2014-09-30T16:00+08:00", "--within", "5 working days",
                 "--rules", str(RULES)]) == 0
    assert capsys.readouterr().out.strip() == "2014-10-13T17:30:00+08:00"


def test_deadline_hours(capsys):
    assert main(["deadline", "--from", "2014-05-14T10:05+08:00", "--within", "2 hours", "--rules", str(RULES)]) == 0
    assert capsys.readouterr().out.strip() == "2014-05-14T12:05:00+08:00"


def test_deadline_2027_is_a_clear_error(capsys):
    code = main(["deadline", "--from", "2027-03-01T09:00+08:00", "--within", "5 working days", "--rules", str(RULES)])
    err = capsys.readouterr().err
    assert code == 2
    assert "no data for the year 2027" in err and "Traceback" not in err


def test_deadline_bad_arguments(capsys):
    assert main(["deadline", "--from", "yesterday", "--within", "5 working days", "--rules", str(RULES)]) == 2
    assert "--from: 'yesterday' is not an ISO 8601" in capsys.readouterr().err
    assert main(["deadline", "--from", "2014-09-30T16:00", "--within", "5 working days", "--rules", str(RULES)]) == 2
    assert "has no UTC offset" in capsys.readouterr().err
    assert main(["deadline", "--from", "2014-09-30T16:00+08:00", "--within", "5 weeks", "--rules", str(RULES)]) == 2
    assert "unknown unit 'weeks'" in capsys.readouterr().err


def test_unknown_command_and_option_exit_2(capsys):
    assert main(["frobnicate"]) == 2
    assert main(["run", str(DATA / "short.yaml"), "--seeed", "3"]) == 2
    assert "No such option" in capsys.readouterr().err


def test_run_writes_outputs_and_summary(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(DATA / "short.yaml"), "--out", str(out), "--quiet", "--seed", "3"]) == 0
    printed = capsys.readouterr().out
    assert "reply rate" in printed and "2-hour statement compliance" in printed and "units by deductions" in printed
    m = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert m["run"]["seed"] == 3 and m["run"]["scenario"] == "short-test"
    assert {"metrics.json", "events.csv", "cases.csv", "backlog.csv"} <= {p.name for p in out.iterdir()}


def test_run_replications(tmp_path, capsys):
    out = tmp_path / "reps"
    assert main(["run", str(DATA / "short.yaml"), "--out", str(out), "--quiet", "--replications", "3"]) == 0
    m = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert m["replications"] == 3 and m["seeds"] == [2014, 2015, 2016]
    lo, hi = m["ci95"]["forms"]
    assert lo <= m["forms"] <= hi
    assert (out / "000" / "events.csv").exists()
    assert "95% CI" in capsys.readouterr().out


def test_bad_scenario_file(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    text = (DATA / "short.yaml").read_text(encoding="utf-8")
    bad.write_text(text.replace("rules: ../../rules", f"rules: {RULES}").replace("posts_per_day: 20", "post_per_day: 20"),
                   encoding="utf-8")
    out = tmp_path / "never"
    assert main(["run", str(bad), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml:" in err and "unknown key 'post_per_day'" in err and "did you mean 'posts_per_day'" in err
    assert "Traceback" not in err
    assert not out.exists()


def test_scenario_naming_an_unknown_place(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    text = (DATA / "short.yaml").read_text(encoding="utf-8").replace("rules: ../../rules", f"rules: {RULES}")
    bad.write_text(text.replace("    回龙观: 22", "    回龙关: 22"), encoding="utf-8")
    assert main(["run", str(bad), "--quiet", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "unknown place '回龙关'" in err and "did you mean '回龙观'" in err


def test_validate_shipped_rules(capsys):
    assert main(["validate", str(RULES)]) == 0
    assert "valid policy" in capsys.readouterr().out


def test_missing_scenario_file(tmp_path, capsys):
    assert main(["run", str(tmp_path / "nope.yaml"), "--quiet"]) == 2
    assert "file not found" in capsys.readouterr().err


def test_missing_scenario_lists_its_folder_and_the_closest_name(tmp_path, capsys):
    for name in ("changping-2014.yaml", "apec-2014.yaml", "notes.txt"):
        (tmp_path / name).write_text("x", encoding="utf-8")
    assert main(["run", str(tmp_path / "changping2014.yaml"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "apec-2014.yaml, changping-2014.yaml" in err and "notes.txt" not in err  # same kind of file only
    assert "did you mean 'changping-2014.yaml'" in err
    assert main(["run", str(tmp_path / "zzzz.yaml"), "--quiet"]) == 2
    assert "did you mean" not in capsys.readouterr().err  # nothing close: no guess


def test_bench_json(capsys):
    assert main(["bench", "--rules", str(RULES), "--scenario", str(DATA / "short.yaml"), "--events", "500",
                 "--repeat", "1", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)  # every key: tests/test_bench.py
    assert result["routing"][0]["engine_us_per_decision"] > 0 and result["scenarios"][0]["forms"] > 0




def test_parallel_replications_give_the_same_numbers_as_serial(tmp_path):
    outs = []
    for workers in ("1", "2"):
        out = tmp_path / f"w{workers}"
        assert main(["run", str(DATA / "short.yaml"), "--replications", "8", "--workers", workers, "--quiet",
                     "--out", str(out)]) == 0
        outs.append(((out / "metrics.json").read_bytes(), (out / "replications.json").read_bytes()))
    assert outs[0] == outs[1]
