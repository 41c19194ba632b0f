"""The live service's store: SQLAlchemy Core tables, created by the Alembic migration in ``live/migrations``.

* ``events``: append-only, one row per event handled (a post opening a case, a deadline going off) with the
  engine's decision, every effect carrying its trace (rule id, file:line, inputs).
* ``cases``: the current state of each case (what ``engine.CaseState`` holds), rewritten in the same
  transaction as the event that changed it; the service rebuilds the engine's memory from it at start-up.
* ``deadlines``: one row per clock (case, kind, reminder flag), unique, with its due time and when it fired.
* ``posts``: each accepted platform message by id with the answer it got, so a retried delivery gets the
  same answer and stores nothing twice.
* ``intake_counts``: accepted and refused requests by reason.
* ``idempotency_keys``: per role and ``Idempotency-Key``, the action taken, its case or post, a hash of its
  body and the answer sent, written in the action's own transaction, so a repeat gets the same answer and
  acts no second time (revision 0004).

Times are stored as UTC text of one fixed width (``2014-05-14T02:05:00.000000Z``) so that text order is time
order on every database.
"""

from __future__ import annotations

import json
import re
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    inspect,
    make_url,
)
from sqlalchemy.exc import ArgumentError, InterfaceError, NoSuchModuleError, OperationalError

from engine.engine import CaseState
from engine.errors import Problem, SourceError
from engine.messages import os_reason, os_text
from engine.models import SetDeadline

from .messages import t

__all__ = ["metadata", "events", "cases", "deadlines", "posts", "intake_counts", "meta", "idempotency_keys",
           "stamp", "unstamp",
           "dump_case", "load_case", "open_db", "migrate"]

metadata = MetaData()

events = Table(
    "events", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("case_id", String(80), index=True),
    Column("kind", String(32), nullable=False),
    Column("at", String(32), nullable=False),  # the event's time (a deadline's: its due time)
    Column("recorded_at", String(32), nullable=False),  # the service clock when it was handled
    Column("event", Text, nullable=False),  # the event as JSON
    Column("decision", Text),  # the engine's decision as JSON, effects with traces (None: no case opened)
)

cases = Table(
    "cases", metadata,
    Column("case_id", String(80), primary_key=True),
    Column("post_id", String(80), nullable=False),
    Column("unit", String(80), nullable=False),
    Column("category", String(80), nullable=False),
    Column("hot", Boolean, nullable=False),
    Column("opened_at", String(32), nullable=False),
    Column("updated_at", String(32), nullable=False),
    Column("state", Text, nullable=False),  # CaseState as JSON
    # revision 0003: the desk's confirmation of the form, the date a 近期解决 reply promised (YYYY-MM-DD)
    Column("confirmed_at", String(32)),
    Column("promise_due", String(10)),
)

deadlines = Table(
    "deadlines", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", String(80), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("reminder", Boolean, nullable=False),
    Column("due", String(32), nullable=False, index=True),
    Column("fired_at", String(32)),
    UniqueConstraint("case_id", "kind", "reminder", name="uq_deadline_clock"),
)

posts = Table(
    "posts", metadata,
    Column("post_id", String(80), primary_key=True),
    Column("channel", String(16), nullable=False),
    Column("case_id", String(80)),  # None: not located, waits for the desk
    Column("received_at", String(32), nullable=False),
    Column("answer", Text, nullable=False),
    Column("media_type", String(64), nullable=False),
)

#: settings the store keeps across restarts (``clock``: start, speed and anchor of an accelerated clock)
meta = Table(
    "meta", metadata,
    Column("key", String(32), primary_key=True),
    Column("value", Text, nullable=False),
)

intake_counts = Table(
    "intake_counts", metadata,
    Column("channel", String(16), primary_key=True),
    Column("reason", String(32), primary_key=True),
    Column("n", Integer, nullable=False),
)


#: one row per (role, Idempotency-Key) of an action that was taken (revision 0004); kept at least 24 hours of
#: the service's clock (today: never pruned)
idempotency_keys = Table(
    "idempotency_keys", metadata,
    Column("role", String(120), primary_key=True),  # Role.name: desk, supervisor, unit:<单位>
    Column("key", String(64), primary_key=True),  # printable ASCII, 1 to 64 characters
    Column("action", String(32), nullable=False),  # confirm, reroute, statement, reply, reposts, follow_up, locate
    Column("target", String(80), nullable=False),  # the case id (locate: the post id)
    Column("body_sha256", String(64), nullable=False),  # hex SHA-256 of the body as canonical JSON
    Column("status", Integer, nullable=False),
    Column("answer", Text, nullable=False),  # the answer's body, exactly as sent
    Column("created_at", String(32), nullable=False, index=True),  # the service clock when it was taken
)


