"""Which endpoint answers which path, with which HTTP method, needing which OAuth scope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from tap_gong_flows.simulator.endpoints.engage import (
    FLOWS_PATH,
    FOLDERS_PATH,
    STEPS_PATH,
    TASKS_PATH,
    USERS_PATH,
    EngageContext,
    FlowsEndpoint,
    FoldersEndpoint,
    StepsEndpoint,
    TasksEndpoint,
    UsersEndpoint,
)
from tap_gong_flows.simulator.endpoints.prospects import PROSPECTS_PATH, ProspectsEndpoint
from tap_gong_flows.simulator.model.dataset import GongDataset
from tap_gong_flows.simulator.serving.paging import CursorBook
from tap_gong_flows.simulator.serving.replies import Answer
from tap_gong_flows.simulator.serving.request_parsing import ApiRequest

_FLOWS_READ = "api:flows:read"

# The scope each path needs, as Gong's API reference documents it per endpoint.
REQUIRED_SCOPES: dict[str, str] = {
    PROSPECTS_PATH: _FLOWS_READ,
    USERS_PATH: "api:users:read",
    FLOWS_PATH: _FLOWS_READ,
    FOLDERS_PATH: _FLOWS_READ,
    STEPS_PATH: _FLOWS_READ,
    TASKS_PATH: "api:tasks:read",
}

__all__ = [
    "FLOWS_PATH",
    "FOLDERS_PATH",
    "PROSPECTS_PATH",
    "REQUIRED_SCOPES",
    "STEPS_PATH",
    "TASKS_PATH",
    "USERS_PATH",
    "Endpoint",
    "Route",
    "build_routes",
]


class Endpoint(Protocol):
    def answer(self, request: ApiRequest) -> Answer:
        """The answer to a valid request; raises ApiError for any other."""
        ...

    def fallback(self, request: ApiRequest) -> Answer:
        """An empty answer, the base for faults injected into invalid requests."""
        ...


@dataclass(frozen=True)
class Route:
    """How one path is served: its method, its endpoint and the scope it needs."""

    method: str
    endpoint: Endpoint
    scope: str


def build_routes(
    dataset: GongDataset,
    *,
    page_size: int,
    cursors: CursorBook,
    max_ids_per_request: int | None,
) -> dict[str, Route]:
    """Every path the simulator serves, mapped to its method, endpoint and scope."""
    context = EngageContext(dataset, page_size, cursors)
    served: dict[str, tuple[str, Endpoint]] = {
        PROSPECTS_PATH: ("POST", ProspectsEndpoint(dataset, max_ids_per_request)),
        USERS_PATH: ("GET", UsersEndpoint(context)),
        FLOWS_PATH: ("GET", FlowsEndpoint(context)),
        FOLDERS_PATH: ("GET", FoldersEndpoint(context)),
        STEPS_PATH: ("POST", StepsEndpoint(context)),
        TASKS_PATH: ("POST", TasksEndpoint(context)),
    }
    if set(served) != set(REQUIRED_SCOPES):
        raise AssertionError("every served path needs exactly one entry in REQUIRED_SCOPES")
    return {
        path: Route(method, endpoint, REQUIRED_SCOPES[path])
        for path, (method, endpoint) in served.items()
    }
