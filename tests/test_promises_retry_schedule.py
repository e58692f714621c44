"""The README's retry schedule as the tap really runs it (these tests opt out of the suite's
``fast_backoff``): exponential backoff with jitter, 1, 2, 4, ... s, at most 60 s, up to
``max_retries`` (6 by default), and a 429's Retry-After waited exactly.

The engine is built as the tap builds it, against the simulator, on a fake clock: every
wait is recorded and moves the clock on, and nothing really sleeps."""

from __future__ import annotations

from typing import Any

import pytest

from tap_gong_flows.auth import GongAuth
from tap_gong_flows.engine import EngineSettings, RequestEngine
from tap_gong_flows.errors import GongRequestFailed
from tap_gong_flows.simulator import USERS_PATH, Fault, FaultPlan, GongSimulator

from .support import FakeClock

pytestmark = pytest.mark.real_backoff


def _engine(config: dict[str, Any], clock: FakeClock) -> RequestEngine:
    settings = EngineSettings.from_config(config)
    return RequestEngine(settings, GongAuth.from_config(config), clock=clock, sleep=clock.sleep)


def _assert_backoff(waits: list[float], ceilings: list[float]) -> None:
    assert len(waits) == len(ceilings), waits
    for wait, ceiling in zip(waits, ceilings, strict=True):
        assert ceiling / 2 <= wait <= ceiling, (wait, ceiling)  # "equal jitter"
    assert len({round(w / c, 9) for w, c in zip(waits, ceilings, strict=True)}) > 1, "no jitter"


def test_default_schedule_backs_off_from_1_s_and_gives_up_after_6_retries(
    simulator: GongSimulator, faults: FaultPlan, base_config: dict[str, Any]
) -> None:
    faults.enqueue(Fault.status(503), path=USERS_PATH, times=50)
    clock = FakeClock()
    with pytest.raises(GongRequestFailed, match="after 7 attempts"):
        _engine(base_config, clock).call("GET", USERS_PATH)
    assert len(simulator.request_log) == 7
    _assert_backoff(clock.slept, [1, 2, 4, 8, 16, 32])


def test_default_schedule_caps_each_wait_at_60_s(
    simulator: GongSimulator, faults: FaultPlan, base_config: dict[str, Any]
) -> None:
    faults.enqueue(Fault.rate_limited(retry_after=None), path=USERS_PATH, times=9)
    clock = FakeClock()
    answer = _engine({**base_config, "max_retries": 9}, clock).call("GET", USERS_PATH)
    assert answer["users"], "the tenth attempt should get the first page of users"
    assert [entry.status for entry in simulator.request_log] == [429] * 9 + [200]
    _assert_backoff(clock.slept, [1, 2, 4, 8, 16, 32, 60, 60, 60])


def test_retry_after_is_waited_exactly_not_backed_off(
    simulator: GongSimulator, faults: FaultPlan, base_config: dict[str, Any]
) -> None:
    faults.enqueue(Fault.rate_limited(retry_after=7), path=USERS_PATH, times=2)
    clock = FakeClock()
    _engine(base_config, clock).call("GET", USERS_PATH)
    assert [entry.status for entry in simulator.request_log] == [429, 429, 200]
    assert clock.slept == [7.0, 7.0]
