"""A configured catalog taken as Airbyte's CDK takes one: sync modes, cursor fields,
primary keys, unknown streams, an empty catalog."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tap_gong_flows.simulator import (
    GongSimulator,
)

from ..support import run_tap
from .protocol import ALL_STREAMS, _logs, configured_catalog, pyairbyte_catalog, source


def test_incremental_on_a_stream_without_a_cursor_runs_as_a_full_refresh(
    tmp_path: Path, simulator: GongSimulator, config: dict[str, Any]
) -> None:
    singer = run_tap(config, streams=ALL_STREAMS)
    catalog = pyairbyte_catalog(tmp_path, config)

    result = source("read", tmp_path, config=config, catalog=catalog)

    assert result.code == 0, result.messages[-3:]
    for name in ALL_STREAMS:
        assert result.records(name) == singer.records(name), name
        assert result.records(name), name
        assert result.statuses(name)[-1] == "COMPLETE", name
    full_refresh = [
        s["stream"]["name"] for s in catalog["streams"] if s["stream"]["name"] != "tasks"
    ]
    assert _logs(result) == [
        "tap_gong_flows.airbyte: Read as full refresh, the only mode they have (asked for "
        "incremental): " + ", ".join(full_refresh)
    ]
    (tasks_state,) = [
        s for s in result.last_states() if s["stream"]["stream_descriptor"]["name"] == "tasks"
    ]
    assert tasks_state["stream"]["stream_state"]["replication_key"] == "updated"
    assert not result.traces("ERROR")


@pytest.mark.parametrize("cursor", [["dueDate"], ["no_such_field"], ["account", "id"]])
def test_a_cursor_field_in_the_catalog_does_not_replace_the_streams_own(
    tmp_path: Path, base_config: dict[str, Any], cursor: list[str]
) -> None:
    singer = run_tap(base_config, streams=("tasks",))
    catalog = configured_catalog(tmp_path, base_config, {"tasks": "incremental"})
    catalog["streams"][0]["cursor_field"] = cursor

    result = source("read", tmp_path, config=base_config, catalog=catalog)

    assert result.code == 0
    assert result.records("tasks") == singer.records("tasks")
    (state,) = result.last_states()
    assert state["stream"]["stream_state"]["replication_key"] == "updated"
    assert _logs(result) == [
        f"tap_gong_flows.airbyte: tasks: the catalog's cursor field {'.'.join(cursor)!r} is "
        "not used; the source defines the cursor, 'updated'"
    ]


def test_the_streams_own_cursor_in_the_catalog_is_taken_without_a_word(
    tmp_path: Path, base_config: dict[str, Any]
) -> None:
    catalog = configured_catalog(tmp_path, base_config, {"tasks": "incremental"})
    catalog["streams"][0]["cursor_field"] = ["updated"]
    catalog["streams"][0]["primary_key"] = [["id"]]

    result = source("read", tmp_path, config=base_config, catalog=catalog)

    assert result.code == 0
    assert result.records("tasks")
    assert _logs(result) == []


def test_a_primary_key_in_the_catalog_leaves_the_records_alone(
    tmp_path: Path, simulator: GongSimulator, config: dict[str, Any]
) -> None:
    plain = source(
        "read",
        tmp_path,
        config=config,
        catalog=configured_catalog(tmp_path, config, {"users": "full_refresh"}),
    )
    catalog = configured_catalog(tmp_path, config, {"users": "full_refresh"})
    catalog["streams"][0]["primary_key"] = [["emailAddress"]]

    result = source("read", tmp_path, config=config, catalog=catalog)

    assert result.code == 0
    assert result.records("users") == plain.records("users")
    assert result.records("users")
    assert _logs(result) == [
        "tap_gong_flows.airbyte: users: the catalog's primary key [['emailAddress']] is left "
        "to the destination; the records are the same (the source's key is [['id']])"
    ]


def test_a_stream_the_source_does_not_have_is_skipped_as_incomplete(
    tmp_path: Path, simulator: GongSimulator, config: dict[str, Any]
) -> None:
    catalog = configured_catalog(
        tmp_path, config, {"users": "full_refresh", "flows": "full_refresh"}
    )
    catalog["streams"][0]["stream"]["name"] = "calls"

    result = source("read", tmp_path, config=config, catalog=catalog)

    assert result.code == 0  # as the CDK does: the other streams are read
    assert result.statuses("calls") == ["INCOMPLETE"]
    assert result.records("flows")
    assert result.statuses("flows")[-1] == "COMPLETE"
    assert {r["stream"] for r in result.of_type("RECORD")} == {"flows"}
    assert not result.traces("ERROR")
    assert _logs(result) == [
        "tap_gong_flows.airbyte: Not streams of this source, skipped (run discover again): calls"
    ]
    (warning,) = [log for log in result.of_type("LOG") if log["level"] == "WARN"]
    assert "calls" in warning["message"]


def test_an_empty_catalog_reads_nothing_and_succeeds(
    tmp_path: Path, simulator: GongSimulator, config: dict[str, Any]
) -> None:
    result = source("read", tmp_path, config=config, catalog={"streams": []})

    assert result.code == 0
    assert not result.of_type("RECORD")
    assert not result.of_type("STATE")
    assert not result.traces("ERROR")
    assert simulator.request_log == []
    assert _logs(result) == [
        "tap_gong_flows.airbyte: The configured catalog has no stream of this source: "
        "nothing to read"
    ]
    # The settings are still checked, as the CDK checks them before any read.
    bad = {**config, "prospect_ids_per_request": 0}
    failed = source("read", tmp_path, config=bad, catalog={"streams": []})
    assert failed.code == 1
    (trace,) = failed.traces("ERROR")
    assert trace["error"]["failure_type"] == "config_error"
