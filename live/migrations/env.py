"""Alembic environment of the live store: runs on the connection ``live.store.migrate`` passes in, or on
``sqlalchemy.url`` when run from the ``alembic`` command line."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from live.store import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


_conn = config.attributes.get("connection")
if _conn is not None:
    _run(_conn)
else:
    with create_engine(config.get_main_option("sqlalchemy.url") or "").begin() as _c:
        _run(_c)
