"""The users, flows, folders, flow steps and tasks endpoints: validation and answers.

Where the spec leaves a status code open, the simulator's choices are:

* an email (``flowOwnerEmail``, ``flowFolderOwnerEmail``) or ``userId`` that names no
  user: 400, the spec's "malformed request", since it lists no 404 for these paths;
* unknown flow IDs in a steps request: 404 naming them (the spec's "flows not found");
* more than :data:`MAX_FLOW_IDS_PER_STEPS_REQUEST` flow IDs, or none: 400;
* a bad, foreign, edited or expired cursor, or one reused with other parameters: 400;
* ``mostRecentlyAssigned=true`` on the flows endpoint: 400, as it is not simulated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tap_gong_flows.simulator.model.contacts import CRM_TYPE
from tap_gong_flows.simulator.model.dataset import GongDataset
from tap_gong_flows.simulator.model.engage_tasks import TASK_ACTIONS, TASK_STATUSES, TASK_TYPES
from tap_gong_flows.simulator.model.flow_visibility import (
    flow_record,
    flow_with_steps_record,
    folder_record,
    outsider_flow,
)
from tap_gong_flows.simulator.model.flow_visibility import personal_folder as personal_folder_of
from tap_gong_flows.simulator.model.people import make_user, user_record
from tap_gong_flows.simulator.model.record import Record
from tap_gong_flows.simulator.serving.paging import CursorBook, page, request_scope
from tap_gong_flows.simulator.serving.replies import Answer, new_request_id
from tap_gong_flows.simulator.serving.request_parsing import (
    ApiRequest,
    BadRequest,
    NotFound,
    json_type,
    string_list,
)

USERS_PATH = "/v2/users"
FLOWS_PATH = "/v2/flows"
FOLDERS_PATH = "/v2/flows/folders"
STEPS_PATH = "/v2/flows/steps"
TASKS_PATH = "/v2/tasks"
MAX_FLOW_IDS_PER_STEPS_REQUEST = 20

# What the extra_fields fault adds to every item, and the unknown enum values it uses.
UNKNOWN_ITEM_FIELD = "addedInLaterApiVersion"
UNKNOWN_VISIBILITY = "Team"
UNKNOWN_STEP_ACTION = "SEND_SMS"
UNKNOWN_TASK_STATUS = "SNOOZED"


@dataclass(frozen=True)
class EngageContext:
    """What the endpoints share: the data, the page size and the cursor signer."""

    dataset: GongDataset
    page_size: int
    cursors: CursorBook


def _add_unknown_field(item: Record) -> None:
    item[UNKNOWN_ITEM_FIELD] = True


def _tamper_with_visibility(item: Record) -> None:
    _add_unknown_field(item)
    item["visibility"] = UNKNOWN_VISIBILITY


class _PagedEndpoint:
    """A GET endpoint answering ``{requestId, records, <items_key>}`` a page at a time."""

    items_key = ""

    def __init__(self, context: EngageContext, path: str) -> None:
        self._context = context
        self._path = path

    def answer(self, request: ApiRequest) -> Answer:
        filters, items = self._select(request)
        chunk, records = page(
            items,
            cursor=request.param("cursor"),
            scope=request_scope(self._path, filters),
            page_size=self._context.page_size,
            book=self._context.cursors,
            now=request.arrived,
        )
        return self._answer(chunk, records)

    def fallback(self, request: ApiRequest) -> Answer:
        """An empty page, for faults injected into requests that are not valid."""
        records = {"totalRecords": 0, "currentPageSize": 0, "currentPageNumber": 0}
        return self._answer([], records)

    def _answer(self, items: list[Record], records: dict[str, Any]) -> Answer:
        payload = {"requestId": new_request_id(), "records": records, self.items_key: items}
        return Answer(payload, self.items_key, self._foreign_items, self._tamper)

    def _select(self, request: ApiRequest) -> tuple[dict[str, str | None], list[Record]]:
        """The request's parameters (cursor aside) and every item they select."""
        raise NotImplementedError

    def _foreign_items(self) -> list[Record]:
        raise NotImplementedError

    def _tamper(self, item: Record) -> None:
        _add_unknown_field(item)

    def _owner_email(self, request: ApiRequest, name: str) -> str:
        email = request.required_param(name)
        if self._context.dataset.directory.user_by_email(email) is None:
            raise BadRequest(f"No Gong user has the email address {email!r}")
        return email


