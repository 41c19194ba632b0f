"""Fuzz: case files for ``explain`` (a post and later events), in process and through the CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from engine.explain import ExplainInput, explain_case
from tests.fuzz.harness import RULES, bounded, fuzz_settings, run_cli, scratch
from tests.fuzz.targets import shipped_policy
from tests.fuzz.yamlmut import HOSTILE_TEXT, dump, hostile_values, mutated_text, mutated_tree

PLACES = ["回龙观", "天通苑北", "城北", "十三陵", "南口", "霍营"]
EVENT_TYPES = ["reposts_updated", "follow_up_posted", "statement_issued", "reply_filed", "deadline_reached"]
REPLY_KINDS = ["立行立改", "近期解决", "条件不具备", "不符合法规"]

offsets = st.sampled_from([timezone(timedelta(hours=8)), UTC, timezone(timedelta(hours=-12)),
                           timezone(timedelta(hours=14)), timezone(timedelta(hours=5, minutes=45))])
# mostly inside the calendar's data (2004-2026), sometimes far outside it
instants = st.one_of(
    st.datetimes(min_value=datetime(2013, 12, 20), max_value=datetime(2015, 1, 10), timezones=offsets),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=offsets),
)
at_values = st.one_of(instants.map(lambda d: d.isoformat()), st.sampled_from(HOSTILE_TEXT), hostile_values)


@st.composite
def case(draw):
    post = {"text": draw(st.one_of(st.sampled_from(["小区垃圾好几天没人清运了", "暖气一直不热", "工地夜间施工噪音太大",
                                                    "天通苑北一区地下室住人，群租隔断间失火"]),
                                   st.text(min_size=1, max_size=50))),
            "place": draw(st.one_of(st.sampled_from(PLACES), st.sampled_from(HOSTILE_TEXT))),
            "at": draw(at_values)}
    if draw(st.booleans()):
        post["reposts"] = draw(st.one_of(st.integers(0, 5000), st.sampled_from([2**63, -1, 10**30])))
    if draw(st.booleans()):
        post["channel"] = draw(st.sampled_from(["weibo", "wechat", "sms", ""]))
    events = []
    for _ in range(draw(st.integers(0, 5))):
        ev = {"type": draw(st.one_of(st.sampled_from(EVENT_TYPES), st.sampled_from(["post_received", "", "x"]))),
              "at": draw(at_values)}
        if draw(st.booleans()):
            ev["reposts"] = draw(st.one_of(st.integers(0, 3000), st.sampled_from([-5, 2**64])))
        if draw(st.booleans()):
            ev["reply_kind"] = draw(st.one_of(st.sampled_from(REPLY_KINDS), st.text(max_size=4)))
        if draw(st.booleans()):
            ev["deadline"] = draw(st.sampled_from(["reply", "external_statement", "nope"]))
        if draw(st.booleans()):
            ev["reminder"] = draw(st.booleans())
        events.append(ev)
    data = {"post": post, "events": events}
    if draw(st.integers(0, 4)) == 0:  # and then structural damage
        data = draw(mutated_tree(data, max_ops=2))
    return data


def _aware_valid(data):
    try:
        return ExplainInput.model_validate(data)
    except Exception:
        return None


@fuzz_settings("explain")
@given(data=case())
def test_fuzz_explain_cases(data):
    policy = shipped_policy()
    request = _aware_valid(data)
    if request is None:
        return
    result, _ = bounded(lambda: explain_case(policy, request))
    if result is not None:
        steps = result["steps"]
        assert len(steps) == 1 + len(request.events)
        # one post: at most one route decision (the shipped routing table's hit policy is "first")
        routes = [e for e in json.loads(json.dumps(steps[0], default=str)).get("effects", [])
                  if isinstance(e, dict) and e.get("type") == "route"]
        assert len(routes) <= 1, routes


@fuzz_settings("explain_cli")
@given(data=case(), as_json=st.booleans(), lang=st.sampled_from(["zh", "en"]),
       fmt=st.sampled_from(["text", "json"]))
def test_fuzz_explain_case_files(tmp_path, data, as_json, lang, fmt):
    """Case files through ``wenzheng explain``: exit 0 or 2, never a traceback."""
    with scratch(tmp_path) as d:
        text = json.dumps(data, ensure_ascii=False, default=str) if as_json else dump(data)
        raw = text.encode("utf-8")
        path = d / ("case.json" if as_json else "case.yaml")
        path.write_bytes(raw)
        code, out, _ = run_cli(["explain", str(path), "--rules", str(RULES), "--lang", lang, "--format", fmt], d)
        assert code in (0, 2)
        if code == 0 and fmt == "json":
            assert "steps" in json.loads(out)


@fuzz_settings("explain_cli")
@given(raw=mutated_text("post:\n  text: 小区垃圾好几天没人清运了\n  place: 城北\n  at: '2014-05-14T10:05:00+08:00'\n"
                        "events:\n- {type: reply_filed, reply_kind: 立行立改, at: '2014-05-16T11:00:00+08:00'}\n"),
       stdin=st.booleans())
def test_fuzz_explain_damaged_text(tmp_path, raw, stdin):
    with scratch(tmp_path) as d:
        if stdin:
            text = raw.decode("utf-8", "replace")
            run_cli(["explain", "-", "--rules", str(RULES)], d, stdin=text)
        else:
            (d / "case.yaml").write_bytes(raw)
            run_cli(["explain", str(d / "case.yaml"), "--rules", str(RULES)], d)
