"""Users, flows, folders, steps and tasks against the simulator: exact, consistent, and at
the documented cost."""

from __future__ import annotations

import math
from typing import Any

import pytest

from tap_gong_flows.errors import GongBudgetExceeded
from tap_gong_flows.simulator import GongDataset, GongSimulator

from .support import catalog_selecting, run_tap, run_tap_capturing_failure

ENGAGE_STREAMS = ("users", "flow_folders", "flows", "flow_steps", "tasks")
PAGE = 3  # the simulator's page size


def _by_id(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {str(r["id"]): r for r in records}


def _pages(count: int) -> int:
    return max(1, math.ceil(count / PAGE))


@pytest.fixture
def dataset() -> GongDataset:
    return GongDataset(prospect_count=300, seed=4)


def _active_emails(dataset: GongDataset) -> list[str]:
    return [u["emailAddress"] for u in dataset.users() if u["active"]]


def test_directory_streams_land_every_item_once(
    simulator: GongSimulator, dataset: GongDataset, base_config: dict[str, Any]
) -> None:
    output = run_tap(base_config, streams=ENGAGE_STREAMS)
    emails = _active_emails(dataset)

    assert output.records("users") == dataset.users()

    flows = output.records("flows")
    expected_flows = _by_id([f for e in emails for f in dataset.flows_visible_to(e)])
    assert len(flows) == len(_by_id(flows)), "company flows must be de-duplicated"
    assert _by_id(flows) == expected_flows

    folders = output.records("flow_folders")
    expected_folders = _by_id([f for e in emails for f in dataset.folders_visible_to(e)])
    assert len(folders) == len(_by_id(folders))
    assert _by_id(folders) == expected_folders

    steps = output.records("flow_steps")
    assert steps == [
        {"flowId": flow["id"], **step} for flow in flows for step in dataset.steps_of(flow["id"])
    ]

    tasks = output.records("tasks")
    expected_tasks = [t for u in dataset.users() for t in dataset.tasks_of(u["id"])]
    assert sorted(t["id"] for t in tasks) == sorted(t["id"] for t in expected_tasks)
    assert {t["id"] for t in tasks if t["type"] == "FLOW"}, "flow tasks expected"


def test_request_count_matches_the_documented_cost(
    simulator: GongSimulator, dataset: GongDataset, base_config: dict[str, Any]
) -> None:
    ids = list(dataset.prospect_ids())
    config = {**base_config, "crm_prospect_ids": ids}
    run_tap(config, streams=(*ENGAGE_STREAMS, "prospects", "assigned_flows"))
    emails = _active_emails(dataset)
    users = len(dataset.users())
    flows = len(_by_id([f for e in emails for f in dataset.flows_visible_to(e)]))
    paths = [entry.path.split("?")[0] for entry in simulator.request_log]
    expected = {
        "/v2/users": _pages(users),  # once, shared by every stream that needs users
        "/v2/flows": sum(_pages(len(dataset.flows_visible_to(e))) for e in emails),
        "/v2/flows/folders": sum(_pages(len(dataset.folders_visible_to(e))) for e in emails),
        "/v2/flows/steps": math.ceil(flows / 20),
        "/v2/tasks": users,
        "/v2/flows/prospects": math.ceil(len(ids) / 100),
    }
    assert {p: paths.count(p) for p in expected} == expected
    assert len(paths) == sum(expected.values())


def test_every_flow_referenced_exists_in_flows(
    dataset: GongDataset, base_config: dict[str, Any]
) -> None:
    config = {**base_config, "crm_prospect_ids": list(dataset.prospect_ids())}
    output = run_tap(config, streams=("flows", "flow_steps", "prospects", "assigned_flows"))
    flow_ids = {f["id"] for f in output.records("flows")}
    assert {r["flowId"] for r in output.records("assigned_flows")} <= flow_ids
    assert {s["flowId"] for s in output.records("flow_steps")} <= flow_ids
    folder_ids = {f["folderId"] for f in output.records("flows") if f.get("folderId")}
    assert folder_ids, "flows should sit in folders"


def test_assigned_flows_alone_makes_no_directory_call(
    simulator: GongSimulator, dataset: GongDataset, base_config: dict[str, Any]
) -> None:
    config = {**base_config, "crm_prospect_ids": list(dataset.prospect_ids())[:50]}
    run_tap(config, streams=("assigned_flows",))
    assert {entry.path for entry in simulator.request_log} == {"/v2/flows/prospects"}


def test_prospect_ids_from_gong_tasks(
    simulator: GongSimulator, dataset: GongDataset, base_config: dict[str, Any]
) -> None:
    config = {**base_config, "crm_prospect_ids_from_tasks": True}
    output = run_tap(config)
    prospects = output.records("prospects")
    assert {p["source"] for p in prospects} == {"crm_prospect_ids_from_tasks"}
    flow_task_ids = [
        contact["crmId"]
        for user in dataset.users()
        for task in dataset.tasks_of(user["id"], types=["FLOW"], statuses=["OPEN", "DONE"])
        for contact in [task["contact"], *task.get("additionalContacts", [])]
    ]
    asked = [p["crmProspectId"] for p in prospects]
    assert asked == list(dict.fromkeys(flow_task_ids))  # each once, in the order Gong gave them
    assert set(asked) <= set(dataset.task_prospect_ids())
    assert output.records() == dataset.expected_open_records(asked)
    task_calls = [e.body for e in simulator.request_log if e.path == "/v2/tasks"]
    assert all(b["filter"]["types"] == ["FLOW"] for b in task_calls)
    assert all(sorted(b["filter"]["status"]) == ["DONE", "OPEN"] for b in task_calls)


def test_tasks_are_incremental_on_updated(
    dataset: GongDataset, base_config: dict[str, Any]
) -> None:
    first = run_tap(base_config, streams=("tasks",))
    assert first.records("tasks")
    state = first.of_type("STATE")[-1]["value"]
    bookmark = state["bookmarks"]["tasks"]["replication_key_value"]
    assert bookmark == max(t["updated"] for t in first.records("tasks"))
    second = run_tap(base_config, state=state, streams=("tasks",))
    assert second.records("tasks") == []  # nothing changed since


def test_workspace_filter_is_passed_through(
    simulator: GongSimulator, dataset: GongDataset, base_config: dict[str, Any]
) -> None:
    workspace = dataset.all_flows()[0].get("workspaceId") or "5038816629417705312"
    run_tap({**base_config, "workspace_id": workspace}, streams=("flows", "tasks"))
    flows_calls = [e for e in simulator.request_log if e.path.startswith("/v2/flows?")]
    assert flows_calls
    assert all(f"workspaceId={workspace}" in e.path for e in flows_calls)
    assert all(e.status == 200 for e in simulator.request_log)
    task_calls = [e.body for e in simulator.request_log if e.path == "/v2/tasks"]
    assert all(b["filter"]["workspaceId"] == workspace for b in task_calls)


def test_request_budget_stops_cleanly_and_the_next_run_resumes(
    simulator: GongSimulator, dataset: GongDataset, base_config: dict[str, Any]
) -> None:
    ids = list(dataset.prospect_ids())
    config = {**base_config, "crm_prospect_ids": ids, "max_requests_per_sync": 2}
    catalog = catalog_selecting(config, "assigned_flows")
    first, error = run_tap_capturing_failure(config, catalog=catalog)
    assert isinstance(error, GongBudgetExceeded)
    assert "max_requests_per_sync" in str(error)
    assert len(simulator.request_log) == 2
    state = first.of_type("STATE")[-1]["value"]
    second = run_tap({**config, "max_requests_per_sync": 10}, state=state, catalog=catalog)
    assert first.records() + second.records() == dataset.expected_open_records(ids)