class UsersEndpoint(_PagedEndpoint):
    """``GET /v2/users``: every user; the simulated company has no avatars."""

    items_key = "users"

    def __init__(self, context: EngageContext) -> None:
        super().__init__(context, USERS_PATH)

    def _select(self, request: ApiRequest) -> tuple[dict[str, str | None], list[Record]]:
        avatars = request.boolean_param("includeAvatars")
        filters = {"includeAvatars": None if avatars is None else str(avatars).lower()}
        return filters, self._context.dataset.users()

    def _foreign_items(self) -> list[Record]:
        return [user_record(make_user(self._context.dataset.user_count))]


class FlowsEndpoint(_PagedEndpoint):
    """``GET /v2/flows?flowOwnerEmail=…``: the flows that user sees."""

    items_key = "flows"

    def __init__(self, context: EngageContext) -> None:
        super().__init__(context, FLOWS_PATH)

    def _select(self, request: ApiRequest) -> tuple[dict[str, str | None], list[Record]]:
        email = self._owner_email(request, "flowOwnerEmail")
        workspace_id = request.param("workspaceId")
        folder_id = request.param("folderId")
        if request.boolean_param("mostRecentlyAssigned"):
            raise BadRequest("mostRecentlyAssigned is not supported by the Gong API simulator")
        flows = self._context.dataset.flows_visible_to(
            email, workspace_id=workspace_id, folder_id=folder_id
        )
        filters = {"flowOwnerEmail": email, "workspaceId": workspace_id, "folderId": folder_id}
        return filters, flows

    def _foreign_items(self) -> list[Record]:
        return [flow_record(outsider_flow(self._context.dataset.user_count))]

    def _tamper(self, item: Record) -> None:
        _tamper_with_visibility(item)


class FoldersEndpoint(_PagedEndpoint):
    """``GET /v2/flows/folders?flowFolderOwnerEmail=…``: the folders that user sees.

    Folders are described with the flows endpoint's field names, as the spec has it
    (see :func:`~.directory.folder_record`).
    """

    items_key = "flows"

    def __init__(self, context: EngageContext) -> None:
        super().__init__(context, FOLDERS_PATH)

    def _select(self, request: ApiRequest) -> tuple[dict[str, str | None], list[Record]]:
        if request.param("flowFolderOwnerEmail") is None and request.param("flowOwnerEmail"):
            raise BadRequest(
                "Missing required query parameter flowFolderOwnerEmail "
                "(this endpoint names the user flowFolderOwnerEmail, not flowOwnerEmail)"
            )
        email = self._owner_email(request, "flowFolderOwnerEmail")
        workspace_id = request.param("workspaceId")
        parent_id = request.param("parentId")
        if parent_id is not None and not (parent_id.isascii() and parent_id.isdigit()):
            raise BadRequest(f"Query parameter parentId must be an integer, got {parent_id!r}")
        folders = self._context.dataset.folders_visible_to(
            email, workspace_id=workspace_id, parent_id=parent_id
        )
        filters = {
            "flowFolderOwnerEmail": email,
            "workspaceId": workspace_id,
            "parentId": parent_id,
        }
        return filters, folders

    def _foreign_items(self) -> list[Record]:
        outsider = make_user(self._context.dataset.user_count)
        return [folder_record(personal_folder_of(outsider))]

    def _tamper(self, item: Record) -> None:
        _tamper_with_visibility(item)


