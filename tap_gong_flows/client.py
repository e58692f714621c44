"""The base of every Gong stream: the services it is handed, and how a sync warms up.

Streams do not send HTTP themselves. The tap builds one :class:`StreamServices` per sync
(the request engine, Gong's endpoints over it, the shared directory) and hands it to
every stream at construction.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import Any

from singer_sdk import Tap

from tap_gong_flows.directory import EngageDirectory
from tap_gong_flows.engine import RequestEngine
from tap_gong_flows.gong_api import EngageApi
from tap_gong_flows.sdk_hooks import HookedStream


class SyncOrder:
    """The streams in the order the SDK syncs them, so each can warm up the next.

    When a stream starts, the next selected stream is asked to send its first requests
    (:meth:`GongStream.warm`): they run while this one finishes, and the pace never
    waits for the last answer of one stream before the next stream asks anything.
    """

    def __init__(self) -> None:
        self.streams: list[GongStream] = []

    def follow(self, streams: list[GongStream]) -> None:
        """The tap's streams; they are synced in the order of their names, as the SDK's
        ``load_streams`` sorts them."""
        self.streams = sorted(streams, key=lambda stream: stream.name)

    def _next_after(self, stream: GongStream) -> GongStream | None:
        if stream not in self.streams:
            return None
        for later in self.streams[self.streams.index(stream) + 1 :]:
            if later.parent_stream_type is not None:
                continue  # synced by its parent, which warms it
            if later.selected or later.has_selected_descendents:
                return later
        return None

    def started(self, stream: GongStream) -> None:
        later = self._next_after(stream)
        if later is not None:
            later.warm()

    def ended(self, stream: GongStream, *, failed: bool) -> None:
        """The last stream, or a failing one, ends the engine's work for this sync."""
        if failed or self._next_after(stream) is None:
            stream.engine.close()


class StreamServices:
    """What every stream of one sync shares, each built on first use (``--about`` and
    ``--discover`` build streams from a config that may not be complete)."""

    def __init__(
        self, build_engine: Callable[[], RequestEngine], *, workspace_id: str | None
    ) -> None:
        self._build_engine = build_engine
        self._workspace_id = workspace_id
        self.order = SyncOrder()

    @cached_property
    def engine(self) -> RequestEngine:
        return self._build_engine()

    @cached_property
    def api(self) -> EngageApi:
        return EngageApi(self.engine, workspace_id=self._workspace_id)

    @cached_property
    def directory(self) -> EngageDirectory:
        return EngageDirectory(self.api, self.engine)


class GongStream(HookedStream):
    """A Gong Engage stream: asks the engine's endpoints, never the tap, for its records."""

    def __init__(self, tap: Tap, services: StreamServices, **kwargs: Any) -> None:
        self.services = services
        super().__init__(tap, **kwargs)

    @property
    def engine(self) -> RequestEngine:
        return self.services.engine

    @property
    def api(self) -> EngageApi:
        return self.services.api

    @property
    def directory(self) -> EngageDirectory:
        return self.services.directory

    def warm(self) -> None:
        """Start this stream's first requests before its own sync begins (none by default)."""

    @contextmanager
    def syncing(self) -> Iterator[None]:
        """Around the records of :meth:`get_records`, once its own first requests are
        sent: warms the stream after this one, and closes the engine after the last."""
        order = self.services.order
        order.started(self)
        self.count_records_from_now()
        started = time.monotonic()
        try:
            yield
        except BaseException:
            order.ended(self, failed=True)
            raise
        order.ended(self, failed=False)
        # The SDK logs each stream's start; its end is otherwise only in a METRIC line.
        self.logger.info(
            "Finished '%s': %s records in %.1f s",
            self.name,
            f"{self.records_written:,}",
            time.monotonic() - started,
        )
