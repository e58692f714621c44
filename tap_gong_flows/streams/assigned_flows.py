"""``assigned_flows``: the Engage flow instances that CRM prospects are in."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from singer_sdk.helpers.conform import TypeConformanceLevel
from typing_extensions import override

from tap_gong_flows.client import GongStream
from tap_gong_flows.instance_set import decode_instance_ids, encode_instance_ids
from tap_gong_flows.iterables import batched
from tap_gong_flows.paths import ASSIGNED_FLOWS_PATH
from tap_gong_flows.record import Record
from tap_gong_flows.schemas import ASSIGNED_FLOW
from tap_gong_flows.seen_ids import SeenIds
from tap_gong_flows.streams.batches import BatchHandoff, ProspectBatch
from tap_gong_flows.streams.plain_records import PlainRecords
from tap_gong_flows.streams.prospects import BATCH_KEY, ProspectsStream
from tap_gong_flows.streams.sync_metrics import SyncWideMetrics
from tap_gong_flows.streams.versioning import ActivatedAtEnd

if TYPE_CHECKING:
    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context

    from tap_gong_flows.client import StreamServices

# Where the state keeps how many distinct prospects this sync has finished, mid-sync.
RESUME_KEY = "prospects_done"
# Where the state keeps the instances that were open at the end of the last sync.
OPEN_INSTANCES_KEY = "open_instances"
# The context that asks for the outcomes of instances that left the open list.
FINISHED_LOOKUP = "finished_lookup"
# Outcomes: an instance in one of these is done. Any other status (including one Gong adds
# later) keeps the instance on the open list, so its outcome is still looked up later.
FINISHED_STATUSES = frozenset({"FinishedNoReply", "FinishedResponse", "Finished"})
INSTANCE_IDS_PER_REQUEST = 100
STATE_INTERVAL_SECONDS = 30.0


class AssignedFlowsStream(PlainRecords, SyncWideMetrics, ActivatedAtEnd, GongStream):
    """``POST /v2/flows/prospects`` for each batch of prospect IDs.

    Asked by CRM ID, Gong returns only open flow instances (Pending, Running, Paused).
    The parent, ``prospects``, cuts the batches; this stream says what to ask for each
    (on an engine worker) and writes the answers, one batch at a time, in batch order.
    """

    name = "assigned_flows"
    path = ASSIGNED_FLOWS_PATH  # the endpoint tag of its request metrics
    primary_keys = ("flowInstanceId",)
    replication_key = None
    schema = ASSIGNED_FLOW.to_dict()
    parent_stream_type = ProspectsStream

    # Gong's JSON already has the schema's types (strings, booleans, ISO timestamps as
    # strings), so the SDK's per-record type conformance would only cost time. Its other
    # job, dropping fields the schema does not know, is done in _records_for.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE
    # When the resume position was last saved; tests put a fake clock here.
    clock: Callable[[], float] = staticmethod(time.monotonic)

    def __init__(
        self, tap: Tap, services: StreamServices, *, handoff: BatchHandoff, **kwargs: Any
    ) -> None:
        super().__init__(tap, services, **kwargs)
        self.state_partitioning_keys = []  # one state for the stream, not one per batch
        self._known_fields = frozenset(self.schema["properties"])
        self._unknown_fields_seen: set[str] = set()
        self._schema_written = False
        self._open_now: SeenIds | None = None  # instances seen open this sync, when tracking
        self._position_saved_at = -math.inf  # the first batch's position is saved
        self.handoff = handoff
        handoff.ask = self._ask
        handoff.resume_position = self._resume_position
        handoff.sync_starting = self._sync_starting
        handoff.sync_finished = self._sync_finished

    @property
    def tracks_finished_flows(self) -> bool:
        return bool(self.config.get("track_finished_flows"))

    def _ask(self, batch: ProspectBatch) -> list[Record]:
        """One batch's request (run on an engine worker, side by side with others)."""
        return self.api.assigned_flows({"crmProspectsIds": list(batch.ids)}, about=batch.label())

    def _resume_position(self) -> int:
        return int(self.stream_state.get(RESUME_KEY, 0))

    def get_records(self, context: Context | None) -> Iterator[dict[str, Any]]:
        if context is None:
            raise RuntimeError("assigned_flows is synced by its parent stream, prospects")
        self.adopt_version(self.handoff.table_version)
        if context.get(FINISHED_LOOKUP):
            yield from self._finished_instances()
            return
        batch, answer = self.handoff.take(int(context[BATCH_KEY]))
        self.get_http_request_counter().increment()
        self.mark_extracted()
        open_now = self._open_instances_seen()
        written = 0
        for record in self._records_for(batch.ids, answer):
            written += 1
            if open_now is not None:
                open_now.add(str(record["flowInstanceId"]))
            yield record
        self.engine.stats.count("records", written)
        self._save_position(batch.last_position)

    def _sync_starting(self) -> None:
        """The parent starts: the target learns of this stream before the first answer
        (which may be a failure) is in, and the sync's meters start: a first answer that
        fails is still timed as a failed sync."""
        self.start_sync_metrics()
        if self.selected:
            self.write_schema_message()

    def _sync_finished(self, complete: bool) -> None:
        """The parent's sync ended: complete (every batch written) or failed."""
        if not complete:
            self.close_sync_metrics(failed=True)
            return
        try:
            if self.tracks_finished_flows:
                self.sync({FINISHED_LOOKUP: True})
        except BaseException:
            self.close_sync_metrics(failed=True)
            raise
        self.close_sync_metrics(failed=False)
        self.activate_version()
        # A finished sync starts the next one from the first prospect again.
        self.stream_state.pop(RESUME_KEY, None)

    def _save_position(self, position: int) -> None:
        # Every record of the batch is out: a sync resumed from the STATE message the SDK
        # writes next starts after it. With tracking on, the state carries the open
        # instances too, so it is saved at most every STATE_INTERVAL_SECONDS to keep the
        # output small; a resumed sync then repeats at most that many seconds of batches.
        now = self.clock()
        due = now - self._position_saved_at >= STATE_INTERVAL_SECONDS
        if not self.tracks_finished_flows or due:
            self.stream_state[RESUME_KEY] = position
            self._position_saved_at = now

    def _open_instances_seen(self) -> SeenIds | None:
        if self.tracks_finished_flows and self._open_now is None:
            self._open_now = SeenIds()
        return self._open_now

    def _look_up(self, chunk: list[str]) -> list[Record]:
        return self.api.assigned_flows(
            {"flowInstanceIds": chunk},
            about=f"looking up {len(chunk)} flow instances that left the open list",
        )

    def _finished_instances(self) -> Iterator[dict[str, Any]]:
        """Instances open at the end of the last sync and not seen open in this one, asked
        for by ID (which answers finished ones too) and emitted with their status now."""
        open_now = self._open_instances_seen()
        assert open_now is not None
        previous = decode_instance_ids(str(self.stream_state.get(OPEN_INSTANCES_KEY, "")))
        gone = (i for i in previous if i not in open_now)
        finished = 0
        chunks = batched(gone, INSTANCE_IDS_PER_REQUEST)
        for chunk, answered_records in self.engine.fan_out(chunks, self._look_up):
            self.get_http_request_counter().increment()
            asked = set(chunk)
            self.mark_extracted()
            for answered in answered_records:
                if str(answered.get("flowInstanceId")) not in asked:
                    continue
                record = self._schema_fields_only(answered)
                if record.get("flowInstanceStatus") in FINISHED_STATUSES:
                    finished += 1
                else:
                    open_now.add(str(record["flowInstanceId"]))  # moved, or seen before a resume
                self.engine.stats.count("records")
                yield record
        self.stream_state[OPEN_INSTANCES_KEY] = encode_instance_ids(open_now)
        self.logger.info(
            "track_finished_flows: %d instances finished since the last sync; %d open now",
            finished,
            open_now.count,
        )
        open_now.close()

    def generate_child_contexts(
        self, record: dict[str, Any], context: Context | None
    ) -> Iterable[Context | None]:
        return ()  # no child streams: spares the SDK a context copy per record

    def log(self, message: str, *args: Any, level: int = logging.INFO, **kwargs: Any) -> None:
        # The SDK announces each child sync, here one per batch: 10,000 lines for a million
        # prospects would bury the progress lines, so that announcement goes to DEBUG.
        if message.startswith("Beginning sync"):
            level = min(level, logging.DEBUG)
        super().log(message, *args, level=level, **kwargs)

    @override
    def write_schema_message(self) -> None:
        # The SDK writes a SCHEMA each time a child syncs; one per sync is enough.
        if not self._schema_written:
            super().write_schema_message()
            self._schema_written = True

    def _records_for(self, batch: Sequence[str], answer: list[Record]) -> Iterator[Record]:
        asked = set(batch)
        known = self._known_fields
        foreign = 0
        for record in answer:
            if record.get("crmProspectId") not in asked:
                # Another batch asks for that prospect: keeping it here would emit it twice.
                foreign += 1
                continue
            yield record if record.keys() <= known else self._schema_fields_only(record)
        if foreign:
            self.logger.warning(
                "Ignored %d record(s) for prospects this request did not ask about", foreign
            )

    def _schema_fields_only(self, record: dict[str, Any]) -> dict[str, Any]:
        """Type conformance is off here, so fields Gong adds later are dropped by hand."""
        unknown = record.keys() - self._known_fields
        if not unknown:
            return record
        new = unknown - self._unknown_fields_seen
        if new:
            self._unknown_fields_seen |= new
            self.logger.warning(
                "Gong sent fields the schema does not have yet, not passed on: %s",
                ", ".join(sorted(new)),
            )
        return {k: v for k, v in record.items() if k in self._known_fields}
