"""State across reads: the open list carried, finished flows found from the state passed
back, resumption within a sync only, and the state files the platform and Meltano write."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tap_gong_flows.airbyte.translate import (
    SYNC_ID_KEY,
    InputError,
    StreamPlan,
    airbyte_stream_states,
    singer_state,
)
from tap_gong_flows.simulator import (
    GongDataset,
    GongSimulator,
)
from tap_gong_flows.streams.assigned_flows import FINISHED_STATUSES

from ..support import ONE_AT_A_TIME
from .protocol import _logs, configured_catalog, pyairbyte_catalog, source

# State across syncs


def test_the_open_list_is_carried_to_the_next_sync_and_the_position_is_not() -> None:
    plan = StreamPlan(
        "assigned_flows", incremental=False, sync_id=8, carried=frozenset({"open_instances"})
    )
    same_sync = {"prospects_done": 100, "open_instances": "AAEC", SYNC_ID_KEY: 8}
    assert plan.bookmark(same_sync) == {"prospects_done": 100, "open_instances": "AAEC"}
    other_sync = {**same_sync, SYNC_ID_KEY: 7}
    assert plan.bookmark(other_sync) == {"open_instances": "AAEC"}
    unknown_sync = StreamPlan(
        "assigned_flows", incremental=False, carried=frozenset({"open_instances"})
    )
    assert unknown_sync.bookmark({"prospects_done": 100, "open_instances": "AAEC"}) == {
        "open_instances": "AAEC"
    }
    assert unknown_sync.bookmark({"prospects_done": 100}) is None
    assert StreamPlan("users", incremental=False).bookmark({"x": 1}) is None


@pytest.mark.parametrize("sync_ids", [(None, None), (5, 6)], ids=["pyairbyte", "platform"])
def test_finished_flows_arrive_on_the_next_read_from_the_state_passed_back(
    tmp_path: Path,
    simulator: GongSimulator,
    dataset: GongDataset,
    config: dict[str, Any],
    sync_ids: tuple[int | None, int | None],
) -> None:
    tracking = {**config, "track_finished_flows": True}
    ids = tracking["crm_prospect_ids"]

    def catalog(sync_id: int | None) -> dict[str, Any]:
        configured = pyairbyte_catalog(tmp_path, tracking)
        configured["streams"] = [
            s for s in configured["streams"] if s["stream"]["name"] in ("assigned_flows", "tasks")
        ]
        if sync_id is not None:
            for entry in configured["streams"]:
                entry.update(sync_id=sync_id, generation_id=sync_id)
        return configured

    first = source("read", tmp_path, config=tracking, catalog=catalog(sync_ids[0]))
    assert first.code == 0
    open_before = dataset.expected_open_records(ids)
    assert first.records("assigned_flows") == open_before
    dataset.finish_instances(0.3)
    open_after = dataset.expected_open_records(ids)
    gone = {r["flowInstanceId"] for r in open_before} - {r["flowInstanceId"] for r in open_after}
    assert gone

    second = source(
        "read", tmp_path, config=tracking, catalog=catalog(sync_ids[1]), state=first.last_states()
    )

    assert second.code == 0
    records = second.records("assigned_flows")
    assert records[: len(open_after)] == open_after
    outcomes = records[len(open_after) :]
    assert outcomes == dataset.expected_instance_records(sorted(gone, key=int))
    assert all(r["flowInstanceStatus"] in FINISHED_STATUSES for r in outcomes)
    assert second.records("tasks") == []  # continued from the bookmark
    assert any(
        f"track_finished_flows: {len(gone)} instances finished since the last sync" in line
        for line in _logs(second, "tap-gong-flows")
    )


def test_a_full_refresh_resumes_only_within_the_same_sync(
    tmp_path: Path, simulator: GongSimulator, dataset: GongDataset, config: dict[str, Any]
) -> None:
    """Stopped by max_requests_per_sync after 2 of 3 batches: a retry of the same Airbyte
    sync continues after the prospects done; another sync starts over (overwrite)."""
    # One request in flight: batch 2 is answered before batch 3 meets the limit (with two
    # in flight, the stop can come while batch 2 is out, and the state says 50).
    limited = {
        **config,
        **ONE_AT_A_TIME,
        "prospect_ids_per_request": 50,
        "max_requests_per_sync": 2,
    }
    modes = {"assigned_flows": "full_refresh"}
    catalog = configured_catalog(tmp_path, config, modes, sync_id=41, generation_id=3)

    failed = source("read", tmp_path, config=limited, catalog=catalog)

    assert failed.code == 1
    (trace,) = failed.traces("ERROR")
    assert trace["error"]["failure_type"] == "config_error"
    assert "max_requests_per_sync" in trace["error"]["message"]
    (state,) = failed.last_states()
    assert state["stream"]["stream_state"] == {"prospects_done": 100, SYNC_ID_KEY: 41}

    unlimited = {**config, "prospect_ids_per_request": 50}
    retried = source("read", tmp_path, config=unlimited, catalog=catalog, state=[state])

    ids = config["crm_prospect_ids"]
    assert retried.code == 0
    records = failed.records("assigned_flows") + retried.records("assigned_flows")
    assert records == dataset.expected_open_records(ids)
    assert simulator.request_log[-1].body["crmProspectsIds"] == ids[100:]

    next_sync = configured_catalog(tmp_path, config, modes, sync_id=42, generation_id=4)
    again = source("read", tmp_path, config=unlimited, catalog=next_sync, state=[state])
    assert again.records("assigned_flows") == dataset.expected_open_records(ids)


def test_state_files_the_platform_and_meltano_write() -> None:
    plans = {
        "tasks": StreamPlan("tasks", incremental=True),
        "users": StreamPlan("users", incremental=False),
    }
    bookmark = {"replication_key": "updated", "replication_key_value": "2024-05-01T00:00:00Z"}
    per_stream = [
        {
            "type": "STREAM",
            "stream": {"stream_descriptor": {"name": "tasks"}, "stream_state": bookmark},
        },
        {"type": "STREAM", "stream": {"stream_descriptor": {"name": "users"}, "stream_state": {}}},
        {"type": "STREAM", "stream": {"stream_descriptor": {"name": "gone"}, "stream_state": {}}},
    ]
    assert singer_state(per_stream, plans) == {"bookmarks": {"tasks": bookmark}}
    global_state = {
        "type": "GLOBAL",
        "global": {
            "shared_state": {},
            "stream_states": [{"stream_descriptor": {"name": "tasks"}, "stream_state": bookmark}],
        },
    }
    assert singer_state([global_state], plans) == {"bookmarks": {"tasks": bookmark}}
    assert singer_state({"bookmarks": {"tasks": bookmark}}, plans) == {
        "bookmarks": {"tasks": bookmark}
    }
    meltano = {"singer_state": {"bookmarks": {"tasks": bookmark, "users": {}}}}
    assert singer_state(meltano, plans) == {"bookmarks": {"tasks": bookmark}}
    reset = [{"type": "STREAM", "stream": {"stream_descriptor": {"name": "tasks"}}}]
    assert airbyte_stream_states(reset) == {"tasks": None}
    assert singer_state(reset, plans) == {}
    assert singer_state(None, plans) == singer_state([], plans) == {}
    with pytest.raises(InputError, match="state item 1"):
        singer_state([{"stream": "tasks"}], plans)
