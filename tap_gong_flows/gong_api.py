"""Gong's Engage endpoints as plain functions over the request engine.

Each method is one endpoint: what to send, and where the items sit in the answer. Paged
GET endpoints follow ``records.cursor`` one page after the other (each cursor comes from
the page before); the engine runs many such chains side by side.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from tap_gong_flows.answers import Payload
from tap_gong_flows.engine import RequestEngine
from tap_gong_flows.errors import GongError
from tap_gong_flows.paths import (
    ASSIGNED_FLOWS_PATH,
    FLOWS_PATH,
    FOLDERS_PATH,
    STEPS_PATH,
    TASKS_PATH,
    USERS_PATH,
)
from tap_gong_flows.record import Record
from tap_gong_flows.schemas import KNOWN_VALUES

# /v2/tasks needs its action filter; every action the spec lists asks for all tasks.
TASK_ACTIONS = list(KNOWN_VALUES["TASK"]["actions[]"])


def records_under(payload: Payload, key: str, what: str) -> list[Record]:
    """The list of objects under ``key`` (absent or null: none)."""
    items = payload.get(key)
    if items is None:
        return []
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise GongError(f"{what} answered {key} that is not a list of objects")
    return items


def _next_cursor(payload: Payload) -> str | None:
    records = payload.get("records")
    cursor = records.get("cursor") if isinstance(records, dict) else None
    return str(cursor) if cursor else None


class EngageApi:
    """The Engage endpoints the streams read, each answer checked for its shape."""

    def __init__(self, engine: RequestEngine, *, workspace_id: str | None = None) -> None:
        self.engine = engine
        self.workspace_id = workspace_id

    def _pages(
        self, path: str, key: str, params: Mapping[str, Any], *, about: str, stream: str
    ) -> Iterator[list[Record]]:
        cursor: str | None = None
        while True:
            query = {k: v for k, v in params.items() if v is not None}
            if cursor:
                query["cursor"] = cursor
            payload = self.engine.call("GET", path, params=query, about=about, stream=stream)
            yield records_under(payload, key, f"GET {path}")
            cursor = _next_cursor(payload)
            if cursor is None:
                return

    def users(self) -> Iterator[Record]:
        """Every user of the company, page after page."""
        for page in self._pages(USERS_PATH, "users", {}, about="users", stream="users"):
            yield from page

    def flows_of(self, owner_email: str) -> list[Record]:
        """Every flow ``owner_email`` can see (Gong answers company flows for each user)."""
        params = {"flowOwnerEmail": owner_email, "workspaceId": self.workspace_id}
        about = f"flows of {owner_email}"
        pages = self._pages(FLOWS_PATH, "flows", params, about=about, stream="flows")
        return [flow for page in pages for flow in page]

    def folders_of(self, owner_email: str) -> list[Record]:
        """Every flow folder ``owner_email`` can see (answered under ``flows``, like flows)."""
        params = {"flowFolderOwnerEmail": owner_email, "workspaceId": self.workspace_id}
        about = f"flow folders of {owner_email}"
        pages = self._pages(FOLDERS_PATH, "flows", params, about=about, stream="flow_folders")
        return [folder for page in pages for folder in page]

    def steps_of(self, flow_ids: Sequence[str]) -> list[Record]:
        """The steps of up to 20 flows, each with the ``flowId`` it belongs to."""
        about = f"flows {flow_ids[0]}..{flow_ids[-1]}"
        payload = self.engine.call(
            "POST", STEPS_PATH, body={"flowIds": list(flow_ids)}, about=about, stream="flow_steps"
        )
        steps = []
        for flow in records_under(payload, "flows", f"POST {STEPS_PATH}"):
            for step in flow.get("steps") or []:
                steps.append({"flowId": str(flow["id"]), **step})
        return steps

    def tasks_of(
        self, user_id: str, *, types: Sequence[str], statuses: Sequence[str], actions: Sequence[str]
    ) -> list[Record]:
        """The tasks of one user with these types, statuses and actions."""
        task_filter: dict[str, Any] = {
            "userId": user_id,
            "types": list(types),
            "status": list(statuses),
            "taskAction": list(actions),
        }
        if self.workspace_id:
            task_filter["workspaceId"] = self.workspace_id
        payload = self.engine.call(
            "POST",
            TASKS_PATH,
            body={"filter": task_filter},
            about=f"tasks of user {user_id}",
            stream="tasks",
        )
        return records_under(payload, "tasks", f"POST {TASKS_PATH}")

    def assigned_flows(self, body: Mapping[str, Any], *, about: str) -> list[Record]:
        """``POST /v2/flows/prospects``: flow instances by ``crmProspectsIds`` (open ones)
        or by ``flowInstanceIds`` (finished ones too)."""
        payload = self.engine.call(
            "POST", ASSIGNED_FLOWS_PATH, body=body, about=about, stream="assigned_flows"
        )
        records = payload.get("prospectsAssigned")
        if records is None:
            # Gong leaves out empty lists in some answers: no open flow for these prospects.
            return []
        if not isinstance(records, list):
            raise GongError(
                f"POST {ASSIGNED_FLOWS_PATH} answered prospectsAssigned as "
                f"{type(records).__name__}, not a list"
            )
        for record in records:
            if not isinstance(record, dict):
                raise GongError(
                    f"POST {ASSIGNED_FLOWS_PATH} answered a record that is not an object"
                )
        return records
