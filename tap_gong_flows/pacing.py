"""How fast requests start, and how many are in flight at once.

Gong limits a company to a number of calls per second, not to a number of open
connections. So the pace is set on request *starts* (:class:`RequestPacer`), and as many
requests are kept in flight as that pace needs at the answer time Gong shows
(:class:`InFlightWindow`, Little's law: in flight = rate x answer time).
"""

from __future__ import annotations

import itertools
import math
import threading
import time
from collections import deque
from collections.abc import Callable

from tap_gong_flows.errors import GongBudgetExceeded


class RequestPacer:
    """Spaces request starts at least ``1 / max_per_second`` apart, across all threads.

    Gong counts calls per company per second. Even spacing (rather than bursts of N
    then a pause) keeps every one-second window at or under the limit wherever the
    server's window starts. ``safety_margin`` widens the gap a little so that network
    jitter between our clock and Gong's cannot squeeze two requests into one window.

    The gap is measured from the moment the previous request was actually let go, not
    from a planned timetable: a thread that wakes late pushes the next start back rather
    than leaving it less than a gap behind (with a timetable, one start 11 ms late put
    four requests into one of Gong's seconds). Waiting requests go first come, first served.

    :meth:`hold` stops every start until a moment has passed: a 429's Retry-After is
    about the company's quota, so it holds back all requests, not only the one that drew it.
    """

    def __init__(
        self,
        max_per_second: float,
        *,
        safety_margin: float = 0.01,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        stopped: Callable[[], bool] = lambda: False,
    ) -> None:
        if max_per_second <= 0:
            raise ValueError("max_per_second must be positive")
        self.interval = (1.0 / max_per_second) * (1.0 + safety_margin)
        self._clock = clock
        self._sleep = sleep
        self._stopped = stopped
        self._turns = threading.Condition()
        self._tickets = itertools.count()
        self._serving = 0
        self._last_start = -math.inf
        self._held_until = -math.inf

    def wait(self) -> float:
        """Block until this request may start; return how long that took.

        Returns at once, without starting, once ``stopped`` says the sync is stopping.
        """
        began = self._clock()
        with self._turns:
            ticket = next(self._tickets)
            while ticket != self._serving:
                self._turns.wait()
        try:
            while not self._stopped():
                with self._turns:
                    now = self._clock()
                    start = max(self._last_start + self.interval, self._held_until)
                    if now >= start:
                        self._last_start = now
                        break
                # Sleep outside the lock, so that a 429's hold can land meanwhile.
                self._sleep(start - now)
        finally:
            with self._turns:
                self._serving += 1
                self._turns.notify_all()
        return self._clock() - began

    def hold(self, seconds: float) -> None:
        """No request starts in the next ``seconds`` (from now)."""
        with self._turns:
            until = self._clock() + seconds
            if until > self._held_until:
                self._held_until = until

    @property
    def held_until(self) -> float:
        return self._held_until


class InFlightWindow:
    """How many requests to keep in flight so the pace is kept at Gong's answer times.

    One request in flight at a time gives at most 1 / answer-time requests per second;
    keeping ``max_per_second`` going needs ``max_per_second x answer time`` in flight.
    The answer time used is the larger of a high quantile of recent answers and the age
    of the oldest request still unanswered: answers are written in order, so one slow
    answer must not leave the pace idle behind it, and before the first answer the
    window grows as long as it is awaited. The window never exceeds ``cap``
    (``max_requests_in_flight``).
    """

    SAMPLES = 64
    QUANTILE = 0.9
    # Before anything is known: one request in flight and the next one ready.
    INITIAL = 2

    def __init__(
        self, max_per_second: float, cap: int, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if cap < 1:
            raise ValueError("cap must be at least 1")
        self._rate = max_per_second
        self.cap = cap
        self._clock = clock
        self._samples: deque[float] = deque(maxlen=self.SAMPLES)
        self._slow_answer = 0.0
        self._unanswered: dict[int, float] = {}  # request number -> when it was sent
        self._numbers = itertools.count()
        self._lock = threading.Lock()

    def sent(self) -> int:
        """A request left now; returns its number for :meth:`answered`."""
        number = next(self._numbers)
        with self._lock:
            self._unanswered[number] = self._clock()
        return number

    def answered(self, number: int) -> float:
        """The request's answer (or failure) arrived; returns how long it took."""
        with self._lock:
            seconds = max(0.0, self._clock() - self._unanswered.pop(number))
            self._samples.append(seconds)
            ordered = sorted(self._samples)
            self._slow_answer = ordered[int(self.QUANTILE * (len(ordered) - 1))]
        return seconds

    @property
    def size(self) -> int:
        with self._lock:
            if not self._samples and not self._unanswered:
                return min(self.cap, self.INITIAL)
            answer_time = self._slow_answer
            if self._unanswered:
                answer_time = max(answer_time, self._clock() - min(self._unanswered.values()))
        needed = math.ceil(self._rate * answer_time) + 1  # + 1: the next one ready to go
        return max(1, min(self.cap, needed))


class RequestBudget:
    """Stops a sync before it spends more than its share of Gong's daily calls.

    Gong allows 10,000 calls a day per company, shared with every other integration, so a
    team may cap what one sync may use. Retries count: they are calls too.
    """

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.spent = 0
        self._lock = threading.Lock()

    def spend(self, what: str) -> None:
        with self._lock:
            if self.limit is not None and self.spent >= self.limit:
                raise GongBudgetExceeded(
                    f"Stopped before {what}: this sync has made {self.spent} requests, the "
                    f"max_requests_per_sync limit. The last STATE message lets the next run "
                    f"resume; raise max_requests_per_sync to finish in one run."
                )
            self.spent += 1
