"""How long to wait before retrying a failed request.

A 429 with Retry-After waits exactly what Gong asked for (no jitter: waiting less
draws another 429, waiting more wastes the budget). Everything else retried (5xx,
timeouts, dropped connections, 429 without Retry-After) backs off exponentially with
jitter so that many clients do not retry in lockstep.
"""

from __future__ import annotations

import random
from collections.abc import Generator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None if unusable."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


_JITTER = random.Random()


def retry_waits(
    *,
    base_seconds: float = 1.0,
    max_seconds: float = 60.0,
    rng: random.Random | None = None,
) -> Generator[float, BaseException | None, None]:
    """A ``backoff`` wait generator: it is sent each failure and yields the wait before the retry.

    Exponential waits use "equal jitter": half the step is fixed, half random, so a
    retry never comes back instantly.
    """
    draw = rng or _JITTER  # one shared generator: seeding a new one per request costs
    failure = yield 0.0  # backoff primes the generator before the first failure
    step = 0
    while True:
        retry_after = getattr(failure, "retry_after", None)
        if retry_after is not None:
            failure = yield float(retry_after)
            continue
        ceiling = min(max_seconds, base_seconds * (2**step))
        step += 1
        failure = yield ceiling / 2 + draw.uniform(0, ceiling / 2)
