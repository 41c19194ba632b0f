"""Keyed counter-based streams (simulator/streams.py): the specification, uniformity, independence
of neighbouring keys, determinism across processes, and the derived ``random.Random`` methods."""

from __future__ import annotations

import copy
import hashlib
import math
import pickle
import struct
import subprocess
import sys
from collections import Counter

import numpy as np
import pytest
from scipy import stats

from simulator.dists import MedianP90
from simulator.streams import KeyedStream, case_stream

from .conftest import ROOT

ALPHA = 0.001  # every statistical test here: fixed keys, so deterministic; this is its false-alarm rate


def spec_draw(seed: int, case_no: int, purpose: str, k: int, i: int) -> float:
    """The i-th random() of a stream, from the module docstring's definition alone."""
    block, word = divmod(i, 8)
    key = struct.pack("<3Q", seed, case_no, k) + purpose.encode("utf-8")
    digest = hashlib.blake2b(key + struct.pack("<Q", block)).digest()
    (w,) = struct.unpack_from("<Q", digest, 8 * word)
    return (w >> 11) / 2**53


def test_draws_follow_the_specification():
    for seed, case, purpose, k in [(0, 0, "unit", 0), (12345, 60_000, "promise", 3), (7, 1, "跟进", 0)]:
        s = case_stream(seed, case, purpose, k)
        assert [s.random() for _ in range(20)] == [spec_draw(seed, case, purpose, k, i) for i in range(20)]


def test_same_key_same_draws_and_neighbouring_keys_differ():
    a = [case_stream(11, 5, "unit", 0).random() for _ in range(3)]
    assert a == [case_stream(11, 5, "unit", 0).random() for _ in range(3)]
    firsts = {case_stream(*key).random() for key in
              [(11, 5, "unit", 0), (12, 5, "unit", 0), (11, 6, "unit", 0), (11, 5, "unit", 1), (11, 5, "merge", 0),
               (11, 5, "uni", 0), (11, 5, "unit\x00", 0)]}
    assert len(firsts) == 7


def test_uniform_over_many_keys():
    # 10^5 draws: the first 4 of 25,000 streams (consecutive cases, two purposes)
    xs = [x for n in range(12_500) for p in ("unit", "citizen")
          for x in (lambda s: (s.random(), s.random(), s.random(), s.random()))(case_stream(3, n, p, 0))]
    assert len(xs) == 100_000
    assert stats.kstest(xs, "uniform").pvalue > ALPHA
    assert 0.0 <= min(xs) and max(xs) < 1.0
    # and deep into one stream, across many blocks
    s = case_stream(3, 1, "unit", 0)
    assert stats.kstest([s.random() for _ in range(50_000)], "uniform").pvalue > ALPHA


@pytest.mark.parametrize("neighbour", ["case", "purpose", "k", "seed", "lag"])
def test_neighbouring_keys_are_uncorrelated(neighbour):
    n = 20_000
    a, b = [], []
    for i in range(n):
        s = case_stream(9, i, "unit", 0)
        a.append(s.random())
        if neighbour == "case":
            b.append(case_stream(9, i + 1, "unit", 0).random())
        elif neighbour == "purpose":
            b.append(case_stream(9, i, "statement", 0).random())
        elif neighbour == "k":
            b.append(case_stream(9, i, "unit", 1).random())
        elif neighbour == "seed":
            b.append(case_stream(10, i, "unit", 0).random())
        else:
            b.append(s.random())
    r, p = stats.pearsonr(a, b)
    assert p > ALPHA, f"r = {r:.4f}"
    # a rank test too: dependence that is not linear
    assert stats.spearmanr(a, b).pvalue > ALPHA
    # and the joint distribution: a 10x10 grid of the pairs is uniform
    grid = np.histogram2d(a, b, bins=10, range=[[0, 1], [0, 1]])[0].ravel()
    assert stats.chisquare(grid).pvalue > ALPHA


def test_identical_in_another_process_whatever_the_hash_seed():
    code = ("from simulator.streams import case_stream\n"
            "s = case_stream(12345, 777, 'supervision', 2)\n"
            "print(repr([s.random(), s.getrandbits(100), s.randrange(1000), s.gauss(0, 1)]))\n")
    here = case_stream(12345, 777, "supervision", 2)
    want = repr([here.random(), here.getrandbits(100), here.randrange(1000), here.gauss(0, 1)])
    for hashseed in ("0", "1", "random"):
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                             env={"PYTHONHASHSEED": hashseed, "PATH": "/usr/bin:/bin"})
        assert out.stdout.strip() == want


