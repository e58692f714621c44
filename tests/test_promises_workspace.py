"""The README's promise that ``workspace_id`` narrows flows, folders and tasks to one
workspace: the simulated company has two, and no record of the other one arrives.

Gong's records do not name their workspace, so each record's workspace is read from the
simulated company itself: a flow's and a folder's own, a flow task's flow's, a manual
task's owner's home workspace."""

from __future__ import annotations

from typing import Any

from tap_gong_flows.simulator import GongDataset

from .support import SyncOutput, run_tap

STREAMS = ("flows", "flow_folders", "tasks")


def _workspaces(dataset: GongDataset) -> dict[str, dict[str, str]]:
    """Stream name -> record ID -> the workspace that record belongs to."""
    directory = dataset.directory
    flow_workspace = {flow.flow_id: flow.workspace_id for flow in directory.flows}
    user_workspace = {user.user_id: user.workspace_id for user in directory.users}
    tasks: dict[str, str] = {}
    for user in dataset.users():
        for task in dataset.tasks_of(str(user["id"])):
            flow = task.get("flow")
            if flow:
                tasks[str(task["id"])] = flow_workspace[str(flow["id"])]
            else:
                tasks[str(task["id"])] = user_workspace[str(task["userId"])]
    return {
        "flows": flow_workspace,
        "flow_folders": {folder.folder_id: folder.workspace_id for folder in directory.folders},
        "tasks": tasks,
    }


def _ids(output: SyncOutput, stream: str) -> set[str]:
    return {str(record["id"]) for record in output.records(stream)}


def test_workspace_id_narrows_flows_folders_and_tasks(
    dataset: GongDataset, base_config: dict[str, Any]
) -> None:
    workspace_of = _workspaces(dataset)
    everything = run_tap(base_config, streams=STREAMS)
    both = {workspace_of["flows"][i] for i in _ids(everything, "flows")}
    assert len(both) == 2, "the simulated company should have two workspaces"

    for workspace in sorted(both):
        narrowed = run_tap({**base_config, "workspace_id": workspace}, streams=STREAMS)
        for stream in STREAMS:
            of_workspace = {
                i for i in _ids(everything, stream) if workspace_of[stream][i] == workspace
            }
            assert of_workspace, f"{stream} should have records in workspace {workspace}"
            assert _ids(everything, stream) - of_workspace, f"{stream}: one workspace only"
            assert _ids(narrowed, stream) == of_workspace, stream
