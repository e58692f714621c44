"""The tap against the Gong simulator over real HTTP: exact records, batching, auth, faults."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tap_gong_flows.errors import GongAPIError, GongDailyLimitError, GongRequestFailed
from tap_gong_flows.schemas import KNOWN_VALUES
from tap_gong_flows.simulator import Fault, FaultPlan, GongDataset, GongSimulator

from .support import (
    ACCESS_KEY,
    ACCESS_KEY_SECRET,
    ACCESS_TOKEN,
    ONE_AT_A_TIME,
    asked_ids,
    run_tap,
)

PATH = "/v2/flows/prospects"


def _key(record: dict[str, Any]) -> str:
    return record["flowInstanceId"]


def test_every_open_flow_instance_exactly_once_in_batches(
    simulator: GongSimulator, dataset: GongDataset, base_config: dict[str, Any], tmp_path: Path
) -> None:
    ids = list(dataset.prospect_ids())
    id_file = tmp_path / "ids.txt"
    id_file.write_text("\n".join(ids[100:]) + "\n")
    config = {
        **base_config,
        "crm_prospect_ids": ids[:150],  # overlaps the file by 50
        "crm_prospect_ids_file": str(id_file),
        "prospect_ids_per_request": 64,
    }

    output = run_tap(config)

    expected = dataset.expected_open_records(ids)
    assert len(expected) > 100
    assert output.records() == expected  # same records, same order, nothing extra
    batches = asked_ids(simulator)  # sent side by side: they may arrive in any order
    assert sorted(len(b) for b in batches) == sorted([64] * 7 + [500 - 7 * 64])
    assert sorted(i for b in batches for i in b) == sorted(ids)  # each prospect asked once
    for batch in batches:  # each batch a run of consecutive IDs
        start = ids.index(batch[0])
        assert batch == ids[start : start + len(batch)]


def test_schema_and_state_messages(base_config: dict[str, Any], dataset: GongDataset) -> None:
    config = {**base_config, "crm_prospect_ids": list(dataset.prospect_ids())[:100]}
    output = run_tap({**config, "prospect_ids_per_request": 10})
    (schema,) = output.of_type("SCHEMA", "assigned_flows")  # once, though 10 batches
    assert schema["key_properties"] == ["flowInstanceId"]
    props = schema["schema"]["properties"]
    assert len(props) == 10
    assert props["flowInstanceCreateDate"] == {"type": ["string", "null"], "format": "date-time"}
    assert props["exclusive"]["type"] == ["boolean", "null"]
    assert "enum" not in props["flowInstanceStatus"]  # tomorrow's status must pass
    assert output.of_type("STATE"), "a target needs STATE messages to keep state"
    assert output.messages[-1]["type"] == "STATE"


def test_ids_are_cleaned_and_deduplicated(
    simulator: GongSimulator, dataset: GongDataset, base_config: dict[str, Any]
) -> None:
    a, b = list(dataset.prospect_ids())[:2]
    run_tap({**base_config, "crm_prospect_ids": [f"  {a} ", f'"{b}"', a, "", "   "]})
    assert asked_ids(simulator) == [[a, b]]


def test_unknown_prospects_yield_nothing(base_config: dict[str, Any]) -> None:
    output = run_tap({**base_config, "crm_prospect_ids": ["not-a-crm-id", "0030000000000000"]})
    assert output.records() == []


def test_bearer_token_auth(simulator: GongSimulator, dataset: GongDataset) -> None:
    ids = list(dataset.prospect_ids())[:20]
    config = {"api_url": simulator.url, "access_token": ACCESS_TOKEN, "crm_prospect_ids": ids}
    output = run_tap({**config, "max_requests_per_second": 1000})
    assert output.records() == dataset.expected_open_records(ids)
    assert {entry.auth_scheme for entry in simulator.request_log} == {"bearer"}


def test_unknown_status_values_reach_the_target(
    faults: FaultPlan, dataset: GongDataset, base_config: dict[str, Any]
) -> None:
    faults.enqueue(Fault.extra_fields())
    ids = list(dataset.prospect_ids())[:30]
    records = run_tap({**base_config, "crm_prospect_ids": ids}).records()
    statuses = {r["flowInstanceStatus"] for r in records}
    known = set(KNOWN_VALUES["ASSIGNED_FLOW"]["flowInstanceStatus"])
    assert statuses - known, "the simulator should have sent a status the spec does not list"
    assert all(set(r) <= set(dataset.expected_open_records(ids)[0]) for r in records)


def test_records_for_prospects_not_asked_about_are_not_emitted(
    faults: FaultPlan, dataset: GongDataset, base_config: dict[str, Any]
) -> None:
    faults.enqueue(Fault.foreign_records())
    ids = list(dataset.prospect_ids())[:200]
    output = run_tap({**base_config, "crm_prospect_ids": ids, "prospect_ids_per_request": 50})
    keys = [_key(r) for r in output.records()]
    assert len(keys) == len(set(keys))
    assert output.records() == dataset.expected_open_records(ids)


@pytest.mark.parametrize(
    "fault",
    [
        Fault.status(500),
        Fault.status(502, "<html><body>Bad Gateway</body></html>", "text/html"),
        Fault.status(503),
        Fault.status(504),
        Fault.rate_limited(retry_after=None),
        Fault.drop_connection(),
        Fault.reset_mid_body(),
        Fault.truncated_json(),
        Fault.non_json(),
    ],
    ids=lambda f: f"{f.kind}-{f.status_code}" if f.kind == "status" else f.kind,
)
def test_transient_faults_are_retried_without_loss_or_duplicates(
    fault: Fault,
    faults: FaultPlan,
    simulator: GongSimulator,
    dataset: GongDataset,
    base_config: dict[str, Any],
) -> None:
    ids = list(dataset.prospect_ids())[:300]
    faults.enqueue(fault, path=PATH, times=2)
    output = run_tap({**base_config, "crm_prospect_ids": ids})
    assert output.records() == dataset.expected_open_records(ids)
    assert len(simulator.request_log) == 3 + 2  # 3 batches, the first one tried 3 times


def test_missing_or_null_record_list_means_no_open_flows(
    faults: FaultPlan, dataset: GongDataset, base_config: dict[str, Any]
) -> None:
    ids = list(dataset.prospect_ids())[:300]
    faults.enqueue(Fault.missing_records(), path=PATH)
    faults.enqueue(Fault.null_records(), path=PATH)
    output = run_tap({**base_config, **ONE_AT_A_TIME, "crm_prospect_ids": ids})
    assert output.records() == dataset.expected_open_records(ids[200:])


def test_retry_after_is_honoured_exactly(
    faults: FaultPlan,
    simulator: GongSimulator,
    dataset: GongDataset,
    base_config: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    ids = list(dataset.prospect_ids())[:10]
    faults.enqueue(Fault.rate_limited(retry_after=1), path=PATH)
    output = run_tap({**base_config, "crm_prospect_ids": ids})
    assert output.records() == dataset.expected_open_records(ids)
    first, second = simulator.request_log
    assert first.status == 429
    assert second.status == 200
    assert second.arrived > first.answered  # the retry followed the refusal
    # The tap announced Gong's wait; test_retry_after_wait.py shows, on a given clock, that
    # the engine sleeps exactly that long before retrying.
    assert "Retrying POST /v2/flows/prospects in 1.0 s" in caplog.text


def test_timeout_is_retried(dataset: GongDataset) -> None:
    # The slow answer is held until the test lets it go, so the tap's timeout fires for
    # certain; the timeout is long enough that a normal answer on a loaded machine fits.
    release = threading.Event()

    def held(seconds: float) -> None:
        release.wait(seconds)

    with GongSimulator(
        dataset,
        access_key=ACCESS_KEY,
        access_key_secret=ACCESS_KEY_SECRET,
        rate_limit_per_second=None,
        sleep=held,
    ) as simulator:
        simulator.faults.enqueue(Fault.slow(60), path=PATH)
        ids = list(dataset.prospect_ids())[:10]
        config = {
            "api_url": simulator.url,
            "access_key": ACCESS_KEY,
            "access_key_secret": ACCESS_KEY_SECRET,
            "crm_prospect_ids": ids,
            "request_timeout_seconds": 2,
        }
        try:
            output = run_tap(config)
        finally:
            release.set()
        assert output.records() == dataset.expected_open_records(ids)
        give_up = time.monotonic() + 10  # a bound on waiting, not a check of speed
        while len(simulator.request_log) < 2 and time.monotonic() < give_up:
            time.sleep(0.01)  # the slow answer is logged once the simulator has sent it
        assert [entry.fault for entry in simulator.request_log] == [None, "slow"]


def test_retries_run_out_loudly_naming_endpoint_and_batch(
    faults: FaultPlan, simulator: GongSimulator, dataset: GongDataset, base_config: dict[str, Any]
) -> None:
    ids = list(dataset.prospect_ids())[:30]
    faults.enqueue(Fault.status(503), path=PATH, times=50)
    config = {
        **base_config,
        **ONE_AT_A_TIME,  # so that batch 1 meets every fault
        "crm_prospect_ids": ids,
        "max_retries": 2,
        "prospect_ids_per_request": 10,
    }
    with pytest.raises(GongRequestFailed) as caught:
        run_tap(config)
    message = str(caught.value)
    assert "/v2/flows/prospects" in message
    assert "after 3 attempts" in message
    assert f"batch 1: prospect IDs #1-#10 of the sync, first {ids[0]!r}" in message
    assert "503" in message
    assert len(simulator.request_log) == 3


def test_bad_credentials_fail_at_once_with_gongs_words(
    simulator: GongSimulator, dataset: GongDataset, base_config: dict[str, Any]
) -> None:
    config = {
        **base_config,
        "access_key_secret": "wrong-secret-value",
        "crm_prospect_ids": list(dataset.prospect_ids())[:5],
    }
    with pytest.raises(GongAPIError) as caught:
        run_tap(config)
    (entry,) = simulator.request_log  # no retry
    assert entry.status == 401
    message = str(caught.value)
    assert "401" in message
    assert "requestId" in message
    assert "Gong says:" in message
    assert "wrong-secret-value" not in message


def test_retry_after_beyond_the_limit_fails_fast(
    faults: FaultPlan, simulator: GongSimulator, dataset: GongDataset, base_config: dict[str, Any]
) -> None:
    faults.enqueue(Fault.rate_limited(retry_after=36_000), path=PATH)
    config = {**base_config, "crm_prospect_ids": list(dataset.prospect_ids())[:5]}
    with pytest.raises(GongDailyLimitError) as caught:
        run_tap(config)
    assert len(simulator.request_log) == 1
    message = str(caught.value)
    assert "36000 s" in message
    assert "daily limit" in message
    assert "10.0 h" in message


def test_pacing_keeps_a_lone_tap_under_gongs_limit(dataset: GongDataset) -> None:
    """Against Gong's real per-second limit (3/s, sliding window), the paced tap gets no 429."""
    with GongSimulator(dataset, rate_limit_per_second=3.0) as limited:
        ids = list(dataset.prospect_ids())[:100]
        config = {
            "api_url": limited.url,
            "access_key": "sim-access-key",
            "access_key_secret": "sim-access-key-secret",
            "crm_prospect_ids": ids,
            "prospect_ids_per_request": 10,
        }
        output = run_tap(config)
        log = limited.request_log
    # The simulator refuses a fourth request inside any second, so ten answers of 200 say
    # the pace held. How close to the limit the pace runs is a benchmark figure
    # (benchmarks/pacing.py), and on a fake clock a test in test_pacing_and_retries.py.
    assert [entry.status for entry in log] == [200] * 10
    assert output.records() == dataset.expected_open_records(ids)
