"""Tests of the simulator's users, flows, folders, steps and tasks endpoints and data."""

from __future__ import annotations

import collections
import re
import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from tap_gong_flows.simulator import (
    FINISHED_STATUSES,
    FLOWS_PATH,
    FOLDERS_PATH,
    OPEN_STATUSES,
    PROSPECTS_PATH,
    STEPS_PATH,
    TASKS_PATH,
    USERS_PATH,
    Fault,
    GongDataset,
    GongSimulator,
    prospect_id,
)
from tap_gong_flows.simulator.model.catalog import OWNERS

from .support import simulator_cli

BASIC_AUTH = ("sim-access-key", "sim-access-key-secret")
REQUEST_ID = re.compile(r"^[a-z0-9]{19}$")
NUMERIC_ID = re.compile(r"^[1-9]\d{14,19}$")

DATASET = GongDataset(400, seed=7)
USERS = DATASET.users()
EMAILS = [user["emailAddress"] for user in USERS]
MAYA = EMAILS[0]
MAYA_ID = USERS[0]["id"]
COLLEAGUE = EMAILS[6]  # not an instance owner
SALES_WORKSPACE = "5038816629417705312"
SUCCESS_WORKSPACE = "5038816629417709948"
ALL_INSTANCES = [r for crm_id in DATASET.prospect_ids() for r in DATASET.assigned_flows(crm_id)]

# Field names and JSON types, as the spec's component schemas list them.
RECORDS_FIELDS = {"totalRecords": int, "currentPageSize": int, "currentPageNumber": int}
USER_FIELDS = {
    "id": str, "emailAddress": str, "created": str, "active": bool, "emailAliases": list,
    "trustedEmailAddress": str, "firstName": str, "lastName": str, "title": str,
    "phoneNumber": str, "extension": str, "personalMeetingUrls": list, "settings": dict,
    "managerId": str, "meetingConsentPageUrl": str, "conferencingProviders": list,
    "spokenLanguages": list,
}  # fmt: skip
USER_SETTINGS = {
    "webConferencesRecorded", "preventWebConferenceRecording", "telephonyCallsImported",
    "emailsImported", "preventEmailImport", "nonRecordedMeetingsImported", "gongConnectEnabled",
}  # fmt: skip
FLOW_FIELDS = {
    "id": str, "name": str, "folderId": str, "folderName": str, "visibility": str,
    "creationDate": str, "exclusive": bool,
}  # fmt: skip
FLOW_WITH_STEPS_FIELDS = {
    "id": str, "name": str, "folderId": str, "visibility": str, "creationDate": str,
    "exclusive": bool, "description": str, "steps": list,
}  # fmt: skip
STEP_FIELDS = {
    "id": str, "stepOrder": int, "action": str, "subject": str, "body": str, "isReply": bool
}  # fmt: skip
STEP_ACTIONS = {
    "SEND_EMAIL", "AUTO_SEND_EMAIL", "CALL", "LINKEDIN_CONNECT", "LINKEDIN_MESSAGE", "CUSTOM"
}  # fmt: skip
TASK_FIELDS = {
    "id": int, "userId": int, "created": str, "updated": str, "status": str, "type": str,
    "actions": list, "account": dict, "opportunity": dict, "dueDate": str, "flow": dict,
    "contact": dict, "additionalContacts": list, "title": str, "priority": dict,
}  # fmt: skip
CONTACT_DATA_FIELDS = {
    "firstName", "lastName", "crmUrl", "companyName", "affiliation", "emails", "title",
    "timezone", "phoneNumbers", "city", "country", "state", "zipcode", "optOutChannels",
    "linkedinProfile",
}  # fmt: skip
OPPORTUNITY_FIELDS = {
    "crmId", "name", "crmUrl", "status", "stage", "amount", "probability", "closeDate"
}  # fmt: skip
VISIBILITIES = {"Company", "Personal", "Shared"}


@pytest.fixture(scope="module")
def sim() -> Iterator[GongSimulator]:
    with GongSimulator(DATASET, rate_limit_per_second=None, daily_limit=None) as simulator:
        yield simulator


def get(simulator: GongSimulator, path: str, **params: Any) -> requests.Response:
    return requests.get(simulator.url + path, params=params, auth=BASIC_AUTH, timeout=5)


