"""The README's request cost of ``crm_prospect_ids_from_tasks``: the users' pages and one
``POST /v2/tasks`` per user (U); U more when the ``tasks`` stream is selected too, the
users being fetched once. Counted from the simulator's request log."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import pytest

from tap_gong_flows.simulator import (
    DEFAULT_PAGE_SIZE,
    PROSPECTS_PATH,
    TASKS_PATH,
    USERS_PATH,
    GongDataset,
    GongSimulator,
)

from .support import run_tap


def _requests_by_path(simulator: GongSimulator) -> Counter[str]:
    return Counter(entry.path.split("?")[0] for entry in simulator.request_log)


def _task_users(simulator: GongSimulator) -> Counter[str]:
    return Counter(
        str(entry.body["filter"]["userId"])
        for entry in simulator.request_log
        if entry.path == TASKS_PATH
    )


@pytest.mark.parametrize(
    ("streams", "task_requests_per_user"),
    [(("prospects",), 1), (("prospects", "tasks"), 2)],
    ids=["prospects", "prospects-and-tasks"],
)
def test_ids_from_tasks_cost_the_users_pages_and_one_tasks_request_per_user(
    streams: tuple[str, ...],
    task_requests_per_user: int,
    simulator: GongSimulator,
    dataset: GongDataset,
    base_config: dict[str, Any],
) -> None:
    config = {**base_config, "crm_prospect_ids_from_tasks": True}
    output = run_tap(config, streams=streams)
    assert output.records("prospects"), "the tasks should name some prospects"

    users = dataset.user_count
    assert users > DEFAULT_PAGE_SIZE  # so that the users take more than one page
    assert _requests_by_path(simulator) == {
        USERS_PATH: math.ceil(users / DEFAULT_PAGE_SIZE),  # fetched once, whoever needs them
        TASKS_PATH: task_requests_per_user * users,
    }
    every_user = {str(user["id"]) for user in dataset.users()}
    assert _task_users(simulator) == dict.fromkeys(every_user, task_requests_per_user)


def test_ids_from_tasks_add_their_batches_to_assigned_flows(
    simulator: GongSimulator, dataset: GongDataset, base_config: dict[str, Any]
) -> None:
    config = {**base_config, "crm_prospect_ids_from_tasks": True}
    output = run_tap(config)
    prospects = len(output.records("prospects"))
    users = dataset.user_count
    assert _requests_by_path(simulator) == {
        USERS_PATH: math.ceil(users / DEFAULT_PAGE_SIZE),
        TASKS_PATH: users,
        PROSPECTS_PATH: math.ceil(prospects / 100),
    }
