"""The simulator's Engage endpoints: paging and the shape of their answers."""

from __future__ import annotations

import collections

from tap_gong_flows.simulator import (
    FLOWS_PATH,
    FOLDERS_PATH,
    PROSPECTS_PATH,
    STEPS_PATH,
    TASKS_PATH,
    USERS_PATH,
    GongSimulator,
    prospect_id,
)

from .engage_api import (
    ALL_INSTANCES,
    COLLEAGUE,
    CONTACT_DATA_FIELDS,
    DATASET,
    EMAILS,
    FLOW_FIELDS,
    FLOW_WITH_STEPS_FIELDS,
    MAYA,
    MAYA_ID,
    NUMERIC_ID,
    OPPORTUNITY_FIELDS,
    RECORDS_FIELDS,
    SUCCESS_WORKSPACE,
    TASK_FIELDS,
    USERS,
    VISIBILITIES,
    all_pages,
    assert_fields,
    assert_iso_with_offset,
    ids,
    post,
    tasks_body,
)
from .fixed_account import (
    ALL_FLOW_COUNT,
    COMPANY_FLOW_IDS,
    FINISHED_STATUS_NAMES,
    FIRST_FLOW_DESCRIPTION,
    FIRST_FLOW_ID,
    FIRST_FLOW_STEPS,
    MAYA_FLOWS,
    MAYA_FOLDERS,
    MAYA_SUCCESS_FLOW_IDS,
    MAYA_SUCCESS_FOLDER_IDS,
    MAYA_SUCCESS_TASK_IDS,
    MAYA_TASKS,
    SOFIA_FLOWS,
    TASK_COUNTS,
    USER_IDS,
    USERS_WRITTEN_OUT,
    flow_summary,
    folder_summary,
    task_summary,
    user_summary,
)

# -- HTTP: paging and answers -----------------------------------------------------------


def test_users_page_through_every_user_once(sim: GongSimulator) -> None:
    users, summaries = all_pages(sim, USERS_PATH, "users")
    assert [user_summary(user) for user in users] == USERS_WRITTEN_OUT
    assert [s["currentPageNumber"] for s in summaries] == [0, 1, 2]
    assert [s["currentPageSize"] for s in summaries] == [3, 3, 2]
    for summary in summaries:
        assert summary["totalRecords"] == 8
        assert_fields(summary, {**RECORDS_FIELDS, "cursor": str}, set(RECORDS_FIELDS))
    assert "cursor" not in summaries[-1]
    assert all("cursor" in summary for summary in summaries[:-1])
    with_avatars, _ = all_pages(sim, USERS_PATH, "users", includeAvatars="true")
    assert with_avatars == users


def test_flows_page_per_user_and_company_flows_repeat(sim: GongSimulator) -> None:
    occurrences: collections.Counter[str] = collections.Counter()
    for email in EMAILS:
        flows, summaries = all_pages(sim, FLOWS_PATH, "flows", flowOwnerEmail=email)
        assert len(set(ids(flows))) == len(flows)  # the pages cover the list once
        assert summaries[0]["totalRecords"] == len(flows)
        for flow in flows:
            assert list(flow) == list(FLOW_FIELDS)
            assert_fields(flow, FLOW_FIELDS, set(FLOW_FIELDS))
            assert flow["visibility"] in VISIBILITIES
            assert NUMERIC_ID.match(flow["id"])
            assert NUMERIC_ID.match(flow["folderId"])
            assert_iso_with_offset(flow["creationDate"])
        occurrences.update(ids(flows))
        if email == MAYA:
            assert [flow_summary(flow) for flow in flows] == MAYA_FLOWS
        if email == COLLEAGUE:
            assert [flow_summary(flow) for flow in flows] == SOFIA_FLOWS
    assert len(occurrences) == ALL_FLOW_COUNT
    assert {flow_id for flow_id, seen in occurrences.items() if seen == len(EMAILS)} == set(
        COMPANY_FLOW_IDS
    )


def test_flow_filters(sim: GongSimulator) -> None:
    success, _ = all_pages(
        sim, FLOWS_PATH, "flows", flowOwnerEmail=MAYA, workspaceId=SUCCESS_WORKSPACE
    )
    assert ids(success) == MAYA_SUCCESS_FLOW_IDS
    folder_id = success[0]["folderId"]
    in_folder, _ = all_pages(sim, FLOWS_PATH, "flows", flowOwnerEmail=MAYA, folderId=folder_id)
    assert in_folder
    assert {flow["folderId"] for flow in in_folder} == {folder_id}
    nothing, summaries = all_pages(sim, FLOWS_PATH, "flows", flowOwnerEmail=MAYA, workspaceId="1")
    assert nothing == []
    assert summaries == [{"totalRecords": 0, "currentPageSize": 0, "currentPageNumber": 0}]
    alias_user = next(user for user in USERS if user["emailAliases"])
    by_alias, _ = all_pages(sim, FLOWS_PATH, "flows", flowOwnerEmail=alias_user["emailAliases"][0])
    by_address, _ = all_pages(sim, FLOWS_PATH, "flows", flowOwnerEmail=alias_user["emailAddress"])
    assert by_alias == by_address


