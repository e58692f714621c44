"""Progress lines for long syncs, so a million-ID backfill does not face a silent terminal."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


class SyncProgress:
    """Logs where a sync is at most every ``interval`` seconds (and once at the end)."""

    def __init__(
        self,
        logger: logging.Logger,
        *,
        total: int | None,
        already_done: int = 0,
        interval: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._logger = logger
        self._clock = clock
        self._interval = interval
        self._started = clock()
        self._last_logged = self._started
        self.total = total
        self.already_done = already_done
        self.prospects = 0  # done in this run
        self.records = 0
        self.requests = 0
        self.rate_limited = 0

    def update(self, *, prospects: int, records: int, requests: int, rate_limited: int) -> None:
        self.prospects, self.records = prospects, records
        self.requests, self.rate_limited = requests, rate_limited
        if self._clock() - self._last_logged >= self._interval:
            self.log()

    def line(self) -> str:
        done = self.already_done + self.prospects
        elapsed = self._clock() - self._started
        share = ""
        if self.total:
            share = f" of about {self.total:,} ({min(done / self.total, 1):.1%})"
        eta = ""
        if self.total and self.prospects and elapsed > 0 and done < self.total:
            eta = f", ETA {_duration((self.total - done) / (self.prospects / elapsed))}"
        resumed = f" (resumed after {self.already_done:,})" if self.already_done else ""
        return (
            f"Progress: {done:,} prospects{share}{resumed}, {self.records:,} records, "
            f"{self.requests:,} requests, {self.rate_limited:,} rate-limited, "
            f"{_duration(elapsed)} elapsed{eta}"
        )

    def log(self) -> None:
        self._last_logged = self._clock()
        self._logger.info("%s", self.line())