def stamp(when: datetime) -> str:
    """A timezone-aware time as fixed-width UTC text (text order is time order)."""
    if when.tzinfo is None:
        raise ValueError("naive datetime")
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def unstamp(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")


_TIMES = ("opened_at", "replied_at", "statement_at")


def dump_case(case: CaseState) -> str:
    out: dict[str, Any] = {}
    for f in fields(CaseState):
        value = getattr(case, f.name)
        if f.name == "deadlines":
            value = {k: v.model_dump(mode="json") for k, v in value.items()}
        elif isinstance(value, datetime):
            value = value.isoformat()
        out[f.name] = value
    return json.dumps(out, ensure_ascii=False, sort_keys=True)


def load_case(text: str) -> CaseState:
    data = json.loads(text)
    for name in _TIMES:
        if data.get(name) is not None:
            data[name] = datetime.fromisoformat(data[name])
    data["deadlines"] = {k: SetDeadline.model_validate(v) for k, v in data.get("deadlines", {}).items()}
    return CaseState(**data)


#: tables a wenzheng store may hold besides its own (Alembic's revision; SQLite's bookkeeping)
_OTHER_TABLES = {"alembic_version", "sqlite_sequence", "sqlite_stat1", "sqlite_stat4"}


def open_db(url: str) -> Engine:
    """A SQLAlchemy engine for ``url``; a URL SQLAlchemy cannot use is a user error naming the key ``db``.

    A SQLite file that exists but is not a wenzheng store is refused before anything touches it.  Every
    SQLite connection runs in WAL mode with ``synchronous=NORMAL``: a commit is in the write-ahead log before
    it returns, so a killed process (``kill -9``, a crash) loses nothing it committed; only a power loss or an
    operating-system crash can lose the last commits (the database itself stays consistent).  Also a busy
    timeout (another connection holding the write lock is waited for, not an error) and foreign keys on.
    """
    try:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            _check_sqlite_file(parsed.database)
        connect_args: dict[str, Any] = {}
        if parsed.get_backend_name() == "postgresql" and "connect_timeout" not in parsed.query:
            # a server that does not answer (a firewall dropping packets) is an error after this long, not a hang
            connect_args["connect_timeout"] = CONNECT_TIMEOUT
        db = create_engine(url, future=True, connect_args=connect_args)
    except NoSuchModuleError:  # a scheme SQLAlchemy has no dialect for
        raise SourceError([Problem("--db", None, None, t("store.bad_scheme", url=repr(url)), key="db",
                                   code="config")]) from None
    except (ArgumentError, ImportError, ValueError) as exc:
        raise SourceError([Problem("--db", None, None, f"{url!r}: {exc}", key="db", code="config")]) from None
    if db.dialect.name == "sqlite":
        event.listen(db, "connect", _sqlite_pragmas)
    return db


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    try:
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", f"busy_timeout={BUSY_TIMEOUT_MS}",
                       "foreign_keys=ON"):
            cur.execute(f"PRAGMA {pragma}")
    finally:
        cur.close()


#: how long opening a connection to a database server may take, seconds
CONNECT_TIMEOUT = 10

#: how long a SQLite connection waits for another one's write lock before it gives up, milliseconds
BUSY_TIMEOUT_MS = 10_000


def _check_sqlite_file(database: str | None) -> None:
    """Refuse (exit 2, naming the file) an existing SQLite file that is not a wenzheng store: not a database
    at all, or tables without Alembic's revision table, or tables a store does not have.  Only reads."""
    import sqlite3
    from pathlib import Path

    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if path.is_dir():
        raise SourceError([Problem(str(path), None, None, t("store.is_folder"), key="db", code="config")])
    if not path.exists() or (path.is_file() and path.stat().st_size == 0):
        return
    reason = None
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        # SQLite's own words for a file that is not one of its databases, in the user's language
        text = str(exc)
        reason = t("store.not_sqlite", reason=t("store.sqlite_not_db") if text == "file is not a database" else text)
    except sqlite3.Error as exc:
        reason = t("store.not_sqlite", reason=str(exc))
    else:
        reason = _foreign(names)
    if reason is not None:
        raise SourceError([Problem(str(path), None, None, t("store.not_a_store", reason=reason),
                                   key="db", code="config")])


