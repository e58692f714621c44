"""The Singer SDK's standard tap tests, run against the Gong simulator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from singer_sdk.testing import get_tap_test_class

from tap_gong_flows.simulator import GongDataset, GongSimulator
from tap_gong_flows.tap import TapGongFlows

# The SDK builds the test class at import time from a fixed config, so this module runs
# its own simulator, started here and stopped when the module's tests are done.
_DATASET = GongDataset(prospect_count=250, seed=11)
_SIMULATOR = GongSimulator(_DATASET, rate_limit_per_second=None).start()

SDK_CONFIG = {
    "api_url": _SIMULATOR.url,
    "access_key": "sim-access-key",
    "access_key_secret": "sim-access-key-secret",
    "crm_prospect_ids": list(_DATASET.prospect_ids()),
    "prospect_ids_per_request": 50,
    "max_requests_per_second": 1000,
}


@pytest.fixture(scope="module", autouse=True)
def _stop_simulator() -> Iterator[None]:
    yield
    _SIMULATOR.stop()


TestTapGongFlows = get_tap_test_class(TapGongFlows, config=SDK_CONFIG)
