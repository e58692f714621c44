"""``tasks``: Engage tasks per user (``POST /v2/tasks``), and the prospects they mention."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tap_gong_flows.client import GongStream
from tap_gong_flows.fan_out import OrderedFanOut
from tap_gong_flows.gong_api import TASK_ACTIONS
from tap_gong_flows.record import Record
from tap_gong_flows.schemas import KNOWN_VALUES, TASK

if TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

TASK_TYPES = list(KNOWN_VALUES["TASK"]["type"])
TASK_STATUSES = list(KNOWN_VALUES["TASK"]["status"])


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
