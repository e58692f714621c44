"""``tasks``: Engage tasks per user (``POST /v2/tasks``), and the prospects they mention."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tap_gong_flows.client import GongStream
from tap_gong_flows.directory import EngageDirectory
from tap_gong_flows.engine import RequestEngine
from tap_gong_flows.fan_out import OrderedFanOut
from tap_gong_flows.gong_api import EngageApi
from tap_gong_flows.schemas import KNOWN_VALUES, TASK

if TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

TASK_TYPES = list(KNOWN_VALUES["TASK"]["type"])
TASK_STATUSES = list(KNOWN_VALUES["TASK"]["status"])
TASK_ACTIONS = list(KNOWN_VALUES["TASK"]["actions[]"])

Record = dict[str, Any]


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
    primary_keys = ("id",)
    replication_key = "updated"
    is_sorted = False
    schema = TASK.to_dict()

    _per_user: OrderedFanOut[str, list[Record]] | None = None

    def _tasks_of(self, user_id: str) -> list[Record]:
        return self.api.tasks_of(
            user_id, types=TASK_TYPES, statuses=TASK_STATUSES, actions=TASK_ACTIONS
        )

    def warm(self) -> None:
        if self._per_user is None:
            user_ids = [str(user["id"]) for user in self.directory.users()]
            self._per_user = self.engine.fan_out(user_ids, self._tasks_of).start()

    def get_records(self, context: Context | None) -> Iterator[Record]:
        since = self.get_starting_timestamp(context)
        self.warm()
        assert self._per_user is not None
        per_user, self._per_user = self._per_user, None
        with self.syncing():
            for tasks in per_user.results():
                for task in tasks:
                    updated = _parse_time(task.get("updated"))
                    if since is None or updated is None or updated > since:
                        yield task


class TaskProspectIds:
    """Prospect IDs Gong knows from Engage flow tasks: each task's contact and its
    additional contacts, open and done."""

    name = "crm_prospect_ids_from_tasks"
    item_label = "task contact"

    def __init__(self, api: EngageApi, directory: EngageDirectory, engine: RequestEngine) -> None:
        self._api = api
        self._directory = directory
        self._engine = engine

    def _flow_tasks_of(self, user_id: str) -> list[Record]:
        return self._api.tasks_of(
            user_id, types=["FLOW"], statuses=["OPEN", "DONE"], actions=TASK_ACTIONS
        )

    def __iter__(self) -> Iterator[str]:
        user_ids = [str(user["id"]) for user in self._directory.users()]
        for tasks in self._engine.fan_out(user_ids, self._flow_tasks_of).results():
            for task in tasks:
                contacts = [task.get("contact"), *(task.get("additionalContacts") or [])]
                for contact in contacts:
                    if isinstance(contact, dict) and contact.get("crmId"):
                        yield str(contact["crmId"])

    def size_hint(self) -> None:
        return None