def test_folders_page_per_user(sim: GongSimulator) -> None:
    for email in (MAYA, COLLEAGUE):
        folders, _ = all_pages(sim, FOLDERS_PATH, "flows", flowFolderOwnerEmail=email)
        assert len(set(ids(folders))) == len(folders)
        if email == MAYA:
            assert [folder_summary(folder) for folder in folders] == MAYA_FOLDERS
        for folder in folders:
            required = {"id", "name", "visibility", "creationDate"}
            assert_fields(folder, FLOW_FIELDS, required)
            assert ("folderId" in folder) == ("folderName" in folder)
    root = MAYA_FOLDERS[0][0]  # Sales Development, with three folders inside
    subtree, _ = all_pages(sim, FOLDERS_PATH, "flows", flowFolderOwnerEmail=MAYA, parentId=root)
    assert [folder_summary(folder) for folder in subtree] == MAYA_FOLDERS[:4]
    success, _ = all_pages(
        sim, FOLDERS_PATH, "flows", flowFolderOwnerEmail=MAYA, workspaceId=SUCCESS_WORKSPACE
    )
    assert ids(success) == MAYA_SUCCESS_FOLDER_IDS


def test_steps_answer_up_to_twenty_flows(sim: GongSimulator) -> None:
    flow_ids = ids(DATASET.all_flows())
    assert len(flow_ids) >= 20
    response = post(sim, STEPS_PATH, {"flowIds": flow_ids[:20]})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"requestId", "flows"}
    assert ids(body["flows"]) == flow_ids[:20]  # each asked flow once, in the order asked
    first = body["flows"][0]
    assert (first["id"], first["description"]) == (FIRST_FLOW_ID, FIRST_FLOW_DESCRIPTION)
    assert first["steps"] == FIRST_FLOW_STEPS
    for flow in body["flows"]:
        assert list(flow) == list(FLOW_WITH_STEPS_FIELDS)
        assert_fields(flow, FLOW_WITH_STEPS_FIELDS, set(FLOW_WITH_STEPS_FIELDS))
    repeated = post(sim, STEPS_PATH, {"flowIds": [flow_ids[3], flow_ids[3], flow_ids[1]]})
    assert ids(repeated.json()["flows"]) == [flow_ids[3], flow_ids[1]]
    instance_flows = {r["flowId"] for r in ALL_INSTANCES}
    assert instance_flows <= set(ids(DATASET.all_flows()))


def test_tasks_answer_and_shape(sim: GongSimulator) -> None:
    answered = {}
    for user in USERS:
        response = post(sim, TASKS_PATH, tasks_body(user["id"]))
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"requestId", "tasks", "crmType"}
        assert body["crmType"] == "SALESFORCE"
        answered[user["id"]] = body["tasks"]
        assert {task["userId"] for task in body["tasks"]} <= {int(user["id"])}
        for task in body["tasks"]:
            required = {"id", "userId", "created", "updated", "status", "type", "actions"}
            assert_fields(task, TASK_FIELDS, required | {"account", "dueDate", "contact"})
            assert list(task) == [key for key in TASK_FIELDS if key in task]
            assert task["actions"] == ["CALL"]
            assert set(task["contact"]) == {"crmId", "type", "data"}
            assert set(task["contact"]["data"]) == CONTACT_DATA_FIELDS
            assert set(task.get("opportunity", OPPORTUNITY_FIELDS)) == OPPORTUNITY_FIELDS
            assert set(task["account"]) == {"crmId", "name", "crmUrl"}
            assert set(task["priority"]) == {"id", "name", "weight"}
            if task["type"] == "FLOW":
                assert set(task["flow"]) == {"id", "name", "step"}
                assert set(task["flow"]["step"]) == {"id", "name", "stepNumber"}
    assert [len(answered[user_id]) for user_id in USER_IDS] == TASK_COUNTS
    assert [task_summary(task) for task in answered[MAYA_ID]] == MAYA_TASKS
    opened = post(sim, TASKS_PATH, tasks_body(USERS[1]["id"], status=["OPEN"], types=["FLOW"]))
    assert opened.json()["tasks"] == [
        task
        for task in answered[USERS[1]["id"]]
        if task["status"] == "OPEN" and task["type"] == "FLOW"
    ]
    in_success = post(sim, TASKS_PATH, tasks_body(MAYA_ID, workspaceId=SUCCESS_WORKSPACE))
    assert [task["id"] for task in in_success.json()["tasks"]] == MAYA_SUCCESS_TASK_IDS
    no_actions = post(sim, TASKS_PATH, tasks_body(MAYA_ID, taskAction=[]))
    assert no_actions.json()["tasks"] == []


def test_every_flow_id_anywhere_is_listed_by_some_user(sim: GongSimulator) -> None:
    listed = {
        flow["id"]
        for email in EMAILS
        for flow in all_pages(sim, FLOWS_PATH, "flows", flowOwnerEmail=email)[0]
    }
    from_steps = post(sim, STEPS_PATH, {"flowIds": sorted(listed)[:20]}).json()["flows"]
    from_tasks = {
        str(task["flow"]["id"])
        for user in USERS
        for task in post(sim, TASKS_PATH, tasks_body(user["id"])).json()["tasks"]
        if "flow" in task
    }
    crm_ids = [prospect_id(index) for index in range(0, 400, 2)]
    open_records = post(sim, PROSPECTS_PATH, {"crmProspectsIds": crm_ids}).json()
    finished = [
        r["flowInstanceId"]
        for r in ALL_INSTANCES
        if r["flowInstanceStatus"] in FINISHED_STATUS_NAMES
    ]
    by_instance = post(sim, PROSPECTS_PATH, {"flowInstanceIds": finished}).json()
    assigned = {
        r["flowId"] for r in open_records["prospectsAssigned"] + by_instance["prospectsAssigned"]
    }
    assert assigned | set(ids(from_steps)) | from_tasks <= listed
    assert from_tasks