def post(simulator: GongSimulator, path: str, body: Any) -> requests.Response:
    return requests.post(simulator.url + path, json=body, auth=BASIC_AUTH, timeout=5)


def tasks_body(user_id: str, **overrides: Any) -> dict[str, Any]:
    task_filter = {
        "userId": user_id,
        "taskAction": ["CALL"],
        "status": ["OPEN", "DONE", "DISMISSED"],
        "types": ["FLOW", "MANUAL"],
        **overrides,
    }
    return {"filter": task_filter}


def all_pages(
    simulator: GongSimulator, path: str, items_key: str, **params: Any
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every item across the pages, and each page's ``records`` object."""
    items: list[dict[str, Any]] = []
    summaries: list[dict[str, Any]] = []
    cursor = None
    while True:
        response = get(simulator, path, **params, **({"cursor": cursor} if cursor else {}))
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"requestId", "records", items_key}
        assert REQUEST_ID.match(body["requestId"])
        items += body[items_key]
        summaries.append(body["records"])
        cursor = body["records"].get("cursor")
        if cursor is None:
            return items, summaries
        assert len(summaries) < 100, "paging does not end"


def assert_gong_error(response: requests.Response, status: int, text: str = "") -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"requestId", "errors"}
    assert REQUEST_ID.match(body["requestId"])
    assert text in body["errors"][0]


def assert_fields(item: dict[str, Any], spec: dict[str, type], required: set[str]) -> None:
    assert set(item) <= set(spec), set(item) - set(spec)
    assert required <= set(item), required - set(item)
    for key, value in item.items():
        assert type(value) is spec[key], (key, value)


def assert_iso_with_offset(text: str) -> datetime:
    parsed = datetime.fromisoformat(text)
    assert parsed.tzinfo is not None
    assert text.endswith("Z") or re.search(r"[+-]\d\d:\d\d$", text), text
    return parsed


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


# -- dataset: users, flows, folders, steps --------------------------------------------


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
        OPEN_STATUSES + FINISHED_STATUSES
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


# -- dataset: tasks --------------------------------------------------------------------


def instance_of(crm_id: str, flow_id: int) -> dict[str, Any]:
    (record,) = [r for r in DATASET.assigned_flows(crm_id) if int(r["flowId"]) == flow_id]
    return record


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
                assert instance["flowInstanceStatus"] in OPEN_STATUSES
            if task["status"] == "DISMISSED":
                assert instance["flowInstanceStatus"] in FINISHED_STATUSES
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
    was_open = {i for i, r in before.items() if r["flowInstanceStatus"] in OPEN_STATUSES}
    dataset.finish_instances(0.5)
    twin.finish_instances(0.5)
    after = {r["flowInstanceId"]: r for i in range(400) for r in dataset.instances_at(i)}
    assert after == {r["flowInstanceId"]: r for i in range(400) for r in twin.instances_at(i)}
    finished_now = {i for i in was_open if after[i]["flowInstanceStatus"] in FINISHED_STATUSES}
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
    still_open = {i for i in was_open if later[i]["flowInstanceStatus"] in OPEN_STATUSES}
    assert finished_now.isdisjoint(still_open)
    assert 0.15 < len(still_open) / len(was_open) < 0.35
    assert dataset.finished_share == pytest.approx(0.75)


def ids_of(records: list[dict[str, Any]]) -> list[str]:
    return [record["flowInstanceId"] for record in records]


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
    assert finished["flowInstanceStatus"] in FINISHED_STATUSES
    (same_task,) = [t for t in dataset.tasks_of(MAYA) if t["id"] == task["id"]]
    assert same_task["status"] in {"DONE", "DISMISSED"}
    assert dataset.task_prospect_ids() == DATASET.task_prospect_ids()
    with pytest.raises(TypeError):
        dataset.finish_instances(instance["flowInstanceId"])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="fraction"):
        dataset.finish_instances(1.5)


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


