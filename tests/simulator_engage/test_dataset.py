"""The simulator's Engage data: users, flows, folders, steps and tasks, and time passing."""

from __future__ import annotations

import collections
from datetime import datetime

import pytest

from tap_gong_flows.simulator import GongDataset
from tap_gong_flows.simulator.model.catalog import OWNERS

from .engage_api import (
    ALL_INSTANCES,
    COLLEAGUE,
    DATASET,
    EMAILS,
    MAYA,
    NUMERIC_ID,
    SALES_WORKSPACE,
    STEP_ACTIONS,
    STEP_FIELDS,
    SUCCESS_WORKSPACE,
    USER_FIELDS,
    USER_SETTINGS,
    USERS,
    VISIBILITIES,
    assert_fields,
    assert_iso_with_offset,
    ids,
    ids_of,
    instance_of,
)
from .fixed_account import (
    FINISHED_STATUS_NAMES,
    FIRST_FLOW_ID,
    FIRST_FLOW_STEPS,
    MAYA_FLOWS,
    MAYA_FOLDERS,
    MAYA_TASKS,
    OPEN_STATUS_NAMES,
    USERS_WRITTEN_OUT,
    flow_summary,
    folder_summary,
    task_summary,
    user_summary,
)

# -- dataset: users, flows, folders, steps --------------------------------------------


def test_the_account_is_the_one_written_out() -> None:
    assert [user_summary(user) for user in DATASET.users()] == USERS_WRITTEN_OUT
    assert [flow_summary(flow) for flow in DATASET.flows_visible_to(MAYA)] == MAYA_FLOWS
    assert [folder_summary(folder) for folder in DATASET.folders_visible_to(MAYA)] == MAYA_FOLDERS
    assert DATASET.steps_of(FIRST_FLOW_ID) == FIRST_FLOW_STEPS
    assert [task_summary(task) for task in DATASET.tasks_of(MAYA)] == MAYA_TASKS


def test_flow_instance_owners_are_the_first_users_and_their_data_does_not_change() -> None:
    assert EMAILS[: len(OWNERS)] == [owner.email for owner in OWNERS]
    assert len(USERS) == 8
    bigger = GongDataset(400, seed=7, user_count=30)
    exact = GongDataset(400, seed=7, user_count=len(OWNERS))
    assert len(bigger.users()) == 30
    assert bigger.users()[:8] == USERS
    for index in range(0, 400, 7):
        assert bigger.instances_at(index) == DATASET.instances_at(index)
        assert exact.instances_at(index) == DATASET.instances_at(index)
    many = GongDataset(10, user_count=300).users()
    assert len({user["id"] for user in many}) == 300
    assert len({user["emailAddress"] for user in many}) == 300
    with pytest.raises(ValueError, match="user_count"):
        GongDataset(10, user_count=0)


def test_small_companies_give_every_instance_an_existing_owner() -> None:
    small = GongDataset(200, seed=3, user_count=2)
    emails = {user["emailAddress"] for user in small.users()}
    owners = {r["flowInstanceOwnerEmail"] for i in range(200) for r in small.instances_at(i)}
    assert owners == emails


def test_users_are_well_formed() -> None:
    by_id = {user["id"]: user for user in USERS}
    assert len(by_id) == len(USERS)
    for user in USERS:
        assert list(user) == [key for key in USER_FIELDS if key in user]
        assert_fields(user, USER_FIELDS, set(USER_FIELDS) - {"managerId"})
        assert NUMERIC_ID.match(user["id"])
        assert set(user["settings"]) == USER_SETTINGS
        assert user["trustedEmailAddress"] == user["emailAddress"]
        assert_iso_with_offset(user["created"])
        if "managerId" in user:
            assert by_id[user["managerId"]] is not user
    assert [user for user in USERS if "managerId" not in user] == [USERS[0]]
    assert {user["active"] for user in USERS} == {True, False}
    assert any(user["emailAliases"] for user in USERS)
    assert DATASET.user(USERS[3]["id"]) == USERS[3]
    assert DATASET.user(USERS[3]["emailAddress"].upper()) == USERS[3]
    assert DATASET.user("nobody@example.com") is None


