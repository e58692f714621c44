"""read: the same records as the Singer path, parents feeding children, incremental tasks,
and how each kind of failure is reported."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tap_gong_flows.simulator import (
    PROSPECTS_PATH,
    Fault,
    FaultPlan,
    GongDataset,
    GongSimulator,
)

from ..support import ACCESS_KEY_SECRET, run_tap
from .protocol import configured_catalog, source

# read


def test_read_full_refresh_emits_exactly_what_the_singer_path_emits(
    tmp_path: Path, simulator: GongSimulator, dataset: GongDataset, config: dict[str, Any]
) -> None:
    singer = run_tap(config, streams=("prospects", "assigned_flows"))
    catalog = configured_catalog(
        tmp_path, config, {"prospects": "full_refresh", "assigned_flows": "full_refresh"}
    )

    result = source("read", tmp_path, config=config, catalog=catalog, subprocess_run=True)

    assert result.code == 0, result.messages[-3:]
    assert result.stderr == ""  # every log line went to stdout as a LOG message
    ids = config["crm_prospect_ids"]
    assert result.records("assigned_flows") == singer.records("assigned_flows")
    assert result.records("assigned_flows") == dataset.expected_open_records(ids)
    assert result.records("prospects") == singer.records("prospects")
    assert [r["crmProspectId"] for r in result.records("prospects")] == ids
    assert {r["stream"] for r in result.of_type("RECORD")} == {"prospects", "assigned_flows"}
    for record in result.of_type("RECORD"):
        assert isinstance(record["emitted_at"], int)
        assert record["emitted_at"] > 1_600_000_000_000  # milliseconds, not seconds
    # The position after the first batch of 100, then the final (empty) state.
    assert [s["stream"]["stream_state"] for s in result.states("assigned_flows")] == [
        {"prospects_done": 100},
        {"prospects_done": 150},
        {},
    ]
    assert all(s["type"] == "STREAM" for s in result.of_type("STATE"))
    counted = sum(s["sourceStats"]["recordCount"] for s in result.states("assigned_flows"))
    assert counted == len(result.records("assigned_flows"))
    assert result.states("prospects")
    assert result.statuses("assigned_flows") == ["STARTED", "RUNNING", "COMPLETE"]
    assert result.statuses("prospects")[-1] == "COMPLETE"
    logs = [log["message"] for log in result.of_type("LOG")]
    assert any("assigned_flows: 150 prospects in 2 requests" in line for line in logs)
    assert ACCESS_KEY_SECRET not in json.dumps(result.messages)


def test_read_of_assigned_flows_alone_is_fed_by_its_parent(
    tmp_path: Path, simulator: GongSimulator, config: dict[str, Any]
) -> None:
    singer = run_tap(config, streams=("assigned_flows",))
    simulator.request_log.clear()
    catalog = configured_catalog(tmp_path, config, {"assigned_flows": "full_refresh"})

    result = source("read", tmp_path, config=config, catalog=catalog)

    assert result.code == 0
    assert result.records("assigned_flows") == singer.records("assigned_flows")
    assert result.records("assigned_flows")
    assert {r["stream"] for r in result.of_type("RECORD")} == {"assigned_flows"}
    assert {s["stream"]["stream_descriptor"]["name"] for s in result.of_type("STATE")} == {
        "assigned_flows"
    }
    assert {e.path for e in simulator.request_log} == {PROSPECTS_PATH}


def test_read_tasks_incrementally_then_again_from_the_state(
    tmp_path: Path, base_config: dict[str, Any]
) -> None:
    singer = run_tap(base_config, streams=("tasks",))
    catalog = configured_catalog(tmp_path, base_config, {"tasks": "incremental"})

    first = source("read", tmp_path, config=base_config, catalog=catalog)

    assert first.code == 0
    tasks = first.records("tasks")
    assert tasks == singer.records("tasks")
    assert tasks
    (state,) = first.last_states()
    bookmark = state["stream"]["stream_state"]
    assert bookmark["replication_key"] == "updated"
    assert bookmark["replication_key_value"] == max(t["updated"] for t in tasks)
    assert bookmark == singer.of_type("STATE")[-1]["value"]["bookmarks"]["tasks"]

    second = source(
        "read", tmp_path, config=base_config, catalog=catalog, state=first.last_states()
    )

    assert second.code == 0
    assert second.records("tasks") == []  # nothing changed since, as on the Singer path
    singer_again = run_tap(
        base_config, state=singer.of_type("STATE")[-1]["value"], streams=("tasks",)
    )
    assert singer_again.records("tasks") == []
    assert second.last_states()[0]["stream"]["stream_state"] == bookmark
    assert second.statuses("tasks") == ["STARTED", "COMPLETE"]

    # A full refresh of the same stream ignores the bookmark and sends every task again.
    full = configured_catalog(tmp_path, base_config, {"tasks": "full_refresh"})
    third = source("read", tmp_path, config=base_config, catalog=full, state=first.last_states())
    assert third.code == 0
    assert sorted(t["id"] for t in third.records("tasks")) == sorted(t["id"] for t in tasks)


def test_read_failure_is_a_trace_error_with_a_non_zero_exit(
    tmp_path: Path, simulator: GongSimulator, faults: FaultPlan, config: dict[str, Any]
) -> None:
    catalog = configured_catalog(tmp_path, config, {"assigned_flows": "full_refresh"})
    body = {"requestId": "9zq8x7w6v5", "errors": ["Malformed request body"]}
    first_id = config["crm_prospect_ids"][0]  # batch 1, whatever else is in flight
    fault = Fault.status(400, json.dumps(body), "application/json")
    faults.enqueue(fault, path=PROSPECTS_PATH, body_contains=first_id)

    result = source("read", tmp_path, config=config, catalog=catalog, subprocess_run=True)

    assert result.code == 1
    assert "Traceback" not in result.stderr
    (trace,) = result.traces("ERROR")
    error = trace["error"]
    assert error["failure_type"] == "system_error"
    assert error["message"].startswith("Sync failed: POST /v2/flows/prospects answered 400")
    assert "Gong says: Malformed request body" in error["message"]
    assert "requestId 9zq8x7w6v5" in error["message"]
    assert "[batch 1: prospect IDs #1-#100" in error["message"]
    assert "stack_trace" not in error  # a known failure: Gong's words are enough
    assert result.statuses("assigned_flows") == ["STARTED", "INCOMPLETE"]
    assert result.messages[-1]["type"] == "TRACE"


def test_bad_credentials_during_read_are_a_config_error(
    tmp_path: Path, simulator: GongSimulator, config: dict[str, Any]
) -> None:
    bad = {**config, "access_key_secret": "not-the-right-secret"}
    catalog = configured_catalog(tmp_path, config, {"assigned_flows": "full_refresh"})

    result = source("read", tmp_path, config=bad, catalog=catalog)

    assert result.code == 1
    (trace,) = result.traces("ERROR")
    assert trace["error"]["failure_type"] == "config_error"
    assert "401" in trace["error"]["message"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"prospect_ids_per_request": "many"}, "prospect_ids_per_request: must be"),
        ({"crm_prospect_ids": None}, "crm_prospect_ids: no prospect IDs to ask about"),
    ],
)
def test_read_with_a_config_error(
    tmp_path: Path,
    simulator: GongSimulator,
    config: dict[str, Any],
    change: dict[str, Any],
    expected: str,
) -> None:
    catalog = configured_catalog(tmp_path, config, {"assigned_flows": "full_refresh"})
    bad = {k: v for k, v in {**config, **change}.items() if v is not None}

    result = source("read", tmp_path, config=bad, catalog=catalog)

    assert result.code == 1
    (trace,) = result.traces("ERROR")
    assert trace["error"]["failure_type"] == "config_error"
    assert trace["error"]["message"].startswith("Sync failed: Config validation failed: ")
    assert expected in trace["error"]["message"]
    assert simulator.request_log == []
    assert not result.of_type("RECORD")


def test_an_unexpected_failure_is_a_system_error_with_its_stack_trace(
    tmp_path: Path, config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog = configured_catalog(tmp_path, config, {"prospects": "full_refresh"})

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise KeyError("surprise")

    monkeypatch.setattr("tap_gong_flows.streams.prospects.unique_prospect_ids", broken)
    result = source("read", tmp_path, config=config, catalog=catalog)

    assert result.code == 1
    (trace,) = result.traces("ERROR")
    assert trace["error"]["failure_type"] == "system_error"
    assert trace["error"]["message"] == "Sync failed: KeyError: 'surprise'"
    assert "Traceback" in trace["error"]["stack_trace"]
