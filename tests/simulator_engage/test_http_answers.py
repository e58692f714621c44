"""The simulator's Engage endpoints: paging and the shape of their answers."""

from __future__ import annotations

import collections

from tap_gong_flows.simulator import (
    FINISHED_STATUSES,
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

# -- HTTP: paging and answers -----------------------------------------------------------


def test_users_page_through_every_user_once(sim: GongSimulator) -> None:
    users, summaries = all_pages(sim, USERS_PATH, "users")
    assert users == USERS
    assert [s["currentPageNumber"] for s in summaries] == [0, 1, 2]
    assert [s["currentPageSize"] for s in summaries] == [3, 3, 2]
    for summary in summaries:
        assert summary["totalRecords"] == 8
        assert_fields(summary, {**RECORDS_FIELDS, "cursor": str}, set(RECORDS_FIELDS))
    assert "cursor" not in summaries[-1]
    assert all("cursor" in summary for summary in summaries[:-1])
    with_avatars, _ = all_pages(sim, USERS_PATH, "users", includeAvatars="true")
    assert with_avatars == USERS


def test_flows_page_per_user_and_company_flows_repeat(sim: GongSimulator) -> None:
    occurrences: collections.Counter[str] = collections.Counter()
    for email in EMAILS:
        flows, summaries = all_pages(sim, FLOWS_PATH, "flows", flowOwnerEmail=email)
        assert flows == DATASET.flows_visible_to(email)
        assert len(set(ids(flows))) == len(flows)
        assert summaries[0]["totalRecords"] == len(flows)
        for flow in flows:
            assert list(flow) == list(FLOW_FIELDS)
            assert_fields(flow, FLOW_FIELDS, set(FLOW_FIELDS))
            assert flow["visibility"] in VISIBILITIES
            assert NUMERIC_ID.match(flow["id"])
            assert NUMERIC_ID.match(flow["folderId"])
            assert_iso_with_offset(flow["creationDate"])
        occurrences.update(ids(flows))
    assert set(occurrences) == set(ids(DATASET.all_flows()))
    company = [f["id"] for f in DATASET.all_flows() if f["visibility"] == "Company"]
    assert all(occurrences[flow_id] == len(EMAILS) for flow_id in company)


def test_flow_filters(sim: GongSimulator) -> None:
    success, _ = all_pages(
        sim, FLOWS_PATH, "flows", flowOwnerEmail=MAYA, workspaceId=SUCCESS_WORKSPACE
    )
    assert success == DATASET.flows_visible_to(MAYA, workspace_id=SUCCESS_WORKSPACE)
    assert 0 < len(success) < len(DATASET.flows_visible_to(MAYA))
    folder_id = success[0]["folderId"]
    in_folder, _ = all_pages(sim, FLOWS_PATH, "flows", flowOwnerEmail=MAYA, folderId=folder_id)
    assert in_folder
    assert {flow["folderId"] for flow in in_folder} == {folder_id}
    nothing, summaries = all_pages(sim, FLOWS_PATH, "flows", flowOwnerEmail=MAYA, workspaceId="1")
    assert nothing == []
    assert summaries == [{"totalRecords": 0, "currentPageSize": 0, "currentPageNumber": 0}]
    alias_user = next(user for user in USERS if user["emailAliases"])
    by_alias, _ = all_pages(sim, FLOWS_PATH, "flows", flowOwnerEmail=alias_user["emailAliases"][0])
    assert by_alias == DATASET.flows_visible_to(alias_user["emailAddress"])


def test_folders_page_per_user(sim: GongSimulator) -> None:
    for email in (MAYA, COLLEAGUE):
        folders, _ = all_pages(sim, FOLDERS_PATH, "flows", flowFolderOwnerEmail=email)
        assert folders == DATASET.folders_visible_to(email)
        for folder in folders:
            required = {"id", "name", "visibility", "creationDate"}
            assert_fields(folder, FLOW_FIELDS, required)
            assert ("folderId" in folder) == ("folderName" in folder)
    root = next(f for f in DATASET.all_folders() if f["name"] == "Sales Development")
    subtree, _ = all_pages(
        sim, FOLDERS_PATH, "flows", flowFolderOwnerEmail=MAYA, parentId=root["id"]
    )
    assert subtree[0] == root
    assert len(subtree) > 1
    assert all(folder["folderId"] == root["id"] for folder in subtree[1:])
    success, _ = all_pages(
        sim, FOLDERS_PATH, "flows", flowFolderOwnerEmail=MAYA, workspaceId=SUCCESS_WORKSPACE
    )
    assert success == DATASET.folders_visible_to(MAYA, workspace_id=SUCCESS_WORKSPACE)
    assert 0 < len(success) < len(DATASET.folders_visible_to(MAYA))


def test_steps_answer_up_to_twenty_flows(sim: GongSimulator) -> None:
    flow_ids = ids(DATASET.all_flows())
    assert len(flow_ids) >= 20
    response = post(sim, STEPS_PATH, {"flowIds": flow_ids[:20]})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"requestId", "flows"}
    assert body["flows"] == DATASET.expected_flow_steps(flow_ids[:20])
    for flow in body["flows"]:
        assert list(flow) == list(FLOW_WITH_STEPS_FIELDS)
        assert_fields(flow, FLOW_WITH_STEPS_FIELDS, set(FLOW_WITH_STEPS_FIELDS))
    repeated = post(sim, STEPS_PATH, {"flowIds": [flow_ids[3], flow_ids[3], flow_ids[1]]})
    assert ids(repeated.json()["flows"]) == [flow_ids[3], flow_ids[1]]
    instance_flows = {r["flowId"] for r in ALL_INSTANCES}
    assert instance_flows <= set(ids(DATASET.all_flows()))


def test_tasks_answer_and_shape(sim: GongSimulator) -> None:
    for user in USERS:
        response = post(sim, TASKS_PATH, tasks_body(user["id"]))
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"requestId", "tasks", "crmType"}
        assert body["crmType"] == "SALESFORCE"
        assert body["tasks"] == DATASET.tasks_of(user["id"])
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
    opened = post(sim, TASKS_PATH, tasks_body(USERS[1]["id"], status=["OPEN"], types=["FLOW"]))
    assert opened.json()["tasks"] == DATASET.tasks_of(
        USERS[1]["id"], statuses=["OPEN"], types=["FLOW"]
    )
    in_success = post(sim, TASKS_PATH, tasks_body(MAYA_ID, workspaceId=SUCCESS_WORKSPACE))
    assert in_success.json()["tasks"] == DATASET.tasks_of(MAYA, workspace_id=SUCCESS_WORKSPACE)
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
        r["flowInstanceId"] for r in ALL_INSTANCES if r["flowInstanceStatus"] in FINISHED_STATUSES
    ]
    by_instance = post(sim, PROSPECTS_PATH, {"flowInstanceIds": finished}).json()
    assigned = {
        r["flowId"] for r in open_records["prospectsAssigned"] + by_instance["prospectsAssigned"]
    }
    assert assigned | set(ids(from_steps)) | from_tasks <= listed
    assert from_tasks
