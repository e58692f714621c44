"""Engage call tasks: flow tasks raised by flow instances, and a few manual ones per user.

Flow tasks come from a bounded, evenly spread sample of at most
:data:`TASK_SAMPLE_LIMIT` prospects, so their number stays modest and generating them
costs the same for a thousand prospects as for millions. About one sampled flow
instance in five has a task; it belongs to the instance's owner, points at a call step
of the instance's flow and names the prospect as its contact (sometimes with colleagues
from the same account as additional contacts). Its status follows the instance: open
instances have open or done tasks, finished ones done or dismissed tasks, so when an
instance finishes (see ``GongDataset.finish_instances``) its open task is closed.

Each active user also has 1 to 3 manual tasks about a prospect of the dataset.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tap_gong_flows.simulator.model.catalog import OPEN_STATUSES
from tap_gong_flows.simulator.model.contacts import (
    account_index,
    account_record,
    colleague_indices,
    contact_record,
    opportunity_record,
)
from tap_gong_flows.simulator.model.flow_steps import FlowStep
from tap_gong_flows.simulator.model.flow_visibility import FlowVisibility
from tap_gong_flows.simulator.model.hashing import digest, pick, unit
from tap_gong_flows.simulator.model.ids import numeric_id
from tap_gong_flows.simulator.model.people import User, make_user
from tap_gong_flows.simulator.model.record import Record
from tap_gong_flows.simulator.model.timestamps import (
    DATA_AS_OF,
    instant_between,
    render_drawn_instant,
)

InstancesAt = Callable[[int], list[Record]]

TASK_STATUSES: tuple[str, ...] = ("OPEN", "DONE", "DISMISSED")
TASK_TYPES: tuple[str, ...] = ("FLOW", "MANUAL")
TASK_ACTIONS: tuple[str, ...] = ("CALL",)
TASK_SAMPLE_LIMIT = 2000
MAX_MANUAL_TASKS_PER_USER = 3
FLOW_TASK_ID_NAMESPACE = "1236"
MANUAL_TASK_ID_NAMESPACE = "1237"

_FLOW_TASK_SHARE = 0.2
_ADDITIONAL_CONTACTS_SHARE = 0.25
# Task positions: prospect index * 4 + instance slot (flow tasks), user index * 4 + k.
_SLOTS = 4
_MANUAL_TASKS_FROM = datetime(2026, 1, 1, tzinfo=UTC)
_PRIORITIES: tuple[tuple[int, str, int], ...] = (
    (1, "high", 100),
    (2, "medium", 50),
    (3, "low", 10),
)
_MANUAL_TITLES = (
    "Call back about pricing questions",
    "Check in after the onsite visit",
    "Confirm the security review date",
    "Ask for an introduction to the budget owner",
    "Follow up on the contract redlines",
)


@dataclass(frozen=True)
class TaskFilter:
    """The ``filter`` of a ``POST /v2/tasks`` request (the user aside)."""

    statuses: frozenset[str] = frozenset(TASK_STATUSES)
    types: frozenset[str] = frozenset(TASK_TYPES)
    actions: frozenset[str] = frozenset(TASK_ACTIONS)
    workspace_id: str | None = None


@dataclass(frozen=True)
class _Task:
    owner_index: int
    workspace_id: str
    record: Record

    def passes(self, task_filter: TaskFilter) -> bool:
        return (
            self.record["status"] in task_filter.statuses
            and self.record["type"] in task_filter.types
            and not task_filter.actions.isdisjoint(self.record["actions"])
            and task_filter.workspace_id in (None, self.workspace_id)
        )


class TaskGenerator:
    """Derives the tasks of a dataset's users from its flow instances."""

    def __init__(
        self,
        seed: int,
        prospect_count: int,
        directory: FlowVisibility,
        instances_at: InstancesAt,
    ) -> None:
        self._seed = seed
        self._prospect_count = prospect_count
        self._directory = directory
        self._instances_at = instances_at

    def sample_indices(self) -> Iterator[int]:
        """The prospects whose flow instances may have tasks, spread over the whole range."""
        total = self._prospect_count
        size = min(total, TASK_SAMPLE_LIMIT)
        return (position * total // size for position in range(size))

    def tasks_of(self, user: User, task_filter: TaskFilter) -> list[Record]:
        """``user``'s tasks passing ``task_filter``: flow tasks first, then manual ones."""
        tasks = [task for task in self._flow_tasks() if task.owner_index == user.index]
        tasks += self._manual_tasks(user)
        return [task.record for task in tasks if task.passes(task_filter)]

    def task_prospect_ids(self) -> list[str]:
        """Every CRM ID that any user's tasks name, once each, in first-mention order."""
        tasks = [*self._flow_tasks()]
        for user in self._directory.users:
            tasks += self._manual_tasks(user)
        seen: dict[str, None] = {}
        for task in tasks:
            contacts = [task.record["contact"], *task.record.get("additionalContacts", [])]
            seen.update((contact["crmId"], None) for contact in contacts)
        return list(seen)

    def outsider_task(self) -> Record:
        """A manual task of someone outside the company (for foreign-record faults)."""
        return self._manual_task(make_user(len(self._directory.users)), 0).record

    def _flow_tasks(self) -> Iterator[_Task]:
        for index in self.sample_indices():
            for slot, instance in enumerate(self._instances_at(index)):
                task = self._flow_task(index, slot, instance)
                if task is not None:
                    yield task

    def _flow_task(self, index: int, slot: int, instance: Record) -> _Task | None:
        source = digest("flow-task", self._seed, index, slot)
        if unit(source, 0) >= _FLOW_TASK_SHARE:
            return None
        owner = self._directory.user_by_email(instance["flowInstanceOwnerEmail"])
        flow = self._directory.flow(instance["flowId"])
        if owner is None or flow is None:
            raise AssertionError(f"flow instance outside the directory: {instance}")
        step = pick(flow.call_steps, source[4])
        draw = unit(source, 8)
        if instance["flowInstanceStatus"] in OPEN_STATUSES:
            status = "OPEN" if draw < 0.75 else "DONE"
        else:
            # Tasks done before the instance finished stay done; open ones get closed.
            status = "DISMISSED" if 0.45 <= draw < 0.75 else "DONE"
        assigned = datetime.fromisoformat(instance["flowInstanceCreateDate"])
        created = instant_between(assigned, assigned + (DATA_AS_OF - assigned) * 0.6, source, 12)
        additional: list[int] = []
        if source[7] / 256 < _ADDITIONAL_CONTACTS_SHARE:
            colleagues = colleague_indices(index, self._prospect_count)
            additional = colleagues[: 1 + source[6] % 2]
        record = self._record(
            task_id=numeric_id(FLOW_TASK_ID_NAMESPACE, index * _SLOTS + slot),
            owner=owner,
            status=status,
            task_type="FLOW",
            created=created,
            source=source,
            prospect_index=index,
            additional=additional,
            flow_part=_flow_part(flow.flow_id, flow.name, step),
        )
        return _Task(owner.index, flow.workspace_id, record)

    def _manual_tasks(self, user: User) -> list[_Task]:
        if not user.active or self._prospect_count == 0:
            return []
        count = 1 + digest("manual-tasks", self._seed, user.index)[0] % MAX_MANUAL_TASKS_PER_USER
        return [self._manual_task(user, k) for k in range(count)]

    def _manual_task(self, user: User, k: int) -> _Task:
        source = digest("manual-task", self._seed, user.index, k)
        draw = unit(source, 8)
        status = "OPEN" if draw < 0.5 else "DONE" if draw < 0.85 else "DISMISSED"
        record = self._record(
            task_id=numeric_id(MANUAL_TASK_ID_NAMESPACE, user.index * _SLOTS + k),
            owner=user,
            status=status,
            task_type="MANUAL",
            created=instant_between(_MANUAL_TASKS_FROM, DATA_AS_OF, source, 12),
            source=source,
            prospect_index=int.from_bytes(source[:6], "big") % max(1, self._prospect_count),
            additional=[],
            title=pick(_MANUAL_TITLES, source[4]),
        )
        return _Task(user.index, user.workspace_id, record)

    def _record(
        self,
        *,
        task_id: str,
        owner: User,
        status: str,
        task_type: str,
        created: datetime,
        source: bytes,
        prospect_index: int,
        additional: list[int],
        flow_part: Record | None = None,
        title: str | None = None,
    ) -> Record:
        """A task in the field order of the spec; optional parts only when present."""
        updated = instant_between(created, max(created, DATA_AS_OF), source, 19)
        due = created + timedelta(days=1 + source[26] % 5, hours=source[27] % 9)
        account = account_index(prospect_index)
        record: Record = {
            "id": int(task_id),
            "userId": int(owner.user_id),
            "created": render_drawn_instant(created, source),
            "updated": render_drawn_instant(updated, source),
            "status": status,
            "type": task_type,
            "actions": list(TASK_ACTIONS),
            "account": account_record(self._seed, account),
        }
        opportunity = opportunity_record(self._seed, account)
        if opportunity is not None:
            record["opportunity"] = opportunity
        record["dueDate"] = render_drawn_instant(due, source)
        if flow_part is not None:
            record["flow"] = flow_part
        record["contact"] = contact_record(self._seed, prospect_index)
        if additional:
            record["additionalContacts"] = [contact_record(self._seed, i) for i in additional]
        if title is not None:
            record["title"] = title
        priority_id, priority_name, weight = pick(_PRIORITIES, source[5])
        record["priority"] = {"id": priority_id, "name": priority_name, "weight": weight}
        return record


def _flow_part(flow_id: str, flow_name: str, step: FlowStep) -> Record:
    """A task's ``flow``: the spec sends these IDs as JSON integers, not strings."""
    return {
        "id": int(flow_id),
        "name": flow_name,
        "step": {"id": int(step.step_id), "name": step.subject, "stepNumber": step.order},
    }