class StepsEndpoint:
    """``POST /v2/flows/steps``: flows with their steps, each requested flow once."""

    items_key = "flows"

    def __init__(self, context: EngageContext) -> None:
        self._context = context

    def answer(self, request: ApiRequest) -> Answer:
        flow_ids = string_list(request.json_object(), "flowIds")
        if not flow_ids:
            raise BadRequest("flowIds must not be empty")
        if len(flow_ids) > MAX_FLOW_IDS_PER_STEPS_REQUEST:
            raise BadRequest(
                f"flowIds may hold at most {MAX_FLOW_IDS_PER_STEPS_REQUEST} items, "
                f"got {len(flow_ids)}"
            )
        dataset = self._context.dataset
        unknown = [flow_id for flow_id in flow_ids if dataset.flow_with_steps(flow_id) is None]
        if unknown:
            raise NotFound(f"Flows not found: {', '.join(unknown)}")
        return self._answer(dataset.expected_flow_steps(flow_ids))

    def fallback(self, request: ApiRequest) -> Answer:
        return self._answer([])

    def _answer(self, flows: list[Record]) -> Answer:
        payload = {"requestId": new_request_id(), "flows": flows}
        return Answer(payload, self.items_key, self._foreign_items, _tamper_with_steps)

    def _foreign_items(self) -> list[Record]:
        return [flow_with_steps_record(outsider_flow(self._context.dataset.user_count))]


def _tamper_with_steps(item: Record) -> None:
    _tamper_with_visibility(item)
    for step in item["steps"]:
        step["action"] = UNKNOWN_STEP_ACTION


@dataclass(frozen=True)
class TasksQuery:
    user_id: str
    workspace_id: str | None
    actions: frozenset[str]
    statuses: frozenset[str]
    types: frozenset[str]


def parse_tasks_query(request: ApiRequest) -> TasksQuery:
    """Validate a ``/v2/tasks`` body: ``{"filter": {userId, taskAction, status, types,
    workspaceId?}}``; the three arrays are required and may only hold known values."""
    task_filter = request.json_object().get("filter")
    if task_filter is None:
        raise BadRequest("filter is required")
    if not isinstance(task_filter, dict):
        raise BadRequest(f"filter must be an object, got {json_type(task_filter)}")
    user_id = task_filter.get("userId")
    if not isinstance(user_id, str) or not user_id:
        raise BadRequest("filter.userId is required and must be a non-empty string")
    workspace_id = task_filter.get("workspaceId")
    if workspace_id is not None and not isinstance(workspace_id, str):
        raise BadRequest(f"filter.workspaceId must be a string, got {json_type(workspace_id)}")
    return TasksQuery(
        user_id,
        workspace_id,
        _enum_set(task_filter, "taskAction", TASK_ACTIONS),
        _enum_set(task_filter, "status", TASK_STATUSES),
        _enum_set(task_filter, "types", TASK_TYPES),
    )


def _enum_set(task_filter: dict[str, Any], field: str, allowed: tuple[str, ...]) -> frozenset[str]:
    values = string_list(task_filter, field, label=f"filter.{field}")
    for value in values:
        if value not in allowed:
            raise BadRequest(
                f"filter.{field} holds {value!r}; valid values are {', '.join(allowed)}"
            )
    return frozenset(values)


class TasksEndpoint:
    """``POST /v2/tasks``: one user's tasks; the spec pages nothing here, nor does this."""

    items_key = "tasks"

    def __init__(self, context: EngageContext) -> None:
        self._context = context

    def answer(self, request: ApiRequest) -> Answer:
        query = parse_tasks_query(request)
        dataset = self._context.dataset
        if dataset.directory.user_by_id(query.user_id) is None:
            raise BadRequest(f"No Gong user has the id {query.user_id!r}")
        tasks = dataset.tasks_of(
            query.user_id,
            statuses=query.statuses,
            types=query.types,
            workspace_id=query.workspace_id,
        )
        # Every simulated task is a call task, so the action filter only ever removes all.
        return self._answer(tasks if "CALL" in query.actions else [])

    def fallback(self, request: ApiRequest) -> Answer:
        return self._answer([])

    def _answer(self, tasks: list[Record]) -> Answer:
        payload = {"requestId": new_request_id(), "tasks": tasks, "crmType": CRM_TYPE}
        return Answer(payload, self.items_key, self._foreign_items, _tamper_with_task)

    def _foreign_items(self) -> list[Record]:
        return [self._context.dataset.tasks.outsider_task()]


def _tamper_with_task(item: Record) -> None:
    _add_unknown_field(item)
    item["status"] = UNKNOWN_TASK_STATUS
