"""The live store on SQLite and PostgreSQL (live/store.py): SQLite's durability settings, refusing a database
that is not a wenzheng store without touching it, intake counts that stay exact across two services and
inside the post's transaction, and the throwaway PostgreSQL cluster's own refusal to be skipped silently."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from engine.errors import SourceError
from live import store
from live.clock import FakeClock
from live.loadtest import free_port
from tests import live_pg
from tests.test_live_support import RULES, T0, open_service, table, wechat_xml
from wenzheng.cli import main

COMPLAINT = "回龙观龙泽苑小区群租房太多，晚上很吵，希望有关部门管一管"


def test_sqlite_connections_are_wal_normal_with_a_busy_timeout_and_foreign_keys(tmp_path):
    db = store.open_db(f"sqlite:///{tmp_path / 's.db'}")
    with db.connect() as conn:
        got = {p: conn.execute(text(f"PRAGMA {p}")).scalar()
               for p in ("journal_mode", "synchronous", "busy_timeout", "foreign_keys")}
    db.dispose()
    # SQLite's codes: synchronous NORMAL = 1; the journal mode is a property of the file, so a fresh
    # connection of the plain sqlite3 module sees WAL too
    assert got == {"journal_mode": "wal", "synchronous": 1, "busy_timeout": store.BUSY_TIMEOUT_MS, "foreign_keys": 1}
    with sqlite3.connect(tmp_path / "s.db") as plain:
        assert plain.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def _fingerprint(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("make", ["other-app", "not-sqlite", "extra-table"])
def test_serve_refuses_a_sqlite_file_that_is_not_a_store_and_leaves_it_untouched(tmp_path, capsys, make):
    folder = tmp_path / "data"
    folder.mkdir()
    f = folder / "notes.db"
    if make == "not-sqlite":
        f.write_text("these are my notes, not a database\n" * 50, encoding="utf-8")
    else:
        with sqlite3.connect(f) as conn:
            conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
            conn.execute("INSERT INTO notes (body) VALUES ('keep me')")
            if make == "extra-table":
                conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        conn.close()
    before = _fingerprint(folder)
    assert main(["serve", "--port", str(free_port()), "--rules", str(RULES), "--db", f"sqlite:///{f}"]) == 2
    err = capsys.readouterr().err
    assert str(f) in err and "not a wenzheng live store" in err and "Traceback" not in err
    assert _fingerprint(folder) == before  # same bytes, and no -wal / -shm / journal file beside it


def test_a_store_opens_again_and_an_empty_file_becomes_one(tmp_path):
    f = tmp_path / "empty.db"
    f.touch()
    s = open_service(tmp_path, FakeClock(T0), name="empty.db")
    s.intake("wechat", wechat_xml(1, COMPLAINT))
    s.close()
    s = open_service(tmp_path, FakeClock(T0), name="empty.db")  # its own store: accepted again
    assert "wechat-1" in s.engine.cases
    s.close()


def test_a_postgresql_database_of_another_application_is_refused(pg_cluster):
    import psycopg

    name = "someone_elses"
    url = pg_cluster.create(name)
    try:
        with psycopg.connect(host="127.0.0.1", port=pg_cluster.port, user="postgres", dbname=name,
                             autocommit=True) as conn:
            conn.execute("CREATE TABLE invoices (id serial PRIMARY KEY, total numeric)")
        with pytest.raises(SourceError) as e:
            open_service(lambda _name: url, FakeClock(T0))
        assert e.value.problems[0].key == "db" and "invoices" in e.value.problems[0].message
        with psycopg.connect(host="127.0.0.1", port=pg_cluster.port, user="postgres", dbname=name) as conn:
            tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        assert tables == {"invoices"}  # nothing created
    finally:
        pg_cluster.drop(name)


def test_postgresql_url_through_serve_options(pg_cluster, tmp_path):
    # the URL form the documentation gives works end to end: migrate, store, reopen
    name = "serve_url"
    url = pg_cluster.create(name)
    try:
        s = open_service(lambda _name: url, FakeClock(T0))
        assert s.db.dialect.name == "postgresql"
        assert s.intake("wechat", wechat_xml(11, COMPLAINT)).status == 200
        s.close()
        s = open_service(lambda _name: url, FakeClock(T0))
        assert list(s.engine.cases) == ["wechat-11"]
        assert [r.version_num for r in table(s, "alembic_version")] == [_head()]
        s.close()
    finally:
        pg_cluster.drop(name)


def test_an_accepted_post_is_counted_in_its_own_transaction(live_dbs, monkeypatch):
    # the count and the post commit together: a failure while counting stores neither, so "accepted" always
    # equals the posts stored (a count in a transaction of its own would leave the post stored, uncounted)
    s = open_service(live_dbs, FakeClock(T0))
    real = s._count

    def count_fails_once(channel, reason, conn=None):
        if reason == "accepted" and not calls:
            calls.append(reason)
            raise RuntimeError("connection lost")
        return real(channel, reason, conn)

    calls: list[str] = []
    monkeypatch.setattr(s, "_count", count_fails_once)
    with pytest.raises(RuntimeError):
        s.intake("wechat", wechat_xml(6, COMPLAINT))
    assert s.counts() == {} and table(s, "posts") == [] and "wechat-6" not in s.engine.cases
    assert s.intake("wechat", wechat_xml(6, COMPLAINT)).status == 200  # WeChat's retry: now stored, once
    assert s.counts() == {"wechat": {"accepted": 1}} and len(table(s, "posts")) == 1
    s.close()


def test_two_services_on_one_store_count_every_request(live_dbs):
    # two services (as two processes would) counting into one row: an upsert each, none lost
    a, b = open_service(live_dbs, FakeClock(T0)), open_service(live_dbs, FakeClock(T0))
    for i in range(10):
        (a if i % 2 else b).refuse("wechat", "bad-signature")
    a.intake("wechat", wechat_xml(21, COMPLAINT))
    b.intake("wechat", wechat_xml(21, COMPLAINT))
    b.intake("wechat", wechat_xml(22, COMPLAINT))
    assert a.counts() == b.counts() == {"wechat": {"bad-signature": 10, "accepted": 2, "retry": 1}}
    a.close()
    b.close()


def test_without_postgresql_the_tests_fail_saying_what_to_install(monkeypatch):
    monkeypatch.delenv(live_pg.NO_PG, raising=False)
    monkeypatch.setattr(live_pg, "find_pg_bin", lambda: None)
    with pytest.raises(pytest.fail.Exception) as e:
        live_pg.require_pg_bin()
    assert "postgresql" in str(e.value) and "apt-get install" in str(e.value)
    monkeypatch.setenv(live_pg.NO_PG, "1")  # skipped only when asked for by name
    with pytest.raises(pytest.skip.Exception):
        live_pg.require_pg_bin()


def test_the_postgresql_cluster_does_not_run_as_root(pg_cluster):
    import psycopg

    with psycopg.connect(host="127.0.0.1", port=pg_cluster.port, user="postgres", dbname="postgres") as conn:
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]  # type: ignore[index]
        uid = Path(f"/proc/{pid}").stat().st_uid  # while the connection (its server process) lives
    assert uid != 0


def _head() -> str:
    """The newest revision in live/migrations (the store is brought to it at start-up)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(store.__file__).parent / "migrations"))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    assert head is not None
    return head


