"""The wait a 429's Retry-After asks for, on a given clock: the request engine sleeps exactly
that long, after Gong's refusal and before the retry. No wall-clock duration is measured, so a
loaded machine cannot make it pass or fail."""

from __future__ import annotations

from collections.abc import Callable

from tap_gong_flows.auth import GongAuth
from tap_gong_flows.engine import EngineSettings, RequestEngine
from tap_gong_flows.simulator import Fault, FaultPlan, GongDataset, GongSimulator

from .support import ACCESS_KEY, ACCESS_KEY_SECRET, FakeClock

PATH = "/v2/flows/prospects"


def _engine(
    simulator: GongSimulator, clock: FakeClock, sleep: Callable[[float], None]
) -> RequestEngine:
    settings = EngineSettings(
        api_url=simulator.url,
        max_requests_per_second=3,
        max_requests_in_flight=1,
        request_timeout_seconds=30,
        max_retries=3,
        max_retry_after_seconds=300,
        max_requests_per_sync=None,
    )
    auth = GongAuth.from_config({"access_key": ACCESS_KEY, "access_key_secret": ACCESS_KEY_SECRET})
    return RequestEngine(settings, auth, clock=clock, sleep=sleep)


def test_a_429_is_retried_after_exactly_its_retry_after(
    simulator: GongSimulator, faults: FaultPlan, dataset: GongDataset
) -> None:
    ids = list(dataset.prospect_ids())[:10]
    faults.enqueue(Fault.rate_limited(retry_after=2), path=PATH)
    clock = FakeClock()
    answered_before_each_wait: list[int] = []

    def sleep(seconds: float) -> None:
        answered_before_each_wait.append(len(simulator.request_log))
        clock.sleep(seconds)

    engine = _engine(simulator, clock, sleep)
    try:
        payload = engine.call("POST", PATH, body={"crmProspectsIds": ids})
    finally:
        engine.close()
    assert [entry.status for entry in simulator.request_log] == [429, 200]
    assert clock.slept == [2.0]  # Gong's two seconds: not fewer, not more, and no other wait
    assert answered_before_each_wait == [1]  # after the 429 was answered, before the retry
    assert {record["crmProspectId"] for record in payload["prospectsAssigned"]} <= set(ids)
    assert engine.stats.rate_limited == 1
