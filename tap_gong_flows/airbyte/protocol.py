"""Airbyte messages: built with the protocol's published models, one JSON line each on stdout.

``airbyte-protocol-models`` is built on pydantic 1 and ``airbyte-protocol-models-pdv2`` on
pydantic 2 (same module, ``airbyte_protocol.models``); the helpers here work with either.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any, TextIO

from airbyte_protocol.models import (  # type: ignore[import-untyped]
    AirbyteCatalog,
    AirbyteConnectionStatus,
    AirbyteErrorTraceMessage,
    AirbyteLogMessage,
    AirbyteMessage,
    AirbyteRecordMessage,
    AirbyteStateBlob,
    AirbyteStateMessage,
    AirbyteStateStats,
    AirbyteStateType,
    AirbyteStream,
    AirbyteStreamState,
    AirbyteStreamStatus,
    AirbyteStreamStatusTraceMessage,
    AirbyteTraceMessage,
    ConfiguredAirbyteCatalog,
    ConnectorSpecification,
    FailureType,
    Level,
    Status,
    StreamDescriptor,
    SyncMode,
    TraceType,
    Type,
)

__all__ = [
    "AirbyteMessage",
    "AirbyteStateMessage",
    "AirbyteStateType",
    "AirbyteStream",
    "AirbyteStreamStatus",
    "ConfiguredAirbyteCatalog",
    "FailureType",
    "Level",
    "MessageOutput",
    "SyncMode",
    "catalog_message",
    "connection_status_message",
    "dump_model",
    "error_message",
    "log_message",
    "model_json",
    "now_ms",
    "parse_model",
    "record_message",
    "spec_message",
    "stream_state_message",
    "stream_status_message",
]


def parse_model(model_type: Any, data: Any) -> Any:
    """``data`` validated as ``model_type`` (pydantic 2's ``model_validate``, else 1's)."""
    validate = getattr(model_type, "model_validate", None) or model_type.parse_obj
    return validate(data)


def dump_model(model: Any) -> dict[str, Any]:
    """A model as plain JSON data: only the fields that were set, by their protocol names."""
    dump = getattr(model, "model_dump", None)
    data: dict[str, Any] = (
        dump(mode="json", by_alias=True, exclude_unset=True)
        if dump is not None
        else model.dict(by_alias=True, exclude_unset=True)
    )
    return data


def model_json(model: Any) -> str:
    """A model as one line of JSON: only the fields that were set, by their protocol names."""
    dump_json = getattr(model, "model_dump_json", None)
    if dump_json is not None:
        return str(dump_json(by_alias=True, exclude_unset=True))
    return str(model.json(by_alias=True, exclude_unset=True))


def now_ms() -> int:
    return int(time.time() * 1000)


class MessageOutput:
    """Writes Airbyte messages to one text stream (stdout), a whole line at a time.

    Log lines can come from other threads, so each line is written under a lock. The lock is
    reentrant: a signal handler runs in the main thread between two of its steps, maybe inside
    ``emit``, and the SDK's SIGTERM handler logs and writes a state (with a plain lock the
    process would wait for itself forever).
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._lock = threading.RLock()

    def emit(self, message: Any) -> None:
        line = model_json(message) + "\n"
        with self._lock:
            self._stream.write(line)
            self._stream.flush()


def spec_message(connection_specification: Mapping[str, Any]) -> Any:
    spec = ConnectorSpecification(connectionSpecification=dict(connection_specification))
    return AirbyteMessage(type=Type.SPEC, spec=spec)


def connection_status_message(succeeded: bool, message: str | None = None) -> Any:
    fields: dict[str, Any] = {"status": Status.SUCCEEDED if succeeded else Status.FAILED}
    if message is not None:
        fields["message"] = message
    status = AirbyteConnectionStatus(**fields)
    return AirbyteMessage(type=Type.CONNECTION_STATUS, connectionStatus=status)


def catalog_message(streams: list[Any]) -> Any:
    return AirbyteMessage(type=Type.CATALOG, catalog=AirbyteCatalog(streams=streams))


def record_message(stream: str, data: Mapping[str, Any], emitted_at: int) -> Any:
    record = AirbyteRecordMessage(stream=stream, data=dict(data), emitted_at=emitted_at)
    return AirbyteMessage(type=Type.RECORD, record=record)


def stream_state_message(stream: str, blob: Mapping[str, Any], record_count: int) -> Any:
    """A STREAM state; ``record_count``: the stream's records since its previous state."""
    state = AirbyteStateMessage(
        type=AirbyteStateType.STREAM,
        stream=AirbyteStreamState(
            stream_descriptor=StreamDescriptor(name=stream),
            stream_state=parse_model(AirbyteStateBlob, dict(blob)),
        ),
        sourceStats=AirbyteStateStats(recordCount=float(record_count)),
    )
    return AirbyteMessage(type=Type.STATE, state=state)


def log_message(level: Any, text: str, stack_trace: str | None = None) -> Any:
    fields: dict[str, Any] = {"level": level, "message": text}
    if stack_trace:
        fields["stack_trace"] = stack_trace
    return AirbyteMessage(type=Type.LOG, log=AirbyteLogMessage(**fields))


def error_message(
    text: str,
    failure_type: Any,
    internal_message: str | None = None,
    stack_trace: str | None = None,
) -> Any:
    fields: dict[str, Any] = {"message": text, "failure_type": failure_type}
    if internal_message:
        fields["internal_message"] = internal_message
    if stack_trace:
        fields["stack_trace"] = stack_trace
    trace = AirbyteTraceMessage(
        type=TraceType.ERROR, emitted_at=float(now_ms()), error=AirbyteErrorTraceMessage(**fields)
    )
    return AirbyteMessage(type=Type.TRACE, trace=trace)


def stream_status_message(stream: str, status: Any) -> Any:
    trace = AirbyteTraceMessage(
        type=TraceType.STREAM_STATUS,
        emitted_at=float(now_ms()),
        stream_status=AirbyteStreamStatusTraceMessage(
            stream_descriptor=StreamDescriptor(name=stream), status=status
        ),
    )
    return AirbyteMessage(type=Type.TRACE, trace=trace)
