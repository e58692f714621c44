"""The throughput baseline: a plain singer-sdk tap for the same endpoint, with SDK defaults.

One ``RESTStream`` that POSTs the prospect IDs of a file to ``/v2/flows/prospects`` in
batches and emits the records of ``prospectsAssigned``, written the way the SDK's own
cookiecutter would write it: the default message writer (simplejson), type conformance
on, the default request handling (``request_records`` with a paginator, the default
backoff decorator, ``validate_response``, JSONPath ``parse_response``), Basic auth
through the SDK's ``BasicAuthenticator``. The batches are the tap's: the same IDs in
the same order, ``batch_size`` per request.

Run: ``python -m benchmarks.baseline_tap --config config.json`` with ``api_url``,
``access_key``, ``access_key_secret``, ``ids_file`` and ``batch_size``.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

import requests
from singer_sdk import RESTStream, Stream, Tap
from singer_sdk import typing as th
from singer_sdk.authenticators import BasicAuthenticator
from singer_sdk.pagination import OffsetPaginator

# The tap's own schema, so that type conformance does the same work in both.
from tap_gong_flows.schemas import ASSIGNED_FLOW


class BatchPaginator(OffsetPaginator):
    """Offsets into the list of IDs: one page per batch, until the IDs run out."""

    def __init__(self, page_size: int, total: int) -> None:
        super().__init__(0, page_size)
        self._total = total

    def has_more(self, response: requests.Response) -> bool:
        return bool(self.current_value + self.page_size < self._total)

    def continue_if_empty(self, response: requests.Response) -> bool:
        return True  # a batch whose prospects have no open flow is not the end


class BaselineAssignedFlows(RESTStream[int]):
    """``POST /v2/flows/prospects`` for each batch of prospect IDs, SDK defaults otherwise."""

    name = "assigned_flows"
    path = "/v2/flows/prospects"
    http_method = "POST"
    primary_keys = ("flowInstanceId",)
    replication_key = None
    records_jsonpath = "$.prospectsAssigned[*]"
    schema = ASSIGNED_FLOW.to_dict()

    @property
    def url_base(self) -> str:
        return str(self.config["api_url"]).rstrip("/")

    @cached_property
    def authenticator(self) -> BasicAuthenticator:
        return BasicAuthenticator(
            username=self.config["access_key"], password=self.config["access_key_secret"]
        )

    @cached_property
    def prospect_ids(self) -> list[str]:
        text = Path(self.config["ids_file"]).read_text(encoding="utf-8")
        return [line.strip() for line in text.splitlines() if line.strip()]

    @property
    def batch_size(self) -> int:
        return int(self.config.get("batch_size", 100))

    def get_new_paginator(self) -> BatchPaginator:
        return BatchPaginator(self.batch_size, len(self.prospect_ids))

    def prepare_request_payload(
        self, context: Any, next_page_token: int | None
    ) -> dict[str, list[str]]:
        offset = next_page_token or 0
        return {"crmProspectsIds": self.prospect_ids[offset : offset + self.batch_size]}


class BaselineTap(Tap):
    """A plain singer-sdk tap: default writer, default conformance, default HTTP handling."""

    name = "tap-gong-flows-baseline"
    config_jsonschema = th.PropertiesList(
        th.Property("api_url", th.StringType, required=True),
        th.Property("access_key", th.StringType, required=True),
        th.Property("access_key_secret", th.StringType, required=True, secret=True),
        th.Property("ids_file", th.StringType, required=True),
        th.Property("batch_size", th.IntegerType, default=100),
    ).to_dict()

    def discover_streams(self) -> list[Stream]:
        return [BaselineAssignedFlows(self)]


if __name__ == "__main__":
    BaselineTap.cli()
