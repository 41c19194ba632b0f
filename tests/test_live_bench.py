"""``wenzheng bench --live``: a real service process fed at an offered rate; what it reports must be what the
service stored, and an open-loop sender at ``rate`` cannot report more than ``rate`` posts a second."""

from __future__ import annotations

import json

from tests.test_live_support import RULES
from wenzheng.cli import main


def test_bench_live_reports_what_the_service_accepted(capsys):
    assert main(["bench", "--live", "--posts", "120", "--rate", "60", "--rules", str(RULES), "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["posts"] == 120 and r["accepted"] == 120 and r["failed"] == 0  # every post opened once
    # post i leaves at i/60 s: the last after 119/60 s, so the sustained rate is at most 120 / (119/60)
    assert 0 < r["posts_per_second"] <= 120 / (119 / 60) + 1e-9
    assert r["seconds"] >= 119 / 60
    assert 0 < r["p50_ms"] <= r["p99_ms"] <= r["max_ms"]
    assert r["target"] == {"posts_per_second": 200.0, "p99_ms": 100.0}
    assert r["target_met"] is False  # 60 posts/s offered cannot meet a 200 posts/s target


def test_bench_live_bad_rules_is_exit_2(tmp_path, capsys):
    assert main(["bench", "--live", "--posts", "100", "--rules", str(tmp_path / "nope")]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_bench_live_on_a_given_store(pg_cluster, capsys):
    url = pg_cluster.create("bench_live")
    assert main(["bench", "--live", "--posts", "100", "--rate", "50", "--rules", str(RULES), "--db", url,
                 "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["db"] == "postgresql" and r["accepted"] == 100 and r["failed"] == 0
    pg_cluster.drop("bench_live")
