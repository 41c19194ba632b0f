"""A throwaway PostgreSQL cluster for the live-service tests, and the ``live_dbs`` / ``live_db_url`` fixtures
that run a test once on SQLite and once on PostgreSQL (a pytest plugin module, loaded by tests/conftest.py).

The cluster is started once per test session in a temporary folder (``initdb``, trust authentication, TCP on
127.0.0.1 at a free port, ``pg_ctl -w start``) and removed at the end.  PostgreSQL refuses to run as root, and
CI runs as root: then every PostgreSQL program is run as the unprivileged ``postgres`` user (``runuser``);
otherwise as the current user.  Each test gets fresh databases (``CREATE DATABASE`` in that cluster).

Without PostgreSQL's programs the PostgreSQL half of these tests FAILS, saying what to install; it is never
skipped silently.  ``WENZHENG_TEST_NO_PG=1`` skips it on purpose (a machine where it cannot be installed).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from live.loadtest import free_port

__all__ = ["PgCluster", "find_pg_bin", "free_port", "require_pg_bin", "live_dbs", "live_db_url", "pg_cluster"]

NO_PG = "WENZHENG_TEST_NO_PG"
INSTALL = ("PostgreSQL's programs (initdb, pg_ctl, postgres) were not found: install Debian's `postgresql` "
           "package (apt-get install postgresql), or put them on PATH or in WENZHENG_PG_BIN; "
           f"{NO_PG}=1 skips the PostgreSQL tests on purpose")


def find_pg_bin() -> Path | None:
    """The folder holding initdb and pg_ctl: $WENZHENG_PG_BIN, PATH, or Debian's /usr/lib/postgresql/N/bin."""
    given = os.environ.get("WENZHENG_PG_BIN")
    candidates = [Path(given)] if given else []
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).parent)
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: _version(p.parent.name), reverse=True)
    candidates += debian
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    return None


def _version(name: str) -> float:
    try:
        return float(name)
    except ValueError:
        return 0.0


class PgCluster:
    """One PostgreSQL server in a temporary folder, run as an unprivileged user."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir
        self.as_user: dict[str, object] = {}
        self.root = Path(tempfile.mkdtemp(prefix="wenzheng-pg-"))
        if os.geteuid() == 0:  # PostgreSQL will not run as root: hand the folder to the `postgres` user
            import pwd

            try:
                user = pwd.getpwnam("postgres")
            except KeyError:
                shutil.rmtree(self.root, ignore_errors=True)
                raise RuntimeError("running as root and there is no `postgres` user to run PostgreSQL as; "
                                   "install Debian's `postgresql` package, which creates it") from None
            os.chown(self.root, user.pw_uid, user.pw_gid)
            self.as_user = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
        self.data = self.root / "data"
        self.port = free_port()
        self.running = False

    def _run(self, *args: str) -> None:
        proc = subprocess.run(list(args), capture_output=True, text=True, timeout=120, cwd=self.root,
                              **self.as_user)  # type: ignore[call-overload]
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:2])} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")

    def start(self) -> PgCluster:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                  "--locale=C", "--no-sync")
        # a throwaway cluster: the service under test is killed, never the database, so fsync buys nothing here
        opts = (f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.root} "
                "-c fsync=off -c full_page_writes=off -c max_connections=200")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "log"), "-o", opts,
                  "-w", "-t", "60", "start")
        self.running = True
        return self

    def stop(self) -> None:
        if self.running:
            try:
                self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
            finally:
                self.running = False
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, db: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{db}"

    def admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def create(self, name: str) -> str:
        self.admin(f'CREATE DATABASE "{name}" TEMPLATE template0')
        return self.url(name)

    def drop(self, name: str) -> None:
        self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def require_pg_bin() -> Path:
    """PostgreSQL's programs, or the test fails saying what to install (skipped only with WENZHENG_TEST_NO_PG=1)."""
    if os.environ.get(NO_PG) == "1":
        pytest.skip(f"{NO_PG}=1: PostgreSQL tests skipped on purpose")
    bin_dir = find_pg_bin()
    if bin_dir is None:
        pytest.fail(INSTALL, pytrace=False)
    return bin_dir


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """The session's PostgreSQL server (started the first time a test asks for it)."""
    cluster = PgCluster(require_pg_bin())
    try:
        cluster.start()
    except Exception:
        cluster.stop()
        raise
    yield cluster
    cluster.stop()


_serial = iter(range(1, 1 << 30))


@pytest.fixture(params=["sqlite", "postgresql"])
def live_dbs(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """A factory of fresh store URLs on the parametrised database: ``live_dbs(name)`` gives the same URL for
    the same name within a test (two services on one store) and a new, empty database for a new name."""
    made: dict[str, str] = {}
    if request.param == "sqlite":
        def url(name: str = "live.db") -> str:
            return made.setdefault(name, f"sqlite:///{tmp_path / name}")
        yield url
        return
    cluster: PgCluster = request.getfixturevalue("pg_cluster")
    names: list[str] = []

    def pg_url(name: str = "live.db") -> str:
        if name not in made:
            names.append(f"t{os.getpid()}_{next(_serial)}")
            made[name] = cluster.create(names[-1])
        return made[name]

    yield pg_url
    for db in names:
        cluster.drop(db)


@pytest.fixture()
def live_db_url(live_dbs: Callable[[str], str]) -> str:
    """The URL of a fresh, empty store, once on SQLite and once on PostgreSQL."""
    return live_dbs("live.db")
