"""One simulator of the fixed dataset for each module, without limits."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tap_gong_flows.simulator import (
    GongSimulator,
)

from .prospects_api import DATASET


@pytest.fixture(scope="module")
def sim() -> Iterator[GongSimulator]:
    """An unthrottled simulator shared by the tests that do not depend on quotas."""
    with GongSimulator(DATASET, rate_limit_per_second=None, daily_limit=None) as simulator:
        yield simulator
