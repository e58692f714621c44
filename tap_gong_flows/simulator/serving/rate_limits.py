"""Gong's request quotas: a per-second sliding window and a per-UTC-day budget."""

from __future__ import annotations

import bisect
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

_SECONDS_PER_DAY = 86_400
_WINDOW_SECONDS = 1.0
# Admission times kept for the window check; generous so a request admitted long after
# it arrived (e.g. behind a slow fault) is still judged against its neighbours.
_HISTORY_SECONDS = 120.0


@dataclass(frozen=True)
class Rejection:
    message: str
    retry_after: int


class RequestLimiter:
    """Admits or rejects requests by arrival time. Thread-safe.

    A request is rejected when admitting it would put more than ``per_second``
    requests inside some 1.0 s window, or when ``per_day`` requests have already been
    admitted this UTC day. Rejected requests do not count against either quota.
    """

    def __init__(
        self,
        per_second: float | None,
        per_day: int | None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        if per_second is not None and per_second < 1:
            raise ValueError(f"per_second must be at least 1 (or None): {per_second}")
        if per_day is not None and per_day < 0:
            raise ValueError(f"per_day must not be negative (or None): {per_day}")
        self._per_window = None if per_second is None else math.floor(per_second)
        self._per_day = per_day
        self._wall_clock = wall_clock
        self._admitted: list[float] = []  # sorted monotonic arrival times
        self._day = -1
        self._admitted_today = 0
        self._lock = threading.Lock()

    def admit(self, arrived: float) -> Rejection | None:
        """Admit a request that arrived at monotonic time ``arrived``, or say why not."""
        with self._lock:
            now = self._wall_clock()
            day = int(now // _SECONDS_PER_DAY)
            if day != self._day:
                self._day, self._admitted_today = day, 0
            if self._per_day is not None and self._admitted_today >= self._per_day:
                until_midnight = (day + 1) * _SECONDS_PER_DAY - now
                return Rejection(
                    f"API request limit exceeded: the daily quota of {self._per_day} "
                    "requests is used up",
                    max(1, math.ceil(until_midnight)),
                )
            if self._per_window is not None:
                if not self._window_allows(arrived, self._per_window):
                    return Rejection(
                        "API request limit exceeded: at most "
                        f"{self._per_window} requests per second are allowed",
                        1,
                    )
                bisect.insort(self._admitted, arrived)
                horizon = self._admitted[-1] - _HISTORY_SECONDS
                del self._admitted[: bisect.bisect_left(self._admitted, horizon)]
            self._admitted_today += 1
            return None

    def reset(self) -> None:
        """Forget all admitted requests, as if the simulator had just started."""
        with self._lock:
            self._admitted.clear()
            self._day, self._admitted_today = -1, 0

    def _window_allows(self, arrived: float, limit: int) -> bool:
        # Arrivals can be admitted slightly out of order across threads, so check every
        # 1.0 s window that would contain the new arrival, not just the one ending at it.
        start = bisect.bisect_right(self._admitted, arrived - _WINDOW_SECONDS)
        stop = bisect.bisect_left(self._admitted, arrived + _WINDOW_SECONDS)
        neighbours = self._admitted[start:stop]
        bisect.insort(neighbours, arrived)
        for first, window_start in enumerate(neighbours):
            if window_start > arrived:
                break
            last = bisect.bisect_left(neighbours, window_start + _WINDOW_SECONDS, lo=first)
            if last - first > limit:
                return False
        return True