def _foreign(names: set[str]) -> str | None:
    """Why a database holding the tables ``names`` is not a wenzheng store (None: it is one, or empty)."""
    if not names:
        return None
    if "alembic_version" not in names:
        return t("store.no_revision", tables=", ".join(sorted(names)[:8]))
    unknown = sorted(names - set(metadata.tables) - _OTHER_TABLES)
    if unknown:
        return t("store.unknown_tables", tables=", ".join(unknown[:8]))
    return None


def migrate(db: Engine) -> None:
    """Bring the schema to the latest Alembic revision (creates it on an empty database)."""
    from pathlib import Path

    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    try:
        _upgrade(db, cfg)
    except (OperationalError, InterfaceError) as exc:  # the database cannot be reached, opened or written
        where = db.url.render_as_string(hide_password=True)
        raise SourceError([Problem(where, None, None, t("store.cannot_open", reason=_why(db, exc)),
                                   key="db", code="config")]) from None


def _why(db: Engine, exc: OperationalError | InterfaceError) -> str:
    """Why the store cannot be opened, in the user's words: a folder, a database, a login, a server."""
    from pathlib import Path

    orig = getattr(exc, "orig", None) or exc
    detail = (str(orig).strip().splitlines() or ["-"])[0].strip()
    url = db.url
    if db.dialect.name == "sqlite":
        if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
            folder = Path(url.database).absolute().parent
            if not folder.exists():
                return t("store.no_folder", folder=folder)
            if not folder.is_dir():
                return t("store.not_folder", folder=folder)
            return t("store.sqlite_unwritable", file=url.database, reason=_file_reason(url.database, detail))
        return detail
    # libpq gives no SQLSTATE for a refused connection: the server's own words (FATAL: …) tell what it was
    state = getattr(orig, "sqlstate", None)
    text = str(orig)
    if state == "3D000" or re.search(r'database ".*" does not exist', text):
        return t("store.no_database", name=url.database)
    if state in ("28P01", "28000") or re.search(
            r'role ".*" does not exist|password authentication failed|no pg_hba\.conf entry|authentication failed|'
            r"no password supplied", text):
        return t("store.login_refused", user=url.username or "-", reason=os_text(detail))
    if state is None and "FATAL" not in text:
        return t("store.no_server", host=url.host or "localhost", port=url.port or 5432, seconds=CONNECT_TIMEOUT,
                 reason=os_text(detail))  # libpq quotes the OS ("…: Connection refused")
    return t("store.server_refused", reason=os_text(detail))


def _file_reason(file: str, detail: str) -> str:
    """Why SQLite cannot open ``file``, as the OS says it in the user's language: SQLite itself only says
    "unable to open database file".  Probed by opening the file for writing, then creating a file beside it
    (the -wal and -shm files); what a probe creates is removed again.  SQLite's own words when both work."""
    import os
    import secrets

    existed = os.path.lexists(file)
    probe = os.path.join(os.path.dirname(os.path.abspath(file)), f".wenzheng-probe-{secrets.token_hex(4)}")
    # O_EXCL wherever the probe creates: it only ever removes a file it made itself
    mine = os.O_RDWR | os.O_CREAT | os.O_EXCL
    for path, flags in ((file, os.O_RDWR if existed else mine), (probe, mine)):
        try:
            fd = os.open(path, flags, 0o600)
        except OSError as exc:
            return os_reason(exc)
        os.close(fd)
        if path == probe or not existed:
            os.unlink(path)
    return detail


def _upgrade(db: Engine, cfg: Any) -> None:
    from alembic import command

    with db.begin() as conn:
        reason = _foreign(set(inspect(conn).get_table_names()))
        if reason is not None:  # e.g. a PostgreSQL database that holds another application's tables
            where = db.url.render_as_string(hide_password=True)
            raise SourceError([Problem(where, None, None, t("store.not_a_store", reason=reason),
                                       key="db", code="config")])
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