def test_every_flow_in_any_instance_is_visible_to_someone() -> None:
    visible = {flow["id"]: flow for email in EMAILS for flow in DATASET.flows_visible_to(email)}
    assert {r["flowId"] for r in ALL_INSTANCES} <= set(visible)
    assert {r["flowInstanceStatus"] for r in ALL_INSTANCES} == set(
        OPEN_STATUS_NAMES | FINISHED_STATUS_NAMES
    )
    for record in ALL_INSTANCES:
        flow = visible[record["flowId"]]
        assert flow["name"] == record["flowName"]
        assert flow["exclusive"] == record["exclusive"]
        owner_sees = {f["id"] for f in DATASET.flows_visible_to(record["flowInstanceOwnerEmail"])}
        assert record["flowId"] in owner_sees
    assert sorted(visible) == sorted(ids(DATASET.all_flows()))
    assert len(set(ids(DATASET.all_flows()))) == len(DATASET.all_flows())


def test_visibility_company_shared_and_personal() -> None:
    by_visibility = collections.defaultdict(list)
    for flow in DATASET.all_flows():
        by_visibility[flow["visibility"]].append(flow["id"])
    assert set(by_visibility) == VISIBILITIES
    seen_by = {email: set(ids(DATASET.flows_visible_to(email))) for email in EMAILS}
    for flow_id in by_visibility["Company"]:
        assert all(flow_id in seen for seen in seen_by.values())
    for flow_id in by_visibility["Personal"]:
        assert sum(flow_id in seen for seen in seen_by.values()) == 1
    for flow_id in by_visibility["Shared"]:
        assert {email for email, seen in seen_by.items() if flow_id in seen} == set(EMAILS[:6])
    assert by_visibility["Shared"][0] not in seen_by[COLLEAGUE]


def test_flows_sit_in_folders_their_viewer_sees() -> None:
    all_folders = {folder["id"]: folder for folder in DATASET.all_folders()}
    assert len(all_folders) == len(DATASET.all_folders())
    for email in EMAILS:
        folders = {folder["id"]: folder for folder in DATASET.folders_visible_to(email)}
        for flow in DATASET.flows_visible_to(email):
            folder = folders[flow["folderId"]]
            assert flow["folderName"] == folder["name"]
            assert assert_iso_with_offset(folder["creationDate"]) < assert_iso_with_offset(
                flow["creationDate"]
            )
        for folder in folders.values():
            assert folder == all_folders[folder["id"]]
            if "folderId" in folder:
                assert folders[folder["folderId"]]["name"] == folder["folderName"]
    assert {folder["visibility"] for folder in all_folders.values()} == VISIBILITIES
    used = {flow["folderId"] for flow in DATASET.all_flows()}
    assert set(all_folders) - used, "an empty folder is expected too"


def test_catalog_flows_predate_their_instances() -> None:
    created = {
        flow["id"]: assert_iso_with_offset(flow["creationDate"]) for flow in DATASET.all_flows()
    }
    for record in ALL_INSTANCES[:300]:
        assert created[record["flowId"]] < datetime.fromisoformat(record["flowInstanceCreateDate"])