# -- HTTP: bad requests -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "text"),
    [
        (FLOWS_PATH, {}, "flowOwnerEmail"),
        (FLOWS_PATH, {"flowOwnerEmail": ""}, "must not be empty"),
        (FLOWS_PATH, {"flowOwnerEmail": "nobody@example.com"}, "No Gong user"),
        (FLOWS_PATH, {"flowOwnerEmail": [MAYA, MAYA]}, "only once"),
        (FLOWS_PATH, {"flowOwnerEmail": MAYA, "mostRecentlyAssigned": "true"}, "not supported"),
        (FLOWS_PATH, {"flowOwnerEmail": MAYA, "cursor": "garbage"}, "Invalid cursor"),
        (FOLDERS_PATH, {"flowOwnerEmail": MAYA}, "flowFolderOwnerEmail"),
        (FOLDERS_PATH, {"flowFolderOwnerEmail": "x@y.z"}, "No Gong user"),
        (FOLDERS_PATH, {"flowFolderOwnerEmail": MAYA, "parentId": "abc"}, "integer"),
        (USERS_PATH, {"includeAvatars": "maybe"}, "true or false"),
        (USERS_PATH, {"cursor": "eyJzIjoxfQ.AAAA"}, "Invalid cursor"),
    ],
)
def test_bad_queries_get_400(
    sim: GongSimulator, path: str, params: dict[str, Any], text: str
) -> None:
    assert_gong_error(get(sim, path, **params), 400, text)


@pytest.mark.parametrize(
    ("path", "body", "status", "text"),
    [
        (STEPS_PATH, None, 400, "JSON object"),
        (STEPS_PATH, {}, 400, "flowIds"),
        (STEPS_PATH, {"flowIds": []}, 400, "empty"),
        (STEPS_PATH, {"flowIds": "7312004518839271045"}, 400, "array"),
        (STEPS_PATH, {"flowIds": [7312004518839271045]}, 400, "string"),
        (STEPS_PATH, {"flowIds": [str(n) for n in range(21)]}, 400, "at most 20"),
        (STEPS_PATH, {"flowIds": ["7312004518839271045", "42"]}, 404, "42"),
        (TASKS_PATH, {}, 400, "filter"),
        (TASKS_PATH, {"filter": []}, 400, "object"),
        (TASKS_PATH, {"filter": {"taskAction": ["CALL"]}}, 400, "userId"),
        (TASKS_PATH, tasks_body("12345"), 400, "No Gong user"),
        (TASKS_PATH, tasks_body(MAYA_ID, status=["SNOOZED"]), 400, "valid values"),
        (TASKS_PATH, tasks_body(MAYA_ID, taskAction=["EMAIL"]), 400, "valid values"),
        (TASKS_PATH, tasks_body(MAYA_ID, types=None), 400, "filter.types"),
        (TASKS_PATH, tasks_body(MAYA_ID, workspaceId=5), 400, "workspaceId"),
    ],
)
def test_bad_bodies_get_400_or_404(
    sim: GongSimulator, path: str, body: Any, status: int, text: str
) -> None:
    response = (
        requests.post(sim.url + path, auth=BASIC_AUTH, timeout=5)
        if body is None
        else post(sim, path, body)
    )
    assert_gong_error(response, status, text)


def test_cursors_are_bound_to_their_request_and_server(sim: GongSimulator) -> None:
    first = get(sim, FLOWS_PATH, flowOwnerEmail=MAYA).json()["records"]["cursor"]
    assert get(sim, FLOWS_PATH, flowOwnerEmail=MAYA, cursor=first).status_code == 200
    other_user = get(sim, FLOWS_PATH, flowOwnerEmail=EMAILS[1], cursor=first)
    assert_gong_error(other_user, 400, "other parameters")
    assert_gong_error(get(sim, USERS_PATH, cursor=first), 400, "other parameters")
    edited = first[:-2] + ("AA" if not first.endswith("AA") else "BB")
    assert_gong_error(get(sim, FLOWS_PATH, flowOwnerEmail=MAYA, cursor=edited), 400, "cursor")
    with GongSimulator(DATASET, rate_limit_per_second=None) as other:
        assert_gong_error(get(other, FLOWS_PATH, flowOwnerEmail=MAYA, cursor=first), 400, "cursor")


def test_cursors_expire() -> None:
    with GongSimulator(DATASET, rate_limit_per_second=None, cursor_ttl_seconds=0.2) as simulator:
        cursor = get(simulator, USERS_PATH).json()["records"]["cursor"]
        assert get(simulator, USERS_PATH, cursor=cursor).status_code == 200
        time.sleep(0.3)
        assert_gong_error(get(simulator, USERS_PATH, cursor=cursor), 400, "expired")


