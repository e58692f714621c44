"""The config of the Airbyte source's tests: the simulator's, with its prospect IDs."""

from __future__ import annotations

from typing import Any

import pytest

from tap_gong_flows.simulator import (
    GongDataset,
)


@pytest.fixture
def config(base_config: dict[str, Any], dataset: GongDataset) -> dict[str, Any]:
    return {**base_config, "crm_prospect_ids": list(dataset.prospect_ids())[:150]}
