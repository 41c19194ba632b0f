from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# Human-facing output is Chinese by default (engine/i18n.py).  Most tests assert the English wording, so the
# suite runs in English (this process and every CLI subprocess it starts); tests of the Chinese default and of
# both languages set the language themselves (tests/test_i18n.py, the `zh` fixture below).
os.environ["WENZHENG_LANG"] = "en"

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
SCENARIOS = ROOT / "scenarios"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def policy():
    from engine import Policy

    return Policy.load(RULES)


@pytest.fixture()
def engine(policy):
    from engine import Engine

    e = Engine(policy)
    yield e
    e.close()


@pytest.fixture()
def zh(monkeypatch):
    """Run the test with the default language: no WENZHENG_LANG in the environment, so output is Chinese."""
    monkeypatch.delenv("WENZHENG_LANG", raising=False)


@pytest.fixture()
def rules_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped rules directory."""
    dst = tmp_path / "rules"
    shutil.copytree(RULES, dst, ignore=shutil.ignore_patterns("tests"))
    return dst


# hypothesis profiles of the fuzz targets (tests/test_fuzz_*.py); none is loaded globally
from tests.fuzz.harness import register_profiles  # noqa: E402

register_profiles()

# the live store's databases: `live_dbs` / `live_db_url` run a test on SQLite and on a throwaway PostgreSQL
# cluster (tests/live_pg.py; without PostgreSQL's programs the PostgreSQL half fails, saying what to install)
from tests.live_pg import live_db_url, live_dbs, pg_cluster  # noqa: E402, F401

# the JSON API tests' clock, service and client (tests/test_live_api.py, test_live_roles.py,
# test_live_idempotency.py), defined once; a module defining fixtures of the same names keeps its own
pytest_plugins = ["tests.live_web_fixtures"]
