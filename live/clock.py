"""Clocks for the live service: the wall clock in production, a fake one that tests advance by hand.

The engine never reads the clock; the service does, in one place (the ``Clock`` it is given), so deadlines
and the stale-timestamp check can be tested without waiting.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "SystemClock", "FakeClock"]


@runtime_checkable
class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware."""

    async def wait(self, seconds: float) -> None:
        """Let up to ``seconds`` of this clock's time pass (the scheduler looks again after it)."""


class SystemClock:
    """The wall clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def wait(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class FakeClock:
    """A clock that moves only when told (``advance``, ``set``); thread-safe, since tests drive the app from
    another thread than the one its scheduler runs in."""

    #: real seconds the scheduler sleeps between looks at a fake clock
    TICK = 0.005

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware start")
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware time")
        with self._lock:
            self._now = when

    def advance(self, delta: timedelta | float) -> datetime:
        with self._lock:
            self._now += delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
            return self._now

    async def wait(self, seconds: float) -> None:
        await asyncio.sleep(self.TICK)
