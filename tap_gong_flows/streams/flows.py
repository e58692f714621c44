"""Flows, their folders and their steps: ``GET /v2/flows``, ``GET /v2/flows/folders``,
``POST /v2/flows/steps``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from singer_sdk import typing as th

from tap_gong_flows.client import GongStream
from tap_gong_flows.fan_out import OrderedFanOut
from tap_gong_flows.iterables import batched
from tap_gong_flows.schemas import FLOW, FLOW_STEP

if TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

# Gong's documented maximum of flow IDs per POST /v2/flows/steps.
FLOW_IDS_PER_STEPS_REQUEST = 20


class FlowsStream(GongStream):
    """Every flow any active user can see (asked once per user, each flow once)."""

    name = "flows"
    primary_keys = ("id",)
    replication_key = None
    schema = FLOW.to_dict()

    def warm(self) -> None:
        self.directory.prefetch("flows")

    def get_records(self, context: Context | None) -> Iterator[dict[str, Any]]:
        self.warm()
        with self.syncing():
            for flow in self.directory.flows():
                yield dict(flow)


class FlowFoldersStream(GongStream):
    """Every flow folder any active user can see (asked once per user, each folder once)."""

    name = "flow_folders"
    primary_keys = ("id",)
    replication_key = None
    schema = th.PropertiesList(
        th.Property("id", th.StringType, required=True),
        th.Property("name", th.StringType),
        th.Property("folderId", th.StringType, description="The parent folder, if any."),
        th.Property("folderName", th.StringType),
        th.Property("visibility", th.StringType),
        th.Property("creationDate", th.DateTimeType),
    ).to_dict()

    def warm(self) -> None:
        self.directory.prefetch("folders")

    def get_records(self, context: Context | None) -> Iterator[dict[str, Any]]:
        self.warm()
        with self.syncing():
            for folder in self.directory.folders():
                yield dict(folder)


class FlowStepsStream(GongStream):
    """One record per step, with the ``flowId`` it belongs to (20 flows a request)."""

    name = "flow_steps"
    primary_keys = ("flowId", "id")
    replication_key = None
    schema = th.PropertiesList(
        th.Property("flowId", th.StringType, required=True),
        *FLOW_STEP.wrapped.values(),
    ).to_dict()

    _steps: OrderedFanOut[list[str], list[dict[str, Any]]] | None = None

    def warm(self) -> None:
        if self._steps is None:
            flow_ids = [str(flow["id"]) for flow in self.directory.flows()]
            chunks = batched(flow_ids, FLOW_IDS_PER_STEPS_REQUEST)
            self._steps = self.engine.fan_out(chunks, self.api.steps_of).start()

    def get_records(self, context: Context | None) -> Iterator[dict[str, Any]]:
        self.warm()
        assert self._steps is not None
        steps, self._steps = self._steps, None
        with self.syncing():
            for chunk_steps in steps.results():
                yield from chunk_steps
