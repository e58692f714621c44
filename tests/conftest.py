"""Fixtures: a running Gong simulator with its dataset and fault plan, a config pointing at it,
and fast exponential backoff for every test not marked ``real_backoff``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tap_gong_flows.engine import RequestEngine
from tap_gong_flows.simulator import FaultPlan, GongDataset, GongSimulator

from .support import ACCESS_KEY, ACCESS_KEY_SECRET, ACCESS_TOKEN


@pytest.fixture
def dataset() -> GongDataset:
    return GongDataset(prospect_count=500, seed=7)


@pytest.fixture
def faults() -> FaultPlan:
    return FaultPlan()


@pytest.fixture
def simulator(dataset: GongDataset, faults: FaultPlan) -> Iterator[GongSimulator]:
    """A simulator without its per-second limit, so that tests need not pace."""
    with GongSimulator(
        dataset,
        access_key=ACCESS_KEY,
        access_key_secret=ACCESS_KEY_SECRET,
        access_token=ACCESS_TOKEN,
        rate_limit_per_second=None,
        faults=faults,
    ) as running:
        yield running


@pytest.fixture
def base_config(simulator: GongSimulator) -> dict[str, Any]:
    return {
        "api_url": simulator.url,
        "access_key": ACCESS_KEY,
        "access_key_secret": ACCESS_KEY_SECRET,
        "max_requests_per_second": 1000,
    }


@pytest.fixture(autouse=True)
def _clean_shared_simulator(request: pytest.FixtureRequest) -> Iterator[None]:
    """Modules that share one simulator across their tests (a ``sim`` fixture) get it back
    without queued faults or logged requests after each test."""
    yield
    if "sim" in request.fixturenames:
        simulator: GongSimulator = request.getfixturevalue("sim")
        if simulator.faults is not None:
            simulator.faults.clear()
        simulator.reset_log()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "real_backoff: keep the tap's own retry schedule (no fast_backoff)"
    )


@pytest.fixture(autouse=True)
def fast_backoff(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Exponential backoff steps of milliseconds; Retry-After waits stay exact. A test marked
    ``real_backoff`` keeps the real schedule (and should wait on a fake clock)."""
    if request.node.get_closest_marker("real_backoff") is not None:
        return
    monkeypatch.setattr(RequestEngine, "retry_base_seconds", 0.01)
    monkeypatch.setattr(RequestEngine, "retry_max_seconds", 0.05)