def test_page_size_is_configurable() -> None:
    with GongSimulator(DATASET, rate_limit_per_second=None, page_size=100) as simulator:
        users, summaries = all_pages(simulator, USERS_PATH, "users")
    assert users == USERS
    assert summaries == [{"totalRecords": 8, "currentPageSize": 8, "currentPageNumber": 0}]
    with pytest.raises(ValueError, match="page_size"):
        GongSimulator(DATASET, page_size=0)


def test_unknown_paths_wrong_methods_and_auth(sim: GongSimulator) -> None:
    assert_gong_error(get(sim, "/v2/flows/unknown", flowOwnerEmail=MAYA), 404)
    assert_gong_error(get(sim, "/v2/tasks/123"), 404)
    for path, wrong in [
        (USERS_PATH, "POST"),
        (FLOWS_PATH, "POST"),
        (FOLDERS_PATH, "DELETE"),
        (STEPS_PATH, "GET"),
        (TASKS_PATH, "GET"),
    ]:
        response = requests.request(wrong, sim.url + path, auth=BASIC_AUTH, timeout=5)
        assert_gong_error(response, 405)
        assert response.headers["Allow"] == ("GET" if wrong != "GET" else "POST")
    assert_gong_error(requests.get(sim.url + USERS_PATH, timeout=5), 401)
    bearer = {"Authorization": "Bearer sim-access-token"}
    assert requests.get(sim.url + USERS_PATH, headers=bearer, timeout=5).status_code == 200
    logged = sim.request_log
    assert [entry.status for entry in logged[-2:]] == [401, 200]
    assert logged[-1].path == USERS_PATH
    get(sim, FLOWS_PATH, flowOwnerEmail=MAYA)
    assert sim.request_log[-1].path.startswith(FLOWS_PATH + "?flowOwnerEmail=")


# -- HTTP: quotas and faults -------------------------------------------------------------


def test_per_second_limit_is_shared_across_endpoints() -> None:
    with GongSimulator(DATASET) as simulator, requests.Session() as session:
        session.auth = BASIC_AUTH
        url = simulator.url
        responses = [
            session.get(url + USERS_PATH, timeout=5),
            session.get(url + FLOWS_PATH, params={"flowOwnerEmail": MAYA}, timeout=5),
            session.post(url + TASKS_PATH, json=tasks_body(MAYA_ID), timeout=5),
            session.post(url + STEPS_PATH, json={"flowIds": ["7312004518839271045"]}, timeout=5),
            session.post(
                url + PROSPECTS_PATH, json={"crmProspectsIds": [prospect_id(0)]}, timeout=5
            ),
        ]
    assert [r.status_code for r in responses] == [200, 200, 200, 429, 429]
    for limited in responses[3:]:
        assert_gong_error(limited, 429)
        assert limited.headers["Retry-After"] == "1"


def test_daily_limit_is_shared_across_endpoints() -> None:
    with GongSimulator(DATASET, rate_limit_per_second=None, daily_limit=2) as simulator:
        statuses = [
            get(simulator, USERS_PATH).status_code,
            post(simulator, STEPS_PATH, {"flowIds": ["7312004518839271045"]}).status_code,
            get(simulator, FOLDERS_PATH, flowFolderOwnerEmail=MAYA).status_code,
        ]
    assert statuses == [200, 200, 429]


def test_faults_match_their_path(sim: GongSimulator) -> None:
    sim.faults.enqueue(Fault.status(503), path=USERS_PATH)
    sim.faults.enqueue(Fault.drop_connection(), path=TASKS_PATH)
    assert get(sim, FLOWS_PATH, flowOwnerEmail=MAYA).status_code == 200
    assert post(sim, STEPS_PATH, {"flowIds": ["7312004518839271045"]}).status_code == 200
    assert_gong_error(get(sim, USERS_PATH), 503)
    with pytest.raises(requests.ConnectionError):
        post(sim, TASKS_PATH, tasks_body(MAYA_ID))
    assert sim.faults.pending == 0
    assert [entry.fault for entry in sim.request_log] == [None, None, "status", "drop_connection"]


