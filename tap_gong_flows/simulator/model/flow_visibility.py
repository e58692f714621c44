"""Who sees which Engage flows and folders: the company's flow directory.

Three visibilities, as Gong has them:

* Company folders and flows are visible to every user. All catalog flows but two are
  company flows, filed in a small two-level folder tree per workspace.
* The shared folder belongs to the first user and is shared with every flow instance
  owner; the two catalog flows in it are ``Shared``. Since any instance owner may have
  assigned prospects to them, every owner sees them; other colleagues do not.
* Every user has a personal folder, holding 0 to 2 personal flows that only they see.
  No prospect is assigned to a personal flow (the prospects' flows are fixed by the
  catalog), but their steps can be fetched like any other flow's.

Like the roster, the directory depends only on the number of users, not on the seed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from tap_gong_flows.simulator.model.catalog import (
    CUSTOMER_SUCCESS_WORKSPACE_ID,
    FLOWS,
    SALES_WORKSPACE_ID,
    Flow,
)
from tap_gong_flows.simulator.model.flow_steps import FlowStep, build_steps, step_record
from tap_gong_flows.simulator.model.hashing import digest, pick
from tap_gong_flows.simulator.model.ids import numeric_id
from tap_gong_flows.simulator.model.people import (
    INSTANCE_OWNER_COUNT,
    User,
    build_users,
    make_user,
    user_index_of_id,
)
from tap_gong_flows.simulator.model.record import Record
from tap_gong_flows.simulator.model.timestamps import (
    DATA_AS_OF,
    instant_between,
    render_drawn_instant,
)

Visibility = Literal["Company", "Personal", "Shared"]

FOLDER_ID_NAMESPACE = "7311"
PERSONAL_FLOW_ID_NAMESPACE = "7319"
MAX_PERSONAL_FLOWS_PER_USER = 2
# Personal flows are numbered user_index * _PERSONAL_SLOTS + k; their step IDs use flow
# ordinals past the catalog's.
_PERSONAL_SLOTS = 4
_PERSONAL_ORDINAL_BASE = 1000
_SHARED_FOLDER_POSITION = 100
_PERSONAL_FOLDER_POSITION_BASE = 1000

_SALES = SALES_WORKSPACE_ID
_SUCCESS = CUSTOMER_SUCCESS_WORKSPACE_ID
# (key, name, workspace, parent key); parents come before their children.
_COMPANY_FOLDERS: tuple[tuple[str, str, str, str | None], ...] = (
    ("sales", "Sales Development", _SALES, None),
    ("outbound", "Outbound Prospecting", _SALES, "sales"),
    ("inbound", "Inbound & Events", _SALES, "sales"),
    ("winback", "Win-back", _SALES, "sales"),
    ("success", "Customer Success", _SUCCESS, None),
    ("onboarding", "Onboarding & Growth", _SUCCESS, "success"),
    ("renewals", "Renewals", _SUCCESS, "success"),
    ("archive", "Archive", _SALES, None),  # deliberately empty
)
_SHARED = "shared"
_SHARED_FOLDER_NAME = "SDR Team Plays"
# Folder key and description of each catalog flow, in catalog order.
_CATALOG_PLACEMENT: tuple[tuple[str, str], ...] = (
    ("outbound", "Cold outreach to enterprise accounts in the ideal customer profile."),
    ("outbound", "Cold outreach to mid-market accounts, lighter on calls."),
    ("inbound", "Fast follow-up for people who asked for a demo on the website."),
    ("inbound", "Nurture for webinar attendees who did not book a meeting."),
    ("winback", "Reopens conversations with opportunities lost six months ago or more."),
    ("inbound", "Follow-up after trade shows and field marketing events."),
    ("onboarding", "Helps trial users reach their first success milestone."),
    ("onboarding", "Introduces add-ons to healthy customers with room to grow."),
    ("renewals", "Starts the renewal conversation three months before the term ends."),
    (_SHARED, "Reaches out when a champion moves to a new company."),
    (_SHARED, "A short, call-heavy push for the end of the quarter."),
    ("success", "Warm introductions to prospects referred by partners."),
)
_PERSONAL_FLOW_NAMES = (
    "My Warm Intros",
    "Post-demo Nudges",
    "Conference Follow-ups",
    "Referral Asks",
    "Quick Check-ins",
    "LinkedIn First Touch",
    "Stalled Deal Revival",
)
_COMPANY_FOLDERS_FROM = datetime(2023, 1, 5, tzinfo=UTC)
_COMPANY_FOLDERS_UNTIL = datetime(2023, 3, 31, tzinfo=UTC)
_SHARED_FOLDER_FROM = datetime(2023, 6, 1, tzinfo=UTC)
_SHARED_FOLDER_UNTIL = datetime(2023, 9, 30, tzinfo=UTC)
# Personal flows are recent; catalog flows predate every flow instance (2025 onwards).
_PERSONAL_FLOWS_FROM = datetime(2025, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Folder:
    """A flow folder; ``audience`` holds the indices of the users who see it, or is
    ``None`` when everyone does."""

    folder_id: str
    name: str
    workspace_id: str
    visibility: Visibility
    parent: Folder | None
    audience: frozenset[int] | None
    created: datetime
    creation_date: str

    def visible_to(self, user_index: int) -> bool:
        return self.audience is None or user_index in self.audience


@dataclass(frozen=True)
class EngageFlow:
    """A flow with everything the flows and steps endpoints say about it."""

    flow_id: str
    name: str
    workspace_id: str
    exclusive: bool
    folder: Folder
    visibility: Visibility
    audience: frozenset[int] | None
    creation_date: str
    description: str
    steps: tuple[FlowStep, ...]

    def visible_to(self, user_index: int) -> bool:
        return self.audience is None or user_index in self.audience

    @property
    def call_steps(self) -> tuple[FlowStep, ...]:
        return tuple(step for step in self.steps if step.action == "CALL")


class FlowVisibility:
    """The users, folders and flows of a company with ``user_count`` users."""

    def __init__(self, user_count: int) -> None:
        self.users: tuple[User, ...] = build_users(user_count)
        self.instance_owners: tuple[User, ...] = self.users[:INSTANCE_OWNER_COUNT]
        company = _company_folders()
        shared = _shared_folder(frozenset(user.index for user in self.instance_owners))
        by_key = {**company, _SHARED: shared}
        catalog_flows = [
            _catalog_flow(ordinal, flow, by_key[key], description)
            for ordinal, (flow, (key, description)) in enumerate(
                zip(FLOWS, _CATALOG_PLACEMENT, strict=True)
            )
        ]
        personal_folders = [personal_folder(user) for user in self.users]
        personal_flow_lists = [
            personal_flows(user, folder)
            for user, folder in zip(self.users, personal_folders, strict=True)
        ]
        self.folders: tuple[Folder, ...] = (*company.values(), shared, *personal_folders)
        self.flows: tuple[EngageFlow, ...] = (
            *catalog_flows,
            *(flow for flows in personal_flow_lists for flow in flows),
        )
        self._flows_by_id = {flow.flow_id: flow for flow in self.flows}
        self._users_by_email = {
            address: user for user in self.users for address in (user.email, *user.email_aliases)
        }

    def user_by_email(self, email: str) -> User | None:
        """The user with this address or alias (any case), or ``None``."""
        return self._users_by_email.get(email.strip().lower())

    def user_by_id(self, user_id: str) -> User | None:
        index = user_index_of_id(user_id)
        return None if index is None or index >= len(self.users) else self.users[index]

    def flow(self, flow_id: str) -> EngageFlow | None:
        return self._flows_by_id.get(flow_id)

    def flows_visible_to(self, user: User) -> list[EngageFlow]:
        return [flow for flow in self.flows if flow.visible_to(user.index)]

    def folders_visible_to(self, user: User) -> list[Folder]:
        return [folder for folder in self.folders if folder.visible_to(user.index)]


def _company_folders() -> dict[str, Folder]:
    folders: dict[str, Folder] = {}
    for position, (key, name, workspace_id, parent_key) in enumerate(_COMPANY_FOLDERS):
        source = digest("company-folder", key)
        parent = None if parent_key is None else folders[parent_key]
        if parent is None:
            created = instant_between(_COMPANY_FOLDERS_FROM, _COMPANY_FOLDERS_UNTIL, source, 0)
        else:
            created = parent.created + timedelta(days=5 + source[0] % 56, seconds=source[1])
        folders[key] = _folder(position, name, workspace_id, "Company", parent, None, created)
    return folders


def _shared_folder(audience: frozenset[int]) -> Folder:
    """The first user's folder, shared with ``audience`` (the instance owners, user 0 first)."""
    source = digest("shared-folder")
    created = instant_between(_SHARED_FOLDER_FROM, _SHARED_FOLDER_UNTIL, source, 0)
    return _folder(
        _SHARED_FOLDER_POSITION,
        _SHARED_FOLDER_NAME,
        _SALES,
        "Shared",
        None,
        audience,
        created,
    )


