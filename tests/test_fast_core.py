"""The fast model core keeps the model's meaning: shortcuts taken for speed never change a result.

- Posts outside the payload sample (``platforms.payload_sample``) skip building and parsing their
  payload text; the run is identical whatever the share, and the post built without parsing equals
  the adapter's parse of the payload, field by field.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from engine.adapters import PostAdapter
from simulator import load_run_inputs
from simulator.content import ContentGenerator
from simulator.metrics import compute_metrics
from simulator.model import Simulation
from simulator.params import with_overrides
from simulator.platforms import delivered_post, wechat_message, weibo_status

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _run(share: float, seed: int):  # type: ignore[no-untyped-def]
    sc, policy, _ = load_run_inputs("scenarios/golden-week-2014.yaml")
    # more corrupted and redelivered payloads than the scenario has, so both fall in and out of the sample
    sc = with_overrides(sc, [("platforms.payload_sample", share), ("platforms.malformed", 0.05),
                             ("platforms.duplicate_delivery", 0.05)])
    sim = Simulation(sc, policy, seed=seed)
    try:
        return sim.run()
    finally:
        sim.engine.close()


@pytest.mark.parametrize("seed", [1, 2])
def test_results_do_not_depend_on_the_payload_sample(seed: int) -> None:
    full, none, some = _run(1.0, seed), _run(0.0, seed), _run(0.3, seed)
    assert full.posts > 100
    assert full.intake["duplicate"] > 0 and sum(v for k, v in full.intake.items() if k not in ("accepted", "duplicate"))
    for other in (none, some):
        assert compute_metrics(other) == compute_metrics(full)
        assert other.log == full.log
        assert [c.decisions for c in other.cases] == [c.decisions for c in full.cases]
        assert other.intake == full.intake and other.updates_intake == full.updates_intake
    # the sample is a share of the posts, not all or nothing
    assert 0 < sum(c.full_path for c in some.cases) < len(some.cases)
    assert not any(c.full_path for c in none.cases)


def test_a_post_built_without_parsing_equals_the_adapters_parse() -> None:
    import random

    rng = random.Random(5)
    content = ContentGenerator(rng, 5, 0.25)
    adapter = PostAdapter()
    t = datetime(2014, 5, 14, 10, 5, 0, 999_999, tzinfo=SHANGHAI)
    for i in range(400):
        a = content.author()
        text = content.text("环境卫生", "城北街道") if i % 3 else content.consultation("城北街道")
        at = t + timedelta(minutes=rng.uniform(0, 60 * 24 * 400))
        geo = (40.2 + rng.random() / 10, 116.2 + rng.random() / 10) if i % 2 else None
        parsed = adapter.weibo(weibo_status(10**15 + i, at, text, a.handle, a.uid, geo=geo, followers=a.followers))
        assert parsed.post == delivered_post("weibo", 10**15 + i, at, text, a, geo), i
        assert parsed.post.posted_at.utcoffset() == delivered_post("weibo", 1, at, text, a, geo).posted_at.utcoffset()
        parsed = adapter.wechat(wechat_message(10**18 + i, at, text, a.openid))
        assert parsed.post == delivered_post("wechat", 10**18 + i, at, text, a), i
