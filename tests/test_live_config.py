"""Live configuration (live/config.py) and ``wenzheng serve``'s errors: file, environment, exit 2 naming the
file, line and key; secrets never shown."""

from __future__ import annotations

import pytest

from engine.errors import SourceError
from live.config import DEFAULT_DB, load_config
from live.loadtest import free_port
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
    assert main(["serve", "--port", str(free_port()), "--rules", str(RULES), "--config", str(f)]) == 2
    err = capsys.readouterr().err
    assert f"{f}:2" in err and "max_body" in err and "Traceback" not in err


def test_serve_exits_2_on_an_unusable_database_url(tmp_path, capsys):
    assert main(["serve", "--port", str(free_port()), "--rules", str(RULES), "--db", "nosuchdb://x"]) == 2
    err = capsys.readouterr().err
    assert "nosuchdb://x" in err and "db" in err and "Traceback" not in err


def test_serve_exits_2_on_an_unknown_default_place(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("WENZHENG_DEFAULT_PLACE", "回龙关")
    assert main(["serve", "--port", str(free_port()), "--rules", str(RULES), "--db", f"sqlite:///{tmp_path / 'x.db'}"]) == 2
    err = capsys.readouterr().err
    assert "environment: " in err and "WENZHENG_DEFAULT_PLACE" in err and "回龙关" in err and "Traceback" not in err


# --- nested keys and the service's own checks name the file and line (finding 10) ---------------------------

LONG = "a-token-of-twenty-chars"


@pytest.mark.parametrize("name, text, line", [
    ("nested.yaml", f"wechat_token: t\nunit_tokens:\n  城南街道: {LONG}-1\n  城北街道: shorttok\n", 4),
    ("flow.yaml", f"wechat_token: t\n\nunit_tokens: {{城南街道: {LONG}-1, 城北街道: shorttok}}\n", 3),
    ("table.toml", f'wechat_token = "t"\n\n[unit_tokens]\n"城南街道" = "{LONG}-1"\n"城北街道" = "shorttok"\n', 5),
    ("inline.toml", f'wechat_token = "t"\nunit_tokens = {{ "城南街道" = "{LONG}-1", "城北街道" = "shorttok" }}\n', 2),
    ("dotted.toml", f'wechat_token = "t"\nunit_tokens."城南街道" = "{LONG}-1"\n\nunit_tokens."城北街道" = "shorttok"\n', 4),
])
def test_a_nested_key_is_named_with_its_line(tmp_path, name, text, line):
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    with pytest.raises(SourceError) as e:
        load_config(f, environ={})
    assert (e.value.file, e.value.line, e.value.key) == (str(f), line, "unit_tokens.城北街道")


def test_a_nested_key_from_the_environment_names_the_variable():
    with pytest.raises(SourceError) as e:
        load_config(None, environ={"WENZHENG_UNIT_TOKENS": f"城南街道={LONG},城北街道=shorttok"})
    assert (e.value.file, e.value.line, e.value.key) == ("environment", None, "WENZHENG_UNIT_TOKENS")


def _serve_err(capsys, *args: str) -> str:
    assert main(["serve", "--port", str(free_port()), "--rules", str(RULES), "--lang", "zh", *args]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "config:" not in err
    return err


def test_an_unknown_unit_is_named_at_its_line_in_the_file(tmp_path, capsys):
    f = tmp_path / "live.yaml"
    f.write_text(f"wechat_token: t\nunit_tokens:\n  城北街道: {LONG}-1\n  火星街道: {LONG}-2\n", encoding="utf-8")
    err = _serve_err(capsys, "--config", str(f), "--db", f"sqlite:///{tmp_path / 'x.db'}")
    assert f"{f}:4: " in err and "「火星街道」" in err and "（键：unit_tokens.火星街道）" in err
    assert not (tmp_path / "x.db").exists()  # refused before the store is opened


def test_an_unknown_unit_from_the_environment_names_the_variable(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("WENZHENG_UNIT_TOKENS", f"火星街道={LONG}")
    err = _serve_err(capsys, "--db", f"sqlite:///{tmp_path / 'x.db'}")
    assert "environment: " in err and "「火星街道」" in err and "（键：WENZHENG_UNIT_TOKENS）" in err


def test_a_bad_default_place_is_named_at_its_line_in_a_toml_file(tmp_path, capsys):
    f = tmp_path / "live.toml"
    f.write_text('wechat_token = "t"\n\n# where unplaced posts go\ndefault_place = "回龙关"\n', encoding="utf-8")
    err = _serve_err(capsys, "--config", str(f), "--db", f"sqlite:///{tmp_path / 'x.db'}")
    assert f"{f}:4: " in err and "「回龙关」" in err and "（键：default_place）" in err


def test_a_changed_clock_is_named_at_its_line_in_the_file(tmp_path, capsys):
    from live.service import LiveService

    f = tmp_path / "live.toml"
    f.write_text('clock_start = 2014-04-01T00:00:00+08:00\nclock_speed = 100\n', encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'x.db'}"
    LiveService.open(RULES, load_config(f, environ={}, db=db)).close()  # the store keeps speed 100
    f.write_text('clock_start = 2014-04-01T00:00:00+08:00\n\nclock_speed = 200\n', encoding="utf-8")
    err = _serve_err(capsys, "--config", str(f), "--db", db)
    assert f"{f}:3: " in err and "倍速 100" in err and "倍速 200" in err and "（键：clock_speed）" in err


# --- pydantic's English in the words of the scenario files (finding 9, configuration) --------------------

@pytest.mark.parametrize("text, zh, en", [
    ("max_bodyy = 4096\n", "未知的键「max_bodyy」", "unknown key 'max_bodyy'"),
    ("clock_speed = 0\n", "「0」太小；应大于 0", "'0' is too small; it must be greater than 0"),
    ("clock_start = 2014-04-01\n", "「2014-04-01」不是带时区的日期时间；应写如 2014-09-30T16:00+08:00",
     "'2014-04-01' is not a date and time with a UTC offset"),
    ("clock_start = 2014-04-01T08:00:00\n", "不是带时区的日期时间", "is not a date and time with a UTC offset"),
    ('stale_seconds = "soon"\n', "「soon」不是整数", "'soon' is not a whole number"),
])
def test_pydantic_errors_are_in_the_service_language(tmp_path, text, zh, en):
    from engine.i18n import lang_scope

    f = tmp_path / "live.toml"
    f.write_text(text, encoding="utf-8")
    for lang, want in (("zh", zh), ("en", en)):
        with lang_scope(lang), pytest.raises(SourceError) as e:
            load_config(f, environ={})
        shown = str(e.value)
        assert want in shown and f"{f}:1" in shown
        assert "Input should" not in shown and "Extra inputs" not in shown


def test_an_unknown_key_suggests_the_close_one(tmp_path):
    f = tmp_path / "live.yaml"
    f.write_text("wechat_tokn: x\n", encoding="utf-8")
    with pytest.raises(SourceError) as e:
        load_config(f, environ={})
    assert e.value.problems[0].suggestion == "wechat_token" and "db, default_place" in e.value.problems[0].message


def test_a_time_without_offset_from_the_environment_suggests_one():
    from engine.i18n import lang_scope

    with lang_scope("zh"), pytest.raises(SourceError) as e:
        load_config(None, environ={"WENZHENG_CLOCK_START": "2014-04-01T00:00"})
    assert "没有时区" in str(e.value) and "2014-04-01T00:00+08:00" in str(e.value)


def test_a_store_with_an_accelerated_clock_is_not_restarted_at_real_time(tmp_path):
    from live.service import LiveService

    f = tmp_path / "live.toml"
    f.write_text('clock_start = 2014-04-01T00:00:00+08:00\nclock_speed = 100\n', encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'x.db'}"
    LiveService.open(RULES, load_config(f, environ={}, db=db)).close()
    f.write_text('wechat_token = "t"\n', encoding="utf-8")  # the clock settings left out: real time
    with pytest.raises(SourceError) as e:
        LiveService.open(RULES, load_config(f, environ={}, db=db))
    assert (e.value.file, e.value.line, e.value.key) == (str(f), None, "clock_speed")
    with pytest.raises(SourceError) as e:  # nor with no file at all: the variable that would set it is named
        LiveService.open(RULES, load_config(None, environ={}, db=db))
    assert (e.value.file, e.value.key) == ("environment", "WENZHENG_CLOCK_SPEED")


def test_where_the_settings_came_from_never_shows_a_secret(tmp_path):
    f = tmp_path / "live.yaml"
    f.write_text("wechat_token: the-wechat-secret-token\n", encoding="utf-8")
    c = load_config(f, environ={"WENZHENG_WEIBO_SECRET": "the-weibo-secret"})
    shown = repr(c) + str(c) + repr(c.origins)
    assert "the-wechat-secret-token" not in shown and "the-weibo-secret" not in shown
    assert c.origins.where("wechat_token") == (str(f), 1, "wechat_token")
    assert c.origins.where("weibo_secret") == ("environment", None, "WENZHENG_WEIBO_SECRET")
