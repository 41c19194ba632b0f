"""Hostile inputs: nothing a user or a citizen types can hang the tool, crash it or exhaust memory.

Each defect found is reproduced here as a regression test (issue 8, part 2).
Tests that could hang on a regression run in a subprocess with a timeout or
under a signal alarm, so a regression fails instead of stalling the suite.
"""

from __future__ import annotations

import io
import json
import re
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from engine import Policy
from engine.adapters import PostAdapter
from engine.conditions import ConditionError, check_regex
from engine.durations import parse_duration
from engine.errors import DurationError, PolicyError, ScenarioError, SourceError
from engine.yamlsrc import LIMITS, Limits, load_yaml, load_yaml_stream, parse_yaml_text

from .conftest import ROOT, RULES, SCENARIOS

BILLION_LAUGHS = "\n".join(
    ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"{n}: &{n} [{', '.join(['*' + p] * 9)}]" for p, n in zip("abcdefgh", "bcdefghi", strict=True)]
) + "\n"


def cli(*args: str, stdin: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a fresh process; a hang fails the test through TimeoutExpired."""
    return subprocess.run([sys.executable, "-m", "wenzheng", *args], input=stdin, capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


@contextmanager
def alarm(seconds: int):
    """Fail (instead of hanging) when the block runs longer than ``seconds``."""
    def _timeout(signum, frame):
        raise TimeoutError(f"took longer than {seconds} s")

    old = signal.signal(signal.SIGALRM, _timeout)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def expanded_size(data: object) -> int:
    """Nodes of plain data, counted independently of the loader: a scalar 1, a collection 1 + its parts."""
    if isinstance(data, dict):
        return 1 + sum(expanded_size(k) + expanded_size(v) for k, v in data.items())
    if isinstance(data, list):
        return 1 + sum(expanded_size(v) for v in data)
    return 1


def refusal(text: str, limits: Limits = LIMITS) -> str:
    with pytest.raises(SourceError) as info:
        parse_yaml_text(text, "f.yaml", limits=limits)
    return str(info.value)


# -- the loader ------------------------------------------------------------------------------------
def test_billion_laughs_on_explain_stdin_is_refused_quickly():
    start = time.monotonic()
    r = cli("explain", "-", stdin=BILLION_LAUGHS)
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr
    # by hand: the root, a..e and their lists make 74,739 nodes; f's list (line 6) opens at 74,741 and its
    # first *e adds e's 66,431, crossing 100,000
    assert "<stdin>:6:" in r.stderr and "max_nodes = 100,000" in r.stderr
    assert time.monotonic() - start < 30


def test_billion_laughs_in_a_rule_file_and_a_scenario(rules_copy, tmp_path):
    (rules_copy / "zz-bomb.yaml").write_text("kind: hot\n" + BILLION_LAUGHS, encoding="utf-8")
    r = cli("validate", str(rules_copy))
    assert r.returncode == 2 and "zz-bomb.yaml:7:" in r.stderr and "max_nodes" in r.stderr
    sc = tmp_path / "bomb.yaml"
    sc.write_text("kind: scenario\n" + BILLION_LAUGHS, encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"bomb.yaml:7:\d+: .*max_nodes"):
        from simulator.scenario import load_scenario

        load_scenario(sc)


def test_expanded_size_is_counted_exactly_before_expansion():
    docs = [
        "a: &x [1, 2, 3]\nb: [*x, *x]\n",
        "base: &b {p: 1, q: [1, 2]}\nuse: [*b, *b, {r: *b}]\ns: &s hello\nt: [*s, *s]\n",
        "- &deep [[[1]], [2, [3]]]\n- *deep\n- [*deep, *deep]\n",
    ]
    for doc in docs:
        _, data = parse_yaml_text(doc, "f.yaml")
        n = expanded_size(data)
        parse_yaml_text(doc, "f.yaml", limits=Limits(max_nodes=n))  # exactly at the limit: fine
        assert f"limit max_nodes = {n - 1}" in refusal(doc, Limits(max_nodes=n - 1))


def test_hand_counted_expansion():
    # root 1 + keys a, b 2 + [1, 2, 3] 4 + [*x, *x] 1 + 2 * 4 = 16
    parse_yaml_text("a: &x [1, 2, 3]\nb: [*x, *x]\n", "f.yaml", limits=Limits(max_nodes=16))
    assert "f.yaml:2:9:" in refusal("a: &x [1, 2, 3]\nb: [*x, *x]\n", Limits(max_nodes=15))


def test_deep_nesting_is_refused_not_a_recursion_error():
    r = cli("explain", "-", stdin="[" * 10_000)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "<stdin>:1:51: nested more than 50 levels deep (limit max_depth = 50)" in r.stderr


def test_depth_limit_boundary_and_aliases_that_deepen():
    ok = "[" * 50 + "]" * 50
    parse_yaml_text(ok, "f.yaml")
    assert "f.yaml:1:51: nested more than 50 levels deep" in refusal("[" * 51 + "]" * 51)
    # an alias of a 30-deep node, used 30 levels down, nests 60 deep once expanded
    doc = "a: &x " + "[" * 30 + "]" * 30 + "\nb: " + "[" * 30 + "*x" + "]" * 30 + "\n"
    assert "f.yaml:2:34: alias *x nests the document more than 50 levels deep" in refusal(doc)


def test_recursive_alias_is_refused():
    assert "f.yaml:1:11: alias *x refers to a node that contains it" in refusal("a: &x [1, *x]\n")


def test_alias_count_limit():
    doc = "a: &x 1\nb: [" + ", ".join(["*x"] * 6) + "]\n"
    parse_yaml_text(doc, "f.yaml", limits=Limits(max_aliases=6))
    assert "limit max_aliases = 5" in refusal(doc, Limits(max_aliases=5))


@pytest.mark.parametrize("tag,shown", [("!!python/object/apply:os.system", "!!python/object/apply:os.system"),
                                       ("!foo", "!foo"), ("!!binary", "!!binary"), ("!!set", "!!set")])
def test_tags_other_than_standard_scalars_are_refused(rules_copy, tag, shown):
    (rules_copy / "zz.yaml").write_text(f"# a comment\nkind: {tag} [echo hi]\n", encoding="utf-8")
    r = cli("validate", str(rules_copy))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert f"zz.yaml:2:7: YAML tag '{shown}' is not allowed" in r.stderr


def test_standard_tags_still_load():
    _, data = parse_yaml_text("a: !!str 3\nb: !!int '4'\nc: !!float 5\nd: !!bool true\n", "f.yaml")
    assert data == {"a": "3", "b": 4, "c": 5.0, "d": True}


def test_string_length_limit():
    parse_yaml_text("a: " + "x" * LIMITS.max_string + "\n", "f.yaml")
    assert "f.yaml:2:4: a text value of 10,001 characters (limit max_string = 10,000)" in \
        refusal("a: 1\nb: " + "x" * (LIMITS.max_string + 1) + "\n")


def test_file_size_limit(tmp_path):
    f = tmp_path / "big.yaml"
    f.write_text("a: 1\nb: 2\n# " + "x" * LIMITS.max_bytes + "\n", encoding="utf-8")
    # the line (and column) where the limit is crossed: line 3, column 262,144 - 10 + 1
    with pytest.raises(SourceError, match=r"big.yaml:3:262135: larger than 262,144 bytes \(limit max_bytes = 262,144\)"):
        load_yaml(f)


def test_non_utf8_is_located_at_its_first_bad_byte(tmp_path):
    f = tmp_path / "gbk.yaml"
    f.write_bytes("kind: routing\n# 园林\n".encode() + "description: 园林绿化\n".encode("gbk"))
    with pytest.raises(SourceError, match=r"gbk.yaml:3:16: not UTF-8 text \(invalid start byte, byte 0xc1\)"):
        load_yaml(f)


def test_stdin_is_read_only_up_to_the_limit():
    class Endless(io.RawIOBase):
        requested: list[int] = []

        def read(self, n=-1):
            self.requested.append(n)
            return b"a" * (n if n >= 0 else 10**9)

    with pytest.raises(SourceError, match="limit max_bytes"):
        load_yaml_stream(Endless(), "<stdin>")
    assert Endless.requested == [LIMITS.max_bytes + 1]


def test_values_yaml_cannot_build_are_located():
    # an impossible date stays text, so the schema's date field locates it with its key
    # (tests/test_time_bugs.py::test_impossible_date_in_calendar_is_located)
    assert parse_yaml_text("holidays:\n  - 2014-02-30\n", "f.yaml")[1] == {"holidays": ["2014-02-30"]}
    assert "f.yaml:1:4:" in refusal("n: " + "9" * 5000 + "\n")


def test_every_reader_goes_through_the_loader():
    """No file is parsed outside engine/yamlsrc.py (adapters and platforms parse bounded payloads)."""
    # outputs.py reads its own manifests and recognises its own files, each read bounded (read_bounded);
    # bench.py reads the metrics.json its measuring process has just written and that process's result line, bounded
    allowed_json = {"engine/adapters.py", "simulator/platforms.py", "simulator/scenario.py", "wenzheng/outputs.py",
                    "wenzheng/bench.py"}
    for pkg in ("engine", "simulator", "wenzheng"):
        for f in sorted((ROOT / pkg).rglob("*.py")):
            rel = f.relative_to(ROOT).as_posix()
            src = f.read_text(encoding="utf-8")
            if rel != "engine/yamlsrc.py":
                assert not re.search(r"\.load\(\s*(text|data|f|b\.path|sys\.stdin)", src), rel
                assert "read_text(" not in src, rel
                assert "sys.stdin.read" not in src, rel
            if rel not in allowed_json:
                assert "json.load" not in src, rel


# -- durations ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("ok,too_long", [("366 days", "367 days"), ("250 working days", "251 working days"),
                                         ("8784 hours", "8785 hours"), ("527040 minutes", "527041 minutes")])
def test_durations_are_at_most_one_year(ok, too_long):
    parse_duration(ok)
    with pytest.raises(DurationError, match="longer than one year"):
        parse_duration(too_long)
    with pytest.raises(DurationError, match="longer than one year"):
        parse_duration("999999999999 days")


def test_huge_within_is_refused_at_load_with_its_location(rules_copy):
    f = rules_copy / "deadlines.yaml"
    text = f.read_text(encoding="utf-8").replace("within: 5 working days", "within: 999999999999 days")
    f.write_text(text, encoding="utf-8")
    line = next(i for i, s in enumerate(text.splitlines(), 1) if "999999999999" in s)
    col = text.splitlines()[line - 1].index("within:") + 1  # problems point at the key
    with pytest.raises(PolicyError) as info:
        from engine import Policy

        Policy.load(rules_copy)
    p = info.value.first
    assert (p.line, p.col, p.rule_id) == (line, col, "reply")
    assert "longer than one year (at most 366 days)" in p.message


@pytest.mark.parametrize("args", [("--from", "2014-09-30T16:00+08:00", "--within", "999999999999 days"),
                                  ("--from", "0001-01-01T00:00+08:00", "--within", "2 hours")])
def test_deadline_command_refuses_out_of_range_input(args):
    r = cli("deadline", *args)
    assert r.returncode == 2 and "Traceback" not in r.stderr and "error:" in r.stderr


# -- regexes -----------------------------------------------------------------------------------------
def _add_rule(rules_dir: Path, pattern: str) -> None:
    f = rules_dir / "classification.yaml"
    text = f.read_text(encoding="utf-8")
    f.write_text(text.replace("rules:\n", f"rules:\n  - id: cls-evil\n    when: {{text: {{matches: '{pattern}'}}}}\n"
                                          f"    then: {{category: 其他}}\n", 1), encoding="utf-8")


def test_catastrophic_backtracking_pattern_runs_in_linear_time(rules_copy):
    from engine import Policy
    from engine.explain import ExplainInput, explain_case

    _add_rule(rules_copy, "(a+)+b")
    policy = Policy.load(rules_copy)
    for text in ("a" * 2000, "a" * 1999 + "c", "垃圾" * 1000):
        request = ExplainInput.model_validate(
            {"post": {"text": text, "place": "回龙观", "at": "2014-09-30T16:00+08:00"}})
        with alarm(20):
            start = time.monotonic()
            result = explain_case(policy, request)
            elapsed = time.monotonic() - start
        assert elapsed < 2.0, elapsed
        assert result
        fact = {"event": "post_received", "channel": "weibo", "text": text, "place": "回龙观", "reposts": 0}
        assert policy.tables["classification"].evaluate(fact)[0].id != "cls-evil"  # no 'b': never matches
    # and the pattern still means what it says
    from engine.conditions import Condition

    c = Condition("text", "matches", "(a+)+b")
    assert c.holds({"text": "aaab"}) and not c.holds({"text": "a" * 2000})


def test_shipped_policy_on_adversarial_posts_is_fast(policy):
    from engine.explain import ExplainInput, explain_case

    words = "垃圾清运违建群租噪音停车公园" * 200
    for text in (words[:2000], "a" * 2000, ("(a+)+" * 400)[:2000]):
        request = ExplainInput.model_validate(
            {"post": {"text": text, "place": "回龙观", "at": "2014-09-30T16:00+08:00"}})
        with alarm(20):
            start = time.monotonic()
            explain_case(policy, request)
            assert time.monotonic() - start < 2.0


@pytest.mark.parametrize("pattern,why", [("a*+", "not supported by RE2"), ("a{1001}", "not supported by RE2"),
                                         ("(a)\\\\1", "backslash"), ("(?=a)b", "(?...) groups"),
                                         ("a{,3}", "{0,n}")])
def test_patterns_re2_cannot_run_are_refused_at_their_line(rules_copy, pattern, why):
    _add_rule(rules_copy, pattern)
    with pytest.raises(PolicyError) as info:
        from engine import Policy

        Policy.load(rules_copy)
    p = info.value.first
    text = (rules_copy / "classification.yaml").read_text(encoding="utf-8").splitlines()
    assert "matches:" in text[p.line - 1] and why in p.message and p.rule_id == "cls-evil"


@pytest.mark.parametrize("pattern", ["园林.*", ".*(垃圾|清运).*", "[回天][龙通].*", "a|b|ab+c?", ".*[0-9]{2,4}.*"])
@pytest.mark.parametrize("text", ["园林绿化局", "小区垃圾没人清运", "天通苑北", "abbb", "ab", "电话12345", ""])
def test_re2_agrees_with_python_re_on_ordinary_patterns(pattern, text):
    from engine.conditions import Condition

    check_regex(pattern)
    expected = re.fullmatch(pattern, text, flags=re.DOTALL) is not None
    assert Condition("text", "matches", pattern).holds({"text": text}) == expected


def test_condition_numbers_are_bounded():
    from engine.conditions import parse_when

    with pytest.raises(ConditionError, match="out of range"):
        parse_when({"reposts": {"gte": 10**12}}, "hot")
    assert parse_when({"reposts": {"gte": 10**9}}, "hot")


# -- platform payloads -------------------------------------------------------------------------------
GOOD_WECHAT = ("<xml><ToUserName>gh</ToUserName><FromUserName>u1</FromUserName><CreateTime>{t}</CreateTime>"
               "<MsgType>text</MsgType><Content>垃圾没人清运</Content><MsgId>{m}</MsgId></xml>")


@pytest.mark.parametrize("prefix", [" " * 5000, "<!--" + "x" * 5000 + "-->\n", "\n" * 5000])
def test_wechat_dtd_anywhere_is_refused(prefix):
    a = PostAdapter()
    bomb = '<!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    with alarm(10):
        r = a.wechat(prefix + bomb + GOOD_WECHAT.format(t=1400033100, m=1).replace("垃圾", "&b;"))
    assert r.reason == "forbidden-dtd"
    assert a.wechat(prefix + GOOD_WECHAT.format(t=1400033100, m=2)).accepted


@pytest.mark.parametrize("t", ["99999999999999999999", "9" * 5000, "１２３"])
def test_wechat_out_of_range_time_is_a_rejection_not_a_crash(t):
    assert PostAdapter().wechat(GOOD_WECHAT.format(t=t, m=1)).reason == "bad-timestamp"


def test_weibo_hostile_json():
    a = PostAdapter()
    assert a.weibo("[" * 60_000).reason == "malformed"
    status = {"created_at": "Wed May 14 10:05:00 +0800 2014", "text": "x", "user": {"screen_name": "a"}, "id": 1,
              "reposts_count": 10**40}
    assert a.weibo(json.dumps(status)).reason == "wrong-type"
    assert a.wechat(GOOD_WECHAT.format(t=1400033100, m=1) + " " * 70_000).reason == "too-large"


# -- scenario numbers -----------------------------------------------------------------------------------
@pytest.mark.parametrize("override,key,message", [
    ("arrivals:\n  posts_per_day: 1e12\n", "arrivals.posts_per_day", "less than or equal to 200000"),
    ("arrivals:\n  hour_profile: [0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]\n", "arrivals.hour_profile",
     "must not all be zero"),
    ("arrivals:\n  channels: {weibo: 0, wechat: 0}\n", "arrivals.channels", "must not all be zero"),
    ("end: 2017-01-01\n", "", "at most 731"),
    ("units:\n  default:\n    reply_working_days: {median: 1, p90: 5000}\n",
     "units.default.reply_working_days", "more than 1000 times the median"),
])
def test_scenario_numbers_are_bounded(tmp_path, override, key, message):
    from simulator.scenario import load_scenario

    f = tmp_path / "s.yaml"
    f.write_text(f"kind: scenario\nextends: {SCENARIOS / 'changping-2014.yaml'}\nname: t\n{override}",
                 encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(f)
    assert any(message in p.message and p.key.startswith(key) and p.line is not None
               for p in info.value.problems), str(info.value)


def test_shipped_rules_and_scenarios_are_well_within_the_limits():
    for f in [*RULES.glob("*.yaml"), *SCENARIOS.glob("*.yaml")]:
        parse_yaml_text(f.read_text(encoding="utf-8"), str(f),
                        limits=Limits(max_bytes=16_384, max_depth=10, max_nodes=2_000, max_aliases=0,
                                      max_string=500))


# -- fuzzing findings (regressions) ------------------------------------------------------------------
def test_unknown_capitalised_key_is_reported_not_mistaken_for_a_pydantic_tag(rules_copy):
    """`END:` looked like a union-member tag to the error locator: IndexError, exit 3."""
    text = (rules_copy / "hot.yaml").read_text(encoding="utf-8")
    (rules_copy / "hot.yaml").write_text(text + "END: 1\n", encoding="utf-8")
    line = len(text.splitlines()) + 1
    with pytest.raises(PolicyError) as info:
        Policy.load(rules_copy)
    (p,) = info.value.problems
    assert (p.line, p.key, p.message.split(" (")[0]) == (line, "END", "unknown key 'END'")


def test_a_path_too_long_for_the_file_system_is_exit_2(tmp_path, capsys):
    from wenzheng.cli import main

    for args in (["validate", "x" * 300], ["lint", "x" * 300], ["run", "x" * 300 + ".yaml", "--quiet"]):
        assert main(args) == 2, args
        c = capsys.readouterr()
        assert "File name too long" in c.out + c.err and "Traceback" not in c.out + c.err


def test_two_bad_values_in_an_extending_scenario_are_both_located(tmp_path):
    """zip(strict=True) over per-file problem lists of different lengths crashed (exit 3)."""
    import shutil

    from simulator.scenario import load_scenario

    shutil.copy(SCENARIOS / "changping-2014.yaml", tmp_path)
    text = (SCENARIOS / "hot-event-surge.yaml").read_text(encoding="utf-8").replace("../rules", str(ROOT / "rules"))
    lines = text.splitlines()
    scripted = [i for i, s in enumerate(lines) if s.lstrip().startswith("- {at:")]
    lines[scripted[1]] = lines[scripted[1]].replace("category: ", "category: [], _c: ", 1)
    lines[scripted[3]] = lines[scripted[3]].replace("place: ", "place: [], _p: ", 1)
    (tmp_path / "surge.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "surge.yaml")
    assert all(p.line is not None for p in info.value.problems)
    assert {p.line for p in info.value.problems} >= {scripted[1] + 1, scripted[3] + 1}


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf"])
def test_nan_and_infinity_in_a_scenario_are_refused(tmp_path, value):
    """A .nan in hour_profile loaded as valid and then hung the simulation."""
    from simulator.scenario import load_scenario

    sc = tmp_path / "child.yaml"
    sc.write_text(f"kind: scenario\nextends: {SCENARIOS / 'changping-2014.yaml'}\nname: child\n"
                  f"arrivals:\n  hour_profile: [2.6, 1.5, {value}, 0.5, 0.4, 0.6, 1.5, 3.1, 4.6, 5.7, 6.2, 6.0,"
                  " 5.2, 5.0, 5.2, 5.2, 5.0, 4.6, 4.6, 5.7, 6.7, 7.4, 7.2, 4.6]\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(sc)
    assert info.value.problems[0].line == 5 and "arrivals.hour_profile" in info.value.problems[0].key


def test_an_error_in_the_extended_file_is_located_there_even_under_a_capitalised_key(tmp_path):
    """The child lacks desk.shifts.E: its key path must still be the same, so the base file's line wins."""
    from simulator.scenario import load_scenario

    base = (SCENARIOS / "changping-2014.yaml").read_text(encoding="utf-8").replace("../rules", str(ROOT / "rules"))
    assert 'E: {start: "16:00", end: "00:00"}' in base
    (tmp_path / "base.yaml").write_text(base.replace('end: "00:00"}', 'end: "24:00"}'), encoding="utf-8")
    (tmp_path / "s.yaml").write_text("kind: scenario\nextends: base.yaml\nname: s\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "s.yaml")
    (p,) = info.value.problems
    line = 1 + next(i for i, s in enumerate(base.splitlines()) if 'E: {start: "16:00"' in s)
    assert (p.file, p.line, p.key) == (str(tmp_path / "base.yaml"), line, "desk.shifts.E.end")


def test_a_key_brought_in_by_a_merge_key_is_located_at_its_mapping(tmp_path, capsys):
    """Fuzzing (tox -e fuzz): `<<: {kind: routing}` in a case file gave KeyError in locate (exit 3)."""
    from wenzheng.cli import main

    f = tmp_path / "case.yaml"
    f.write_text("post:\n  text: 小区垃圾好几天没人清运了\n  place: 城北\n  at: '2014-05-14T10:05:00+08:00'\n"
                 "<<: {kind: routing}\n", encoding="utf-8")
    assert main(["explain", str(f), "--rules", str(ROOT / "rules")]) == 2
    err = capsys.readouterr().err
    assert f"{f}:1:1: unknown key 'kind'" in err and "Traceback" not in err
