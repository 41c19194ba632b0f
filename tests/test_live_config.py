"""Live configuration (live/config.py) and ``wenzheng serve``'s errors: file, environment, exit 2 naming the
file, line and key; secrets never shown."""

from __future__ import annotations

import pytest

from engine.errors import SourceError
from live.config import DEFAULT_DB, load_config
from tests.test_live_support import RULES
from wenzheng.cli import main


def test_defaults_with_nothing_set():
    c = load_config(None, environ={})
    assert (c.wechat_token, c.weibo_secret, c.db, c.max_body, c.stale_seconds) == (None, None, DEFAULT_DB, 65536, 300)


def test_yaml_then_environment_then_command_line(tmp_path):
    f = tmp_path / "live.yaml"
    f.write_text("wechat_token: from-file\nstale_seconds: 60\ndb: sqlite:///file.db\n", encoding="utf-8")
    c = load_config(f, environ={"WENZHENG_STALE_SECONDS": "90", "WENZHENG_WEIBO_SECRET": "env-secret"},
                    db="sqlite:///cli.db")
    assert c.wechat_token is not None and c.wechat_token.get_secret_value() == "from-file"
    assert c.weibo_secret is not None and c.weibo_secret.get_secret_value() == "env-secret"
    assert (c.stale_seconds, c.db) == (90, "sqlite:///cli.db")
    assert "from-file" not in repr(c) and "env-secret" not in str(c)  # secrets are not printed


def test_toml(tmp_path):
    f = tmp_path / "live.toml"
    f.write_text('wechat_token = "t"\nmax_body = 2048\n', encoding="utf-8")
    assert load_config(f, environ={}).max_body == 2048


@pytest.mark.parametrize("name, text, line, key", [
    ("a.yaml", "wechat_token: t\n\nmax_body: 12\n", 3, "max_body"),
    ("b.yaml", "wechat_token: t\nwechat_tokn: x\n", 2, "wechat_tokn"),
    ("c.toml", 'wechat_token = "t"\nstale_seconds = "soon"\n', 2, "stale_seconds"),
])
def test_a_bad_setting_names_file_line_and_key(tmp_path, name, text, line, key):
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    with pytest.raises(SourceError) as e:
        load_config(f, environ={})
    assert (e.value.file, e.value.line, e.value.key) == (str(f), line, key)


def test_a_bad_environment_variable_is_named():
    with pytest.raises(SourceError) as e:
        load_config(None, environ={"WENZHENG_MAX_BODY": "lots"})
    assert (e.value.file, e.value.key) == ("environment", "WENZHENG_MAX_BODY")


def test_broken_syntax_names_the_line(tmp_path):
    f = tmp_path / "x.yaml"
    f.write_text("wechat_token: t\nmax_body: [1\n", encoding="utf-8")
    with pytest.raises(SourceError) as e:
        load_config(f, environ={})
    assert e.value.file == str(f) and e.value.line is not None and e.value.line >= 2


def test_serve_exits_2_on_bad_config_without_a_traceback(tmp_path, capsys):
    f = tmp_path / "live.yaml"
    f.write_text("wechat_token: t\nmax_body: 12\n", encoding="utf-8")
    assert main(["serve", "--rules", str(RULES), "--config", str(f)]) == 2
    err = capsys.readouterr().err
    assert f"{f}:2" in err and "max_body" in err and "Traceback" not in err


def test_serve_exits_2_on_an_unusable_database_url(tmp_path, capsys):
    assert main(["serve", "--rules", str(RULES), "--db", "nosuchdb://x"]) == 2
    err = capsys.readouterr().err
    assert "nosuchdb://x" in err and "db" in err and "Traceback" not in err


def test_serve_exits_2_on_an_unknown_default_place(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("WENZHENG_DEFAULT_PLACE", "回龙关")
    assert main(["serve", "--rules", str(RULES), "--db", f"sqlite:///{tmp_path / 'x.db'}"]) == 2
    err = capsys.readouterr().err
    assert "default_place" in err and "回龙关" in err and "Traceback" not in err