def test_record_faults_on_the_new_endpoints(sim: GongSimulator) -> None:
    sim.faults.enqueue(Fault.missing_records(), path=FLOWS_PATH)
    sim.faults.enqueue(Fault.null_records(), path=USERS_PATH)
    sim.faults.enqueue(Fault.extra_fields(), path=FOLDERS_PATH)
    sim.faults.enqueue(Fault.foreign_records(), path=TASKS_PATH)
    sim.faults.enqueue(Fault.foreign_records(), path=STEPS_PATH)
    sim.faults.enqueue(Fault.truncated_json(), path=USERS_PATH)
    missing = get(sim, FLOWS_PATH, flowOwnerEmail=MAYA).json()
    assert set(missing) == {"requestId", "records"}
    assert get(sim, USERS_PATH).json()["users"] is None
    folders = get(sim, FOLDERS_PATH, flowFolderOwnerEmail=MAYA).json()["flows"]
    assert all(folder["visibility"] not in VISIBILITIES for folder in folders)
    assert all(set(folder) - set(FLOW_FIELDS) for folder in folders)
    tasks = post(sim, TASKS_PATH, tasks_body(MAYA_ID)).json()["tasks"]
    assert tasks[:-1] == DATASET.tasks_of(MAYA)
    assert tasks[-1]["userId"] not in {int(user["id"]) for user in USERS}
    flow_id = "7312004518839271045"
    flows = post(sim, STEPS_PATH, {"flowIds": [flow_id]}).json()["flows"]
    assert ids(flows)[0] == flow_id
    assert len(flows) == 2
    assert ids(flows)[1] not in ids(DATASET.all_flows())
    truncated = get(sim, USERS_PATH)
    assert truncated.status_code == 200
    with pytest.raises(requests.exceptions.JSONDecodeError):
        truncated.json()


# -- HTTP: time passing between two syncs ------------------------------------------------


def test_second_sync_sees_finished_instances() -> None:
    dataset = GongDataset(200, seed=5)
    crm_ids = list(dataset.prospect_ids())
    with GongSimulator(dataset, rate_limit_per_second=None) as simulator:
        first = post(simulator, PROSPECTS_PATH, {"crmProspectsIds": crm_ids}).json()
        first_open = {r["flowInstanceId"] for r in first["prospectsAssigned"]}
        dataset.finish_instances(0.3)
        second = post(simulator, PROSPECTS_PATH, {"crmProspectsIds": crm_ids}).json()
        second_open = {r["flowInstanceId"] for r in second["prospectsAssigned"]}
        gone = sorted(first_open - second_open)
        assert second_open < first_open
        assert 0.2 < len(gone) / len(first_open) < 0.4
        revisited = post(simulator, PROSPECTS_PATH, {"flowInstanceIds": gone}).json()
    assert ids_of(revisited["prospectsAssigned"]) == gone
    assert {r["flowInstanceStatus"] for r in revisited["prospectsAssigned"]} <= set(
        FINISHED_STATUSES
    )


# -- command line -----------------------------------------------------------------------


def test_cli_takes_users_and_page_size(tmp_path: Path) -> None:
    args = ("--prospects", "20", "--users", "10", "--page-size", "4", "--no-rate-limit")
    with simulator_cli(*args, cwd=tmp_path) as (process, line):
        url = line.strip().rsplit(" ", 1)[-1]
        response = requests.get(url + USERS_PATH, auth=BASIC_AUTH, timeout=5)
        records = response.json()["records"]
        assert (records["totalRecords"], records["currentPageSize"]) == (10, 4)
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=5)
        assert process.returncode == 0


def test_dates_everywhere_carry_an_offset() -> None:
    stamps = [user["created"] for user in USERS]
    stamps += [flow["creationDate"] for flow in DATASET.all_flows()]
    stamps += [folder["creationDate"] for folder in DATASET.all_folders()]
    for user in USERS:
        for task in DATASET.tasks_of(user["id"]):
            stamps += [task["created"], task["updated"], task["dueDate"]]
    shapes = set()
    for stamp in stamps:
        parsed = assert_iso_with_offset(stamp)
        assert datetime(2021, 1, 1, tzinfo=UTC) <= parsed < datetime(2026, 8, 1, tzinfo=UTC)
        shapes.add(stamp[-1] == "Z")
    assert shapes == {True, False}
