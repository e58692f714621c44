"""Metrics for a stream the SDK syncs once per batch: one set per sync, not per batch.

The SDK opens a record counter and a sync timer for every child sync and logs both when
it ends, and ``post_json`` counts each request the same way: three METRIC lines per
batch of 100 prospects, 30,000 for a million, each costing a formatted log line. Here
the meters span the whole sync: counters log on the SDK's interval (every 60 s) and once
more at the end, the timer once at the end, with the sync's status.
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any, Self

from singer_sdk import metrics
from singer_sdk.helpers.types import Context
from typing_extensions import override

from tap_gong_flows.sdk_hooks import HookedStream, log_counter_now


class _SpansTheSync:
    """What a meter shared by every batch does when the SDK opens and closes it per batch:
    nothing. (The batch number is not a partition: the tags stay the stream's.)"""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        return None

    def with_context(self, value: Context | None) -> None:
        return None


class SyncWideCounter(_SpansTheSync, metrics.Counter):
    """A counter that batches share; :meth:`close` logs what is left at the end."""

    def close(self) -> None:
        if self.value:
            log_counter_now(self)


class ThreadSafeSyncWideCounter(SyncWideCounter):
    """The same, for requests: those sent ahead are counted on worker threads."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lock = threading.Lock()

    def increment(self, value: int = 1) -> None:
        with self._lock:
            super().increment(value)

    def close(self) -> None:
        with self._lock:
            super().close()


class SyncWideTimer(_SpansTheSync, metrics.Timer):
    """A timer from the start of the sync to :meth:`close`."""

    def close(self, *, failed: bool) -> None:
        status = metrics.Status.FAILED if failed else metrics.Status.SUCCEEDED
        self.tags[metrics.Tag.STATUS] = status
        metrics.log(self.logger, metrics.Point("timer", self.metric, self.elapsed(), self.tags))


class SyncWideMetrics(HookedStream):
    """A stream whose record count, sync time and request count span all its batches.

    The parent calls :meth:`close_sync_metrics` when the sync ends, failed or not.
    """

    _sync_meters: tuple[SyncWideCounter, SyncWideTimer, SyncWideCounter] | None = None

    def _meters(self) -> tuple[SyncWideCounter, SyncWideTimer, SyncWideCounter]:
        if self._sync_meters is None:
            records = SyncWideCounter(metrics.Metric.RECORD_COUNT, {metrics.Tag.STREAM: self.name})
            timer = SyncWideTimer(metrics.Metric.SYNC_DURATION, {metrics.Tag.STREAM: self.name})
            requests = ThreadSafeSyncWideCounter(
                metrics.Metric.HTTP_REQUEST_COUNT,
                {metrics.Tag.STREAM: self.name, metrics.Tag.ENDPOINT: getattr(self, "path", "")},
            )
            self._sync_meters = (records, timer, requests)
        return self._sync_meters

    @override
    def get_record_counter(
        self, *, endpoint: str | None = None, log_interval: float = metrics.DEFAULT_LOG_INTERVAL
    ) -> metrics.Counter:
        return self._meters()[0]

    @override
    def get_sync_timer(self) -> metrics.Timer:
        return self._meters()[1]

    def get_http_request_counter(self) -> metrics.Counter:
        return self._meters()[2]

    def start_sync_metrics(self) -> None:
        """Start the sync's meters before its first batch is in."""
        self._meters()

    def close_sync_metrics(self, *, failed: bool) -> None:
        """Log the sync's totals; the next sync starts new meters."""
        if self._sync_meters is None:
            return
        records, timer, requests = self._sync_meters
        self._sync_meters = None
        requests.close()
        records.close()
        timer.close(failed=failed)