def test_steps_are_well_formed_and_unique() -> None:
    step_ids = []
    for flow in DATASET.all_flows():
        steps = DATASET.steps_of(flow["id"])
        assert 2 <= len(steps) <= 8
        assert [step["stepOrder"] for step in steps] == list(range(1, len(steps) + 1))
        assert steps[0]["action"] in {"SEND_EMAIL", "AUTO_SEND_EMAIL"}
        assert any(step["action"] == "CALL" for step in steps)
        for step in steps:
            assert list(step) == list(STEP_FIELDS)
            assert_fields(step, STEP_FIELDS, set(STEP_FIELDS))
            assert step["action"] in STEP_ACTIONS
            assert NUMERIC_ID.match(step["id"])
            if step["isReply"]:
                assert step["action"] in {"SEND_EMAIL", "AUTO_SEND_EMAIL"}
                assert step["subject"] == "Re: " + steps[0]["subject"]
        step_ids += ids(steps)
        with_steps = DATASET.flow_with_steps(flow["id"])
        assert with_steps is not None
        assert with_steps["steps"] == steps
    assert len(set(step_ids)) == len(step_ids)
    assert DATASET.flow_with_steps("123") is None
    with pytest.raises(LookupError):
        DATASET.steps_of("123")


def test_tasks_tie_prospects_to_their_flow_instances() -> None:
    flows = {int(flow["id"]): flow["id"] for flow in DATASET.all_flows()}
    mentioned: dict[str, None] = {}
    statuses, types = collections.Counter(), collections.Counter()
    for user in USERS:
        tasks = DATASET.tasks_of(user["id"])
        assert tasks == DATASET.tasks_of(user["emailAddress"])
        for task in tasks:
            statuses[task["status"]] += 1
            types[task["type"]] += 1
            assert task["userId"] == int(user["id"])
            assert DATASET.prospect_index(task["contact"]["crmId"]) is not None
            for contact in task.get("additionalContacts", []):
                assert DATASET.prospect_index(contact["crmId"]) is not None
                assert contact["crmId"] != task["contact"]["crmId"]
                assert contact["data"]["companyName"] == task["contact"]["data"]["companyName"]
            contacts = [task["contact"], *task.get("additionalContacts", [])]
            mentioned.update((contact["crmId"], None) for contact in contacts)
            if task["type"] == "MANUAL":
                assert "flow" not in task
                assert task["title"]
                continue
            assert "title" not in task
            instance = instance_of(task["contact"]["crmId"], task["flow"]["id"])
            assert instance["flowInstanceOwnerEmail"] == user["emailAddress"]
            assert task["flow"]["name"] == instance["flowName"]
            step = task["flow"]["step"]
            (matching,) = [
                s for s in DATASET.steps_of(flows[task["flow"]["id"]]) if int(s["id"]) == step["id"]
            ]
            assert matching["action"] == "CALL"
            assert (matching["stepOrder"], matching["subject"]) == (
                step["stepNumber"],
                step["name"],
            )
            if task["status"] == "OPEN":
                assert instance["flowInstanceStatus"] in OPEN_STATUS_NAMES
            if task["status"] == "DISMISSED":
                assert instance["flowInstanceStatus"] in FINISHED_STATUS_NAMES
    assert set(statuses) == {"OPEN", "DONE", "DISMISSED"}
    assert set(types) == {"FLOW", "MANUAL"}
    task_prospect_ids = DATASET.task_prospect_ids()
    assert set(task_prospect_ids) == set(mentioned)
    assert len(task_prospect_ids) == len(set(task_prospect_ids))
    assert GongDataset(400, seed=7).task_prospect_ids() == task_prospect_ids
    assert sum(statuses.values()) < 0.3 * len(ALL_INSTANCES) + 3 * len(USERS)


def test_task_dates_are_ordered() -> None:
    for task in DATASET.tasks_of(MAYA):
        created = assert_iso_with_offset(task["created"])
        assert created <= assert_iso_with_offset(task["updated"])
        assert created < assert_iso_with_offset(task["dueDate"])
        if task["type"] == "FLOW":
            instance = instance_of(task["contact"]["crmId"], task["flow"]["id"])
            assert datetime.fromisoformat(instance["flowInstanceCreateDate"]) <= created


