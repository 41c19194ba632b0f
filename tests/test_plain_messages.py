"""Messages a new user met in English inside Chinese, or with the wrong reason (session 7's trial): each says
what is wrong in the user's language, exit 2, nothing written or changed."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from live.loadtest import free_port
from tests.test_live_support import RULES
from wenzheng.cli import main

SHORT = str(Path(__file__).resolve().parent.parent / "scenarios" / "changping-2014.yaml")


def _tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("lang, words", [("zh", "路径为空"), ("en", "empty path")])
def test_an_empty_out_is_refused_in_the_users_language(tmp_path, monkeypatch, capsys, lang, words):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WENZHENG_LANG", lang)
    assert main(["run", SHORT, "--out", "", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("lang, file_words, missing_words", [
    ("zh", "这是文件，不是规则文件夹", "规则目录不存在"),
    ("en", "is a file, not a rules folder", "rules directory not found")])
def test_lint_of_a_file_says_it_is_a_file_not_that_it_is_missing(tmp_path, monkeypatch, capsys, lang, file_words,
                                                               missing_words):
    monkeypatch.setenv("WENZHENG_LANG", lang)
    f = tmp_path / "README.md"
    f.write_text("# notes\n", encoding="utf-8")
    assert main(["lint", str(f)]) == 2
    said = "".join(capsys.readouterr())  # lint's problems on stdout, its count on stderr
    assert file_words in said and missing_words not in said
    assert main(["lint", str(tmp_path / "nope")]) == 2
    said = "".join(capsys.readouterr())
    assert missing_words in said and file_words not in said


def test_serve_on_a_folder_says_it_is_a_folder_and_writes_nothing_in_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WENZHENG_LANG", "zh")
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "mine.txt").write_text("keep\n", encoding="utf-8")
    before = _tree(folder)
    assert main(["serve", "--port", str(free_port()), "--rules", str(RULES), "--db", f"sqlite:///{folder}"]) == 2
    err = capsys.readouterr().err
    assert "这是文件夹，不是数据库文件" in err and "disk I/O" not in err and "Traceback" not in err
    assert _tree(folder) == before


def test_serve_on_a_text_file_says_in_chinese_that_it_is_not_a_database(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WENZHENG_LANG", "zh")
    f = tmp_path / "notes.db"
    f.write_text("these are my notes, not a database\n" * 50, encoding="utf-8")
    before = _tree(tmp_path)
    assert main(["serve", "--port", str(free_port()), "--rules", str(RULES), "--db", f"sqlite:///{f}"]) == 2
    err = capsys.readouterr().err
    assert "文件内容不是数据库" in err and "file is not a database" not in err
    assert _tree(tmp_path) == before


@pytest.mark.parametrize("lang, words", [("zh", "不认识的数据库地址"), ("en", "not a database URL wenzheng knows")])
def test_serve_with_an_unknown_url_scheme_says_what_to_write(monkeypatch, capsys, lang, words):
    monkeypatch.setenv("WENZHENG_LANG", lang)
    assert main(["serve", "--port", str(free_port()), "--rules", str(RULES), "--db", "foo://bar"]) == 2
    err = capsys.readouterr().err
    assert words in err and "sqlite:///" in err and "postgresql+psycopg://" in err and "Can't load plugin" not in err


def test_the_stores_errno_probe_removes_only_what_it_created(tmp_path):
    """live.store._file_reason probes a file SQLite could not open by opening it and creating a file beside
    it: in a folder where both work it answers SQLite's own words and leaves the folder as it was."""
    from live.store import _file_reason

    new = tmp_path / "new.db"
    assert _file_reason(str(new), "unable to open database file") == "unable to open database file"
    assert list(tmp_path.iterdir()) == []  # the file it made and its probe: both gone
    mine = tmp_path / "mine.db"
    mine.write_bytes(b"my bytes")
    before = _tree(tmp_path)
    assert _file_reason(str(mine), "detail") == "detail"
    assert _tree(tmp_path) == before  # the user's file kept, byte for byte, and nothing beside it
