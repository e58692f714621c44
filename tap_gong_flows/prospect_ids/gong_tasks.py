"""Prospect IDs from Gong itself: the contacts of every user's Engage flow tasks."""

from __future__ import annotations

from collections.abc import Iterator

from tap_gong_flows.directory import EngageDirectory
from tap_gong_flows.engine import RequestEngine
from tap_gong_flows.gong_api import TASK_ACTIONS, EngageApi
from tap_gong_flows.record import Record


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