def personal_folder(user: User) -> Folder:
    """The folder holding ``user``'s personal flows (defined for any user index)."""
    source = digest("personal-folder", user.index)
    created = user.created + timedelta(days=30 + source[0] % 370, seconds=source[1] * 60)
    return _folder(
        _PERSONAL_FOLDER_POSITION_BASE + user.index,
        f"{user.first_name}'s flows",
        user.workspace_id,
        "Personal",
        None,
        frozenset({user.index}),
        created,
    )


def _folder(
    position: int,
    name: str,
    workspace_id: str,
    visibility: Visibility,
    parent: Folder | None,
    audience: frozenset[int] | None,
    created: datetime,
) -> Folder:
    folder_id = numeric_id(FOLDER_ID_NAMESPACE, position)
    rendered = render_drawn_instant(created, digest("folder-date", folder_id))
    return Folder(folder_id, name, workspace_id, visibility, parent, audience, created, rendered)


def _catalog_flow(ordinal: int, flow: Flow, folder: Folder, description: str) -> EngageFlow:
    source = digest("catalog-flow", flow.flow_id)
    created = folder.created + timedelta(days=30 + source[0] % 271, seconds=source[1] * 97)
    return EngageFlow(
        flow.flow_id,
        flow.name,
        flow.workspace_id,
        flow.exclusive,
        folder,
        folder.visibility,
        folder.audience,
        render_drawn_instant(created, source),
        description,
        build_steps(flow.flow_id, ordinal),
    )


