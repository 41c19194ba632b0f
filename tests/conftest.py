from __future__ import annotations

import shutil
from pathlib import Path

import pytest

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
def rules_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped rules directory."""
    dst = tmp_path / "rules"
    shutil.copytree(RULES, dst, ignore=shutil.ignore_patterns("tests"))
    return dst


# hypothesis profiles of the fuzz targets (tests/test_fuzz_*.py); none is loaded globally
from tests.fuzz.harness import register_profiles  # noqa: E402

register_profiles()
