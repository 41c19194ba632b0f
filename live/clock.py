"""Clocks for the live service: the wall clock in production, a fake one that tests advance by hand.

The engine never reads the clock; the service does, in one place (the ``Clock`` it is given), so deadlines
and the stale-timestamp check can be tested without waiting.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "SystemClock", "ScaledClock", "FakeClock"]


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


class ScaledClock:
    """Accelerated time for load tests and demonstrations (``clock_speed``, ``clock_start``).

    ``now = start + (real now - anchor) * speed``: the anchor is the real (epoch) second the clock stood at
    ``start``.  The service stores start, speed and anchor in the store the first time it runs, so a restart
    (even after ``kill -9``) continues the same timeline instead of starting it again.
    """

    def __init__(self, start: datetime, speed: float, anchor: float | None = None,
                 real: Callable[[], float] = time.time) -> None:
        if start.tzinfo is None:
            raise ValueError("ScaledClock needs a timezone-aware start")
        if speed <= 0:
            raise ValueError("ScaledClock needs a positive speed")
        self.start, self.speed, self._real = start, speed, real
        self.anchor = real() if anchor is None else anchor

    def now(self) -> datetime:
        return self.start + timedelta(seconds=(self._real() - self.anchor) * self.speed)

    async def wait(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self.speed)


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
