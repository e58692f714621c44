"""Which endpoint answers which path, and with which HTTP method."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from .api import PROSPECTS_PATH, ProspectsEndpoint
from .data import GongDataset
from .engage_api import (
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
from .paging import CursorBook
from .replies import Answer
from .request_parsing import ApiRequest

__all__ = [
    "FLOWS_PATH",
    "FOLDERS_PATH",
    "PROSPECTS_PATH",
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
    method: str
    endpoint: Endpoint


def build_routes(
    dataset: GongDataset,
    *,
    page_size: int,
    cursors: CursorBook,
    max_ids_per_request: int | None,
) -> dict[str, Route]:
    """Every path the simulator serves, mapped to its method and endpoint."""
    context = EngageContext(dataset, page_size, cursors)
    return {
        PROSPECTS_PATH: Route("POST", ProspectsEndpoint(dataset, max_ids_per_request)),
        USERS_PATH: Route("GET", UsersEndpoint(context)),
        FLOWS_PATH: Route("GET", FlowsEndpoint(context)),
        FOLDERS_PATH: Route("GET", FoldersEndpoint(context)),
        STEPS_PATH: Route("POST", StepsEndpoint(context)),
        TASKS_PATH: Route("POST", TasksEndpoint(context)),
    }
