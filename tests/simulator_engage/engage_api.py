"""What the simulator's Engage tests share: a fixed dataset with named users and workspaces,
the spec's field names and types, and small clients for its endpoints."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import requests

from tap_gong_flows.simulator import (
    GongDataset,
    GongSimulator,
)

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


# -- dataset: tasks --------------------------------------------------------------------


def instance_of(crm_id: str, flow_id: int) -> dict[str, Any]:
    (record,) = [r for r in DATASET.assigned_flows(crm_id) if int(r["flowId"]) == flow_id]
    return record


def ids_of(records: list[dict[str, Any]]) -> list[str]:
    return [record["flowInstanceId"] for record in records]
