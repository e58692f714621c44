"""One simulator of the fixed dataset for each module, without limits."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tap_gong_flows.simulator import (
    GongDataset,
    GongSimulator,
)

from .fixed_records import SMALL_PROSPECT_COUNT, SMALL_SEED
from .prospects_api import DATASET


@pytest.fixture(scope="module")
def sim() -> Iterator[GongSimulator]:
    """An unthrottled simulator shared by the tests that do not depend on quotas."""
    with GongSimulator(DATASET, rate_limit_per_second=None, daily_limit=None) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def small_sim() -> Iterator[GongSimulator]:
    """An unthrottled simulator of the small account that fixed_records.py writes out."""
    small = GongDataset(SMALL_PROSPECT_COUNT, seed=SMALL_SEED)
    with GongSimulator(small, rate_limit_per_second=None, daily_limit=None) as simulator:
        yield simulator


@pytest.fixture(autouse=True)
def _clean_small_simulator(request: pytest.FixtureRequest) -> Iterator[None]:
    """The shared small simulator comes back to each test without queued faults or log."""
    yield
    if "small_sim" in request.fixturenames:
        simulator: GongSimulator = request.getfixturevalue("small_sim")
        simulator.faults.clear()
        simulator.reset_log()
