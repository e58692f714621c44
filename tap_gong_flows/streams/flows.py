"""Flows, their folders and their steps: ``GET /v2/flows``, ``GET /v2/flows/folders``,
``POST /v2/flows/steps``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import requests
from singer_sdk import typing as th

from tap_gong_flows.client import GongStream, PagedGongStream, response_payload
from tap_gong_flows.prospect_ids import batched
from tap_gong_flows.schemas import FLOW, FLOW_STEP

if TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

# Gong's documented maximum of flow IDs per POST /v2/flows/steps.
FLOW_IDS_PER_STEPS_REQUEST = 20


class _PerOwnerStream(PagedGongStream):
    """Asked once per active user; the same item comes back for many users."""

    owner_param: str
    records_key = "flows"
    primary_keys = ("id",)
    replication_key = None

    def query_params(self, context: Context | None) -> dict[str, Any]:
        if not context or "owner_email" not in context:
            raise RuntimeError(f"{self.name} is asked per user; use the Engage directory")
        return {
            self.owner_param: context["owner_email"],
            "workspaceId": self.config.get("workspace_id"),
        }


class FlowsStream(_PerOwnerStream):
    name = "flows"
    path = "/v2/flows"
    owner_param = "flowOwnerEmail"
    schema = FLOW.to_dict()

    def get_records(self, context: Context | None) -> Iterator[dict[str, Any]]:
        for flow in self.gong_tap.directory.flows():
            yield dict(flow)


class FlowFoldersStream(_PerOwnerStream):
    # Gong answers folders in the shape of its flows answer (items under "flows").
    name = "flow_folders"
    path = "/v2/flows/folders"
    owner_param = "flowFolderOwnerEmail"
    schema = th.PropertiesList(
        th.Property("id", th.StringType, required=True),
        th.Property("name", th.StringType),
        th.Property("folderId", th.StringType, description="The parent folder, if any."),
        th.Property("folderName", th.StringType),
        th.Property("visibility", th.StringType),
        th.Property("creationDate", th.DateTimeType),
    ).to_dict()

    def get_records(self, context: Context | None) -> Iterator[dict[str, Any]]:
        for folder in self.gong_tap.directory.folders():
            yield dict(folder)


class FlowStepsStream(GongStream):
    """One record per step, with the ``flowId`` it belongs to."""

    name = "flow_steps"
    path = "/v2/flows/steps"
    http_method = "POST"
    primary_keys = ("flowId", "id")
    replication_key = None
    schema = th.PropertiesList(
        th.Property("flowId", th.StringType, required=True),
        *FLOW_STEP.wrapped.values(),
    ).to_dict()

    def get_records(self, context: Context | None) -> Iterator[dict[str, Any]]:
        flow_ids = [str(flow["id"]) for flow in self.gong_tap.directory.flows()]
        for chunk in batched(flow_ids, FLOW_IDS_PER_STEPS_REQUEST):
            response = self.post_json({"flowIds": chunk}, about=f"flows {chunk[0]}..{chunk[-1]}")
            yield from self.parse_response(response)

    def parse_response(self, response: requests.Response) -> Iterable[dict[str, Any]]:
        flows = response_payload(response).get("flows") or []
        for flow in flows:
            for step in flow.get("steps") or []:
                yield {"flowId": str(flow["id"]), **step}
