"""The request engine: ordered fan-outs, the in-flight window, the 429 hold, stopping.

Unit tests use fake clocks and events, never durations. The sync tests run against the
simulator with a small answer time and read what overlapped from its own request log.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import pytest

from tap_gong_flows.errors import GongAPIError, GongSyncStopped
from tap_gong_flows.fan_out import OrderedFanOut
from tap_gong_flows.pacing import InFlightWindow, RequestPacer
from tap_gong_flows.settings import setting_value
from tap_gong_flows.simulator import AnswerDelay, Fault, FaultPlan, GongDataset, GongSimulator

from .support import ACCESS_KEY, ACCESS_KEY_SECRET, asked_ids, run_tap, run_tap_capturing_failure

PATH = "/v2/flows/prospects"


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class FixedWindow:
    def __init__(self, size: int) -> None:
        self.size = size


class Stops:
    def __init__(self) -> None:
        self.failure: BaseException | None = None

    def stop(self, cause: BaseException) -> None:
        if self.failure is None:
            self.failure = cause


# Ordered fan-out


def test_results_come_back_in_item_order_whatever_order_answers_arrive_in() -> None:
    released = {i: threading.Event() for i in range(6)}
    finished: list[int] = []

    def work(item: int) -> int:
        released[item].wait(5)
        finished.append(item)
        return item * 10

    with ThreadPoolExecutor(6) as pool:
        fan_out = OrderedFanOut(
            range(6), work, submit=pool.submit, window=FixedWindow(6), engine=Stops()
        ).start()
        for item in reversed(range(6)):  # the last item answers first, one by one
            released[item].set()
            while item not in finished:
                threading.Event().wait(0.001)
        results = list(fan_out)
    assert finished == [5, 4, 3, 2, 1, 0]
    assert results == [(i, i * 10) for i in range(6)]


def test_at_most_the_window_is_taken_ahead_of_the_consumer() -> None:
    taken: list[int] = []

    def items() -> Any:
        for i in range(10):
            taken.append(i)
            yield i

    with ThreadPoolExecutor(4) as pool:
        fan_out = OrderedFanOut(
            items(), lambda i: i, submit=pool.submit, window=FixedWindow(3), engine=Stops()
        )
        iterator = iter(fan_out)
        assert next(iterator) == (0, 0)
        # One handed back, three in flight behind it: nothing more has been read.
        assert taken == [0, 1, 2, 3]
        assert [item for item, _ in iterator] == list(range(1, 10))


def test_a_failed_item_stops_the_rest_and_is_the_error_raised() -> None:
    stops = Stops()
    failure = GongAPIError("POST /x answered 400", 400)
    gate = threading.Event()

    def work(item: int) -> int:
        if item == 2:
            stops.stop(failure)  # what the engine does when a request fails for good
            gate.set()
            raise failure
        if item < 2:
            gate.wait(5)  # earlier items see the stop before they would be sent
            raise GongSyncStopped("not sent: the sync is stopping")
        return item

    handed_back: list[int] = []

    def consume(fan_out: OrderedFanOut[int, int]) -> None:
        for item, _ in fan_out:
            handed_back.append(item)

    with ThreadPoolExecutor(4) as pool:
        fan_out = OrderedFanOut(
            range(8), work, submit=pool.submit, window=FixedWindow(4), engine=stops
        )
        with pytest.raises(GongAPIError) as caught:
            consume(fan_out)
    assert caught.value is failure  # not the "stopping" of the item before it
    assert handed_back == []


# The in-flight window


def test_window_follows_the_answer_time() -> None:
    clock = FakeClock()
    window = InFlightWindow(3, cap=24, clock=clock)
    assert window.size == InFlightWindow.INITIAL
    first = window.sent()
    clock.now += 1.5  # no answer yet: the wait itself says answers are slow
    assert window.size == 6  # ceil(3 x 1.5) + 1
    window.answered(first)
    for _ in range(20):  # fast answers from now on
        number = window.sent()
        clock.now += 0.1
        window.answered(number)
    assert window.size == 2  # ceil(3 x 0.1) + 1
    for _ in range(64):  # a slower server
        number = window.sent()
        clock.now += 3.0
        window.answered(number)
    assert window.size == 10


def test_window_never_exceeds_its_cap() -> None:
    clock = FakeClock()
    window = InFlightWindow(3, cap=4, clock=clock)
    window.sent()
    clock.now += 60
    assert window.size == 4


# The 429 hold


def test_a_hold_delays_every_start_including_ones_already_queued() -> None:
    clock = FakeClock()
    pacer = RequestPacer(3, safety_margin=0.0, clock=clock, sleep=clock.sleep)
    pacer.wait()
    start = clock.now
    pacer.hold(2.0)  # a 429 with Retry-After: 2 arrives now
    pacer.wait()
    assert clock.now >= start + 2.0
    second = clock.now
    pacer.wait()
    assert clock.now == pytest.approx(second + 1 / 3)  # then the even pace again


def test_a_hold_arriving_while_a_request_waits_for_its_turn_pushes_it_back() -> None:
    clock = FakeClock()
    holds: list[float] = []

    def sleep(seconds: float) -> None:
        clock.sleep(seconds)
        if not holds:  # another thread draws a 429 while this one sleeps
            holds.append(clock.now)
            pacer.hold(5.0)

    pacer = RequestPacer(3, safety_margin=0.0, clock=clock, sleep=sleep)
    pacer.wait()
    pacer.wait()  # had a slot 1/3 s later, then the hold came
    assert clock.now >= holds[0] + 5.0


# Against the simulator, with answers that take time


@pytest.fixture
def slow_simulator(dataset: GongDataset, faults: FaultPlan) -> Any:
    with GongSimulator(
        dataset,
        access_key=ACCESS_KEY,
        access_key_secret=ACCESS_KEY_SECRET,
        rate_limit_per_second=None,
        faults=faults,
        latency=AnswerDelay(0.1, seed=3),
    ) as running:
        yield running


def _config(simulator: GongSimulator, **settings: Any) -> dict[str, Any]:
    return {
        "api_url": simulator.url,
        "access_key": ACCESS_KEY,
        "access_key_secret": ACCESS_KEY_SECRET,
        "max_requests_per_second": 40,
        **settings,
    }


def test_requests_overlap_when_answers_take_time_and_records_stay_the_same(
    slow_simulator: GongSimulator, simulator: GongSimulator, dataset: GongDataset
) -> None:
    ids = list(dataset.prospect_ids())
    streams = ("flows", "flow_folders", "flow_steps", "tasks", "users", "prospects")
    streams += ("assigned_flows",)
    settings = {"crm_prospect_ids": ids, "prospect_ids_per_request": 25}
    slow = run_tap(_config(slow_simulator, **settings), streams=streams)
    # At 40 requests a second and about 0.1 s an answer, about 4 are in flight; one at a
    # time would be 1. Asking for 2 keeps a loaded machine from failing a working tap.
    assert slow_simulator.most_in_flight() >= 2
    assert all(entry.status == 200 for entry in slow_simulator.request_log)
    instant = run_tap(_config(simulator, **settings), streams=streams)
    assert len(simulator.request_log) == len(slow_simulator.request_log)
    for stream in (*streams, "assigned_flows"):
        assert slow.records(stream) == instant.records(stream), stream
    assert slow.records() == dataset.expected_open_records(ids)


def test_one_request_in_flight_when_the_cap_says_so(
    slow_simulator: GongSimulator, dataset: GongDataset
) -> None:
    ids = list(dataset.prospect_ids())[:200]
    config = _config(slow_simulator, crm_prospect_ids=ids, max_requests_in_flight=1)
    run_tap({**config, "prospect_ids_per_request": 25})
    assert slow_simulator.most_in_flight() == 1
    assert asked_ids(slow_simulator) == [ids[i : i + 25] for i in range(0, 200, 25)]


def test_after_a_429_no_request_starts_before_its_retry_after(
    slow_simulator: GongSimulator,
    faults: FaultPlan,
    dataset: GongDataset,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The pacer's own decisions are watched (its clock is the real one), not durations:
    # every start the pacer lets go once the 429 has set the hold must be past the hold.
    holds: list[tuple[float, float]] = []
    starts: list[float] = []
    real_hold, real_wait = RequestPacer.hold, RequestPacer.wait

    def hold(pacer: RequestPacer, seconds: float) -> None:
        asked_at = time.monotonic()
        real_hold(pacer, seconds)
        holds.append((asked_at, pacer.held_until))

    def wait(pacer: RequestPacer) -> float:
        waited = real_wait(pacer)
        starts.append(time.monotonic())
        return waited

    monkeypatch.setattr(RequestPacer, "hold", hold)
    monkeypatch.setattr(RequestPacer, "wait", wait)
    ids = list(dataset.prospect_ids())[:300]
    faults.enqueue(Fault.rate_limited(retry_after=1), path=PATH, body_contains=ids[100])
    config = _config(slow_simulator, crm_prospect_ids=ids, max_requests_per_second=5)
    output = run_tap({**config, "prospect_ids_per_request": 25})
    ((held_at, held_until),) = holds
    assert held_until >= held_at + 1.0
    after = [start for start in starts if start > held_at]
    assert len(after) >= 3, "batches after the 429 were expected"
    # Starts are let go one at a time, so at most the one being let go as the hold
    # landed can come inside it.
    assert len([start for start in after if start < held_until]) <= 1
    assert [e.status for e in slow_simulator.request_log].count(429) == 1
    assert output.records() == dataset.expected_open_records(ids)


def test_a_fatal_error_sends_nothing_new_and_writes_nothing_past_the_failed_batch(
    slow_simulator: GongSimulator, faults: FaultPlan, dataset: GongDataset
) -> None:
    ids = list(dataset.prospect_ids())[:400]
    body = '{"requestId": "r-400", "errors": ["Bad batch"]}'
    # Slower than the pace, so that the next batches are surely in flight when it fails.
    failure = replace(Fault.status(400, body, "application/json"), delay_seconds=0.2)
    faults.enqueue(failure, path=PATH, body_contains=ids[275])
    config = _config(slow_simulator, crm_prospect_ids=ids, prospect_ids_per_request=25)
    output, error = run_tap_capturing_failure(config)
    assert isinstance(error, GongAPIError)
    assert "Bad batch" in str(error)
    assert "requestId r-400" in str(error)
    assert "batch 12: prospect IDs #276-#300" in str(error)
    # Batches after batch 12 were in flight when it failed, and none is written.
    asked = asked_ids(slow_simulator)
    assert any(batch[0] == ids[300] for batch in asked), "batch 13 was expected in flight"
    assert output.records() == dataset.expected_open_records(ids[:275])
    state = output.of_type("STATE")[-1]["value"]
    assert state["bookmarks"]["assigned_flows"]["prospects_done"] == 275
    # Once it failed, nothing new went out: at most the window was in flight behind it.
    failed_at = next(e.arrived for e in slow_simulator.request_log if e.status == 400)
    later = [e for e in slow_simulator.request_log if e.arrived > failed_at]
    assert len(later) <= int(setting_value({}, "max_requests_in_flight"))
