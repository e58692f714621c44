"""``prospects``: the CRM prospect IDs a sync asks Gong about, from every configured source.

It is the parent of ``assigned_flows``. The SDK syncs a child once per parent record; to
keep one request (and one SCHEMA message) per batch rather than per prospect, this stream
hands the child a whole batch at a time and only then lets it sync.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from singer_sdk import typing as th
from singer_sdk.helpers.conform import TypeConformanceLevel

from tap_gong_flows.client import GongStream
from tap_gong_flows.errors import GongSyncStopped
from tap_gong_flows.progress import SyncProgress
from tap_gong_flows.prospect_ids import batched, unique_prospect_ids
from tap_gong_flows.streams.plain_records import PlainRecords
from tap_gong_flows.streams.sync_metrics import SyncWideMetrics
from tap_gong_flows.streams.versioning import VERSION_KEY, ActivatedAtEnd

if TYPE_CHECKING:
    import requests
    from singer_sdk.helpers.types import Context, Record

    from tap_gong_flows.tap import TapGongFlows

# Where assigned_flows keeps how many distinct prospects it has finished, mid-sync.
RESUME_KEY = "prospects_done"
# Batches whose request is sent ahead (on one worker thread) while the parent writes the
# batch before: the answer's round trip overlaps the writing. Two in flight measured 7%
# faster against the simulator, but requests would then reach Gong out of batch order,
# and after a failure a batch already answered would be asked again by the resumed sync.
# Against Gong the pacer sets the rate anyway.
REQUESTS_AHEAD = 1
# The context that asks assigned_flows for the outcomes of instances that left the open list.
FINISHED_LOOKUP = "finished_lookup"


@dataclass(frozen=True)
class ProspectBatch:
    """One request's worth of prospect IDs and where it sits in the sync's ID sequence.

    ``answer`` is the request for this batch, sent ahead on a worker thread while the
    previous batch's records are written (``None`` when nobody needs the answer).
    """

    number: int
    first_position: int  # 1-based, among the sync's distinct IDs
    ids: tuple[str, ...]
    sources: tuple[str, ...]
    answer: Future[requests.Response] | None = None

    @property
    def last_position(self) -> int:
        return self.first_position + len(self.ids) - 1


class ProspectsStream(PlainRecords, ActivatedAtEnd):
    """Every configured prospect ID once, with the source it came from."""

    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE  # records are built here, two strings

    name = "prospects"
    primary_keys = ("crmProspectId",)
    replication_key = None
    schema = th.PropertiesList(
        th.Property("crmProspectId", th.StringType, required=True),
        th.Property("source", th.StringType),
    ).to_dict()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._handoff: dict[int, ProspectBatch] = {}
        self._batches = 0
        self._done_through = 0  # position of the last prospect whose batch is synced
        self._children_selected = False
        self.progress: SyncProgress | None = None

    @property
    def gong_tap(self) -> TapGongFlows:
        return cast("TapGongFlows", self._tap)

    @property
    def table_version(self) -> int:
        """The version of the sync in progress (the interrupted run's, when resuming)."""
        return int(self.stream_state[VERSION_KEY])

    def take_batch(self, number: int) -> ProspectBatch:
        """For the child: the batch its context names (each batch is taken once)."""
        return self._handoff.pop(number)

    def _feeds_children(self) -> bool:
        return any(c.selected or c.has_selected_descendents for c in self.child_streams)

    def _resume_position(self) -> int:
        if not self._children_selected:
            return 0
        return int(self.child_streams[0].stream_state.get(RESUME_KEY, 0))

    def get_records(self, context: Context | None) -> Iterator[Record]:
        tap = self.gong_tap
        sources = tap.prospect_id_sources()
        self._children_selected = self._feeds_children()
        resume_after = self._resume_position()
        if not resume_after:
            self.stream_state.pop(VERSION_KEY, None)  # a fresh sync has a fresh version
        self.stream_state.setdefault(VERSION_KEY, self.gong_tap.initialized_at // 1000)
        self.adopt_version(self.table_version)
        hints = [source.size_hint() for source in sources]
        total = None if None in hints else sum(h for h in hints if h is not None)
        self.progress = SyncProgress(self.logger, total=total, already_done=resume_after)
        if resume_after:
            self.logger.info("Resuming after the first %d prospects of the last sync", resume_after)
        self._done_through = resume_after
        pending = (
            pair
            for position, pair in enumerate(unique_prospect_ids(sources), 1)
            if position > resume_after  # earlier ones were done by the interrupted sync
        )
        try:
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="gong-prefetch") as worker:
                try:
                    yield from self._batches_in_order(pending, resume_after + 1, worker)
                except BaseException:
                    tap.stopping.set()  # the request sent ahead gives up instead of retrying
                    self._close_child_metrics(failed=True)
                    raise
        finally:
            tap.stopping.clear()  # the worker is done; the tap may sync again
            tap.http_transport.close()  # its connection too (a later stream opens its own)
        self._finish()

    def _batches_in_order(
        self, pending: Iterator[tuple[str, str]], position: int, worker: ThreadPoolExecutor
    ) -> Iterator[Record]:
        size = int(self.config["prospect_ids_per_request"])
        ahead: deque[ProspectBatch] = deque()
        failed = threading.Event()
        for chunk in batched(pending, size):
            ahead.append(self._new_batch(chunk, position, worker, failed))
            position += len(chunk)
            if len(ahead) > REQUESTS_AHEAD:  # the next in flight while this one is written
                yield from self._release(ahead.popleft())
        while ahead:
            yield from self._release(ahead.popleft())

    def _new_batch(
        self,
        chunk: list[tuple[str, str]],
        position: int,
        worker: ThreadPoolExecutor,
        failed: threading.Event,
    ) -> ProspectBatch:
        self._batches += 1
        ids = tuple(prospect_id for prospect_id, _source in chunk)
        answer = None
        if self._children_selected:
            child = self.child_streams[0]
            assert isinstance(child, GongStream)
            context = {"prospect_batch": self._batches}

            def ask() -> requests.Response:
                # Once a batch has failed the sync is over: later batches are not sent.
                # (Batches already in flight finish, and the parent never writes them.)
                if failed.is_set():
                    raise GongSyncStopped("not sent: an earlier batch failed")
                try:
                    return child.post_json({"crmProspectsIds": list(ids)}, context)
                except BaseException:
                    failed.set()
                    raise

            answer = worker.submit(ask)
        sources = tuple(source for _prospect_id, source in chunk)
        return ProspectBatch(self._batches, position, ids, sources, answer)

    def _release(self, batch: ProspectBatch) -> Iterator[Record]:
        """Write the batch's prospect records, then let the child write its flows."""
        if self.selected:  # deselected, the SDK would walk each ID only to discard it
            self.mark_extracted()
            for prospect_id, source in zip(batch.ids, batch.sources, strict=True):
                yield {"crmProspectId": prospect_id, "source": source}
        if self._children_selected:
            self._handoff[batch.number] = batch
            self._sync_children({"prospect_batch": batch.number})
        self._done_through = batch.last_position
        self._batch_done()

    def generate_child_contexts(
        self, record: Record, context: Context | None
    ) -> Iterable[Context | None]:
        # Children are synced per batch by _release, not per prospect record.
        return ()

    def _close_child_metrics(self, *, failed: bool) -> None:
        for child in self.child_streams:
            if isinstance(child, SyncWideMetrics):
                child.close_sync_metrics(failed=failed)

    def _batch_done(self) -> None:
        if self.progress is None:
            return
        stats = self.gong_tap.http_stats
        self.progress.update(
            prospects=self._done_through - self.progress.already_done,
            records=stats.records,
            requests=self.gong_tap.pacer.requests,
            rate_limited=stats.rate_limited,
        )

    def _finish(self) -> None:
        if self._children_selected:
            child = self.child_streams[0]
            if self.config.get("track_finished_flows"):
                self._sync_children({FINISHED_LOOKUP: True})
            self._close_child_metrics(failed=False)
            if isinstance(child, ActivatedAtEnd):
                child.activate_version()
            # A finished sync starts the next one from the first prospect again.
            child.stream_state.pop(RESUME_KEY, None)
        self.activate_version()
        self.stream_state.pop(VERSION_KEY, None)
        if not self._children_selected:
            return
        if self.progress is not None:
            self.progress.log()
        stats = self.gong_tap.http_stats
        self.logger.info(
            "assigned_flows: %d prospects in %d requests, %d records; %d retries, "
            "%d rate-limited answers",
            self._done_through - (self.progress.already_done if self.progress else 0),
            self._batches,
            stats.records,
            stats.retries,
            stats.rate_limited,
        )