def test_task_filters() -> None:
    every = DATASET.tasks_of(MAYA)
    assert DATASET.tasks_of(MAYA, statuses=["OPEN"]) == [t for t in every if t["status"] == "OPEN"]
    assert DATASET.tasks_of(MAYA, types=["MANUAL"]) == [t for t in every if t["type"] == "MANUAL"]
    sales = DATASET.tasks_of(MAYA, workspace_id=SALES_WORKSPACE)
    success = DATASET.tasks_of(MAYA, workspace_id=SUCCESS_WORKSPACE)
    assert sales
    assert success
    assert sorted(t["id"] for t in sales + success) == sorted(t["id"] for t in every)
    with pytest.raises(LookupError):
        DATASET.tasks_of("nobody@example.com")


def test_tasks_stay_bounded_for_huge_datasets() -> None:
    # Built lazily: five million prospects would never fit the test's time otherwise.
    huge = GongDataset(5_000_000, seed=1)
    tasks = huge.tasks_of(MAYA)
    assert 10 < len(tasks) < 200
    assert max(huge.prospect_index(t["contact"]["crmId"]) or 0 for t in tasks) > 4_000_000


# -- dataset: time passing -------------------------------------------------------------


def test_finish_instances_by_fraction_is_deterministic_and_monotone() -> None:
    dataset, twin = GongDataset(400, seed=7), GongDataset(400, seed=7)
    before = {r["flowInstanceId"]: r for r in ALL_INSTANCES}
    was_open = {i for i, r in before.items() if r["flowInstanceStatus"] in OPEN_STATUS_NAMES}
    dataset.finish_instances(0.5)
    twin.finish_instances(0.5)
    after = {r["flowInstanceId"]: r for i in range(400) for r in dataset.instances_at(i)}
    assert after == {r["flowInstanceId"]: r for i in range(400) for r in twin.instances_at(i)}
    finished_now = {i for i in was_open if after[i]["flowInstanceStatus"] in FINISHED_STATUS_NAMES}
    assert 0.4 < len(finished_now) / len(was_open) < 0.6
    for instance_id, record in after.items():
        if instance_id not in finished_now:
            assert record == before[instance_id]
        else:
            assert {**record, "flowInstanceStatus": "x"} == {
                **before[instance_id],
                "flowInstanceStatus": "x",
            }
    gone = next(iter(finished_now))
    crm_id = after[gone]["crmProspectId"]
    assert gone not in ids_of(dataset.open_assigned_flows(crm_id))
    assert dataset.expected_instance_records([gone]) == [after[gone]]
    dataset.finish_instances(0.5)
    later = {r["flowInstanceId"]: r for i in range(400) for r in dataset.instances_at(i)}
    still_open = {i for i in was_open if later[i]["flowInstanceStatus"] in OPEN_STATUS_NAMES}
    assert finished_now.isdisjoint(still_open)
    assert 0.15 < len(still_open) / len(was_open) < 0.35
    assert dataset.finished_share == pytest.approx(0.75)


def test_finish_instances_by_id_and_its_effect_on_tasks() -> None:
    dataset = GongDataset(400, seed=7)
    open_flow_tasks = [
        t for t in dataset.tasks_of(MAYA, statuses=["OPEN"], types=["FLOW"]) if "flow" in t
    ]
    assert open_flow_tasks
    task = open_flow_tasks[0]
    instance = instance_of(task["contact"]["crmId"], task["flow"]["id"])
    dataset.finish_instances([instance["flowInstanceId"], "1700000000000000000"])
    (finished,) = dataset.expected_instance_records([instance["flowInstanceId"]])
    assert finished["flowInstanceStatus"] in FINISHED_STATUS_NAMES
    (same_task,) = [t for t in dataset.tasks_of(MAYA) if t["id"] == task["id"]]
    assert same_task["status"] in {"DONE", "DISMISSED"}
    assert dataset.task_prospect_ids() == DATASET.task_prospect_ids()
    with pytest.raises(TypeError):
        dataset.finish_instances(instance["flowInstanceId"])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="fraction"):
        dataset.finish_instances(1.5)