def personal_flow_count(user: User) -> int:
    """How many personal flows ``user`` has: 0, 1 or 2, cycling along the roster."""
    return (user.index + 1) % (MAX_PERSONAL_FLOWS_PER_USER + 1)


def personal_flows(user: User, folder: Folder, count: int | None = None) -> list[EngageFlow]:
    """``user``'s personal flows (``count`` overrides how many, for made-up outsiders)."""
    flows = []
    for slot in range(personal_flow_count(user) if count is None else count):
        position = user.index * _PERSONAL_SLOTS + slot
        flow_id = numeric_id(PERSONAL_FLOW_ID_NAMESPACE, position)
        source = digest("personal-flow", flow_id)
        created = instant_between(max(_PERSONAL_FLOWS_FROM, folder.created), DATA_AS_OF, source, 0)
        name = pick(_PERSONAL_FLOW_NAMES, user.index * MAX_PERSONAL_FLOWS_PER_USER + slot)
        flows.append(
            EngageFlow(
                flow_id,
                name,
                folder.workspace_id,
                (user.index + slot) % 4 == 3,
                folder,
                "Personal",
                folder.audience,
                render_drawn_instant(created, source),
                f"{user.first_name}'s own sequence, not shared with the team.",
                build_steps(flow_id, _PERSONAL_ORDINAL_BASE + position),
            )
        )
    return flows


def outsider_flow(user_count: int) -> EngageFlow:
    """A personal flow of someone outside a ``user_count``-user company (for faults)."""
    outsider = make_user(user_count)
    return personal_flows(outsider, personal_folder(outsider), count=1)[0]


def flow_record(flow: EngageFlow) -> Record:
    """The flow as ``GET /v2/flows`` describes it."""
    return {
        "id": flow.flow_id,
        "name": flow.name,
        "folderId": flow.folder.folder_id,
        "folderName": flow.folder.name,
        "visibility": flow.visibility,
        "creationDate": flow.creation_date,
        "exclusive": flow.exclusive,
    }


def flow_with_steps_record(flow: EngageFlow) -> Record:
    """The flow as ``POST /v2/flows/steps`` describes it."""
    return {
        "id": flow.flow_id,
        "name": flow.name,
        "folderId": flow.folder.folder_id,
        "visibility": flow.visibility,
        "creationDate": flow.creation_date,
        "exclusive": flow.exclusive,
        "description": flow.description,
        "steps": [step_record(step) for step in flow.steps],
    }


def folder_record(folder: Folder) -> Record:
    """The folder as ``GET /v2/flows/folders`` describes it.

    The spec gives that endpoint the flows endpoint's item schema, so a folder is
    described with the same field names: its own ``id``/``name``, its parent folder as
    ``folderId``/``folderName`` (left out for top-level folders), ``visibility`` and
    ``creationDate``. ``exclusive`` means nothing for a folder and is left out.
    """
    record: Record = {"id": folder.folder_id, "name": folder.name}
    if folder.parent is not None:
        record["folderId"] = folder.parent.folder_id
        record["folderName"] = folder.parent.name
    record["visibility"] = folder.visibility
    record["creationDate"] = folder.creation_date
    return record


def select_folders(
    folders: Iterable[Folder], workspace_id: str | None, parent_id: str | None
) -> list[Folder]:
    """The folders passing the folders endpoint's optional filters.

    ``parent_id`` keeps that folder itself and its direct children.
    """
    return [
        folder
        for folder in folders
        if (workspace_id is None or folder.workspace_id == workspace_id)
        and (
            parent_id is None
            or folder.folder_id == parent_id
            or (folder.parent is not None and folder.parent.folder_id == parent_id)
        )
    ]


def select_flows(
    flows: Iterable[EngageFlow], workspace_id: str | None, folder_id: str | None
) -> list[EngageFlow]:
    """The flows passing the flows endpoint's optional filters (``folder_id``: directly in)."""
    return [
        flow
        for flow in flows
        if (workspace_id is None or flow.workspace_id == workspace_id)
        and (folder_id is None or flow.folder.folder_id == folder_id)
    ]
