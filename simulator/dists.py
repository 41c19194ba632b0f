"""Distributions as testers write them in scenario files.

Delays are written as a median and a 90th percentile ("half the replies within
2 working days, nine in ten within 4.5"): easier to justify from observations
than a mean and a shape parameter.  Both are turned into a lognormal.
"""

from __future__ import annotations

import math
import random
from math import exp, log

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["MedianP90", "Exponential", "Delay", "Z90"]

Z90 = 1.2815515655446004  # standard normal 90th percentile
MAX_VALUE = 1_000_000  # largest median, p90 or mean (minutes, days, reposts)
MAX_SPREAD = 1_000  # largest p90 / median
#: A draw is capped at this multiple of p90 (or of the mean): a lognormal's far tail
#: would otherwise overflow a date; with any realistic spread the cap is never reached.
SAMPLE_CAP = 1_000


#: (median, p90) -> (mu, sigma, cap) of MedianP90.sample (pure functions of the two fields)
_LOGNORMAL: dict[tuple[float, float], tuple[float, float, float]] = {}
_NV_MAGICCONST = random.NV_MAGICCONST  # type: ignore[attr-defined]


class MedianP90(BaseModel):
    """A lognormal distribution given by its median and 90th percentile."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    median: float = Field(gt=0, le=MAX_VALUE)
    p90: float = Field(gt=0, le=MAX_VALUE)

    @model_validator(mode="after")
    def _order(self) -> MedianP90:
        if self.p90 < self.median:
            raise ValueError(f"p90 ({self.p90}) must not be below the median ({self.median})")
        if self.p90 > MAX_SPREAD * self.median:
            raise ValueError(f"p90 ({self.p90}) is more than {MAX_SPREAD} times the median ({self.median})")
        return self

    @property
    def mu(self) -> float:
        return math.log(self.median)

    @property
    def sigma(self) -> float:
        return math.log(self.p90 / self.median) / Z90

    @property
    def mean(self) -> float:
        return math.exp(self.mu + self.sigma**2 / 2)

    def sample(self, rng: random.Random) -> float:
        """``min(rng.lognormvariate(mu, sigma), cap)``: the same draws and the same float, computed inline
        (CPython's ``normalvariate``, Kinderman-Monahan) with mu and sigma remembered per (median, p90)."""
        key = (self.median, self.p90)
        params = _LOGNORMAL.get(key)
        if params is None:
            if len(_LOGNORMAL) >= 4096:
                _LOGNORMAL.clear()
            params = _LOGNORMAL[key] = (self.mu, self.sigma, SAMPLE_CAP * self.p90)
        mu, sigma, cap = params
        rnd = rng.random
        while True:
            u1 = rnd()
            u2 = 1.0 - rnd()
            z = _NV_MAGICCONST * (u1 - 0.5) / u2
            if z * z / 4.0 <= -log(u2):
                break
        x = exp(mu + z * sigma)
        return x if x <= cap else cap


class Exponential(BaseModel):
    """An exponential distribution given by its mean (memoryless service times, M/M/c checks)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    exponential_mean: float = Field(gt=0, le=MAX_VALUE)

    @property
    def mean(self) -> float:
        return self.exponential_mean

    def sample(self, rng: random.Random) -> float:
        """``min(rng.expovariate(1 / mean), cap)``, inline (CPython's ``expovariate``: the same float)."""
        mean = self.exponential_mean
        x = -log(1.0 - rng.random()) / (1.0 / mean)
        cap = SAMPLE_CAP * mean
        return x if x <= cap else cap


Delay = MedianP90 | Exponential
