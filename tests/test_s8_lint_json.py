"""``wenzheng lint --format json`` carries the same "did you mean" suggestion the text output shows.

The oracle is the text output itself: for every problem, the JSON ``suggestion`` is the word the text line
quotes after "did you mean", and null exactly when the text has none; the JSON ``message`` never has it
inside.  A malformed duration's unit ("2 hous") used to say "did you mean 'hours'?" only inside its message,
with ``suggestion: null``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from wenzheng.cli import main

# (file, text in the shipped rules, replacement, the suggestion a reader would give)
MISTAKES = [
    ("deadlines.yaml", "within: 2 hours", "within: 2 hous", "hours"),
    ("deadlines.yaml", "within: 5 working days", "within: 5 workin days", "working days"),
    ("routing.yaml", "then: {unit: 园林绿化局}", "then: {unit: 园林绿化}", "园林绿化局"),
    ("routing.yaml", "when: {category: 园林绿化}", "when: {categroy: 园林绿化}", "category"),
    ("hot.yaml", "hit_policy: first", "hit_policy: frist", "first"),
    ("escalation.yaml", "    then: {remind: true}\n  - id: reply-overdue",
     "    then: {remind: true}\n    priorty: 3\n  - id: reply-overdue", "priority"),
]

_MEAN = {"en": re.compile(r"; did you mean '([^']*)'\?$"), "zh": re.compile(r"；是否想写「([^」]*)」？$")}


def _lint(rules: Path, capsys, *args: str) -> str:
    assert main(["lint", str(rules), *args]) == 1
    return capsys.readouterr().out


def _check(rules: Path, capsys, lang: str) -> list[str | None]:
    text = _lint(rules, capsys).splitlines()
    doc = json.loads(_lint(rules, capsys, "--format", "json"))
    assert len(doc["problems"]) == len(text)
    found = []
    for line, p in zip(text, doc["problems"], strict=True):
        assert line.startswith(f"{p['file']}:{p['line']}:")
        m = _MEAN[lang].search(line)
        assert p["suggestion"] == (m.group(1) if m else None), line
        if m:
            assert "did you mean" not in p["message"] and "是否想写" not in p["message"]
        found.append(p["suggestion"])
    return found


@pytest.mark.parametrize("file,old,new,meant", MISTAKES, ids=[m[2] for m in MISTAKES])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_json_suggestion_is_the_texts(rules_copy, capsys, monkeypatch, file, old, new, meant, lang):
    monkeypatch.setenv("WENZHENG_LANG", lang)
    f = rules_copy / file
    text = f.read_text(encoding="utf-8")
    assert old in text
    f.write_text(text.replace(old, new, 1), encoding="utf-8")
    assert meant in _check(rules_copy, capsys, lang)


def test_all_mistakes_at_once(rules_copy, capsys):
    mistakes = [m for m in MISTAKES if m[3] != "category"]  # a rule that does not load is not checked for units
    for file, old, new, _ in mistakes:
        f = rules_copy / file
        f.write_text(f.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    found = _check(rules_copy, capsys, "en")
    assert {m[3] for m in mistakes} <= set(found)


def test_duration_error_still_says_it_on_its_own():
    """Outside a rule file (``wenzheng deadline --within``) the error's own text keeps the suggestion."""
    from engine import DurationError, parse_duration

    with pytest.raises(DurationError) as info:
        parse_duration("2 hous")
    assert info.value.suggestion == "hours" and str(info.value).endswith("; did you mean 'hours'?")
    assert "did you mean" not in info.value.message
