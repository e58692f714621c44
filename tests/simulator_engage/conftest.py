"""One simulator of the fixed dataset for each module, without limits."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tap_gong_flows.simulator import (
    GongSimulator,
)

from .engage_api import DATASET


@pytest.fixture(scope="module")
def sim() -> Iterator[GongSimulator]:
    with GongSimulator(DATASET, rate_limit_per_second=None, daily_limit=None) as simulator:
        yield simulator
