"""``tasks``: Engage tasks per user (``POST /v2/tasks``), and the prospects they mention."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

import requests

from tap_gong_flows.client import GongStream, response_payload
from tap_gong_flows.errors import GongError
from tap_gong_flows.schemas import KNOWN_VALUES, TASK

if TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

    from tap_gong_flows.tap import TapGongFlows

TASK_TYPES = list(KNOWN_VALUES["TASK"]["type"])
TASK_STATUSES = list(KNOWN_VALUES["TASK"]["status"])
TASK_ACTIONS = list(KNOWN_VALUES["TASK"]["actions[]"])


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


class TasksStream(GongStream):
    """Every task of every user. Incremental on ``updated``: Gong cannot filter by time, so
    each sync still asks once per user, but only tasks changed since the bookmark are emitted.
    """

    name = "tasks"
    path = "/v2/tasks"
    http_method = "POST"
    primary_keys = ("id",)
    replication_key = "updated"
    is_sorted = False
    schema = TASK.to_dict()

    def tasks_of(
        self, user_id: str, *, types: list[str], statuses: list[str]
    ) -> Iterable[dict[str, Any]]:
        task_filter: dict[str, Any] = {
            "userId": user_id,
            "types": types,
            "status": statuses,
            "taskAction": TASK_ACTIONS,
        }
        if self.config.get("workspace_id"):
            task_filter["workspaceId"] = self.config["workspace_id"]
        response = self.post_json({"filter": task_filter}, about=f"tasks of user {user_id}")
        return self.parse_response(response)

    def get_records(self, context: Context | None) -> Iterator[dict[str, Any]]:
        since = self.get_starting_timestamp(context)
        for user in self.gong_tap.directory.users():
            for task in self.tasks_of(str(user["id"]), types=TASK_TYPES, statuses=TASK_STATUSES):
                updated = _parse_time(task.get("updated"))
                if since is None or updated is None or updated > since:
                    yield task

    def parse_response(self, response: requests.Response) -> Iterable[dict[str, Any]]:
        tasks = response_payload(response).get("tasks")
        if tasks is None:
            return []
        if not isinstance(tasks, list) or not all(isinstance(t, dict) for t in tasks):
            raise GongError(f"POST {self.path} answered tasks that are not a list of objects")
        return tasks


class TaskProspectIds:
    """Prospect IDs Gong knows from Engage flow tasks: each task's contact and its
    additional contacts, open and done."""

    name = "crm_prospect_ids_from_tasks"
    item_label = "task contact"

    def __init__(self, tap: TapGongFlows) -> None:
        self._tap = tap

    def __iter__(self) -> Iterator[str]:
        stream = self._tap.streams[TasksStream.name]
        assert isinstance(stream, TasksStream)
        for user in self._tap.directory.users():
            for task in stream.tasks_of(str(user["id"]), types=["FLOW"], statuses=["OPEN", "DONE"]):
                contacts = [task.get("contact"), *(task.get("additionalContacts") or [])]
                for contact in contacts:
                    if isinstance(contact, dict) and contact.get("crmId"):
                        yield str(contact["crmId"])

    def size_hint(self) -> None:
        return None
