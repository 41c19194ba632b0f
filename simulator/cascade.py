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

A generation of ``m`` reposts has Poisson(``n·m``) children in all (a sum of
independent Poissons), each the child of a parent chosen uniformly (given the
total, Poisson counts are multinomial with equal shares), after an
exponential(``reaction``) delay.  One Poisson draw per generation instead of
one per repost; generations of at least :data:`VECTOR_MIN` children are drawn
with numpy from uniform bits taken from the same ``random.Random``, so a
cascade is still a function of that one generator.  (numpy is imported at
the first such generation, not at start-up.)

Truncation: reposts after ``horizon`` are dropped with their descendants
(which come later still).  When a cascade has more than ``cap`` reposts,
the earliest ``cap`` are kept, so the count at any time ``t`` is exactly
``min(N(t), cap)``; descendants of a repost later than the ``cap``-th
earliest one found so far cannot enter the earliest ``cap``, so they are
never simulated, which bounds the work.

:func:`hawkes_cascade` and :func:`poisson` are the original simulation,
repost by repost with Knuth's Poisson sampler (~3x slower): kept, with their
exact draws, so that runs stay byte-identical (and the gate's baselines hold)
until the model switches to :func:`fast_hawkes_cascade`, which has the same
signature and the same distribution but other draws.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from functools import lru_cache
from math import exp, floor, lgamma, log, sqrt
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

__all__ = ["poisson", "hawkes_cascade", "fast_poisson", "fast_hawkes_cascade", "VECTOR_MIN"]

#: Generations with at least this many children are drawn with numpy (~15 µs of fixed cost per
#: generation against ~0.4 µs per child in the scalar loop).
VECTOR_MIN = 48
#: Below this mean a Poisson is drawn by inversion (one uniform, ~mean steps), from it by PTRS.
_INVERSION_MAX = 10.0
_TWO_M53 = 2.0**-53


@lru_cache(maxsize=256)
def _poisson_cdf(mean: float) -> list[float]:
    """P(X <= k), k = 0, 1, ... until the sum no longer grows in floating point (the tail beyond
    has mass below 1e-16): the partial sums :func:`fast_poisson`'s inversion loop walks through."""
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


def fast_poisson(rng: random.Random, mean: float) -> int:
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
    """:func:`fast_poisson` with the same draws, for means that recur (a branching ratio times a small
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


def _uniforms(rng: random.Random, count: int) -> np.ndarray:
    """``count`` uniforms in [0, 1) from the generator's bits (53 bits each, like ``random()``)."""
    import numpy as np

    bits = np.frombuffer(rng.randbytes(8 * count), dtype="<u8")
    return (bits >> np.uint64(11)) * _TWO_M53


def _exponentials(rng: random.Random, count: int, mean: float) -> np.ndarray:
    import numpy as np

    return -mean * np.log1p(-_uniforms(rng, count))


def fast_hawkes_cascade(rng: random.Random, direct: float, decay_minutes: float, branching: float,
                        reaction_minutes: float, horizon_minutes: float, cap: int) -> list[float]:
    """Sorted repost times (minutes after posting) within the horizon: the earliest ``cap`` of them."""
    immigrants = fast_poisson(rng, direct)
    if immigrants == 0 or cap <= 0:
        return []
    limit = horizon_minutes
    rnd = rng.random
    frontier: Any  # reposts whose children are still to be drawn: a list, or a numpy array
    parts: list[Any]  # every repost found so far (frontier included), in lists and arrays
    if immigrants < VECTOR_MIN:
        times = [t for t in [-decay_minutes * log(1.0 - rnd()) for _ in range(immigrants)] if t <= limit]
        i = 0
        if 0 < branching < _INVERSION_MAX:
            # a small cascade: repost by repost, breadth first, its number of children by inversion
            # with one uniform (the cached partial sums of Poisson(branching)), until it is done or
            # enough reposts wait for their children to draw them a generation at a time
            cdf = _poisson_cdf(branching)
            while i < len(times) and len(times) - i < VECTOR_MIN and len(times) <= cap:
                t = times[i]
                i += 1
                for _ in range(bisect_right(cdf, rnd())):
                    x = t - reaction_minutes * log(1.0 - rnd())
                    if x <= limit:
                        times.append(x)
            if i == len(times) and i <= cap:
                times.sort()
                return times
        frontier, parts, vector = times[i:], [times], False
    else:
        import numpy as np

        if immigrants > cap:
            # only the earliest cap immigrants can matter (descendants come after their immigrant):
            # the order statistics of iid exponentials have independent spacings Exp(rate·(k - j))
            # (Rényi), so the earliest cap are drawn directly, already sorted
            spacings = _exponentials(rng, cap, decay_minutes) / np.arange(immigrants, immigrants - cap, -1)
            first = np.cumsum(spacings)
        else:
            first = _exponentials(rng, immigrants, decay_minutes)
        frontier = first[first <= limit]
        parts, vector = [frontier], True
    total = sum(len(p) for p in parts)
    while True:
        if total > cap:
            # keep the earliest cap; later reposts and their descendants can no longer enter
            import numpy as np

            kept = np.sort(np.concatenate([np.asarray(p, dtype=float) for p in parts]))[:cap]
            limit = float(kept[-1])
            parts, total, vector = [kept], cap, True
            frontier = np.asarray(frontier, dtype=float)
            frontier = frontier[frontier <= limit]
        m = len(frontier)
        if m == 0 or branching <= 0:
            break
        children = _poisson_repeated(rng, branching * m)
        if children == 0:
            break
        kids: Any
        if children >= VECTOR_MIN:
            import numpy as np

            # a uniform u < 1 times m rounds to at most m - 1 (round to nearest), so the index is valid
            u = _uniforms(rng, 2 * children)
            idx = (u[:children] * m).astype(np.intp)
            kids = np.asarray(frontier, dtype=float)[idx] - reaction_minutes * np.log1p(-u[children:])
            kids = kids[kids <= limit]
            vector = True
        else:
            ps: list[float] = frontier if isinstance(frontier, list) else frontier.tolist()
            kids = [t for t in [ps[int(m * rnd())] - reaction_minutes * log(1.0 - rnd())
                                for _ in range(children)] if t <= limit]
        parts.append(kids)
        total += len(kids)
        frontier = kids
    if vector:
        import numpy as np

        return np.sort(np.concatenate([np.asarray(p, dtype=float) for p in parts])).tolist()  # type: ignore[no-any-return]
    out: list[float] = []
    for p in parts:
        out += p
    out.sort()
    return out


# -- the original simulation ------------------------------------------------------------------------

def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth for small means, counting unit-rate arrivals for large)."""
    if mean <= 0:
        return 0
    if mean < 30:
        limit, k, p = exp(-mean), 0, 1.0
        while True:
            p *= rng.random()
            if p <= limit:
                return k
            k += 1
    k, t = 0, rng.expovariate(1.0)
    while t <= mean:
        k += 1
        t += rng.expovariate(1.0)
    return k


def hawkes_cascade(rng: random.Random, direct: float, decay_minutes: float, branching: float,
                   reaction_minutes: float, horizon_minutes: float, cap: int) -> list[float]:
    """Sorted repost times (minutes after posting) within the horizon, at most ``cap`` of them
    (when the cap binds, the first ``cap`` found depth first, not the earliest)."""
    times: list[float] = []
    queue: list[float] = []
    for _ in range(poisson(rng, direct)):
        t = rng.expovariate(1.0 / decay_minutes)
        if t <= horizon_minutes:
            queue.append(t)
    while queue and len(times) < cap:
        t = queue.pop()
        times.append(t)
        for _ in range(poisson(rng, branching)):
            child = t + rng.expovariate(1.0 / reaction_minutes)
            if child <= horizon_minutes:
                queue.append(child)
    times.sort()
    return times
