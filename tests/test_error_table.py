"""The README's error table, row by row: each status or failure has its own fault.

Each test asserts what the README says the tap does, and counts the requests the
simulator saw, so that a tap retrying what must fail at once (or giving up on what must
be retried) fails here. The rows already proven elsewhere name their tests in the README.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from tap_gong_flows.errors import GongAPIError, GongRequestFailed
from tap_gong_flows.schemas import ASSIGNED_FLOW
from tap_gong_flows.simulator import Fault, FaultPlan, GongDataset, GongSimulator

from .support import run_tap

PATH = "/v2/flows/prospects"


def _gong_error(status: int, words: str) -> Fault:
    body = json.dumps({"requestId": f"req-{status}-table", "errors": [words]})
    return Fault.status(status, body, "application/json")


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (400, "Invalid request: crmProspectsIds must not be empty"),
        (403, "Insufficient scope: api:flows:read"),
        (404, "Not found"),
        (405, "Method not allowed"),
        (409, "Conflict"),
        (413, "Payload too large"),
        (422, "Unprocessable entity"),
    ],
)
def test_client_errors_fail_at_once_without_a_retry_in_gongs_words(
    status: int,
    words: str,
    faults: FaultPlan,
    simulator: GongSimulator,
    dataset: GongDataset,
    base_config: dict[str, Any],
) -> None:
    # One fault only: a tap that retried would get a 200 next and pass the sync.
    faults.enqueue(_gong_error(status, words), path=PATH)
    config = {**base_config, "crm_prospect_ids": list(dataset.prospect_ids())[:20]}
    with pytest.raises(GongAPIError) as caught:
        run_tap(config)
    assert caught.value.status == status
    assert [entry.status for entry in simulator.request_log] == [status]
    message = str(caught.value)
    assert f"answered {status}" in message
    assert words in message
    assert f"req-{status}-table" in message


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_redirects_fail_at_once_and_are_not_followed(
    status: int,
    faults: FaultPlan,
    simulator: GongSimulator,
    dataset: GongDataset,
    base_config: dict[str, Any],
) -> None:
    elsewhere = f"{simulator.url}/v2/flows/prospects-moved"
    faults.enqueue(Fault.status(status, "", "text/plain", {"Location": elsewhere}), path=PATH)
    config = {**base_config, "crm_prospect_ids": list(dataset.prospect_ids())[:20]}
    with pytest.raises(GongAPIError) as caught:
        run_tap(config)
    assert caught.value.status == status
    assert [(e.path, e.status) for e in simulator.request_log] == [(PATH, status)]
    assert "prospects-moved" in str(caught.value)  # where Gong pointed, for the user to see


@pytest.mark.parametrize(
    "fault",
    [
        _gong_error(408, "Request timeout"),
        Fault.status(500),
        Fault.status(503, "<html><body>Service Unavailable</body></html>", "text/html"),
        Fault.rate_limited(retry_after=None),
    ],
    ids=["408-json", "500-json", "503-html", "429-without-retry-after"],
)
def test_transient_statuses_are_retried_until_max_retries_then_fail_naming_the_last_error(
    fault: Fault,
    faults: FaultPlan,
    simulator: GongSimulator,
    dataset: GongDataset,
    base_config: dict[str, Any],
) -> None:
    faults.enqueue(fault, path=PATH, times=10)
    config = {**base_config, "crm_prospect_ids": list(dataset.prospect_ids())[:20]}
    with pytest.raises(GongRequestFailed) as caught:
        run_tap({**config, "max_retries": 3})
    assert [e.status for e in simulator.request_log] == [fault.status_code] * 4
    message = str(caught.value)
    assert "after 4 attempts" in message
    assert f"answered {fault.status_code}" in message
    assert "batch 1: prospect IDs #1-#20" in message


@pytest.mark.parametrize(
    ("fault", "status"),
    [
        (_gong_error(408, "Request timeout"), 408),
        (Fault.status(200, "[]", "application/json"), 200),  # JSON, but not an object
        (Fault.status(200, "null", "application/json"), 200),
    ],
    ids=["408", "200-json-array", "200-json-null"],
)
def test_retried_answers_then_the_sync_completes_exactly(
    fault: Fault,
    status: int,
    faults: FaultPlan,
    simulator: GongSimulator,
    dataset: GongDataset,
    base_config: dict[str, Any],
) -> None:
    ids = list(dataset.prospect_ids())[:50]
    faults.enqueue(fault, path=PATH, times=2)
    output = run_tap({**base_config, "crm_prospect_ids": ids})
    assert output.records() == dataset.expected_open_records(ids)
    assert [e.status for e in simulator.request_log] == [status, status, 200]
    assert [e.fault for e in simulator.request_log] == ["status", "status", None]


def test_unknown_fields_are_dropped_with_one_warning_naming_them(
    faults: FaultPlan,
    dataset: GongDataset,
    base_config: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    faults.enqueue(Fault.extra_fields(), path=PATH, times=3)
    ids = list(dataset.prospect_ids())[:300]
    records = run_tap({**base_config, "crm_prospect_ids": ids}).records()
    warnings = [r.getMessage() for r in caplog.records if "schema does not have" in r.getMessage()]
    assert len(warnings) == 1  # once per new field, not once per record or per batch
    # The simulator's tampering adds this field, which Gong's spec does not have.
    assert warnings[0].endswith(": flowInstanceSnoozedUntil")
    assert "flowInstanceSnoozedUntil" not in ASSIGNED_FLOW.to_dict()["properties"]
    assert records
    assert all("flowInstanceSnoozedUntil" not in record for record in records)


def test_records_of_prospects_nobody_asked_about_are_dropped_with_a_warning(
    faults: FaultPlan,
    dataset: GongDataset,
    base_config: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    faults.enqueue(Fault.foreign_records(), path=PATH)
    ids = list(dataset.prospect_ids())[:200]
    output = run_tap({**base_config, "crm_prospect_ids": ids, "prospect_ids_per_request": 50})
    assert output.records() == dataset.expected_open_records(ids)
    warnings = [r.getMessage() for r in caplog.records if "did not ask about" in r.getMessage()]
    assert len(warnings) == 1
    assert warnings[0].startswith("Ignored ")
    assert int(warnings[0].split()[1]) >= 1
