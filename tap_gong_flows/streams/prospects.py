"""``prospects``: the CRM prospect IDs a sync asks Gong about, from every configured source.

It is the parent of ``assigned_flows``. The IDs are cut into batches; each batch's request
is sent through the engine, as many side by side as the pace needs, and the batches are
released in order: first this stream's records of the batch, then the child's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import TYPE_CHECKING, Any

from singer_sdk import typing as th
from singer_sdk.helpers.conform import TypeConformanceLevel

from tap_gong_flows.client import GongStream
from tap_gong_flows.iterables import batched
from tap_gong_flows.progress import SyncProgress
from tap_gong_flows.prospect_ids import ProspectIdSource, unique_prospect_ids
from tap_gong_flows.record import Record
from tap_gong_flows.settings import setting_value
from tap_gong_flows.streams.batches import BatchHandoff, ProspectBatch
from tap_gong_flows.streams.plain_records import PlainRecords
from tap_gong_flows.streams.versioning import VERSION_KEY, ActivatedAtEnd

if TYPE_CHECKING:
    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context

    from tap_gong_flows.client import StreamServices

# The child context that syncs one batch.
BATCH_KEY = "prospect_batch"
# A batch, and the answer to it (None when assigned_flows is not selected).
Released = tuple[ProspectBatch, list[Record] | None]


class ProspectsStream(PlainRecords, ActivatedAtEnd, GongStream):
    """Every configured prospect ID once, with the source it came from."""

    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE  # records are built here, two strings

    name = "prospects"
    primary_keys = ("crmProspectId",)
    replication_key = None
    schema = th.PropertiesList(
        th.Property("crmProspectId", th.StringType, required=True),
        th.Property("source", th.StringType),
    ).to_dict()

    def __init__(
        self,
        tap: Tap,
        services: StreamServices,
        *,
        handoff: BatchHandoff,
        id_sources: Callable[[], list[ProspectIdSource]],
        **kwargs: Any,
    ) -> None:
        super().__init__(tap, services, **kwargs)
        self.handoff = handoff
        self._id_sources = id_sources
        self._released: Iterator[Released] | None = None
        self._batches = 0
        self._done_through = 0  # position of the last prospect whose batch is synced
        self._resumed_after = 0
        self._children_selected = False
        self.progress: SyncProgress | None = None

    @property
    def table_version(self) -> int:
        """The version of the sync in progress (the interrupted run's, when resuming)."""
        return int(self.stream_state[VERSION_KEY])

    def _feeds_children(self) -> bool:
        return any(c.selected or c.has_selected_descendents for c in self.child_streams)

    def warm(self) -> None:
        """Read where the last sync stopped and send the first batches' requests."""
        if self._released is not None:
            return
        sources = self._id_sources()
        self._children_selected = self._feeds_children()
        resume_after = self.handoff.resume_position() if self._children_selected else 0
        if not resume_after:
            self.stream_state.pop(VERSION_KEY, None)  # a fresh sync has a fresh version
        self.stream_state.setdefault(VERSION_KEY, self.tap_started_at_ms // 1000)
        self.adopt_version(self.table_version)
        self.handoff.table_version = self.table_version
        hints = [source.size_hint() for source in sources]
        total = None if None in hints else sum(h for h in hints if h is not None)
        self.progress = SyncProgress(self.logger, total=total, already_done=resume_after)
        if resume_after:
            self.logger.info("Resuming after the first %d prospects of the last sync", resume_after)
        self._done_through = self._resumed_after = resume_after
        # Earlier positions were done by the interrupted sync.
        pending = islice(unique_prospect_ids(sources), resume_after, None)
        batches = self._cut(pending, resume_after + 1)
        if self._children_selected:
            fan_out = self.engine.fan_out(batches, self.handoff.ask).start()
            self._released = iter(fan_out)
        else:
            self._released = ((batch, None) for batch in batches)

    def _cut(self, pending: Iterable[tuple[str, str]], position: int) -> Iterator[ProspectBatch]:
        size = int(setting_value(self.config, "prospect_ids_per_request"))
        for chunk in batched(pending, size):
            self._batches += 1
            ids = tuple(prospect_id for prospect_id, _source in chunk)
            sources = tuple(source for _prospect_id, source in chunk)
            yield ProspectBatch(self._batches, position, ids, sources)
            position += len(chunk)

    def get_records(self, context: Context | None) -> Iterator[Record]:
        self.warm()
        assert self._released is not None
        released, self._released = self._released, None
        if self._children_selected:
            self.handoff.sync_starting()
        with self.syncing():
            try:
                for batch, answer in released:
                    yield from self._release(batch, answer)
            except Exception as exc:
                self.engine.stop(exc)  # nothing new is sent once the sync is failing
                if self._children_selected:
                    self.handoff.sync_finished(False)
                raise
            self._finish()

    def _release(self, batch: ProspectBatch, answer: list[Record] | None) -> Iterator[Record]:
        """Write the batch's prospect records, then let the child write its flows."""
        if self.selected:  # deselected, the SDK would walk each ID only to discard it
            self.mark_extracted()
            for prospect_id, source in zip(batch.ids, batch.sources, strict=True):
                yield {"crmProspectId": prospect_id, "source": source}
        if answer is not None:
            self.handoff.put(batch, answer)
            self.sync_children_of_batch({BATCH_KEY: batch.number})
        self._done_through = batch.last_position
        self._batch_done()

    def generate_child_contexts(
        self, record: Record, context: Context | None
    ) -> Iterable[Context | None]:
        # Children are synced per batch by _release, not per prospect record.
        return ()

    def _batch_done(self) -> None:
        if self.progress is None:
            return
        stats = self.engine.stats
        self.progress.update(
            prospects=self._done_through - self.progress.already_done,
            records=stats.records,
            requests=stats.requests,
            rate_limited=stats.rate_limited,
        )

    def _finish(self) -> None:
        if self._children_selected:
            self.handoff.sync_finished(True)
        self.activate_version()
        self.stream_state.pop(VERSION_KEY, None)
        if not self._children_selected:
            return
        if self.progress is not None:
            self.progress.log()
        stats = self.engine.stats
        self.logger.info(
            "assigned_flows: %d prospects in %d requests, %d records; %d retries, "
            "%d rate-limited answers",
            self._done_through - self._resumed_after,
            self._batches,
            stats.records,
            stats.retries,
            stats.rate_limited,
        )
