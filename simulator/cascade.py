"""Repost cascades as a self-exciting (Hawkes) process.

A post is first seen by followers at a rate that decays as the post ages
(exposure rate ``a/τ · e^(-t/τ)``, ``a`` expected direct reposts), and every
repost exposes new readers who repost in turn: each repost triggers a
Poisson(``n``) number of further reposts after exponential delays of mean
``reaction`` minutes.  With branching ratio ``n < 1`` a cascade dies out;
its expected size is ``a / (1 - n)``; ``n`` close to 1 gives the heavy tail
of viral posts.  Simulated exactly with the cluster (branching)
representation: Poisson(``a``) immigrants at exponential(``τ``) times, then
generation by generation.

A small cascade is drawn repost by repost, breadth first, each repost's
number of children by inversion with a single uniform.  Once
:data:`GENERATION_MIN` reposts wait for their children, a generation at a
time: ``m`` reposts have Poisson(``n·m``) children in all (a sum of
independent Poissons), each the child of a parent chosen uniformly (given
the total, Poisson counts are multinomial with equal shares), after an
exponential(``reaction``) delay: one Poisson draw per generation instead of
one per repost.  Pure Python on purpose: numpy would be faster for the
largest generations but takes ~0.2 s to import, more than all the cascades
of a changping-2014 run.

Truncation: reposts after ``horizon`` are dropped with their descendants
(which come later still).  When a cascade has more than ``cap`` reposts,
the earliest ``cap`` are kept, so the count at any time ``t`` is exactly
``min(N(t), cap)``; descendants of a repost later than the ``cap``-th
earliest one found so far cannot enter the earliest ``cap``, so they are
never simulated, which bounds the work.

The original simulation (repost by repost, Knuth's Poisson sampler) is kept
in ``tests/test_cascade.py`` as the peer the distribution is tested against.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from functools import lru_cache
from math import exp, floor, lgamma, log, sqrt

__all__ = ["poisson", "hawkes_cascade", "GENERATION_MIN"]

#: Small cascades are simulated repost by repost until this many reposts wait for their children;
#: from then on a generation at a time.
GENERATION_MIN = 48
#: Below this mean a Poisson is drawn by inversion (one uniform, ~mean steps), from it by PTRS.
_INVERSION_MAX = 10.0


@lru_cache(maxsize=256)
def _poisson_cdf(mean: float) -> list[float]:
    """P(X <= k), k = 0, 1, ... until the sum no longer grows in floating point (the tail beyond
    has mass below 1e-16): the partial sums :func:`poisson`'s inversion loop walks through."""
    p = exp(-mean)
    s = p
    out = [s]
    k = 0
    while True:
        k += 1
        p *= mean / k
        t = s + p
        if t == s:
            return out
        s = t
        out.append(s)


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw: inversion with one uniform for small means, PTRS for large ones.

    PTRS is Hörmann's transformed rejection with squeeze ("The transformed rejection method for
    generating Poisson random variables", Insurance: Mathematics and Economics 12, 1993), the
    algorithm numpy uses for means >= 10: ~1.2 iterations of two uniforms whatever the mean.
    """
    if mean <= 0:
        return 0
    if mean < _INVERSION_MAX:
        # X = min{k : F(k) > u}, walking the partial sums of the pmf
        u = rng.random()
        p = exp(-mean)
        s, k = p, 0
        while u >= s:
            k += 1
            p *= mean / k
            t = s + p
            if t == s:
                break
            s = t
        return k
    return _ptrs(rng, mean)


def _poisson_repeated(rng: random.Random, mean: float) -> int:
    """:func:`poisson` with the same draws, for means that recur (a branching ratio times a small
    generation size): the partial sums are cached, the inversion is one bisection."""
    if mean < _INVERSION_MAX:
        return bisect_right(_poisson_cdf(mean), rng.random()) if mean > 0 else 0
    return _ptrs(rng, mean)


def _ptrs(rng: random.Random, mean: float) -> int:
    rnd = rng.random
    slam, loglam = sqrt(mean), log(mean)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    log_invalpha = log(1.1239 + 1.1328 / (b - 3.4))
    vr = 0.9277 - 3.6224 / (b - 2)
    while True:
        u = rnd() - 0.5
        v = 1.0 - rnd()  # in (0, 1]: log(v) is finite
        us = 0.5 - abs(u)
        if us == 0.0:  # u = -0.5 exactly (probability 2^-53): outside the hat's support
            continue
        k = floor((2 * a / us + b) * u + mean + 0.43)
        if us >= 0.07 and v <= vr:
            return k
        if k < 0 or (us < 0.013 and v > us):
            continue
        if log(v) + log_invalpha - log(a / (us * us) + b) <= -mean + k * loglam - lgamma(k + 1):
            return k


def hawkes_cascade(rng: random.Random, direct: float, decay_minutes: float, branching: float,
                        reaction_minutes: float, horizon_minutes: float, cap: int) -> list[float]:
    """Sorted repost times (minutes after posting) within the horizon: the earliest ``cap`` of them."""
    immigrants = poisson(rng, direct)
    if immigrants == 0 or cap <= 0:
        return []
    limit = horizon_minutes
    rnd = rng.random
    times: list[float]  # every repost found so far
    if immigrants > cap:
        # only the earliest cap immigrants can matter (descendants come after their immigrant):
        # the order statistics of iid exponentials have independent spacings Exp(rate·(k - j))
        # (Rényi), so the earliest cap are drawn directly, already sorted
        times, t = [], 0.0
        for j in range(cap):
            t -= decay_minutes * log(1.0 - rnd()) / (immigrants - j)
            if t > limit:
                break
            times.append(t)
        if len(times) == cap:
            limit = t
    else:
        scale = -decay_minutes  # -d * x is (-d) * x: the same product
        times = [t for _ in range(immigrants) if (t := scale * log(1.0 - rnd())) <= limit]
    i = 0  # times[i:] are the reposts whose children are still to be drawn
    if 0 < branching < _INVERSION_MAX:
        # repost by repost, breadth first, the number of children by inversion with one uniform
        # (the cached partial sums of Poisson(branching)), until the cascade is done or enough
        # reposts wait for their children to draw them a generation at a time
        cdf = _poisson_cdf(branching)
        none = cdf[0]  # bisect_right(cdf, u) is 0 exactly when u < cdf[0]: no children
        # the loop's condition (i < len(times), len(times) - i < GENERATION_MIN, len(times) <= cap) as
        # i < stop: once it holds, it holds for every i up to len(times) while that does not change
        n = len(times)
        stop = n if n < GENERATION_MIN and n <= cap else 0
        while i < stop:
            t = times[i]
            i += 1
            u = rnd()
            if u < none:
                continue
            for _ in range(bisect_right(cdf, u)):
                x = t - reaction_minutes * log(1.0 - rnd())
                if x <= limit:
                    times.append(x)
            if len(times) != n:
                n = len(times)
                stop = n if n - i < GENERATION_MIN and n <= cap else i
        if i == n and i <= cap:  # done: most cascades end here
            times.sort()
            return times
    frontier = times[i:]
    while True:
        if len(times) > cap:
            # keep the earliest cap; later reposts and their descendants can no longer enter
            times.sort()
            del times[cap:]
            limit = times[-1]
            frontier = [t for t in frontier if t <= limit]
        m = len(frontier)
        if m == 0 or branching <= 0:
            break
        children = _poisson_repeated(rng, branching * m)
        # each child's parent is uniform among the generation (int(m·u) <= m - 1 for u < 1 in
        # round-to-nearest arithmetic), its delay exponential
        frontier = [t for _ in range(children)
                    if (t := frontier[int(m * rnd())] - reaction_minutes * log(1.0 - rnd())) <= limit]
        times += frontier
    times.sort()
    return times


# -- the original simulation ------------------------------------------------------------------------