def test_getrandbits():
    s = case_stream(1, 2, "bits", 0)
    assert s.getrandbits(0) == 0
    with pytest.raises(ValueError):
        s.getrandbits(-1)
    for k in (1, 7, 53, 63, 64, 65, 128, 200):
        xs = [s.getrandbits(k) for _ in range(2000)]
        assert all(0 <= x < 2**k for x in xs)
        # every bit position is set about half the time (binomial, Bonferroni over positions)
        for bit in range(k):
            ones = sum((x >> bit) & 1 for x in xs)
            assert stats.binomtest(ones, len(xs), 0.5).pvalue > ALPHA / k, (k, bit, ones)
    # 64 bits is exactly the next word of the stream; 32 its top half
    t = case_stream(4, 4, "w", 4)
    w0, w1 = struct.unpack_from("<2Q", hashlib.blake2b(struct.pack("<3Q", 4, 4, 4) + b"w" + bytes(8)).digest())
    assert t.getrandbits(64) == w0 and t.getrandbits(32) == w1 >> 32


def test_derived_methods():
    s = case_stream(5, 5, "derived", 0)
    n = 30_000
    faces = Counter(s.randrange(6) for _ in range(n))
    assert set(faces) == set(range(6))
    assert stats.chisquare([faces[i] for i in range(6)]).pvalue > ALPHA
    picks = Counter(s.choices("abc", weights=[1, 2, 7], k=n))
    assert stats.chisquare([picks["a"], picks["b"], picks["c"]], [n * 0.1, n * 0.2, n * 0.7]).pvalue > ALPHA
    assert stats.kstest([s.gauss(2, 3) for _ in range(n)], "norm", args=(2, 3)).pvalue > ALPHA
    assert stats.kstest([s.normalvariate(0, 1) for _ in range(n)], "norm").pvalue > ALPHA
    assert stats.kstest([s.expovariate(0.5) for _ in range(n)], "expon", args=(0, 2)).pvalue > ALPHA
    d = MedianP90(median=4, p90=60)
    draws = [d.sample(s) for _ in range(n)]
    assert stats.binomtest(sum(x <= 4 for x in draws), n, 0.5).pvalue > ALPHA
    assert stats.binomtest(sum(x <= 60 for x in draws), n, 0.9).pvalue > ALPHA
    deck = list(range(52))
    s.shuffle(deck)
    assert sorted(deck) == list(range(52)) and deck != list(range(52))
    assert len(set(s.sample(range(1000), 100))) == 100
    assert 0 <= s.randint(-3, 3) + 3 <= 6 and s.choice("xyz") in "xyz"
    assert len(s.randbytes(10)) == 10 and 0 <= s.uniform(1, 2) <= 2


def test_integers_outside_64_bits_have_streams_of_their_own():
    keys = [(-1, 0, "unit", 0), (2**64, 0, "unit", 0), (0, 0, "unit", 2**64), (0, 2**70, "unit", 0), (0, 0, "unit", 0)]
    firsts = {case_stream(*key).random() for key in keys}
    assert len(firsts) == len(keys)
    assert case_stream(-1, 0, "unit", 0).random() == case_stream(-1, 0, "unit", 0).random()


def test_seed_state_copy_and_pickle():
    s = case_stream(8, 8, "state", 0)
    for _ in range(11):  # mid-way through the second block
        s.random()
    state = s.getstate()
    ahead = [s.random() for _ in range(20)]
    s.setstate(state)
    assert [s.random() for _ in range(20)] == ahead
    s.setstate(state)
    assert [copy.deepcopy(s).random() for _ in range(1)] == ahead[:1]
    assert [pickle.loads(pickle.dumps(s)).random() for _ in range(1)] == ahead[:1]
    # seed(): ints and strings give their own streams, reproducibly, and restart them
    a, b = KeyedStream(42), KeyedStream("42")
    assert a.random() != b.random()
    a.seed(42)
    assert a.random() == KeyedStream(42).random()
    assert KeyedStream().random() != KeyedStream().random()  # None: fresh entropy
    # the gauss cache belongs to the stream's position
    g = case_stream(8, 9, "g", 0)
    g.gauss()
    st = g.getstate()
    nxt = g.gauss()
    g.setstate(st)
    assert g.gauss() == nxt


def test_cheaper_than_seeding_a_mersenne_twister():
    """Not a benchmark: a generous bound that catches an accidental slow path (e.g. MT seeding)."""
    import random
    import time

    def best(f) -> float:
        out = math.inf
        for _ in range(5):
            t0 = time.perf_counter()
            f()
            out = min(out, time.perf_counter() - t0)
        return out

    new = best(lambda: [case_stream(12345, i, "unit", 0).random() for i in range(3000)])
    old = best(lambda: [random.Random(f"12345/C{i:07d}/unit/0").random() for i in range(3000)])
    assert new < old
