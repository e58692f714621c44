"""How long the simulator takes to answer, so that it behaves like an API across a network.

Real answer times are skewed: most near a typical value, a few several times slower. A
lognormal draw around a median gives that shape; a cap keeps one draw from stalling a
test. Draws are seeded, so a benchmark sees the same answer times on every run.
"""

from __future__ import annotations

import math
import random
import threading

# The spread of answer times: with 0.4, 90% of answers take 0.5x to 1.9x the median.
DEFAULT_SIGMA = 0.4
# No answer takes longer than this many medians.
DEFAULT_CAP_FACTOR = 5.0


class AnswerDelay:
    """Seconds to wait before each answer: ``median x e^(sigma x N(0, 1))``, capped."""

    def __init__(
        self,
        median_seconds: float,
        *,
        sigma: float = DEFAULT_SIGMA,
        cap_factor: float = DEFAULT_CAP_FACTOR,
        seed: int = 0,
    ) -> None:
        if median_seconds < 0:
            raise ValueError(f"the median answer time must not be negative: {median_seconds}")
        if sigma < 0:
            raise ValueError(f"sigma must not be negative: {sigma}")
        self.median_seconds = median_seconds
        self.sigma = sigma
        self.cap_seconds = median_seconds * cap_factor
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def draw(self) -> float:
        if self.median_seconds == 0:
            return 0.0
        with self._lock:
            normal = self._random.gauss(0.0, 1.0)
        return min(self.cap_seconds, self.median_seconds * math.exp(self.sigma * normal))
