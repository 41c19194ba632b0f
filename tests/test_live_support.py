"""Shared helpers of the live-service tests (tests/test_live_*.py): payloads as the platforms send them,
signed query strings, a service on a throwaway SQLite file with a fake clock.  No tests here."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# fastapi and sqlalchemy are in the test extra: without them these tests fail (they are not skipped)
from live.clock import FakeClock
from live.config import LiveConfig
from live.service import LiveService, signature

with warnings.catch_warnings():  # starlette's TestClient warns about its own httpx dependency
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

__all__ = ["TestClient", "FakeClock", "RULES", "T0", "TOKEN", "SECRET", "config", "open_service", "signed",
           "wechat_xml", "weibo_status", "table"]

RULES = Path(__file__).resolve().parent.parent / "rules"
#: Wed 14 May 2014, 10:05 in Beijing
T0 = datetime(2014, 5, 14, 2, 5, tzinfo=UTC)
TOKEN, SECRET = "wx-token-for-tests", "weibo-secret-for-tests"


def config(db: str, **extra: Any) -> LiveConfig:
    values: dict[str, Any] = dict(wechat_token=TOKEN, weibo_secret=SECRET, db=db, poll_seconds=0.05)
    values.update(extra)
    return LiveConfig.model_validate(values)


def open_service(where: Path | Callable[[str], str], clock: FakeClock, name: str = "live.db",
                 **extra: Any) -> LiveService:
    """A service on the store ``name``: a SQLite file in the folder ``where``, or the URL the ``live_dbs``
    fixture gives for ``name`` (SQLite or PostgreSQL; the same name is the same store)."""
    url = f"sqlite:///{where / name}" if isinstance(where, Path) else where(name)
    return LiveService.open(RULES, config(url, **extra), clock)


def signed(secret: str, clock: FakeClock, nonce: str = "n0nce", skew: float = 0) -> dict[str, str]:
    ts = str(int(clock.now().timestamp() + skew))
    return {"signature": signature(secret, ts, nonce), "timestamp": ts, "nonce": nonce}


def wechat_xml(msg_id: int | str, content: str, create: datetime = T0, sender: str = "oUser1") -> bytes:
    return (f"<xml><ToUserName><![CDATA[gh_changping]]></ToUserName>"
            f"<FromUserName><![CDATA[{sender}]]></FromUserName><CreateTime>{int(create.timestamp())}</CreateTime>"
            f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content>"
            f"<MsgId>{msg_id}</MsgId></xml>").encode()


def weibo_status(sid: int, text: str, reposts: int = 0, comments: int = 0) -> bytes:
    import json

    return json.dumps({"id": sid, "idstr": str(sid), "created_at": "Wed May 14 10:05:00 +0800 2014", "text": text,
                       "user": {"id": 42, "idstr": "42", "screen_name": "回龙观居民"},
                       "reposts_count": reposts, "comments_count": comments}, ensure_ascii=False).encode()


def table(service: LiveService, name: str) -> list[Any]:
    from sqlalchemy import text

    with service.db.connect() as conn:
        return list(conn.execute(text(f"SELECT * FROM {name} ORDER BY 1")))
