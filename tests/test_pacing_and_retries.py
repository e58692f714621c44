"""Pacing and retry waits, on a fake clock."""

from __future__ import annotations

import itertools
import random
import threading
import time
from datetime import UTC, datetime

import pytest

from tap_gong_flows.errors import GongTransientError
from tap_gong_flows.pacing import RequestPacer
from tap_gong_flows.retries import parse_retry_after, retry_waits


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_pacer_spaces_request_starts_evenly() -> None:
    clock = FakeClock()
    pacer = RequestPacer(3, safety_margin=0.0, clock=clock, sleep=clock.sleep)
    starts = []
    for _ in range(10):
        pacer.wait()
        starts.append(clock.now)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert gaps == pytest.approx([1 / 3] * 9)
    # No one-second window [t, t+1) ever holds more than 3 starts.
    assert max(sum(1 for s in starts if t <= s < t + 1) for t in starts) == 3


def test_pacer_does_not_wait_when_requests_are_slow_anyway() -> None:
    clock = FakeClock()
    pacer = RequestPacer(3, clock=clock, sleep=clock.sleep)
    pacer.wait()
    clock.now += 5  # a slow answer
    assert pacer.wait() == 0
    assert clock.slept == []


def test_pacer_safety_margin_keeps_efficiency_high() -> None:
    clock = FakeClock()
    pacer = RequestPacer(3, clock=clock, sleep=clock.sleep)
    first = clock.now
    for _ in range(31):
        pacer.wait()
    ideal = 30 / 3
    assert 0.97 <= ideal / (clock.now - first) < 1.0


def test_a_start_that_wakes_late_pushes_the_next_one_back() -> None:
    clock = FakeClock()
    late = iter([0.0, 0.05, 0.0, 0.2, 0.0, 0.0, 0.0, 0.0, 0.0])

    def sleep(seconds: float) -> None:
        clock.sleep(seconds + next(late, 0.0))  # the thread wakes up late, now and then

    pacer = RequestPacer(3, safety_margin=0.0, clock=clock, sleep=sleep)
    starts = []
    for _ in range(10):
        pacer.wait()
        starts.append(clock.now)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) >= 1 / 3 - 1e-9
    assert max(sum(1 for s in starts if t <= s < t + 1) for t in starts) == 3


def test_a_stopping_sync_stops_waiting_for_its_turn() -> None:
    clock = FakeClock()
    stopping = False

    def sleep(seconds: float) -> None:
        nonlocal stopping
        stopping = True  # the sync fails while this request waits
        clock.sleep(0.01)

    pacer = RequestPacer(3, clock=clock, sleep=sleep, stopped=lambda: stopping)
    pacer.wait()
    pacer.hold(60.0)
    pacer.wait()
    assert clock.now < 1001.0


def test_pacer_lets_waiting_threads_go_in_arrival_order() -> None:
    pacer = RequestPacer(200, safety_margin=0.0)
    started: list[int] = []

    def request(number: int) -> None:
        pacer.wait()
        started.append(number)

    pacer.wait()
    pacer.hold(0.2)
    threads = []
    for number in range(8):
        thread = threading.Thread(target=request, args=(number,))
        thread.start()
        threads.append(thread)
        time.sleep(0.01)  # each is queued before the next arrives
    for thread in threads:
        thread.join()
    assert started == list(range(8))


def test_pacer_rejects_non_positive_rate() -> None:
    with pytest.raises(ValueError, match="positive"):
        RequestPacer(0)


@pytest.mark.parametrize(
    ("header", "expected"),
    [("1", 1.0), (" 2 ", 2.0), ("0", 0.0), ("-3", 0.0), ("", None), (None, None), ("soon", None)],
)
def test_parse_retry_after_seconds(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header) == expected


def test_parse_retry_after_http_date() -> None:
    now = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Sat, 28 Nov 2026 12:01:30 GMT", now=now) == 90.0


def _started(gen):  # type: ignore[no-untyped-def]
    next(gen)
    return gen


def test_retry_after_is_waited_exactly_without_jitter() -> None:
    waits = _started(retry_waits(rng=random.Random(1)))
    assert waits.send(GongTransientError("429", retry_after=2.0)) == 2.0
    assert waits.send(GongTransientError("429", retry_after=1.0)) == 1.0


def test_other_failures_back_off_exponentially_with_bounded_jitter() -> None:
    waits = _started(retry_waits(base_seconds=1, max_seconds=8, rng=random.Random(7)))
    got = [waits.send(ConnectionError("reset")) for _ in range(6)]
    ceilings = [1, 2, 4, 8, 8, 8]
    for wait, ceiling in zip(got, ceilings, strict=True):
        assert ceiling / 2 <= wait <= ceiling
    assert len(set(got)) > 1  # jittered, not a fixed schedule
