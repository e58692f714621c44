"""``assigned_flows``: the Engage flow instances that CRM prospects are in."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import requests
from singer_sdk.exceptions import ConfigValidationError

from tap_gong_flows.client import GongStream, response_payload
from tap_gong_flows.errors import GongError
from tap_gong_flows.prospect_ids import batched
from tap_gong_flows.schemas import ASSIGNED_FLOW

if TYPE_CHECKING:
    from singer_sdk.helpers.types import Context


def _batch_label(number: int, batch: Sequence[str], first_position: int) -> str:
    last_position = first_position + len(batch) - 1
    return (
        f"batch {number}: prospect IDs #{first_position}-#{last_position} of the sync, "
        f"first {batch[0]!r}"
    )


class AssignedFlowsStream(GongStream):
    """``POST /v2/flows/prospects`` for each batch of prospect IDs.

    Asked by CRM ID, Gong returns only open flow instances (Pending, Running, Paused).
    """

    name = "assigned_flows"
    path = "/v2/flows/prospects"
    http_method = "POST"
    primary_keys = ("flowInstanceId",)
    replication_key = None
    schema = ASSIGNED_FLOW.to_dict()

    def get_records(self, context: Context | None) -> Iterator[dict[str, Any]]:
        if not self.gong_tap.prospect_id_sources():
            raise ConfigValidationError(
                "Config validation failed",
                errors=[
                    "crm_prospect_ids: no prospect IDs to ask about; set crm_prospect_ids "
                    "or crm_prospect_ids_file"
                ],
            )
        size = int(self.config["prospect_ids_per_request"])
        send = self.request_decorator(self._request)
        prospects = records = batches = 0
        with self.get_http_request_counter() as counter:
            for batches, batch in enumerate(batched(self.gong_tap.prospect_ids(), size), 1):
                try:
                    response = send(self._prepare_batch(batch), context)
                except GongError as exc:
                    exc.with_context(_batch_label(batches, batch, prospects + 1))
                    raise
                counter.increment()
                for record in self._records_for(batch, response):
                    records += 1
                    yield record
                prospects += len(batch)
        stats = self.gong_tap.http_stats
        self.logger.info(
            "%s: %d prospects in %d requests, %d records; %d retries, %d rate-limited answers",
            self.name,
            prospects,
            batches,
            records,
            stats.retries,
            stats.rate_limited,
        )

    def _prepare_batch(self, batch: list[str]) -> requests.PreparedRequest:
        return self.build_prepared_request(
            method=self.http_method,
            url=self.get_url(None),
            headers=self.http_headers,
            json={"crmProspectsIds": batch},
        )

    def _records_for(
        self, batch: Sequence[str], response: requests.Response
    ) -> Iterator[dict[str, Any]]:
        asked = set(batch)
        foreign = 0
        for record in self.parse_response(response):
            if record.get("crmProspectId") in asked:
                yield record
            else:
                # Another batch asks for that prospect: keeping it here would emit it twice.
                foreign += 1
        if foreign:
            self.logger.warning(
                "Ignored %d record(s) for prospects this request did not ask about", foreign
            )

    def parse_response(self, response: requests.Response) -> Iterable[dict[str, Any]]:
        records = response_payload(response).get("prospectsAssigned")
        if records is None:
            # Gong leaves out empty lists in some answers: no open flow for these prospects.
            return []
        if not isinstance(records, list):
            raise GongError(
                f"POST {self.path} answered prospectsAssigned as "
                f"{type(records).__name__}, not a list"
            )
        for record in records:
            if not isinstance(record, dict):
                raise GongError(f"POST {self.path} answered a record that is not an object")
        return records