# --- a store that cannot be opened: exit 2, the key db, the URL without its password, no traceback (finding 3, 4)

def _serve_error(capsys, url: str, lang: str = "zh") -> str:
    assert main(["serve", "--port", str(free_port()), "--rules", str(RULES), "--db", url, "--lang", lang]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "内部错误" not in err
    return err


def test_a_sqlite_file_in_a_folder_that_does_not_exist(tmp_path, capsys):
    missing = tmp_path / "nowhere" / "deeper"
    err = _serve_error(capsys, f"sqlite:///{missing / 'x.db'}")
    assert "无法打开数据库" in err and f"文件夹 {missing} 不存在" in err and "（键：db）" in err
    assert not missing.exists()


def test_a_sqlite_file_where_nothing_can_be_created(tmp_path, capsys):
    # /proc refuses new files even to root (the tests may run as root, for whom chmod does not stop a write)
    err = _serve_error(capsys, "sqlite:////proc/wenzheng-live.db", lang="en")
    assert "cannot open the database: cannot create or write the file /proc/wenzheng-live.db" in err
    assert "(at key: db)" in err
    a_file = tmp_path / "plain.txt"
    a_file.write_text("x", encoding="utf-8")
    err = _serve_error(capsys, f"sqlite:///{a_file / 'x.db'}")
    assert f"{a_file} 不是文件夹" in err and a_file.read_text(encoding="utf-8") == "x"


def test_a_postgresql_database_that_does_not_exist(pg_cluster, capsys):
    url = pg_cluster.url("no_such_database").replace("postgres@", "postgres:s3cret-pw@")
    err = _serve_error(capsys, url)
    assert "数据库 no_such_database 不存在" in err and "createdb no_such_database" in err and "（键：db）" in err
    assert "s3cret-pw" not in err and "postgres:***@" in err


def test_a_postgresql_login_that_is_refused(pg_cluster, capsys):
    url = pg_cluster.url().replace("postgres@", "nobody:s3cret-pw@")  # no such role in the cluster
    err = _serve_error(capsys, url)
    assert "拒绝了用户 nobody 的登录" in err and "s3cret-pw" not in err and "（键：db）" in err


def test_a_postgresql_server_that_does_not_answer(capsys):
    port = live_pg.free_port()  # nobody listens there
    err = _serve_error(capsys, f"postgresql+psycopg://wenzheng:s3cret-pw@127.0.0.1:{port}/wenzheng")
    assert f"无法连接 127.0.0.1:{port} 上的数据库服务器" in err and "s3cret-pw" not in err and "（键：db）" in err


def test_a_postgresql_server_that_never_answers_is_given_up_after_the_timeout(capsys, monkeypatch):
    import socket
    import time

    monkeypatch.setattr(store, "CONNECT_TIMEOUT", 1)
    with socket.socket() as silent:  # accepts the TCP connection (the kernel does), never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        began = time.monotonic()
        err = _serve_error(capsys, f"postgresql+psycopg://wenzheng@127.0.0.1:{port}/wenzheng")
        took = time.monotonic() - began
    assert f"无法连接 127.0.0.1:{port} 上的数据库服务器" in err and "最多等 1 秒" in err
    assert took < 8  # without a timeout libpq waits for ever
