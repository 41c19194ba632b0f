"""Distributions as testers write them in scenario files.

Delays are written as a median and a 90th percentile ("half the replies within
2 working days, nine in ten within 4.5"): easier to justify from observations
than a mean and a shape parameter.  Both are turned into a lognormal.
"""

from __future__ import annotations

import math
import random

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["MedianP90", "Exponential", "Delay", "Z90"]

Z90 = 1.2815515655446004  # standard normal 90th percentile
MAX_VALUE = 1_000_000  # largest median, p90 or mean (minutes, days, reposts)
MAX_SPREAD = 1_000  # largest p90 / median
#: A draw is capped at this multiple of p90 (or of the mean): a lognormal's far tail
#: would otherwise overflow a date; with any realistic spread the cap is never reached.
SAMPLE_CAP = 1_000


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
        return min(rng.lognormvariate(self.mu, self.sigma), SAMPLE_CAP * self.p90)


class Exponential(BaseModel):
    """An exponential distribution given by its mean (memoryless service times, M/M/c checks)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    exponential_mean: float = Field(gt=0, le=MAX_VALUE)

    @property
    def mean(self) -> float:
        return self.exponential_mean

    def sample(self, rng: random.Random) -> float:
        return min(rng.expovariate(1.0 / self.exponential_mean), SAMPLE_CAP * self.exponential_mean)


Delay = MedianP90 | Exponential
