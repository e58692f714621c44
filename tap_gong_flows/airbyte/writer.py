"""The tap's output as Airbyte messages, translated one message at a time as it is written."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from typing import Any

from singer_sdk.singerlib import ActivateVersionMessage, RecordMessage, SchemaMessage, StateMessage
from singer_sdk.singerlib.encoding.base import GenericSingerWriter
from singer_sdk.singerlib.encoding.simple import Message

from tap_gong_flows.airbyte.protocol import (
    AirbyteStreamStatus,
    Level,
    MessageOutput,
    log_message,
    model_json,
    now_ms,
    record_message,
    stream_state_message,
    stream_status_message,
)
from tap_gong_flows.airbyte.translate import StreamPlan


class AirbyteMessageWriter(GenericSingerWriter[str, Message]):
    """The tap's message writer for an Airbyte ``read``: each Singer message becomes Airbyte
    messages on stdout as soon as the tap writes it.

    - RECORD: an Airbyte RECORD of a configured stream, ``emitted_at`` in milliseconds;
    - STATE: one Airbyte STREAM state per configured stream whose bookmark changed, carrying
      that bookmark and how many records of the stream came since its previous state;
    - SCHEMA: the stream has started (a STREAM_STATUS trace); the schema is in the catalog;
    - ACTIVATE_VERSION: nothing (overwrite or append is the destination's business).
    """

    def __init__(self, output: MessageOutput, plans: Mapping[str, StreamPlan]) -> None:
        self._output = output
        self._plans = dict(plans)
        self._last_blob: dict[str, dict[str, Any]] = {}
        self._records_since_state: Counter[str] = Counter()
        self._started: set[str] = set()
        self._running: set[str] = set()

    # GenericSingerWriter

    def serialize_message(self, message: Message) -> str:
        return "".join(model_json(m) + "\n" for m in self.translate(message))

    def write_message(self, message: Message) -> None:
        for airbyte_message in self.translate(message):
            self._output.emit(airbyte_message)

    # Translation

    def translate(self, message: Message) -> list[Any]:
        """The Airbyte messages for one Singer message (updates what was emitted so far)."""
        if isinstance(message, RecordMessage):
            return self._record(message.stream, message.record)
        if isinstance(message, StateMessage):
            return self._states(message.value)
        if isinstance(message, SchemaMessage):
            return self._start(message.stream)
        if isinstance(message, ActivateVersionMessage):
            return []
        raise RuntimeError(
            f"{message.type} messages cannot be passed to Airbyte; remove the settings that "
            "produce them (batch_config)"
        )

    def _start(self, stream: str) -> list[Any]:
        if stream not in self._plans or stream in self._started:
            return []
        self._started.add(stream)
        return [stream_status_message(stream, AirbyteStreamStatus.STARTED)]

    def _record(self, stream: str, record: Mapping[str, Any]) -> list[Any]:
        if stream not in self._plans:
            return []  # not in the configured catalog (the tap emits none of those anyway)
        messages = self._start(stream)
        if stream not in self._running:
            self._running.add(stream)
            messages.append(stream_status_message(stream, AirbyteStreamStatus.RUNNING))
        self._records_since_state[stream] += 1
        messages.append(record_message(stream, record, now_ms()))
        return messages

    def _states(self, singer_state: Mapping[str, Any], *, final: bool = False) -> list[Any]:
        bookmarks = singer_state.get("bookmarks") or {}
        messages = []
        for name, plan in self._plans.items():
            bookmark = bookmarks.get(name)
            if bookmark is None and not (final and name not in self._last_blob):
                continue
            blob = plan.state_blob(bookmark or {})
            if self._last_blob.get(name) == blob:
                continue
            count = self._records_since_state.pop(name, 0)
            messages.append(stream_state_message(name, blob, count))
            self._last_blob[name] = blob
        return messages

    # End of the read

    def finish(self, singer_state: Mapping[str, Any]) -> None:
        """After a complete sync: the final state of every configured stream (an empty one
        for a stream that has none), then each stream's COMPLETE status."""
        messages = self._states(singer_state, final=True)
        for name in self._plans:
            messages += self._start(name)
            messages.append(stream_status_message(name, AirbyteStreamStatus.COMPLETE))
        for message in messages:
            self._output.emit(message)

    def fail(self) -> None:
        """After a failure: each stream that started is INCOMPLETE."""
        for name in self._plans:
            if name in self._started:
                self._output.emit(stream_status_message(name, AirbyteStreamStatus.INCOMPLETE))


_LEVELS = (
    (logging.CRITICAL, Level.FATAL),
    (logging.ERROR, Level.ERROR),
    (logging.WARNING, Level.WARN),
    (logging.INFO, Level.INFO),
    (logging.DEBUG, Level.DEBUG),
)


def airbyte_level(levelno: int) -> Any:
    for threshold, level in _LEVELS:
        if levelno >= threshold:
            return level
    return Level.TRACE


class AirbyteLogHandler(logging.Handler):
    """Python logging as Airbyte LOG messages on stdout (Airbyte reads only stdout).

    The tap's secret filter is attached to this handler like to any root handler, so a
    record is redacted before it gets here.
    """

    def __init__(self, output: MessageOutput) -> None:
        super().__init__()
        self._output = output
        self._formatter = logging.Formatter()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            stack_trace = record.exc_text
            if record.exc_info and not stack_trace:
                stack_trace = self._formatter.formatException(record.exc_info)
            text = f"{record.name}: {record.getMessage()}"
            self._output.emit(log_message(airbyte_level(record.levelno), text, stack_trace))
        except Exception:
            self.handleError(record)
