"""Which Gong endpoints each stream needs, and which OAuth scope each endpoint requires.

The scopes are those Gong's API reference gives per endpoint ("When accessed through a
Bearer token authorization method, this endpoint requires the scope ..."). The preflight
probes the endpoints of the selected streams, and a 403 during a sync names the streams
its endpoint serves and the two ways out: grant the scope, or deselect those streams.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tap_gong_flows.paths import (
    ASSIGNED_FLOWS_PATH,
    FLOWS_PATH,
    FOLDERS_PATH,
    STEPS_PATH,
    TASKS_PATH,
    USERS_PATH,
)

FLOWS_READ = "api:flows:read"
USERS_READ = "api:users:read"
TASKS_READ = "api:tasks:read"
TAP_NAME = "tap-gong-flows"
FROM_TASKS_SETTING = "crm_prospect_ids_from_tasks"


@dataclass(frozen=True)
class Endpoint:
    """One Gong endpoint the tap calls, and the scope it requires."""

    method: str
    path: str
    scope: str

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


USERS = Endpoint("GET", USERS_PATH, USERS_READ)
FLOWS = Endpoint("GET", FLOWS_PATH, FLOWS_READ)
FOLDERS = Endpoint("GET", FOLDERS_PATH, FLOWS_READ)
STEPS = Endpoint("POST", STEPS_PATH, FLOWS_READ)
TASKS = Endpoint("POST", TASKS_PATH, TASKS_READ)
ASSIGNED_FLOWS = Endpoint("POST", ASSIGNED_FLOWS_PATH, FLOWS_READ)
ENDPOINTS: tuple[Endpoint, ...] = (USERS, FLOWS, FOLDERS, STEPS, TASKS, ASSIGNED_FLOWS)

# The streams in the order a person reads them (the directory first, then the prospects).
STREAM_ORDER: tuple[str, ...] = (
    "users",
    "flows",
    "flow_folders",
    "flow_steps",
    "tasks",
    "prospects",
    "assigned_flows",
)

# What each stream asks Gong, without crm_prospect_ids_from_tasks (flows, folders and
# tasks are asked per user, so they need the users list; steps need the flows).
_STREAM_ENDPOINTS: dict[str, tuple[Endpoint, ...]] = {
    "users": (USERS,),
    "flows": (USERS, FLOWS),
    "flow_folders": (USERS, FOLDERS),
    "flow_steps": (USERS, FLOWS, STEPS),
    "tasks": (USERS, TASKS),
    "prospects": (),
    "assigned_flows": (ASSIGNED_FLOWS,),
}
# crm_prospect_ids_from_tasks reads the users' tasks to find prospect IDs.
_FROM_TASKS_ENDPOINTS = (USERS, TASKS)


def stream_endpoints(stream: str, *, from_tasks: bool) -> tuple[Endpoint, ...]:
    """The endpoints ``stream`` needs to run, in the order the tap calls them."""
    own = _STREAM_ENDPOINTS[stream]
    if from_tasks and stream in ("prospects", "assigned_flows"):
        return _FROM_TASKS_ENDPOINTS + own
    return own


def in_reading_order(streams: Iterable[str]) -> list[str]:
    chosen = set(streams)
    return [name for name in STREAM_ORDER if name in chosen]


def streams_served_by(path: str, *, from_tasks: bool = False) -> list[str]:
    """The streams that cannot run without the endpoint at ``path``."""
    return [
        stream
        for stream in STREAM_ORDER
        if any(
            endpoint.path == path for endpoint in stream_endpoints(stream, from_tasks=from_tasks)
        )
    ]


def endpoint_at(path: str) -> Endpoint | None:
    return next((endpoint for endpoint in ENDPOINTS if endpoint.path == path), None)


def exclude_commands(streams: Sequence[str]) -> list[str]:
    """The ``meltano select`` lines that deselect ``streams``."""
    return [f"meltano select {TAP_NAME} --exclude {stream} '*'" for stream in streams]


def refusal_advice(path: str) -> str:
    """What a 403 from ``path`` means for the sync, and the two ways to fix it."""
    endpoint = endpoint_at(path)
    if endpoint is None:
        return " Check the credentials and their scopes."
    streams = streams_served_by(path)
    deselect = " ; ".join(exclude_commands(streams))
    advice = (
        f" {endpoint} needs the scope {endpoint.scope}; it serves the streams "
        f"{', '.join(streams)}. Either grant {endpoint.scope} to the credentials (the "
        f"access key's API permissions, or the OAuth app's scopes, then authorize again), "
        f"or deselect those streams: {deselect}"
    )
    if path in (USERS_PATH, TASKS_PATH):
        advice += f" (and set {FROM_TASKS_SETTING}: false if it is on)"
    return advice + ". `tap-gong-flows --config ... --test` checks every scope at once."
