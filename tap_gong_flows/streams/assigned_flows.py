"""``assigned_flows``: the Engage flow instances that CRM prospects are in."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, cast

import requests

from tap_gong_flows.client import GongStream, response_payload
from tap_gong_flows.errors import GongError
from tap_gong_flows.schemas import ASSIGNED_FLOW
from tap_gong_flows.streams.prospects import RESUME_KEY, ProspectBatch, ProspectsStream

if TYPE_CHECKING:
    from singer_sdk.helpers.types import Context


def _batch_label(batch: ProspectBatch) -> str:
    return (
        f"batch {batch.number}: prospect IDs #{batch.first_position}-#{batch.last_position} "
        f"of the sync, first {batch.ids[0]!r}"
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
    parent_stream_type = ProspectsStream

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.state_partitioning_keys = []  # one state for the stream, not one per batch
        self._schema_written = False

    @property
    def prospects(self) -> ProspectsStream:
        return cast(ProspectsStream, self.gong_tap.streams[ProspectsStream.name])

    def get_records(self, context: Context | None) -> Iterator[dict[str, Any]]:
        if context is None:
            raise RuntimeError("assigned_flows is synced by its parent stream, prospects")
        batch = self.prospects.take_batch(int(context["prospect_batch"]))
        try:
            response = self.post_json({"crmProspectsIds": list(batch.ids)}, context)
        except GongError as exc:
            exc.with_context(_batch_label(batch))
            raise
        stats = self.gong_tap.http_stats
        for record in self._records_for(batch.ids, response):
            stats.records += 1
            yield record
        # Every record of this batch is out: a sync resumed from the STATE message the
        # SDK writes next starts after this batch.
        self.stream_state[RESUME_KEY] = batch.last_position

    def _write_schema_message(self) -> None:
        # The SDK writes a SCHEMA each time a child syncs; one per sync is enough.
        if not self._schema_written:
            super()._write_schema_message()
            self._schema_written = True

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
