"""Client-side pacing, so that a tap running alone never draws a 429 from Gong."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from tap_gong_flows.errors import GongBudgetExceeded


class RequestPacer:
    """Spaces request starts at least ``1 / max_per_second`` apart, across all streams.

    Gong counts calls per company per second. Even spacing (rather than bursts of N
    then a pause) keeps every one-second window at or under the limit wherever the
    server's window starts. ``safety_margin`` widens the gap a little so that network
    jitter between our clock and Gong's cannot squeeze two requests into one window.
    """

    def __init__(
        self,
        max_per_second: float,
        *,
        safety_margin: float = 0.01,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_per_second <= 0:
            raise ValueError("max_per_second must be positive")
        self.interval = (1.0 / max_per_second) * (1.0 + safety_margin)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_start: float | None = None
        self.requests = 0

    def wait(self) -> float:
        """Block until the next request may start; return how long that took."""
        with self._lock:
            now = self._clock()
            start = now if self._next_start is None else max(now, self._next_start)
            self._next_start = start + self.interval
            self.requests += 1
        delay = start - now
        if delay > 0:
            self._sleep(delay)
        return delay


class RequestBudget:
    """Stops a sync before it spends more than its share of Gong's daily calls.

    Gong allows 10,000 calls a day per company, shared with every other integration, so a
    team may cap what one sync may use. Retries count: they are calls too.
    """

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.spent = 0

    def spend(self, what: str) -> None:
        if self.limit is not None and self.spent >= self.limit:
            raise GongBudgetExceeded(
                f"Stopped before {what}: this sync has made {self.spent} requests, the "
                f"max_requests_per_sync limit. The last STATE message lets the next run "
                f"resume; raise max_requests_per_sync to finish in one run."
            )
        self.spent += 1
