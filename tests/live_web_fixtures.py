"""The fixtures of the JSON API's tests (tests/test_live_api.py, test_live_roles.py, test_live_idempotency.py),
registered once as a pytest plugin (``pytest_plugins`` in tests/conftest.py) instead of defined in each file.

``clock`` is a fake clock at ``T0``; ``service`` the live service on it with the three posts of
tests/test_live_web_support.py, once on SQLite and once on PostgreSQL (``live_dbs``); ``client`` a test client
of its app.  A test module that needs another service (test_live_pages.py, test_live_intake.py) defines its
own fixtures of these names, which take precedence in that module."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from live.clock import FakeClock
from live.service import LiveService
from tests.test_live_support import T0, TestClient
from tests.test_live_web_support import web_client, web_service


@pytest.fixture()
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture()
def service(live_dbs: Callable[[str], str], clock: FakeClock) -> Iterator[LiveService]:  # on SQLite and on PostgreSQL
    with web_service(live_dbs, clock) as s:
        yield s


@pytest.fixture()
def client(service: LiveService, clock: FakeClock) -> Iterator[TestClient]:
    with web_client(service, clock) as c:
        yield c
