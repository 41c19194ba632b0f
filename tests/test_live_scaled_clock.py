"""The accelerated clock (``clock_speed``, ``clock_start``): hand-computed times, and a restart of the service
continues the stored timeline instead of starting it again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from engine.errors import SourceError
from live.clock import ScaledClock
from live.config import load_config
from live.service import LiveService
from tests.test_live_support import RULES

START = datetime(2014, 4, 1, 0, 0, tzinfo=UTC)


class Real:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def test_scaled_clock_runs_speed_times_faster():
    real = Real(1000.0)
    clk = ScaledClock(START, 3600, real=real)
    assert clk.anchor == 1000.0 and clk.now() == START
    real.t = 1002.5  # 2.5 real seconds at 3600x: 2.5 hours
    assert clk.now() == START + timedelta(hours=2.5)


def test_scaled_clock_refuses_naive_start_and_zero_speed():
    with pytest.raises(ValueError):
        ScaledClock(datetime(2014, 4, 1), 2)
    with pytest.raises(ValueError):
        ScaledClock(START, 0)


def _open(tmp_path, **settings):
    cfg = load_config(environ={}, db=f"sqlite:///{tmp_path / 'live.db'}", **settings)
    return LiveService.open(RULES, cfg)


def test_service_clock_continues_after_restart(tmp_path):
    s = _open(tmp_path, clock_start=START, clock_speed=86400)
    first = s.clock
    assert isinstance(first, ScaledClock) and abs((first.now() - START).total_seconds()) < 86400 * 5
    s.close()
    s2 = _open(tmp_path, clock_start=START, clock_speed=86400)
    assert isinstance(s2.clock, ScaledClock)
    assert s2.clock.anchor == first.anchor and s2.clock.start == START  # the same timeline, not a new one
    s2.close()
    s3 = _open(tmp_path, clock_speed=86400)  # start left out: the stored one is used
    assert s3.clock.anchor == first.anchor
    s3.close()


@pytest.mark.parametrize("change", [{"clock_speed": 3600}, {"clock_start": START + timedelta(days=1)}])
def test_changed_clock_settings_refused_with_the_key(tmp_path, change):
    _open(tmp_path, clock_start=START, clock_speed=86400).close()
    settings = {"clock_start": START, "clock_speed": 86400, **change}
    with pytest.raises(SourceError) as err:
        _open(tmp_path, **settings)
    assert err.value.problems[0].key == next(iter(change))


def test_real_time_by_default(tmp_path):
    s = _open(tmp_path)
    assert abs((s.clock.now() - datetime.now(UTC)).total_seconds()) < 5
    s.close()


def test_tokens_checked(tmp_path):
    with pytest.raises(SourceError, match="too short"):
        load_config(environ={"WENZHENG_DESK_TOKEN": "short"})
    with pytest.raises(SourceError, match="same token"):
        load_config(environ={"WENZHENG_DESK_TOKEN": "x" * 20, "WENZHENG_SUPERVISOR_TOKEN": "x" * 20})
    cfg = load_config(environ={"WENZHENG_UNIT_TOKENS": "城北街道=" + "a" * 16 + ", 城南街道=" + "b" * 16})
    assert {u: tok.get_secret_value() for u, tok in cfg.unit_tokens.items()} == {"城北街道": "a" * 16,
                                                                                  "城南街道": "b" * 16}
    assert load_config(environ={"WENZHENG_UNIT_TOKENS": '{"城北街道": "' + "c" * 16 + '"}'}).unit_tokens
    with pytest.raises(SourceError) as err:
        _open(tmp_path, unit_tokens={"不存在局": "d" * 16})
    assert err.value.problems[0].key == "unit_tokens" and "不存在局" in err.value.problems[0].message


def test_stale_window_is_real_seconds_on_an_accelerated_clock(tmp_path):
    from live.service import signature

    real = Real(5000.0)
    cfg = load_config(environ={}, db=f"sqlite:///{tmp_path / 'live.db'}", wechat_token="t0ken", stale_seconds=300)
    s = LiveService.open(RULES, cfg, clock=ScaledClock(START, 3600, real=real))
    now = int(START.timestamp())

    def check(ts: int):
        refused = s.check_signature("wechat", signature("t0ken", str(ts), "n"), str(ts), "n")
        return None if refused is None else refused.status

    # 300 real seconds at 3600x are 1,080,000 seconds of the service's clock, either way
    assert check(now - 1_080_000) is None and check(now + 1_080_000) is None
    assert check(now - 1_080_001) == 403 and check(now + 1_080_001) == 403
    s.close()
