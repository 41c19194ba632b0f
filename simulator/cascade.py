"""Repost cascades as a self-exciting (Hawkes) process.

A post is first seen by followers at a rate that decays as the post ages
(exposure rate ``a/τ · e^(-t/τ)``, ``a`` expected direct reposts), and every
repost exposes new readers who repost in turn: each repost triggers a
Poisson(``n``) number of further reposts after exponential delays of mean
``reaction`` minutes.  With branching ratio ``n < 1`` a cascade dies out;
its expected size is ``a / (1 - n)``; ``n`` close to 1 gives the heavy tail
of viral posts.  Simulated exactly with the cluster (branching)
representation.
"""

from __future__ import annotations

import math
import random

__all__ = ["poisson", "hawkes_cascade"]


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth for small means, counting unit-rate arrivals for large)."""
    if mean <= 0:
        return 0
    if mean < 30:
        limit, k, p = math.exp(-mean), 0, 1.0
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
    """Sorted repost times (minutes after posting) within the horizon, at most ``cap`` of them."""
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
